package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

func TestDirectMessagesIngested(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "hey <@U0ME>, got a sec? &lt;3"})
	own := h.fs.Post("D1", slacktest.Message{User: "U0ME", Text: "sure"})
	group := h.fs.Post("G1", slacktest.Message{User: "U2", Text: "lunch at <https://food.test/menu|the usual>? :tada:"})
	h.fs.Post("C2", slacktest.Message{User: "U3", Text: "noise in #random"})
	join := h.fs.Post("G1", slacktest.Message{User: "U2", Subtype: "channel_join", Text: "<@U2> has joined"})

	c := h.connector(nil)
	h.run(c)
	h.waitPolling(DefaultPollInterval)

	if n := h.sink.Len(); n != 2 {
		t.Fatalf("got %d items, want 2 (the DM and the group DM): %+v", n, h.sink.Items())
	}
	it, ok := h.sink.Item("D1/" + dm.TS)
	if !ok {
		t.Fatalf("DM not ingested")
	}
	want := model.Item{
		Kind: model.KindSlack, Account: "acme", SourceID: "D1/" + dm.TS,
		Channel: "DM", Thread: "D1", FromName: "Alice", FromAddr: "alice@acme.test",
		Subject: "DM from Alice", Snippet: "hey @Me, got a sec? <3",
		Link:   "https://acme.slack.com/archives/D1/p" + strings.Replace(dm.TS, ".", "", 1),
		Direct: true, MentionsMe: true, Received: tsTime(dm.TS),
	}
	checkItem(t, it, want)

	it, ok = h.sink.Item("G1/" + group.TS)
	if !ok {
		t.Fatalf("group DM not ingested")
	}
	checkItem(t, it, model.Item{
		Kind: model.KindSlack, Account: "acme", SourceID: "G1/" + group.TS,
		Channel: "group DM", Thread: "G1", FromName: "Bob Builder", FromAddr: "@bob",
		Subject: "Group DM from Bob Builder", Snippet: "lunch at the usual (https://food.test/menu)? :tada:",
		Link:   "https://acme.slack.com/archives/G1/p" + strings.Replace(group.TS, ".", "", 1),
		Direct: true, Received: tsTime(group.TS),
	})

	// Cursors: the newest message seen, the user's own included.
	if got := h.sink.CursorValue("acme", "conv:D1"); got != own.TS {
		t.Errorf("cursor conv:D1 = %q, want %q", got, own.TS)
	}
	if got, _ := decodeMentions(h.sink.CursorValue("acme", "search:mentions")); got != dm.TS {
		t.Errorf("cursor search:mentions = %q, want %q", got, dm.TS)
	}
	if got, want := h.sink.CursorValue("acme", "since"), tsOf(start(h.fs).Add(-DefaultLookback)); got != want {
		t.Errorf("cursor since = %q, want %q", got, want)
	}
	// The group DM's item came in the same batch as its cursor.
	var found bool
	for _, b := range h.sink.Batches() {
		for _, it := range b.Items {
			if it.SourceID == "G1/"+group.TS {
				found = hasCursor(b, "conv:G1", join.TS) // newest seen, though not an item
			}
		}
	}
	if !found {
		t.Errorf("group DM item and its cursor conv:G1 were not in one batch")
	}
	if len(h.sink.Redelivered()) != 0 {
		t.Errorf("%d items handed over twice", len(h.sink.Redelivered()))
	}
	// #random is not chosen: never read.
	for _, call := range h.fs.Calls("conversations.history") {
		if ch := call.Params.Get("channel"); ch != "D1" && ch != "G1" {
			t.Errorf("read history of %s, which is neither a DM nor chosen", ch)
		}
	}
	if got := h.sink.Health(); got.Kind != model.KindSlack || got.Account != "acme" || !strings.Contains(got.Detail, "polling every 2m") {
		t.Errorf("health = %+v, want connected, polling every 2m", got)
	}
	checkLogClean(t, h, "got a sec", "lunch at")
}

