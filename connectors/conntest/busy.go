package conntest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// BusySink records what a calendar source hands over and behaves like the
// gate and the store at the model.BusySink boundary: each SetBusy replaces
// the account's busy time and stores its cursors with it, all or nothing.
// It enforces the contract: the account is named, cursors belong to it,
// every interval ends after it starts, and health reports are complete.
// It is safe for concurrent use.
type BusySink struct {
	recorder // cursors, health, FailNext; its mutex guards the fields below

	busy map[string][]model.Busy
	sets int
}

// NewBusySink returns an empty BusySink that reports contract violations
// to t.
func NewBusySink(t testing.TB) *BusySink {
	return &BusySink{recorder: recorder{t: t, cursors: map[string][]byte{}}, busy: map[string][]model.Busy{}}
}

// SetBusy implements model.BusySink.
func (s *BusySink) SetBusy(ctx context.Context, account string, busy []model.Busy, cursors []model.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseLocked() {
		return ErrRefused
	}
	var problems []string
	if strings.TrimSpace(account) == "" {
		problems = append(problems, "no account named")
	}
	for i, b := range busy {
		if !b.End.After(b.Start) {
			problems = append(problems, fmt.Sprintf("busy[%d] %q ends (%s) before it starts (%s)", i, b.Title, b.End, b.Start))
		}
	}
	for i, c := range cursors {
		if c.Account != account || strings.TrimSpace(c.Key) == "" {
			problems = append(problems, fmt.Sprintf("cursors[%d] (%q of %q) does not belong to %q", i, c.Key, c.Account, account))
		}
	}
	if len(problems) > 0 {
		s.t.Errorf("conntest: SetBusy for %q breaks the sink contract:\n  %s", account, strings.Join(problems, "\n  "))
		return ErrContract
	}
	s.busy[account] = slices.Clone(busy)
	s.putCursorsLocked(cursors)
	s.sets++
	return nil
}

// Busy returns the account's busy time as last handed over.
func (s *BusySink) Busy(account string) []model.Busy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.busy[account])
}

// Find returns the account's busy intervals whose title contains text.
func (s *BusySink) Find(account, text string) []model.Busy {
	var out []model.Busy
	for _, b := range s.Busy(account) {
		if strings.Contains(b.Title, text) {
			out = append(out, b)
		}
	}
	return out
}

// Sets counts the SetBusy calls applied.
func (s *BusySink) Sets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets
}

// CalendarSuite describes a calendar source to the shared checks that
// apply to it. A calendar hands over busy time, not items, and each
// hand-over replaces the last: there are no duplicates to drop, so the
// item checks become "the busy time holds each meeting once", and a
// restart must read the stored cursor rather than start afresh.
type CalendarSuite struct {
	// Account is the account name the sources from New use.
	Account string
	// New returns a source for Account; with bad set, its credential is
	// one the server refuses.
	New func(t *testing.T, bad bool) model.Calendar
	// Add puts a meeting whose title contains mark into the calendar,
	// within the next day.
	Add func(t *testing.T, mark string)
	// Attempts counts how often the server was presented a credential.
	Attempts func() int
	// Outage makes the server unreachable until the returned function is
	// called.
	Outage func(t *testing.T) (end func())
	// Tick is called about every 10 ms while the suite waits (a harness on
	// a fake clock moves it on here); nil on real time.
	Tick    func()
	Timeout time.Duration // each wait; default 20 s
	Quiet   time.Duration // how long to watch for what must not happen; default 1 s
}

// RunCalendar runs the checks that apply to a calendar source as
// subtests of t: meetings arrive with their cursor, a restart resumes
// from the stored cursor, Run returns promptly, health follows an outage,
// a refused login is tried once, and busy time the store refused is
// handed over again.
func RunCalendar(t *testing.T, cs CalendarSuite) {
	t.Helper()
	if cs.New == nil || cs.Add == nil || cs.Attempts == nil || cs.Outage == nil || cs.Account == "" {
		t.Fatal("conntest: CalendarSuite needs Account, New, Add, Attempts and Outage")
	}
	if cs.Timeout == 0 {
		cs.Timeout = 20 * time.Second
	}
	if cs.Quiet == 0 {
		cs.Quiet = time.Second
	}
	t.Run("Delivers", cs.delivers)
	t.Run("Restart", cs.restart)
	t.Run("Cancel", cs.cancel)
	t.Run("Health", cs.health)
	t.Run("BadCredential", cs.badCredential)
	t.Run("RefusedBatch", cs.refusedBatch)
}

// calendarConnector runs a model.Calendar where Start wants a Connector.
type calendarConnector struct {
	model.Calendar
	sink *BusySink
}

func (c calendarConnector) Kind() model.Kind { return "calendar" }

func (c calendarConnector) Run(ctx context.Context, _ model.Sink) error {
	return c.Calendar.Run(ctx, c.sink)
}

func (cs *CalendarSuite) start(t *testing.T, bad bool, sink *BusySink) *Running {
	t.Helper()
	return Start(t, calendarConnector{Calendar: cs.New(t, bad), sink: sink}, nil)
}

func (cs *CalendarSuite) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, cs.Timeout, cs.Tick, what, cond)
}

func (cs *CalendarSuite) waitHealth(t *testing.T, sink *BusySink, state model.HealthState) model.Health {
	t.Helper()
	cs.wait(t, "health "+string(state)+" (got "+fmt.Sprint(sink.States())+")", func() bool { return sink.Health().State == state })
	return sink.Health()
}

func (cs *CalendarSuite) waitMeeting(t *testing.T, sink *BusySink, mark string) {
	t.Helper()
	cs.wait(t, "a meeting with "+mark, func() bool { return len(sink.Find(cs.Account, mark)) > 0 })
}

