package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// modeCase is one instant under one plan: what Mode and Next must say.
// Instants carry their offset, so DST cases name the occurrence they mean.
type modeCase struct {
	name    string
	plan    Plan
	o       Overrides
	now     string
	mode    model.Mode
	until   string // "" for the zero time
	reason  string
	checkin string // Status.Checkin, "" for zero

	next     string // "" when Next must report false
	kind     TransitionKind
	nextMode model.Mode
}

func runModeCases(t *testing.T, tests []modeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.plan.zone()
			now := ts(t, tt.now)
			st := tt.plan.Mode(now, tt.o)
			if st.Mode != tt.mode {
				t.Errorf("Mode: got %v, want %v (reason %q)", st.Mode, tt.mode, st.Reason)
			}
			if want := ts(t, tt.until); !st.Until.Equal(want) {
				t.Errorf("Until: got %s, want %s", fmtT(st.Until, loc), fmtT(want, loc))
			}
			if st.Reason != tt.reason {
				t.Errorf("Reason: got %q, want %q", st.Reason, tt.reason)
			}
			if want := ts(t, tt.checkin); !st.Checkin.Equal(want) {
				t.Errorf("Checkin: got %s, want %s", fmtT(st.Checkin, loc), fmtT(want, loc))
			}
			tr, ok := tt.plan.Next(now, tt.o)
			if tt.next == "" {
				if ok {
					t.Errorf("Next: got %s %v -> %v, want none", fmtT(tr.At, loc), tr.Kind, tr.Mode)
				}
				return
			}
			if !ok {
				t.Fatalf("Next: got none, want %s %v -> %v", tt.next, tt.kind, tt.nextMode)
			}
			if want := ts(t, tt.next); !tr.At.Equal(want) || tr.Kind != tt.kind || tr.Mode != tt.nextMode {
				t.Errorf("Next: got %s %v -> %v, want %s %v -> %v", fmtT(tr.At, loc), tr.Kind, tr.Mode, fmtT(want, loc), tt.kind, tt.nextMode)
			}
		})
	}
}

// dstSunday is a plan whose only day is a Sunday (every DST change of 2026
// in the tested zones falls on one), working 00:00–06:00.
func dstSunday(loc *time.Location, checkins []Checkin, focus ...Span) Plan {
	p := Plan{Zone: loc}
	p.Week[time.Sunday] = Day{Work: &Span{TimeOfDay{0, 0}, TimeOfDay{6, 0}}, Checkins: checkins, Focus: focus}
	return p
}

func TestModeWorkingDay(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	p := TwiceADay(berlin)
	// 2026-03-30 is the Monday after the spring-forward Sunday.
	runModeCases(t, []modeCase{
		{name: "before work", plan: p, now: "2026-03-30T08:00:00+02:00",
			mode: model.ModeOffHours, until: "2026-03-30T09:00:00+02:00", reason: "off-hours until 09:00",
			next: "2026-03-30T09:00:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "morning focus", plan: p, now: "2026-03-30T09:30:00+02:00",
			mode: model.ModeFocus, until: "2026-03-30T11:00:00+02:00", reason: "focus block 09:00–11:00",
			next: "2026-03-30T11:00:00+02:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "check-in window", plan: p, now: "2026-03-30T11:10:00+02:00",
			mode: model.ModeWindow, until: "2026-03-30T11:30:00+02:00", reason: "check-in window 11:00–11:30", checkin: "2026-03-30T11:00:00+02:00",
			next: "2026-03-30T11:30:00+02:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "at the check-in itself next is strictly later", plan: p, now: "2026-03-30T11:00:00+02:00",
			mode: model.ModeWindow, until: "2026-03-30T11:30:00+02:00", reason: "check-in window 11:00–11:30", checkin: "2026-03-30T11:00:00+02:00",
			next: "2026-03-30T11:30:00+02:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "between", plan: p, now: "2026-03-30T11:45:00+02:00",
			mode: model.ModeBetween, until: "2026-03-30T13:30:00+02:00", reason: "between check-ins until 13:30",
			next: "2026-03-30T13:30:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "afternoon focus ends before check-in", plan: p, now: "2026-03-30T15:00:00+02:00",
			mode: model.ModeFocus, until: "2026-03-30T15:30:00+02:00", reason: "focus block 13:30–15:30",
			next: "2026-03-30T15:30:00+02:00", kind: FocusEnd, nextMode: model.ModeBetween},
		{name: "end of work", plan: p, now: "2026-03-30T17:00:00+02:00",
			mode: model.ModeBetween, until: "2026-03-30T17:30:00+02:00", reason: "between check-ins until 17:30",
			next: "2026-03-30T17:30:00+02:00", kind: WorkEnd, nextMode: model.ModeOffHours},
		{name: "evening until tomorrow", plan: p, now: "2026-03-30T18:00:00+02:00",
			mode: model.ModeOffHours, until: "2026-03-31T09:00:00+02:00", reason: "off-hours until Tue 09:00",
			next: "2026-03-31T09:00:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "friday evening over a weekend with a dst change", plan: p, now: "2026-03-27T18:00:00+01:00",
			mode: model.ModeOffHours, until: "2026-03-30T09:00:00+02:00", reason: "off-hours until Mon 09:00",
			next: "2026-03-30T09:00:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "saturday", plan: p, now: "2026-03-28T12:00:00+01:00",
			mode: model.ModeOffHours, until: "2026-03-30T09:00:00+02:00", reason: "off-hours until Mon 09:00",
			next: "2026-03-30T09:00:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "now in another zone is the same instant", plan: p, now: "2026-03-30T09:10:00Z",
			mode: model.ModeWindow, until: "2026-03-30T11:30:00+02:00", reason: "check-in window 11:00–11:30", checkin: "2026-03-30T11:00:00+02:00",
			next: "2026-03-30T11:30:00+02:00", kind: WindowEnd, nextMode: model.ModeBetween},
	})
}

