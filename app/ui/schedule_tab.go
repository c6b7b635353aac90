package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/schedule"
)

// templateLabels name the rhythms as the windows offer them.
var templateLabels = []struct{ name, label, about string }{
	{"twice-a-day", "Twice a day", "Check-ins at 11:00 and 16:00; focus 09:00–11:00 and 13:30–15:30."},
	{"three-times-a-day", "Three times a day", "Check-ins at 09:00, 13:00 and 16:30; focus 09:30–12:30 and 14:00–16:30."},
	{"makers-day", "Maker's day", "Check-ins at 12:30 and 17:00; focus 09:00–12:30 and 13:30–17:00."},
	{"custom", "Custom", "Your own working hours, check-ins and focus blocks, day by day."},
}

func templateLabel(name string) string {
	for _, t := range templateLabels {
		if t.name == name {
			return t.label
		}
	}
	if name == "" {
		return templateLabels[0].label
	}
	return name
}

func templateName(label string) string {
	for _, t := range templateLabels {
		if t.label == label {
			return t.name
		}
	}
	return label
}

// weekOrder is the order days are shown in: Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func dayName(w time.Weekday) string  { return strings.ToLower(w.String()) }
func dayShort(w time.Weekday) string { return w.String()[:3] }

// cloneDay deep-copies a day, so that days never share a span or a slice.
func cloneDay(d schedule.Day) schedule.Day {
	out := schedule.Day{Checkins: slices.Clone(d.Checkins), Focus: slices.Clone(d.Focus)}
	if d.Work != nil {
		w := *d.Work
		out.Work = &w
	}
	return out
}

func emptyDay(d schedule.Day) bool { return d.Work == nil && len(d.Checkins) == 0 && len(d.Focus) == 0 }

// scheduleTab edits the weekly plan with a live 7-day preview.
type scheduleTab struct {
	s         *settings
	day       time.Weekday
	preview   *timeline
	dayEditor *fyne.Container
	vacBox    *fyne.Container
	rhythm    *widget.Select
	about     *widget.Label
	dayBtns   map[time.Weekday]*widget.Button
	moves     *widget.Label // the check-ins meetings move or skip, in words
}

