package ui

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// series is one row of values in a chart.
type series struct {
	name   string
	values []float64
}

// barChart draws bars per day with Fyne's canvas: grouped side by side, or
// stacked. It keeps no state but its data, and redraws from it on Refresh
// (so it follows a theme change).
type barChart struct {
	widget.BaseWidget
	title   string
	labels  []string // one per day
	series  []series
	stacked bool
	format  func(float64) string  // axis and total labels
	ceil    func(float64) float64 // the axis' top for the tallest bar (nil: 1, 2 or 5 × 10ⁿ)
	empty   string                // shown when every value is 0
}

func newBarChart(title string, stacked bool, format func(float64) string) *barChart {
	c := &barChart{title: title, stacked: stacked, format: format, empty: "No data yet"}
	c.ExtendBaseWidget(c)
	return c
}

// set replaces the data and redraws.
func (c *barChart) set(labels []string, s ...series) {
	c.labels, c.series = labels, s
	c.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (c *barChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.rebuild()
	return r
}

type chartRenderer struct {
	c       *barChart
	objects []fyne.CanvasObject
	place   []func(fyne.Size)
}

// Destroy implements fyne.WidgetRenderer.
func (r *chartRenderer) Destroy() {}

// Objects implements fyne.WidgetRenderer.
func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

// MinSize implements fyne.WidgetRenderer.
func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(300, 190) }

// Layout implements fyne.WidgetRenderer.
func (r *chartRenderer) Layout(size fyne.Size) {
	for _, p := range r.place {
		p(size)
	}
}

// Refresh implements fyne.WidgetRenderer: it rebuilds the drawing from the
// data and the current theme.
func (r *chartRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) add(o fyne.CanvasObject, place func(fyne.Size)) {
	r.objects = append(r.objects, o)
	r.place = append(r.place, place)
}

// maxValue is the tallest bar (or stack).
func (c *barChart) maxValue() float64 {
	m := 0.0
	for d := range c.labels {
		total := 0.0
		for _, s := range c.series {
			if d < len(s.values) {
				if c.stacked {
					total += s.values[d]
				} else {
					total = math.Max(total, s.values[d])
				}
			}
		}
		m = math.Max(m, total)
	}
	return m
}

// niceMinutes rounds minutes up to a duration that halves evenly: 10m,
// 30m, 1h, 2h, 4h, 6h, 8h, 12h, 24h, then whole days.
func niceMinutes(v float64) float64 {
	for _, m := range []float64{10, 20, 30, 60, 120, 240, 360, 480, 720, 1440} {
		if v <= m {
			return m
		}
	}
	return math.Ceil(v/1440) * 1440
}

// niceCount rounds a count up so that half of it is whole too: 2, 4, 6,
// 8, 10, 20, 50, …
func niceCount(v float64) float64 {
	if v <= 10 {
		return max(2, math.Ceil(v/2)*2)
	}
	return niceCeil(v)
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for the axis.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

const (
	chartTitleH  = 22
	chartLegendH = 18
	chartAxisW   = 46
	chartLabelH  = 16
)

func (r *chartRenderer) rebuild() {
	r.objects, r.place = nil, nil
	r.addTitle()
	r.addLegend()
	maxV := r.c.maxValue()
	if maxV == 0 {
		r.addEmpty()
		return
	}
	axisMax := niceCeil(maxV)
	if r.c.ceil != nil {
		axisMax = r.c.ceil(maxV)
	}
	r.addGrid(axisMax)
	if len(r.c.labels) == 0 {
		return
	}
	r.addBars(axisMax)
	r.addDayLabels()
}

// chartPlot is the plotting area of a chart of that size: right of the
// axis labels, under the title, over the day labels.
func chartPlot(size fyne.Size) (x0, y0, w, h float32) {
	const top = float32(chartTitleH + 6)
	return chartAxisW, top, max(size.Width-chartAxisW, 10), max(size.Height-top-chartLabelH-4, 10)
}

// addTitle draws the chart's title, top left.
func (r *chartRenderer) addTitle() {
	title := canvas.NewText(r.c.title, theme.Color(theme.ColorNameForeground))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.TextSize = theme.Size(theme.SizeNameText)
	r.add(title, func(fyne.Size) {
		title.Move(fyne.NewPos(0, 0))
		title.Resize(title.MinSize())
	})
}

// chartLegendGap is the space right of a legend.
const chartLegendGap = 10

// addLegend names the series, right-aligned on the title line, when
// there is more than one.
func (r *chartRenderer) addLegend() {
	if len(r.c.series) <= 1 {
		return
	}
	type entry struct {
		sw  *canvas.Rectangle
		txt *canvas.Text
	}
	var entries []entry
	for i, s := range r.c.series {
		sw := canvas.NewRectangle(seriesColor(i))
		sw.CornerRadius = 2
		txt := canvas.NewText(s.name, theme.Color(theme.ColorNamePlaceHolder))
		txt.TextSize = theme.Size(theme.SizeNameCaptionText)
		entries = append(entries, entry{sw, txt})
		r.objects = append(r.objects, sw, txt)
	}
	r.place = append(r.place, func(size fyne.Size) {
		// A gap on the right, so a legend never runs into the title of
		// the chart beside it.
		x := size.Width - chartLegendGap
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			ts := e.txt.MinSize()
			x -= ts.Width
			e.txt.Move(fyne.NewPos(x, (chartTitleH-ts.Height)/2))
			e.txt.Resize(ts)
			x -= 14
			e.sw.Move(fyne.NewPos(x, chartTitleH/2-5))
			e.sw.Resize(fyne.NewSize(10, 10))
			x -= 12
		}
	})
}

