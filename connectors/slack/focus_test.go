package slack

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

var cet = time.FixedZone("CET", 3600)

// focusHarness is a running connector at Tuesday 5 March 2024, 10:10 CET,
// mirroring focus with both switches on.
func focusHarness(t *testing.T, mod func(*Options)) (*harness, *Connector) {
	h := newHarness(t)
	h.clock = clock.NewFake(time.Date(2024, 3, 5, 10, 10, 0, 0, cet))
	c := h.connector(func(o *Options) {
		o.SetDND, o.SetStatus = true, true
		if mod != nil {
			mod(o)
		}
	})
	h.run(c)
	h.waitPolling(DefaultPollInterval)
	return h, c
}

func profileParam(t *testing.T, call map[string][]string) (text, emoji string, exp int64) {
	t.Helper()
	var p struct {
		Text  string `json:"status_text"`
		Emoji string `json:"status_emoji"`
		Exp   int64  `json:"status_expiration"`
	}
	if err := json.Unmarshal([]byte(call["profile"][0]), &p); err != nil {
		t.Fatalf("users.profile.set profile: %v", err)
	}
	return p.Text, p.Emoji, p.Exp
}

func TestFocusSetsDNDAndStatusAndUndoesThem(t *testing.T) {
	h, c := focusHarness(t, nil)
	ctx := context.Background()
	now := h.clock.Now()
	f := model.FocusInfo{
		Until:   now.Add(49*time.Minute + 30*time.Second), // 10:59:30
		ReplyAt: time.Date(2024, 3, 5, 14, 0, 0, 0, cet),
		Zone:    cet,
	}
	if err := c.FocusStarted(ctx, f); err != nil {
		t.Fatalf("FocusStarted: %v", err)
	}
	snooze := h.fs.Calls("dnd.setSnooze")
	if len(snooze) != 1 || snooze[0].Params.Get("num_minutes") != "50" {
		t.Errorf("dnd.setSnooze calls %v, want one for 50 minutes (49.5 rounded up)", snooze)
	}
	set := h.fs.Calls("users.profile.set")
	if len(set) != 1 {
		t.Fatalf("users.profile.set called %d times, want 1", len(set))
	}
	text, emoji, exp := profileParam(t, set[0].Params)
	if text != "Deep work — replies after 14:00" || emoji != ":no_bell:" || exp != f.Until.Unix() {
		t.Errorf("status set to %q %q expiring %d, want %q %q expiring %d (the block's end)",
			text, emoji, exp, "Deep work — replies after 14:00", ":no_bell:", f.Until.Unix())
	}
	if on, _ := h.fs.Snooze(); !on {
		t.Errorf("not snoozed on Slack")
	}
	if h.sink.CursorValue("acme", focusKey) == "" {
		t.Errorf("what Sluice set was not stored")
	}

	// The gate may repeat itself: the same block costs no calls.
	n := len(h.fs.Calls())
	if err := c.FocusStarted(ctx, f); err != nil {
		t.Fatal(err)
	}
	if got := len(h.fs.Calls()); got != n {
		t.Errorf("repeated FocusStarted made %d calls", got-n)
	}

	// The block is extended to 11:30: both are moved.
	f.Until = time.Date(2024, 3, 5, 11, 30, 0, 0, cet)
	if err := c.FocusStarted(ctx, f); err != nil {
		t.Fatal(err)
	}
	if s := h.fs.Calls("dnd.setSnooze"); s[len(s)-1].Params.Get("num_minutes") != "80" {
		t.Errorf("extended snooze = %s minutes, want 80", s[len(s)-1].Params.Get("num_minutes"))
	}
	if _, _, exp := h.fs.Status("U0ME"); exp != f.Until.Unix() {
		t.Errorf("extended status expires %d, want %d", exp, f.Until.Unix())
	}

	// End focus early (a minute on: within the poll interval, so no sweep
	// interleaves its calls).
	h.clock.Advance(time.Minute)
	if err := c.FocusEnded(ctx); err != nil {
		t.Fatalf("FocusEnded: %v", err)
	}
	if len(h.fs.Calls("dnd.endSnooze")) != 1 {
		t.Errorf("dnd.endSnooze not called once")
	}
	if on, _ := h.fs.Snooze(); on {
		t.Errorf("still snoozed after focus ended")
	}
	if text, emoji, _ := h.fs.Status("U0ME"); text != "" || emoji != "" {
		t.Errorf("status %q %q left after focus ended", text, emoji)
	}
	if v := h.sink.CursorValue("acme", focusKey); v != "" {
		t.Errorf("focus cursor %q left after focus ended", v)
	}
	// A second end is harmless and quiet.
	n = len(h.fs.Calls())
	if err := c.FocusEnded(ctx); err != nil || len(h.fs.Calls()) != n {
		t.Errorf("second FocusEnded: err %v, %d calls", err, len(h.fs.Calls())-n)
	}
}

