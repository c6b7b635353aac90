package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
	"github.com/sluice-app/sluice/connectors/matrix/dendritetest"
)

// world is a Dendrite with Alice (the Sluice user), Bob and Carol, and the
// rooms Alice is in: #team (chosen), #random (not chosen), a DM with Carol
// (in m.direct) and an encrypted room (chosen by ID).
type world struct {
	srv                   *dendritetest.Server
	alice, bob, carol     string // user IDs
	aliceTok, bobTok      string
	carolTok              string
	team, random, carolDM string // room IDs
	secret                string
	txn                   atomic.Int64
}

const password = "correct horse battery staple"

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := dendritetest.Start(t)
	w := &world{srv: srv}
	w.alice, w.aliceTok = srv.Register(t, "alice", password)
	w.bob, w.bobTok = srv.Register(t, "bob", password)
	w.carol, w.carolTok = srv.Register(t, "carol", password)
	srv.Call(t, w.aliceTok, "PUT", "/_matrix/client/v3/profile/"+url.PathEscape(w.alice)+"/displayname", map[string]string{"displayname": "Alice"}, nil)
	srv.Call(t, w.bobTok, "PUT", "/_matrix/client/v3/profile/"+url.PathEscape(w.bob)+"/displayname", map[string]string{"displayname": "Bob Builder"}, nil)
	w.team = w.createRoom(t, w.bobTok, map[string]any{"name": "Team", "room_alias_name": "team", "invite": []string{w.alice}, "preset": "private_chat"})
	w.join(t, w.aliceTok, w.team)
	w.random = w.createRoom(t, w.bobTok, map[string]any{"name": "Random", "invite": []string{w.alice}, "preset": "private_chat"})
	w.join(t, w.aliceTok, w.random)
	w.carolDM = w.createRoom(t, w.carolTok, map[string]any{"invite": []string{w.alice}, "is_direct": true, "preset": "trusted_private_chat"})
	w.join(t, w.aliceTok, w.carolDM)
	srv.Call(t, w.aliceTok, "PUT", "/_matrix/client/v3/user/"+url.PathEscape(w.alice)+"/account_data/m.direct", map[string][]string{w.carol: {w.carolDM}}, nil)
	w.secret = w.createRoom(t, w.bobTok, map[string]any{"name": "Secret", "invite": []string{w.alice}, "preset": "private_chat",
		"initial_state": []map[string]any{{"type": "m.room.encryption", "state_key": "", "content": map[string]string{"algorithm": "m.megolm.v1.aes-sha2"}}}})
	w.join(t, w.aliceTok, w.secret)
	return w
}

func (w *world) createRoom(t *testing.T, tok string, req map[string]any) string {
	t.Helper()
	var out struct {
		RoomID string `json:"room_id"`
	}
	w.srv.Call(t, tok, "POST", "/_matrix/client/v3/createRoom", req, &out)
	return out.RoomID
}

func (w *world) join(t *testing.T, tok, room string) {
	t.Helper()
	w.srv.Call(t, tok, "POST", "/_matrix/client/v3/join/"+url.PathEscape(room), map[string]any{}, nil)
}

// send posts an event and returns its ID.
func (w *world) send(t *testing.T, tok, room, typ string, content map[string]any) string {
	t.Helper()
	var out struct {
		EventID string `json:"event_id"`
	}
	path := fmt.Sprintf("/_matrix/client/v3/rooms/%s/send/%s/sluice-%d", url.PathEscape(room), typ, w.txn.Add(1))
	w.srv.Call(t, tok, "PUT", path, content, &out)
	return out.EventID
}

func (w *world) say(t *testing.T, tok, room, text string) string {
	t.Helper()
	return w.send(t, tok, room, "m.room.message", map[string]any{"msgtype": "m.text", "body": text, "m.mentions": map[string]any{}})
}

// connector builds Alice's connector against the proxy.
func (w *world) connector(t *testing.T, logs *syncBuffer, mod func(*Options)) *Connector {
	t.Helper()
	opt := Options{
		Account:     "mx",
		Homeserver:  w.srv.URL,
		UserID:      w.alice,
		AccessToken: func(context.Context) (string, error) { return w.aliceTok, nil },
		Rooms:       []string{"#team:" + dendritetest.ServerName, w.secret},
		SyncTimeout: 3 * time.Second,
		SetPresence: true,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&opt)
	}
	c, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// revoked is an access token the homeserver does not know.
