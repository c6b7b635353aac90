package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

func openDigest(t *testing.T, f *fixture) (*digest, fyne.Window) {
	t.Helper()
	w, err := f.ui.Open(WindowDigest)
	if err != nil {
		t.Fatal(err)
	}
	return f.ui.windows[WindowDigest].page.(*digest), w
}

// rowSummary writes the rows as "S:account", "T:title", "I:subject" for comparison.
func rowSummary(d *digest) []string {
	var out []string
	for _, r := range d.rows {
		switch r.kind {
		case rowSource:
			out = append(out, fmt.Sprintf("S:%s(%d)", r.account, r.count))
		case rowThread:
			out = append(out, fmt.Sprintf("T:%s(%d)", r.title, r.count))
		default:
			it := d.shown[r.item]
			out = append(out, "I:"+it.FromName+":"+it.Subject)
		}
	}
	return out
}

func TestDigestGroupsBySourceAndConversation(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)

	want := []string{
		"S:Acme Slack(3)",
		"I:Erin:Direct message",
		"T:Flaky test in payments(2)",
		"I:Dan:Flaky test in payments",
		"I:Carol:Flaky test in payments",
		"S:Work mail(4)",
		"T:Q3 budget review(3)",
		"I:Alice Martin:Re: Q3 budget review",
		"I:Bob Stein:Re: Q3 budget review",
		"I:Alice Martin:Q3 budget review",
		"I:Deploy bot:Deploy 2026.03.02-1 finished",
		"S:local(1)",
		"I:ci:Nightly build failed",
	}
	if got := rowSummary(d); !slices.Equal(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	all := texts(content(w))
	for _, s := range []string{"8 items to read · 2 still held", "Next check-in 11:00 (in 1 h) · Focus block 09:00–11:00"} {
		if !strings.Contains(all, s) {
			t.Errorf("header lacks %q; shown:\n%s", s, all)
		}
	}
	golden(t, "digest", w)
}

// selected is the digest's selected item, or nil.
func selected(d *digest) *model.Item {
	if d.selected < 0 || d.selected >= len(d.rows) || d.rows[d.selected].kind != rowItem {
		return nil
	}
	return &d.shown[d.rows[d.selected].item]
}

func stateOf(t *testing.T, f *fixture, id string) model.State {
	t.Helper()
	it, err := f.client.Item(f.ctx(), id)
	if err != nil {
		t.Fatalf("item %s: %v", id, err)
	}
	return it.State
}

func TestDigestKeyboardDoneAndOpen(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)
	c := w.Canvas()
	if c.Focused() != d.list {
		t.Fatalf("the list should have the keyboard focus when the digest opens, got %T", c.Focused())
	}
	key := func(k fyne.KeyName) { c.Focused().TypedKey(&fyne.KeyEvent{Name: k}) }

	if it := selected(d); it == nil || it.FromName != "Erin" {
		t.Fatalf("the digest opens on %v, want the newest item (Erin's DM)", it)
	}
	key(fyne.KeyDown) // skips the conversation header
	if it := selected(d); it == nil || it.FromName != "Dan" {
		t.Fatalf("second Down selected %v, want Dan's reply", it)
	}
	key(fyne.KeyReturn)
	if want := "https://acme.slack.com/archives/C1/p2"; len(f.opened) != 1 || f.opened[0] != want {
		t.Errorf("Enter opened %q, want [%s]", f.opened, want)
	}

	id := selected(d).ID
	test.Type(c.Focused(), "d")
	if got := stateOf(t, f, id); got != model.StateDone {
		t.Errorf("after d, the store says %s, want done", got)
	}
	if got := len(f.list(model.StateReleased)); got != 7 {
		t.Errorf("released after one done = %d, want 7", got)
	}
	// The selection moves on to the next item and the conversation is now
	// a single item, without a header.
	if it := selected(d); it == nil || it.FromName != "Carol" {
		t.Errorf("after done the selection is %v, want Carol", it)
	}
	if slices.Contains(rowSummary(d), "T:Flaky test in payments(2)") {
		t.Errorf("the one-item conversation still has a header: %q", rowSummary(d))
	}
	if !strings.Contains(texts(content(w)), "7 items to read") {
		t.Errorf("header not updated:\n%s", texts(content(w)))
	}
}

