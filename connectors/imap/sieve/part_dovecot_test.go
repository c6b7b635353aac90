//go:build unix

package sieve

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
)

// TestApplyPartsKeepEachOther: the hold at delivery and the auto-reply are
// switched on their own; neither takes the other off.
func TestApplyPartsKeepEachOther(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	now := clock.Real{}.Now()
	vac := mustVacation(t, c, []Period{{now.Add(-time.Hour), now.Add(time.Hour)}})
	hold := mustHold(t, holdSpec(c))

	if _, err := m.ApplyVacation(ctx(t), vac); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ApplyHold(ctx(t), hold); err != nil {
		t.Fatal(err)
	}
	names, active := scriptNames(t, c)
	if !slices.Equal(names, []string{ScriptMain, ScriptHold, ScriptVacation}) || active != ScriptMain {
		t.Fatalf("scripts %q, active %q; want all three, %q active", names, active, ScriptMain)
	}
	if got, _ := c.GetScript(ctx(t), ScriptVacation); got != vac {
		t.Error("ApplyHold changed the auto-reply")
	}
	main, _ := c.GetScript(ctx(t), ScriptMain)
	if !strings.Contains(main, `include :personal "`+ScriptVacation+`"`) || !strings.Contains(main, `include :personal "`+ScriptHold+`"`) {
		t.Errorf("main script includes not both:\n%s", main)
	}

	// The hold comes off at a check-in: the auto-reply stays.
	if _, err := m.ApplyHold(ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	if names, _ := scriptNames(t, c); !slices.Equal(names, []string{ScriptMain, ScriptVacation}) {
		t.Errorf("after the hold came off: %q", names)
	}
	// And the other way round.
	if _, err := m.ApplyHold(ctx(t), hold); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ApplyVacation(ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	if names, _ := scriptNames(t, c); !slices.Equal(names, []string{ScriptMain, ScriptHold}) {
		t.Errorf("after the auto-reply came off: %q", names)
	}
	if _, err := m.ApplyHold(ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	if names, active := scriptNames(t, c); len(names) != 0 || active != "" {
		t.Errorf("both off: scripts %q, active %q", names, active)
	}
}
