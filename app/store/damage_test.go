package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// damageFixture is a closed store of n items (a third released, a tenth of
// those done), a cursor, stats, a tombstone, a calendar's busy time and
// gate state, big enough for
// every bucket that matters to have branch pages.
type damageFixture struct {
	path   string
	items  map[string]model.Item // by id, as stored
	pruned model.Item            // an item stored, done and pruned
	page   int                   // page size
	roots  map[string]uint64     // bucket name → root page
}

func newDamageFixture(t testing.TB, n int) *damageFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var batch []model.Item
	for i := range n {
		it := realisticItem("mail", i, model.StateHeld)
		if i%7 == 0 {
			it.Body = fmt.Sprintf("The whole text of item %d.\n", i) + strings.Repeat("line of a long mail\n", 40)
		}
		batch = append(batch, it)
	}
	if _, err := s.Ingest(Batch{Items: batch, Cursors: []model.Cursor{{Account: "mail", Key: "INBOX", Value: []byte("v1:uid 42")}},
		Day: "2025-03-10", Stats: func(d *DayStats, added []model.Item) { d.Held += len(added) }}); err != nil {
		t.Fatal(err)
	}
	// The oldest third is released, and a tenth of those is done; then one
	// more done item is pruned, leaving a tombstone.
	for i := range n / 3 {
		if _, err := s.Update(batch[i].ID, func(it *model.Item) error {
			it.State, it.Released = model.StateReleased, t0
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var done []string
	for i := 0; i < n/3; i += 10 {
		done = append(done, batch[i].ID)
	}
	if _, err := s.MarkDone(done, t0.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	extra := realisticItem("mail", n, model.StateHeld)
	if _, err := s.Put([]model.Item{extra}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDone([]string{extra.ID}, t0, nil); err != nil {
		t.Fatal(err)
	}
	if k, err := s.Prune(t0.Add(time.Minute)); err != nil || k != 1 {
		t.Fatalf("prune: %d, %v", k, err)
	}
	if err := s.SetGateState([]byte(`{"overrides":{}}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBusy("Work calendar", fixtureBusy, nil); err != nil {
		t.Fatal(err)
	}
	f := &damageFixture{path: path, items: map[string]model.Item{}, roots: map[string]uint64{}, pruned: extra}
	for _, st := range states {
		for _, it := range listAll(t, s, st, false) {
			whole, err := s.Get(it.ID) // with its body, which lists leave out
			if err != nil {
				t.Fatal(err)
			}
			f.items[it.ID] = whole
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		f.page = tx.DB().Info().PageSize
		for _, name := range allBuckets {
			f.roots[string(name)] = uint64(tx.Bucket(name).Root())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureBusy is the damage fixture's one meeting.
var fixtureBusy = []model.Busy{{Start: t0, End: t0.Add(time.Hour), Title: "Planning", Account: "Work calendar"}}

// patch writes b at off into the store file.
func (f *damageFixture) patch(t testing.TB, off int64, b []byte) {
	t.Helper()
	fh, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// smashPage overwrites a page's header (its id and flags) with garbage.
func (f *damageFixture) smashPage(t testing.TB, id uint64) {
	t.Helper()
	f.patch(t, int64(id)*int64(f.page), bytes.Repeat([]byte{0xA5}, 12))
}

func wantDamaged(t *testing.T, err error, path string) *DamagedError {
	t.Helper()
	var d *DamagedError
	if !errors.As(err, &d) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("got %v, want a *DamagedError", err)
	}
	if d.Path != path || !strings.Contains(err.Error(), path) || len(d.Problems) == 0 {
		t.Fatalf("damage error %q does not name the file and a problem", err)
	}
	return d
}

// A store cut short (a full disk, a copy that stopped) used to kill the
// process with "assertion failed: Page expected to be …" from a goroutine
// bbolt starts at open. Open must say which file is damaged instead.
func TestOpenTruncatedStoreIsAnError(t *testing.T) {
	f := newDamageFixture(t, 2000)
	fi, _ := os.Stat(f.path)
	for _, size := range []int64{fi.Size() / 2, int64(f.page) * 3, int64(f.page) + 100, 100} {
		if err := os.Truncate(f.path, size); err != nil {
			t.Fatal(err)
		}
		s, err := Open(f.path, Options{})
		if err == nil {
			s.Close()
			t.Fatalf("cut to %d bytes: opened", size)
		}
		wantDamaged(t, err, f.path)
	}
}

// Flipped bytes in page headers of every kind of tree page.
func TestOpenFlippedPagesIsAnError(t *testing.T) {
	for _, bucket := range []string{"items", "idx_held", "ids", "life"} {
		t.Run(bucket, func(t *testing.T) {
			f := newDamageFixture(t, 2000)
			f.smashPage(t, f.roots[bucket])
			_, err := Open(f.path, Options{})
			d := wantDamaged(t, err, f.path)
			if !strings.Contains(d.Problems[0], "page") {
				t.Errorf("problem %q does not name a page", d.Problems[0])
			}
		})
	}
	t.Run("both metas", func(t *testing.T) {
		f := newDamageFixture(t, 10)
		f.patch(t, 16, []byte{1, 2, 3, 4})
		f.patch(t, int64(f.page)+16, []byte{1, 2, 3, 4})
		_, err := Open(f.path, Options{})
		wantDamaged(t, err, f.path)
	})
}

// A 0-byte store is not a silent fresh start: the store says so.
func TestOpenEmptyFileIsANotice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := s.Notices()
	if len(n) != 1 || !strings.Contains(n[0], "empty file (0 bytes)") || !strings.Contains(n[0], path) {
		t.Fatalf("notices %q, want one about the empty file", n)
	}
	// A new store is no news.
	s2, err := Open(filepath.Join(t.TempDir(), "sluice.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := s2.Notices(); len(n) != 0 {
		t.Fatalf("a new store has notices %q", n)
	}
}

// A page damaged while the store is open (another program wrote into the
// file) surfaces as an error from the call that reads it, the damage is
// reported once, and no write goes to the file after it.
func TestDamageWhileOpenIsAnError(t *testing.T) {
	f := newDamageFixture(t, 2000)
	var reports atomic.Int32
	var reported error
	s, err := Open(f.path, Options{NoSync: true, OnDamage: func(err error) { reports.Add(1); reported = err }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f.smashPage(t, f.roots["idx_held"]) // the map is shared: the store sees it at once
	err = s.List(model.StateHeld, func(model.Item) bool { return true })
	wantDamaged(t, err, f.path)
	if _, err := s.Release(t0, "", "2025-03-10"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("release after the damage: %v, want ErrDamaged", err)
	}
	if _, err := s.Put([]model.Item{simpleItem("local", 1)}, nil); !errors.Is(err, ErrDamaged) {
		t.Fatalf("put after the damage: %v, want ErrDamaged", err)
	}
	if reports.Load() != 1 || !errors.Is(reported, ErrDamaged) || !errors.Is(s.Damaged(), ErrDamaged) {
		t.Fatalf("OnDamage called %d times with %v; Damaged() = %v", reports.Load(), reported, s.Damaged())
	}
	// Reads that do not touch the page still work.
	if n, err := s.Count(model.StateReleased); err != nil || n == 0 {
		t.Fatalf("count: %d, %v", n, err)
	}
}

// One undecodable item (a flipped byte inside its value) neither hides the
// others from List nor stops check-ins; it is reported.
func TestCorruptValueIsSkippedAndReported(t *testing.T) {
	s := openTest(t)
	var reports atomic.Int32
	s.onDamage = func(error) { reports.Add(1) }
	var batch []model.Item
	for i := range 10 {
		batch = append(batch, simpleItem("local", i))
	}
	if _, err := s.Put(batch, nil); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).Put(seqKey(4), []byte{itemCodecV1, 200})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s, model.StateHeld, false); len(got) != 9 {
		t.Fatalf("listed %d items, want the 9 readable ones", len(got))
	}
	rel, err := s.Release(t0, "", "2025-03-10")
	if err != nil || len(rel) != 9 {
		t.Fatalf("release: %d items, %v; want 9", len(rel), err)
	}
	if reports.Load() != 1 {
		t.Fatalf("OnDamage called %d times, want once", reports.Load())
	}
	if _, err := s.Get(batch[3].ID); !errors.Is(err, errCorrupt) {
		t.Fatalf("get of the damaged item: %v", err)
	}
}

func TestCheckSoundStore(t *testing.T) {
	f := newDamageFixture(t, 500)
	r, err := Check(f.path, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("problems in a sound store: %q", r.Problems)
	}
	held, rel, done := 0, 0, 0
	for _, it := range f.items {
		switch it.State {
		case model.StateHeld:
			held++
		case model.StateReleased:
			rel++
		case model.StateDone:
			done++
		}
	}
	if r.Held != held || r.Released != rel || r.Done != done || r.Cursors != 1 || r.Days != 1 || r.Tombstones != 1 || r.Calendars != 1 {
		t.Fatalf("report %+v, want %d held, %d released, %d done, 1 cursor, 1 day, 1 tombstone, 1 calendar", r, held, rel, done)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, f *damageFixture)
		want   string
	}{
		{"smashed page", func(t *testing.T, f *damageFixture) { f.smashPage(t, f.roots["items"]) }, "its header names page"},
		{"cut short", func(t *testing.T, f *damageFixture) {
			fi, _ := os.Stat(f.path)
			os.Truncate(f.path, fi.Size()/3)
		}, "beyond the end of the file"},
		{"empty", func(t *testing.T, f *damageFixture) { os.Truncate(f.path, 0) }, "empty"},
		{"index without item", func(t *testing.T, f *damageFixture) {
			rawUpdate(t, f.path, func(tx *bolt.Tx) error { return tx.Bucket(bucketHeld).Put(seqKey(99999), nil) })
		}, "item 99999 does not exist"},
		{"wrong counter", func(t *testing.T, f *damageFixture) {
			rawUpdate(t, f.path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(countKey(model.StateHeld), be64(7))
			})
		}, "the held counter says 7"},
		{"undecodable item", func(t *testing.T, f *damageFixture) {
			rawUpdate(t, f.path, func(tx *bolt.Tx) error { return tx.Bucket(bucketItems).Put(seqKey(5), []byte{1, 99}) })
		}, "item 5: truncated value"},
		{"unreadable busy time", func(t *testing.T, f *damageFixture) {
			rawUpdate(t, f.path, func(tx *bolt.Tx) error { return tx.Bucket(bucketBusy).Put([]byte("Feed"), []byte("{not json")) })
		}, `the busy time of "Feed" is unreadable`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newDamageFixture(t, 400)
			c.damage(t, f)
			r, err := Check(f.path, Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), c.want) {
				t.Fatalf("problems %q, want one with %q", r.Problems, c.want)
			}
		})
	}
}

// A store last written by a Sluice from before whole texts and calendars
// has no bodies or busy bucket: that is sound, and Open adds them.
func TestCheckStoreFromBeforeCalendars(t *testing.T) {
	f := newDamageFixture(t, 50)
	rawUpdate(t, f.path, func(tx *bolt.Tx) error {
		return errors.Join(tx.DeleteBucket(bucketBusy), tx.DeleteBucket(bucketBodies))
	})
	r, err := Check(f.path, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Calendars != 0 || r.Items() != len(f.items) {
		t.Fatalf("a store without busy time: problems %q, %d calendars, %d items", r.Problems, r.Calendars, r.Items())
	}
	s, err := Open(f.path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetBusy("Work calendar", fixtureBusy, nil); err != nil {
		t.Fatalf("busy time after Open added the bucket: %v", err)
	}
	s.Close()
}

// recoverAndCheck recovers the fixture's store and checks the result: the
// damaged file kept byte for byte, a sound fresh store in its place.
func recoverAndCheck(t *testing.T, f *damageFixture) (*Recovered, *Store) {
	t.Helper()
	before, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 11, 9, 30, 0, 0, time.UTC)
	rec, err := Recover(f.path, now, Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.path + ".damaged-2025-03-11T093000"; rec.Damaged != want {
		t.Errorf("damaged file kept as %q, want %q", rec.Damaged, want)
	}
	kept, err := os.ReadFile(rec.Damaged)
	if err != nil || !bytes.Equal(kept, before) {
		t.Fatalf("the damaged file was not kept as it was (%v)", err)
	}
	r, err := Check(f.path, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Items() != rec.Items() {
		t.Fatalf("the fresh store: %d items, problems %q; recovery reported %d items", r.Items(), r.Problems, rec.Items())
	}
	s, err := Open(f.path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checkConsistent(t, s)
	return rec, s
}

// A smashed branch page of the items tree cuts off most items from the
// tree, but their leaf pages are still in the file: recovery finds every
// one of them, in its state, and keeps the cursor, stats and tombstone.
func TestRecoverSavesItemsBelowADamagedPage(t *testing.T) {
	f := newDamageFixture(t, 2000)
	f.smashPage(t, f.roots["items"])
	rec, s := recoverAndCheck(t, f)
	if rec.Items() != len(f.items) || rec.Expected != len(f.items) {
		t.Fatalf("saved %d items (expected %d), want all %d", rec.Items(), rec.Expected, len(f.items))
	}
	if rec.Found == 0 || rec.Cursors != 1 || rec.Days != 1 || rec.Tombstones != 1 || rec.Calendars != 1 || !rec.GateState {
		t.Fatalf("recovered %+v", rec)
	}
	for id, want := range f.items {
		got, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != want.State || got.Subject != want.Subject || got.Seq != want.Seq {
			t.Fatalf("item %s: got %s %q seq %d, want %s %q seq %d", id, got.State, got.Subject, got.Seq, want.State, want.Subject, want.Seq)
		}
		if got.Body != want.Body {
			t.Fatalf("item %s: body of %d bytes after recovery, want %d", id, len(got.Body), len(want.Body))
		}
	}
	if want := (len(f.items) + 6) / 7; rec.Bodies != want {
		t.Errorf("recovery saved %d bodies, want %d", rec.Bodies, want)
	}
	if v, _ := s.Cursor("mail", "INBOX"); string(v) != "v1:uid 42" {
		t.Fatalf("cursor %q", v)
	}
	if busy, err := s.Busy(); err != nil || len(busy) != 1 || len(busy["Work calendar"]) != 1 ||
		!busy["Work calendar"][0].Start.Equal(fixtureBusy[0].Start) || busy["Work calendar"][0].Title != "Planning" {
		t.Fatalf("busy time after recovery: %+v, %v", busy, err)
	}
	// The pruned item stays pruned, and new items get new seqs.
	added, err := s.Put([]model.Item{realisticItem("mail", 2000, model.StateHeld), realisticItem("mail", 5000, model.StateHeld)}, nil)
	if err != nil || len(added) != 1 || added[0].Seq <= uint64(len(f.items)) {
		t.Fatalf("put after recovery: %+v, %v", added, err)
	}
}

// A store cut in half loses what was on the lost half, no more: every item
// whose page survived is saved, and the report says how many are missing.
// With the tombstones lost too, a pruned item whose old page survived may
// come back; nothing comes back that was never stored.
func TestRecoverTruncatedStore(t *testing.T) {
	f := newDamageFixture(t, 2000)
	fi, _ := os.Stat(f.path)
	if err := os.Truncate(f.path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	rec, s := recoverAndCheck(t, f)
	if rec.Items() == 0 || rec.Items() >= len(f.items) || rec.Unreadable == 0 {
		t.Fatalf("saved %d of %d items, %d unreadable", rec.Items(), len(f.items), rec.Unreadable)
	}
	for _, st := range states {
		for _, it := range listAll(t, s, st, false) {
			want, ok := f.items[it.ID]
			if it.ID == f.pruned.ID {
				want, ok = f.pruned, true
			}
			if !ok || want.Subject != it.Subject {
				t.Fatalf("recovered an item that was not stored: %+v", it)
			}
		}
	}
}

func TestRecoverRefusesWhileOpen(t *testing.T) {
	s := openTest(t)
	if _, err := Recover(s.Path(), t0, Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("recover of an open store: %v, want ErrLocked", err)
	}
	if _, err := Check(s.Path(), Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("check of an open store: %v, want ErrLocked", err)
	}
	if _, err := os.Stat(s.Path() + ".recovering"); err == nil {
		t.Fatal("a refused recovery left a file behind")
	}
}
