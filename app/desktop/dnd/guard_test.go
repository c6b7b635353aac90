package dnd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// fakeBackend is a desktop whose do-not-disturb is a boolean; it records
// every switch Sluice makes.
type fakeBackend struct {
	mu       sync.Mutex
	on       bool
	calls    []bool // SetQuiet arguments, in order
	traits   Traits
	failSet  error
	failRead error
}

func newFake() *fakeBackend {
	return &fakeBackend{traits: Traits{CanSet: true, CanRead: true, Word: "paused"}}
}

func (f *fakeBackend) Name() string   { return "fake" }
func (f *fakeBackend) Server() string { return "fake 1.0" }
func (f *fakeBackend) Traits() Traits { return f.traits }

func (f *fakeBackend) Quiet(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on, f.failRead
}

func (f *fakeBackend) SetQuiet(_ context.Context, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSet != nil {
		return f.failSet
	}
	f.calls = append(f.calls, on)
	f.on = on
	return nil
}

func (f *fakeBackend) state() (on bool, calls []bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on, append([]bool(nil), f.calls...)
}

func (f *fakeBackend) set(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.on = on
}

// monday is Monday 23 November 2026 in Berlin.
func monday(t *testing.T, h, m int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2026, 11, 23, h, m, 0, 0, loc)
}

type fixture struct {
	t   *testing.T
	clk *clock.Fake
	b   *fakeBackend
	g   *Guard
	dir string
}

func newFixture(t *testing.T, hold string) *fixture {
	t.Helper()
	f := &fixture{t: t, clk: clock.NewFake(monday(t, 9, 30)), b: newFake(), dir: t.TempDir()}
	f.g = f.guard(hold)
	return f
}

func (f *fixture) guard(hold string) *Guard {
	g := NewGuard(Options{
		Detect:  func(context.Context, Settings) (Backend, error) { return f.b, nil },
		DataDir: f.dir, Clock: f.clk, Settings: Settings{Hold: hold},
	})
	f.t.Cleanup(func() { g.Close(context.Background()) })
	return g
}

func focusUntil(t *testing.T, h, m int) Mode {
	return Mode{Mode: model.ModeFocus, Until: monday(t, h, m), NextCheckin: monday(t, 11, 0), Zone: monday(t, 0, 0).Location()}
}

func between(t *testing.T) Mode {
	return Mode{Mode: model.ModeBetween, NextCheckin: monday(t, 16, 0), Zone: monday(t, 0, 0).Location()}
}

func (f *fixture) wantQuiet(want bool, why string) {
	f.t.Helper()
	if on, _ := f.b.state(); on != want {
		f.t.Fatalf("%s: do-not-disturb on = %v, want %v", why, on, want)
	}
}

