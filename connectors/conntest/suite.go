package conntest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Suite describes one connector to the shared checks. A connector's test
// fills it in against its own server (a real Dovecot, a real Dendrite, a
// faithful httptest fake) and calls Run.
type Suite struct {
	// Account is the account name the connectors from New use.
	Account string
	// New returns a connector for Account. With bad set, its credential is
	// one the source rejects (a wrong password, a revoked token).
	New func(t *testing.T, bad bool) model.Connector
	// Add puts one new message into the source whose subject or text
	// contains mark. For a pull source it fails t itself if the message
	// cannot be added; for a push source (Push) it returns what the pusher
	// was told, so a refused push is an error.
	Add func(t *testing.T, mark string) error
	// Attempts counts how often the source was presented a credential so
	// far (logins, or calls carrying the token). Nil for a push source.
	Attempts func() int
	// Outage makes the source unreachable until the returned function is
	// called. Nil for a push source, which has no server to lose.
	Outage func(t *testing.T) (end func())
	// Tick is called about every 10 ms while the suite waits. A harness on
	// a fake clock moves the clock on here so that polls, retries and
	// backoff happen; nil when the connector runs on real time.
	Tick func()
	// Push says the source pushes to Sluice (the local inbox): nothing can
	// be added while the connector is stopped, a refused batch is refused
	// to the pusher rather than retried by the connector, and there is no
	// outage or credential of the connector's own to check.
	Push bool
	// Timeout bounds each wait (default 20 s).
	Timeout time.Duration
	// Quiet is how long the suite watches for something that must not
	// happen (a second login attempt, a late duplicate); default 1 s of
	// real time, with Tick called throughout.
	Quiet time.Duration
}

// Run runs the shared checks as subtests of t.
func Run(t *testing.T, s Suite) {
	t.Helper()
	if s.New == nil || s.Add == nil || s.Account == "" || (s.Attempts == nil && !s.Push) {
		t.Fatal("conntest: Suite needs Account, New, Add and (for a pull source) Attempts")
	}
	if !s.Push && s.Outage == nil {
		t.Fatal("conntest: a pull source needs Outage")
	}
	if s.Timeout == 0 {
		s.Timeout = 20 * time.Second
	}
	if s.Quiet == 0 {
		s.Quiet = time.Second
	}
	t.Run("Delivers", s.delivers)
	t.Run("Restart", s.restart)
	t.Run("Cancel", s.cancel)
	if !s.Push {
		// A push source has no server to lose and presents no credential:
		// the pusher does, and a wrong one is refused request by request.
		t.Run("Health", s.health)
		t.Run("BadCredential", s.badCredential)
	}
	t.Run("RefusedBatch", s.refusedBatch)
}

