package gate

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at is a wall time in Berlin: 2026-11-23 is a Monday.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, berlin(t))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

type fixture struct {
	t   testing.TB
	clk *clock.Fake
	st  *store.Store
	g   *Gate
	ev  <-chan Event
	dir string
}

func newFixture(t testing.TB, start string, rs []rules.Rule, b rules.Builtins) *fixture {
	t.Helper()
	dir := t.TempDir()
	return openFixture(t, dir, start, rs, b)
}

func openFixture(t testing.TB, dir, start string, rs []rules.Rule, b rules.Builtins) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "sluice.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	set, err := rules.Compile(rs, b)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(at(t, start))
	g, err := New(st, clk, Settings{Plan: schedule.TwiceADay(berlin(t)), Rules: set, BudgetPerHour: 3, Retention: 30 * 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, stop := g.Subscribe(100000)
	t.Cleanup(stop)
	g.Tick()
	return &fixture{t: t, clk: clk, st: st, g: g, ev: ev, dir: dir}
}

func (f *fixture) ingest(items ...model.Item) {
	f.t.Helper()
	if err := f.g.Ingest(context.Background(), model.Batch{Account: "mail", Items: items}); err != nil {
		f.t.Fatal(err)
	}
}

// drain returns the events emitted so far.
func (f *fixture) drain() []Event {
	var out []Event
	for {
		select {
		case e := <-f.ev:
			out = append(out, e)
		default:
			return out
		}
	}
}

func only(evs []Event, k EventKind) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func item(src, from, subject string) model.Item {
	return model.Item{Kind: model.KindIMAP, Account: "mail", SourceID: src, FromAddr: from, Subject: subject, Snippet: "hello"}
}

func (f *fixture) get(src string) model.Item {
	f.t.Helper()
	it, err := f.st.Get(model.ItemID("mail", src))
	if err != nil {
		f.t.Fatalf("item %s: %v", src, err)
	}
	return it
}

func lastLog(it model.Item) string {
	if len(it.Log) == 0 {
		return ""
	}
	return it.Log[len(it.Log)-1].Text
}

func TestDecisions(t *testing.T) {
	vip := rules.Builtins{VIPs: []string{"boss@acme.com"}}
	cases := []struct {
		name      string
		now       string
		item      model.Item
		wantState model.State
		wantBreak bool
		wantLog   string
	}{
		{"focus holds normal mail", "2026-11-23 09:30:00", item("a", "x@y.com", "hi"), model.StateHeld, false, "held: focus block"},
		{"focus lets a VIP through", "2026-11-23 09:30:00", item("b", "boss@acme.com", "hi"), model.StateReleased, true, "breakthrough: VIP"},
		{"window delivers live", "2026-11-23 11:10:00", item("c", "x@y.com", "hi"), model.StateReleased, false, "delivered live: check-in window open"},
		{"between holds", "2026-11-23 12:00:00", item("d", "x@y.com", "hi"), model.StateHeld, false, "held:"},
		{"off-hours holds a VIP by default", "2026-11-23 22:00:00", item("e", "boss@acme.com", "hi"), model.StateHeld, false, "held: off-hours"},
		{"weekend holds", "2026-11-22 12:00:00", item("f", "x@y.com", "hi"), model.StateHeld, false, "held:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.now, nil, vip)
			f.ingest(c.item)
			it := f.get(c.item.SourceID)
			if it.State != c.wantState || it.Breakthrough != c.wantBreak {
				t.Errorf("got state %s breakthrough %v, want %s %v", it.State, it.Breakthrough, c.wantState, c.wantBreak)
			}
			if !strings.Contains(lastLog(it), c.wantLog) {
				t.Errorf("got log %q, want it to contain %q", lastLog(it), c.wantLog)
			}
			if it.Ingested.IsZero() || it.Rule == "" {
				t.Errorf("ingested %v rule %q: want both set", it.Ingested, it.Rule)
			}
		})
	}
}