func (f *fixture) wantCalls(why string, want ...bool) {
	f.t.Helper()
	if _, calls := f.b.state(); !equalBools(calls, want) {
		f.t.Fatalf("%s: Sluice switched do-not-disturb %v, want %v", why, calls, want)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recorded reads the state file's record of a change.
func (f *fixture) recorded() *change {
	f.t.Helper()
	st, err := loadState(filepath.Join(f.dir, StateFile))
	if err != nil {
		f.t.Fatal(err)
	}
	return st.Changed
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFocusSilencesAndTheEndRestores(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), between(t))
	f.wantCalls("between check-ins with hold = focus")

	f.g.Mode(focusUntil(t, 11, 0))
	f.wantQuiet(true, "focus started")
	c := f.recorded()
	if c == nil || c.Backend != "fake" {
		t.Fatalf("state file records %+v, want the change on fake", c)
	}
	info, err := os.Stat(filepath.Join(f.dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	st := f.g.Status()
	if st.State != "quiet" || st.Summary != "fake 1.0, paused by Sluice until 11:00" {
		t.Errorf("status %q / %q", st.State, st.Summary)
	}
	// More mode events inside the block change nothing.
	f.g.Mode(focusUntil(t, 11, 0))
	f.wantCalls("a second event in the same block", true)

	f.g.Mode(between(t))
	f.wantQuiet(false, "focus ended")
	f.wantCalls("one block", true, false)
	if c := f.recorded(); c != nil {
		t.Errorf("state file still records %+v after the block", c)
	}
}

func TestUsersOwnDoNotDisturbIsKept(t *testing.T) {
	f := newFixture(t, "focus")
	f.b.set(true) // the user paused before the block
	f.g.Start(context.Background(), between(t))
	f.g.Mode(focusUntil(t, 11, 0))
	f.g.Checkin(f.clk.Now(), 30*time.Minute)
	f.g.Mode(between(t))
	f.g.Close(context.Background())
	f.wantQuiet(true, "the user's own do-not-disturb after focus, a check-in and quit")
	f.wantCalls("the user's own do-not-disturb")
	if c := f.recorded(); c != nil {
		t.Errorf("state file records %+v, but Sluice changed nothing", c)
	}
}

func TestHoldingFollowsEveryHoldingMode(t *testing.T) {
	f := newFixture(t, "holding")
	f.g.Start(context.Background(), between(t))
	f.wantQuiet(true, "between check-ins with hold = holding")
	f.g.Mode(Mode{Mode: model.ModeWindow, Until: monday(t, 11, 30)})
	f.wantQuiet(false, "check-in window")
	f.g.Mode(Mode{Mode: model.ModeOffHours})
	f.wantQuiet(true, "off-hours")
	f.g.Mode(Mode{Mode: model.ModePaused})
	f.wantQuiet(false, "paused")
}

// A meeting on the calendar holds like a focus block, with either setting.
func TestMeetingHoldsLikeFocus(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), between(t))
	f.g.Mode(Mode{Mode: model.ModeMeeting, Until: monday(t, 10, 30), NextCheckin: monday(t, 11, 0), Zone: monday(t, 0, 0).Location()})
	f.wantQuiet(true, "a meeting with hold = focus")
	if st := f.g.Status(); st.State != "quiet" || !st.Until.Equal(monday(t, 10, 30)) {
		t.Errorf("status %q until %v, want quiet until the meeting's end 10:30", st.State, st.Until)
	}
	f.g.Mode(between(t))
	f.wantQuiet(false, "the meeting ended")
	f.wantCalls("one meeting", true, false)

	h := newFixture(t, "holding")
	h.g.Start(context.Background(), Mode{Mode: model.ModeWindow, Until: monday(t, 9, 45)})
	h.wantQuiet(false, "check-in window")
	h.g.Mode(Mode{Mode: model.ModeMeeting, Until: monday(t, 10, 30)})
	h.wantQuiet(true, "a meeting with hold = holding")
}

func TestCheckinDuringFocusOpensForTheWindow(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), focusUntil(t, 11, 0))
	f.wantQuiet(true, "focus")

	f.g.Checkin(f.clk.Now(), 30*time.Minute) // "Check in now" at 09:30; focus goes on
	f.wantQuiet(false, "right after the check-in")
	if st := f.g.Status(); st.State != "lifted" || !strings.Contains(st.Summary, "open for the check-in until 10:00") {
		t.Errorf("status %q / %q", st.State, st.Summary)
	}
	f.clk.Advance(29 * time.Minute)
	time.Sleep(20 * time.Millisecond)
	f.wantQuiet(false, "inside the window")
	f.clk.Advance(time.Minute)
	waitUntil(t, "the desktop to go quiet again after the window", func() bool { on, _ := f.b.state(); return on })
	f.wantCalls("focus, check-in, window over", true, false, true)
	if f.recorded() == nil {
		t.Error("the second quiet span is not recorded")
	}
}

func TestCrashRecovery(t *testing.T) {
	t.Run("restart outside focus lifts", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		f.wantQuiet(true, "focus")
		// The process dies: no Close. A new run starts at 12:00.
		f.clk.Set(monday(t, 12, 0))
		g2 := f.guard("focus")
		g2.Start(context.Background(), between(t))
		f.wantQuiet(false, "restart outside focus")
		if c := f.recorded(); c != nil {
			t.Errorf("record %+v left after recovery", c)
		}
	})
	t.Run("restart inside focus keeps", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		g2 := f.guard("focus")
		g2.Start(context.Background(), focusUntil(t, 11, 0))
		f.wantCalls("restart inside the same block", true)
		g2.Mode(between(t))
		f.wantQuiet(false, "the block ended after the restart")
	})
	t.Run("user lifted it meanwhile", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		f.b.set(false)
		g2 := f.guard("focus")
		g2.Start(context.Background(), between(t))
		f.wantCalls("restart after the user lifted it", true)
		if c := f.recorded(); c != nil {
			t.Errorf("record %+v left", c)
		}
	})
}

