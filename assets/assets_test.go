package assets

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func decode(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	if len(b) == 0 {
		t.Fatalf("%s: missing", name)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// opaque counts pixels with more than half alpha.
func opaque(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0x8000 {
				n++
			}
		}
	}
	return n
}

func TestTrayPNGsExistAtEverySize(t *testing.T) {
	for _, ic := range Icons {
		for _, p := range Panels {
			for _, px := range TraySizes {
				name := string(ic) + "-" + p.String()
				img := decode(t, name, TrayPNG(ic, p, px))
				if got := img.Bounds().Size(); got != image.Pt(px, px) {
					t.Errorf("%s at %d px: got %v", name, px, got)
				}
				// A glyph that covers almost nothing or almost everything
				// is a rendering accident.
				if n := opaque(img); n < px*px/10 || n > px*px*9/10 {
					t.Errorf("%s at %d px: %d of %d pixels opaque", name, px, n, px*px)
				}
			}
		}
	}
}

func TestPanelsDiffer(t *testing.T) {
	// The light-panel glyph must be darker than the dark-panel one, or one
	// of them disappears into its panel.
	for _, ic := range Icons {
		light := luminance(decode(t, string(ic), TrayPNG(ic, LightPanel, 32)))
		dark := luminance(decode(t, string(ic), TrayPNG(ic, DarkPanel, 32)))
		if light >= dark {
			t.Errorf("%s: light-panel glyph luminance %.2f, dark-panel %.2f; want light < dark", ic, light, dark)
		}
	}
}

// luminance is the mean luminance (0–1) of the opaque pixels.
func luminance(img image.Image) float64 {
	var sum float64
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A < 200 {
				continue
			}
			sum += (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
			n++
		}
	}
	return sum / float64(max(n, 1))
}

func TestTemplatesAreBlackAndAlpha(t *testing.T) {
	for _, ic := range Icons {
		for _, px := range TemplateSizes {
			img := decode(t, string(ic)+" template", TrayTemplate(ic, px))
			if got := img.Bounds().Size(); got != image.Pt(px, px) {
				t.Errorf("%s template at %d: got %v", ic, px, got)
			}
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					if c.A > 0 && (c.R|c.G|c.B) != 0 {
						t.Fatalf("%s template at %d: pixel (%d,%d) is %v, want black", ic, px, x, y, c)
					}
				}
			}
		}
	}
}

func TestICOFiles(t *testing.T) {
	for _, ic := range Icons {
		for _, p := range Panels {
			name := string(ic) + "-" + p.String() + ".ico"
			b := TrayICO(ic, p)
			if len(b) < 6 {
				t.Fatalf("%s: missing", name)
			}
			var hdr struct{ Reserved, Type, Count uint16 }
			binary.Read(bytes.NewReader(b), binary.LittleEndian, &hdr)
			if hdr.Type != 1 || hdr.Count == 0 {
				t.Fatalf("%s: header %+v", name, hdr)
			}
			sizes := map[int]bool{}
			for i := range int(hdr.Count) {
				var e struct {
					W, H, Colors, Reserved byte
					Planes, BPP            uint16
					Size, Offset           uint32
				}
				binary.Read(bytes.NewReader(b[6+16*i:]), binary.LittleEndian, &e)
				img := decode(t, name, b[e.Offset:e.Offset+e.Size])
				if img.Bounds().Dx() != int(e.W) {
					t.Errorf("%s entry %d: says %d px, image is %d", name, i, e.W, img.Bounds().Dx())
				}
				sizes[int(e.W)] = true
			}
			for _, px := range []int{16, 24, 32} {
				if !sizes[px] {
					t.Errorf("%s: no %d px entry (Windows asks for it)", name, px)
				}
			}
		}
	}
}

func TestAppIcon(t *testing.T) {
	for _, px := range []int{64, 256} {
		img := decode(t, "app icon", AppPNG(px))
		if img.Bounds().Dx() != px {
			t.Errorf("app icon %d px: got %v", px, img.Bounds())
		}
	}
}

