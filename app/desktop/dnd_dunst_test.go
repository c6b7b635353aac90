//go:build linux

package desktop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// paused asks dunst whether it is paused.
func (d *dunst) paused() bool {
	d.t.Helper()
	return strings.TrimSpace(d.ctl("is-paused")) == "true"
}

// countOf is dunst's count of waiting, displayed or history notifications.
func (d *dunst) countOf(which string) int {
	d.t.Helper()
	var n int
	fmt.Sscan(strings.TrimSpace(d.ctl("count", which)), &n)
	return n
}

// notifySend sends a notification as another app would, with notify-send.
func notifySend(t testing.TB, addr string, args ...string) {
	t.Helper()
	bin := needProgram(t, "notify-send", "libnotify-bin")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("notify-send %q: %v\n%s", args, err, out)
	}
}

// screenshot saves the X display to out/screenshots/name for a person to
// look at, and returns the path.
func screenshot(t testing.TB, display, name string) string {
	t.Helper()
	bin := needProgram(t, "import", "imagemagick")
	dir := filepath.Join("..", "..", "out", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command(bin, "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	return path
}

func countSummaries(h []dunstNote, prefix string) int {
	n := 0
	for _, x := range h {
		if strings.HasPrefix(x.Summary, prefix) {
			n++
		}
	}
	return n
}

// at is Monday 23 November 2026 at h:m in Berlin (the test plan: focus
// 09:00–11:00 and 13:30–15:30, check-ins 11:00 and 16:00).
func at(t testing.TB, h, m int) time.Time {
	t.Helper()
	d := monday12(t)
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, d.Location())
}

// TestDunstFollowsFocus drives a real dunst under Xvfb on a private bus
// through a morning: focus starts and dunst is paused; another app's
// notification waits; the check-in resumes dunst, which shows it, with
// exactly one Sluice check-in notification; quitting during a focus block
// resumes dunst.
func TestDunstFollowsFocus(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	dn := startDunst(t, addr, display)

	clk := clock.NewFake(at(t, 8, 59))
	a := newApp(t, clk)
	stop := running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	if dn.paused() {
		t.Fatal("dunst paused before the focus block")
	}

	clk.Set(at(t, 9, 0))
	// Sluice announces the block, lets its own notification be seen,
	// then pauses dunst.
	waitFor(t, 20*time.Second, "dunst to be paused for the focus block", dn.paused)
	waitFor(t, 5*time.Second, "the status to say so", func() bool { return a.Status().Desktop.State == "quiet" })
	if got := a.Status().Desktop.Summary; got != "dunst 1.9.0, paused by Sluice until 11:00" {
		t.Errorf("status says %q", got)
	}

	notifySend(t, addr, "-a", "TeamChat", "Alice", "are you there?")
	send(t, a, control.SendRequest{Title: "Build red", From: "CI"}) // held by Sluice itself
	waitFor(t, 10*time.Second, "TeamChat's notification to wait in dunst", func() bool { return dn.countOf("waiting") == 1 })
	if n := dn.countOf("displayed"); n != 0 {
		t.Fatalf("%d notifications on screen during focus, want none", n)
	}

	clk.Set(at(t, 11, 0)) // the check-in
	waitFor(t, 10*time.Second, "dunst to be resumed at the check-in", func() bool { return !dn.paused() })
	waitFor(t, 10*time.Second, "TeamChat's and Sluice's notifications on screen", func() bool { return dn.countOf("displayed") >= 2 })
	time.Sleep(time.Second) // a stray second Sluice notification would arrive now
	shot := screenshot(t, display, "desktop-dunst-checkin.png")
	t.Logf("the check-in as the user sees it: %s", shot)
	h := dn.history()
	if n := countSummaries(h, "Check-in"); n != 1 {
		t.Errorf("%d Sluice check-in notifications, want exactly 1: %+v", n, h)
	}
	if n := countSummaries(h, "Focus until"); n != 1 {
		t.Errorf("Sluice's focus notification shown %d times, want once (not again at the check-in): %+v", n, h)
	}
	var alice, checkin = -1, -1
	for i, x := range h {
		switch {
		case x.App == "TeamChat" && x.Summary == "Alice":
			alice = i
		case x.Summary == "Check-in 11:00 — 1 new: 1 local":
			checkin = i
		}
	}
	if alice < 0 || checkin < 0 {
		t.Fatalf("history %+v lacks TeamChat's notification or the check-in summary", h)
	}

	// A manual focus block, then quit in the middle of it.
	if _, err := a.Focus(25 * time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "dunst to be paused for the manual block", dn.paused)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if dn.paused() {
		t.Fatal("dunst is still paused after Sluice quit during focus")
	}
}

// TestDunstUsersOwnPauseIsKept: a pause the user set before the block is
// still there after focus, an urgent item, a check-in and quit.
func TestDunstUsersOwnPauseIsKept(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	dn := startDunst(t, addr, display)
	dn.ctl("set-paused", "true")

	clk := clock.NewFake(at(t, 8, 59))
	a := newApp(t, clk)
	stop := running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	clk.Set(at(t, 9, 0))
	waitFor(t, 20*time.Second, "Sluice to find the user's pause", func() bool { return a.Status().Desktop.State == "yours" })
	// dunst 1.9 shows nothing while paused, critical notifications
	// included: Sluice's urgent one waits too, for the user's pause is
	// never lifted. (A pause of Sluice's own is lifted for it, see
	// TestCaptureOtherApps.)
	waiting := dn.countOf("waiting")
	send(t, a, control.SendRequest{Title: "Prod down", From: "Ops", Urgent: true})
	waitFor(t, 10*time.Second, "the urgent notification to wait in dunst", func() bool { return dn.countOf("waiting") == waiting+1 })
	if !dn.paused() || dn.countOf("displayed") != 0 {
		t.Fatal("an urgent item lifted the user's own pause")
	}
	send(t, a, control.SendRequest{Title: "Build red", From: "CI"})
	clk.Set(at(t, 11, 0))
	// Released: the urgent item (delivered at once) and the one the
	// check-in brought.
	waitFor(t, 10*time.Second, "the check-in", func() bool { st := a.Status(); return st.Released == 2 && st.Held == 0 })
	if !dn.paused() {
		t.Fatal("the check-in lifted the user's own pause")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !dn.paused() {
		t.Fatal("quitting lifted the user's own pause")
	}
}
