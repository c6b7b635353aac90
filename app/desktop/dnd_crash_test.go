//go:build linux

package desktop

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/desktop/dnd"
)

// A child is this test binary re-run as a Sluice desktop process, so that
// a test can kill it as a crash would.
const (
	childDir = "SLUICE_TEST_CHILD_DIR" // config.toml and data/ live here
	childNow = "SLUICE_TEST_CHILD_NOW" // RFC 3339: the child's clock starts here
	childBus = "SLUICE_TEST_CHILD_BUS" // the session bus to use
)

// runChild runs Sluice's desktop face until SIGTERM (or SIGKILL).
func runChild() int {
	dir := os.Getenv(childDir)
	start, err := time.Parse(time.RFC3339, os.Getenv(childNow))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", os.Getenv(childBus))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := clock.Offset{D: time.Until(start)}
	a, err := app.New(app.Options{ConfigPath: filepath.Join(dir, "config.toml"), DataDir: filepath.Join(dir, "data"),
		Clock: clk, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, a, Options{Logger: log, Now: clk.Now, TrayWait: time.Hour}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// startChild starts a Sluice desktop process on dir at the given time.
func startChild(t *testing.T, dir, addr string, now time.Time) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDir+"="+dir, childNow+"="+now.Format(time.RFC3339), childBus+"="+addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child log:\n%s", logs.String())
		}
	})
	return cmd
}

// recordedChange reports whether the desktop state file records a
// do-not-disturb that Sluice switched on.
func recordedChange(t *testing.T, dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "data", dnd.StateFile))
	if err != nil {
		return false
	}
	return strings.Contains(string(b), `"changed"`)
}

// TestCrashDuringFocus: Sluice is killed (SIGKILL) while it has dunst
// paused for a focus block; started again outside focus, it resumes
// dunst, so a crash never leaves the desktop silenced.
func TestCrashDuringFocus(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	dn := startDunst(t, addr, display)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}

	first := startChild(t, dir, addr, at(t, 9, 30)) // inside the 09:00–11:00 block
	waitFor(t, 20*time.Second, "the first Sluice to pause dunst for focus", dn.paused)
	waitFor(t, 5*time.Second, "the change to be recorded", func() bool { return recordedChange(t, dir) })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if !dn.paused() {
		t.Fatal("dunst resumed by itself; the crash test tests nothing")
	}

	second := startChild(t, dir, addr, at(t, 12, 0)) // outside focus
	waitFor(t, 20*time.Second, "the next start to resume dunst", func() bool { return !dn.paused() })
	waitFor(t, 5*time.Second, "the record to go", func() bool { return !recordedChange(t, dir) })
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Fatalf("the second Sluice did not stop cleanly: %v", err)
	}
	if dn.paused() {
		t.Fatal("dunst paused after a clean stop outside focus")
	}
}