// selectDay shows the editor of day w and marks its button.
func (t *scheduleTab) selectDay(w time.Weekday) {
	t.day = w
	for d, b := range t.dayBtns {
		if d == w {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	t.buildDay()
}

func newScheduleTab(s *settings) *scheduleTab {
	return &scheduleTab{s: s, day: time.Monday}
}

func (t *scheduleTab) build() fyne.CanvasObject {
	s := t.s
	sc := &s.cfg.Schedule
	t.preview = newTimeline()

	var labels []string
	for _, tl := range templateLabels {
		labels = append(labels, tl.label)
	}
	about := note("")
	t.about = about
	t.rhythm = widget.NewSelect(labels, nil)
	t.rhythm.SetSelected(templateLabel(sc.Template))
	for _, tl := range templateLabels {
		if tl.name == sc.Template || (sc.Template == "" && tl.name == "twice-a-day") {
			about.SetText(tl.about)
		}
	}
	t.rhythm.OnChanged = func(label string) { t.setTemplate(templateName(label), about) }

	zone := widget.NewEntry()
	zone.SetText(sc.Zone)
	sys := systemZone()
	if sys == "" {
		sys = "this computer's"
	}
	zone.SetPlaceHolder("This computer's zone (" + sys + ")")
	zone.OnChanged = func(v string) {
		s.cfg.Schedule.Zone = strings.TrimSpace(v)
		s.changed()
	}

	rhythmBox := section("Rhythm", "Start from a template and shape it day by day below.",
		labelled("Template", t.rhythm), about,
		labelled("Time zone", zone), s.fe.slot("schedule.zone", "schedule.template"))

	// The days are a row of small buttons (a radio group would make the
	// tab wider than small screens).
	t.dayBtns = map[time.Weekday]*widget.Button{}
	var dayRow []fyne.CanvasObject
	for _, w := range weekOrder {
		b := widget.NewButton(dayShort(w), func() { t.selectDay(w) })
		t.dayBtns[w] = b
		dayRow = append(dayRow, b)
	}
	daySel := container.NewHBox(dayRow...)
	t.dayEditor = container.NewVBox()
	t.selectDay(t.day)
	weekBox := section("Week", "Working hours, check-ins and focus blocks of each day. Check-ins must lie within working hours.",
		daySel, s.fe.slot("schedule.days"), t.dayEditor)

	t.moves = note("")
	t.moves.Hide()
	previewBox := section("Next 7 days", "What Sluice will do, as you edit. Off-hours and time between check-ins are held; check-in windows deliver live; during focus and meetings only urgent items come through.",
		t.preview, timelineLegend(), t.moves)

	t.vacBox = container.NewVBox()
	t.buildVacations()
	vacAdd := widget.NewButtonWithIcon("Add vacation", theme.ContentAddIcon(), func() {
		today := schedule.DateOf(s.u.now())
		s.cfg.Schedule.Vacations = append(s.cfg.Schedule.Vacations, schedule.DateRange{From: today.AddDays(7), To: today.AddDays(13)})
		t.buildVacations()
		s.changed()
	})
	vacBox := section("Vacations", "Everything is held for these days (inclusive); no check-ins happen.", t.vacBox, container.NewHBox(vacAdd))

	urgentBox := t.urgentSection()
	calendarBox := t.calendarSection()

	left := container.NewVBox(weekBox, widget.NewSeparator(), calendarBox)
	right := container.NewVBox(rhythmBox, widget.NewSeparator(), vacBox, widget.NewSeparator(), urgentBox,
		widget.NewSeparator(), t.repliesSection())
	// The preview is drawn by settings.changed, once the working copy is
	// compiled.
	return container.NewVScroll(container.NewPadded(container.NewVBox(
		previewBox,
		widget.NewSeparator(),
		container.NewGridWithColumns(2, left, right),
	)))
}

func (t *scheduleTab) urgentSection() fyne.CanvasObject {
	s := t.s
	budget := widget.NewEntry()
	budget.SetText(strconv.Itoa(s.cfg.Urgent.BudgetPerHour))
	budget.OnChanged = func(v string) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			s.setParse("urgent.budget_per_hour", fmt.Sprintf("%q is not a number", v))
		} else {
			s.setParse("urgent.budget_per_hour", "")
			s.cfg.Urgent.BudgetPerHour = n
		}
		s.changed()
	}
	offOpts := []string{"Wait for the next check-in", "Come through"}
	offSel := offOpts[0]
	if s.cfg.Urgent.OffHours == "deliver" {
		offSel = offOpts[1]
	}
	off := newSelect(offOpts, offSel, func(v string) {
		if v == offOpts[1] {
			s.cfg.Urgent.OffHours = "deliver"
		} else {
			s.cfg.Urgent.OffHours = "hold"
		}
		s.changed()
	})
	return section("Urgent items", "Urgent items (VIPs, urgent keywords, the urgent channel) break through focus, at most this many an hour.",
		labelled("Per hour, at most", container.NewHBox(fixedWidth(70, budget), widget.NewLabel("breakthroughs"))),
		s.fe.slot("urgent.budget_per_hour"),
		labelled("Outside working hours", off),
		s.fe.slot("urgent.off_hours"))
}