const revoked = "syt_revoked"

func TestDendrite(t *testing.T) {
	w := newWorld(t)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			var reqs strings.Builder
			for _, r := range w.srv.Requests() {
				fmt.Fprintf(&reqs, "%s %s\n", r.Method, r.Path)
			}
			t.Logf("connector log:\n%s\nrequests through the proxy:\n%s\ndendrite log:\n%s", logs.String(), reqs.String(), w.srv.Log())
		}
	})

	t.Run("Conformance", func(t *testing.T) {
		conntest.Run(t, conntest.Suite{
			Account: "mx",
			New: func(t *testing.T, bad bool) model.Connector {
				return w.connector(t, logs, func(o *Options) {
					if bad {
						o.AccessToken = func(context.Context) (string, error) { return revoked, nil }
					}
				})
			},
			Add: func(t *testing.T, mark string) error {
				w.say(t, w.bobTok, w.team, "standup notes "+mark)
				return nil
			},
			// How often the revoked token was presented: requests of the
			// suite's other connectors, still finishing as the bad one
			// starts, do not count (they once made it "2 times").
			Attempts: func() int {
				n := 0
				for _, r := range w.srv.Requests() {
					if r.Token == revoked {
						n++
					}
				}
				return n
			},
			Outage: func(t *testing.T) func() {
				w.srv.SetDown(true)
				return func() { w.srv.SetDown(false) }
			},
		})
	})

	t.Run("WhatBecomesAnItem", func(t *testing.T) { testItems(t, w, logs) })
	t.Run("PasswordLoginAndDiscovery", func(t *testing.T) { testPasswordLogin(t, w, logs) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, w, logs) })
	t.Run("RateLimitAnsweredAsWakeComes", func(t *testing.T) { testRateLimitAndWake(t, w, logs) })
	t.Run("WakeStartsANewSync", func(t *testing.T) { testWakeStartsANewSync(t, w, logs) })
	t.Run("Presence", func(t *testing.T) { testPresence(t, w, logs) })
	t.Run("NoReceiptsNoOnline", func(t *testing.T) {
		for _, r := range w.srv.Requests() {
			if strings.Contains(r.Path, "/receipt/") || strings.Contains(r.Path, "/read_markers") || strings.HasSuffix(r.Path, "/join") {
				t.Errorf("the connector sent %s %s", r.Method, r.Path)
			}
			if strings.HasSuffix(r.Path, "/sync") {
				if p := r.Query.Get("set_presence"); p != "offline" && p != "unavailable" {
					t.Errorf("a sync with set_presence %q would show Alice online", p)
				}
			}
		}
	})
}

