//go:build !windows

package desktop

import "context"

// watchPanel does nothing here: Linux reads the desktop portal's colour
// scheme when the tray starts (or SLUICE_TRAY_PANEL), and macOS tints the
// template icon itself.
func watchPanel(ctx context.Context, _ func()) { <-ctx.Done() }