// checkLogClean fails if the connector's log holds a token or any of the
// given message fragments.
func checkLogClean(t *testing.T, h *harness, bodies ...string) {
	t.Helper()
	log := h.logs.String()
	for _, s := range append([]string{h.fs.UserToken, h.fs.AppToken, "xoxp-", "xapp-"}, bodies...) {
		if strings.Contains(log, s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

func TestDormantDMsReadOnlyInFullSweeps(t *testing.T) {
	h := newHarness(t)
	h.fs.AddConv(slacktest.Conv{ID: "D2", Kind: slacktest.KindIM, User: "U3"}) // an old, quiet DM
	h.fs.Post("D1", slacktest.Message{User: "U1", Text: "recent"})
	c := h.connector(nil)
	h.run(c)
	h.waitPolling(DefaultPollInterval)
	reads := func(ch string) int {
		n := 0
		for _, call := range h.fs.Calls("conversations.history") {
			if call.Params.Get("channel") == ch {
				n++
			}
		}
		return n
	}
	if reads("D1") != 1 || reads("D2") != 1 {
		t.Fatalf("first sweep read D1 %d and D2 %d times, want both once", reads("D1"), reads("D2"))
	}

	quiet := h.fs.Post("D2", slacktest.Message{User: "U3", Text: "long time no see"})
	h.fs.AddConv(slacktest.Conv{ID: "D3", Kind: slacktest.KindIM, User: "U2"}) // a first DM from Bob
	first := h.fs.Post("D3", slacktest.Message{User: "U2", Text: "hi, first time"})
	h.clock.Advance(DefaultPollInterval * 11 / 10)
	waitFor(t, "the periodic sweep", func() bool { return reads("D1") == 2 })
	h.waitPolling(DefaultPollInterval)
	if reads("D2") != 1 {
		t.Errorf("periodic sweep read the dormant DM")
	}
	if _, ok := h.sink.Item("D3/" + first.TS); !ok {
		t.Errorf("a new DM was not read in the periodic sweep")
	}

	c.Wake() // e.g. after resume: a full sweep
	waitFor(t, "the dormant DM's message after Wake", func() bool { _, ok := h.sink.Item("D2/" + quiet.TS); return ok })
}

func checkItem(t *testing.T, got, want model.Item) {
	t.Helper()
	want.ID = model.ItemID(want.Account, want.SourceID)
	got.Ingested = time.Time{}
	if got.Received.Equal(want.Received) {
		got.Received = want.Received
	}
	if got.ID != want.ID || got.Kind != want.Kind || got.Account != want.Account || got.SourceID != want.SourceID ||
		got.Channel != want.Channel || got.Thread != want.Thread || got.FromName != want.FromName ||
		got.FromAddr != want.FromAddr || got.Subject != want.Subject || got.Snippet != want.Snippet ||
		got.Link != want.Link || got.Direct != want.Direct || got.MentionsMe != want.MentionsMe ||
		!got.Received.Equal(want.Received) {
		t.Errorf("item:\n got %+v\nwant %+v", got, want)
	}
}

func hasCursor(b model.Batch, key, value string) bool {
	for _, c := range b.Cursors {
		if c.Key == key && string(c.Value) == value && c.Account == b.Account {
			return true
		}
	}
	return false
}

// TestRestartDoesNotOfferSearchOverlapAgain: search looks back past its
// cursor, because it indexes late. What it found there before a restart
// was once handed over again after it (only an in-memory list knew it);
// the cursor now keeps those mentions.
func TestRestartDoesNotOfferSearchOverlapAgain(t *testing.T) {
	h := newHarness(t)
	h.fs.Post("C3", slacktest.Message{User: "U3", Text: "ping <@U0ME>"})
	h.fs.Post("C2", slacktest.Message{User: "U1", Text: "<@U0ME> also"})
	stop := h.run(h.connector(nil))
	h.waitPolling(DefaultPollInterval)
	if n := h.sink.Len(); n != 2 {
		t.Fatalf("got %d items, want the 2 mentions", n)
	}
	stop()

	h.run(h.connector(nil))
	h.waitPolling(DefaultPollInterval)
	if again := h.sink.Redelivered(); len(again) != 0 {
		t.Errorf("after the restart %d mentions were offered again (first %s)", len(again), again[0].SourceID)
	}
}

func TestMentionFoundBySearch(t *testing.T) {
	h := newHarness(t)
	h.fs.PageSize = 2 // three mentions: search pages through
	parent := h.fs.Post("C3", slacktest.Message{User: "U3", Text: "release train thread"})
	m1 := h.fs.Post("C3", slacktest.Message{User: "U3", Text: "ping <@U0ME> about the deploy", ThreadTS: parent.TS})
	m2 := h.fs.Post("C2", slacktest.Message{User: "U1", Text: "<@U0ME> <!here> see <#C1|eng>"})
	m3 := h.fs.Post("C2", slacktest.Message{User: "U2", Text: "thanks <@U0ME|me>!"})
	own := h.fs.Post("C2", slacktest.Message{User: "U0ME", Text: "note to self <@U0ME>"}) // own: not an item

	h.run(h.connector(nil))
	h.waitPolling(DefaultPollInterval)

	it, ok := h.sink.Item("C3/" + m1.TS)
	if !ok {
		t.Fatalf("mention in an unjoined channel's thread not found; items %+v", h.sink.Items())
	}
	checkItem(t, it, model.Item{
		Kind: model.KindSlack, Account: "acme", SourceID: "C3/" + m1.TS,
		Channel: "#ops", Thread: "C3/" + parent.TS, FromName: "Carol", FromAddr: "carol@acme.test",
		Subject: "#ops", Snippet: "ping @Me about the deploy",
		Link:       "https://acme.slack.com/archives/C3/p" + strings.Replace(m1.TS, ".", "", 1) + "?thread_ts=" + parent.TS + "&cid=C3",
		MentionsMe: true, Received: tsTime(m1.TS),
	})
	it, _ = h.sink.Item("C2/" + m2.TS)
	if it.Snippet != "@Me @here see #eng" || !it.MentionsMe || it.Direct || it.Channel != "#random" {
		t.Errorf("mention in #random = %+v", it)
	}
	if it, _ := h.sink.Item("C2/" + m3.TS); it.Snippet != "thanks @me!" {
		t.Errorf("labelled mention snippet = %q, want %q", it.Snippet, "thanks @me!")
	}
	if n := h.sink.Len(); n != 3 {
		t.Errorf("got %d items, want 3", n)
	}
	calls := h.fs.Calls("search.messages")
	if len(calls) != 2 {
		t.Fatalf("search.messages called %d times, want 2 (two pages)", len(calls))
	}
	if p := calls[0].Params; p.Get("query") != "<@U0ME>" || p.Get("sort") != "timestamp" || p.Get("sort_dir") != "" && p.Get("sort_dir") != "desc" {
		t.Errorf("search params = %v", p)
	}
	if calls[1].Params.Get("page") != "2" {
		t.Errorf("second search asked for page %q, want 2", calls[1].Params.Get("page"))
	}
	got, handed := decodeMentions(h.sink.CursorValue("acme", "search:mentions"))
	if got != own.TS {
		t.Errorf("cursor search:mentions = %q, want the newest match %q", got, own.TS)
	}
	// And the matches the next search's overlap will find again.
	for _, src := range []string{"C3/" + m1.TS, "C2/" + m2.TS, "C2/" + m3.TS} {
		if !handed[src] {
			t.Errorf("cursor search:mentions %q does not list %s", h.sink.CursorValue("acme", "search:mentions"), src)
		}
	}
}

func TestChosenChannelWithPaginationAndThreads(t *testing.T) {
	h := newHarness(t)
	h.fs.PageSize = 2
	h.fs.AddConv(slacktest.Conv{ID: "C4ABCDEFG", Kind: slacktest.KindPrivate, Name: "leads", Member: true})
	var posted []slacktest.Message
	for i, u := range []string{"U1", "U2", "U3", "U1", "U2"} {
		posted = append(posted, h.fs.Post("C1", slacktest.Message{User: u, Text: "eng update " + string(rune('a'+i))}))
	}
	h.fs.Post("C1", slacktest.Message{User: "U3", Subtype: "channel_join", Text: "<@U3> has joined the channel"})
	parent := h.fs.Post("C1", slacktest.Message{User: "U1", Text: "RFC: new deploy flow"})
	r1 := h.fs.Post("C1", slacktest.Message{User: "U2", Text: "+1", ThreadTS: parent.TS})
	r2 := h.fs.Post("C1", slacktest.Message{User: "U3", Text: "what about rollbacks?", ThreadTS: parent.TS})
	mine := h.fs.Post("C1", slacktest.Message{User: "U0ME", Text: "shipping it"})
	lead := h.fs.Post("C4ABCDEFG", slacktest.Message{User: "U1", Text: "budget"})

	c := h.connector(func(o *Options) { o.Channels = []string{"#eng", "C4ABCDEFG", "#nope"} })
	h.run(c)
	h.waitPolling(DefaultPollInterval)

	for _, m := range append(posted, parent, lead) {
		ch := "C1"
		if m.TS == lead.TS {
			ch = "C4ABCDEFG"
		}
		it, ok := h.sink.Item(ch + "/" + m.TS)
		if !ok {
			t.Errorf("message %q not ingested", m.Text)
			continue
		}
		if it.Direct || it.MentionsMe {
			t.Errorf("%q: Direct=%v MentionsMe=%v, want neither", m.Text, it.Direct, it.MentionsMe)
		}
	}
	if it, _ := h.sink.Item("C4ABCDEFG/" + lead.TS); it.Channel != "#leads" || it.Subject != "#leads" {
		t.Errorf("channel chosen by ID: Channel=%q Subject=%q, want #leads", it.Channel, it.Subject)
	}
	for _, r := range []slacktest.Message{r1, r2} {
		it, ok := h.sink.Item("C1/" + r.TS)
		if !ok {
			t.Errorf("thread reply %q not ingested", r.Text)
			continue
		}
		if it.Thread != "C1/"+parent.TS || !strings.HasSuffix(it.Link, "?thread_ts="+parent.TS+"&cid=C1") {
			t.Errorf("reply %q: Thread=%q Link=%q, want grouped under %s", r.Text, it.Thread, it.Link, parent.TS)
		}
	}
	if it, _ := h.sink.Item("C1/" + parent.TS); it.Thread != "C1/"+parent.TS {
		t.Errorf("thread parent Thread = %q, want C1/%s", it.Thread, parent.TS)
	}
	if n, want := h.sink.Len(), len(posted)+4; n != want {
		t.Errorf("got %d items, want %d", n, want)
	}
	if got := h.sink.CursorValue("acme", "conv:C1"); got != mine.TS {
		t.Errorf("cursor conv:C1 = %q, want %q", got, mine.TS)
	}
	// Pages: 9 top-level messages in #eng at 2 a page.
	var pages int
	for _, call := range h.fs.Calls("conversations.history") {
		if call.Params.Get("channel") == "C1" {
			pages++
			if pages > 1 && call.Params.Get("cursor") == "" {
				t.Errorf("page %d asked without a cursor", pages)
			}
		}
	}
	if pages != 4 {
		t.Errorf("read #eng in %d pages, want 4", pages)
	}
	// The parent with replies and the user's own message are watched.
	if got := h.sink.CursorValue("acme", "threads:C1"); !strings.Contains(got, parent.TS) || !strings.Contains(got, mine.TS) {
		t.Errorf("threads:C1 = %s, want the RFC thread and the user's own message", got)
	}
	if h := h.sink.Health(); !strings.Contains(h.Detail, "#nope not found") {
		t.Errorf("health detail %q does not name the missing channel", h.Detail)
	}

	// A later reply to the user's own message arrives on the next sweep.
	reply := h.fs.Post("C1", slacktest.Message{User: "U2", Text: "nice", ThreadTS: mine.TS})
	h.clock.Advance(DefaultPollInterval * 11 / 10)
	waitFor(t, "reply to own message", func() bool { _, ok := h.sink.Item("C1/" + reply.TS); return ok })
	if it, _ := h.sink.Item("C1/" + reply.TS); it.Thread != "C1/"+mine.TS {
		t.Errorf("reply Thread = %q, want C1/%s", it.Thread, mine.TS)
	}
}

func TestBackfillAfterRestartNoDuplicates(t *testing.T) {
	h := newHarness(t)
	a := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "before <@U0ME>"})
	h.fs.Post("C1", slacktest.Message{User: "U2", Text: "eng before"})
	opts := func(o *Options) { o.Channels = []string{"eng"} }

	stop := h.run(h.connector(opts))
	h.waitPolling(DefaultPollInterval)
	stop()
	first := h.sink.Len()
	if first != 2 {
		t.Fatalf("first run: %d items, want 2", first)
	}
	cursorD1, cursorC1 := h.sink.CursorValue("acme", "conv:D1"), h.sink.CursorValue("acme", "conv:C1")

	// While Sluice is closed…
	h.clock.Advance(3 * time.Hour)
	b1 := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "while you were away"})
	b2 := h.fs.Post("C1", slacktest.Message{User: "U3", Text: "eng while away <@U0ME>"})
	b3 := h.fs.Post("C2", slacktest.Message{User: "U3", Text: "<@U0ME> in random"})
	callsBefore, batchesBefore := len(h.fs.Calls()), len(h.sink.Batches())

	h.run(h.connector(opts)) // a new process: nothing in memory, same store
	h.waitPolling(DefaultPollInterval)

	if n := h.sink.Len(); n != first+3 {
		t.Errorf("after restart: %d items, want %d", n, first+3)
	}
	for _, src := range []string{"D1/" + b1.TS, "C1/" + b2.TS, "C2/" + b3.TS, "D1/" + a.TS} {
		if _, ok := h.sink.Item(src); !ok {
			t.Errorf("%s missing", src)
		}
	}
	// History resumed exactly at the stored cursors.
	for _, call := range h.fs.Calls()[callsBefore:] {
		if call.Method != "conversations.history" {
			continue
		}
		want := map[string]string{"D1": cursorD1, "C1": cursorC1}[call.Params.Get("channel")]
		if want != "" && call.Params.Get("oldest") != want {
			t.Errorf("history of %s from %q, want the cursor %q", call.Params.Get("channel"), call.Params.Get("oldest"), want)
		}
	}
	// No conversation sweep handed over anything stored before the restart;
	// only the mention search's deliberate overlap may offer one again, and
	// the store skips it.
	for _, b := range h.sink.Batches()[batchesBefore:] {
		if hasKey(b, "search:mentions") {
			continue
		}
		for _, it := range b.Items {
			if it.SourceID != "D1/"+b1.TS && it.SourceID != "C1/"+b2.TS {
				t.Errorf("conversation sweep after the restart handed over %s again", it.SourceID)
			}
		}
	}
	if got := h.sink.CursorValue("acme", "conv:D1"); got != b1.TS {
		t.Errorf("cursor conv:D1 = %q, want %q", got, b1.TS)
	}
}

