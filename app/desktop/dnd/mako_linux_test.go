package dnd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMakoctl is makoctl as far as modes go: `mode` lists them, `-a` and
// `-r` add and remove one; every call is logged.
const fakeMakoctl = `#!/bin/sh
dir=$(dirname "$0")
echo "$*" >> "$dir/calls"
[ -f "$dir/modes" ] || echo default > "$dir/modes"
case "$2" in
  -a) echo "$3" >> "$dir/modes" ;;
  -r) grep -vx "$3" "$dir/modes" > "$dir/modes.new"; mv "$dir/modes.new" "$dir/modes" ;;
esac
cat "$dir/modes"
`

func TestMakoModes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "makoctl"), []byte(fakeMakoctl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	b, err := newMako("mako 1.8.0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if on, err := b.Quiet(ctx); err != nil || on {
		t.Fatalf("quiet = %v, %v before any mode", on, err)
	}
	if err := b.SetQuiet(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := b.Quiet(ctx); !on {
		t.Error("do-not-disturb mode not on after SetQuiet(true)")
	}
	if err := b.SetQuiet(ctx, false); err != nil {
		t.Fatal(err)
	}
	if on, _ := b.Quiet(ctx); on {
		t.Error("do-not-disturb mode still on after SetQuiet(false)")
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	want := "mode\nmode -a do-not-disturb\nmode\nmode -r do-not-disturb\nmode\n"
	if string(calls) != want {
		t.Errorf("makoctl calls:\n%s\nwant:\n%s", calls, want)
	}
	if tr := b.Traits(); !strings.Contains(tr.Advice, "[mode=do-not-disturb]") {
		t.Errorf("advice %q does not say how to configure mako", tr.Advice)
	}
}