func TestModeTemplatesNoDST(t *testing.T) {
	tokyo := zone(t, "Asia/Tokyo")
	utc := time.UTC
	runModeCases(t, []modeCase{
		{name: "tokyo twice-a-day afternoon window", plan: TwiceADay(tokyo), now: "2026-03-30T16:10:00+09:00",
			mode: model.ModeWindow, until: "2026-03-30T16:30:00+09:00", reason: "check-in window 16:00–16:30", checkin: "2026-03-30T16:00:00+09:00",
			next: "2026-03-30T16:30:00+09:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "tokyo three-times check-in at work start", plan: ThreeTimesADay(tokyo), now: "2026-03-30T08:59:00+09:00",
			mode: model.ModeOffHours, until: "2026-03-30T09:00:00+09:00", reason: "off-hours until 09:00",
			next: "2026-03-30T09:00:00+09:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "tokyo three-times focus starts inside the window", plan: ThreeTimesADay(tokyo), now: "2026-03-30T09:10:00+09:00",
			mode: model.ModeWindow, until: "2026-03-30T09:30:00+09:00", reason: "check-in window 09:00–09:30", checkin: "2026-03-30T09:00:00+09:00",
			next: "2026-03-30T09:30:00+09:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "utc makers-day last check-in runs to the end of work", plan: MakersDay(utc), now: "2026-03-27T17:20:00Z",
			mode: model.ModeWindow, until: "2026-03-27T17:30:00Z", reason: "check-in window 17:00–17:30", checkin: "2026-03-27T17:00:00Z",
			next: "2026-03-27T17:30:00Z", kind: WindowEnd, nextMode: model.ModeOffHours},
		{name: "utc dst dates change nothing", plan: TwiceADay(utc), now: "2026-03-29T23:00:00Z",
			mode: model.ModeOffHours, until: "2026-03-30T09:00:00Z", reason: "off-hours until Mon 09:00",
			next: "2026-03-30T09:00:00Z", kind: FocusStart, nextMode: model.ModeFocus},
	})
}

func TestModeEmptyPlan(t *testing.T) {
	p := Plan{Zone: time.UTC}
	runModeCases(t, []modeCase{
		{name: "nothing ever happens", plan: p, now: "2026-06-01T12:00:00Z",
			mode: model.ModeOffHours, reason: "off-hours"},
		{name: "a pause still ends", plan: p, o: Overrides{PauseUntil: ts(t, "2026-06-01T13:00:00Z")}, now: "2026-06-01T12:00:00Z",
			mode: model.ModePaused, until: "2026-06-01T13:00:00Z", reason: "paused until 13:00",
			next: "2026-06-01T13:00:00Z", kind: PauseEnd, nextMode: model.ModeOffHours},
		{name: "a manual window", plan: p, o: Overrides{WindowUntil: ts(t, "2026-06-01T12:30:00Z")}, now: "2026-06-01T12:00:00Z",
			mode: model.ModeWindow, until: "2026-06-01T12:30:00Z", reason: "check-in window until 12:30",
			next: "2026-06-01T12:30:00Z", kind: OverrideEnd, nextMode: model.ModeOffHours},
	})
	now := ts(t, "2026-06-01T12:00:00Z")
	if c, _, ok := p.NextCheckin(now); ok {
		t.Errorf("NextCheckin on an empty plan: got %s, want none", fmtT(c, time.UTC))
	}
	if got := p.CheckinsBetween(now.Add(-72*time.Hour), now); got != nil {
		t.Errorf("CheckinsBetween on an empty plan: got %v, want nil", got)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate on an empty plan: got %v, want nil", err)
	}
	// A zero Plan uses time.Local; it must not panic.
	if st := (Plan{}).Mode(now, Overrides{}); st.Mode != model.ModeOffHours {
		t.Errorf("zero Plan: got %v, want off-hours", st.Mode)
	}
}