// TestContactSheet draws every tray icon on light and dark panels, at the
// sizes panels use and enlarged, plus the macOS templates as the menu bar
// tints them, into out/screenshots/tray-icons.png for a reviewer to look at.
func TestContactSheet(t *testing.T) {
	const (
		labelW = 150
		colW   = 130
		rowH   = 96
		headH  = 28
	)
	lightBG := color.NRGBA{0xEC, 0xEF, 0xF4, 0xFF}
	darkBG := color.NRGBA{0x2E, 0x34, 0x40, 0xFF}
	macLight := color.NRGBA{0xF6, 0xF6, 0xF6, 0xFF}
	macDark := color.NRGBA{0x1E, 0x1E, 0x1E, 0xFF}

	type row struct {
		label string
		bg    color.NRGBA
		draw  func(dst *image.NRGBA, ic Icon, at image.Point)
	}
	sizesRow := func(p Panel) func(*image.NRGBA, Icon, image.Point) {
		return func(dst *image.NRGBA, ic Icon, at image.Point) {
			x := at.X
			for _, px := range []int{16, 22, 32, 48} {
				img := decode(t, string(ic), TrayPNG(ic, p, px))
				y := at.Y + (rowH-px)/2
				draw.Draw(dst, image.Rect(x, y, x+px, y+px), img, image.Point{}, draw.Over)
				x += px + 4
			}
		}
	}
	zoomRow := func(p Panel) func(*image.NRGBA, Icon, image.Point) {
		return func(dst *image.NRGBA, ic Icon, at image.Point) {
			img := decode(t, string(ic), TrayPNG(ic, p, 22))
			blit(dst, img, at.Add(image.Pt((colW-88)/2, (rowH-88)/2)), 4, false)
		}
	}
	templateRow := func(invert bool) func(*image.NRGBA, Icon, image.Point) {
		return func(dst *image.NRGBA, ic Icon, at image.Point) {
			small := decode(t, string(ic), TrayTemplate(ic, 16))
			big := decode(t, string(ic), TrayTemplate(ic, 32))
			blit(dst, small, at.Add(image.Pt(20, (rowH-16)/2)), 1, invert)
			blit(dst, big, at.Add(image.Pt(50, (rowH-32)/2)), 1, invert)
		}
	}
	rows := []row{
		{"light panel 16-48px", lightBG, sizesRow(LightPanel)},
		{"light panel 22px x4", lightBG, zoomRow(LightPanel)},
		{"dark panel 16-48px", darkBG, sizesRow(DarkPanel)},
		{"dark panel 22px x4", darkBG, zoomRow(DarkPanel)},
		{"macOS template", macLight, templateRow(false)},
		{"macOS template dark", macDark, templateRow(true)},
	}
	w, h := labelW+colW*len(Icons), headH+rowH*len(rows)
	sheet := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, ic := range Icons {
		text(sheet, string(ic), image.Pt(labelW+colW*i+8, 18), color.Black)
	}
	for r, rw := range rows {
		y := headH + rowH*r
		draw.Draw(sheet, image.Rect(0, y, w, y+rowH), image.NewUniform(rw.bg), image.Point{}, draw.Src)
		fg := color.Color(color.Black)
		if rw.bg == darkBG || rw.bg == macDark {
			fg = color.White
		}
		text(sheet, rw.label, image.Pt(8, y+rowH/2+4), fg)
		for i, ic := range Icons {
			rw.draw(sheet, ic, image.Pt(labelW+colW*i, y))
		}
	}
	dir := filepath.Join(moduleRoot(t), "out", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, sheet); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tray-icons.png")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%dx%d)", out, w, h)
}

// blit draws src at scale (nearest neighbour), optionally inverting a
// template's black to white the way the dark menu bar does.
func blit(dst *image.NRGBA, src image.Image, at image.Point, scale int, invert bool) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			if invert {
				c.R, c.G, c.B = 255-c.R, 255-c.G, 255-c.B
			}
			r := image.Rect(at.X+(x-b.Min.X)*scale, at.Y+(y-b.Min.Y)*scale, at.X+(x-b.Min.X+1)*scale, at.Y+(y-b.Min.Y+1)*scale)
			draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
		}
	}
}

func text(dst draw.Image, s string, at image.Point, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(at.X, at.Y)}
	d.DrawString(s)
}

// moduleRoot finds the directory holding go.mod, so the sheet lands in the
// repository's out/ whichever package runs the test.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
