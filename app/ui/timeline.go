package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

// segment is part of a day in one mode, in minutes after the day's
// midnight ([From, To)); a day lasts DayLen minutes (1380 or 1500 on DST days).
type segment struct {
	From, To int
	Mode     model.Mode
}

// span is a stretch of a day in minutes after its midnight, [From, To).
type span struct {
	From, To int
	Title    string
}

// tick is a check-in on the preview, in minutes after midnight. A moved
// check-in also has the minute it was planned at; a skipped one happens
// nowhere and is drawn hollow at its planned minute.
type tick struct {
	At, Planned    int
	Moved, Skipped bool
}

// dayLine is one day of the preview.
type dayLine struct {
	Date      schedule.Date
	Label     string // "Mon 3"
	DayLen    int
	Segs      []segment
	Checkins  []tick
	Meetings  []span // meetings that count, clipped to the day
	Published []span // focus blocks that are on the user's calendar
}

// previewLines turns the schedule's preview (the modes the plan gives, day
// by day, with its meetings and the check-ins they move) and the focus
// blocks published to a calendar into lines to draw. The preview comes
// from the schedule's own Preview, so it shows exactly what the gate will
// do and what `sluice schedule` prints.
func previewLines(preview []schedule.PreviewDay, published []model.Busy) []dayLine {
	lines := make([]dayLine, 0, len(preview))
	for _, d := range preview {
		minute := func(t time.Time) int {
			m := int(t.Sub(d.Start) / time.Minute)
			return min(max(m, 0), int(d.End.Sub(d.Start)/time.Minute))
		}
		dl := dayLine{Date: d.Date, DayLen: minute(d.End), Label: d.Start.Format("Mon 2")}
		for _, sg := range d.Segments {
			if from, to := minute(sg.Start), minute(sg.End); to > from {
				dl.Segs = append(dl.Segs, segment{From: from, To: to, Mode: sg.Mode})
			}
		}
		for _, c := range d.Checkins {
			tk := tick{Planned: minute(c.Planned), Moved: c.Moved, Skipped: c.Skipped}
			tk.At = tk.Planned
			if !c.Skipped {
				tk.At = minute(c.At)
			}
			dl.Checkins = append(dl.Checkins, tk)
		}
		for _, m := range d.Meetings {
			dl.Meetings = append(dl.Meetings, span{From: minute(m.Start), To: minute(m.End), Title: m.Title})
		}
		for _, b := range published {
			if b.Start.Before(d.End) && b.End.After(d.Start) {
				dl.Published = append(dl.Published, span{From: minute(b.Start), To: minute(b.End)})
			}
		}
		lines = append(lines, dl)
	}
	return lines
}

// timeline draws the 7-day preview: one bar per day from midnight to
// midnight, coloured by mode, with a tick at every check-in.
type timeline struct {
	widget.BaseWidget
	lines []dayLine
	empty string // shown instead of the bars (e.g. while the schedule has errors)
}

func newTimeline() *timeline {
	t := &timeline{}
	t.ExtendBaseWidget(t)
	return t
}

// setLines shows new lines and redraws.
func (t *timeline) setLines(lines []dayLine) {
	t.lines, t.empty = lines, ""
	t.Refresh()
}

// setEmpty replaces the bars with a message.
func (t *timeline) setEmpty(msg string) {
	t.lines, t.empty = nil, msg
	t.Refresh()
}

const (
	tlLabelW = 64
	tlRowH   = 20
	tlGap    = 6
	tlAxisH  = 18
)

// CreateRenderer implements fyne.Widget.
func (t *timeline) CreateRenderer() fyne.WidgetRenderer {
	r := &timelineRenderer{t: t}
	r.rebuild()
	return r
}

type timelineRenderer struct {
	t       *timeline
	objects []fyne.CanvasObject
	size    fyne.Size
	// layout hooks: each places one object for a size
	place []func(fyne.Size)
}

// Destroy implements fyne.WidgetRenderer.
func (r *timelineRenderer) Destroy() {}

// Objects implements fyne.WidgetRenderer.
func (r *timelineRenderer) Objects() []fyne.CanvasObject { return r.objects }