func TestModeFocusAcrossMidnight(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	p := Plan{Zone: berlin}
	p.Week[time.Saturday] = Day{Focus: []Span{span("22:00", "02:00")}}  // a writing block, no working hours
	p.Week[time.Sunday] = Day{Focus: []Span{span("10:00", "11:00")}}    // follows the night's block
	p.Week[time.Wednesday] = Day{Focus: []Span{span("23:00", "24:00")}} // ends at midnight exactly
	p.Week[time.Thursday] = Day{Focus: []Span{span("00:00", "01:00")}}  // and the next day goes on
	runModeCases(t, []modeCase{
		{name: "before the block", plan: p, now: "2026-06-06T21:00:00+02:00",
			mode: model.ModeOffHours, until: "2026-06-06T22:00:00+02:00", reason: "off-hours until 22:00",
			next: "2026-06-06T22:00:00+02:00", kind: FocusStart, nextMode: model.ModeFocus},
		{name: "after midnight it still belongs to saturday", plan: p, now: "2026-06-07T01:00:00+02:00",
			mode: model.ModeFocus, until: "2026-06-07T02:00:00+02:00", reason: "focus block 22:00–02:00",
			next: "2026-06-07T02:00:00+02:00", kind: FocusEnd, nextMode: model.ModeOffHours},
		{name: "block over the fall-back night ends at the first 02:00", plan: p, now: "2026-10-24T23:00:00+02:00",
			mode: model.ModeFocus, until: "2026-10-25T02:00:00+02:00", reason: "focus block 22:00–02:00",
			next: "2026-10-25T02:00:00+02:00", kind: FocusEnd, nextMode: model.ModeOffHours},
		{name: "block over the spring-forward night", plan: p, now: "2026-03-29T01:30:00+01:00",
			mode: model.ModeFocus, until: "2026-03-29T03:00:00+02:00", reason: "focus block 22:00–03:00",
			next: "2026-03-29T03:00:00+02:00", kind: FocusEnd, nextMode: model.ModeOffHours},
		{name: "back-to-back over midnight is one focus", plan: p, now: "2026-06-03T23:30:00+02:00",
			mode: model.ModeFocus, until: "2026-06-04T01:00:00+02:00", reason: "focus block 23:00–24:00",
			next: "2026-06-04T01:00:00+02:00", kind: FocusEnd, nextMode: model.ModeOffHours},
	})
}

func TestModeNightShift(t *testing.T) {
	ny := zone(t, "America/New_York")
	p := Plan{Zone: ny}
	p.Week[time.Monday] = Day{
		Work:     &Span{TimeOfDay{22, 0}, TimeOfDay{6, 0}},
		Checkins: []Checkin{ci("23:00", 0), ci("02:00", time.Hour)},
	}
	runModeCases(t, []modeCase{
		{name: "monday night check-in", plan: p, now: "2026-06-01T23:05:00-04:00",
			mode: model.ModeWindow, until: "2026-06-01T23:30:00-04:00", reason: "check-in window 23:00–23:30", checkin: "2026-06-01T23:00:00-04:00",
			next: "2026-06-01T23:30:00-04:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "after midnight the check-in is tuesday's calendar day", plan: p, now: "2026-06-02T01:00:00-04:00",
			mode: model.ModeBetween, until: "2026-06-02T02:00:00-04:00", reason: "between check-ins until 02:00",
			next: "2026-06-02T02:00:00-04:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "window of the night's check-in", plan: p, now: "2026-06-02T02:30:00-04:00",
			mode: model.ModeWindow, until: "2026-06-02T03:00:00-04:00", reason: "check-in window 02:00–03:00", checkin: "2026-06-02T02:00:00-04:00",
			next: "2026-06-02T03:00:00-04:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "shift ends tuesday morning", plan: p, now: "2026-06-02T05:00:00-04:00",
			mode: model.ModeBetween, until: "2026-06-02T06:00:00-04:00", reason: "between check-ins until 06:00",
			next: "2026-06-02T06:00:00-04:00", kind: WorkEnd, nextMode: model.ModeOffHours},
		{name: "a week until the next shift", plan: p, now: "2026-06-02T07:00:00-04:00",
			mode: model.ModeOffHours, until: "2026-06-08T22:00:00-04:00", reason: "off-hours until 2026-06-08 22:00",
			next: "2026-06-08T22:00:00-04:00", kind: WorkStart, nextMode: model.ModeBetween},
	})
}

