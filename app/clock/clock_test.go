package clock

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestFakeDeadlines(t *testing.T) {
	f := NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	a := f.NewTimer(2 * time.Minute)
	f.NewTimer(time.Minute)
	if d := f.Deadlines(); len(d) != 2 || !d[0].Equal(f.Now().Add(time.Minute)) || !d[1].Equal(f.Now().Add(2*time.Minute)) {
		t.Fatalf("deadlines %v, want +1m and +2m, soonest first", d)
	}
	a.Stop()
	f.Advance(time.Minute)
	if d := f.Deadlines(); len(d) != 0 {
		t.Errorf("deadlines %v after one fired and one stopped, want none", d)
	}
}

func TestAfterFuncOnAFakeClock(t *testing.T) {
	f := NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	called := make(chan struct{}, 2)
	AfterFunc(f, time.Minute, func() { called <- struct{}{} })
	stop := AfterFunc(f, time.Minute, func() { called <- struct{}{} })
	if !stop() {
		t.Fatal("stop before the deadline reported false")
	}
	if stop() {
		t.Error("a second stop reported true")
	}
	f.Advance(59 * time.Second)
	select {
	case <-called:
		t.Fatal("called before its deadline")
	case <-time.After(20 * time.Millisecond):
	}
	f.Advance(time.Second)
	select {
	case <-called:
	case <-time.After(5 * time.Second):
		t.Fatal("not called when the fake clock passed its deadline")
	}
	select {
	case <-called:
		t.Fatal("the stopped one was called too")
	case <-time.After(20 * time.Millisecond):
	}
}

func TestAfterFuncOnTheRealClock(t *testing.T) {
	var n atomic.Int32
	done := make(chan struct{})
	AfterFunc(Real{}, time.Millisecond, func() { n.Add(1); close(done) })
	stop := AfterFunc(Real{}, time.Hour, func() { n.Add(1) })
	<-done
	if !stop() || n.Load() != 1 {
		t.Errorf("calls %d, want 1; the hour-long one stops", n.Load())
	}
}