func hasKey(b model.Batch, key string) bool {
	for _, c := range b.Cursors {
		if c.Key == key {
			return true
		}
	}
	return false
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "hi"})
	var mu sync.Mutex
	var at []time.Time // fake-clock time of each call
	var methods []string
	h.fs.OnCall = func(method string) {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, h.clock.Now())
		methods = append(methods, method)
	}
	h.fs.FailNext("conversations.history", slacktest.Fault{Status: 429, RetryAfter: 30})

	h.run(h.connector(nil))
	hl := h.waitHealth(model.HealthRateLimited)
	t0 := h.clock.Now()
	if !hl.Until.Equal(t0.Add(30*time.Second)) || !strings.Contains(hl.Detail, "rate limited until") {
		t.Errorf("health = %+v, want rate-limited until %s", hl, t0.Add(30*time.Second))
	}
	h.waitTimer(t0.Add(30*time.Second), t0.Add(30*time.Second))
	mu.Lock()
	limited := len(at)
	mu.Unlock()

	h.clock.Advance(29 * time.Second)
	time.Sleep(50 * time.Millisecond) // give a wrongly eager loop the chance to call
	mu.Lock()
	if len(at) != limited {
		t.Errorf("%d calls before Retry-After ran out: %v", len(at)-limited, methods[limited:])
	}
	mu.Unlock()

	h.clock.Advance(time.Second)
	waitFor(t, "the DM after the rate limit", func() bool { _, ok := h.sink.Item("D1/" + dm.TS); return ok })
	h.waitHealth(model.HealthConnected)
	mu.Lock()
	defer mu.Unlock()
	for i := limited; i < len(at); i++ {
		if at[i].Before(t0.Add(30 * time.Second)) {
			t.Errorf("call %s at %s, before Retry-After ended", methods[i], at[i])
		}
	}
}