func TestUrgentBudget(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	for i := range 5 {
		f.ingest(item(fmt.Sprint("u", i), "boss@acme.com", "now"))
	}
	breaks := only(f.drain(), EventBreakthrough)
	if len(breaks) != 3 {
		t.Fatalf("got %d breakthroughs, want 3 (the budget)", len(breaks))
	}
	it := f.get("u4")
	if it.State != model.StateHeld || !strings.Contains(lastLog(it), "urgent budget spent") {
		t.Fatalf("4th urgent: got %s %q, want held with 'urgent budget spent'", it.State, lastLog(it))
	}
	// An hour later the budget is back.
	f.clk.Advance(61 * time.Minute)
	f.g.Tick()
	f.ingest(item("u5", "boss@acme.com", "again"))
	if it := f.get("u5"); !it.Breakthrough {
		t.Fatalf("after an hour: got %s %q, want a breakthrough", it.State, lastLog(it))
	}
	day, err := f.st.Stats("2026-11-23", "2026-11-23")
	if err != nil || len(day) != 1 {
		t.Fatalf("stats: %v %v", day, err)
	}
	if day[0].Breakthroughs != 4 || day[0].BudgetHeld != 2 {
		t.Errorf("got %d breakthroughs, %d budget-held; want 4, 2", day[0].Breakthroughs, day[0].BudgetHeld)
	}
}

