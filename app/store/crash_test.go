package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

var crashAccounts = []string{"mail", "chat", "local"}

// crashChild is the writer the crash test kills. It continues each
// account's numbering from its cursor, re-sends a few already stored items
// with every batch (as a connector re-syncing would), stores the batch and
// its cursor (the batch's last item number) in one Put with real fsync,
// and reports "committed ACCOUNT N" only after Put returned (and
// "committing" just before, so the parent can aim its kill at Put). Every few
// batches it releases or clears items so index moves are killed too.
func crashChild(path, seed string) {
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(2)
	}
	sd, _ := strconv.ParseUint(seed, 10, 64)
	r := rand.New(rand.NewPCG(sd, 7))
	s, err := Open(path, Options{Timeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	fmt.Println("opened")
	last := map[string]int{}
	for _, acc := range crashAccounts {
		v, err := s.Cursor(acc, "pos")
		if err != nil {
			fail(err)
		}
		if v != nil {
			if last[acc], err = strconv.Atoi(string(v)); err != nil {
				fail(err)
			}
		}
	}
	at := t0
	for batch := 0; ; batch++ {
		at = at.Add(time.Minute)
		acc := crashAccounts[r.IntN(len(crashAccounts))]
		n := 1 + r.IntN(8)
		if r.IntN(12) == 0 {
			n = 30 + r.IntN(100) // big batches span many pages
		}
		from := max(1, last[acc]-r.IntN(3))
		to := last[acc] + n
		items := make([]model.Item, 0, to-from+1)
		for i := from; i <= to; i++ {
			it := realisticItem(acc, i, model.StateHeld)
			it.SourceID = strconv.Itoa(i)
			it.ID = model.ItemID(acc, it.SourceID)
			items = append(items, it)
		}
		cur := []model.Cursor{{Account: acc, Key: "pos", Value: []byte(strconv.Itoa(to))}}
		fmt.Println("committing")
		if _, err := s.Put(items, cur); err != nil {
			fail(err)
		}
		last[acc] = to
		fmt.Printf("committed %s %d\n", acc, to)
		switch r.IntN(6) {
		case 0:
			if _, err := s.Release(at, "released: crash test", "2025-03-10"); err != nil {
				fail(err)
			}
		case 1:
			if _, err := s.MarkAllDone(at, nil); err != nil {
				fail(err)
			}
		}
	}
}

// TestCrashKeepsItemsAndCursorsTogether kills a writing child (SIGKILL;
// TerminateProcess on Windows) at random moments, 200 times, and checks after each kill that every
// reported batch is stored, nothing is stored twice, and each cursor
// equals the highest item number stored for its account. Every 50 rounds
// it starts on a new file, so verifying (which reads every item) stays
// quick under -race; each file still goes through 50 crashes.
func TestCrashKeepsItemsAndCursorsTogether(t *testing.T) {
	const rounds, perFile = 200, 50
	var path string
	r := rand.New(rand.NewPCG(1, 2))
	var reported map[string]int // highest number a child reported committed
	killedMidOpen, commits := 0, 0
	for round := range rounds {
		if round%perFile == 0 {
			path = filepath.Join(t.TempDir(), "sluice.db")
			reported = map[string]int{}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=crash", "SLUICE_STORE_TEST_PATH="+path,
			"SLUICE_STORE_TEST_SEED="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		// Kill right away (during start-up or Open), or some way into the
		// k-th batch: after its "committing" or "committed" line plus a
		// random spin (0 to a few ms, about one fsync'd write; spinning
		// keeps the test off the clock), so kills land all over the write.
		killAfter := r.IntN(16) - 1
		trigger := []string{"committing", "committed"}[r.IntN(2)]
		jitter := r.IntN(4_000_000)
		seen := 0
		handle := func(line string) {
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "committed":
				n, _ := strconv.Atoi(f[2])
				reported[f[1]] = max(reported[f[1]], n)
				commits++
			case len(f) > 0 && f[0] == "error":
				t.Errorf("round %d: child: %s", round, line)
			}
		}
		if killAfter >= 0 {
			for sc.Scan() {
				handle(sc.Text())
				if strings.HasPrefix(sc.Text(), trigger) {
					seen++
				}
				if seen > killAfter {
					break
				}
			}
			spin(jitter)
		} else {
			killedMidOpen++
		}
		// SIGKILL; TerminateProcess on Windows.
		_ = cmd.Process.Kill()
		for sc.Scan() { // reports written before the kill still count
			handle(sc.Text())
		}
		err = cmd.Wait()
		if !killed(cmd.ProcessState) {
			t.Fatalf("round %d: child ended on its own: %v", round, err)
		}
		verifyAfterCrash(t, round, path, reported)
		if t.Failed() {
			return
		}
	}
	t.Logf("%d rounds (%d killed before a report), %d committed batches reported, last numbers %v",
		rounds, killedMidOpen, commits, reported)
}

func verifyAfterCrash(t *testing.T, round int, path string, reported map[string]int) {
	t.Helper()
	s, err := Open(path, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer s.Close()
	items := checkConsistent(t, s) // also: no id stored twice, ids ↔ items
	nums := map[string]map[int]int{}
	for _, it := range items {
		n, err := strconv.Atoi(it.SourceID)
		if err != nil || it.ID != model.ItemID(it.Account, it.SourceID) {
			t.Fatalf("round %d: unexpected item %q/%q", round, it.Account, it.SourceID)
		}
		if nums[it.Account] == nil {
			nums[it.Account] = map[int]int{}
		}
		nums[it.Account][n]++
	}
	for _, acc := range crashAccounts {
		highest := 0
		for n, c := range nums[acc] {
			if c != 1 {
				t.Errorf("round %d: %s item %d stored %d times", round, acc, n, c)
			}
			highest = max(highest, n)
		}
		// Batches are contiguous and atomic, so the stored numbers are 1..highest.
		if len(nums[acc]) != highest {
			t.Errorf("round %d: %s has %d items but numbers up to %d: a batch was split", round, acc, len(nums[acc]), highest)
		}
		if highest < reported[acc] {
			t.Errorf("round %d: %s: child reported %d committed, store has up to %d", round, acc, reported[acc], highest)
		}
		v, err := s.Cursor(acc, "pos")
		if err != nil {
			t.Fatal(err)
		}
		cur := 0
		if v != nil {
			cur, _ = strconv.Atoi(string(v))
		}
		if cur != highest {
			t.Errorf("round %d: %s cursor %d but highest stored item %d", round, acc, cur, highest)
		}
	}
}

var spinSink uint64

// spin burns about n nanoseconds of CPU (more under -race) without reading
// the clock.
func spin(n int) {
	x := uint64(1)
	for i := range n {
		x += uint64(i) ^ x>>3
	}
	spinSink = x
}