// calendarSection holds the switches for how meetings shape the day and
// the publishing of focus blocks.
func (t *scheduleTab) calendarSection() fyne.CanvasObject {
	s := t.s
	c := &s.cfg.Calendar
	move := newCheck("Move check-ins out of meetings", c.MoveCheckins, func(on bool) {
		s.cfg.Calendar.MoveCheckins = on
		s.changed()
	})
	hold := newCheck("Hold during meetings", c.HoldInMeetings, func(on bool) {
		s.cfg.Calendar.HoldInMeetings = on
		s.changed()
	})
	allDay := newCheck("Count busy all-day events", c.AllDayBusy, func(on bool) {
		s.cfg.Calendar.AllDayBusy = on
		s.changed()
	})
	var davs []string
	for _, a := range s.cfg.Accounts {
		if a.Kind == "caldav" {
			davs = append(davs, a.Name)
		}
	}
	account := newSelect(davs, c.PublishAccount, func(v string) {
		s.cfg.Calendar.PublishAccount = v
		s.changed()
	})
	account.PlaceHolder = "(a CalDAV account)"
	cal := widget.NewEntry()
	cal.SetText(c.PublishCalendar)
	cal.SetPlaceHolder("Calendar name, e.g. Work")
	cal.OnChanged = func(v string) {
		s.cfg.Calendar.PublishCalendar = strings.TrimSpace(v)
		s.changed()
	}
	publish := newCheck("Publish focus blocks as busy", c.PublishFocus, func(on bool) {
		s.cfg.Calendar.PublishFocus = on
		if on {
			account.Enable()
			cal.Enable()
		} else {
			account.Disable()
			cal.Disable()
		}
		s.changed()
	})
	if !c.PublishFocus {
		account.Disable()
		cal.Disable()
	}
	status := note("")
	if p := t.s.calendar.Publish; p.On && p.Error != "" {
		status.SetText("Last attempt failed: " + p.Error)
	} else if p.On {
		status.SetText(fmt.Sprintf("%s on %s ▸ %s now.", plural(len(p.Blocks), "focus block", "focus blocks"), p.Account, p.Calendar))
	} else {
		status.Hide()
	}
	hint := "Add a calendar on the Accounts tab: its meetings then shape the day."
	if n := len(t.s.calendar.Busy); n > 0 {
		hint = fmt.Sprintf("Your calendars have %s in the next two weeks. Free, cancelled and declined events never count.", plural(n, "meeting", "meetings"))
	}
	return section("Meetings", hint,
		move, hold, allDay,
		note("A check-in inside a meeting moves to the meeting's end, or is skipped when the meeting outlasts the working day. During a meeting only urgent items come through."),
		widget.NewSeparator(),
		publish,
		labelled("Account", account), s.fe.slot("calendar.publish_account"),
		labelled("Calendar", cal), s.fe.slot("calendar.publish_calendar", "calendar.publish_focus"),
		note("Sluice writes the week's blocks as busy \"Focus — Sluice\" events, updates them when the schedule changes, and removes only its own when this is turned off."),
		status)
}

// setTemplate switches to a template's week (or, for custom, keeps the
// week as it is, now owned by the user).
func (t *scheduleTab) setTemplate(name string, about *widget.Label) {
	sc := &t.s.cfg.Schedule
	for _, tl := range templateLabels {
		if tl.name == name {
			about.SetText(tl.about)
		}
	}
	if name == "custom" {
		t.materialise()
	} else {
		sc.Template = name
		sc.Days = nil
	}
	t.buildDay()
	t.s.changed()
}

// week is the plan's week as the working copy describes it.
func (t *scheduleTab) week() [7]schedule.Day {
	sc := t.s.cfg.Schedule
	if len(sc.Days) == 0 {
		name := sc.Template
		if name == "" || name == "custom" {
			name = "twice-a-day"
		}
		p, err := schedule.Template(name, time.UTC)
		if err != nil {
			return [7]schedule.Day{}
		}
		return p.Week
	}
	var wk [7]schedule.Day
	for w := time.Sunday; w <= time.Saturday; w++ {
		if d, ok := sc.Days[dayName(w)]; ok {
			wk[w] = d
		}
	}
	return wk
}

// materialise writes the template's week into Days so it can be edited:
// from then on the schedule is the user's own ("custom").
func (t *scheduleTab) materialise() {
	sc := &t.s.cfg.Schedule
	if len(sc.Days) == 0 {
		wk := t.week()
		sc.Days = map[string]schedule.Day{}
		for w := time.Sunday; w <= time.Saturday; w++ {
			if !emptyDay(wk[w]) {
				sc.Days[dayName(w)] = cloneDay(wk[w])
			}
		}
	}
	sc.Template = "custom"
	if t.rhythm != nil && t.rhythm.Selected != templateLabel("custom") {
		cb := t.rhythm.OnChanged
		t.rhythm.OnChanged = nil
		t.rhythm.SetSelected(templateLabel("custom"))
		t.rhythm.OnChanged = cb
		t.about.SetText(templateLabels[len(templateLabels)-1].about)
	}
}