func testItems(t *testing.T, w *world, logs *syncBuffer) {
	sink := conntest.NewSink(t)
	c := w.connector(t, logs, nil)
	conntest.Start(t, c, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "connected", func() bool { return sink.Health().State == model.HealthConnected })

	// A new DM: the invite is an item and teaches the connector the room is direct.
	dm := w.createRoom(t, w.bobTok, map[string]any{"invite": []string{w.alice}, "is_direct": true, "preset": "trusted_private_chat"})
	conntest.WaitFor(t, 20*time.Second, nil, "the invitation", func() bool { return len(sink.Find("wants to chat")) == 1 })
	w.join(t, w.aliceTok, dm)
	dmEvt := w.say(t, w.bobTok, dm, "got a minute?")
	carolEvt := w.say(t, w.carolTok, w.carolDM, "lunch?")
	mention := w.send(t, w.bobTok, w.random, "m.room.message", map[string]any{"msgtype": "m.text", "body": "Alice: the deploy is blocked",
		"m.mentions": map[string]any{"user_ids": []string{w.alice}}})
	w.say(t, w.bobTok, w.random, "noise nobody asked for")
	w.send(t, w.bobTok, w.random, "m.room.message", map[string]any{"msgtype": "m.text", "body": "@room coffee", "m.mentions": map[string]any{"room": true}})
	teamEvt := w.say(t, w.bobTok, w.team, "release at 3")
	w.say(t, w.aliceTok, w.team, "my own message")
	secretEvt := w.send(t, w.bobTok, w.secret, "m.room.encrypted", map[string]any{"algorithm": "m.megolm.v1.aes-sha2",
		"ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg", "sender_key": "x", "device_id": "BOB", "session_id": "s"})
	conntest.WaitFor(t, 20*time.Second, nil, "the encrypted message", func() bool { _, ok := sink.Item(secretEvt); return ok })

	base := "https://matrix.to/#/"
	check := func(evt string, want model.Item) {
		t.Helper()
		it, ok := sink.Item(evt)
		if !ok {
			t.Errorf("no item for %s (%s)", evt, want.Subject)
			return
		}
		if it.Subject != want.Subject || it.Snippet != want.Snippet || it.FromName != want.FromName || it.FromAddr != want.FromAddr ||
			it.Direct != want.Direct || it.MentionsMe != want.MentionsMe || it.Channel != want.Channel || it.Link != want.Link ||
			it.Kind != model.KindMatrix || it.Thread != want.Thread || it.Received.IsZero() {
			t.Errorf("item %s:\n got %+v\nwant %+v", evt, it, want)
		}
	}
	link := func(room, evt string) string {
		return base + url.PathEscape(room) + "/" + url.PathEscape(evt) + "?via=" + dendritetest.ServerName
	}
	check(dmEvt, model.Item{Subject: "DM from Bob Builder", Snippet: "got a minute?", FromName: "Bob Builder", FromAddr: w.bob,
		Direct: true, Channel: "DM", Thread: dm, Link: link(dm, dmEvt)})
	check(carolEvt, model.Item{Subject: "DM from carol", Snippet: "lunch?", FromName: "carol", FromAddr: w.carol,
		Direct: true, Channel: "DM", Thread: w.carolDM, Link: link(w.carolDM, carolEvt)})
	check(mention, model.Item{Subject: "Bob Builder mentioned you in Random", Snippet: "Alice: the deploy is blocked", FromName: "Bob Builder",
		FromAddr: w.bob, MentionsMe: true, Channel: "Random", Thread: w.random, Link: link(w.random, mention)})
	check(teamEvt, model.Item{Subject: "Bob Builder in Team", Snippet: "release at 3", FromName: "Bob Builder", FromAddr: w.bob,
		Channel: "Team", Thread: w.team, Link: link(w.team, teamEvt)})
	check(secretEvt, model.Item{Subject: "Encrypted message in Secret", FromName: "Bob Builder", FromAddr: w.bob,
		Channel: "Secret", Thread: w.secret, Link: link(w.secret, secretEvt)})
	for _, it := range sink.Items() {
		for _, bad := range []string{"noise nobody", "@room coffee", "my own message"} {
			if strings.Contains(it.Snippet, bad) {
				t.Errorf("item %q should not exist: not a DM, a mention or a chosen room", it.Snippet)
			}
		}
	}
	if b, ok := sink.BatchOf(dmEvt); !ok || !hasCursor(b, sinceKey) {
		t.Errorf("the DM's batch carries no since-token")
	}
	if got := sink.CursorValue("mx", directKey); !strings.Contains(got, dm) || !strings.Contains(got, w.carolDM) {
		t.Errorf("direct cursor %s lacks a DM room", got)
	}
	if log := logs.String(); strings.Contains(log, w.aliceTok) || strings.Contains(log, "got a minute") {
		t.Errorf("the log holds a token or a message")
	}

	// Element web links instead of matrix.to.
	el := w.connector(t, logs, func(o *Options) { o.LinkBase = "https://element.example.org/#/room/" })
	if got, want := el.link("!r:example.org", "$e"), "https://element.example.org/#/room/%21r:example.org/$e"; got != want {
		t.Errorf("Element link %s, want %s", got, want)
	}
}

func hasCursor(b model.Batch, key string) bool {
	for _, c := range b.Cursors {
		if c.Key == key {
			return true
		}
	}
	return false
}