// addEmpty says there is nothing to chart, over a bare base line.
func (r *chartRenderer) addEmpty() {
	msg := canvas.NewText(r.c.empty, theme.Color(theme.ColorNamePlaceHolder))
	msg.Alignment = fyne.TextAlignCenter
	msg.TextSize = theme.Size(theme.SizeNameText)
	r.add(msg, func(size fyne.Size) {
		x0, y0, w, h := chartPlot(size)
		msg.Resize(fyne.NewSize(w, 20))
		msg.Move(fyne.NewPos(x0, y0+h/2-10))
	})
	base := canvas.NewLine(theme.Color(theme.ColorNameSeparator))
	r.add(base, func(size fyne.Size) {
		x0, y0, w, h := chartPlot(size)
		base.Position1 = fyne.NewPos(x0, y0+h)
		base.Position2 = fyne.NewPos(x0+w, y0+h)
	})
}

// addGrid draws grid lines and axis labels at 0, ½ and the top.
func (r *chartRenderer) addGrid(axisMax float64) {
	format := r.c.format
	if format == nil {
		format = func(v float64) string { return trimFloat(v) }
	}
	for _, frac := range []float32{0, 0.5, 1} {
		line := canvas.NewLine(theme.Color(theme.ColorNameSeparator))
		line.StrokeWidth = 1
		lbl := canvas.NewText(format(float64(frac)*axisMax), theme.Color(theme.ColorNamePlaceHolder))
		lbl.TextSize = theme.Size(theme.SizeNameCaptionText)
		lbl.Alignment = fyne.TextAlignTrailing
		r.add(line, func(size fyne.Size) {
			x0, y0, w, h := chartPlot(size)
			y := y0 + h - frac*h
			line.Position1 = fyne.NewPos(x0, y)
			line.Position2 = fyne.NewPos(x0+w, y)
		})
		r.add(lbl, func(size fyne.Size) {
			_, y0, _, h := chartPlot(size)
			ts := lbl.MinSize()
			lbl.Move(fyne.NewPos(chartAxisW-6-ts.Width, y0+h-frac*h-ts.Height/2))
			lbl.Resize(ts)
		})
	}
}

// addBars draws a bar per series and day, stacked or side by side.
func (r *chartRenderer) addBars(axisMax float64) {
	c := r.c
	n := len(c.labels)
	for d := range n {
		base := 0.0
		for si, s := range c.series {
			if d >= len(s.values) || s.values[d] <= 0 {
				continue
			}
			v := s.values[d]
			bar := canvas.NewRectangle(seriesColor(si))
			bar.CornerRadius = 2
			from, to := base, base+v
			if c.stacked {
				base = to
			} else {
				from, to = 0, v
			}
			slot, k := d, si
			r.add(bar, func(size fyne.Size) {
				x0, y0, w, h := chartPlot(size)
				cell := w / float32(n)
				gap := min(cell*0.2, 6)
				bw := cell - gap
				bx := x0 + float32(slot)*cell + gap/2
				if !c.stacked && len(c.series) > 1 {
					bw /= float32(len(c.series))
					bx += float32(k) * bw
				}
				yTop := y0 + h - float32(to/axisMax)*h
				yBot := y0 + h - float32(from/axisMax)*h
				bar.Move(fyne.NewPos(bx, yTop))
				bar.Resize(fyne.NewSize(max(bw, 1), max(yBot-yTop, 1)))
			})
		}
	}
}

// addDayLabels names the days under the bars, thinned so that they never
// overlap.
func (r *chartRenderer) addDayLabels() {
	n := len(r.c.labels)
	step := 1
	for n/step > 10 {
		step++
	}
	for d := 0; d < n; d += step {
		lbl := canvas.NewText(r.c.labels[d], theme.Color(theme.ColorNamePlaceHolder))
		lbl.TextSize = theme.Size(theme.SizeNameCaptionText)
		slot := d
		r.add(lbl, func(size fyne.Size) {
			x0, y0, w, h := chartPlot(size)
			cell := w / float32(n)
			ts := lbl.MinSize()
			lbl.Move(fyne.NewPos(x0+float32(slot)*cell+cell/2-ts.Width/2, y0+h+3))
			lbl.Resize(ts)
		})
	}
}