// editDay changes one day of the working copy.
func (t *scheduleTab) editDay(w time.Weekday, fn func(d *schedule.Day)) {
	t.materialise()
	sc := &t.s.cfg.Schedule
	d := cloneDay(sc.Days[dayName(w)])
	fn(&d)
	if emptyDay(d) {
		delete(sc.Days, dayName(w))
	} else {
		sc.Days[dayName(w)] = d
	}
}

// clockEntry is an entry for a time of day; a value that is not a time is
// reported next to the field and keeps Save off.
func (t *scheduleTab) clockEntry(path string, c schedule.TimeOfDay, set func(schedule.TimeOfDay)) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(c.String())
	e.SetPlaceHolder("HH:MM")
	e.OnChanged = func(v string) {
		c, err := schedule.ParseTimeOfDay(v)
		if err != nil {
			t.s.setParse(path, err.Error())
		} else {
			t.s.setParse(path, "")
			set(c)
		}
		t.s.changed()
	}
	return e
}

// buildDay lays out the editor of the selected day.
func (t *scheduleTab) buildDay() {
	if t.dayEditor == nil {
		return
	}
	w := t.day
	base := "schedule.days." + dayName(w)
	t.s.dropParse("schedule.days.") // one day's editor exists at a time
	d := t.week()[w]
	rows := t.workRows(w, d, base)
	rows = append(rows, t.checkinRows(w, d, base)...)
	rows = append(rows, t.focusRows(w, d, base)...)
	rows = append(rows, t.copyRow(w)...)
	t.dayEditor.Objects = rows
	t.dayEditor.Refresh()
}

// workRows edit the day's working hours.
func (t *scheduleTab) workRows(w time.Weekday, d schedule.Day, base string) []fyne.CanvasObject {
	s := t.s
	workPath := base + ".work"
	var start, end *widget.Entry
	workOn := widget.NewCheck("Working day", nil)
	workOn.SetChecked(d.Work != nil)
	startClock, endClock := schedule.TimeOfDay{Hour: 9}, schedule.TimeOfDay{Hour: 17, Minute: 30}
	if d.Work != nil {
		startClock, endClock = d.Work.Start, d.Work.End
	}
	start = t.clockEntry(workPath+".start", startClock, func(c schedule.TimeOfDay) {
		t.editDay(w, func(d *schedule.Day) {
			if d.Work != nil {
				d.Work.Start = c
			}
		})
	})
	end = t.clockEntry(workPath+".end", endClock, func(c schedule.TimeOfDay) {
		t.editDay(w, func(d *schedule.Day) {
			if d.Work != nil {
				d.Work.End = c
			}
		})
	})
	if d.Work == nil {
		start.Disable()
		end.Disable()
	}
	workOn.OnChanged = func(on bool) {
		t.editDay(w, func(d *schedule.Day) {
			if on {
				sc, _ := schedule.ParseTimeOfDay(start.Text)
				ec, _ := schedule.ParseTimeOfDay(end.Text)
				d.Work = &schedule.Span{Start: sc, End: ec}
			} else {
				d.Work = nil
				d.Checkins = nil
			}
		})
		t.buildDay()
		s.changed()
	}
	workRow := container.NewHBox(workOn, widget.NewLabel("from"), fixedWidth(76, start), widget.NewLabel("to"), fixedWidth(76, end))
	return []fyne.CanvasObject{workRow, s.fe.slot(workPath, workPath+".start", workPath+".end")}
}