func TestFocusReplyTomorrow(t *testing.T) {
	h, c := focusHarness(t, func(o *Options) { o.SetDND = false; o.StatusEmoji = ":headphones:" })
	f := model.FocusInfo{
		Until:   time.Date(2024, 3, 5, 17, 0, 0, 0, cet),
		ReplyAt: time.Date(2024, 3, 6, 9, 0, 0, 0, cet),
		Zone:    cet,
	}
	if err := c.FocusStarted(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if len(h.fs.Calls("dnd.setSnooze")) != 0 {
		t.Errorf("snoozed although SetDND is off")
	}
	if text, emoji, _ := h.fs.Status("U0ME"); text != "Deep work — replies after Wed 09:00" || emoji != ":headphones:" {
		t.Errorf("status %q %q", text, emoji)
	}
}

func TestFocusLeavesUserStatusAlone(t *testing.T) {
	h, c := focusHarness(t, nil)
	ctx := context.Background()
	h.fs.SetStatus("U0ME", "In a meeting", ":calendar:", 0)
	f := model.FocusInfo{Until: h.clock.Now().Add(25 * time.Minute), Zone: cet}
	if err := c.FocusStarted(ctx, f); err != nil {
		t.Fatal(err)
	}
	if len(h.fs.Calls("users.profile.set")) != 0 {
		t.Errorf("overwrote the user's own status")
	}
	if on, mins := h.fs.Snooze(); !on || mins != 25 {
		t.Errorf("snooze = %v for %d min, want on for 25", on, mins)
	}
	if err := c.FocusEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.fs.Calls("users.profile.set")) != 0 {
		t.Errorf("cleared the user's own status")
	}
	if text, emoji, _ := h.fs.Status("U0ME"); text != "In a meeting" || emoji != ":calendar:" {
		t.Errorf("user's status became %q %q", text, emoji)
	}
	if on, _ := h.fs.Snooze(); on {
		t.Errorf("the snooze Sluice started was not ended")
	}

	// Sluice sets its status, then the user changes it during the block.
	h.fs.SetStatus("U0ME", "", "", 0)
	if err := c.FocusStarted(ctx, f); err != nil {
		t.Fatal(err)
	}
	if text, _, _ := h.fs.Status("U0ME"); text == "" {
		t.Fatalf("no status set on an empty one")
	}
	h.fs.SetStatus("U0ME", "Lunch", ":pizza:", 0)
	sets := len(h.fs.Calls("users.profile.set"))
	if err := c.FocusEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.fs.Calls("users.profile.set")) != sets {
		t.Errorf("touched a status the user set during focus")
	}
	if text, _, _ := h.fs.Status("U0ME"); text != "Lunch" {
		t.Errorf("user's status became %q, want Lunch", text)
	}
}

func TestFocusEndsAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.clock = clock.NewFake(time.Date(2024, 3, 5, 10, 10, 0, 0, cet))
	mod := func(o *Options) { o.SetDND, o.SetStatus = true, true }
	a := h.connector(mod)
	stop := h.run(a)
	h.waitPolling(DefaultPollInterval)
	f := model.FocusInfo{Until: h.clock.Now().Add(50 * time.Minute), Zone: cet}
	if err := a.FocusStarted(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	stop()

	b := h.connector(mod) // a new process; only the store remembers
	h.run(b)
	waitFor(t, "the new run to start", func() bool { return b.currentSink() != nil })
	if err := b.FocusEnded(context.Background()); err != nil {
		t.Fatal(err)
	}
	if on, _ := h.fs.Snooze(); on {
		t.Errorf("snooze not ended after a restart")
	}
	if text, _, _ := h.fs.Status("U0ME"); text != "" {
		t.Errorf("status %q not cleared after a restart", text)
	}
}

func TestFocusSwitchedOffMakesNoCalls(t *testing.T) {
	h, c := focusHarness(t, func(o *Options) { o.SetDND, o.SetStatus = false, false })
	n := len(h.fs.Calls())
	f := model.FocusInfo{Until: h.clock.Now().Add(time.Hour), Zone: cet}
	if err := c.FocusStarted(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := c.FocusEnded(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(h.fs.Calls()); got != n {
		t.Errorf("%d calls with focus mirroring off: %v", got-n, h.fs.Calls()[n:])
	}
}

// TestVacationStatus: during a vacation the status says when replies
// come, with the vacation's words, and nothing is snoozed; the end of the
// vacation clears it.
func TestVacationStatus(t *testing.T) {
	h, c := focusHarness(t, nil)
	f := model.FocusInfo{
		Until:    time.Date(2024, 3, 11, 0, 0, 0, 0, cet),
		ReplyAt:  time.Date(2024, 3, 11, 11, 0, 0, 0, cet),
		Zone:     cet,
		Vacation: true,
	}
	if err := c.FocusStarted(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if len(h.fs.Calls("dnd.setSnooze")) != 0 {
		t.Errorf("snoozed for a vacation")
	}
	text, emoji, exp := h.fs.Status("U0ME")
	if text != "On vacation — replies after Mon 11 Mar 11:00" || emoji != DefaultVacationEmoji || exp != f.Until.Unix() {
		t.Errorf("status %q %q expiring %d", text, emoji, exp)
	}
	if err := c.FocusEnded(context.Background()); err != nil {
		t.Fatal(err)
	}
	if text, _, _ := h.fs.Status("U0ME"); text != "" {
		t.Errorf("status %q left after the vacation", text)
	}
}
