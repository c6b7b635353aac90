package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// statsWindow charts the last 7 or 30 days and lists what broke through,
// so the user can review the rules that let it in.
type statsWindow struct {
	u *UI
	w *window

	days   int
	status control.Status

	tiles    [5]*widget.Label
	captions [5]*widget.Label
	focus    *barChart
	held     *barChart
	wait     *barChart
	checkins *barChart
	replies  *replyStats // replies.go
	logBox   *fyne.Container
	msg      *widget.Label
	unsub    func()
}

func newStats(u *UI) *statsWindow { return &statsWindow{u: u, days: 7} }

func (s *statsWindow) title() string   { return "Stats — " + AppName }
func (s *statsWindow) size() fyne.Size { return fyne.NewSize(900, 720) }

func (s *statsWindow) build(w *window) fyne.CanvasObject {
	s.w = w
	period := widget.NewRadioGroup([]string{"Last 7 days", "Last 30 days"}, nil)
	period.Horizontal = true
	period.Required = true
	period.SetSelected("Last 7 days")
	period.OnChanged = func(v string) {
		s.days = 7
		if strings.Contains(v, "30") {
			s.days = 30
		}
		s.load()
	}
	captions := []string{"Focus kept", "Items held", "Breakthroughs", "Median wait", replyTileCaption}
	var tiles []fyne.CanvasObject
	for i, c := range captions {
		v := widget.NewLabelWithStyle("–", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		v.SizeName = theme.SizeNameHeadingText
		v.Truncation = fyne.TextTruncateEllipsis // five tiles fit a small screen
		s.tiles[i], s.captions[i] = v, note(c)
		tiles = append(tiles, container.NewVBox(v, s.captions[i]))
	}
	mins := axisMinutes
	s.focus = newBarChart("Focus kept", false, mins)
	s.focus.ceil = niceMinutes
	s.held = newBarChart("Held vs. urgent breakthroughs", false, trimFloat)
	s.held.ceil = niceCount
	s.wait = newBarChart("Median wait until release", false, mins)
	s.wait.ceil = niceMinutes
	s.checkins = newBarChart("Check-ins", true, trimFloat)
	s.checkins.ceil = niceCount
	s.replies = newReplyStats()
	s.logBox = container.NewVBox()
	s.msg = statusLabel()
	review := widget.NewButtonWithIcon("Review rules", theme.ListIcon(), func() {
		if win, err := s.u.Open(WindowSettings); err == nil && win != nil {
			if st, ok := s.u.windows[WindowSettings].page.(*settings); ok {
				st.showTab(TabRules)
			}
		}
	})
	s.unsub = s.u.onEvent(func(e gate.Event) {
		switch e.Kind {
		case gate.EventCheckin, gate.EventBreakthrough, gate.EventAnswered, eventReconnect:
			s.load()
		case eventTheme:
			for _, c := range []*barChart{s.focus, s.held, s.wait, s.checkins} {
				c.Refresh()
			}
			s.replies.refresh()
		}
	})
	head := container.NewBorder(nil, nil, heading("Your focus, in numbers"), period)
	charts := container.NewGridWithColumns(2, s.focus, s.held, s.wait, s.checkins, s.replies.share, s.replies.median)
	logSection := container.NewVBox(
		container.NewBorder(nil, nil, heading("What broke through"), review),
		note("Every urgent item that interrupted, and the rule that let it in. If something here could have waited, tighten that rule."),
		s.logBox)
	// The scroll bar is drawn over the content's right edge: keep the
	// charts' right-aligned legends clear of it.
	clearOfBar := layout.NewCustomPaddedLayout(0, 0, 0, theme.Size(theme.SizeNameScrollBar))
	return container.NewVScroll(container.NewPadded(container.New(clearOfBar, container.NewVBox(
		head, s.msg, container.NewGridWithColumns(5, tiles...), widget.NewSeparator(),
		charts, widget.NewSeparator(), logSection))))
}

func (s *statsWindow) closed() {
	if s.unsub != nil {
		s.unsub()
	}
}

func (s *statsWindow) load() {
	days := s.days
	var st control.Status
	var ds []gate.DayStats
	var broke []model.Item
	s.w.call(func(ctx context.Context) (err error) {
		if st, err = s.u.c.Status(ctx); err != nil {
			return err
		}
		if ds, err = s.u.c.Stats(ctx, days); err != nil {
			return err
		}
		for _, state := range []model.State{model.StateReleased, model.StateDone} {
			err := s.u.c.Each(ctx, state, "", func(it model.Item) error {
				if it.Breakthrough {
					broke = append(broke, it)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			setError(s.msg, "Could not load the stats: "+err.Error())
			return
		}
		setError(s.msg, "")
		s.status = st
		s.show(days, ds, broke)
		s.u.trace("stats loaded")
	})
}

// dayRange lists the n days ending today (in loc), oldest first, as the
// store names them.
func dayRange(now time.Time, loc *time.Location, n int) []string {
	now = now.In(loc)
	out := make([]string, n)
	for i := range n {
		out[n-1-i] = now.AddDate(0, 0, -i).Format(time.DateOnly)
	}
	return out
}

func (s *statsWindow) show(days int, ds []gate.DayStats, broke []model.Item) {
	loc := statusZone(s.status)
	now := s.u.now()
	names := dayRange(now, loc, days)
	byDay := map[string]gate.DayStats{}
	for _, d := range ds {
		byDay[d.Day] = d
	}
	labels := make([]string, len(names))
	vals := func() []float64 { return make([]float64, len(names)) }
	focus, held, urgent, wait := vals(), vals(), vals(), vals()
	onTime, late, early := vals(), vals(), vals()
	var allWaits []uint32
	var totalFocus, totalHeld, totalBroke int
	for i, name := range names {
		t, _ := time.ParseInLocation(time.DateOnly, name, loc)
		if days <= 7 {
			labels[i] = t.Format("Mon 2")
		} else {
			labels[i] = t.Format("2 Jan")
		}
		d := byDay[name]
		focus[i] = float64(d.FocusMinutes)
		held[i] = float64(d.Held)
		urgent[i] = float64(d.Breakthroughs)
		wait[i] = d.MedianWait().Minutes()
		onTime[i], late[i], early[i] = float64(d.CheckinsOnTime), float64(d.CheckinsLate), float64(d.CheckinsEarly)
		allWaits = append(allWaits, d.Waits...)
		totalFocus += d.FocusMinutes
		totalHeld += d.Held
		totalBroke += d.Breakthroughs
	}
	s.tiles[0].SetText(durationText(time.Duration(totalFocus) * time.Minute))
	if totalFocus == 0 {
		s.tiles[0].SetText("0 min")
	}
	s.tiles[1].SetText(strconv.Itoa(totalHeld))
	s.tiles[2].SetText(strconv.Itoa(totalBroke))
	s.tiles[3].SetText("–")
	if len(allWaits) > 0 {
		s.tiles[3].SetText(durationText(gate.DayStats{Waits: allWaits}.MedianWait()))
	}
	s.focus.set(labels, series{"Focus", focus})
	s.held.set(labels, series{"Held", held}, series{"Broke through", urgent})
	s.wait.set(labels, series{"Median wait", wait})
	s.checkins.set(labels, series{"On time", onTime}, series{"Late", late}, series{"Early (by hand)", early})
	period := make([]gate.DayStats, len(names))
	for i, name := range names {
		period[i] = byDay[name]
	}
	share, caption := s.replies.set(labels, period)
	s.tiles[4].SetText(share)
	s.captions[4].SetText(caption)

	// the breakthrough log, newest first, within the period
	from, _ := time.ParseInLocation(time.DateOnly, names[0], loc)
	broke = slices.DeleteFunc(broke, func(it model.Item) bool {
		t := it.Released
		if t.IsZero() {
			t = it.Ingested
		}
		return t.Before(from)
	})
	slices.SortFunc(broke, func(a, b model.Item) int { return b.Released.Compare(a.Released) })
	var rows []fyne.CanvasObject
	if len(broke) == 0 {
		rows = append(rows, note("Nothing broke through in this period."))
	}
	const maxRows = 100
	for i, it := range broke {
		if i == maxRows {
			rows = append(rows, note(fmt.Sprintf("… and %d more.", len(broke)-maxRows)))
			break
		}
		rows = append(rows, breakthroughRow(it, now, loc))
	}
	s.logBox.Objects = rows
	s.logBox.Refresh()
}

// breakthroughRow is one line of the breakthrough log.
func breakthroughRow(it model.Item, now time.Time, loc *time.Location) fyne.CanvasObject {
	when := widget.NewLabel(whenText(it.Released, now, loc))
	from := it.From()
	if from == "" {
		from = sourceName(it.Account)
	}
	what := oneLine(from + " — " + it.Subject)
	what.TextStyle = fyne.TextStyle{Bold: true}
	rule := it.Rule
	if rule == "" {
		rule = "urgent"
	}
	why := ""
	for i := len(it.Log) - 1; i >= 0; i-- {
		if t := it.Log[i].Text; strings.HasPrefix(t, "breakthrough: ") || strings.Contains(t, "urgent: ") {
			why = upperFirst(t)
			break
		}
	}
	if why == "" {
		why = "Let in by " + rule
	}
	whyL := oneLine(why)
	whyL.SizeName = theme.SizeNameCaptionText
	ruleL := widget.NewLabel(rule)
	ruleL.Importance = widget.WarningImportance
	return container.NewBorder(nil, nil, fixedWidth(110, when), ruleL,
		container.NewThemeOverride(container.NewVBox(what, whyL), compactTheme{}))
}

// axisMinutes writes minutes short for a chart axis: 0, 45m, 2h, 1.5h.
func axisMinutes(v float64) string {
	switch {
	case v <= 0:
		return "0"
	case v < 60:
		return trimFloat(v) + "m"
	default:
		return trimFloat(v/60) + "h"
	}
}

// trimFloat writes a number without a useless fraction: 3, 2.5.
func trimFloat(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