func TestTurningTheSettingOffLifts(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), focusUntil(t, 11, 0))
	f.wantQuiet(true, "focus")
	f.g.Configure(Settings{Hold: "off"})
	f.wantQuiet(false, "hold_other_apps turned off")
	if st := f.g.Status(); st.State != "off" {
		t.Errorf("state %q, want off", st.State)
	}
	f.g.Configure(Settings{Hold: "focus"})
	f.wantQuiet(true, "turned on again inside the block")
}

func TestUrgentLift(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), focusUntil(t, 11, 0))
	release := f.g.LiftForUrgent()
	if release == nil {
		t.Fatal("a server that hides critical notifications was not opened for an urgent one")
	}
	f.wantQuiet(false, "while the urgent notification is on screen")
	release()
	release() // a second call changes nothing
	f.wantQuiet(true, "after the urgent notification closed")
	f.wantCalls("urgent lift", true, false, true)

	f.b.traits.CriticalShown = true
	if f.g.LiftForUrgent() != nil {
		t.Error("opened a server that shows critical notifications anyway")
	}

	// The user's own do-not-disturb is never lifted.
	u := newFixture(t, "focus")
	u.b.set(true)
	u.g.Start(context.Background(), focusUntil(t, 11, 0))
	if u.g.LiftForUrgent() != nil {
		t.Error("lifted the user's own do-not-disturb for an urgent item")
	}
}

func TestDeferQuietLetsSluicesNoteShowFirst(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), between(t))
	f.g.DeferQuiet(300 * time.Millisecond) // real time: the note's time on screen
	start := time.Now()
	f.g.Mode(focusUntil(t, 11, 0))
	f.wantQuiet(false, "right after the focus notification")
	waitUntil(t, "quiet after the grace", func() bool { on, _ := f.b.state(); return on })
	if time.Since(start) < 300*time.Millisecond {
		t.Error("quiet before the grace was over")
	}
}

func TestQuitLifts(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), focusUntil(t, 11, 0))
	f.g.Close(context.Background())
	f.wantQuiet(false, "after quit during focus")
	if c := f.recorded(); c != nil {
		t.Errorf("record %+v left after quit", c)
	}
	f.g.Mode(focusUntil(t, 11, 0))
	f.wantQuiet(false, "an event after quit")
}

func TestFailures(t *testing.T) {
	t.Run("cannot switch on", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.b.failSet = errors.New("dbus: no reply")
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		st := f.g.Status()
		if !strings.Contains(st.Problem, "no reply") || st.State == "quiet" {
			t.Errorf("status %+v, want the problem and not quiet", st)
		}
		if c := f.recorded(); c != nil {
			t.Errorf("record %+v of a change that did not happen", c)
		}
	})
	t.Run("cannot switch off: tried again", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		f.b.mu.Lock()
		f.b.failSet = errors.New("dbus: timeout")
		f.b.mu.Unlock()
		f.g.Mode(between(t))
		if f.recorded() == nil {
			t.Fatal("the record went although the desktop is still silenced")
		}
		f.b.mu.Lock()
		f.b.failSet = nil
		f.b.mu.Unlock()
		f.clk.Advance(retryLift)
		waitUntil(t, "the lift to be retried", func() bool { on, _ := f.b.state(); return !on })
	})
	t.Run("cannot set at all", func(t *testing.T) {
		f := newFixture(t, "focus")
		f.b.traits = Traits{Word: "on (priority only); Windows lets no program switch it"}
		f.g.Start(context.Background(), focusUntil(t, 11, 0))
		f.wantCalls("a desktop that cannot be switched")
		if st := f.g.Status(); st.State != "unsupported" || !strings.Contains(st.Summary, "priority only") {
			t.Errorf("status %q / %q", st.State, st.Summary)
		}
	})
	t.Run("no server", func(t *testing.T) {
		g := NewGuard(Options{Detect: func(context.Context, Settings) (Backend, error) { return nil, ErrNoServer },
			DataDir: t.TempDir(), Clock: clock.NewFake(monday(t, 9, 30)), Settings: Settings{Hold: "focus"}})
		g.Start(context.Background(), focusUntil(t, 11, 0))
		defer g.Close(context.Background())
		if st := g.Status(); st.State != "unsupported" || !strings.Contains(st.Summary, "no notification server") {
			t.Errorf("status %q / %q", st.State, st.Summary)
		}
	})
}

