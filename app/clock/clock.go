// Package clock is the one place that reads the machine's clock. The domain
// (schedule, rules, store, gate) takes a Clock, so tests drive time with Fake
// across days, DST changes and sleep-sized jumps.
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now is the wall-clock time without a monotonic reading, so that
	// comparisons after a suspend use the wall clock, which kept running,
	// not the monotonic one, which did not.
	Now() time.Time
	// NewTimer fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Real is the machine's clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now().Round(0) }

// NewTimer implements Clock.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Fake is a clock that moves only when told to. Timers fire when Advance or
// Set moves the time past their deadline.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.Round(0)} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer implements Clock.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves the clock forward by d and fires due timers.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (forwards or backwards) and fires due timers.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t.Round(0)
	keep := f.timers[:0]
	for _, tm := range f.timers {
		if !tm.at.After(f.now) {
			select {
			case tm.c <- f.now:
			default:
			}
			continue
		}
		keep = append(keep, tm)
	}
	f.timers = keep
}

// Deadlines lists when the timers not yet fired or stopped are due,
// soonest first: a test sees what a loop waits for.
func (f *Fake) Deadlines() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]time.Time, 0, len(f.timers))
	for _, t := range f.timers {
		out = append(out, t.at)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// Pending is the number of timers not yet fired or stopped.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	c  chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, tm := range t.f.timers {
		if tm == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Offset is the machine's clock shifted by a fixed amount. It exists for
// end-to-end tests that need a check-in a few seconds ahead (the CLI sets it
// only from SLUICE_TEST_NOW); timers run at real speed.
type Offset struct{ D time.Duration }

// Now implements Clock.
func (o Offset) Now() time.Time { return time.Now().Add(o.D).Round(0) }

// NewTimer implements Clock.
func (o Offset) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// afterFuncer is a clock whose timers are the machine's: AfterFunc uses
// time.AfterFunc for it, without a goroutine per call.
type afterFuncer interface {
	afterFunc(d time.Duration, f func()) (stop func() bool)
}

func (Real) afterFunc(d time.Duration, f func()) func() bool   { return time.AfterFunc(d, f).Stop }
func (Offset) afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// AfterFunc calls f in its own goroutine once c's timer for d fires,
// unless stop is called first; stop reports whether it prevented the
// call. It is time.AfterFunc on any Clock: a watchdog that a test's fake
// clock fires by moving on.
func AfterFunc(c Clock, d time.Duration, f func()) (stop func() bool) {
	if r, ok := c.(afterFuncer); ok {
		return r.afterFunc(d, f)
	}
	t := c.NewTimer(d)
	var (
		mu      sync.Mutex
		fired   bool
		stopped bool
	)
	done := make(chan struct{})
	go func() {
		select {
		case <-t.C():
		case <-done:
			return
		}
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		fired = true
		mu.Unlock()
		f()
	}()
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if fired || stopped {
			return false
		}
		stopped = true
		t.Stop()
		close(done)
		return true
	}
}