func TestInvalidAuthStopsUntilWake(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "hi"})
	var token atomic.Value
	token.Store("xoxp-revoked")
	c := h.connector(func(o *Options) {
		o.Token = func(context.Context) (string, error) { return token.Load().(string), nil }
	})
	h.run(c)
	hl := h.waitHealth(model.HealthAuthFailed)
	if !hl.NeedsAttention() || !strings.Contains(hl.Detail, "invalid_auth") {
		t.Errorf("health = %+v, want auth-failed naming invalid_auth", hl)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(h.fs.Calls()); n != 1 {
		t.Errorf("%d calls after invalid_auth, want only the one auth.test", n)
	}
	if d := h.clock.Deadlines(); len(d) != 0 {
		t.Errorf("timers pending after auth failure (%v): that is a retry loop", d)
	}
	if strings.Contains(h.logs.String(), "xoxp-") {
		t.Errorf("the log mentions a token")
	}

	// The user pastes a new token; Wake (as after set-token) tries again.
	token.Store(h.fs.UserToken)
	c.Wake()
	waitFor(t, "the DM after a new token", func() bool { _, ok := h.sink.Item("D1/" + dm.TS); return ok })
	h.waitHealth(model.HealthConnected)

	// Revoked while running: auth-failed again, quiet again.
	h.fs.FailAll(&slacktest.Fault{Error: "token_revoked"})
	c.Wake()
	h.waitHealth(model.HealthAuthFailed)
	n := len(h.fs.Calls())
	h.clock.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if got := len(h.fs.Calls()); got != n {
		t.Errorf("%d calls after token_revoked", got-n)
	}
}