func TestModeDSTBerlin(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	// 02:30 falls into the spring gap and into the fall overlap; the focus
	// block spans both changes.
	p := dstSunday(berlin, []Checkin{ci("02:30", time.Hour)}, span("01:00", "04:00"))
	runModeCases(t, []modeCase{
		{name: "spring: saturday night before work", plan: p, now: "2026-03-28T23:30:00+01:00",
			mode: model.ModeOffHours, until: "2026-03-29T00:00:00+01:00", reason: "off-hours until Sun 00:00",
			next: "2026-03-29T00:00:00+01:00", kind: WorkStart, nextMode: model.ModeBetween},
		{name: "spring: focus lasts 2h real time, check-in moved to 03:30 still fires", plan: p, now: "2026-03-29T01:30:00+01:00",
			mode: model.ModeFocus, until: "2026-03-29T04:00:00+02:00", reason: "focus block 01:00–04:00",
			next: "2026-03-29T03:30:00+02:00", kind: CheckinStart, nextMode: model.ModeFocus},
		{name: "spring: at the moved check-in focus still wins", plan: p, now: "2026-03-29T03:30:00+02:00",
			mode: model.ModeFocus, until: "2026-03-29T04:00:00+02:00", reason: "focus block 01:00–04:00",
			next: "2026-03-29T04:00:00+02:00", kind: FocusEnd, nextMode: model.ModeWindow},
		{name: "spring: window after focus", plan: p, now: "2026-03-29T04:10:00+02:00",
			mode: model.ModeWindow, until: "2026-03-29T04:30:00+02:00", reason: "check-in window 03:30–04:30", checkin: "2026-03-29T03:30:00+02:00",
			next: "2026-03-29T04:30:00+02:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "spring: work ends at 06:00 CEST", plan: p, now: "2026-03-29T05:00:00+02:00",
			mode: model.ModeBetween, until: "2026-03-29T06:00:00+02:00", reason: "between check-ins until 06:00",
			next: "2026-03-29T06:00:00+02:00", kind: WorkEnd, nextMode: model.ModeOffHours},
		{name: "fall: the ambiguous check-in is the first 02:30", plan: p, now: "2026-10-25T02:00:00+02:00",
			mode: model.ModeFocus, until: "2026-10-25T04:00:00+01:00", reason: "focus block 01:00–04:00",
			next: "2026-10-25T02:30:00+02:00", kind: CheckinStart, nextMode: model.ModeFocus},
		{name: "fall: the second 02:30 is no check-in", plan: p, now: "2026-10-25T02:00:00+01:00",
			mode: model.ModeFocus, until: "2026-10-25T04:00:00+01:00", reason: "focus block 01:00–04:00",
			next: "2026-10-25T04:00:00+01:00", kind: FocusEnd, nextMode: model.ModeBetween},
		{name: "fall: work lasts 7h real time", plan: p, now: "2026-10-25T05:59:00+01:00",
			mode: model.ModeBetween, until: "2026-10-25T06:00:00+01:00", reason: "between check-ins until 06:00",
			next: "2026-10-25T06:00:00+01:00", kind: WorkEnd, nextMode: model.ModeOffHours},
	})
}

func TestModeDSTNewYork(t *testing.T) {
	ny := zone(t, "America/New_York")
	// New York changes at 02:00: 02:30 is in the spring gap, 01:30 is in the
	// fall overlap.
	p := dstSunday(ny, []Checkin{ci("01:30", 0), ci("02:30", 0)})
	runModeCases(t, []modeCase{
		{name: "spring: a 30-minute window crosses the gap", plan: p, now: "2026-03-08T01:45:00-05:00",
			mode: model.ModeWindow, until: "2026-03-08T03:00:00-04:00", reason: "check-in window 01:30–03:00", checkin: "2026-03-08T01:30:00-05:00",
			next: "2026-03-08T03:00:00-04:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "spring: the check-in in the gap moves to 03:30", plan: p, now: "2026-03-08T03:00:00-04:00",
			mode: model.ModeBetween, until: "2026-03-08T03:30:00-04:00", reason: "between check-ins until 03:30",
			next: "2026-03-08T03:30:00-04:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "fall: window of the first 01:30", plan: p, now: "2026-11-01T01:40:00-04:00",
			mode: model.ModeWindow, until: "2026-11-01T01:00:00-05:00", reason: "check-in window 01:30–01:00", checkin: "2026-11-01T01:30:00-04:00",
			next: "2026-11-01T01:00:00-05:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "fall: the repeated hour has no second check-in", plan: p, now: "2026-11-01T01:10:00-05:00",
			mode: model.ModeBetween, until: "2026-11-01T02:30:00-05:00", reason: "between check-ins until 02:30",
			next: "2026-11-01T02:30:00-05:00", kind: CheckinStart, nextMode: model.ModeWindow},
	})
}

