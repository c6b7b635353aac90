//go:build linux

package desktop

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLauncher starts a stand-in windows binary: one process per window
// name at a time, reaped when it exits so the name can open again, all of
// them closed (and reaped) on Close.
func TestLauncher(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "starts")
	l := NewLauncher("/cfg/config.toml", "/data", fakeUIScript(t, dir, log, 30))
	l.SetLogger(testLogger(t))
	if ok, why := l.Available(); !ok {
		t.Fatalf("not available: %s", why)
	}

	for _, name := range []string{"digest", "digest", "settings"} {
		if err := l.Open(name); err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
	}
	waitFor(t, 5*time.Second, "two windows to start", func() bool { return len(lines(t, log)) == 2 })
	if got := l.Running(); !slices.Equal(got, []string{"digest", "settings"}) {
		t.Errorf("running %q, want digest and settings once each", got)
	}
	if got := lines(t, log); !slices.Contains(got, "--config /cfg/config.toml --data /data digest") {
		t.Errorf("started with %q", got)
	}
	if err := l.Open("bogus"); err == nil {
		t.Error("opened an unknown window")
	}

	// A window that exits is reaped; its name opens again.
	quick := NewLauncher("c", "d", fakeUIScript(t, t.TempDir(), filepath.Join(dir, "quick"), 0))
	if err := quick.Open("stats"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the stats window to exit and be reaped", func() bool { return len(quick.Running()) == 0 })
	if err := quick.Open("stats"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "stats to start again", func() bool { return len(lines(t, filepath.Join(dir, "quick"))) == 2 })
	quick.Close(time.Second)

	l.Close(3 * time.Second)
	if got := l.Running(); len(got) != 0 {
		t.Errorf("still running after Close: %q", got)
	}
	if err := l.Open("digest"); !errors.Is(err, ErrClosed) {
		t.Errorf("Open after Close: %v, want ErrClosed", err)
	}
}

// TestLauncherWithoutBinary: with no sluice-ui anywhere, the windows are
// unavailable with a reason a tooltip can show, and Open says why.
func TestLauncherWithoutBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	exe, _ := os.Executable()
	if _, err := os.Stat(filepath.Join(filepath.Dir(exe), "sluice-ui")); err == nil {
		t.Fatal("a sluice-ui lies next to the test binary")
	}
	l := NewLauncher("c", "d", "")
	ok, why := l.Available()
	if ok || !strings.Contains(why, "sluice-ui") {
		t.Errorf("Available() = %v, %q", ok, why)
	}
	if err := l.Open("digest"); err == nil || !strings.Contains(err.Error(), "sluice-ui") {
		t.Errorf("Open: %v", err)
	}
}
