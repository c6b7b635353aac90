package app

import (
	"path/filepath"
	"testing"
)

func TestNoticesAreWithdrawn(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{ConfigPath: filepath.Join(dir, "config.toml"), DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.st.Close()
	a.Notice("No tray icon: no watcher")
	a.Notice("No tray icon: no watcher") // said once
	a.Notice("Config: something")
	if got := a.Status().Notices; len(got) != 2 {
		t.Fatalf("notices %q, want 2", got)
	}
	a.ClearNotices("No tray icon: ")
	if got := a.Status().Notices; len(got) != 1 || got[0] != "Config: something" {
		t.Fatalf("after clearing: %q", got)
	}
}
