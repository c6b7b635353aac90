//go:build !windows

package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/store"
)

// seedHeld writes n held items straight into the store of a data
// directory (no daemon running) and returns their ids.
func seedHeld(t *testing.T, data string, n int) map[string]bool {
	t.Helper()
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(paths.Store(data), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at, _ := time.Parse(time.RFC3339, "2026-11-23T09:00:00+01:00")
	ids := make(map[string]bool, n)
	items := make([]model.Item, 0, n)
	for i := range n {
		src := fmt.Sprintf("seed-%05d", i)
		it := model.Item{
			ID: model.ItemID("local", src), Kind: model.KindLocal, Account: "local", SourceID: src,
			Channel: "inbox", FromName: "load", Subject: fmt.Sprintf("held item %d", i),
			Snippet: "one of many items held through the morning", Received: at, Ingested: at,
			Action: model.ActionHold, Rule: "default", State: model.StateHeld,
		}
		it.Logf(at, "held: focus block")
		items = append(items, it)
		ids[it.ID] = true
	}
	if _, err := st.Put(items, nil); err != nil {
		t.Fatal(err)
	}
	return ids
}

// storedStates opens the store of a stopped daemon and counts every item
// by state, failing on an id seen twice.
func storedStates(t *testing.T, data string) (byState map[model.State]int, ids map[string]bool) {
	t.Helper()
	st, err := store.Open(paths.Store(data), store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the store after the kill: %v", err)
	}
	defer st.Close()
	byState, ids = map[model.State]int{}, map[string]bool{}
	for _, s := range []model.State{model.StateHeld, model.StateReleased, model.StateDone} {
		err := st.List(s, func(it model.Item) bool {
			if ids[it.ID] {
				t.Errorf("item %s is stored twice", it.ID)
			}
			ids[it.ID] = true
			byState[s]++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return byState, ids
}

// TestKillDuringRelease kills the daemon with SIGKILL while a check-in
// releases 20,000 held items: afterwards every item is there exactly once,
// and either all are still held or all are released.
func TestKillDuringRelease(t *testing.T) {
	const n = 20000
	tmpl := newInstance(t, "2026-11-23T09:30:00+01:00") // in the 09:00–11:00 focus block
	want := seedHeld(t, tmpl.data, n)
	db, err := os.ReadFile(paths.Store(tmpl.data))
	if err != nil {
		t.Fatal(err)
	}

	// A first check-in to the end says how long releasing takes.
	in := tmpl
	in.start()
	t0 := time.Now()
	c, err := control.NewClient(in.data).Checkin(context.Background())
	took := time.Since(t0)
	if err != nil || c.Count != n {
		t.Fatalf("check-in: %d released, %v; want %d", c.Count, err, n)
	}
	in.stop()
	if got, ids := storedStates(t, in.data); got[model.StateReleased] != n || len(ids) != n {
		t.Fatalf("after a full check-in: %v", got)
	}
	t.Logf("releasing %d items took %v (control API round trip)", n, took)

	outcomes := map[string]int{}
	for round := range 6 {
		delay := took * time.Duration(round) / 5
		in := newInstance(t, "2026-11-23T09:30:00+01:00")
		if err := os.MkdirAll(in.data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths.Store(in.data), db, 0o600); err != nil {
			t.Fatal(err)
		}
		in.start()
		ctx, cancel := context.WithCancel(context.Background())
		go control.NewClient(in.data).Checkin(ctx)
		time.Sleep(delay)
		in.cmd.Process.Kill()
		in.cmd.Wait()
		in.cmd = nil
		cancel()

		got, ids := storedStates(t, in.data)
		for id := range want {
			if !ids[id] {
				t.Errorf("round %d: item %s is missing", round, id)
			}
		}
		switch {
		case got[model.StateHeld] == n && len(ids) == n:
			outcomes["all held"]++
		case got[model.StateReleased] == n && len(ids) == n:
			outcomes["all released"]++
		default:
			t.Fatalf("round %d (kill after %v): %v of %d items, want all held or all released", round, delay, got, n)
		}
	}
	t.Logf("SIGKILL during the release, 6 rounds: %v", outcomes)
}

// TestSlowloris: connections that send their headers a byte at a time are
// cut after the 5 s header timeout, and the inbox serves others meanwhile.
func TestSlowloris(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()
	const n = 20
	var wg sync.WaitGroup
	cut := make(chan time.Duration, n)
	for range n {
		c, err := net.Dial("tcp", in.listen)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			fmt.Fprint(c, "POST /v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n")
			for time.Since(start) < 30*time.Second {
				if _, err := fmt.Fprint(c, "X"); err != nil {
					break
				}
				c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := c.Read(make([]byte, 1)); err != nil && !os.IsTimeout(err) {
					break // the server closed the connection
				}
			}
			cut <- time.Since(start)
		}()
	}
	time.Sleep(time.Second)
	if code, body := in.post(in.token(), "application/json", `{"title":"during the slowloris"}`); code != http.StatusCreated {
		t.Errorf("a push during the slowloris: %d %s", code, body)
	}
	wg.Wait()
	close(cut)
	var longest time.Duration
	for d := range cut {
		if d < 4*time.Second || d > 10*time.Second {
			t.Errorf("a slow connection was cut after %v, want about 5 s", d.Round(time.Millisecond))
		}
		longest = max(longest, d)
	}
	t.Logf("%d slowloris connections, cut after at most %v", n, longest.Round(time.Millisecond))
}

// TestMissedCheckinAfterClockJump: the clock jumps over two check-ins (as
// when a laptop sleeps through them); the daemon does one check-in, late,
// exactly once, whatever else wakes it afterwards.
func TestMissedCheckinAfterClockJump(t *testing.T) {
	in := newInstance(t, "2026-11-23T10:30:00+01:00") // Monday, focus until 11:00
	jump := filepath.Join(t.TempDir(), "jump")
	in.env = append(in.env, "SLUICE_TEST_JUMP_FILE="+jump)
	in.start()
	for i := range 3 {
		in.mustRun("send", "--title", fmt.Sprintf("before the jump %d", i))
	}
	if h := in.items("held"); len(h) != 3 {
		t.Fatalf("held before the jump: %d, want 3", len(h))
	}
	jumpTo := func(at string) {
		t.Helper()
		if err := os.WriteFile(jump, []byte(at), 0o600); err != nil {
			t.Fatal(err)
		}
		in.cmd.Process.Signal(syscall.SIGUSR1)
	}
	// Over the 11:00 and 16:00 check-ins, to 16:45 (working hours, no window).
	jumpTo("2026-11-23T16:45:00+01:00")
	deadline := time.Now().Add(15 * time.Second)
	for len(in.items("digest")) != 3 {
		if time.Now().After(deadline) {
			in.stop()
			t.Fatalf("the missed check-in was not done after the jump:\n%s", in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	id := in.items("digest")[0].ID
	if out := in.mustRun("explain", id); !strings.Contains(out, "released: check-in 16:00, done late at Mon 16:45") {
		t.Errorf("explain after the jump:\n%s", out)
	}
	// The same instant again, and the timers set before the jump firing:
	// nothing more is released.
	jumpTo("2026-11-23T16:45:00+01:00")
	in.mustRun("send", "--title", "after the jump")
	time.Sleep(3 * time.Second)
	if h := in.items("held"); len(h) != 1 || h[0].Subject != "after the jump" {
		t.Errorf("held after the jump: %v, want only the item sent after it", h)
	}
	var days []store.DayStats
	if err := json.Unmarshal([]byte(in.mustRun("stats", "--json", "--days", "1")), &days); err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].CheckinsLate != 1 || days[0].CheckinsOnTime != 0 || days[0].CheckinsEarly != 0 {
		t.Errorf("stats: %+v, want exactly one late check-in", days)
	}
	in.stop() // the log is complete, and no longer written to
	if got := strings.Count(in.logs.String(), "msg=check-in "); got != 1 {
		t.Errorf("the log shows %d check-ins, want 1:\n%s", got, in.logs)
	}
}

// TestLongDataDirSocket: a data directory too deep for a Unix socket gets a
// private socket directory, and the CLI reaches the daemon through it.
func TestLongDataDirSocket(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.data = filepath.Join(in.data, strings.Repeat("deeper-and-deeper/", 6))
	tmp := t.TempDir()
	in.env = append(in.env, "SLUICE_DATA="+in.data, "XDG_RUNTIME_DIR=", "TMPDIR="+tmp)
	in.start()
	sock := control.SocketPath(in.data)
	if !strings.HasPrefix(sock, tmp+"/sluice-") {
		t.Fatalf("socket %q, want one in a private directory under %s", sock, tmp)
	}
	fi, err := os.Stat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v %v, want mode 700", fi, err)
	}
	if out := in.mustRun("status"); !strings.Contains(out, "Focus") {
		t.Errorf("status through the private socket:\n%s", out)
	}
}
