package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestDigestWaitingForYourReply: the digest opens with what waits for a
// reply, soonest due first and the overdue one marked; a row selects its
// item; done without a reply and a reply seen in Sent both take items off.
func TestDigestWaitingForYourReply(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)
	p := d.waiting
	if !p.box.Visible() || p.title.Text != "Waiting for your reply · 2 (1 overdue) — you answer within 24 hours" {
		t.Fatalf("panel visible=%v %q", p.box.Visible(), p.title.Text)
	}
	all := texts(p.rows)
	if i, j := strings.Index(all, "Alice Martin — Q3 budget review"), strings.Index(all, "Erin — Direct message"); i < 0 || j < i {
		t.Errorf("rows not soonest due first:\n%s", all)
	}
	for _, s := range []string{"overdue since Sat 16:05", "due tomorrow 09:55"} {
		if !strings.Contains(all, s) {
			t.Errorf("rows lack %q:\n%s", s, all)
		}
	}
	test.Tap(findButton(t, p.rows, "Erin — Direct message"))
	if it := selected(d); it == nil || it.FromName != "Erin" {
		t.Fatalf("tapping the row selected %+v", it)
	}
	w.Canvas().Focused().TypedRune('d') // done: no reply needed
	if p.title.Text != "Waiting for your reply · 1 (1 overdue) — you answer within 24 hours" {
		t.Errorf("after done: %q", p.title.Text)
	}
	f.reply("Work mail", "m1@acme.com", f.at(0, 10, 5))
	d.load()
	if p.box.Visible() {
		t.Errorf("panel still shown after the last reply: %q", p.title.Text)
	}
}

// TestScheduleTabPromiseAndAutoReply: the promise is checked as it is
// typed and said in words; the auto-reply's details show once it is on,
// with the text the schedule makes as a start; Save writes both.
func TestScheduleTabPromiseAndAutoReply(t *testing.T) {
	f := newFixture(t, testConfig())
	s, w := openSettings(t, f, TabSchedule)
	tab := s.tabs.Selected().Content
	promise := entryWithPlaceholder(t, tab, "24h")
	retype(promise, "soon")
	msg := s.fe.byPath["promise.reply_within"].label
	if !msg.Visible() || !strings.Contains(msg.Text, `"soon" is not a promise`) || !s.save.Disabled() {
		t.Errorf("promise \"soon\": message visible=%v %q, save disabled=%v", msg.Visible(), msg.Text, s.save.Disabled())
	}
	retype(promise, "2 working days")
	if msg.Visible() || !strings.Contains(texts(tab), "You answer within 2 working days.") {
		t.Errorf("promise \"2 working days\": message %q; words:\n%s", msg.Text, texts(tab))
	}

	multi := func(e *widget.Entry) bool { return e.MultiLine }
	if find(tab, multi) != nil {
		t.Fatalf("the auto-reply text should wait until the auto-reply is on")
	}
	test.Tap(find(tab, func(c *widget.Check) bool { return c.Text == "Answer mail while I'm on vacation" }))
	text := find(tab, multi)
	if text == nil {
		t.Fatal("auto-reply details hidden after turning it on")
	}
	want := "I read mail at 11:00 and 16:00 (Europe/Berlin)."
	if text.PlaceHolder != want {
		t.Errorf("text placeholder %q, want the schedule's %q", text.PlaceHolder, want)
	}
	test.Tap(findButton(t, tab, "Start from the schedule's text"))
	text.SetText(text.Text + " Back on Monday.")
	test.Tap(s.save)
	saved, _ := f.client.Config(f.ctx())
	if saved.Promise.ReplyWithin != "2 working days" || !saved.AutoReply.Enabled || saved.AutoReply.Text != want+" Back on Monday." {
		t.Errorf("saved promise %+v, auto-reply %+v", saved.Promise, saved.AutoReply)
	}
	// Tall enough to show the whole tab, the promise and auto-reply last.
	w.Resize(fyne.NewSize(960, 2400))
	saveLook(t, "settings-schedule-replies", w)
}
