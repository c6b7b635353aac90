package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
	"github.com/sluice-app/sluice/connectors/github/githubtest"
)

// start is the fake clock's start.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	clk   *clock.Fake
	fs    *githubtest.Server
	sink  *conntest.Sink
	logs  *syncBuffer
	issue int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clk := clock.NewFake(start)
	fs := githubtest.New(clk.Now)
	t.Cleanup(fs.Close)
	h := &harness{t: t, clk: clk, fs: fs, sink: conntest.NewSink(t), logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("connector log:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) connector(mod func(*Options)) *Connector {
	h.t.Helper()
	opt := Options{
		Account: "gh",
		Token:   func(context.Context) (string, error) { return h.fs.Token, nil },
		APIURL:  h.fs.APIURL(),
		WebURL:  h.fs.WebURL(),
		Clock:   h.clk,
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&opt)
	}
	c, err := New(opt)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	return c
}

// tick moves the fake clock on by 10 s: polls every 60 s come every sixth
// tick, so a test covers hours of polling in a second.
func (h *harness) tick() { h.clk.Advance(10 * time.Second) }

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	conntest.WaitFor(h.t, 20*time.Second, h.tick, what, cond)
}

// waitQuiet lets the connector settle on real time without moving the
// clock: it is idle once its Run loop is waiting on a timer.
func (h *harness) waitIdle() {
	h.t.Helper()
	conntest.WaitFor(h.t, 10*time.Second, nil, "the connector to wait for its next poll", func() bool {
		return h.sink.Health().State == model.HealthConnected && h.clk.Pending() > 0
	})
}

func TestConformance(t *testing.T) {
	h := newHarness(t)
	conntest.Run(t, conntest.Suite{
		Account: "gh",
		New: func(t *testing.T, bad bool) model.Connector {
			return h.connector(func(o *Options) {
				if bad {
					o.Token = func(context.Context) (string, error) { return "ghp_revoked", nil }
				}
			})
		},
		Add: func(t *testing.T, mark string) error {
			h.issue++
			h.fs.Add(githubtest.Notification{Title: "Issue " + mark, Type: "Issue", Number: h.issue, Reason: "mention", Author: "alice", Body: "see " + mark})
			return nil
		},
		Attempts: h.fs.Attempts,
		Outage: func(t *testing.T) func() {
			h.fs.SetDown(true)
			return func() { h.fs.SetDown(false) }
		},
		Tick: h.tick,
	})
}