// checkinRows edit the day's check-ins: a time and a window each.
func (t *scheduleTab) checkinRows(w time.Weekday, d schedule.Day, base string) []fyne.CanvasObject {
	s := t.s
	rows := []fyne.CanvasObject{heading("Check-ins")}
	if len(d.Checkins) == 0 {
		msg := "No check-ins on this day."
		if d.Work == nil {
			msg = "Check-ins happen on working days only."
		}
		rows = append(rows, note(msg))
	}
	for i, c := range d.Checkins {
		path := fmt.Sprintf("%s.checkins[%d]", base, i+1)
		at := t.clockEntry(path+".at", c.At, func(v schedule.TimeOfDay) {
			t.editDay(w, func(d *schedule.Day) { d.Checkins[i].At = v })
		})
		win := widget.NewEntry()
		mins := c.Window.Duration / time.Minute
		if mins == 0 {
			mins = schedule.DefaultWindow / time.Minute
		}
		win.SetText(strconv.Itoa(int(mins)))
		win.OnChanged = func(v string) {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n <= 0 {
				s.setParse(path+".window", fmt.Sprintf("%q is not a number of minutes", v))
			} else {
				s.setParse(path+".window", "")
				t.editDay(w, func(d *schedule.Day) {
					d.Checkins[i].Window = schedule.Duration{Duration: time.Duration(n) * time.Minute}
				})
			}
			s.changed()
		}
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			t.editDay(w, func(d *schedule.Day) { d.Checkins = slices.Delete(d.Checkins, i, i+1) })
			t.buildDay()
			s.changed()
		})
		del.Importance = widget.LowImportance
		rows = append(rows,
			container.NewHBox(widget.NewLabel("at"), fixedWidth(76, at), widget.NewLabel("window"), fixedWidth(60, win), widget.NewLabel("min"), del),
			s.fe.slot(path, path+".at", path+".window"))
	}
	addCheckin := widget.NewButtonWithIcon("Add check-in", theme.ContentAddIcon(), func() {
		t.editDay(w, func(d *schedule.Day) {
			at := schedule.TimeOfDay{Hour: 12}
			if d.Work != nil {
				at = d.Work.Start
			}
			if n := len(d.Checkins); n > 0 {
				last := d.Checkins[n-1].At
				at = schedule.TimeOfDay{Hour: min(last.Hour+2, 23), Minute: last.Minute}
			}
			d.Checkins = append(d.Checkins, schedule.Checkin{At: at, Window: schedule.Duration{Duration: schedule.DefaultWindow}})
		})
		t.buildDay()
		s.changed()
	})
	if d.Work == nil {
		addCheckin.Disable()
	}
	rows = append(rows, container.NewHBox(addCheckin))
	return rows
}

// focusRows edit the day's focus blocks.
func (t *scheduleTab) focusRows(w time.Weekday, d schedule.Day, base string) []fyne.CanvasObject {
	s := t.s
	rows := []fyne.CanvasObject{heading("Focus blocks")}
	if len(d.Focus) == 0 {
		rows = append(rows, note("No focus blocks on this day."))
	}
	for i, f := range d.Focus {
		path := fmt.Sprintf("%s.focus[%d]", base, i+1)
		from := t.clockEntry(path+".start", f.Start, func(v schedule.TimeOfDay) {
			t.editDay(w, func(d *schedule.Day) { d.Focus[i].Start = v })
		})
		to := t.clockEntry(path+".end", f.End, func(v schedule.TimeOfDay) {
			t.editDay(w, func(d *schedule.Day) { d.Focus[i].End = v })
		})
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			t.editDay(w, func(d *schedule.Day) { d.Focus = slices.Delete(d.Focus, i, i+1) })
			t.buildDay()
			s.changed()
		})
		del.Importance = widget.LowImportance
		rows = append(rows,
			container.NewHBox(widget.NewLabel("from"), fixedWidth(76, from), widget.NewLabel("to"), fixedWidth(76, to), del),
			s.fe.slot(path, path+".start", path+".end"))
	}
	addFocus := widget.NewButtonWithIcon("Add focus block", theme.ContentAddIcon(), func() {
		t.editDay(w, func(d *schedule.Day) {
			span := schedule.Span{Start: schedule.TimeOfDay{Hour: 9}, End: schedule.TimeOfDay{Hour: 11}}
			if n := len(d.Focus); n > 0 {
				last := d.Focus[n-1].End
				span = schedule.Span{Start: schedule.TimeOfDay{Hour: min(last.Hour+1, 22), Minute: last.Minute}, End: schedule.TimeOfDay{Hour: min(last.Hour+3, 23), Minute: last.Minute}}
			}
			d.Focus = append(d.Focus, span)
		})
		t.buildDay()
		s.changed()
	})
	rows = append(rows, container.NewHBox(addFocus))
	return rows
}

