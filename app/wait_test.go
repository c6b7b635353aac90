package app

import (
	"testing"
	"time"
)

// waitUntil waits up to 20 s for cond, and fails with what and state()
// when it does not come true.
func waitUntil(t *testing.T, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