// fakeWatcher hands the test's notifications to the Guard while it watches.
type fakeWatcher struct {
	mu      sync.Mutex
	fn      func(Notification)
	running chan bool
}

func (w *fakeWatcher) Watch(ctx context.Context, ready func(), fn func(Notification)) error {
	w.mu.Lock()
	w.fn = fn
	w.mu.Unlock()
	ready()
	w.running <- true
	<-ctx.Done()
	w.mu.Lock()
	w.fn = nil
	w.mu.Unlock()
	w.running <- false
	return nil
}

func (w *fakeWatcher) send(n Notification) bool {
	w.mu.Lock()
	fn := w.fn
	w.mu.Unlock()
	if fn == nil {
		return false
	}
	fn(n)
	return true
}

// sink collects what the Guard hands to the gate.
type sink struct {
	mu    sync.Mutex
	items []model.Item
}

func (s *sink) Ingest(_ context.Context, b model.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range b.Items {
		if b.Account != Account || it.Account != Account {
			return errors.New("wrong account")
		}
		s.items = append(s.items, it)
	}
	return nil
}
func (s *sink) Cursor(string, string) ([]byte, error) { return nil, nil }
func (s *sink) ReportHealth(model.Health)             {}

func TestCaptureWhileHolding(t *testing.T) {
	b := newFake()
	w := &fakeWatcher{running: make(chan bool, 4)}
	sk := &sink{}
	g := NewGuard(Options{
		Detect:  func(context.Context, Settings) (Backend, error) { return b, nil },
		Watcher: w, Sink: sk, DataDir: t.TempDir(), Clock: clock.NewFake(monday(t, 9, 30)),
		Settings: Settings{Hold: "focus", Capture: true, CaptureApps: []string{"TeamChat"}},
	})
	defer g.Close(context.Background())
	g.Start(context.Background(), between(t))
	select {
	case <-w.running:
		t.Fatal("watching other apps while not holding")
	case <-time.After(50 * time.Millisecond):
	}
	g.Mode(focusUntil(t, 11, 0))
	if !<-w.running {
		t.Fatal("not watching during focus")
	}
	w.send(Notification{App: "TeamChat", Summary: "Alice Smith", Body: "are you there?", Sender: ":1.7", Serial: 4})
	w.send(Notification{App: "Firefox", Summary: "Download finished", Sender: ":1.9", Serial: 2})
	sk.mu.Lock()
	items := append([]model.Item(nil), sk.items...)
	sk.mu.Unlock()
	if len(items) != 1 {
		t.Fatalf("captured %d items, want TeamChat's only: %+v", len(items), items)
	}
	it := items[0]
	if it.Kind != model.KindDesktop || it.Channel != "TeamChat" || it.Subject != "Alice Smith" ||
		it.FromName != "Alice Smith" || it.Snippet != "are you there?" || it.SourceID == "" || it.ID != "" {
		t.Errorf("item %+v", it)
	}
	st := g.Status()
	if len(st.Apps) != 2 || st.Apps[0].Name != "Firefox" || st.Apps[0].Captured || !st.Apps[1].Captured || !st.Capturing {
		t.Errorf("apps seen %+v (capturing %v)", st.Apps, st.Capturing)
	}
	g.Checkin(monday(t, 9, 31), 30*time.Minute)
	if <-w.running {
		t.Fatal("still watching while the desktop is open for a check-in")
	}
	// The apps seen survive a restart.
	g2 := NewGuard(Options{Detect: func(context.Context, Settings) (Backend, error) { return b, nil },
		DataDir: g.o.DataDir, Clock: clock.NewFake(monday(t, 12, 0)), Settings: Settings{Hold: "focus"}})
	g2.Start(context.Background(), between(t))
	defer g2.Close(context.Background())
	if n := len(g2.Status().Apps); n != 2 {
		t.Errorf("after a restart %d apps seen, want 2", n)
	}
}

func TestANewBlockEndsTheCheckinLift(t *testing.T) {
	f := newFixture(t, "focus")
	f.g.Start(context.Background(), focusUntil(t, 11, 0))
	f.g.Checkin(monday(t, 11, 0), 30*time.Minute) // the check-in that ends the block
	f.g.Mode(Mode{Mode: model.ModeWindow, Until: monday(t, 11, 30)})
	f.wantQuiet(false, "check-in window")
	f.g.Mode(focusUntil(t, 11, 25)) // "Focus 25 min" inside the window
	f.wantQuiet(true, "a focus block started after the check-in")
}