func TestUnreachableBacksOff(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "hi"})
	h.fs.FailAll(&slacktest.Fault{Status: 503})
	c := h.connector(nil)
	h.run(c)

	hl := h.waitHealth(model.HealthBackingOff)
	now := h.clock.Now()
	if d := hl.Until.Sub(now); d < backoffMin/2 || d > backoffMin {
		t.Errorf("first backoff %s, want within [%s, %s]", d, backoffMin/2, backoffMin)
	}
	if !strings.Contains(hl.Detail, "unreachable") {
		t.Errorf("detail %q", hl.Detail)
	}
	h.waitTimer(hl.Until, hl.Until)
	h.clock.Advance(hl.Until.Sub(now))
	waitFor(t, "a second backoff", func() bool {
		g := h.sink.Health()
		return g.State == model.HealthBackingOff && g.Until.After(hl.Until)
	})
	second := h.sink.Health()
	if d := second.Until.Sub(h.clock.Now()); d < backoffMin || d > 2*backoffMin {
		t.Errorf("second backoff %s, want within [%s, %s]", d, backoffMin, 2*backoffMin)
	}

	// A dropped connection counts the same; the workspace comes back.
	h.fs.FailAll(&slacktest.Fault{Drop: true})
	h.waitTimer(second.Until, second.Until)
	h.clock.Advance(second.Until.Sub(h.clock.Now()))
	waitFor(t, "a third backoff", func() bool { return h.sink.Health().Until.After(second.Until) })
	h.fs.FailAll(nil)
	c.Wake()
	waitFor(t, "the DM once reachable", func() bool { _, ok := h.sink.Item("D1/" + dm.TS); return ok })
	h.waitHealth(model.HealthConnected)
}