func TestModeDSTLordHowe(t *testing.T) {
	lh := zone(t, "Australia/Lord_Howe")
	// Lord Howe shifts by 30 minutes at 02:00: 02:00–02:30 is skipped in
	// October, 01:30–02:00 happens twice in April.
	p := dstSunday(lh, []Checkin{ci("01:45", 0), ci("02:15", 0)})
	runModeCases(t, []modeCase{
		{name: "spring: windows meet at the moved check-in", plan: p, now: "2026-10-04T02:40:00+11:00",
			mode: model.ModeWindow, until: "2026-10-04T03:15:00+11:00", reason: "check-in window 01:45–02:45", checkin: "2026-10-04T01:45:00+10:30",
			next: "2026-10-04T02:45:00+11:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "fall: the first 01:45 opened the window", plan: p, now: "2026-04-05T01:50:00+11:00",
			mode: model.ModeWindow, until: "2026-04-05T01:45:00+10:30", reason: "check-in window 01:45–01:45", checkin: "2026-04-05T01:45:00+11:00",
			next: "2026-04-05T01:45:00+10:30", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "fall: the second 01:45 is no check-in", plan: p, now: "2026-04-05T01:40:00+10:30",
			mode: model.ModeWindow, until: "2026-04-05T01:45:00+10:30", reason: "check-in window 01:45–01:45", checkin: "2026-04-05T01:45:00+11:00",
			next: "2026-04-05T01:45:00+10:30", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "fall: next is 02:15", plan: p, now: "2026-04-05T01:50:00+10:30",
			mode: model.ModeBetween, until: "2026-04-05T02:15:00+10:30", reason: "between check-ins until 02:15",
			next: "2026-04-05T02:15:00+10:30", kind: CheckinStart, nextMode: model.ModeWindow},
	})
}