func testPasswordLogin(t *testing.T, w *world, logs *syncBuffer) {
	// The user types only the server's name; its .well-known names the homeserver.
	wk := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/matrix/client" {
			http.NotFound(rw, r)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]any{"m.homeserver": map[string]string{"base_url": w.srv.URL}})
	}))
	defer wk.Close()
	var saved atomic.Value
	saved.Store("")
	c := w.connector(t, logs, func(o *Options) {
		o.Homeserver = wk.URL
		o.AccessToken = func(context.Context) (string, error) { return saved.Load().(string), nil }
		o.Password = func(context.Context) (string, error) { return password, nil }
		o.SaveToken = func(_ context.Context, tok string) error { saved.Store(tok); return nil }
	})
	id, err := c.Test(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != w.alice || id.Homeserver != w.srv.URL || saved.Load().(string) == "" {
		t.Fatalf("identity %+v, token saved %v", id, saved.Load() != "")
	}
	// The next start uses the saved token: no second login, no new device.
	logins := 0
	for _, r := range w.srv.Requests() {
		if strings.HasSuffix(r.Path, "/login") {
			logins++
		}
	}
	if _, err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := 0
	for _, r := range w.srv.Requests() {
		if strings.HasSuffix(r.Path, "/login") {
			after++
		}
	}
	if after != logins {
		t.Errorf("signed in by password again although a token was saved")
	}
	bad := w.connector(t, logs, func(o *Options) {
		o.AccessToken = nil
		o.Password = func(context.Context) (string, error) { return "wrong", nil }
	})
	if _, err := bad.Test(context.Background()); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("a wrong password: %v", err)
	}
}

func testRateLimit(t *testing.T, w *world, logs *syncBuffer) {
	sink := conntest.NewSink(t)
	c := w.connector(t, logs, nil)
	// The limit meets the connector's first /sync. (Ending a sync in
	// flight with Wake so that the next one meets it left, in about 1 run
	// of 6 under -race, a /sync in flight for more than 20 s: not
	// understood yet, see the closing note of issue 18.)
	w.srv.RateLimit("/sync", 1500)
	before := time.Now()
	conntest.Start(t, c, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "rate limited", func() bool { return sink.Health().State == model.HealthRateLimited })
	h := sink.Health()
	if d := h.Until.Sub(before); d < 1400*time.Millisecond || d > 10*time.Second {
		t.Errorf("rate limited until %s after the limit, want about retry_after_ms (1.5 s)", d)
	}
	evt := w.say(t, w.bobTok, w.team, "after the limit")
	conntest.WaitFor(t, 20*time.Second, nil, "the message after the limit", func() bool { _, ok := sink.Item(evt); return ok })
	if time.Since(before) < 1400*time.Millisecond {
		t.Errorf("synced again before retry_after_ms had passed")
	}
	if c.Wake(); sink.Health().State == model.HealthRateLimited {
		t.Errorf("still rate limited after the wait")
	}
}

// wakeOnLimit is a transport that calls wake just after the homeserver
// answered a rate-limited /sync, before the connector reads the answer.
type wakeOnLimit struct {
	wake  func()
	armed atomic.Bool
}

func (tr *wakeOnLimit) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && tr.armed.CompareAndSwap(true, false) {
		tr.wake()
	}
	return resp, err
}

// testRateLimitAndWake: a Wake (resume from sleep) that comes just as the
// homeserver says M_LIMIT_EXCEEDED does not undo the limit: the connector
// once took the answer for a sync the Wake had cut short, synced again at
// once and never honoured retry_after_ms (seen as a flaky RateLimit test
// under load).
func testRateLimitAndWake(t *testing.T, w *world, logs *syncBuffer) {
	tr := &wakeOnLimit{}
	c := w.connector(t, logs, func(o *Options) { o.HTTPClient = &http.Client{Transport: tr} })
	tr.wake = c.Wake
	// The limit meets the connector's first /sync: no sync is in flight
	// for the test to end, the transport's Wake is the only one.
	tr.armed.Store(true)
	w.srv.RateLimit("/sync", 1500)
	before := time.Now()
	sink := conntest.NewSink(t)
	conntest.Start(t, c, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "rate limited", func() bool { return sink.Health().State == model.HealthRateLimited })
	if d := sink.Health().Until.Sub(before); d < 1400*time.Millisecond {
		t.Errorf("rate limited until %s after the limit, want about retry_after_ms (1.5 s)", d)
	}
	if tr.armed.Load() {
		t.Error("the transport never saw the limited answer; the test proved nothing")
	}
}

// syncWatch is a transport that counts the connector's /sync requests and
// how long each was in flight.
type syncWatch struct {
	mu      sync.Mutex
	started int
	open    map[*http.Request]time.Time
	longest time.Duration
}

func (sw *syncWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/sync") {
		return http.DefaultTransport.RoundTrip(r)
	}
	sw.mu.Lock()
	sw.started++
	sw.open[r] = time.Now()
	sw.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	sw.mu.Lock()
	sw.longest = max(sw.longest, time.Since(sw.open[r]))
	delete(sw.open, r)
	sw.mu.Unlock()
	return resp, err
}

