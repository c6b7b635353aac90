//go:build linux

package desktop

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/desktop/dnd"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// captureConfig records TeamChat's notifications as items while Sluice
// holds, and makes "Boss Person" a VIP.
const captureConfig = testConfig + `
[urgent]
vips = ["Boss Person"]
budget_per_hour = 3
off_hours = "hold"
[desktop]
hold_other_apps = "focus"
capture = true
capture_apps = ["TeamChat"]
`

// TestCaptureOtherApps: with capture on for TeamChat, what TeamChat sends
// (notify-send -a TeamChat) during focus becomes a held item of kind
// desktop, other apps are only listed, a VIP in TeamChat breaks through
// (dunst is resumed while Sluice's urgent notification is on screen and
// paused again when it is closed), and the check-in releases the rest and
// counts it as "from other apps".
func TestCaptureOtherApps(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	dn := startDunst(t, addr, display)

	clk := clock.NewFake(at(t, 8, 59))
	a := newAppIn(t, t.TempDir(), captureConfig, clk)
	running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	if a.Status().Desktop.Capturing {
		t.Fatal("watching other apps outside focus")
	}
	clk.Set(at(t, 9, 0))
	// Sluice shows its "Focus until …" note first and silences the desktop
	// a few real seconds later; a loaded CI machine may take longer.
	waitFor(t, 45*time.Second, "dunst paused and Sluice watching", func() bool {
		d := a.Status().Desktop
		return dn.paused() && d.Capturing
	})

	notifySend(t, addr, "-a", "TeamChat", "Alice Smith", "are you <b>there</b>?")
	notifySend(t, addr, "-a", "Firefox", "Download finished", "report.pdf")
	waitFor(t, 10*time.Second, "TeamChat's notification held as an item", func() bool { return a.Status().Held == 1 })
	page, err := a.List(model.StateHeld, gate.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	held := page.Items
	it := held[0]
	if it.Kind != model.KindDesktop || it.Account != dnd.Account || it.Channel != "TeamChat" ||
		it.Subject != "Alice Smith" || it.Snippet != "are you there?" || it.ID == "" {
		t.Errorf("held item %+v", it)
	}
	waitFor(t, 5*time.Second, "both apps listed", func() bool { return len(a.Status().Desktop.Apps) == 2 })
	for _, app := range a.Status().Desktop.Apps {
		if app.Captured != (app.Name == "TeamChat") {
			t.Errorf("app %+v: only TeamChat is chosen", app)
		}
	}

	// A VIP writes in TeamChat: a breakthrough, and it must be seen.
	notifySend(t, addr, "-a", "TeamChat", "Boss Person", "call me now")
	waitFor(t, 10*time.Second, "dunst resumed for the urgent notification", func() bool { return !dn.paused() })
	waitFor(t, 10*time.Second, "Sluice's urgent notification on screen", func() bool { return dn.countOf("displayed") >= 1 })
	time.Sleep(500 * time.Millisecond)
	shot := screenshot(t, display, "desktop-dunst-urgent.png")
	t.Logf("the breakthrough as the user sees it: %s", shot)
	h := dn.history() // closes what is on screen, as the user would
	if n := countSummaries(h, "Urgent: Boss Person (TeamChat)"); n != 1 {
		t.Fatalf("%d urgent notifications for the VIP, want 1: %+v", n, h)
	}
	for _, x := range h {
		if x.Summary == "Urgent: Boss Person (TeamChat)" && x.Body != "call me now" {
			t.Errorf("urgent notification body %q, want the message", x.Body)
		}
	}
	waitFor(t, 10*time.Second, "dunst paused again once the urgent notification was closed", dn.paused)
	for _, x := range h {
		if x.App == "Sluice" && !strings.HasPrefix(x.Summary, "Urgent") && !strings.HasPrefix(x.Summary, "Focus until") {
			t.Errorf("unexpected Sluice notification %+v", x)
		}
	}

	clk.Set(at(t, 11, 0))
	waitFor(t, 10*time.Second, "the check-in summary", func() bool {
		return dn.countOf("displayed") >= 1 && !dn.paused()
	})
	time.Sleep(500 * time.Millisecond)
	h = dn.history()
	if n := countSummaries(h, "Check-in 11:00 — 1 new: 1 from other apps"); n != 1 {
		t.Errorf("want one check-in summary counting TeamChat's message: %+v", h)
	}
	page, err = a.List(model.StateReleased, gate.ListQuery{})
	released := page.Items
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != 2 {
		t.Errorf("%d items in the digest, want Alice's and the VIP's", len(released))
	}
	for _, app := range a.Status().Desktop.Apps {
		if app.Name == "Sluice" {
			t.Error("Sluice's own notifications were captured")
		}
	}
}
