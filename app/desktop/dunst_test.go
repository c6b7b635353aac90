//go:build linux

package desktop

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// dunstHistory is what `dunstctl history` prints: D-Bus-typed JSON.
type dunstHistory struct {
	Data [][]map[string]struct {
		Data any `json:"data"`
	} `json:"data"`
}

type dunstNote struct{ Summary, Body, Message, App string }

// history closes whatever dunst shows (closing moves it to the history)
// and returns the history, oldest first.
func (d *dunst) history() []dunstNote {
	d.t.Helper()
	d.ctl("close-all")
	var h dunstHistory
	if err := json.Unmarshal([]byte(d.ctl("history")), &h); err != nil {
		d.t.Fatalf("dunstctl history: %v", err)
	}
	var out []dunstNote
	if len(h.Data) == 0 {
		return nil
	}
	for _, n := range h.Data[0] {
		s, _ := n["summary"].Data.(string)
		b, _ := n["body"].Data.(string)
		m, _ := n["message"].Data.(string)
		app, _ := n["appname"].Data.(string)
		out = append([]dunstNote{{s, b, m, app}}, out...) // dunst lists newest first
	}
	return out
}

// TestNotificationsWithDunst sends real notifications through beeep to a
// real dunst on a private session bus under Xvfb: a forced check-in
// produces exactly one notification with the summary, whatever the number
// of items, and an urgent item produces one with the sender, its text
// escaped so dunst's markup shows it as sent.
func TestNotificationsWithDunst(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	dn := startDunst(t, addr, display)

	clk := clock.NewFake(monday12(t))
	a := newApp(t, clk)
	send(t, a, control.SendRequest{Title: "Lunch on Friday?", From: "Ann <ann@example.com>"})
	send(t, a, control.SendRequest{Title: "Re: <script> & stuff", From: "Tom & Jerry <tj@example.com>"})
	send(t, a, control.SendRequest{Title: "Build green", From: "CI"})
	// No tray host on this bus: wait long enough that the no-tray
	// fallback (which says so in a notification) stays out of the count.
	running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})

	if _, err := a.Checkin(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "dunst to receive the check-in notification", func() bool { return dn.count() >= 1 })
	// Give a stray second notification (per item, or for the mode
	// change the check-in causes) time to arrive, then count.
	time.Sleep(time.Second)
	h := dn.history()
	if len(h) != 1 {
		t.Fatalf("after one check-in of 3 items dunst got %d notifications, want 1: %+v", len(h), h)
	}
	if want := "Check-in 12:00 — 3 new: 3 local"; h[0].Summary != want {
		t.Errorf("summary %q, want %q", h[0].Summary, want)
	}

	send(t, a, control.SendRequest{Title: "Prod down <db-1> & failing", From: "Ops & Co <ops@example.com>", Urgent: true})
	waitFor(t, 10*time.Second, "dunst to receive the urgent notification", func() bool { return dn.count() >= 2 })
	time.Sleep(500 * time.Millisecond)
	h = dn.history()
	if len(h) != 2 {
		t.Fatalf("dunst has %d notifications, want 2: %+v", len(h), h)
	}
	u := h[1]
	if u.Summary != "Urgent: Ops & Co" {
		t.Errorf("urgent summary %q, want the sender as plain text", u.Summary)
	}
	// dunst reads the body as markup: it must arrive escaped once, and
	// the summary, which dunst escapes itself, must not be escaped by us.
	if want := "Prod down &lt;db-1&gt; &amp; failing"; u.Body != want {
		t.Errorf("urgent body %q, want %q", u.Body, want)
	}
	if !strings.Contains(u.Message, "<b>Urgent: Ops &amp; Co</b>") || strings.Contains(u.Message, "&amp;amp;") ||
		!strings.Contains(u.Message, "Prod down &lt;db-1&gt; &amp; failing") {
		t.Errorf("dunst's rendered markup %q: the text would not show as sent", u.Message)
	}
}
