//go:build linux

package desktop

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// TestKDEInhibition: against a server that speaks Plasma's inhibition
// API, a focus block takes exactly one inhibition (however many events the
// block brings) and gives it back at the check-in; an urgent item is sent
// critical without lifting (Plasma shows critical notifications during
// do-not-disturb); quitting during a block gives the inhibition back.
func TestKDEInhibition(t *testing.T) {
	addr := sessionBus(t)
	srv := &fakeServer{name: "Plasma", vendor: "KDE", version: "5.27.5", caps: []string{"body", "body-markup", "inhibitions"}}
	srv.probe = func() string {
		if srv.inhibited() {
			return "inhibited"
		}
		return "open"
	}
	startFakeServer(t, addr, srv)

	clk := clock.NewFake(at(t, 8, 59))
	a := newApp(t, clk)
	stop := running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	if srv.inhibited() {
		t.Fatal("inhibited before focus")
	}
	clk.Set(at(t, 9, 0))
	waitFor(t, 20*time.Second, "an inhibition for the focus block", srv.inhibited)
	waitFor(t, 5*time.Second, "the status", func() bool { return a.Status().Desktop.State == "quiet" })
	if got := a.Status().Desktop.Summary; got != "KDE Plasma (Plasma 5.27.5), in do-not-disturb by Sluice until 11:00" {
		t.Errorf("status %q", got)
	}

	// More happens inside the block: the end moves, an urgent item.
	if _, err := a.Focus(90 * time.Minute); err != nil {
		t.Fatal(err)
	}
	send(t, a, control.SendRequest{Title: "Prod down", From: "Ops", Urgent: true})
	send(t, a, control.SendRequest{Title: "Lunch?", From: "Ann"})
	waitFor(t, 10*time.Second, "the urgent notification", func() bool { _, ok := findNote(srv.notes(), "Urgent: Ops"); return ok })
	u, _ := findNote(srv.notes(), "Urgent: Ops")
	if u.Urgency != 2 || u.Probe != "inhibited" {
		t.Errorf("urgent notification sent with urgency %d while %s, want 2 (critical) while inhibited", u.Urgency, u.Probe)
	}
	if in, un := srv.counts(); in != 1 || un != 0 {
		t.Fatalf("inside one block: %d Inhibit and %d UnInhibit calls, want 1 and 0", in, un)
	}
	if !srv.inhibited() {
		t.Fatal("the urgent item lifted Plasma's do-not-disturb; Plasma shows critical notifications anyway")
	}

	if _, err := a.Checkin(); err != nil { // "Check in now"; the manual block goes on
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the inhibition to end at the check-in", func() bool { return !srv.inhibited() })
	waitFor(t, 10*time.Second, "the check-in notification", func() bool { _, ok := findNote(srv.notes(), "Check-in"); return ok })
	c, ok := findNote(srv.notes(), "Check-in")
	if !ok || c.Urgency != 1 || c.Probe != "open" {
		t.Errorf("check-in notification %+v, want one with normal urgency sent after the inhibition ended", c)
	}
	if in, un := srv.counts(); in != 1 || un != 1 {
		t.Errorf("after the check-in: %d Inhibit and %d UnInhibit, want 1 and 1", in, un)
	}
	// The block goes on: after the check-in's window the desktop is
	// held again, until the block ends.
	clk.Set(clk.Now().Add(30 * time.Minute))
	waitFor(t, 10*time.Second, "a new inhibition after the check-in window", srv.inhibited)

	// Ending the block lifts first, then says so.
	if _, err := a.EndFocus(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the focus-end notification", func() bool { _, ok := findNote(srv.notes(), "Focus ended"); return ok })
	if e, _ := findNote(srv.notes(), "Focus ended"); e.Probe != "open" {
		t.Errorf("“Focus ended” was sent while %s", e.Probe)
	}

	// A new block, and Sluice quits in the middle of it.
	if _, err := a.Focus(25 * time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "an inhibition for the new block", srv.inhibited)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if srv.inhibited() {
		t.Fatal("still inhibited after Sluice quit during focus")
	}
	if in, un := srv.counts(); in != 3 || un != 3 {
		t.Errorf("in all: %d Inhibit and %d UnInhibit, want 3 and 3", in, un)
	}
}

// TestUnknownServerSaysSo: a notification server Sluice does not know is
// named in the status, and nothing is switched.
func TestUnknownServerSaysSo(t *testing.T) {
	addr := sessionBus(t)
	srv := startFakeServer(t, addr, &fakeServer{name: "swaync", vendor: "ErikReider", version: "0.8.0", caps: []string{"body"}})
	clk := clock.NewFake(at(t, 9, 30)) // inside a focus block
	a := newApp(t, clk)
	running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	d := a.Status().Desktop
	if d == nil || d.State != "unsupported" || d.Summary != "notification server “swaync 0.8.0”: Sluice does not know how to hold other apps on this notification server" {
		t.Errorf("status %+v", d)
	}
	if d != nil && !strings.Contains(d.Advice, "dunst, KDE Plasma, GNOME, XFCE and mako") {
		t.Errorf("advice %q", d.Advice)
	}
	if in, _ := srv.counts(); in != 0 {
		t.Error("an unknown server was inhibited")
	}
}
