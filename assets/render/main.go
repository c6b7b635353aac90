// Command render draws Sluice's tray icons from their SVG sources
// (assets/tray/svg): the PNG sizes Linux trays use, macOS template images,
// and Windows ICO files. (The app icon in assets/app has its own script,
// packaging/render-icons.sh.) The outputs are committed, so a build needs no
// renderer; run this after editing an SVG:
//
//	go run ./assets/render
//
// It rasterises with rsvg-convert (Debian package librsvg2-bin), the
// renderer the desktops themselves use for SVG icons.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Sizes each platform asks for. Linux panels draw 16–24 px (twice that on
// HiDPI); the Windows notification area 16 px at 100 % up to 32 px at
// 200 %; macOS menu bar icons are 16 pt, so a template at 16 and 32 px.
var (
	traySizes     = []int{16, 22, 24, 32, 48, 64}
	templateSizes = []int{16, 32}
	icoSizes      = []int{16, 20, 24, 32, 40, 48, 64}
)

func main() {
	dir := flag.String("dir", "assets", "the assets directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	svgs, err := filepath.Glob(filepath.Join(dir, "tray", "svg", "*.svg"))
	if err != nil {
		return err
	}
	if len(svgs) == 0 {
		return fmt.Errorf("no SVG sources in %s", filepath.Join(dir, "tray", "svg"))
	}
	for _, d := range []string{"tray/png", "tray/template", "tray/ico"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, src := range svgs {
		name := strings.TrimSuffix(filepath.Base(src), ".svg") // mode-variant
		mode, variant, ok := strings.Cut(name, "-")
		if !ok {
			return fmt.Errorf("%s: want MODE-VARIANT.svg", src)
		}
		if variant == "template" {
			for _, px := range templateSizes {
				if err := renderPNG(src, px, filepath.Join(dir, "tray", "template", fmt.Sprintf("%s-%d.png", mode, px))); err != nil {
					return err
				}
			}
			continue
		}
		for _, px := range traySizes {
			if err := renderPNG(src, px, filepath.Join(dir, "tray", "png", fmt.Sprintf("%s-%s-%d.png", mode, variant, px))); err != nil {
				return err
			}
		}
		if err := renderICO(src, icoSizes, filepath.Join(dir, "tray", "ico", name+".ico")); err != nil {
			return err
		}
	}
	return nil
}

// rasterize draws the SVG at px×px and returns the PNG.
func rasterize(src string, px int) ([]byte, error) {
	out, err := exec.Command("rsvg-convert", "--width", fmt.Sprint(px), "--height", fmt.Sprint(px),
		"--format", "png", src).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("rsvg-convert %s: %w: %s", src, err, ee.Stderr)
		}
		return nil, fmt.Errorf("rsvg-convert (install the Debian package librsvg2-bin): %w", err)
	}
	return out, nil
}

func renderPNG(src string, px int, dst string) error {
	b, err := rasterize(src, px)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// renderICO writes an ICO whose entries are PNG images, which every
// Windows since Vista reads.
func renderICO(src string, sizes []int, dst string) error {
	var images [][]byte
	for _, px := range sizes {
		b, err := rasterize(src, px)
		if err != nil {
			return err
		}
		images = append(images, b)
	}
	var buf bytes.Buffer
	le := binary.LittleEndian
	header := []uint16{0, 1, uint16(len(sizes))} // reserved, type icon, count
	binary.Write(&buf, le, header)
	offset := 6 + 16*len(sizes)
	for i, px := range sizes {
		dim := byte(px)
		if px >= 256 {
			dim = 0 // 0 means 256
		}
		binary.Write(&buf, le, struct {
			W, H, Colors, Reserved byte
			Planes, BPP            uint16
			Size, Offset           uint32
		}{dim, dim, 0, 0, 1, 32, uint32(len(images[i])), uint32(offset)})
		offset += len(images[i])
	}
	for _, b := range images {
		buf.Write(b)
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}
