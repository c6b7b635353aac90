package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	tests := []struct {
		name   string
		edit   func(p *Plan)
		want   string // the whole message of the one error expected
		target error  // what errors.Is must match
	}{
		{"check-in not a time", func(p *Plan) { p.Week[time.Monday].Checkins[1].At = TimeOfDay{25, 0} },
			"week.monday.checkins[2].at: 25:00 is not a time (want 00:00–23:59)", ErrBadTimeOfDay},
		{"check-in at 24:00", func(p *Plan) { p.Week[time.Monday].Checkins[1].At = TimeOfDay{24, 0} },
			"week.monday.checkins[2].at: 24:00 is not a time (want 00:00–23:59)", ErrBadTimeOfDay},
		{"check-in outside working hours", func(p *Plan) { p.Week[time.Tuesday].Checkins[0].At = TimeOfDay{18, 0} },
			"week.tuesday.checkins[1].at: 18:00 is outside working hours 09:00–17:30", ErrOutsideWork},
		{"check-in at the end of work is outside", func(p *Plan) { p.Week[time.Tuesday].Checkins[0].At = TimeOfDay{17, 30} },
			"week.tuesday.checkins[1].at: 17:30 is outside working hours 09:00–17:30", ErrOutsideWork},
		{"check-in on a day without work", func(p *Plan) { p.Week[time.Saturday].Checkins = []Checkin{ci("11:00", 0)} },
			"week.saturday.checkins[1].at: check-in 11:00 on a day without working hours", ErrOutsideWork},
		{"duplicate check-in", func(p *Plan) { p.Week[time.Friday].Checkins[1].At = TimeOfDay{11, 0} },
			"week.friday.checkins[2].at: 11:00 is already checkins[1]", ErrDuplicate},
		{"negative window", func(p *Plan) { p.Week[time.Monday].Checkins[0].Window = Duration{-5 * time.Minute} },
			"week.monday.checkins[1].window: -5m is not a window length (want more than 0 and at most 12h; 0 means 30m)", ErrBadWindow},
		{"window too long", func(p *Plan) { p.Week[time.Monday].Checkins[0].Window = Duration{13 * time.Hour} },
			"week.monday.checkins[1].window: 13h is not a window length (want more than 0 and at most 12h; 0 means 30m)", ErrBadWindow},
		{"overlapping focus blocks", func(p *Plan) { p.Week[time.Wednesday].Focus[1] = span("10:00", "12:00") },
			"week.wednesday.focus[2]: 10:00–12:00 overlaps focus[1] 09:00–11:00", ErrOverlap},
		{"focus overlapping across midnight", func(p *Plan) {
			p.Week[time.Saturday].Focus = []Span{span("22:00", "02:00")}
			p.Week[time.Sunday].Focus = []Span{span("01:00", "03:00")}
		}, "week.sunday.focus[1]: 01:00–03:00 overlaps saturday's focus[1] 22:00–02:00", ErrOverlap},
		{"empty focus block", func(p *Plan) { p.Week[time.Monday].Focus[0] = span("09:00", "09:00") },
			"week.monday.focus[1]: 09:00–09:00 is empty (a whole day is 00:00–24:00)", ErrEmptySpan},
		{"focus start 24:00", func(p *Plan) { p.Week[time.Monday].Focus[0] = span("24:00", "10:00") },
			"week.monday.focus[1].start: 24:00 is not a time (want 00:00–23:59)", ErrBadTimeOfDay},
		{"work end out of range", func(p *Plan) { p.Week[time.Monday].Work.End = TimeOfDay{17, 75} },
			"week.monday.work.end: 17:75 is not a time (want 00:00–24:00)", ErrBadTimeOfDay},
		{"night shift into the next day's work", func(p *Plan) {
			p.Week[time.Sunday] = Day{Work: &Span{TimeOfDay{22, 0}, TimeOfDay{10, 0}}}
		}, "week.sunday.work: 22:00–10:00 overlaps monday's working hours 09:00–17:30", ErrOverlap},
		{"vacation backwards", func(p *Plan) { p.Vacations = []DateRange{{From: date(2026, 12, 31), To: date(2026, 12, 24)}} },
			"vacations[1]: from 2026-12-31 is after to 2026-12-24", ErrDateOrder},
		{"vacation date does not exist", func(p *Plan) { p.Vacations = []DateRange{{From: date(2026, 2, 30), To: date(2026, 3, 2)}} },
			"vacations[1].from: 2026-02-30 is not a date", ErrBadDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := TwiceADay(berlin)
			tt.edit(&p)
			err := p.Validate()
			if err == nil {
				t.Fatalf("Validate: got nil, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Validate: got %q, want %q", err, tt.want)
			}
			if !errors.Is(err, tt.target) {
				t.Errorf("Validate: got %v, want it to match %v", err, tt.target)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(tt.want, fe.Field+": ") {
				t.Errorf("Validate: got field %v, want a *FieldError naming the field of %q", fe, tt.want)
			}
		})
	}
}