func TestNotificationsBecomeItems(t *testing.T) {
	h := newHarness(t)
	h.clk.Advance(-time.Hour)
	review := h.fs.Add(githubtest.Notification{Repo: "octo/app", Title: "Fix the flaky test", Type: "PullRequest", Number: 7,
		Reason: "review_requested", Author: "lead", Body: "Please look at the retry loop."})
	ci := h.fs.Add(githubtest.Notification{Repo: "octo/app", Title: "CI failed on main", Type: "CheckSuite", Reason: "ci_activity"})
	private := h.fs.Add(githubtest.Notification{Repo: "octo/secret", Title: "Rotate keys", Type: "Issue", Number: 3, Reason: "assign", Private: true})
	mention := h.fs.Add(githubtest.Notification{Repo: "octo/app", Title: "Crash on start", Type: "Issue", Number: 9, Reason: "mention",
		Author: "bob", Comment: "@me can you reproduce?", Commenter: "carol"})
	h.clk.Advance(time.Hour)

	c := h.connector(nil)
	conntest.Start(t, c, h.sink)
	h.waitIdle()

	if n := h.sink.Len(); n != 4 {
		t.Fatalf("got %d items, want 4: %+v", n, h.sink.Items())
	}
	web := h.fs.WebURL()
	check := func(n githubtest.Notification, want model.Item) {
		t.Helper()
		it, ok := h.sink.Item(n.ID + "@" + n.Updated.UTC().Format(time.RFC3339))
		if !ok {
			t.Fatalf("no item for thread %s", n.ID)
		}
		want.Kind, want.Account, want.SourceID, want.Received = model.KindGitHub, "gh", it.SourceID, n.Updated
		want.ID, want.Thread = it.ID, "thread:"+n.ID
		if fmt.Sprintf("%+v", it) != fmt.Sprintf("%+v", want) {
			t.Errorf("thread %s:\n got %+v\nwant %+v", n.ID, it, want)
		}
	}
	check(review, model.Item{Channel: "octo/app", Subject: "Fix the flaky test", Reason: "review_requested", FromName: "lead",
		Snippet: "Review requested · pull request #7: Please look at the retry loop.", Link: web + "octo/app/pull/7"})
	check(ci, model.Item{Channel: "octo/app", Subject: "CI failed on main", Reason: "ci_activity",
		Snippet: "CI activity · workflow run", Link: web + "octo/app/actions"})
	// A subject the token may not read keeps a link worked out from its API address.
	check(private, model.Item{Channel: "octo/secret", Subject: "Rotate keys", Reason: "assign",
		Snippet: "Assigned to you · issue #3", Link: web + "octo/secret/issues/3"})
	check(mention, model.Item{Channel: "octo/app", Subject: "Crash on start", Reason: "mention", FromName: "carol", MentionsMe: true,
		Snippet: "You were mentioned · issue #9: @me can you reproduce?", Link: web + "octo/app/issues/9#issuecomment-" + mention.ID})

	// The list was asked for unread threads of the last 24 h.
	calls := h.fs.CallsTo("GET", "/api/v3/notifications")
	q := calls[0].Query
	if q.Get("all") != "false" || q.Get("since") != start.Add(-DefaultLookback).Format(time.RFC3339) {
		t.Errorf("first list query = %v, want all=false since=%s", q, start.Add(-DefaultLookback).Format(time.RFC3339))
	}
	for _, c := range h.fs.Calls() {
		if c.Method != http.MethodGet {
			t.Errorf("the connector sent %s %s: it must only read", c.Method, c.Path)
		}
		if c.Header.Get("X-GitHub-Api-Version") == "" || !strings.HasPrefix(c.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("%s %s without the API version or the token", c.Method, c.Path)
		}
	}
	if log := h.logs.String(); strings.Contains(log, h.fs.Token) || strings.Contains(log, "retry loop") {
		t.Errorf("the log holds the token or a body")
	}
}

func TestUnchangedListCosts304(t *testing.T) {
	h := newHarness(t)
	h.fs.Add(githubtest.Notification{Title: "one", Number: 1, Reason: "mention"})
	conntest.Start(t, h.connector(nil), h.sink)
	h.waitIdle()
	batches := len(h.sink.Batches())
	h.waitFor("three more polls", func() bool { return len(h.fs.CallsTo("GET", "/api/v3/notifications")) >= 4 })
	calls := h.fs.CallsTo("GET", "/api/v3/notifications")
	lm := ""
	for i, c := range calls {
		if i == 0 {
			if c.Header.Get("If-Modified-Since") != "" {
				t.Errorf("the first poll sent If-Modified-Since %q", c.Header.Get("If-Modified-Since"))
			}
			continue
		}
		if c.Status != http.StatusNotModified {
			t.Errorf("poll %d answered %d, want 304", i+1, c.Status)
		}
		if ims := c.Header.Get("If-Modified-Since"); ims == "" || (lm != "" && ims != lm) {
			t.Errorf("poll %d If-Modified-Since %q", i+1, ims)
		}
		lm = c.Header.Get("If-Modified-Since")
	}
	if got := len(h.sink.Batches()); got != batches {
		t.Errorf("304 answers wrote %d batches", got-batches)
	}
	// A change is seen at the next poll, once.
	h.fs.Add(githubtest.Notification{Title: "two", Number: 2, Reason: "assign"})
	h.waitFor("the new notification", func() bool { return len(h.sink.Find("two")) == 1 })
	if len(h.sink.Redelivered()) != 0 {
		t.Errorf("items offered again: %+v", h.sink.Redelivered())
	}
}