// copyRow copies the day to the other working days.
func (t *scheduleTab) copyRow(w time.Weekday) []fyne.CanvasObject {
	s := t.s
	copyBtn := widget.NewButtonWithIcon(fmt.Sprintf("Copy %s to Monday–Friday", w), theme.ContentCopyIcon(), func() {
		src := t.week()[w]
		for _, o := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
			if o != w {
				t.editDay(o, func(d *schedule.Day) { *d = cloneDay(src) })
			}
		}
		s.info.SetText(fmt.Sprintf("Copied %s to Monday–Friday.", w))
		s.changed()
	})
	return []fyne.CanvasObject{widget.NewSeparator(), container.NewHBox(copyBtn)}
}

// buildVacations lays out the vacation rows.
func (t *scheduleTab) buildVacations() {
	s := t.s
	s.dropParse("schedule.vacations")
	var rows []fyne.CanvasObject
	if len(s.cfg.Schedule.Vacations) == 0 {
		rows = append(rows, note("No vacations planned."))
	}
	for i, v := range s.cfg.Schedule.Vacations {
		path := fmt.Sprintf("schedule.vacations[%d]", i+1)
		date := func(sub string, d schedule.Date, set func(schedule.Date)) *widget.Entry {
			e := widget.NewEntry()
			e.SetText(d.String())
			e.SetPlaceHolder("YYYY-MM-DD")
			e.OnChanged = func(val string) {
				d, err := schedule.ParseDate(val)
				if err != nil {
					s.setParse(path+sub, err.Error())
				} else {
					s.setParse(path+sub, "")
					set(d)
				}
				s.changed()
			}
			return e
		}
		from := date(".from", v.From, func(d schedule.Date) { s.cfg.Schedule.Vacations[i].From = d })
		to := date(".to", v.To, func(d schedule.Date) { s.cfg.Schedule.Vacations[i].To = d })
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			s.cfg.Schedule.Vacations = slices.Delete(s.cfg.Schedule.Vacations, i, i+1)
			if len(s.cfg.Schedule.Vacations) == 0 {
				s.cfg.Schedule.Vacations = nil
			}
			t.buildVacations()
			s.changed()
		})
		del.Importance = widget.LowImportance
		rows = append(rows,
			container.NewHBox(widget.NewLabel("from"), fixedWidth(110, from), widget.NewLabel("to"), fixedWidth(110, to), del),
			s.fe.slot(path, path+".from", path+".to"))
	}
	t.vacBox.Objects = rows
	t.vacBox.Refresh()
}

// refreshPreview redraws the 7-day preview from the working copy.
func (t *scheduleTab) refreshPreview() {
	if t.preview == nil {
		return
	}
	for p := range t.s.parse {
		if strings.HasPrefix(p, "schedule") {
			t.preview.setEmpty("Fix the times marked in red to see the preview.")
			return
		}
	}
	if t.s.compiled.Plan == nil {
		t.preview.setEmpty("Fix the schedule's problems (marked in red) to see the preview.")
		return
	}
	p := *t.s.compiled.Plan
	p.Busy = t.s.calendar.Busy
	days := p.Preview(t.s.u.now(), 7)
	t.preview.setLines(previewLines(days, t.s.calendar.Publish.Blocks))
	t.showMoves(p, days)
}

// showMoves lists, under the preview, the check-ins that meetings move
// or skip in the coming week.
func (t *scheduleTab) showMoves(p schedule.Plan, days []schedule.PreviewDay) {
	if t.moves == nil {
		return
	}
	loc := p.Zone
	if loc == nil {
		loc = time.Local
	}
	var lines []string
	for _, d := range days {
		for _, c := range d.Checkins {
			if c.Moved || c.Skipped {
				lines = append(lines, c.Planned.In(loc).Format("Mon")+" "+c.Words(loc))
			}
		}
	}
	if len(lines) == 0 {
		t.moves.Hide()
		return
	}
	t.moves.SetText("Meetings move check-ins (a faint tick marks where one was): " + strings.Join(lines, "; ") + ".")
	t.moves.Show()
}