func TestCallsAreSpread(t *testing.T) {
	h := newHarness(t)
	h.fs.Post("D1", slacktest.Message{User: "U1", Text: "one"})
	h.fs.Post("G1", slacktest.Message{User: "U2", Text: "two"})
	var mu sync.Mutex
	var at []time.Time
	h.fs.OnCall = func(string) {
		mu.Lock()
		at = append(at, h.clock.Now())
		mu.Unlock()
	}
	const gap = 1200 * time.Millisecond
	h.run(h.connector(func(o *Options) { o.MinCallGap = 0 })) // the default spacing

	// Stand in for time passing: fire each spacing timer as it appears.
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			if d := h.clock.Deadlines(); len(d) > 0 && d[0].Sub(h.clock.Now()) <= gap {
				h.clock.Advance(d[0].Sub(h.clock.Now()))
			}
		}
	}()
	defer close(done)
	waitFor(t, "both items", func() bool { return h.sink.Len() == 2 })

	mu.Lock()
	defer mu.Unlock()
	if len(at) < 5 {
		t.Fatalf("only %d calls", len(at))
	}
	for i := 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-1]); d < gap {
			t.Errorf("call %d came %s after the previous one, want at least %s", i, d, gap)
		}
	}
}

func TestTestReportsIdentity(t *testing.T) {
	h := newHarness(t)
	c := h.connector(func(o *Options) {
		o.AppToken = func(context.Context) (string, error) { return h.fs.AppToken, nil }
	})
	id, err := c.Test(context.Background())
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	want := Identity{Team: "Acme", TeamID: "T0ACME", User: "me", UserID: "U0ME", URL: "https://acme.slack.com/", SocketMode: true}
	if id != want {
		t.Errorf("Test = %+v, want %+v", id, want)
	}

	bad := h.connector(func(o *Options) {
		o.Token = func(context.Context) (string, error) { return "xoxp-wrong", nil }
	})
	if _, err := bad.Test(context.Background()); !errors.Is(err, ErrAuth) {
		t.Errorf("Test with a bad token = %v, want ErrAuth", err)
	}
	badApp := h.connector(func(o *Options) {
		o.AppToken = func(context.Context) (string, error) { return "xapp-wrong", nil }
	})
	if _, err := badApp.Test(context.Background()); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "app-level") {
		t.Errorf("Test with a bad app token = %v, want ErrAuth naming the app-level token", err)
	}
	none := h.connector(func(o *Options) {
		o.Token = func(context.Context) (string, error) { return "", nil }
	})
	if _, err := none.Test(context.Background()); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "set-token acme") {
		t.Errorf("Test without a token = %v, want ErrAuth pointing at set-token", err)
	}
}