func TestPollIntervalHonoured(t *testing.T) {
	h := newHarness(t)
	h.fs.SetPollInterval(180)
	conntest.Start(t, h.connector(func(o *Options) { o.PollInterval = 60 * time.Second }), h.sink)
	h.waitFor("four polls", func() bool { return len(h.fs.CallsTo("GET", "/api/v3/notifications")) >= 4 })
	calls := h.fs.CallsTo("GET", "/api/v3/notifications")
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < 180*time.Second {
			t.Errorf("poll %d came %s after the one before; X-Poll-Interval asked for 180s", i+1, gap)
		}
	}
	if d := h.sink.Health().Detail; !strings.Contains(d, "3m0s") {
		t.Errorf("health detail %q does not say the interval GitHub asked for", d)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter int
		want       time.Duration
	}{
		{"Retry-After", 90, 90 * time.Second},
		{"no Retry-After", -1, secondaryWait},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fs.SecondaryLimit(tc.retryAfter)
			h.fs.Add(githubtest.Notification{Title: "held back", Number: 1, Reason: "mention"})
			conntest.Start(t, h.connector(nil), h.sink)
			conntest.WaitFor(t, 10*time.Second, nil, "rate limited", func() bool { return h.sink.Health().State == model.HealthRateLimited })
			hl := h.sink.Health()
			if !hl.Until.Equal(start.Add(tc.want)) || !strings.Contains(hl.Detail, "secondary") {
				t.Errorf("health %+v, want rate limited until %s", hl, start.Add(tc.want))
			}
			h.waitFor("the item after the limit", func() bool { return h.sink.Len() == 1 })
			calls := h.fs.CallsTo("GET", "/api/v3/notifications")
			if calls[0].Status != http.StatusForbidden || calls[1].At.Sub(calls[0].At) < tc.want {
				t.Errorf("retried %s after a %d; want at least %s", calls[1].At.Sub(calls[0].At), calls[0].Status, tc.want)
			}
		})
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	h := newHarness(t)
	reset := start.Add(30 * time.Minute)
	h.fs.SetRemaining(0, reset)
	h.fs.Add(githubtest.Notification{Title: "later", Number: 1, Reason: "mention"})
	conntest.Start(t, h.connector(nil), h.sink)
	conntest.WaitFor(t, 10*time.Second, nil, "rate limited", func() bool { return h.sink.Health().State == model.HealthRateLimited })
	if got := h.sink.Health().Until; !got.Equal(reset) {
		t.Errorf("rate limited until %s, want the reset %s", got, reset)
	}
	h.fs.SetRemaining(5000, time.Time{})
	h.waitFor("the item after the reset", func() bool { return h.sink.Len() == 1 })
	calls := h.fs.CallsTo("GET", "/api/v3/notifications")
	if calls[1].At.Before(reset) {
		t.Errorf("polled at %s, before the reset at %s", calls[1].At, reset)
	}
}

func TestPaginationByLink(t *testing.T) {
	h := newHarness(t)
	for i := 1; i <= 120; i++ {
		h.fs.Add(githubtest.Notification{Title: fmt.Sprintf("n%03d", i), Type: "Commit", Reason: "subscribed", Updated: start.Add(-time.Duration(i) * time.Minute)})
	}
	conntest.Start(t, h.connector(nil), h.sink)
	h.waitIdle()
	if n := h.sink.Len(); n != 120 {
		t.Fatalf("got %d items, want 120", n)
	}
	calls := h.fs.CallsTo("GET", "/api/v3/notifications")
	if len(calls) != 3 || calls[1].Query.Get("page") != "2" || calls[2].Query.Get("page") != "3" {
		t.Errorf("pages fetched: %d, want 3 following Link", len(calls))
	}
	// One batch: the cursor moves only once every page is in.
	if got := len(h.sink.Batches()); got != 1 {
		t.Errorf("%d batches, want 1", got)
	}
}