// MinSize implements fyne.WidgetRenderer.
func (r *timelineRenderer) MinSize() fyne.Size {
	n := max(len(r.t.lines), 7)
	return fyne.NewSize(tlLabelW+240, tlAxisH+float32(n)*(tlRowH+tlGap))
}

// Layout implements fyne.WidgetRenderer.
func (r *timelineRenderer) Layout(size fyne.Size) {
	r.size = size
	for _, p := range r.place {
		p(size)
	}
}

// Refresh implements fyne.WidgetRenderer: it rebuilds the drawing from the
// data and the current theme.
func (r *timelineRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.t.Size())
	canvas.Refresh(r.t)
}

func (r *timelineRenderer) add(o fyne.CanvasObject, place func(fyne.Size)) {
	r.objects = append(r.objects, o)
	r.place = append(r.place, place)
}

func (r *timelineRenderer) rebuild() {
	r.objects, r.place = nil, nil
	if r.t.empty != "" {
		r.addEmpty()
		return
	}
	r.addHourAxis()
	for i, dl := range r.t.lines {
		y := float32(tlAxisH + i*(tlRowH+tlGap))
		dayLen := float32(max(dl.DayLen, 1))
		r.addDay(i, dl, y, dayLen)
		r.addMeetings(dl, y, dayLen)
		r.addPublished(dl, y, dayLen)
		r.addCheckins(dl, y, dayLen)
	}
}

// tlBarX is where the day bars lie across a timeline of that size: right
// of the day labels, with a margin on the right that keeps "24:00" clear
// of a scroll bar.
func tlBarX(s fyne.Size) (x0, w float32) { return tlLabelW, max(s.Width-tlLabelW-16, 10) }

// addEmpty says why there is no timeline.
func (r *timelineRenderer) addEmpty() {
	msg := canvas.NewText(r.t.empty, theme.Color(theme.ColorNamePlaceHolder))
	msg.TextSize = theme.Size(theme.SizeNameText)
	msg.Alignment = fyne.TextAlignCenter
	r.add(msg, func(s fyne.Size) {
		msg.Resize(fyne.NewSize(s.Width, tlRowH))
		msg.Move(fyne.NewPos(0, s.Height/2-tlRowH/2))
	})
}

// addHourAxis labels the hours along the top, with a grid line down from
// each.
func (r *timelineRenderer) addHourAxis() {
	dim := theme.Color(theme.ColorNamePlaceHolder)
	for _, h := range []int{0, 6, 9, 12, 15, 18, 24} {
		lbl := canvas.NewText(fmt.Sprintf("%02d:00", h%24), dim)
		if h == 24 {
			lbl.Text = "24:00"
		}
		lbl.TextSize = theme.Size(theme.SizeNameCaptionText)
		frac := float32(h) / 24
		r.add(lbl, func(s fyne.Size) {
			x0, w := tlBarX(s)
			ts := lbl.MinSize()
			x := x0 + frac*w - ts.Width/2
			x = min(max(x, x0), x0+w-ts.Width)
			lbl.Move(fyne.NewPos(x, 0))
			lbl.Resize(ts)
		})
		grid := canvas.NewLine(dim)
		grid.StrokeWidth = 1
		r.add(grid, func(s fyne.Size) {
			x0, w := tlBarX(s)
			x := x0 + frac*w
			grid.Position1 = fyne.NewPos(x, tlAxisH-2)
			grid.Position2 = fyne.NewPos(x, s.Height)
		})
	}
}

// addDay draws a day's label (today's in bold) and its bar, a segment
// per mode.
func (r *timelineRenderer) addDay(i int, dl dayLine, y, dayLen float32) {
	lbl := canvas.NewText(dl.Label, theme.Color(theme.ColorNameForeground))
	lbl.TextSize = theme.Size(theme.SizeNameText)
	if i == 0 {
		lbl.TextStyle = fyne.TextStyle{Bold: true}
	}
	r.add(lbl, func(fyne.Size) {
		lbl.Move(fyne.NewPos(0, y+(tlRowH-lbl.MinSize().Height)/2))
		lbl.Resize(lbl.MinSize())
	})
	for _, sg := range dl.Segs {
		rect := canvas.NewRectangle(modeColor(sg.Mode))
		from, to := float32(sg.From)/dayLen, float32(sg.To)/dayLen
		r.add(rect, func(s fyne.Size) {
			x0, w := tlBarX(s)
			rect.Move(fyne.NewPos(x0+from*w, y))
			rect.Resize(fyne.NewSize(max((to-from)*w, 1), tlRowH))
		})
	}
}

