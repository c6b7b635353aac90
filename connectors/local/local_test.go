package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
)

func TestNew(t *testing.T) {
	good := []struct{ addr, want string }{
		{"", DefaultAddr},
		{"127.0.0.1:8642", "127.0.0.1:8642"},
		{"127.0.0.2:0", "127.0.0.2:0"},
		{"127.255.255.254:9000", "127.255.255.254:9000"},
		{"[::1]:8642", "[::1]:8642"},
		{"localhost:8642", "127.0.0.1:8642"},
		{"[::ffff:127.0.0.1]:1", "127.0.0.1:1"},
	}
	for _, g := range good {
		c, err := New(Options{Addr: g.addr, Token: "t"})
		if err != nil {
			t.Errorf("New(Addr %q): %v", g.addr, err)
			continue
		}
		if c.Addr() != g.want {
			t.Errorf("New(Addr %q).Addr() = %q, want %q", g.addr, c.Addr(), g.want)
		}
		if c.Kind() != model.KindLocal || c.Account() != DefaultAccount {
			t.Errorf("Kind, Account = %q, %q", c.Kind(), c.Account())
		}
	}

	bad := []struct {
		addr string
		want error
	}{
		{"0.0.0.0:8642", ErrNotLoopback},
		{":8642", ErrNotLoopback},
		{"[::]:8642", ErrNotLoopback},
		{"192.168.1.20:8642", ErrNotLoopback},
		{"10.0.0.1:80", ErrNotLoopback},
		{"example.com:8642", ErrNotLoopback},
		{"[fe80::1%lo]:8642", ErrNotLoopback},
		{"[::1%lo]:8642", ErrNotLoopback},
		{"127.0.0.1", nil}, // no port
		{"127.0.0.1:99999", nil},
		{"127.0.0.1:http", nil},
	}
	for _, b := range bad {
		_, err := New(Options{Addr: b.addr, Token: "t"})
		if err == nil {
			t.Errorf("New(Addr %q) succeeded, want an error", b.addr)
			continue
		}
		if b.want != nil && !errors.Is(err, b.want) {
			t.Errorf("New(Addr %q): %v, want %v", b.addr, err, b.want)
		}
		if !strings.Contains(err.Error(), b.addr) {
			t.Errorf("New(Addr %q): error %q does not name the address", b.addr, err)
		}
	}

	if _, err := New(Options{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("New without token: %v, want ErrNoToken", err)
	}
	if c, _ := New(Options{Token: "t", Account: "scripts"}); c.Account() != "scripts" {
		t.Errorf("Account = %q, want scripts", c.Account())
	}
}

func TestPostJSON(t *testing.T) {
	in := startInbox(t, newFakeSink())
	r := in.postJSON(t, `{"title":"Deploy done","body":"v1.2 is live","from":"Deployer <deploy@example.org>",
		"link":"https://ci.example.org/d/7","urgent":true,"channel":"deploys","id":"deploy-7"}`)
	if r.status != http.StatusCreated || r.body["status"] != "stored" {
		t.Fatalf("got %d %s, want 201 stored", r.status, r.raw)
	}
	items := in.sink.stored()
	if len(items) != 1 {
		t.Fatalf("%d items stored, want 1", len(items))
	}
	it := items[0]
	if r.body["id"] != it.ID || it.ID != model.ItemID("local", "deploy-7") {
		t.Errorf("reply id %v, stored id %s, want %s", r.body["id"], it.ID, model.ItemID("local", "deploy-7"))
	}
	want := model.Item{ID: it.ID, Kind: model.KindLocal, Account: "local", SourceID: "deploy-7", Channel: "deploys",
		FromName: "Deployer", FromAddr: "deploy@example.org", Subject: "Deploy done", Snippet: "v1.2 is live",
		Link: "https://ci.example.org/d/7", UrgentHint: true, Received: testNow}
	if it.Subject != want.Subject || it.Snippet != want.Snippet || it.FromName != want.FromName || it.FromAddr != want.FromAddr ||
		it.Link != want.Link || it.Channel != want.Channel || !it.UrgentHint || it.Kind != want.Kind || !it.Received.Equal(testNow) {
		t.Errorf("stored %+v\nwant   %+v", it, want)
	}

	// A charset parameter is still JSON.
	r = in.do(t, http.MethodPost, "/v1/items", testToken, "application/json; charset=utf-8", `{"title":"x"}`)
	if r.status != http.StatusCreated {
		t.Errorf("JSON with charset: %d %s", r.status, r.raw)
	}
}

func TestPostPlainText(t *testing.T) {
	in := startInbox(t, newFakeSink())
	// What `curl -d "text" -H "Title: Build failed" -H "Authorization: Bearer $TOKEN"` sends.
	r := in.do(t, http.MethodPost, "/v1/items", testToken, "application/x-www-form-urlencoded",
		"3 tests failed on main", "Title", "Build failed")
	if r.status != http.StatusCreated {
		t.Fatalf("curl-style push: %d %s", r.status, r.raw)
	}
	it := in.sink.stored()[0]
	if it.Subject != "Build failed" || it.Snippet != "3 tests failed on main" || it.UrgentHint || it.Channel != "inbox" {
		t.Errorf("stored %+v", it)
	}
	if r.body["id"] != it.ID {
		t.Errorf("reply id %v, stored %s", r.body["id"], it.ID)
	}

	tests := []struct {
		name    string
		ct      string
		body    string
		headers []string
		check   func(model.Item) bool
	}{
		{"no content type, title from body", "", "Backup finished\nall good", nil,
			func(it model.Item) bool {
				return it.Subject == "Backup finished" && it.Snippet == "Backup finished all good"
			}},
		{"text/plain with X- headers", "text/plain", "body", []string{"X-Title", "T", "X-From", "Cron <cron@host>", "X-Click", "https://x.y/z", "X-Priority", "5", "X-Tags", "warning,skull"},
			func(it model.Item) bool {
				return it.Subject == "T" && it.FromName == "Cron" && it.FromAddr == "cron@host" && it.Link == "https://x.y/z" && it.UrgentHint
			}},
		{"plain headers", "text/plain", "b", []string{"Title", "T2", "From", "ops@example.org", "Click", "mailto:a@b.c", "Priority", "high"},
			func(it model.Item) bool {
				return it.Subject == "T2" && it.FromAddr == "ops@example.org" && it.Link == "mailto:a@b.c" && it.UrgentHint
			}},
		{"sender header", "text/plain", "b", []string{"X-Sender", "Home Assistant"},
			func(it model.Item) bool { return it.FromName == "Home Assistant" }},
		{"ntfy short priority header", "text/plain", "b", []string{"P", "max"},
			func(it model.Item) bool { return it.UrgentHint }},
		{"normal priority", "text/plain", "b", []string{"Priority", "default"},
			func(it model.Item) bool { return !it.UrgentHint }},
		{"priority 4 is urgent", "text/plain", "b", []string{"Priority", "4"},
			func(it model.Item) bool { return it.UrgentHint }},
		{"priority URGENT any case", "text/plain", "b", []string{"X-Priority", "URGENT"},
			func(it model.Item) bool { return it.UrgentHint }},
		{"channel header", "text/plain", "b", []string{"X-Channel", "backups"},
			func(it model.Item) bool { return it.Channel == "backups" }},
		{"encoded title", "text/plain", "b", []string{"Title", "=?UTF-8?B?QsO8aWxkIGthcHV0dA==?="},
			func(it model.Item) bool { return it.Subject == "Büild kaputt" }},
		{"raw UTF-8 title", "text/plain", "b", []string{"Title", "Büild ✓"},
			func(it model.Item) bool { return it.Subject == "Büild ✓" }},
		{"idempotency key header", "text/plain", "b", []string{"Idempotency-Key", "job-99"},
			func(it model.Item) bool { return it.SourceID == "job-99" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := in.do(t, http.MethodPost, "/v1/items", testToken, tt.ct, tt.body, tt.headers...)
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			items := in.sink.stored()
			it := items[len(items)-1]
			if it.ID != r.body["id"] {
				t.Fatalf("last stored item %s is not the reply's %v", it.ID, r.body["id"])
			}
			if !tt.check(it) {
				t.Errorf("stored %+v", it)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	in := startInbox(t, newFakeSink())
	send := func(authHeader, query string) reply {
		req, _ := http.NewRequest(http.MethodPost, in.url+"/v1/items"+query, strings.NewReader(`{"title":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		if authHeader != "" {
			req.Header.Set("Authorization", authHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	}
	tests := []struct {
		name, auth, query string
		want              int
		wantMsg           string
	}{
		{"missing", "", "", 401, "missing bearer token"},
		{"token in URL refused", "", "?auth=" + testToken, 401, "tokens in URLs are not accepted"},
		{"wrong token", "Bearer nope", "", 401, "invalid token"},
		{"token prefix", "Bearer " + testToken[:5], "", 401, "invalid token"},
		{"token with suffix", "Bearer " + testToken + "x", "", 401, "invalid token"},
		{"basic scheme", "Basic " + testToken, "", 401, "bearer token"},
		{"bare token", testToken, "", 401, "bearer token"},
		{"empty bearer", "Bearer ", "", 401, "invalid token"},
		{"right", "Bearer " + testToken, "", 201, ""},
		{"scheme case-insensitive", "bearer " + testToken, "", 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(tt.auth, tt.query)
			if r.status != tt.want {
				t.Fatalf("status %d (%s), want %d", r.status, r.raw, tt.want)
			}
			if tt.want != 401 {
				return
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(r.raw, `"error":`) || !strings.Contains(r.raw, tt.wantMsg) {
				t.Errorf("body %q, want a JSON error containing %q", r.raw, tt.wantMsg)
			}
			if strings.Contains(r.raw, testToken) {
				t.Errorf("error echoes the token: %s", r.raw)
			}
		})
	}
	if n := len(in.sink.stored()); n != 2 {
		t.Errorf("%d items stored, want 2 (only the authorized pushes)", n)
	}

	// Health and unknown paths need the token too.
	if r := in.do(t, http.MethodGet, "/v1/health", "", "", ""); r.status != 401 {
		t.Errorf("health without token: %d", r.status)
	}
	if r := in.do(t, http.MethodGet, "/nope", "", "", ""); r.status != 401 {
		t.Errorf("unknown path without token: %d", r.status)
	}
}

func TestRequestErrors(t *testing.T) {
	in := startInbox(t, newFakeSink())
	big := strings.Repeat("x", 64<<10+1)
	tests := []struct {
		name, method, path, ct, body string
		headers                      []string
		want                         int
		wantMsg                      string
	}{
		{"oversize JSON", "POST", "/v1/items", "application/json", `{"title":"` + big + `"}`, nil, 413, "larger than"},
		{"oversize text", "POST", "/v1/items", "text/plain", big, nil, 413, "larger than"},
		{"bad JSON", "POST", "/v1/items", "application/json", `{"title":`, nil, 400, "bad JSON"},
		{"JSON not an object", "POST", "/v1/items", "application/json", `["title"]`, nil, 400, "bad JSON"},
		{"unknown field", "POST", "/v1/items", "application/json", `{"title":"x","titel":"y"}`, nil, 400, "titel"},
		{"wrong field type", "POST", "/v1/items", "application/json", `{"title":"x","urgent":"yes"}`, nil, 400, "urgent"},
		{"trailing data", "POST", "/v1/items", "application/json", `{"title":"x"} {"title":"y"}`, nil, 400, "after the object"},
		{"empty JSON body", "POST", "/v1/items", "application/json", ``, nil, 400, "empty body"},
		{"missing title and body, JSON", "POST", "/v1/items", "application/json", `{"from":"a@b.c"}`, nil, 422, "missing title and body"},
		{"missing title and body, text", "POST", "/v1/items", "text/plain", "  \n", nil, 422, "missing title and body"},
		{"bad link", "POST", "/v1/items", "application/json", `{"title":"x","link":"javascript:alert(1)"}`, nil, 422, "bad link"},
		{"bad priority", "POST", "/v1/items", "text/plain", "x", []string{"Priority", "asap"}, 400, "unknown priority"},
		{"GET items", "GET", "/v1/items", "", "", nil, 405, "method not allowed"},
		{"PUT items", "PUT", "/v1/items", "application/json", `{"title":"x"}`, nil, 405, "method not allowed"},
		{"POST health", "POST", "/v1/health", "", "", nil, 405, "method not allowed"},
		{"unknown path", "GET", "/v2/items", "", "", nil, 404, "not found"},
		{"root", "GET", "/", "", "", nil, 404, "not found"},
		{"ntfy topic path", "POST", "/mytopic", "text/plain", "x", nil, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := in.do(t, tt.method, tt.path, testToken, tt.ct, tt.body, tt.headers...)
			if r.status != tt.want {
				t.Fatalf("status %d (%s), want %d", r.status, r.raw, tt.want)
			}
			msg, _ := r.body["error"].(string)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", msg, tt.wantMsg)
			}
			if tt.want == 405 && r.header.Get("Allow") == "" {
				t.Errorf("405 without Allow header")
			}
		})
	}
	if n := len(in.sink.stored()); n != 0 {
		t.Errorf("%d items stored by failed requests", n)
	}
	if r := in.do(t, "GET", "/v1/items", testToken, "", ""); r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q, want POST", r.header.Get("Allow"))
	}
}

func TestHealthEndpoint(t *testing.T) {
	in := startInbox(t, newFakeSink())
	r := in.do(t, http.MethodGet, "/v1/health", testToken, "", "")
	if r.status != 200 || r.body["ok"] != true {
		t.Errorf("got %d %s, want 200 {\"ok\":true}", r.status, r.raw)
	}
	if r := in.do(t, http.MethodHead, "/v1/health", testToken, "", ""); r.status != 200 {
		t.Errorf("HEAD: %d", r.status)
	}
}

// The 201 names the item by the ID the gate says it gave; a sink that
// does not say leaves the answer without an ID rather than the connector
// deriving one.
func TestAnswerIDComesFromTheSink(t *testing.T) {
	sink := newFakeSink()
	sink.plain = true
	in := startInbox(t, sink)
	r := in.postJSON(t, `{"title":"Deploy 7 done","id":"deploy-7"}`)
	if r.status != http.StatusCreated || r.body["status"] != "stored" {
		t.Fatalf("got %d %s, want 201 stored", r.status, r.raw)
	}
	if _, ok := r.body["id"]; ok {
		t.Errorf("answer %s has an id the sink did not give", r.raw)
	}
	if got := sink.stored(); len(got) != 1 || got[0].SourceID != "deploy-7" {
		t.Errorf("stored %+v, want the one item", got)
	}
}

func TestIngestFailure(t *testing.T) {
	sink := newFakeSink()
	sink.fail = errors.New("store: disk full")
	in := startInbox(t, sink)
	r := in.postJSON(t, `{"title":"x"}`)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d (%s), want 503", r.status, r.raw)
	}
	if msg, _ := r.body["error"].(string); !strings.Contains(msg, "disk full") {
		t.Errorf("error %q does not say why", msg)
	}
	if r.body["status"] != nil || r.body["id"] != nil {
		t.Errorf("failed push answered with %s", r.raw)
	}
}

func TestIdempotency(t *testing.T) {
	in := startInbox(t, newFakeSink())
	a := in.postJSON(t, `{"title":"Nightly backup OK","id":"backup-2026-11-23"}`)
	b := in.postJSON(t, `{"title":"Nightly backup OK (retry)","id":"backup-2026-11-23"}`)
	c := in.do(t, http.MethodPost, "/v1/items", testToken, "text/plain", "Nightly backup OK", "X-ID", "backup-2026-11-23")
	for _, r := range []reply{a, b, c} {
		if r.status != http.StatusCreated {
			t.Fatalf("status %d (%s)", r.status, r.raw)
		}
	}
	if a.body["id"] != b.body["id"] || a.body["id"] != c.body["id"] {
		t.Errorf("ids differ: %v %v %v", a.body["id"], b.body["id"], c.body["id"])
	}
	items := in.sink.stored()
	if len(items) != 1 {
		t.Fatalf("%d items stored, want 1", len(items))
	}
	if items[0].Subject != "Nightly backup OK" {
		t.Errorf("the retry replaced the first push: %q", items[0].Subject)
	}
	// Without an id every push is its own item.
	in.postJSON(t, `{"title":"ping"}`)
	in.postJSON(t, `{"title":"ping"}`)
	if n := len(in.sink.stored()); n != 3 {
		t.Errorf("%d items, want 3", n)
	}
}

func TestHealthReports(t *testing.T) {
	sink := newFakeSink()
	c, err := New(Options{Addr: "127.0.0.1:0", Token: testToken, Account: "scripts", Clock: clock.NewFake(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	h := sink.waitHealth(t, model.HealthConnected)
	if h.Account != "scripts" || h.Kind != model.KindLocal || !h.Since.Equal(testNow) || h.Detail != "listening on "+c.Addr() {
		t.Errorf("health %+v", h)
	}
	if _, port, _ := net.SplitHostPort(c.Addr()); port == "0" {
		t.Errorf("Addr() = %q while listening, want the actual port", c.Addr())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v, want nil", err)
	}
	if h := sink.waitHealth(t, model.HealthStopped); h.Detail != "stopped" {
		t.Errorf("final health %+v", h)
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	c, err := New(Options{Addr: addr, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	sink := newFakeSink()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = c.Run(ctx, sink)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Run on a busy port: %v, want an error naming %s", err, addr)
	}
	h := sink.waitHealth(t, model.HealthStopped)
	if !strings.Contains(h.Detail, addr) || !strings.Contains(h.Detail, "address already in use") {
		t.Errorf("health detail %q, want the address and the cause", h.Detail)
	}
}

func TestRunTwice(t *testing.T) {
	in := startInbox(t, newFakeSink())
	if err := in.c.Run(context.Background(), newFakeSink()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
}

// TestGracefulShutdown cancels Run while a push is being stored: the push
// must still complete and be answered 201, Run must then return nil, and
// the port must be free again.
func TestGracefulShutdown(t *testing.T) {
	sink := newFakeSink()
	sink.block = make(chan struct{})
	sink.entered = make(chan struct{}, 1)
	in := startInbox(t, sink)
	addr := in.c.Addr()

	got := make(chan reply, 1)
	go func() { got <- in.postJSON(t, `{"title":"in flight"}`) }()
	select {
	case <-sink.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("push never reached the sink")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- in.stop() }()

	// Run must wait for the push in flight.
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a push was still being stored", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(sink.block)
	if r := <-got; r.status != http.StatusCreated {
		t.Errorf("push in flight: %d %s, want 201", r.status, r.raw)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
	if len(sink.stored()) != 1 {
		t.Errorf("push in flight not stored")
	}
	// Nothing listens any more.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
}

func TestLongBodyIsStoredWhole(t *testing.T) {
	in := startInbox(t, newFakeSink())
	body := strings.Repeat("0123456789abcdef", 3900) // 62,400 bytes
	r := in.do(t, http.MethodPost, "/v1/items", testToken, "text/plain", body, "Title", "report")
	if r.status != http.StatusCreated {
		t.Fatalf("POST %d bytes: %d %s", len(body), r.status, r.raw)
	}
	items := in.sink.stored()
	if len(items) != 1 || items[0].Body != body {
		t.Fatalf("stored %d items; want one with the whole %d-byte body", len(items), len(body))
	}
}

// TestConformance runs the checks every connector passes: pushes become
// items once, a restarted inbox takes pushes again, Run returns promptly,
// and a push the store refused is refused to the pusher.
func TestConformance(t *testing.T) {
	var current atomic.Pointer[Connector]
	conntest.Run(t, conntest.Suite{
		Account: DefaultAccount,
		Push:    true,
		New: func(t *testing.T, bad bool) model.Connector {
			c, err := New(Options{Addr: "127.0.0.1:0", Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			current.Store(c)
			return c
		},
		Add: func(t *testing.T, mark string) error {
			in := &inbox{url: "http://" + current.Load().Addr()}
			r := in.postJSON(t, `{"title":"push `+mark+`","body":"text of `+mark+`","from":"CI <ci@example.org>"}`)
			if r.status != http.StatusCreated {
				return fmt.Errorf("push answered %d: %s", r.status, r.raw)
			}
			return nil
		},
	})
}