func TestCheckinCountsVIPsThatWaited(t *testing.T) {
	f := newFixture(t, "2026-11-23 07:00:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	f.ingest(item("v", "boss@acme.com", "early"), item("n", "x@y.com", "hi")) // off-hours: both held
	f.drain()
	c, err := f.g.CheckinNow()
	if err != nil || c.Count != 2 || c.VIPs != 1 || c.Urgent != 1 {
		t.Fatalf("got %+v %v, want 2 released, 1 from a VIP", c, err)
	}
}

func TestIgnoreIsNotStored(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", []rules.Rule{{Name: "spam", From: []string{"spam.com"}, Action: model.ActionIgnore}}, rules.Builtins{})
	f.ingest(item("s", "x@spam.com", "buy"))
	if ok, _ := f.st.Has(model.ItemID("mail", "s")); ok {
		t.Fatal("ignored item was stored")
	}
}

func TestDuplicatesAreSkipped(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", nil, rules.Builtins{})
	f.ingest(item("x", "a@b.c", "1"), item("x", "a@b.c", "1"))
	f.ingest(item("x", "a@b.c", "1"))
	if n, _ := f.st.Count(model.StateHeld); n != 1 {
		t.Fatalf("got %d held, want 1", n)
	}
	if got := len(only(f.drain(), EventHeld)); got != 1 {
		t.Fatalf("got %d held events, want 1", got)
	}
}

// TestPrunedMessageSyncedAgainSpendsNoUrgentBudget: an old urgent message,
// done and pruned, that a source syncs again (a folder re-listed after a
// UIDVALIDITY change) is known to the store by its tombstone. It must be
// dropped before the rules see it: it is not notified, and it does not
// take the last unit of the urgent budget from a new urgent message in the
// same batch. (The store's pre-check once saw stored items only, so the
// old message was classified as a breakthrough and held the new one back.)
func TestPrunedMessageSyncedAgainSpendsNoUrgentBudget(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	old := item("old", "boss@acme.com", "last month")
	f.ingest(old)
	if it := f.get("old"); !it.Breakthrough {
		t.Fatalf("the first time: got %s %q, want a breakthrough", it.State, lastLog(it))
	}
	if _, err := f.g.Done([]string{model.ItemID("mail", "old")}); err != nil {
		t.Fatal(err)
	}
	// Five weeks later, Monday in a focus block: the done item is past its
	// 30 days' retention and pruned at the day's first tick.
	f.clk.Set(at(t, "2026-12-28 09:30:00"))
	f.g.Tick()
	if ok, _ := f.st.Has(model.ItemID("mail", "old")); ok {
		t.Fatal("the done item was not pruned")
	}
	f.ingest(item("u1", "boss@acme.com", "one"), item("u2", "boss@acme.com", "two"))
	f.drain()
	if left := f.g.Status().UrgentLeft; left != 1 {
		t.Fatalf("urgent budget left: %d, want 1", left)
	}

	f.ingest(old, item("u3", "boss@acme.com", "new and urgent"))

	if it := f.get("u3"); !it.Breakthrough {
		t.Errorf("new urgent message: got %s %q, want a breakthrough (the old message took the budget)", it.State, lastLog(it))
	}
	for _, e := range f.drain() {
		if e.Item != nil && e.Item.SourceID == "old" {
			t.Errorf("the old message was announced again: %s event", e.Kind)
		}
	}
	if ok, _ := f.st.Has(model.ItemID("mail", "old")); ok {
		t.Error("the pruned message was stored again")
	}
	if left := f.g.Status().UrgentLeft; left != 0 {
		t.Errorf("urgent budget left: %d, want 0 (u1, u2, u3)", left)
	}
	day, err := f.st.Stats("2026-12-28", "2026-12-28")
	if err != nil || len(day) != 1 || day[0].Breakthroughs != 3 || day[0].BudgetHeld != 0 {
		t.Errorf("stats %+v, %v: want 3 breakthroughs, none held for the budget", day, err)
	}
}

// TestAcceptSaysWhatBecameOfEachItem: Accept returns the batch's items in
// order with the ID the gate gave them, as stored, already known or ignored.
func TestAcceptSaysWhatBecameOfEachItem(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", []rules.Rule{{Name: "spam", From: []string{"spam.com"}, Action: model.ActionIgnore}}, rules.Builtins{})
	f.ingest(item("known", "a@b.c", "seen before"))
	spam := item("spam", "x@spam.com", "buy")
	fresh := item("new", "a@b.c", "hello")
	fresh.Account = "" // the batch names it
	fresh.Subject = "hello\u202e there"
	got, err := f.g.Accept(context.Background(), model.Batch{Account: "mail", Items: []model.Item{item("known", "a@b.c", "seen before"), spam, fresh}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d items, want 3", len(got))
	}
	for i, src := range []string{"known", "spam", "new"} {
		if got[i].SourceID != src || got[i].ID != model.ItemID("mail", src) || got[i].Account != "mail" {
			t.Errorf("item %d: source %q id %q account %q; want %q with id %q", i, got[i].SourceID, got[i].ID, got[i].Account, src, model.ItemID("mail", src))
		}
	}
	if got[0].Seq != 0 {
		t.Errorf("already known item: seq %d, want 0 (not stored now)", got[0].Seq)
	}
	if got[1].Seq != 0 || got[1].Action != model.ActionIgnore {
		t.Errorf("ignored item: seq %d action %s, want 0 and ignore", got[1].Seq, got[1].Action)
	}
	if got[2].Seq == 0 || got[2].State != model.StateHeld || got[2].Subject != "hello there" {
		t.Errorf("new item: seq %d state %s subject %q, want stored, held, cleaned", got[2].Seq, got[2].State, got[2].Subject)
	}
	if stored := f.get("new"); stored.Seq != got[2].Seq {
		t.Errorf("stored seq %d, Accept said %d", stored.Seq, got[2].Seq)
	}
}

func TestCheckinReleasesAllOnceWithOneEvent(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{})
	for i := range 20 {
		f.ingest(item(fmt.Sprint("m", i), "x@y.com", "hi"))
	}
	f.drain()
	f.clk.Set(at(t, "2026-11-23 10:59:59"))
	f.g.Tick()
	if n := len(only(f.drain(), EventCheckin)); n != 0 {
		t.Fatalf("check-in fired early: %d", n)
	}
	f.clk.Set(at(t, "2026-11-23 11:00:00"))
	f.g.Tick()
	f.clk.Advance(30 * time.Second)
	f.g.Tick()
	ck := only(f.drain(), EventCheckin)
	if len(ck) != 1 {
		t.Fatalf("got %d check-in events, want 1", len(ck))
	}
	c := ck[0].Checkin
	if c.Count != 20 || c.Late || c.ByKind[model.KindIMAP] != 20 {
		t.Fatalf("got %+v, want 20 released, on time", c)
	}
	if n, _ := f.st.Count(model.StateHeld); n != 0 {
		t.Fatalf("%d still held", n)
	}
	if it := f.get("m3"); it.State != model.StateReleased || !strings.Contains(lastLog(it), "released: check-in 11:00") {
		t.Fatalf("got %s %q", it.State, lastLog(it))
	}
}

func TestMissedCheckinAfterSleepFiresOnceLate(t *testing.T) {
	f := newFixture(t, "2026-11-23 10:00:00", nil, rules.Builtins{})
	f.ingest(item("a", "x@y.com", "hi"))
	f.drain()
	f.clk.Advance(3 * time.Hour) // asleep over the 11:00 check-in
	f.g.Tick()
	f.g.Tick()
	f.clk.Advance(time.Minute)
	f.g.Tick()
	ck := only(f.drain(), EventCheckin)
	if len(ck) != 1 || !ck[0].Checkin.Late || ck[0].Checkin.Count != 1 || ck[0].Checkin.VIPs != 0 {
		t.Fatalf("got %d check-ins (%+v), want exactly one, late, releasing 1", len(ck), ck)
	}
	if it := f.get("a"); !strings.Contains(lastLog(it), "late") {
		t.Fatalf("log %q does not say late", lastLog(it))
	}
}

func TestManualCommands(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", nil, rules.Builtins{})
	st, err := f.g.Focus(50 * time.Minute)
	if err != nil || st.Mode != model.ModeFocus || !st.ManualFocus {
		t.Fatalf("focus: %+v %v", st, err)
	}
	if want := at(t, "2026-11-23 12:50:00"); !st.Until.Equal(want) {
		t.Errorf("focus until %v, want %v", st.Until, want)
	}
	if st, err = f.g.EndFocus(); err != nil || st.Mode != model.ModeBetween {
		t.Fatalf("end focus: %+v %v", st, err)
	}
	if _, err = f.g.EndFocus(); err != ErrNotInFocus {
		t.Fatalf("end focus twice: got %v, want ErrNotInFocus", err)
	}
	if st, err = f.g.FocusUntilNextCheckin(); err != nil || !st.Until.Equal(at(t, "2026-11-23 16:00:00")) {
		t.Fatalf("focus next: %+v %v", st, err)
	}
	f.g.EndFocus()
	if st, err = f.g.Pause(time.Hour); err != nil || st.Mode != model.ModePaused {
		t.Fatalf("pause: %+v %v", st, err)
	}
	f.ingest(item("p", "x@y.com", "hi"))
	if it := f.get("p"); it.State != model.StateReleased {
		t.Fatalf("paused: item %s, want released live", it.State)
	}
	if st, err = f.g.Resume(); err != nil || st.Mode != model.ModeBetween {
		t.Fatalf("resume: %+v %v", st, err)
	}
	if _, err := f.g.Focus(0); err != ErrBadDuration {
		t.Fatalf("focus 0: got %v, want ErrBadDuration", err)
	}
	f.ingest(item("h", "x@y.com", "hi"))
	c, err := f.g.CheckinNow()
	if err != nil || c.Count != 1 || !c.Manual {
		t.Fatalf("check in now: %+v %v", c, err)
	}
	if st := f.g.Status(); st.Mode != model.ModeWindow {
		t.Fatalf("after check in now: mode %s, want window", st.Mode)
	}
	// Snooze puts it back; done clears it.
	if n, err := f.g.Snooze([]string{model.ItemID("mail", "h")}); err != nil || n != 1 {
		t.Fatalf("snooze: %d %v", n, err)
	}
	if it := f.get("h"); it.State != model.StateHeld {
		t.Fatalf("snoozed item is %s", it.State)
	}
	if _, err := f.g.Done([]string{"ffffffffffff"}); err == nil {
		t.Fatal("done of an unknown id: want an error")
	}
	if n, err := f.g.DoneAll(); err != nil || n != 1 {
		t.Fatalf("done all: %d %v (want the paused item)", n, err)
	}
}

func TestEndScheduledFocusSkipsTheBlock(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{})
	st, err := f.g.EndFocus()
	if err != nil || st.Mode == model.ModeFocus {
		t.Fatalf("end scheduled focus: %+v %v", st, err)
	}
	f.clk.Set(at(t, "2026-11-23 13:45:00"))
	f.g.Tick()
	if st := f.g.Status(); st.Mode != model.ModeFocus {
		t.Fatalf("the afternoon block: mode %s, want focus", st.Mode)
	}
}

