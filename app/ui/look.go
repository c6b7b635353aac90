package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/model"
)

// The windows use Fyne's default theme, which follows the system's light or
// dark preference. The few colours Fyne has no name for (the modes in the
// schedule preview and the charts) are picked per variant here, so they
// read well on either background.

func variant() fyne.ThemeVariant {
	if a := fyne.CurrentApp(); a != nil {
		return a.Settings().ThemeVariant()
	}
	return theme.VariantLight
}

func isDark() bool { return variant() == theme.VariantDark }

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

// modeColor is the colour of a gate mode in the preview and its legend.
func modeColor(m model.Mode) color.Color {
	dark := isDark()
	switch m {
	case model.ModeFocus:
		if dark {
			return rgb(0x8e, 0x7c, 0xe6)
		}
		return rgb(0x6a, 0x55, 0xd4)
	case model.ModeWindow:
		if dark {
			return rgb(0x3f, 0xb9, 0x7a)
		}
		return rgb(0x25, 0x9b, 0x5f)
	case model.ModeBetween:
		if dark {
			return rgb(0x3b, 0x5b, 0x7e)
		}
		return rgb(0xb7, 0xd0, 0xec)
	case model.ModeMeeting:
		if dark {
			return rgb(0xb0, 0x5f, 0x8c)
		}
		return rgb(0xd9, 0x8c, 0xb3)
	case model.ModeVacation:
		if dark {
			return rgb(0xd9, 0x8b, 0x3a)
		}
		return rgb(0xf0, 0xa9, 0x5a)
	case model.ModePaused:
		return theme.Color(theme.ColorNameWarning)
	default: // off-hours
		if dark {
			return rgb(0x2c, 0x2c, 0x30)
		}
		return rgb(0xe4, 0xe4, 0xe8)
	}
}

// meetingColor is the band of a meeting on the preview.
func meetingColor() color.Color {
	if isDark() {
		return rgb(0xe0, 0x7a, 0xb4)
	}
	return rgb(0xb8, 0x3c, 0x82)
}

// publishedColor marks focus blocks that are on the user's calendar.
func publishedColor() color.Color {
	if isDark() {
		return rgb(0xf2, 0xc9, 0x4c)
	}
	return rgb(0xc7, 0x8c, 0x00)
}

// dimmed is c at a third of its opacity.
func dimmed(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x55}
}

// checkinColor marks check-in instants on the preview.
func checkinColor() color.Color {
	if isDark() {
		return rgb(0xf2, 0xf2, 0xf2)
	}
	return rgb(0x1d, 0x1d, 0x1f)
}

// seriesColor is the colour of the n-th series of a chart.
func seriesColor(n int) color.Color {
	switch n % 4 {
	case 0:
		return theme.Color(theme.ColorNamePrimary)
	case 1:
		return theme.Color(theme.ColorNameError)
	case 2:
		return theme.Color(theme.ColorNameWarning)
	default:
		return modeColor(model.ModeFocus)
	}
}

// heading is a section title.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// note is secondary text that wraps. It is smaller than body text but
// keeps the foreground colour: the theme's dimmed colour is too faint to
// read on the dark background.
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// oneLine is a label that shortens itself with an ellipsis instead of
// forcing its container wider.
func oneLine(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// errorLabel shows a validation message next to a field; hidden while empty.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	l.Hide()
	return l
}

// statusLabel is an error line for a window's bottom bar: it never wraps
// (a wrapped label in a bar is measured before it knows its width and then
// overlaps its neighbours); long lines end in an ellipsis, explicit lines
// stack.
func statusLabel() *widget.Label {
	l := errorLabel()
	l.Wrapping = fyne.TextWrapOff
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func setError(l *widget.Label, msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// section is a titled group with an optional explanation.
func section(title, explain string, content ...fyne.CanvasObject) fyne.CanvasObject {
	objs := []fyne.CanvasObject{heading(title)}
	if explain != "" {
		objs = append(objs, note(explain))
	}
	objs = append(objs, content...)
	return container.NewVBox(objs...)
}

// labelled puts a fixed label before a field.
func labelled(label string, field fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewFormLayout(), widget.NewLabel(label), field)
}

// swatch is a small coloured square for legends.
func swatch(c color.Color) fyne.CanvasObject {
	r := canvas.NewRectangle(c)
	r.CornerRadius = 3
	r.SetMinSize(fyne.NewSize(14, 14))
	return container.NewCenter(r)
}

// fixedWidth makes obj at least w wide (entries for times, numbers).
func fixedWidth(w float32, obj fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&minWidth{w}, obj)
}

type minWidth struct{ w float32 }

// Layout implements fyne.Layout.
func (m *minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// MinSize implements fyne.Layout.
func (m *minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	s.Width = max(s.Width, m.w)
	return s
}

// minSize is a stack layout that is never smaller than its size.
type minSize struct{ size fyne.Size }

// Layout implements fyne.Layout.
func (m *minSize) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// MinSize implements fyne.Layout.
func (m *minSize) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := m.size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// compactTheme tightens the paddings of dense lists (the digest rows) and
// takes everything else from the app's theme, so it follows light and dark.
type compactTheme struct{}

func (compactTheme) base() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

// Color implements fyne.Theme with the app theme's colours.
func (t compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}

// Font implements fyne.Theme with the app theme's fonts.
func (t compactTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base().Font(s) }

// Icon implements fyne.Theme with the app theme's icons.
func (t compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

// Size implements fyne.Theme: smaller paddings, the app theme's other sizes.
func (t compactTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 2
	case theme.SizeNamePadding:
		return 1
	}
	return t.base().Size(n)
}

// newCheck makes a check box that calls fn only for the user's changes,
// not for setting its initial state.
func newCheck(label string, on bool, fn func(bool)) *widget.Check {
	c := widget.NewCheck(label, nil)
	c.SetChecked(on)
	c.OnChanged = fn
	return c
}

// newSelect makes a select that calls fn only for the user's changes.
func newSelect(opts []string, selected string, fn func(string)) *widget.Select {
	s := widget.NewSelect(opts, nil)
	s.SetSelected(selected)
	s.OnChanged = fn
	return s
}

// plainArrows replaces arrows, which Fyne's bundled font does not draw
// (they come out with a replacement glyph), in text from elsewhere such as
// a provider's hint ("Settings → Security").
func plainArrows(s string) string {
	return strings.NewReplacer("→", ">", "←", "<", "↑", "^", "↓", "v", "▸", ">").Replace(s)
}