func TestNewValidates(t *testing.T) {
	tok := func(context.Context) (string, error) { return "x", nil }
	for _, tc := range []struct {
		name  string
		opt   Options
		field string
	}{
		{"no account", Options{Token: tok}, "account"},
		{"no token", Options{Account: "a"}, "token"},
		{"bad channel", Options{Account: "a", Token: tok, Channels: []string{"#"}}, "channels[0]"},
		{"negative poll", Options{Account: "a", Token: tok, PollInterval: -time.Second}, "poll interval"},
		{"bad url", Options{Account: "a", Token: tok, APIURL: "ftp://x/"}, "api url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("New = %v, want an error naming %q", err, tc.field)
			}
		})
	}
	c, err := New(Options{Account: "a", Token: tok, APIURL: "http://127.0.0.1:1/api"})
	if err != nil {
		t.Fatal(err)
	}
	if c.opt.APIURL != "http://127.0.0.1:1/api/" || c.opt.PollInterval != DefaultPollInterval || c.Kind() != model.KindSlack || c.Account() != "a" {
		t.Errorf("defaults not applied: %+v", c.opt)
	}
}

// TestConformance runs the checks every connector passes against the fake
// workspace: DMs become items with their cursors, a restart resumes from
// the cursors with nothing lost or offered twice, health follows an
// outage, Run returns promptly, a revoked token is tried once, and a batch
// the store refused is offered again.
func TestConformance(t *testing.T) {
	t.Run("DirectMessages", func(t *testing.T) {
		conformance(t, func(h *harness, mark string) { h.fs.Post("D1", slacktest.Message{User: "U1", Text: "about " + mark}) })
	})
	// Mentions in a channel the user has not joined come from search alone,
	// whose cursor overlaps the last sweep.
	t.Run("Mentions", func(t *testing.T) {
		conformance(t, func(h *harness, mark string) {
			h.fs.Post("C3", slacktest.Message{User: "U3", Text: "<@U0ME> see " + mark})
		})
	})
}

func conformance(t *testing.T, post func(h *harness, mark string)) {
	h := newHarness(t)
	conntest.Run(t, conntest.Suite{
		Account: "acme",
		New: func(t *testing.T, bad bool) model.Connector {
			return h.connector(func(o *Options) {
				if bad {
					o.Token = func(context.Context) (string, error) { return "xoxp-revoked", nil }
				}
			})
		},
		Add: func(t *testing.T, mark string) error {
			post(h, mark)
			return nil
		},
		Attempts: func() int { return len(h.fs.Calls()) }, // every call carries the token
		Outage: func(t *testing.T) func() {
			h.fs.FailAll(&slacktest.Fault{Status: http.StatusServiceUnavailable})
			return func() { h.fs.FailAll(nil) }
		},
		// Polls, retries and backoff run on the fake clock: move it on.
		Tick: func() { h.clock.Advance(5 * time.Second) },
	})
}
