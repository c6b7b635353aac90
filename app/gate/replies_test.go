package gate

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

// mail is an item a reply can name: its Message-ID is its reply key.
func mail(src, from, subject string) model.Item {
	it := item(src, from, subject)
	it.ReplyKey = src + "@mail.example"
	return it
}

// reply is the user's reply to mail src, sent at when.
func (f *fixture) reply(src string, when time.Time) {
	f.t.Helper()
	b := model.Batch{Account: "mail", Replies: []model.Reply{{Key: src + "@mail.example", At: when, Named: true}}}
	if err := f.g.Ingest(context.Background(), b); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) setPromise(s string) {
	f.t.Helper()
	p, err := schedule.ParsePromise(s)
	if err != nil {
		f.t.Fatal(err)
	}
	set := f.g.Settings()
	set.Promise = p
	f.g.Configure(set)
}

func (f *fixture) waiting() Replies {
	f.t.Helper()
	r, err := f.g.Replies()
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func waitingIDs(r Replies) []string {
	var out []string
	for _, w := range r.Items {
		out = append(out, w.Subject)
	}
	return out
}

// TestWaitingForYourReply: released mail waits for a reply, sorted by
// when the promise falls due; a reply takes it off the list, so does
// marking it done ("no reply needed"); quiet items and items without a
// reply channel never wait; a reply sent while the item was held (from
// the phone, before the check-in) counts.
func TestWaitingForYourReply(t *testing.T) {
	quiet := []rules.Rule{{Name: "news", From: []string{"news.example"}, Action: model.ActionQuiet}}
	f := newFixture(t, "2026-11-23 09:10:00", quiet, rules.Builtins{}) // Monday, focus: held
	f.setPromise("4h")
	first, second := mail("m1", "ann@x.com", "first"), mail("m2", "bob@x.com", "second")
	first.Received, second.Received = at(t, "2026-11-23 08:00:00"), at(t, "2026-11-23 07:00:00")
	news := mail("n1", "letters@news.example", "newsletter")
	local := item("l1", "ci@x.com", "build passed") // no reply key: not tracked
	phone := mail("m3", "cy@x.com", "answered from the phone")
	f.ingest(first, second, news, local, phone)
	f.reply("m3", at(t, "2026-11-23 10:15:00")) // still held
	f.clk.Set(at(t, "2026-11-23 11:00:00"))
	f.g.Tick()
	checkins := only(f.drain(), EventCheckin)
	if len(checkins) != 1 || checkins[0].Checkin.Count != 4 || checkins[0].Checkin.Quiet != 1 || checkins[0].Checkin.RepliesDue != 2 {
		t.Fatalf("check-in = %+v, want 4 released (and one quiet) and 2 replies due today", checkins[0].Checkin)
	}

	r := f.waiting()
	if got, want := waitingIDs(r), []string{"second", "first"}; !slices.Equal(got, want) {
		t.Fatalf("waiting = %v, want %v (soonest due first)", got, want)
	}
	if r.Promise != "4h" || r.Words != "within 4 hours" || r.Overdue != 0 || r.DueToday != 2 {
		t.Errorf("summary = %+v", r)
	}
	if w := r.Items[0]; !w.Due.Equal(at(t, "2026-11-23 11:00:00")) || w.Overdue || w.Sender != "bob@x.com" {
		t.Errorf("first waiting = %+v, want due at 11:00, not yet overdue", w)
	}
	f.clk.Set(at(t, "2026-11-23 11:20:00"))
	if r := f.waiting(); r.Overdue != 1 || !r.Items[0].Overdue || r.Items[1].Overdue {
		t.Errorf("at 11:20: %+v, want the 07:00 mail overdue", r.Items)
	}

	f.reply("m1", at(t, "2026-11-23 11:30:00"))
	if evs := only(f.drain(), EventAnswered); len(evs) != 1 || evs[0].Count != 1 {
		t.Errorf("answered events = %+v", evs)
	}
	if got := waitingIDs(f.waiting()); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("after the reply: %v", got)
	}
	if _, err := f.g.Done([]string{f.get("m2").ID}); err != nil {
		t.Fatal(err)
	}
	if r := f.waiting(); len(r.Items) != 0 {
		t.Errorf("done without a reply still waits: %v", waitingIDs(r))
	}
	day, _ := f.st.Stats("2026-11-23", "2026-11-23")
	// m3: 10:15 for a message of 09:10 (ingest time), within 4h; m1:
	// 11:30 for 08:00, within 4h. The done one counts as no reply needed.
	if d := day[0]; d.RepliesOnTime != 2 || d.RepliesLate != 0 || d.MedianReply() != (65*time.Minute+210*time.Minute)/2 || d.NoReplyNeeded != 1 {
		t.Errorf("stats = on time %d, late %d, median %v, no reply needed %d", d.RepliesOnTime, d.RepliesLate, d.MedianReply(), d.NoReplyNeeded)
	}
}