func (sw *syncWatch) count() int {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.started
}

// testWakeStartsANewSync: each Wake (resume from sleep) ends the 30-second
// long poll in flight and starts a new /sync at once, also when the new
// one meets a rate limit; no /sync outlives its Wake. (An earlier version
// of the rate-limit test once saw a /sync in flight for 20 s after a
// Wake; this is the check that it does not happen.)
func testWakeStartsANewSync(t *testing.T, w *world, logs *syncBuffer) {
	sw := &syncWatch{open: map[*http.Request]time.Time{}}
	c := w.connector(t, logs, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: sw}
		o.SyncTimeout = 30 * time.Second
	})
	sink := conntest.NewSink(t)
	conntest.Start(t, c, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "connected", func() bool { return sink.Health().State == model.HealthConnected })
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 18))
	t.Logf("seed %d", seed)
	for i := range 12 {
		time.Sleep(time.Duration(rng.IntN(1200)) * time.Millisecond)
		if i%2 == 1 {
			w.srv.RateLimit("/sync", 300)
		}
		before := sw.count()
		c.Wake()
		conntest.WaitFor(t, 10*time.Second, nil, fmt.Sprintf("a new /sync after Wake %d", i), func() bool { return sw.count() > before })
	}
	evt := w.say(t, w.bobTok, w.team, "after the wakes")
	conntest.WaitFor(t, 20*time.Second, nil, "the message after the wakes", func() bool { _, ok := sink.Item(evt); return ok })
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.longest > 25*time.Second {
		t.Errorf("a /sync was in flight for %v: a Wake did not end it", sw.longest)
	}
}

func testPresence(t *testing.T, w *world, logs *syncBuffer) {
	w.srv.Call(t, w.aliceTok, "PUT", "/_matrix/client/v3/presence/"+url.PathEscape(w.alice)+"/status",
		map[string]string{"presence": "online", "status_msg": "In the office"}, nil)
	sink := conntest.NewSink(t)
	zone := time.UTC
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, zone))
	c := w.connector(t, logs, func(o *Options) { o.Clock = clk })
	r := conntest.Start(t, c, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "connected", func() bool { return sink.Health().State == model.HealthConnected })
	presence := func() (string, string) {
		var p struct {
			Presence  string `json:"presence"`
			StatusMsg string `json:"status_msg"`
		}
		w.srv.Call(t, w.bobTok, "GET", "/_matrix/client/v3/presence/"+url.PathEscape(w.alice)+"/status", nil, &p)
		return p.Presence, p.StatusMsg
	}
	f := model.FocusInfo{Until: clk.Now().Add(90 * time.Minute), ReplyAt: time.Date(2026, 3, 2, 14, 0, 0, 0, zone), Zone: zone}
	if err := c.FocusStarted(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	// Dendrite applies presence asynchronously: read until it shows.
	waitPresence := func(when, wantP, wantS string) {
		t.Helper()
		var p, s string
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if p, s = presence(); p == wantP && s == wantS {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("%s: presence %q, status %q; want %q, %q", when, p, s, wantP, wantS)
	}
	waitPresence("during focus", "unavailable", "Deep work — replies at 14:00")
	if m := sink.CursorValue("mx", focusKey); !strings.Contains(m, "In the office") {
		t.Errorf("focus cursor %q does not remember the status to restore", m)
	}
	// A restart in the middle of the block still restores it, and keeps
	// the presence meanwhile.
	if err := r.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	seen := len(w.srv.Requests())
	c2 := w.connector(t, logs, func(o *Options) { o.Clock = clk })
	conntest.Start(t, c2, sink)
	conntest.WaitFor(t, 20*time.Second, nil, "the second connector syncing", func() bool {
		return sink.Health().State == model.HealthConnected
	})
	for _, r := range w.srv.Requests()[seen:] {
		if strings.HasSuffix(r.Path, "/sync") && r.Query.Get("set_presence") != "unavailable" {
			t.Errorf("a sync during focus asked for presence %q", r.Query.Get("set_presence"))
		}
	}
	if err := c2.FocusEnded(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitPresence("after focus", "online", "In the office")
	if m := sink.CursorValue("mx", focusKey); m != "" {
		t.Errorf("focus cursor %q left after the block", m)
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