func TestModeVacation(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	p := TwiceADay(berlin)
	p.Vacations = []DateRange{
		{From: date(2026, 12, 24), To: date(2026, 12, 26)},
		{From: date(2026, 12, 27), To: date(2026, 12, 31)}, // touches the first: one vacation
		{From: date(2026, 7, 1), To: date(2026, 8, 14)},    // longer than Horizon
		{From: date(2026, 2, 1), To: date(2026, 1, 1)},     // backwards: Validate's job, holds nothing
	}
	runModeCases(t, []modeCase{
		{name: "last window before the holidays", plan: p, now: "2026-12-23T16:10:00+01:00",
			mode: model.ModeWindow, until: "2026-12-23T16:30:00+01:00", reason: "check-in window 16:00–16:30", checkin: "2026-12-23T16:00:00+01:00",
			next: "2026-12-23T16:30:00+01:00", kind: WindowEnd, nextMode: model.ModeBetween},
		{name: "evening before vacation", plan: p, now: "2026-12-23T18:00:00+01:00",
			mode: model.ModeOffHours, until: "2026-12-24T00:00:00+01:00", reason: "off-hours until Thu 00:00",
			next: "2026-12-24T00:00:00+01:00", kind: VacationStart, nextMode: model.ModeVacation},
		{name: "touching ranges merge", plan: p, now: "2026-12-24T10:00:00+01:00",
			mode: model.ModeVacation, until: "2027-01-01T00:00:00+01:00", reason: "vacation until 2026-12-31",
			next: "2027-01-01T00:00:00+01:00", kind: VacationEnd, nextMode: model.ModeOffHours},
		{name: "no check-ins during vacation", plan: p, now: "2026-12-28T10:55:00+01:00",
			mode: model.ModeVacation, until: "2027-01-01T00:00:00+01:00", reason: "vacation until 2026-12-31",
			next: "2027-01-01T00:00:00+01:00", kind: VacationEnd, nextMode: model.ModeOffHours},
		{name: "a vacation longer than the horizon still ends", plan: p, now: "2026-07-02T10:00:00+02:00",
			mode: model.ModeVacation, until: "2026-08-15T00:00:00+02:00", reason: "vacation until 2026-08-14",
			next: "2026-08-15T00:00:00+02:00", kind: VacationEnd, nextMode: model.ModeOffHours},
		{name: "paused during vacation", plan: p, o: Overrides{PauseUntil: ts(t, "2026-12-28T11:00:00+01:00")}, now: "2026-12-28T10:00:00+01:00",
			mode: model.ModePaused, until: "2026-12-28T11:00:00+01:00", reason: "paused until 11:00",
			next: "2026-12-28T11:00:00+01:00", kind: PauseEnd, nextMode: model.ModeVacation},
		{name: "vacation outranks focus overrides", plan: p, o: Overrides{FocusUntil: ts(t, "2026-12-28T11:00:00+01:00"), WindowUntil: ts(t, "2026-12-28T11:00:00+01:00")}, now: "2026-12-28T10:00:00+01:00",
			mode: model.ModeVacation, until: "2027-01-01T00:00:00+01:00", reason: "vacation until 2026-12-31",
			next: "2027-01-01T00:00:00+01:00", kind: VacationEnd, nextMode: model.ModeOffHours},
		{name: "backwards range holds nothing", plan: p, now: "2026-01-15T11:10:00+01:00",
			mode: model.ModeWindow, until: "2026-01-15T11:30:00+01:00", reason: "check-in window 11:00–11:30", checkin: "2026-01-15T11:00:00+01:00",
			next: "2026-01-15T11:30:00+01:00", kind: WindowEnd, nextMode: model.ModeBetween},
	})

	// Across a vacation, the next check-in is the first after it.
	at, c, ok := p.NextCheckin(ts(t, "2026-07-02T10:00:00+02:00"))
	if want := ts(t, "2026-08-17T11:00:00+02:00"); !ok || !at.Equal(want) || c.At != (TimeOfDay{11, 0}) {
		t.Errorf("NextCheckin during a long vacation: got %s %v %v, want %s 11:00", fmtT(at, berlin), c.At, ok, fmtT(want, berlin))
	}
	if got := p.CheckinsBetween(ts(t, "2026-12-23T12:00:00+01:00"), ts(t, "2026-12-31T11:30:00+01:00")); len(got) != 1 || !got[0].Equal(ts(t, "2026-12-23T16:00:00+01:00")) {
		t.Errorf("CheckinsBetween over the holidays: got %v, want only 2026-12-23 16:00", got)
	}
}