// addMeetings draws meetings as a band over the lower half of the bar,
// whatever the mode (they may not hold, but they still move check-ins).
func (r *timelineRenderer) addMeetings(dl dayLine, y, dayLen float32) {
	for _, m := range dl.Meetings {
		band := canvas.NewRectangle(meetingColor())
		from, to := float32(m.From)/dayLen, float32(m.To)/dayLen
		r.add(band, func(s fyne.Size) {
			x0, w := tlBarX(s)
			band.Move(fyne.NewPos(x0+from*w, y+tlRowH/2))
			band.Resize(fyne.NewSize(max((to-from)*w, 2), tlRowH/2))
		})
	}
}

// addPublished draws the focus blocks on the user's calendar as a line
// just above the bar.
func (r *timelineRenderer) addPublished(dl dayLine, y, dayLen float32) {
	for _, b := range dl.Published {
		line := canvas.NewRectangle(publishedColor())
		from, to := float32(b.From)/dayLen, float32(b.To)/dayLen
		r.add(line, func(s fyne.Size) {
			x0, w := tlBarX(s)
			line.Move(fyne.NewPos(x0+from*w, y-4))
			line.Resize(fyne.NewSize(max((to-from)*w, 2), 3))
		})
	}
}

// addCheckins draws a tick per check-in; a moved one also gets a faint
// tick where it was planned and a line to where the meeting moved it, a
// skipped one a hollow tick.
func (r *timelineRenderer) addCheckins(dl dayLine, y, dayLen float32) {
	for _, c := range dl.Checkins {
		frac := float32(c.At) / dayLen
		if c.Moved {
			was := float32(c.Planned) / dayLen
			ghost := canvas.NewRectangle(dimmed(checkinColor()))
			r.add(ghost, func(s fyne.Size) {
				x0, w := tlBarX(s)
				ghost.Move(fyne.NewPos(x0+was*w-1, y-2))
				ghost.Resize(fyne.NewSize(2, tlRowH+4))
			})
			arrow := canvas.NewLine(checkinColor())
			arrow.StrokeWidth = 1.5
			r.add(arrow, func(s fyne.Size) {
				x0, w := tlBarX(s)
				arrow.Position1 = fyne.NewPos(x0+was*w, y+tlRowH+3)
				arrow.Position2 = fyne.NewPos(x0+frac*w, y+tlRowH+3)
			})
		}
		if c.Skipped {
			hollow := canvas.NewRectangle(color.Transparent)
			hollow.StrokeColor = checkinColor()
			hollow.StrokeWidth = 1
			r.add(hollow, func(s fyne.Size) {
				x0, w := tlBarX(s)
				hollow.Move(fyne.NewPos(x0+frac*w-2, y-2))
				hollow.Resize(fyne.NewSize(5, tlRowH+4))
			})
			continue
		}
		tk := canvas.NewRectangle(checkinColor())
		r.add(tk, func(s fyne.Size) {
			x0, w := tlBarX(s)
			tk.Move(fyne.NewPos(x0+frac*w-1, y-2))
			tk.Resize(fyne.NewSize(3, tlRowH+4))
		})
	}
}

// timelineLegend explains the preview's colours and marks.
func timelineLegend() fyne.CanvasObject {
	item := func(c color.Color, text string) fyne.CanvasObject {
		l := widget.NewLabel(text)
		l.SizeName = theme.SizeNameCaptionText
		return container.NewHBox(swatch(c), l)
	}
	return container.NewVBox(
		container.NewHBox(
			item(modeColor(model.ModeFocus), "Focus"),
			item(modeColor(model.ModeMeeting), "In a meeting, held"),
			item(modeColor(model.ModeWindow), "Check-in window"),
			item(modeColor(model.ModeBetween), "Working, held"),
			item(modeColor(model.ModeOffHours), "Off-hours"),
			item(modeColor(model.ModeVacation), "Vacation"),
		),
		container.NewHBox(
			item(checkinColor(), "Check-in"),
			item(meetingColor(), "Meeting"),
			item(publishedColor(), "Focus on your calendar"),
		),
	)
}