func TestMarkReadOnlyWhenAskedAndDone(t *testing.T) {
	for _, ask := range []bool{false, true} {
		t.Run(fmt.Sprintf("mark_read_on_done=%v", ask), func(t *testing.T) {
			h := newHarness(t)
			n := h.fs.Add(githubtest.Notification{Title: "PR", Type: "PullRequest", Number: 4, Reason: "review_requested", Author: "lead"})
			c := h.connector(func(o *Options) { o.MarkReadOnDone = ask })
			conntest.Start(t, c, h.sink)
			h.waitIdle()
			h.waitFor("a few polls", func() bool { return len(h.fs.CallsTo("GET", "/api/v3/notifications")) >= 3 })
			if got := len(h.fs.CallsTo("PATCH", "/api/v3/notifications/threads/"+n.ID)); got != 0 {
				t.Fatalf("marked read %d times before the item was done", got)
			}
			if err := c.MarkDone(context.Background(), h.sink.Items()); err != nil {
				t.Fatal(err)
			}
			th, _ := h.fs.Thread(n.ID)
			if th.Unread == ask {
				t.Errorf("thread unread = %v after done with mark_read_on_done = %v", th.Unread, ask)
			}
		})
	}
}

func TestTestSaysWhyTokenFails(t *testing.T) {
	h := newHarness(t)
	c := h.connector(func(o *Options) { o.Token = func(context.Context) (string, error) { return "nope", nil } })
	if _, err := c.Test(context.Background()); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("Test with a bad token: %v, want ErrAuth with GitHub's words", err)
	}
	c = h.connector(func(o *Options) { o.Token = func(context.Context) (string, error) { return "", nil } })
	if _, err := c.Test(context.Background()); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "set-token gh") {
		t.Errorf("Test without a token: %v", err)
	}
}

func TestLinksForPublicGitHub(t *testing.T) {
	c, err := New(Options{Account: "gh", Token: func(context.Context) (string, error) { return "", nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ, url, want string
	}{
		{"PullRequest", "https://api.github.com/repos/o/r/pulls/12", "https://github.com/o/r/pull/12"},
		{"Issue", "https://api.github.com/repos/o/r/issues/3", "https://github.com/o/r/issues/3"},
		{"Commit", "https://api.github.com/repos/o/r/commits/abc123", "https://github.com/o/r/commit/abc123"},
		{"Release", "https://api.github.com/repos/o/r/releases/99", "https://github.com/o/r/releases"},
		{"Discussion", "https://api.github.com/repos/o/r/discussions/5", "https://github.com/o/r/discussions/5"},
		{"CheckSuite", "", "https://github.com/o/r/actions"},
		{"RepositoryVulnerabilityAlert", "https://evil.example/x", "https://github.com/o/r"},
	} {
		n := notification{Subject: subject{Type: tc.typ, URL: tc.url}}
		n.Repository.FullName = "o/r"
		if got := c.htmlLink(n); got != tc.want {
			t.Errorf("%s %s → %s, want %s", tc.typ, tc.url, got, tc.want)
		}
	}
	ghe, _ := New(Options{Account: "x", Token: c.opt.Token, APIURL: "https://ghe.corp.example/api/v3"})
	if got := ghe.web.String(); got != "https://ghe.corp.example/" {
		t.Errorf("Enterprise web base %s", got)
	}
	if c.onAPI("https://evil.example/repos/o/r/issues/1") || !c.onAPI("https://api.github.com/repos/o/r") {
		t.Errorf("onAPI does not keep the token on the API host")
	}
}

func TestNextLink(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://api.github.com/notifications?page=2>; rel="next", <https://api.github.com/notifications?page=5>; rel="last"`)
	if got := nextLink(h); got != "https://api.github.com/notifications?page=2" {
		t.Errorf("next = %q", got)
	}
	h.Set("Link", `<https://api.github.com/notifications?page=1>; rel="first", <https://api.github.com/notifications?page=4>; rel="prev"`)
	if got := nextLink(h); got != "" {
		t.Errorf("next on the last page = %q", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