func TestDigestDoneAllInGroupAndDoneAll(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)

	// "Done all 4" on the Work mail header marks that source's items done.
	var mailIDs []string
	for _, it := range f.list(model.StateReleased) {
		if it.Account == "Work mail" {
			mailIDs = append(mailIDs, it.ID)
		}
	}
	test.Tap(findButton(t, d.list, "Done all 4"))
	for _, id := range mailIDs {
		if got := stateOf(t, f, id); got != model.StateDone {
			t.Errorf("mail item %s is %s after done-all-in-group, want done", id, got)
		}
	}
	if got := len(f.list(model.StateReleased)); got != 4 {
		t.Errorf("released after done-all-in-group = %d, want 4", got)
	}
	if slices.ContainsFunc(rowSummary(d), func(s string) bool { return strings.Contains(s, "Work mail") }) {
		t.Errorf("Work mail still listed: %q", rowSummary(d))
	}

	// "Done all" in the header asks first, then clears the digest.
	test.Tap(d.doneAll)
	test.Tap(overlayButton(t, w, "Yes"))
	if got := len(f.list(model.StateReleased)); got != 0 {
		t.Errorf("released after Done all = %d, want 0", got)
	}
	if got := len(f.list(model.StateDone)); got != 8 {
		t.Errorf("done after Done all = %d, want 8", got)
	}
	all := texts(content(w))
	if !strings.Contains(all, "Nothing to read. 2 held items wait for the next check-in at 11:00.") {
		t.Errorf("empty state missing; shown:\n%s", all)
	}
	golden(t, "digest-empty", w)
}

func TestDigestSearch(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)
	c := w.Canvas()
	test.Type(c.Focused(), "/")
	if c.Focused() != d.search {
		t.Fatalf("/ should focus the search field, focus is on %T", c.Focused())
	}
	test.Type(d.search, "budget")
	want := []string{"S:Work mail(3)", "T:Q3 budget review(3)", "I:Alice Martin:Re: Q3 budget review", "I:Bob Stein:Re: Q3 budget review", "I:Alice Martin:Q3 budget review"}
	if got := rowSummary(d); !slices.Equal(got, want) {
		t.Errorf("rows for “budget”:\n got %q\nwant %q", got, want)
	}
	if d.doneAll.Text != "Done all shown" {
		t.Errorf("Done all button reads %q while searching", d.doneAll.Text)
	}
	golden(t, "digest-search", w)

	d.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if c.Focused() != d.list || selected(d) == nil || selected(d).ID == "" {
		t.Fatalf("Down in the search field should move to the first result")
	}
	// Done all while searching marks only what is shown.
	test.Tap(d.doneAll)
	test.Tap(overlayButton(t, w, "Yes"))
	if got := len(f.list(model.StateReleased)); got != 5 {
		t.Errorf("released after done-all-shown = %d, want 5", got)
	}

	d.search.SetText("")
	if got := len(d.shown); got != 5 {
		t.Errorf("after clearing the search %d items are shown, want 5", got)
	}
	test.Type(d.search, "no such thing")
	if !strings.Contains(texts(content(w)), "No item matches “no such thing”.") {
		t.Errorf("no-match message missing:\n%s", texts(content(w)))
	}
}

func TestDigestSnooze(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, w := openDigest(t, f)
	c := w.Canvas()
	id := selected(d).ID
	test.Type(c.Focused(), "s")
	if got := stateOf(t, f, id); got != model.StateHeld {
		t.Errorf("after s the item is %s, want held", got)
	}
	if !strings.Contains(texts(content(w)), "7 items to read · 3 still held") {
		t.Errorf("header not updated after snooze:\n%s", texts(content(w)))
	}
}

// TestDigestNotRunning: with no Sluice on the data directory the window
// says so and offers to start it; once started, the digest fills in.
func TestDigestNotRunning(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	f.stop()
	d, w := openDigest(t, f)
	all := texts(content(w))
	if !strings.Contains(all, "Sluice is not running") {
		t.Fatalf("no not-running panel; shown:\n%s", all)
	}
	golden(t, "not-running", w)
	started := 0
	f.ui.opt.StartSluice = func() error { started++; f.start(); return nil }
	f.ui.c = stablePaths{f.client}
	test.Tap(findButton(t, content(w), "Start Sluice"))
	if started != 1 {
		t.Fatalf("Start Sluice started %d times", started)
	}
	if got := len(d.all); got != 8 {
		t.Errorf("after starting Sluice the digest shows %d items, want 8", got)
	}
	if content(w) != f.ui.windows[WindowDigest].body {
		t.Errorf("the window still shows the not-running panel")
	}
}