// once fails unless each mark is in the busy time exactly once.
func (cs *CalendarSuite) once(t *testing.T, sink *BusySink, marks ...string) {
	t.Helper()
	for _, m := range marks {
		if n := len(sink.Find(cs.Account, m)); n != 1 {
			t.Errorf("%d busy intervals carry %q, want exactly 1", n, m)
		}
	}
}

// delivers: a meeting becomes busy time, handed over with the cursor.
func (cs *CalendarSuite) delivers(t *testing.T) {
	sink := NewBusySink(t)
	cs.start(t, false, sink)
	cs.waitHealth(t, sink, model.HealthConnected)
	m := mark(t, "meeting")
	cs.Add(t, m)
	cs.waitMeeting(t, sink, m)
	cs.once(t, sink, m)
	if len(sink.Cursors(cs.Account)) == 0 {
		t.Error("busy time came without a cursor: a restart would start afresh")
	}
	for _, b := range sink.Find(cs.Account, m) {
		if b.Account != cs.Account {
			t.Errorf("busy interval %+v names account %q, want %q", b, b.Account, cs.Account)
		}
	}
}

// restart: a new source on the same store reads the stored cursor and
// then knows what changed while it was stopped, each meeting once.
func (cs *CalendarSuite) restart(t *testing.T) {
	sink := NewBusySink(t)
	r := cs.start(t, false, sink)
	cs.waitHealth(t, sink, model.HealthConnected)
	before := mark(t, "before")
	cs.Add(t, before)
	cs.waitMeeting(t, sink, before)
	if err := r.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	during := mark(t, "while-stopped")
	cs.Add(t, during)
	reads := sink.CursorReads()
	cs.start(t, false, sink)
	cs.waitMeeting(t, sink, during)
	if sink.CursorReads() == reads {
		t.Error("the restarted source did not read its stored cursor")
	}
	cs.once(t, sink, before, during)
}

// cancel: Run returns promptly when its context ends, idle or backing off,
// and says it stopped.
func (cs *CalendarSuite) cancel(t *testing.T) {
	sink := NewBusySink(t)
	r := cs.start(t, false, sink)
	cs.waitHealth(t, sink, model.HealthConnected)
	time.Sleep(50 * time.Millisecond) // into the idle wait
	if err := r.Stop(2 * time.Second); err != nil {
		t.Fatal("idle: ", err)
	}
	if h := sink.Health(); h.State != model.HealthStopped {
		t.Errorf("health after Run returned: %s, want %s", h.State, model.HealthStopped)
	}
	sink = NewBusySink(t)
	end := cs.Outage(t)
	defer end()
	r = cs.start(t, false, sink)
	cs.waitHealth(t, sink, model.HealthBackingOff)
	if err := r.Stop(2 * time.Second); err != nil {
		t.Fatal("backing off: ", err)
	}
}

// health: connected, backing off while the server is away (saying until
// when), connected again once it is back.
func (cs *CalendarSuite) health(t *testing.T) {
	sink := NewBusySink(t)
	cal := cs.New(t, false)
	Start(t, calendarConnector{Calendar: cal, sink: sink}, nil)
	cs.waitHealth(t, sink, model.HealthConnected)
	end := cs.Outage(t)
	ended := false
	defer func() {
		if !ended {
			end()
		}
	}()
	if w, ok := cal.(model.Waker); ok {
		w.Wake()
	}
	h := cs.waitHealth(t, sink, model.HealthBackingOff)
	if h.Until.IsZero() || h.Detail == "" {
		t.Errorf("backing off without saying why or until when: %+v", h)
	}
	if h.NeedsAttention() {
		t.Errorf("an outage asks the user to act: %+v", h)
	}
	end()
	ended = true
	cs.waitHealth(t, sink, model.HealthConnected)
	m := mark(t, "after-outage")
	cs.Add(t, m)
	cs.waitMeeting(t, sink, m)
}

// badCredential: a refused login is reported as auth failed, asks the
// user to act, and is tried once.
func (cs *CalendarSuite) badCredential(t *testing.T) {
	sink := NewBusySink(t)
	before := cs.Attempts()
	r := cs.start(t, true, sink)
	h := cs.waitHealth(t, sink, model.HealthAuthFailed)
	if !h.NeedsAttention() || h.Detail == "" {
		t.Errorf("auth failure without words for the user: %+v", h)
	}
	end := time.Now().Add(cs.Quiet)
	for time.Now().Before(end) {
		if cs.Tick != nil {
			cs.Tick()
		}
		if n := cs.Attempts() - before; n > 1 {
			t.Fatalf("a refused login was tried %d times, want once", n)
		}
		if r.Done() {
			t.Fatal("Run returned on its own after an auth failure; it must wait for a new credential")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := cs.Attempts() - before; n != 1 {
		t.Errorf("a refused login was tried %d times, want once", n)
	}
	if n := sink.Sets(); n != 0 {
		t.Errorf("busy time handed over %d times with a refused login", n)
	}
}

// refusedBatch: busy time the store could not write is handed over again.
func (cs *CalendarSuite) refusedBatch(t *testing.T) {
	sink := NewBusySink(t)
	cs.start(t, false, sink)
	cs.waitHealth(t, sink, model.HealthConnected)
	m := mark(t, "refused")
	sink.FailNext(1)
	cs.Add(t, m)
	cs.wait(t, "the sink to refuse the busy time", func() bool { return sink.Refused() > 0 })
	cs.waitMeeting(t, sink, m)
	cs.once(t, sink, m)
	if strings.Contains(fmt.Sprint(sink.States()), string(model.HealthAuthFailed)) {
		t.Errorf("a refused hand-over was reported as an auth failure: %v", sink.States())
	}
}

var _ model.BusySink = (*BusySink)(nil)