func TestOverridesSurviveRestart(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", nil, rules.Builtins{})
	if _, err := f.g.Pause(time.Hour); err != nil {
		t.Fatal(err)
	}
	f.st.Close()
	g := openFixture(t, f.dir, "2026-11-23 12:10:00", nil, rules.Builtins{})
	if st := g.g.Status(); st.Mode != model.ModePaused {
		t.Fatalf("after restart: mode %s, want paused", st.Mode)
	}
}

func TestRunLoopFiresCheckin(t *testing.T) {
	f := newFixture(t, "2026-11-23 10:58:00", nil, rules.Builtins{})
	f.ingest(item("a", "x@y.com", "hi"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.g.Run(ctx); close(done) }()
	<-f.g.Ready()
	deadline := time.Now().Add(5 * time.Second)
	for f.clk.Pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	f.clk.Set(at(t, "2026-11-23 11:00:05"))
	for {
		if n, _ := f.st.Count(model.StateHeld); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run loop did not fire the check-in")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func TestTestVerdictChangesNothing(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	v := f.g.Test(item("z", "boss@acme.com", "x"))
	if v.Outcome != "breakthrough" || v.Mode != model.ModeFocus {
		t.Fatalf("got %+v, want a breakthrough in focus", v)
	}
	v = f.g.Test(item("z", "x@y.com", "x"))
	if v.Outcome != "held" || !strings.Contains(v.Decision, "held: focus block") {
		t.Fatalf("got %+v", v)
	}
	if n, _ := f.st.Count(model.StateHeld); n != 0 {
		t.Fatal("Test stored an item")
	}
	if st := f.g.Status(); st.UrgentLeft != 3 {
		t.Fatalf("Test spent the budget: %d left", st.UrgentLeft)
	}
}

// Test cleans the item as Ingest does, so the verdict is the one the
// item would get: a sender disguised with a format character is the VIP
// once cleaned, in both.
func TestTestSeesTheItemAsIngestDoes(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	it := item("z", "boss@acme.com\u202e", "x")
	if v := f.g.Test(it); v.Outcome != "breakthrough" {
		t.Errorf("Test: got %+v, want a breakthrough", v)
	}
	if err := f.g.Ingest(context.Background(), model.Batch{Account: "mail", Items: []model.Item{it}}); err != nil {
		t.Fatal(err)
	}
	if got := f.get("z"); !got.Breakthrough {
		t.Errorf("Ingest: %+v, want a breakthrough", got)
	}
}

func TestStatsPerDay(t *testing.T) {
	f := newFixture(t, "2026-11-23 08:59:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	for range 180 { // 08:59 → 11:59, one tick a minute
		f.clk.Advance(time.Minute)
		f.g.Tick()
		if f.clk.Now().Equal(at(t, "2026-11-23 10:00:00")) {
			f.ingest(item("a", "x@y.com", "1"), item("b", "x@y.com", "2"), item("v", "boss@acme.com", "3"))
		}
		if f.clk.Now().Equal(at(t, "2026-11-23 10:30:00")) {
			f.ingest(item("c", "x@y.com", "4"))
		}
	}
	days, err := f.g.Stats(1)
	if err != nil || len(days) != 1 {
		t.Fatalf("stats: %v %v", days, err)
	}
	d := days[0]
	if d.FocusMinutes != 120 || d.Held != 3 || d.Released != 3 || d.Breakthroughs != 1 || d.CheckinsOnTime != 1 {
		t.Fatalf("got %+v, want 120 focus minutes, 3 held, 3 released, 1 breakthrough, 1 on-time check-in", d)
	}
	if got, want := d.MedianWait(), time.Hour; got != want {
		t.Errorf("median wait %v, want %v (two waited 60 min, one 30)", got, want)
	}
	if got := d.P90Wait(); got != time.Hour {
		t.Errorf("p90 wait %v, want 1h", got)
	}
}

// Whatever the source, the gate stores an item's text cleaned: a sender
// cannot disguise itself with a bidi override or terminal escapes, and
// the body is kept whole while events carry only the snippet.
func TestIngestCleansEveryItem(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{})
	body := strings.Repeat("a line of the report\n", 3000)[:60<<10]
	it := model.Item{
		Kind: model.KindSlack, SourceID: "C1/1\x00", Channel: "#ops\u202e",
		FromName: "Bank \u202eknab", FromAddr: "bank@example.com", Subject: "\x1b[31murgent\x1b[0m\u2066",
		Body: body,
	}
	f.ingest(it)
	got, err := f.st.Get(model.ItemID("mail", "C1/1"))
	if err != nil {
		t.Fatalf("the item is not stored under its cleaned source id: %v", err)
	}
	if got.SourceID != "C1/1" || got.Channel != "#ops" || got.FromName != "Bank knab" || got.Subject != "[31murgent[0m" {
		t.Errorf("stored %q %q %q %q, want the text without control and format characters",
			got.SourceID, got.Channel, got.FromName, got.Subject)
	}
	if got.Body != strings.TrimRight(body, "\n") {
		t.Errorf("body: %d bytes stored, want all %d", len(got.Body), len(strings.TrimRight(body, "\n")))
	}
	if !strings.HasPrefix(got.Snippet, "a line of the report a line") {
		t.Errorf("snippet %q, want it made from the body", got.Snippet)
	}
	for _, e := range f.drain() {
		if e.Item != nil && e.Item.Body != "" {
			t.Errorf("%s event carries the %d-byte body", e.Kind, len(e.Item.Body))
		}
	}
}

// jumpClock is a fake clock that is set forward once, just before Run
// makes its first timer: a test (or a resume) moving the clock between
// the tick and the timer.
type jumpClock struct {
	*clock.Fake
	to     time.Time
	jumped chan struct{}
}

func (c *jumpClock) NewTimer(d time.Duration) clock.Timer {
	select {
	case <-c.jumped:
	default:
		c.Fake.Set(c.to)
		close(c.jumped)
	}
	return c.Fake.NewTimer(d)
}

// A clock moved past the next transition while Run was making its timer
// still gets the transition at once, not a timer's length late.
func TestRunSeesAClockThatMovedBeforeTheTimer(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &jumpClock{Fake: clock.NewFake(at(t, "2026-11-23 08:59:00")), to: at(t, "2026-11-23 09:00:00"), jumped: make(chan struct{})}
	g, err := New(st, clk, Settings{Plan: schedule.TwiceADay(berlin(t))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runUntilFocus(t, g, "Run waits on a timer made after the clock moved")
}

// runUntilFocus runs g until it announces the 09:00 focus block, or fails
// with why after 5 s.
func runUntilFocus(t *testing.T, g *Gate, why string) {
	t.Helper()
	events, stop := g.Subscribe(16)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == EventMode && e.Status.Mode == model.ModeFocus {
				return
			}
		case <-timeout:
			t.Fatal("no focus event for the 09:00 block: " + why)
		}
	}
}

// readJumpClock is a fake clock that is set forward once, right after
// the read it is armed for returns: the clock moving between Tick's look
// and Run's.
type readJumpClock struct {
	*clock.Fake
	to    time.Time
	mu    sync.Mutex
	armed bool
}

func (c *readJumpClock) Now() time.Time {
	now := c.Fake.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed {
		c.armed = false
		c.Fake.Set(c.to)
	}
	return now
}

// A clock that reaches the next transition after Tick read it, before Run
// reads it, gets the transition at once: Run must not wait on a timer of a
// millisecond that only a later move of the clock fires (the desktop test
// that sets 09:00 right after start-up saw no focus block that way).
func TestRunSeesAClockThatMovedAfterTheTick(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &readJumpClock{Fake: clock.NewFake(at(t, "2026-11-23 08:59:00")), to: at(t, "2026-11-23 09:00:00")}
	g, err := New(st, clk, Settings{Plan: schedule.TwiceADay(berlin(t))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk.mu.Lock()
	clk.armed = true // Tick's read of the clock is the next one
	clk.mu.Unlock()
	runUntilFocus(t, g, "Run waits on a timer made after the clock passed the transition")
}
