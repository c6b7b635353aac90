package local

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

const testToken = "s3cret-token_for-tests"

var testNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// fakeSink mirrors the gate and the store: Ingest gives items their ID,
// cleans them, de-duplicates by ID and, when it returns nil, the item is
// "durable" (in the map). It can block and fail on demand, for the tests
// of a push in flight at shutdown; the shared contract checks run with
// conntest's sink (TestConformance). It keeps the first of two pushes with
// one idempotency key, as the store does, where conntest's sink would
// call differing content under one source ID a contract breach: for the
// local inbox the pusher, not the connector, chooses the key.
type fakeSink struct {
	mu      sync.Mutex
	items   map[string]model.Item
	order   []string
	batches int
	health  chan model.Health

	fail    error         // returned by Ingest when set
	block   chan struct{} // when set, Ingest waits for it to close
	entered chan struct{} // when set, Ingest signals it on entry
	plain   bool          // Run sees only model.Sink: Accept is hidden
}

func newFakeSink() *fakeSink {
	return &fakeSink{items: map[string]model.Item{}, health: make(chan model.Health, 64)}
}

func (s *fakeSink) Ingest(ctx context.Context, b model.Batch) error {
	_, err := s.Accept(ctx, b)
	return err
}

// Accept is model.AcceptSink's: the items as stored, with the ID the gate
// gives them.
func (s *fakeSink) Accept(ctx context.Context, b model.Batch) ([]model.Item, error) {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	if s.fail != nil {
		return nil, s.fail
	}
	out := make([]model.Item, 0, len(b.Items))
	for _, it := range b.Items {
		if it.ID != "" {
			return nil, errors.New("fake sink: the connector set the item's ID; the gate alone gives it")
		}
		// Stored as the gate stores it: with its ID, its text cleaned.
		it.Clean()
		it.ID = model.ItemID(b.Account, it.SourceID)
		out = append(out, it)
		if _, dup := s.items[it.ID]; dup {
			continue
		}
		s.items[it.ID] = it
		s.order = append(s.order, it.ID)
	}
	return out, nil
}

func (s *fakeSink) Cursor(account, key string) ([]byte, error) { return nil, nil }

func (s *fakeSink) ReportHealth(h model.Health) { s.health <- h }

func (s *fakeSink) stored() []model.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]model.Item, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.items[id])
	}
	return out
}

// waitHealth returns the next health report in state st, failing the test
// if another state comes first or none comes.
func (s *fakeSink) waitHealth(t *testing.T, st model.HealthState) model.Health {
	t.Helper()
	for {
		select {
		case h := <-s.health:
			if h.State == st {
				return h
			}
			if h.State != model.HealthStarting {
				t.Fatalf("health %s (%s), want %s", h.State, h.Detail, st)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s health report", st)
		}
	}
}

// inbox is a running connector on a real loopback listener.
type inbox struct {
	c    *Connector
	sink *fakeSink
	url  string
	stop func() error // cancels Run and returns its result
}

func startInbox(t *testing.T, sink *fakeSink) *inbox {
	t.Helper()
	return startInboxWith(t, sink, Options{Clock: clock.NewFake(testNow)})
}

// startInboxWith runs an inbox with opt on a free loopback port and the
// test token.
func startInboxWith(t *testing.T, sink *fakeSink, opt Options) *inbox {
	t.Helper()
	opt.Addr, opt.Token = "127.0.0.1:0", testToken
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var sk model.Sink = sink
	if sink.plain {
		sk = struct{ model.Sink }{sink}
	}
	go func() { done <- c.Run(ctx, sk) }()
	sink.waitHealth(t, model.HealthConnected)
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return after cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &inbox{c: c, sink: sink, url: "http://" + c.Addr(), stop: stop}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends one request; token "" sends no Authorization header.
func (in *inbox) do(t *testing.T, method, path, token, contentType, body string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, in.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if method != http.MethodHead {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Errorf("%s %s: reply is not a JSON object: %q", method, path, raw)
		}
	}
	return r
}

func (in *inbox) postJSON(t *testing.T, body string) reply {
	t.Helper()
	return in.do(t, http.MethodPost, "/v1/items", testToken, "application/json", body)
}
