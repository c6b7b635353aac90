//go:build linux

package desktop

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestResumeWakes plays logind on a private bus standing in for the system
// bus: PrepareForSleep(false), sent when the machine resumes, wakes Sluice
// (the gate re-reads the clock, connectors reconnect); PrepareForSleep(true)
// does not, and neither does the same signal from anyone but logind.
func TestResumeWakes(t *testing.T) {
	sys := privateBus(t)
	logind := connect(t, sys)
	if r, err := logind.RequestName(logindName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", logindName, r, err)
	}
	woke := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchSleep(ctx, sys, testLogger(t), func() { woke <- struct{}{} })
	}()
	defer func() { cancel(); <-done }()

	emit := func(conn *dbus.Conn, going bool) {
		t.Helper()
		if err := conn.Emit(logindPath, logindIface+".PrepareForSleep", going); err != nil {
			t.Fatal(err)
		}
	}
	// The listener subscribes asynchronously: resume until it hears one.
	waitFor(t, 10*time.Second, "the listener to hear a resume", func() bool {
		emit(logind, false)
		select {
		case <-woke:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	drain := func() int {
		n := 0
		for {
			select {
			case <-woke:
				n++
			case <-time.After(300 * time.Millisecond):
				return n
			}
		}
	}
	drain()

	emit(logind, true) // going to sleep
	emit(logind, false)
	if n := drain(); n != 1 {
		t.Errorf("sleep then resume woke Sluice %d times, want once", n)
	}

	impostor := connect(t, sys)
	emit(impostor, false)
	if n := drain(); n != 0 {
		t.Errorf("a PrepareForSleep from someone other than logind woke Sluice %d times", n)
	}
}