func TestModeOverrides(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	p := TwiceADay(berlin)
	at := func(hm string) time.Time { return ts(t, "2026-03-30T"+hm+":00+02:00") } // a Monday
	tests := []modeCase{
		{name: "pause outranks focus", o: Overrides{PauseUntil: at("10:00")}, now: "09:30",
			mode: model.ModePaused, until: "10:00", reason: "paused until 10:00",
			next: "10:00", kind: PauseEnd, nextMode: model.ModeFocus},
		{name: "a check-in during a pause still happens", o: Overrides{PauseUntil: at("11:40")}, now: "10:50",
			mode: model.ModePaused, until: "11:40", reason: "paused until 11:40",
			next: "11:00", kind: CheckinStart, nextMode: model.ModePaused},
		{name: "pause ends inside the window", o: Overrides{PauseUntil: at("11:10")}, now: "11:05",
			mode: model.ModePaused, until: "11:10", reason: "paused until 11:10",
			next: "11:10", kind: PauseEnd, nextMode: model.ModeWindow},
		{name: "pause outranks manual focus", o: Overrides{PauseUntil: at("12:00"), FocusUntil: at("12:30")}, now: "11:45",
			mode: model.ModePaused, until: "12:00", reason: "paused until 12:00",
			next: "12:00", kind: PauseEnd, nextMode: model.ModeFocus},
		{name: "a pause over midnight", o: Overrides{PauseUntil: ts(t, "2026-03-31T01:00:00+02:00")}, now: "23:00",
			mode: model.ModePaused, until: "2026-03-31T01:00:00+02:00", reason: "paused until Tue 01:00",
			next: "2026-03-31T01:00:00+02:00", kind: PauseEnd, nextMode: model.ModeOffHours},
		{name: "manual focus between check-ins", o: Overrides{FocusUntil: at("12:35")}, now: "11:45",
			mode: model.ModeFocus, until: "12:35", reason: "focus until 12:35",
			next: "12:35", kind: OverrideEnd, nextMode: model.ModeBetween},
		{name: "manual focus running into a block is one focus", o: Overrides{FocusUntil: at("14:00")}, now: "13:00",
			mode: model.ModeFocus, until: "15:30", reason: "focus until 15:30",
			next: "15:30", kind: FocusEnd, nextMode: model.ModeBetween},
		{name: "manual focus outlasting a block", o: Overrides{FocusUntil: at("16:30")}, now: "15:00",
			mode: model.ModeFocus, until: "16:30", reason: "focus until 16:30",
			next: "16:00", kind: CheckinStart, nextMode: model.ModeFocus},
		{name: "manual focus outranks a window", o: Overrides{FocusUntil: at("11:20")}, now: "11:05",
			mode: model.ModeFocus, until: "11:20", reason: "focus until 11:20",
			next: "11:20", kind: OverrideEnd, nextMode: model.ModeWindow},
		{name: "end focus skips the scheduled block", o: Overrides{SkipFocusUntil: at("11:00")}, now: "09:30",
			mode: model.ModeBetween, until: "11:00", reason: "between check-ins until 11:00",
			next: "11:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "skip running out inside a block brings focus back", o: Overrides{SkipFocusUntil: at("14:00")}, now: "13:40",
			mode: model.ModeBetween, until: "14:00", reason: "between check-ins until 14:00",
			next: "14:00", kind: OverrideEnd, nextMode: model.ModeFocus},
		{name: "skip does not end manual focus", o: Overrides{SkipFocusUntil: at("11:00"), FocusUntil: at("10:00")}, now: "09:30",
			mode: model.ModeFocus, until: "10:00", reason: "focus until 10:00",
			next: "10:00", kind: OverrideEnd, nextMode: model.ModeBetween},
		{name: "check in now", o: Overrides{WindowUntil: at("12:20")}, now: "12:00",
			mode: model.ModeWindow, until: "12:20", reason: "check-in window until 12:20",
			next: "12:20", kind: OverrideEnd, nextMode: model.ModeBetween},
		{name: "check in now during focus: focus wins", o: Overrides{WindowUntil: at("09:50")}, now: "09:30",
			mode: model.ModeFocus, until: "11:00", reason: "focus block 09:00–11:00",
			next: "11:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "manual window running past a scheduled one", o: Overrides{WindowUntil: at("11:45")}, now: "11:10",
			mode: model.ModeWindow, until: "11:45", reason: "check-in window 11:00–11:30", checkin: "11:00",
			next: "11:45", kind: OverrideEnd, nextMode: model.ModeBetween},
		{name: "manual window in the evening", o: Overrides{WindowUntil: at("20:30")}, now: "20:00",
			mode: model.ModeWindow, until: "20:30", reason: "check-in window until 20:30",
			next: "20:30", kind: OverrideEnd, nextMode: model.ModeOffHours},
		{name: "overrides in the past are ignored", o: Overrides{PauseUntil: at("09:00"), FocusUntil: at("09:00"), SkipFocusUntil: at("09:00"), WindowUntil: at("09:00")}, now: "09:30",
			mode: model.ModeFocus, until: "11:00", reason: "focus block 09:00–11:00",
			next: "11:00", kind: CheckinStart, nextMode: model.ModeWindow},
		{name: "an override ending exactly now is over", o: Overrides{PauseUntil: at("09:30")}, now: "09:30",
			mode: model.ModeFocus, until: "11:00", reason: "focus block 09:00–11:00",
			next: "11:00", kind: CheckinStart, nextMode: model.ModeWindow},
	}
	for i := range tests {
		tt := &tests[i]
		tt.plan = p
		for _, s := range []*string{&tt.now, &tt.until, &tt.next, &tt.checkin} {
			if len(*s) == 5 {
				*s = "2026-03-30T" + *s + ":00+02:00"
			}
		}
	}
	runModeCases(t, tests)
}