func TestValidateSeveralAndPrefix(t *testing.T) {
	p := TwiceADay(time.UTC)
	p.Week[time.Monday].Checkins[0].At = TimeOfDay{25, 0}
	p.Vacations = []DateRange{{From: date(2026, 12, 31), To: date(2026, 12, 24)}}
	err := Prefix("schedule", p.Validate())
	want := "schedule.week.monday.checkins[1].at: 25:00 is not a time (want 00:00–23:59)\n" +
		"schedule.vacations[1]: from 2026-12-31 is after to 2026-12-24"
	if err == nil || err.Error() != want {
		t.Errorf("Prefix(Validate): got %q, want %q", err, want)
	}
	if !errors.Is(err, ErrBadTimeOfDay) || !errors.Is(err, ErrDateOrder) {
		t.Errorf("Prefix(Validate): got %v, want it to match ErrBadTimeOfDay and ErrDateOrder", err)
	}
	if Prefix("schedule", nil) != nil {
		t.Error("Prefix(nil): got an error, want nil")
	}
}

func TestValidAcceptsWhatUsersWrite(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	night := Plan{Zone: berlin}
	night.Week[time.Monday] = Day{Work: &Span{TimeOfDay{22, 0}, TimeOfDay{6, 0}}, Checkins: []Checkin{ci("23:00", 0), ci("02:00", time.Hour)}}
	night.Week[time.Tuesday] = Day{Work: &Span{TimeOfDay{6, 0}, TimeOfDay{14, 0}}} // starts where Monday's ends
	night.Week[time.Saturday] = Day{Focus: []Span{span("22:00", "02:00")}}
	night.Week[time.Sunday] = Day{Focus: []Span{span("02:00", "04:00")}} // starts where Saturday's ends
	night.Week[time.Wednesday] = Day{Work: &Span{TimeOfDay{0, 0}, TimeOfDay{24, 0}}, Checkins: []Checkin{ci("00:00", MaxWindow)}}
	night.Vacations = []DateRange{{From: date(2026, 12, 24), To: date(2026, 12, 24)}}
	if err := night.Validate(); err != nil {
		t.Errorf("night shift and weekend blocks: Validate: got %v, want nil", err)
	}
}

func TestTemplates(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	for _, name := range TemplateNames() {
		p, err := Template(name, berlin)
		if err != nil {
			t.Fatalf("Template(%q): %v", name, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("Template(%q).Validate: got %v, want nil", name, err)
		}
		if p.Zone != berlin {
			t.Errorf("Template(%q).Zone: got %v, want Europe/Berlin", name, p.Zone)
		}
		for w := time.Sunday; w <= time.Saturday; w++ {
			working := w != time.Saturday && w != time.Sunday
			if got := p.Week[w].Work != nil; got != working {
				t.Errorf("Template(%q) %v: got working day %v, want %v", name, w, got, working)
			}
		}
		// Days are independent: editing Monday leaves Tuesday alone.
		p.Week[time.Monday].Checkins[0].At = TimeOfDay{10, 0}
		p.Week[time.Monday].Work.Start = TimeOfDay{8, 0}
		if p.Week[time.Tuesday].Checkins[0].At == (TimeOfDay{10, 0}) || p.Week[time.Tuesday].Work.Start == (TimeOfDay{8, 0}) {
			t.Errorf("Template(%q): editing Monday changed Tuesday", name)
		}
	}
	want := map[string][]string{
		"twice-a-day":       {"11:00", "16:00"},
		"three-times-a-day": {"09:00", "13:00", "16:30"},
		"makers-day":        {"12:30", "17:00"},
	}
	for name, times := range want {
		p, _ := Template(name, time.UTC)
		var got []string
		for _, c := range p.Week[time.Wednesday].Checkins {
			got = append(got, c.At.String())
			if c.Window.Duration != 30*time.Minute {
				t.Errorf("Template(%q) check-in %s: got window %v, want 30m", name, c.At, c.Window)
			}
		}
		if strings.Join(got, " ") != strings.Join(times, " ") {
			t.Errorf("Template(%q) check-ins: got %v, want %v", name, got, times)
		}
	}
	if _, err := Template("whenever", time.UTC); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("Template(whenever): got %v, want ErrUnknownTemplate", err)
	}
}