// Running is a connector's Run in the background.
type Running struct {
	C      model.Connector
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Start runs c on sink until Stop (or the end of the test).
func Start(t *testing.T, c model.Connector, sink model.Sink) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{C: c, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx, sink) }()
	t.Cleanup(func() {
		if err := r.Stop(10 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return r
}

// Stop cancels Run and waits up to within for it to return. It fails when
// Run is slow or returns an error other than the context's.
func (r *Running) Stop(within time.Duration) error {
	r.once.Do(func() {
		r.cancel()
		start := time.Now()
		select {
		case err := <-r.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				r.err = fmt.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(within):
			r.err = fmt.Errorf("Run did not return within %s of cancel", within)
			return
		}
		if d := time.Since(start); d > within {
			r.err = fmt.Errorf("Run took %s to return after cancel (want under %s)", d, within)
		}
	})
	return r.err
}

// Done reports whether Run has returned on its own.
func (r *Running) Done() bool {
	select {
	case err := <-r.done:
		r.done <- err
		return true
	default:
		return false
	}
}

// WaitFor waits until cond holds, calling tick (if any) while it waits.
func WaitFor(t testing.TB, timeout time.Duration, tick func(), what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		if tick != nil {
			tick()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Suite) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, s.Timeout, s.Tick, what, cond)
}

// watch calls tick for the Quiet period; fail, when it returns a message,
// fails the test at once.
func (s *Suite) watch(t *testing.T, fail func() string) {
	t.Helper()
	end := time.Now().Add(s.Quiet)
	for time.Now().Before(end) {
		if s.Tick != nil {
			s.Tick()
		}
		if msg := fail(); msg != "" {
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Suite) waitHealth(t *testing.T, sink *Sink, state model.HealthState) model.Health {
	t.Helper()
	s.wait(t, "health "+string(state)+" (got "+fmt.Sprint(sink.States())+")", func() bool { return sink.Health().State == state })
	return sink.Health()
}

// add adds a message and fails the test if a pull source could not.
func (s *Suite) add(t *testing.T, mark string) {
	t.Helper()
	if err := s.Add(t, mark); err != nil {
		t.Fatalf("add %q: %v", mark, err)
	}
}

// waitMark waits for the item carrying mark and returns it.
func (s *Suite) waitMark(t *testing.T, sink *Sink, mark string) model.Item {
	t.Helper()
	s.wait(t, "an item with "+mark, func() bool { return len(sink.Find(mark)) > 0 })
	return sink.Find(mark)[0]
}

func mark(t *testing.T, name string) string {
	return fmt.Sprintf("ct-%s-%d", name, time.Now().UnixNano()%1e9)
}

// checkOnce fails if a mark is not stored exactly once.
func checkOnce(t *testing.T, sink *Sink, marks ...string) {
	t.Helper()
	for _, m := range marks {
		if got := len(sink.Find(m)); got != 1 {
			t.Errorf("%d items carry %q, want exactly 1", got, m)
		}
	}
}

// delivers: messages become items that carry what the source said and no
// more, with their cursors in the same batch.
func (s *Suite) delivers(t *testing.T) {
	sink := NewSink(t)
	c := s.New(t, false)
	if c.Account() != s.Account {
		t.Errorf("Account() = %q, want %q", c.Account(), s.Account)
	}
	Start(t, c, sink)
	s.waitHealth(t, sink, model.HealthConnected)
	m1, m2 := mark(t, "one"), mark(t, "two")
	s.add(t, m1)
	s.add(t, m2)
	for _, m := range []string{m1, m2} {
		it := s.waitMark(t, sink, m)
		if it.Kind != c.Kind() {
			t.Errorf("item %q: kind %q, want %q", m, it.Kind, c.Kind())
		}
		if it.Account != s.Account {
			t.Errorf("item %q: account %q, want %q", m, it.Account, s.Account)
		}
		if it.Received.IsZero() {
			t.Errorf("item %q: no received time", m)
		}
		if !s.Push {
			b, _ := sink.BatchOf(it.SourceID)
			if len(b.Cursors) == 0 {
				t.Errorf("item %q came in a batch without a cursor: a crash after it would fetch it again", m)
			}
		}
	}
	checkOnce(t, sink, m1, m2)
	for _, h := range sink.Healths() {
		if h.Account != s.Account || h.Kind != c.Kind() {
			t.Errorf("health report %+v names the wrong account or kind", h)
		}
	}
}

// restart: a new connector on the same store resumes where the old one
// stopped: what arrived meanwhile comes in once, nothing comes twice.
func (s *Suite) restart(t *testing.T) {
	sink := NewSink(t)
	r := Start(t, s.New(t, false), sink)
	s.waitHealth(t, sink, model.HealthConnected)
	before := mark(t, "before")
	s.add(t, before)
	s.waitMark(t, sink, before)
	if err := r.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	stored := sink.Len()
	during := []string{mark(t, "while-stopped-1"), mark(t, "while-stopped-2")}
	if s.Push {
		during = nil
	}
	for _, m := range during {
		s.add(t, m)
	}
	r2 := Start(t, s.New(t, false), sink)
	s.waitHealth(t, sink, model.HealthConnected)
	after := mark(t, "after")
	s.add(t, after)
	for _, m := range append(during, after) {
		s.waitMark(t, sink, m)
	}
	s.watch(t, func() string {
		if again := sink.Redelivered(); len(again) > 0 {
			return fmt.Sprintf("after the restart %d stored items were offered again (first: %q %q): the cursor was not resumed", len(again), again[0].SourceID, again[0].Subject)
		}
		return ""
	})
	checkOnce(t, sink, append(during, before, after)...)
	if got, want := sink.Len(), stored+len(during)+1; got != want {
		t.Errorf("%d items after the restart, want %d (gap or extra items: %v)", got, want, subjects(sink.Items()))
	}
	if err := r2.Stop(5 * time.Second); err != nil {
		t.Error(err)
	}
}

func subjects(items []model.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Subject
	}
	return out
}

// cancel: Run returns promptly when its context ends, whether it is idle
// or waiting to retry.
func (s *Suite) cancel(t *testing.T) {
	sink := NewSink(t)
	r := Start(t, s.New(t, false), sink)
	s.waitHealth(t, sink, model.HealthConnected)
	time.Sleep(50 * time.Millisecond) // into the idle wait
	if err := r.Stop(2 * time.Second); err != nil {
		t.Fatal("idle: ", err)
	}
	if h := sink.Health(); h.State != model.HealthStopped {
		t.Errorf("health after Run returned: %s, want %s", h.State, model.HealthStopped)
	}
	if s.Outage == nil {
		return
	}
	sink = NewSink(t)
	end := s.Outage(t)
	defer end()
	r = Start(t, s.New(t, false), sink)
	s.waitHealth(t, sink, model.HealthBackingOff)
	if err := r.Stop(2 * time.Second); err != nil {
		t.Fatal("backing off: ", err)
	}
}

// health: connected, then backing off while the source is away (saying
// until when), then connected again once it is back.
func (s *Suite) health(t *testing.T) {
	sink := NewSink(t)
	c := s.New(t, false)
	Start(t, c, sink)
	s.waitHealth(t, sink, model.HealthConnected)
	end := s.Outage(t)
	ended := false
	defer func() {
		if !ended {
			end()
		}
	}()
	// A pull source notices the outage at its next poll or at once.
	if w, ok := c.(model.Waker); ok {
		w.Wake()
	}
	h := s.waitHealth(t, sink, model.HealthBackingOff)
	if h.Until.IsZero() || h.Detail == "" {
		t.Errorf("backing off without saying why or until when: %+v", h)
	}
	if h.NeedsAttention() {
		t.Errorf("an outage asks the user to act: %+v", h)
	}
	end()
	ended = true
	s.waitHealth(t, sink, model.HealthConnected)
	m := mark(t, "after-outage")
	s.add(t, m)
	s.waitMark(t, sink, m)
	var seen []model.HealthState
	for _, st := range sink.States() {
		if st == model.HealthConnected || st == model.HealthBackingOff {
			seen = append(seen, st)
		}
	}
	if want := []model.HealthState{model.HealthConnected, model.HealthBackingOff, model.HealthConnected}; !hasSubsequence(seen, want) {
		t.Errorf("health went %v, want %v in that order", sink.States(), want)
	}
}

func hasSubsequence(got, want []model.HealthState) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// badCredential: a rejected credential is reported as auth failed, asks
// the user to act, and is tried once: retrying would lock the account.
func (s *Suite) badCredential(t *testing.T) {
	sink := NewSink(t)
	before := s.Attempts()
	r := Start(t, s.New(t, true), sink)
	h := s.waitHealth(t, sink, model.HealthAuthFailed)
	if !h.NeedsAttention() || h.Detail == "" {
		t.Errorf("auth failure without words for the user: %+v", h)
	}
	s.watch(t, func() string {
		if n := s.Attempts() - before; n > 1 {
			return fmt.Sprintf("a rejected credential was tried %d times, want once", n)
		}
		if r.Done() {
			return "Run returned on its own after an auth failure; it must wait for a new credential"
		}
		return ""
	})
	if n := s.Attempts() - before; n != 1 {
		t.Errorf("a rejected credential was tried %d times, want once", n)
	}
	if sink.Len() != 0 {
		t.Errorf("%d items stored with a rejected credential", sink.Len())
	}
	if err := r.Stop(2 * time.Second); err != nil {
		t.Error(err)
	}
}

// refusedBatch: when the store cannot write, nothing is lost: a pull
// source offers the batch again (its cursor did not move), a push source
// tells the pusher.
func (s *Suite) refusedBatch(t *testing.T) {
	sink := NewSink(t)
	Start(t, s.New(t, false), sink)
	s.waitHealth(t, sink, model.HealthConnected)
	m := mark(t, "refused")
	sink.FailNext(1)
	if s.Push {
		if err := s.Add(t, m); err == nil {
			t.Fatalf("a push the store refused was acknowledged to the pusher")
		}
		if sink.Refused() != 1 {
			t.Fatalf("the sink refused %d batches, want 1", sink.Refused())
		}
		if len(sink.Find(m)) != 0 {
			t.Fatalf("a refused push was stored")
		}
		s.add(t, m) // the pusher tries again
	} else {
		s.add(t, m)
		s.wait(t, "the sink to refuse a batch", func() bool { return sink.Refused() > 0 })
	}
	s.waitMark(t, sink, m)
	checkOnce(t, sink, m)
	if strings.Contains(fmt.Sprint(sink.States()), string(model.HealthAuthFailed)) {
		t.Errorf("a refused batch was reported as an auth failure: %v", sink.States())
	}
}
