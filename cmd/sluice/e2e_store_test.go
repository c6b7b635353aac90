package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fill posts n items to the instance's local inbox.
func (in *instance) fill(n int) {
	in.t.Helper()
	tok := in.token()
	for i := range n {
		body := fmt.Sprintf(`{"title":"Item %d","body":%q,"from":"ci@example.com"}`, i, strings.Repeat("some text ", 40))
		if code, out := in.post(tok, "application/json", body); code != 201 {
			in.t.Fatalf("post %d: %d %s", i, code, out)
		}
	}
}

func (in *instance) storePath() string { return filepath.Join(in.data, "sluice.db") }

// runFor is run with a time limit, for commands that must end by themselves.
func (in *instance) runFor(d time.Duration, args ...string) (stdout, stderr string, code int) {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = in.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		in.t.Fatalf("sluice %s did not end within %s:\n%s%s", strings.Join(args, " "), d, o.String(), e.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// noStackTrace fails when output looks like a Go panic.
func noStackTrace(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", ".go:"} {
		if strings.Contains(out, s) {
			t.Fatalf("%s shows a stack trace:\n%s", what, out)
		}
	}
}

// A store cut short: the daemon refuses it in words that name the file and
// the way out; `store check` lists the damage; `store recover` keeps the
// file and saves what is readable; Sluice starts again on the result.
func TestDamagedStoreEndToEnd(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()
	in.fill(200)
	in.stop()
	if out := in.mustRun("store", "check"); !strings.Contains(out, "is sound: 200 items: 200 held") {
		t.Fatalf("store check of a sound store: %q", out)
	}
	if out := in.mustRun("store", "recover"); !strings.Contains(out, "nothing to recover") {
		t.Fatalf("store recover of a sound store: %q", out)
	}

	// Cut the file inside its data: bbolt grows a file ahead of use, so
	// the last pages are often empty.
	b, err := os.ReadFile(in.storePath())
	if err != nil {
		t.Fatal(err)
	}
	used := len(bytes.TrimRight(b, "\x00"))
	if err := os.Truncate(in.storePath(), int64(used*6/10)); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := in.runFor(20*time.Second, "daemon")
	if code != 1 || !strings.Contains(errOut, in.storePath()+" is damaged") || !strings.Contains(errOut, "sluice store recover") {
		t.Fatalf("daemon on a damaged store: exit %d\n%s%s", code, out, errOut)
	}
	noStackTrace(t, "the daemon", errOut)

	out, errOut, code = in.run("store", "check")
	if code != 1 || !strings.Contains(out, "is damaged:") || !strings.Contains(out, "the file was cut short") {
		t.Fatalf("store check: exit %d\n%s%s", code, out, errOut)
	}
	noStackTrace(t, "store check", out+errOut)

	out = in.mustRun("store", "recover")
	if !strings.Contains(out, "Kept the damaged store as "+in.storePath()+".damaged-") || !strings.Contains(out, "Saved ") {
		t.Fatalf("store recover: %q", out)
	}
	var rec struct{ Held int }
	if err := json.Unmarshal([]byte(in.mustRun("store", "check", "--json")), &rec); err != nil || rec.Held == 0 || rec.Held >= 200 {
		t.Fatalf("after recovery the store holds %d items (%v)\n%s", rec.Held, err, out)
	}
	if !strings.Contains(out, fmt.Sprintf("Saved %d items", rec.Held)) || !strings.Contains(out, "lies beyond the end of the file") {
		t.Fatalf("store recover does not say what it saved and lost (%d saved):\n%s", rec.Held, out)
	}
	damaged, _ := filepath.Glob(in.storePath() + ".damaged-*")
	if len(damaged) != 1 {
		t.Fatalf("damaged copies: %q", damaged)
	}
	in.start()
	if got := len(in.items("held")); got != rec.Held {
		t.Fatalf("after recovery: %d held items, want %d", got, rec.Held)
	}
}

// Recovery must not touch a store a running Sluice holds.
func TestStoreRecoverRefusesWhileRunning(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()
	in.fill(3)
	before, _ := os.ReadFile(in.storePath())
	out, errOut, code := in.run("store", "recover", "--force")
	if code != 3 || !strings.Contains(errOut, "quit it first") {
		t.Fatalf("store recover while running: exit %d\n%s%s", code, out, errOut)
	}
	after, _ := os.ReadFile(in.storePath())
	if !bytes.Equal(before, after) {
		t.Fatal("the refused recovery changed the store")
	}
	if m, _ := filepath.Glob(in.storePath() + ".*"); len(m) != 0 {
		t.Fatalf("the refused recovery left files: %q", m)
	}
	if _, errOut, code := in.run("store", "check"); code != 3 {
		t.Fatalf("store check while running: exit %d %s", code, errOut)
	}
}

// An empty store file is no silent fresh start.
func TestEmptyStoreIsANotice(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	if err := os.MkdirAll(in.data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in.storePath(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in.start()
	if out := in.mustRun("status"); !strings.Contains(out, "Note: The store "+in.storePath()+" was an empty file (0 bytes)") {
		t.Fatalf("status does not mention the empty store:\n%s", out)
	}
	if !strings.Contains(in.logs.String(), "empty file (0 bytes)") {
		t.Fatalf("the log does not mention the empty store:\n%s", in.logs)
	}
}

// Pages damaged under a running Sluice: it stays up, answers with an error
// instead of dying, refuses new items, and says how to get out.
func TestStoreDamagedWhileRunning(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()
	in.fill(100)
	f, err := os.OpenFile(in.storePath(), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	page := int64(os.Getpagesize())
	for off := 2 * page; off < fi.Size(); off += page {
		f.WriteAt(bytes.Repeat([]byte{0xA5}, 12), off) // every page header but the metas'
	}
	f.Close()

	out, errOut, code := in.run("held")
	if code != 1 || !strings.Contains(errOut, "damaged") {
		t.Fatalf("held on damaged pages: exit %d\n%s%s", code, out, errOut)
	}
	noStackTrace(t, "held", errOut)
	if _, errOut, code := in.run("send", "--title", "after the damage"); code != 1 || !strings.Contains(errOut, "damaged") {
		t.Fatalf("send on damaged pages: exit %d %s", code, errOut)
	}
	time.Sleep(100 * time.Millisecond)
	out = in.mustRun("status")
	if !strings.Contains(out, "Note: The store is damaged") || !strings.Contains(out, "sluice store recover") {
		t.Fatalf("status does not say the store is damaged:\n%s", out)
	}
	noStackTrace(t, "the daemon's log", in.logs.String())
}
