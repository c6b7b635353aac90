//go:build !race

// The race detector makes sync.Pool drop entries on purpose, so allocation
// counts are only meaningful in a normal build.

package rules

import "testing"

func TestEvaluateDoesNotAllocateWithoutMatch(t *testing.T) {
	s := mustCompile(t, benchRules(), benchBuiltins())
	it := item()
	s.Evaluate(it) // warm the buffer pool
	if n := testing.AllocsPerRun(200, func() { s.Evaluate(it) }); n > 0 {
		t.Errorf("Evaluate of an unmatched item allocated %.1f times, want 0", n)
	}
}
