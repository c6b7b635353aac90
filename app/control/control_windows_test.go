//go:build windows

package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Microsoft/go-winio"
)

// TestPipeLeavesNothing: the pipe answers while Sluice runs, is gone when
// it stops, and no file is left in the data directory (an old
// control.json with a port and token is removed at start).
func TestPipeLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "control.json")
	if err := os.WriteFile(legacy, []byte(`{"addr":"127.0.0.1:1","token":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(dir, &fakeBackend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	name, err := PipeName(dir)
	if err != nil || !strings.HasPrefix(name, `\\.\pipe\sluice-`) {
		t.Fatalf("pipe name %q %v", name, err)
	}
	if !Running(dir, 5*time.Second) {
		t.Fatal("the pipe does not answer")
	}
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old control.json is still there: %v", err)
	}
	if _, err := Listen(dir, &fakeBackend{}, nil); err == nil {
		t.Error("a second server took the same pipe")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if Running(dir, time.Second) {
		t.Error("the pipe still answers after Close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := winio.DialPipeContext(ctx, name); err == nil {
		c.Close()
		t.Error("the pipe still exists after Close")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left in the data directory: %v", entries)
	}
}

// TestPipeNamesDiffer: each data directory has its own pipe; the same
// directory spelt differently has the same one.
func TestPipeNamesDiffer(t *testing.T) {
	a, _ := PipeName(`C:\Users\me\AppData\Local\sluice`)
	b, _ := PipeName(`C:\Users\me\AppData\Local\sluice2`)
	c, _ := PipeName(`c:\users\ME\AppData\Local\sluice\`)
	if a == b {
		t.Errorf("two data directories share the pipe %s", a)
	}
	if a != c {
		t.Errorf("one directory, two pipes: %s and %s", a, c)
	}
}

// TestPipeIsTheUsers: the pipe is owned by the current user, and its
// access list grants that user alone.
func TestPipeIsTheUsers(t *testing.T) {
	_, dir := serve(t, &fakeBackend{})
	name, _ := PipeName(dir)
	c, err := dialContext(context.Background(), "pipe", name)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	me, _ := currentUser()
	if got := pipeSDDL(me); !strings.Contains(got, "(A;;GA;;;"+me.String()+")") || strings.Count(got, "(A;") != 1 {
		t.Errorf("SDDL %s grants more than the user", got)
	}
}