// TestNoReplyNeeded: mail marked done while it waits for a reply counts
// as "no reply needed" on the day it was done, one by one and by "done
// all"; what never waited (no reply channel, quiet, already answered)
// does not; a reply found later (sent from the phone after "done") takes
// the count back and counts as a reply on its own day.
func TestNoReplyNeeded(t *testing.T) {
	quiet := []rules.Rule{{Name: "news", From: []string{"news.example"}, Action: model.ActionQuiet}}
	f := newFixture(t, "2026-11-23 09:10:00", quiet, rules.Builtins{}) // Monday, focus: held
	f.ingest(mail("a", "ann@x.com", "a"), mail("b", "bob@x.com", "b"), mail("c", "cy@x.com", "c"),
		mail("d", "di@x.com", "d"), mail("n", "letters@news.example", "newsletter"), item("l", "ci@x.com", "build"))
	f.reply("d", at(t, "2026-11-23 10:00:00"))
	f.clk.Set(at(t, "2026-11-23 11:00:00"))
	f.g.Tick() // the check-in releases all

	stats := func(day string) store.DayStats {
		t.Helper()
		d, err := f.st.Stats(day, day)
		if err != nil {
			t.Fatal(err)
		}
		return d[0]
	}
	ids := func(srcs ...string) []string {
		var out []string
		for _, s := range srcs {
			out = append(out, f.get(s).ID)
		}
		return out
	}
	if n, err := f.g.Done(ids("a", "d", "n", "l")); err != nil || n != 4 {
		t.Fatalf("done = %d, %v", n, err)
	}
	if d := stats("2026-11-23"); d.NoReplyNeeded != 1 {
		t.Errorf("after done of a, answered d, quiet n, local l: no reply needed = %d, want 1 (a)", d.NoReplyNeeded)
	}
	f.clk.Set(at(t, "2026-11-24 09:00:00"))
	if n, err := f.g.DoneAll(); err != nil || n != 2 {
		t.Fatalf("done all = %d, %v", n, err)
	}
	if d := stats("2026-11-24"); d.NoReplyNeeded != 2 {
		t.Errorf("after done all of b and c on Tuesday: no reply needed = %d, want 2", d.NoReplyNeeded)
	}
	// Ann's message was answered from the phone after all, on Tuesday.
	f.reply("a", at(t, "2026-11-24 09:30:00"))
	mon, tue := stats("2026-11-23"), stats("2026-11-24")
	if mon.NoReplyNeeded != 0 || tue.NoReplyNeeded != 2 || tue.Replies() != 1 {
		t.Errorf("after the late reply to a: Monday no reply needed %d (want 0), Tuesday %d (want 2) and %d replies (want 1)",
			mon.NoReplyNeeded, tue.NoReplyNeeded, tue.Replies())
	}
}

// TestRepliesSimulatedWeek: a week of mail under "1 working day", replied
// to at times that are within the promise or not, across the weekend.
// The stats of the week give 5 of 7 replies within the promise and a
// median time to reply of 24h30m.
func TestRepliesSimulatedWeek(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:00:00", nil, rules.Builtins{}) // Monday
	f.setPromise("1 working day")
	type step struct {
		at    string
		mail  string // a mail arrives ("" none)
		reply string // the user replies to this mail ("" none)
	}
	steps := []step{
		{at: "2026-11-23 10:00:00", mail: "mon"},
		{at: "2026-11-23 11:10:00", reply: "mon"},         // 1h10m, on time
		{at: "2026-11-23 16:10:00", mail: "mon-late"},     // live in the window
		{at: "2026-11-24 10:00:00", mail: "tue"},          //
		{at: "2026-11-25 09:30:00", reply: "tue"},         // 23h30m, on time (due Wed 10:00)
		{at: "2026-11-25 10:00:00", mail: "wed"},          //
		{at: "2026-11-25 16:20:00", reply: "mon-late"},    // 48h10m, late (due Tue 16:10)
		{at: "2026-11-26 10:00:00", mail: "thu"},          //
		{at: "2026-11-26 10:30:00", reply: "wed"},         // 24h30m, late (due Thu 10:00)
		{at: "2026-11-26 16:05:00", reply: "thu"},         // 6h05m, on time
		{at: "2026-11-27 10:00:00", mail: "fri"},          //
		{at: "2026-11-27 17:00:00", mail: "fri-evening"},  // held until Monday
		{at: "2026-11-28 12:00:00", reply: "fri"},         // 50h, on time (due Mon 10:00)
		{at: "2026-11-29 20:00:00", reply: "fri-evening"}, // 51h, on time (due Mon 17:00), while held
	}
	for _, s := range steps {
		f.clk.Set(at(t, s.at))
		f.g.Tick()
		if s.mail != "" {
			m := mail(s.mail, s.mail+"@x.com", s.mail)
			m.Received = at(t, s.at)
			f.ingest(m)
		}
		if s.reply != "" {
			f.reply(s.reply, at(t, s.at))
		}
	}
	days, err := f.g.Stats(7)
	if err != nil || len(days) != 7 || days[0].Day != "2026-11-23" {
		t.Fatalf("stats = %+v, %v", days, err)
	}
	perDay := map[string][2]int{}
	var all store.DayStats
	for _, d := range days {
		if d.Replies() > 0 {
			perDay[d.Day] = [2]int{d.RepliesOnTime, d.RepliesLate}
		}
		all.RepliesOnTime += d.RepliesOnTime
		all.RepliesLate += d.RepliesLate
		all.ReplyWaits = append(all.ReplyWaits, d.ReplyWaits...)
	}
	want := map[string][2]int{
		"2026-11-23": {1, 0}, "2026-11-25": {1, 1}, "2026-11-26": {1, 1}, "2026-11-28": {1, 0}, "2026-11-29": {1, 0},
	}
	for d, w := range want {
		if perDay[d] != w {
			t.Errorf("%s: on time/late = %v, want %v", d, perDay[d], w)
		}
	}
	if len(perDay) != len(want) {
		t.Errorf("days with replies = %v, want %v", perDay, want)
	}
	if share := float64(all.RepliesOnTime) / float64(all.Replies()); all.Replies() != 7 || share != 5.0/7 {
		t.Errorf("within the promise: %d of %d, want 5 of 7", all.RepliesOnTime, all.Replies())
	}
	if m := all.MedianReply(); m != 24*time.Hour+30*time.Minute {
		t.Errorf("median time to reply = %v, want 24h30m", m)
	}
	if r := f.waiting(); len(r.Items) != 0 {
		t.Errorf("still waiting: %v", waitingIDs(r))
	}
}
