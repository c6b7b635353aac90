//go:build linux

package desktop

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstRunOnlyWithoutAConfigAndWithADisplay(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DISPLAY", "")
	if firstRun(cfg) {
		t.Error("first run without a display: want no welcome window")
	}
	t.Setenv("DISPLAY", ":99")
	if !firstRun(cfg) {
		t.Error("no config and a display: want the welcome window")
	}
	if err := os.WriteFile(cfg, []byte("version = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if firstRun(cfg) {
		t.Error("a config exists: want no welcome window")
	}
}
