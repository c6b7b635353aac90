//go:build unix

package secrets

import (
	"context"
	"testing"
)

// A password command killed by a signal says so (Windows has no signals).
func TestPasswordCommandKilled(t *testing.T) {
	_, err := RunCommand(context.Background(), "kill -9 $$")
	if want := "password command failed (signal: killed)"; err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