func TestCheckinsBetween(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	p := TwiceADay(berlin)
	tests := []struct {
		name     string
		from, to string
		want     []string
	}{
		{"3-hour jump over one check-in", "2026-03-30T10:00:00+02:00", "2026-03-30T13:00:00+02:00",
			[]string{"2026-03-30T11:00:00+02:00"}},
		{"from is exclusive, to inclusive", "2026-03-30T11:00:00+02:00", "2026-03-30T16:00:00+02:00",
			[]string{"2026-03-30T16:00:00+02:00"}},
		{"slept through both", "2026-03-30T10:59:00+02:00", "2026-03-30T17:00:00+02:00",
			[]string{"2026-03-30T11:00:00+02:00", "2026-03-30T16:00:00+02:00"}},
		{"over a weekend with a dst change", "2026-03-27T15:00:00+01:00", "2026-03-30T12:00:00+02:00",
			[]string{"2026-03-27T16:00:00+01:00", "2026-03-30T11:00:00+02:00"}},
		{"nothing missed", "2026-03-30T11:30:00+02:00", "2026-03-30T15:59:00+02:00", nil},
		{"backwards", "2026-03-30T17:00:00+02:00", "2026-03-30T10:00:00+02:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.CheckinsBetween(ts(t, tt.from), ts(t, tt.to))
			var gotS []string
			for _, g := range got {
				gotS = append(gotS, fmtT(g, berlin))
			}
			if !slices.Equal(gotS, tt.want) {
				t.Errorf("CheckinsBetween: got %v, want %v", gotS, tt.want)
			}
		})
	}

	t.Run("a huge jump is capped at the horizon", func(t *testing.T) {
		to := ts(t, "2026-03-30T12:00:00+02:00")
		got := p.CheckinsBetween(ts(t, "2020-01-01T00:00:00Z"), to)
		// Sunday 22 12:00 to Monday 30 12:00: Mon–Fri 23–27 twice each, Mon 30 once.
		if len(got) != 11 || !got[0].Equal(ts(t, "2026-03-23T11:00:00+01:00")) {
			t.Errorf("got %d check-ins from %v, want 11 from 2026-03-23 11:00", len(got), got)
		}
	})

	t.Run("dst days", func(t *testing.T) {
		lh := zone(t, "Australia/Lord_Howe")
		p := dstSunday(lh, []Checkin{ci("01:45", 0), ci("02:15", 0)})
		got := p.CheckinsBetween(ts(t, "2026-04-04T23:00:00+11:00"), ts(t, "2026-04-05T06:00:00+10:30"))
		want := []time.Time{ts(t, "2026-04-05T01:45:00+11:00"), ts(t, "2026-04-05T02:15:00+10:30")}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("fall-back night: got %v, want %v", got, want)
		}
		got = p.CheckinsBetween(ts(t, "2026-10-03T23:00:00+10:30"), ts(t, "2026-10-04T06:00:00+11:00"))
		want = []time.Time{ts(t, "2026-10-04T01:45:00+10:30"), ts(t, "2026-10-04T02:45:00+11:00")}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Errorf("spring-forward night: got %v, want %v", got, want)
		}
	})
}

func TestNextCheckin(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	ny := zone(t, "America/New_York")
	night := Plan{Zone: ny}
	night.Week[time.Monday] = Day{Work: &Span{TimeOfDay{22, 0}, TimeOfDay{6, 0}}, Checkins: []Checkin{ci("02:00", time.Hour)}}
	tests := []struct {
		name   string
		plan   Plan
		now    string
		want   string
		window time.Duration
	}{
		{"later today", TwiceADay(berlin), "2026-03-30T11:00:00+02:00", "2026-03-30T16:00:00+02:00", 30 * time.Minute},
		{"over the weekend", TwiceADay(berlin), "2026-03-27T16:10:00+01:00", "2026-03-30T11:00:00+02:00", 30 * time.Minute},
		{"first of the day", ThreeTimesADay(berlin), "2026-03-31T06:00:00+02:00", "2026-03-31T09:00:00+02:00", 30 * time.Minute},
		{"night shift, default window filled in", night, "2026-06-01T12:00:00-04:00", "2026-06-02T02:00:00-04:00", time.Hour},
		{"night shift a week ahead", night, "2026-06-02T02:00:00-04:00", "2026-06-09T02:00:00-04:00", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, c, ok := tt.plan.NextCheckin(ts(t, tt.now))
			want := ts(t, tt.want)
			if !ok || !got.Equal(want) || c.Window.Duration != tt.window {
				t.Errorf("NextCheckin: got %s (window %v, ok %v), want %s (window %v)", fmtT(got, tt.plan.zone()), c.Window, ok, tt.want, Duration{tt.window})
			}
		})
	}
	def := Plan{Zone: berlin}
	def.Week[time.Tuesday] = Day{Work: &Span{TimeOfDay{9, 0}, TimeOfDay{17, 0}}, Checkins: []Checkin{{At: TimeOfDay{10, 0}}}}
	if _, c, _ := def.NextCheckin(ts(t, "2026-03-30T12:00:00+02:00")); c.Window.Duration != DefaultWindow {
		t.Errorf("NextCheckin with Window 0: got window %v, want %v", c.Window, Duration{DefaultWindow})
	}
}