// TestDigestFollowsTheRunningSluice: items marked done elsewhere (the CLI,
// the tray) leave the digest when the event arrives.
func TestDigestFollowsTheRunningSluice(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	d, _ := openDigest(t, f)
	events, err := f.client.Events(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	var mail []string
	for _, it := range d.all {
		if it.Account == "Work mail" {
			mail = append(mail, it.ID)
		}
	}
	if _, err := f.client.Done(f.ctx(), mail); err != nil {
		t.Fatal(err)
	}
	e := <-events
	if e.Kind != gate.EventDone {
		t.Fatalf("event %s, want done", e.Kind)
	}
	f.ui.dispatch(e)
	if got := len(d.all); got != 4 {
		t.Errorf("after done elsewhere the digest has %d items, want 4", got)
	}
}

// releaseBuilds stores n released local items, "Build 0 finished" the
// oldest.
func releaseBuilds(f *fixture, n int) {
	for i := 0; i < n; i += 500 {
		var items []model.Item
		for j := i; j < min(i+500, n); j++ {
			items = append(items, model.Item{Kind: model.KindLocal, SourceID: fmt.Sprint("b", j), Subject: fmt.Sprintf("Build %d finished", j),
				FromName: "ci", Snippet: "All checks passed.", Received: f.at(0, 9, 0).Add(time.Duration(j) * time.Second)})
		}
		f.ingest("local", items...)
	}
	f.checkin()
}

// TestDigestLoadsPagesAsItScrolls: a large digest loads its newest page
// first and older pages as the list reaches its end; search covers the
// items not loaded yet.
func TestDigestLoadsPagesAsItScrolls(t *testing.T) {
	f := newFixture(t, testConfig())
	releaseBuilds(f, 450)
	d, w := openDigest(t, f)
	if len(d.all) != digestPage || d.older == 0 {
		t.Fatalf("the digest opened with %d items loaded (older page at %d), want the first %d", len(d.all), d.older, digestPage)
	}
	if !strings.Contains(texts(content(w)), "450 items to read") {
		t.Errorf("the header does not count every item:\n%s", texts(content(w)))
	}
	// A search asks the running Sluice, so it finds what is not loaded.
	test.Type(d.search, "Build 7 finished")
	if got := rowSummary(d); !slices.Equal(got, []string{"S:local(1)", "I:ci:Build 7 finished"}) {
		t.Errorf("search for an old item: %q", got)
	}
	d.search.SetText("")
	if len(d.all) != digestPage {
		t.Fatalf("after the search the digest has %d items loaded, want the first page again", len(d.all))
	}

	for range 5 {
		d.list.ScrollToBottom()
	}
	if len(d.all) != 450 || d.older != 0 {
		t.Fatalf("after scrolling to the end %d items are loaded (older page at %d), want all 450", len(d.all), d.older)
	}
	if it := d.all[len(d.all)-1]; it.Subject != "Build 0 finished" {
		t.Errorf("the last item is %q, want the oldest", it.Subject)
	}
}

// BenchmarkDigestLoad10000 measures opening the digest (its first page)
// with 10,000 released items through the real control API (in process, on
// Fyne's test driver; the Xvfb test measures the real window).
func BenchmarkDigestLoad10000(b *testing.B) {
	f := newFixture(b, testConfig())
	releaseBuilds(f, 10000)
	b.ResetTimer()
	for range b.N {
		d := newDigest(f.ui)
		w := f.fa.NewWindow("bench")
		win := &window{u: f.ui, name: WindowDigest, page: d, win: w}
		win.body = d.build(win)
		w.SetContent(win.body)
		w.Resize(d.size())
		d.load()
		if len(d.rows) != digestPage+1 {
			b.Fatalf("rows = %d", len(d.rows))
		}
		w.Canvas().Capture()
		w.Close()
	}
}

// The digest's detail view shows an item's whole text, not only the
// snippet the list carries.
func TestDigestReadsTheWholeBody(t *testing.T) {
	f := newFixture(t, testConfig())
	body := strings.Repeat("step 7 of the nightly job failed again\n", 500) + "END OF REPORT"
	f.ingest("local", model.Item{Kind: model.KindLocal, SourceID: "long", FromName: "ci", Subject: "Nightly report",
		Body: body, Received: f.at(0, 6, 0)})
	f.checkin()
	d, w := openDigest(t, f)
	it := selected(d)
	if it == nil || it.Subject != "Nightly report" {
		t.Fatalf("selected %v, want the report", it)
	}
	if it.Body != "" || len([]rune(it.Snippet)) != model.SnippetMax {
		t.Errorf("the list carries a %d-byte body and a %d-rune snippet; want no body and the snippet", len(it.Body), len([]rune(it.Snippet)))
	}
	test.Type(w.Canvas().Focused(), "r")
	if d.reading == nil {
		t.Fatalf("r opened no detail view; message: %q", d.msg.Text)
	}
	shown := texts(w.Canvas().Overlays().Top())
	if !strings.Contains(shown, "END OF REPORT") || !strings.Contains(shown, "Nightly report") || !strings.Contains(shown, "ci") {
		t.Fatalf("the detail view shows %d characters without the end of the report", len(shown))
	}
	saveLook(t, "digest-read", w)
}
