package slack

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

// ---- fixtures ----

// start is the fake clock's start: an hour after the workspace's first
// message, so everything posted is recent.
func start(fs *slacktest.Server) time.Time { return fs.Base.Add(time.Hour) }

// workspace fills fs with people and conversations:
// Alice (DM D1), Bob and Alice (group DM G1), #eng C1, #random C2 (both
// joined), #ops C3 (not joined).
func workspace(fs *slacktest.Server) {
	fs.AddUser(slacktest.User{ID: "U1", Name: "alice", DisplayName: "Alice", RealName: "Alice Liddell", Email: "alice@acme.test"})
	fs.AddUser(slacktest.User{ID: "U2", Name: "bob", RealName: "Bob Builder"})
	fs.AddUser(slacktest.User{ID: "U3", Name: "carol", DisplayName: "Carol", Email: "carol@acme.test"})
	fs.AddConv(slacktest.Conv{ID: "D1", Kind: slacktest.KindIM, User: "U1"})
	fs.AddConv(slacktest.Conv{ID: "G1", Kind: slacktest.KindMPIM, Name: "mpdm-alice--bob--me-1"})
	fs.AddConv(slacktest.Conv{ID: "C1", Kind: slacktest.KindChannel, Name: "eng", Member: true})
	fs.AddConv(slacktest.Conv{ID: "C2", Kind: slacktest.KindChannel, Name: "random", Member: true})
	fs.AddConv(slacktest.Conv{ID: "C3", Kind: slacktest.KindChannel, Name: "ops"})
}

type harness struct {
	t     *testing.T
	fs    *slacktest.Server
	clock *clock.Fake
	sink  *conntest.Sink
	logs  *syncBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	fs := slacktest.New()
	t.Cleanup(fs.Close)
	workspace(fs)
	h := &harness{t: t, fs: fs, clock: clock.NewFake(start(fs)), sink: conntest.NewSink(t), logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("connector log:\n%s", h.logs.String())
		}
	})
	return h
}

// connector builds a connector against the fake, without call spacing.
func (h *harness) connector(mod func(*Options)) *Connector {
	h.t.Helper()
	opt := Options{
		Account:    "acme",
		Token:      func(context.Context) (string, error) { return h.fs.UserToken, nil },
		APIURL:     h.fs.URL,
		MinCallGap: -1,
		Clock:      h.clock,
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
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

// run starts c.Run and returns a stop that cancels it and waits for it.
func (h *harness) run(c *Connector) (stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h.sink) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("Run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				h.t.Errorf("Run did not return after cancel")
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
}

// waitFor polls cond (real time, bounded) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) waitHealth(state model.HealthState) model.Health {
	h.t.Helper()
	waitFor(h.t, "health "+string(state), func() bool { return h.sink.Health().State == state })
	return h.sink.Health()
}

// waitTimer waits until the connector sleeps on a timer due within
// [lo, hi], i.e. it is idle until then.
func (h *harness) waitTimer(lo, hi time.Time) time.Time {
	h.t.Helper()
	var at time.Time
	waitFor(h.t, fmt.Sprintf("a timer due between %s and %s", lo.Format(time.TimeOnly), hi.Format(time.TimeOnly)), func() bool {
		for _, d := range h.clock.Deadlines() {
			if !d.Before(lo) && !d.After(hi) {
				at = d
				return true
			}
		}
		return false
	})
	return at
}

// waitPolling waits until a sweep is over and the loop sleeps for the
// (jittered) poll interval.
func (h *harness) waitPolling(interval time.Duration) {
	h.t.Helper()
	h.waitHealth(model.HealthConnected)
	now := h.clock.Now()
	h.waitTimer(now.Add(interval*9/10), now.Add(interval*11/10))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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
