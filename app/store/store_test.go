package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

func TestPutAssignsSeqAndDeduplicates(t *testing.T) {
	s := openTest(t)
	a, b := simpleItem("work", 1), simpleItem("work", 2)
	added, err := s.Put([]model.Item{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].Seq != 1 || added[1].Seq != 2 {
		t.Fatalf("added = %+v, want seqs 1 and 2", added)
	}
	// The same source ids again (a re-sync), one new one, and a duplicate
	// inside the batch itself.
	c := simpleItem("work", 3)
	added, err = s.Put([]model.Item{b, a, c, c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(added); !slices.Equal(got, []string{"3"}) || added[0].Seq != 3 {
		t.Fatalf("second put added %v (seq %d), want only 3 with seq 3", got, added[0].Seq)
	}
	// Same source id under another account is another item.
	added, err = s.Put([]model.Item{simpleItem("home", 1)}, nil)
	if err != nil || len(added) != 1 {
		t.Fatalf("other account: added %d, err %v", len(added), err)
	}
	if got := count(t, s, model.StateHeld); got != 4 {
		t.Errorf("held count = %d, want 4", got)
	}
	checkConsistent(t, s)
}

func TestPutRefusesAnItemWithoutID(t *testing.T) {
	s := openTest(t)
	cur := model.Cursor{Account: "work", Key: "INBOX", Value: []byte("uid 5")}
	noID := simpleItem("work", 2)
	noID.ID = ""
	_, err := s.Put([]model.Item{simpleItem("work", 1), noID}, []model.Cursor{cur})
	if !errors.Is(err, ErrNoID) {
		t.Fatalf("Put of an item without an id: %v, want ErrNoID", err)
	}
	// All or nothing: the item with an id and the cursor were not stored.
	if ok, _ := s.Has(model.ItemID("work", "1")); ok {
		t.Error("the batch's other item was stored")
	}
	if v, _ := s.Cursor("work", "INBOX"); v != nil {
		t.Errorf("the batch's cursor was stored: %q", v)
	}
	if ok, _ := s.Has(model.ItemID("work", "2")); ok {
		t.Error("the store gave the item an id of its own")
	}
}

func TestPutSkipsIgnored(t *testing.T) {
	s := openTest(t)
	ign := simpleItem("work", 2)
	ign.Action = model.ActionIgnore
	added, err := s.Put([]model.Item{simpleItem("work", 1), ign}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0].ID != model.ItemID("work", "1") {
		t.Fatalf("added = %+v, want item 1 only", added)
	}
	if ok, _ := s.Has(model.ItemID("work", "2")); ok {
		t.Error("ignored item was stored")
	}
	// Nothing was recorded for it either: stored later as hold, it is new.
	ign.Action = model.ActionHold
	if added, _ := s.Put([]model.Item{ign}, nil); len(added) != 1 {
		t.Error("ignored item left a de-duplication entry behind")
	}
}

// TestAdmitSeesNewItemsOnly: the store decides once whether an item is
// new, and only new ones reach Admit: not one stored, not one pruned whose
// tombstone is kept, not a second copy in the same batch.
func TestAdmitSeesNewItemsOnly(t *testing.T) {
	s := openTest(t)
	stored, pruned := simpleItem("w", 1), simpleItem("w", 2)
	if _, err := s.Put([]model.Item{stored, pruned}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDone([]string{pruned.ID}, t0, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	fresh, left := simpleItem("w", 3), simpleItem("w", 4)
	var admitted []string
	added, err := s.Ingest(Batch{
		Items: []model.Item{stored, pruned, fresh, fresh, left},
		Admit: func(it *model.Item) bool {
			admitted = append(admitted, it.SourceID)
			it.Rule = "decided"
			return it.SourceID != left.SourceID
		},
		Day: "2025-03-10", Stats: func(d *DayStats, added []model.Item) { d.Held += len(added) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(admitted, ","); got != "3,4" {
		t.Errorf("Admit saw items %s, want 3,4 (the new ones, once each)", got)
	}
	if len(added) != 1 || added[0].SourceID != "3" || added[0].Rule != "decided" {
		t.Fatalf("added = %+v, want item 3 as Admit decided it", added)
	}
	if it, err := s.Get(fresh.ID); err != nil || it.Rule != "decided" {
		t.Errorf("stored item 3: %+v, %v; want it as Admit decided it", it, err)
	}
	if ok, _ := s.Has(left.ID); ok {
		t.Error("an item Admit left out was stored")
	}
	if st, _ := s.Stats("2025-03-10", "2025-03-10"); len(st) != 1 || st[0].Held != 1 {
		t.Errorf("stats = %+v, want 1 held", st)
	}
	checkConsistent(t, s)
}

func TestPutIsAtomic(t *testing.T) {
	s := openTest(t)
	cur := model.Cursor{Account: "work", Key: "INBOX", Value: []byte("uid 5")}
	if _, err := s.Put([]model.Item{simpleItem("work", 1)}, []model.Cursor{cur}); err != nil {
		t.Fatal(err)
	}
	bad := simpleItem("work", 3)
	bad.State = 0 // invalid: the whole batch must fail
	_, err := s.Put([]model.Item{simpleItem("work", 2), bad},
		[]model.Cursor{{Account: "work", Key: "INBOX", Value: []byte("uid 9")}})
	if err == nil {
		t.Fatal("put with an invalid item succeeded")
	}
	if ok, _ := s.Has(model.ItemID("work", "2")); ok {
		t.Error("item 2 of the failed batch was stored")
	}
	if v, _ := s.Cursor("work", "INBOX"); string(v) != "uid 5" {
		t.Errorf("cursor after failed batch = %q, want %q", v, "uid 5")
	}
	// The failed batch left nothing in the id index either.
	if added, err := s.Put([]model.Item{simpleItem("work", 2)}, nil); err != nil || len(added) != 1 {
		t.Errorf("item 2 after the failed batch: added %d, %v", len(added), err)
	}
	for _, tc := range []struct {
		name string
		it   model.Item
	}{
		{"short id", model.Item{ID: "abc", State: model.StateHeld}},
		{"upper-case id", model.Item{ID: strings.Repeat("A", model.IDLen), State: model.StateHeld}},
	} {
		if _, err := s.Put([]model.Item{tc.it}, nil); err == nil {
			t.Errorf("%s: put succeeded", tc.name)
		}
	}
	checkConsistent(t, s)
}

// Connectors ingest concurrently, often the same messages (two folders,
// a retry): every item must be stored once.
func TestConcurrentPutsStoreOnce(t *testing.T) {
	s := openTest(t)
	var wg sync.WaitGroup
	total := make([]int, 4)
	for g := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i += 10 {
				var batch []model.Item
				for j := i; j < i+10; j++ {
					batch = append(batch, simpleItem("work", j))
				}
				added, err := s.Put(batch, nil)
				if err != nil {
					t.Error(err)
					return
				}
				total[g] += len(added)
				if _, err := s.Get(batch[0].ID[:8]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if sum := total[0] + total[1] + total[2] + total[3]; sum != 200 {
		t.Errorf("%d items added in all, want 200", sum)
	}
	if n := len(checkConsistent(t, s)); n != 200 {
		t.Errorf("%d items stored, want 200", n)
	}
}

func TestCursors(t *testing.T) {
	s := openTest(t)
	if v, err := s.Cursor("work", "INBOX"); v != nil || err != nil {
		t.Fatalf("absent cursor = %q, %v; want nil, nil", v, err)
	}
	_, err := s.Put(nil, []model.Cursor{
		{Account: "work", Key: "INBOX", Value: []byte("1:100")},
		{Account: "work", Key: "Sent", Value: []byte("1:7")},
		{Account: "work2", Key: "INBOX", Value: []byte("other")}, // shares a prefix with "work"
		{Account: "home", Key: "empty", Value: []byte{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Cursors("work")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"INBOX": []byte("1:100"), "Sent": []byte("1:7")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cursors(work) = %q, want %q", got, want)
	}
	if v, _ := s.Cursor("home", "empty"); v == nil || len(v) != 0 {
		t.Errorf("empty cursor = %#v, want an empty non-nil value", v)
	}
	// A nil value deletes.
	if _, err := s.Put(nil, []model.Cursor{{Account: "work", Key: "Sent"}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Cursor("work", "Sent"); v != nil {
		t.Errorf("deleted cursor = %q", v)
	}
	if err := s.DeleteAccount("work"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Cursors("work"); len(got) != 0 {
		t.Errorf("cursors after DeleteAccount = %q", got)
	}
	if v, _ := s.Cursor("work2", "INBOX"); string(v) != "other" {
		t.Errorf("DeleteAccount(work) touched work2: %q", v)
	}
	if _, err := s.Put(nil, []model.Cursor{{Account: "a\x00b", Key: "k", Value: []byte("v")}}); err == nil {
		t.Error("account with NUL accepted")
	}
}

func TestReleaseMovesEveryHeldItem(t *testing.T) {
	s := openTest(t)
	live := simpleItem("work", 1)
	live.State = model.StateReleased
	live.Released = live.Ingested
	items := []model.Item{live, simpleItem("work", 2), simpleItem("work", 3), simpleItem("chat", 4)}
	if _, err := s.Put(items, nil); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(3 * time.Hour)
	rel, err := s.Release(at, "released: check-in 11:00", "2025-03-10")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rel); !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Fatalf("released %v, want [2 3 4]", got)
	}
	for _, it := range rel {
		stored, err := s.Get(it.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := stored.Log[len(stored.Log)-1]
		if stored.State != model.StateReleased || !stored.Released.Equal(at) ||
			last.Text != "released: check-in 11:00" || !last.At.Equal(at) {
			t.Errorf("item %s after release: state %s, released %v, last log %+v", it.SourceID, stored.State, stored.Released, last)
		}
	}
	if h, r := count(t, s, model.StateHeld), count(t, s, model.StateReleased); h != 0 || r != 4 {
		t.Errorf("counts held %d released %d, want 0 and 4", h, r)
	}
	if got := listAll(t, s, model.StateHeld, false); len(got) != 0 {
		t.Errorf("held after release: %v", ids(got))
	}
	st, err := s.Stats("2025-03-10", "2025-03-10")
	if err != nil {
		t.Fatal(err)
	}
	// Items 2, 3, 4 were ingested at t0+2m, +3m, +4m.
	wantWaits := []uint32{3*3600 - 120, 3*3600 - 180, 3*3600 - 240}
	if st[0].Released != 3 || !slices.Equal(st[0].Waits, wantWaits) {
		t.Errorf("stats released %d waits %v, want 3 and %v", st[0].Released, st[0].Waits, wantWaits)
	}
	// A second check-in with nothing held changes nothing.
	rel, err = s.Release(at.Add(time.Hour), "released: check-in 12:00", "2025-03-10")
	if err != nil || len(rel) != 0 {
		t.Errorf("empty release: %d items, %v", len(rel), err)
	}
	checkConsistent(t, s)
}

func TestListOrderAndStop(t *testing.T) {
	s := openTest(t)
	var items []model.Item
	for i := 1; i <= 2*listChunk+10; i++ { // crosses chunk boundaries
		it := simpleItem("work", i)
		if i%3 == 0 {
			it.State = model.StateReleased
		}
		items = append(items, it)
	}
	if _, err := s.Put(items, nil); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, it := range items {
		if it.State == model.StateHeld {
			want = append(want, it.SourceID)
		}
	}
	if got := ids(listAll(t, s, model.StateHeld, false)); !slices.Equal(got, want) {
		t.Errorf("List(held) = %v…, want %v…", got[:5], want[:5])
	}
	slices.Reverse(want)
	if got := ids(listAll(t, s, model.StateHeld, true)); !slices.Equal(got, want) {
		t.Errorf("ListReverse(held) = %v…, want %v…", got[:5], want[:5])
	}
	if got, want := count(t, s, model.StateHeld), len(want); got != want {
		t.Errorf("Count(held) = %d, want %d", got, want)
	}
	if got := count(t, s, model.StateReleased); got != (2*listChunk+10)/3 {
		t.Errorf("Count(released) = %d", got)
	}
	n := 0
	if err := s.ListReverse(model.StateReleased, func(model.Item) bool { n++; return n < 3 }); err != nil || n != 3 {
		t.Errorf("stopping early: fn called %d times (%v), want 3", n, err)
	}
	if err := s.List(0, func(model.Item) bool { return true }); err == nil {
		t.Error("List of an invalid state succeeded")
	}
}

// The digest marks items done while it lists them: fn runs outside the
// read transaction, so calling the store from it must not deadlock.
func TestListCallbackMayWrite(t *testing.T) {
	s := openTest(t)
	var items []model.Item
	for i := 1; i <= listChunk+5; i++ {
		items = append(items, simpleItem("work", i))
	}
	if _, err := s.Put(items, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := s.List(model.StateHeld, func(it model.Item) bool {
		if _, err := s.MarkDone([]string{it.ID}, t0, nil); err != nil {
			t.Error(err)
			return false
		}
		n++
		return true
	})
	if err != nil || n != len(items) {
		t.Fatalf("listed %d of %d (%v)", n, len(items), err)
	}
	if got := count(t, s, model.StateDone); got != len(items) {
		t.Errorf("done = %d, want %d", got, len(items))
	}
	checkConsistent(t, s)
}

func TestGetByPrefix(t *testing.T) {
	s := openTest(t)
	// Find two items whose ids share exactly a 5-character prefix, so
	// odd-length prefixes (half a byte) are exercised too.
	seen := map[string]model.Item{}
	var a, b model.Item
	for i := 0; a.ID == ""; i++ {
		it := simpleItem("work", i)
		if o, ok := seen[it.ID[:5]]; ok && o.ID[5] != it.ID[5] {
			a, b = o, it
		}
		seen[it.ID[:5]] = it
	}
	if _, err := s.Put([]model.Item{a, b}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id string
		want     string // source id, or "" for an error
		err      error
	}{
		{"exact", a.ID, a.SourceID, nil},
		{"upper case", strings.ToUpper(a.ID), a.SourceID, nil},
		{"unique prefix", b.ID[:12], b.SourceID, nil},
		{"odd unique prefix", b.ID[:7], b.SourceID, nil},
		{"six characters", a.ID[:6], a.SourceID, nil},
		{"ambiguous", a.ID[:4], "", ErrAmbiguous},
		{"odd ambiguous", a.ID[:5], "", ErrAmbiguous},
		{"too short", a.ID[:3], "", ErrNotFound},
		{"not hex", "zzzzzz", "", ErrNotFound},
		{"absent", "ffffffffffffffffffff", "", ErrNotFound},
		{"too long", a.ID + "0", "", ErrNotFound},
	} {
		got, err := s.Get(tc.id)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: Get(%q) error = %v, want %v", tc.name, tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || got.SourceID != tc.want {
			t.Errorf("%s: Get(%q) = %q, %v; want %q", tc.name, tc.id, got.SourceID, err, tc.want)
		}
	}
	if ok, err := s.Has(a.ID); !ok || err != nil {
		t.Errorf("Has(a) = %v, %v", ok, err)
	}
	if ok, err := s.Has("ffffffffffffffffffff"); ok || err != nil {
		t.Errorf("Has(absent) = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.Has(a.ID[:4]); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Has(ambiguous) error = %v", err)
	}
}

func TestItemRoundTripThroughStore(t *testing.T) {
	s := openTest(t)
	it := realisticItem("work", 7, model.StateReleased)
	it.Direct, it.MentionsMe, it.Breakthrough = true, true, true
	it.Action = model.ActionUrgent
	added, err := s.Put([]model.Item{it}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	it.Seq = added[0].Seq
	if !reflect.DeepEqual(got, it) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, it)
	}
}

func TestUpdateMovesIndex(t *testing.T) {
	s := openTest(t)
	it := simpleItem("work", 1)
	if _, err := s.Put([]model.Item{it}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Update(it.ID[:6], func(x *model.Item) error {
		x.State = model.StateReleased
		x.Released = t0
		x.Logf(t0, "snoozed to next check-in")
		return nil
	})
	if err != nil || got.State != model.StateReleased || len(got.Log) != 1 {
		t.Fatalf("Update = %+v, %v", got, err)
	}
	if h, r := count(t, s, model.StateHeld), count(t, s, model.StateReleased); h != 0 || r != 1 {
		t.Errorf("counts held %d released %d, want 0, 1", h, r)
	}
	boom := errors.New("boom")
	if _, err := s.Update(it.ID, func(x *model.Item) error { x.State = model.StateHeld; return boom }); !errors.Is(err, boom) {
		t.Errorf("fn error: got %v", err)
	}
	for name, fn := range map[string]func(*model.Item) error{
		"id change":     func(x *model.Item) error { x.ID = strings.Repeat("0", model.IDLen); return nil },
		"seq change":    func(x *model.Item) error { x.Seq = 99; return nil },
		"invalid state": func(x *model.Item) error { x.State = 9; return nil },
	} {
		if _, err := s.Update(it.ID, fn); err == nil {
			t.Errorf("%s: Update succeeded", name)
		}
	}
	if got, _ := s.Get(it.ID); got.State != model.StateReleased {
		t.Errorf("a failed Update changed the item: %s", got.State)
	}
	if _, err := s.Update("ffffffff", func(*model.Item) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(unknown) = %v", err)
	}
	checkConsistent(t, s)
}

func TestMarkDone(t *testing.T) {
	s := openTest(t)
	items := []model.Item{simpleItem("w", 1), simpleItem("w", 2), simpleItem("w", 3), simpleItem("w", 4)}
	if _, err := s.Put(items, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(t0.Add(time.Hour), "released: check-in 09:00", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	unknown := "0123456789abcdef0123"
	_, err := s.MarkDone([]string{items[0].ID, unknown}, t0, nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), unknown) {
		t.Fatalf("MarkDone with an unknown id: %v, want ErrNotFound naming %s", err, unknown)
	}
	if got := count(t, s, model.StateDone); got != 0 {
		t.Fatalf("a failed MarkDone changed %d items", got)
	}
	at := t0.Add(2 * time.Hour)
	n, err := s.MarkDone([]string{items[0].ID, items[1].ID[:8], items[0].ID}, at, nil)
	if err != nil || n != 2 {
		t.Fatalf("MarkDone = %d, %v; want 2", n, err)
	}
	got, _ := s.Get(items[0].ID)
	if got.State != model.StateDone || !got.Done.Equal(at) || got.Log[len(got.Log)-1].Text != "done" {
		t.Errorf("done item: %+v", got)
	}
	// A held item can be cleared too.
	if _, err := s.Put([]model.Item{simpleItem("w", 5)}, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MarkDone([]string{simpleItem("w", 5).ID}, at, nil); n != 1 || err != nil {
		t.Errorf("MarkDone(held) = %d, %v", n, err)
	}
	n, err = s.MarkAllDone(at, nil)
	if err != nil || n != 2 {
		t.Fatalf("MarkAllDone = %d, %v; want 2", n, err)
	}
	if d, r := count(t, s, model.StateDone), count(t, s, model.StateReleased); d != 5 || r != 0 {
		t.Errorf("done %d released %d, want 5, 0", d, r)
	}
	checkConsistent(t, s)
}

func TestPruneKeepsTombstones(t *testing.T) {
	s := openTest(t)
	old, recent, held := simpleItem("w", 1), simpleItem("w", 2), simpleItem("w", 3)
	if _, err := s.Put([]model.Item{old, recent, held}, nil); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	if _, err := s.MarkDone([]string{old.ID}, t0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDone([]string{recent.ID}, t0.Add(20*day), nil); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(t0.Add(10 * day))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if _, err := s.Get(old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("pruned item still there: %v", err)
	}
	for _, it := range []model.Item{recent, held} {
		if ok, _ := s.Has(it.ID); !ok {
			t.Errorf("item %s was pruned", it.SourceID)
		}
	}
	// The source re-syncs the old message: it must not come back.
	added, err := s.Put([]model.Item{old}, nil)
	if err != nil || len(added) != 0 {
		t.Fatalf("re-synced pruned item: added %d, %v", len(added), err)
	}
	checkConsistent(t, s)
	// Until TombstoneRetention after its Done time the tombstone stays,
	// while the next done item is pruned.
	n, err = s.Prune(t0.Add(TombstoneRetention))
	if err != nil || n != 1 {
		t.Fatalf("second Prune = %d, %v; want 1 (the recent item)", n, err)
	}
	if added, _ := s.Put([]model.Item{old}, nil); len(added) != 0 {
		t.Error("tombstone dropped before its retention")
	}
	if ok, _ := s.Has(recent.ID); ok {
		t.Error("recent done item not pruned")
	}
	// Past it, the tombstone goes and the message would be new again.
	if n, err := s.Prune(t0.Add(TombstoneRetention + time.Second)); err != nil || n != 0 {
		t.Fatalf("third Prune = %d, %v; want 0", n, err)
	}
	if added, _ := s.Put([]model.Item{old}, nil); len(added) != 1 {
		t.Error("expired tombstone still de-duplicates")
	}
	if added, _ := s.Put([]model.Item{recent}, nil); len(added) != 0 {
		t.Error("recent tombstone dropped with the old one")
	}
	checkConsistent(t, s)
}

func TestStats(t *testing.T) {
	s := openTest(t)
	err := s.UpdateStats("2025-03-10", func(d *DayStats) {
		d.FocusMinutes += 90
		d.CheckinsOnTime++
		d.AddWait(10 * time.Minute)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Ingest(Batch{Items: []model.Item{simpleItem("w", 1)}, Day: "2025-03-12", Stats: func(d *DayStats, added []model.Item) {
		d.Held += len(added)
		d.Ignored += 2
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Stats("2025-03-09", "2025-03-12")
	if err != nil {
		t.Fatal(err)
	}
	want := []DayStats{
		{Day: "2025-03-09"},
		{Day: "2025-03-10", FocusMinutes: 90, CheckinsOnTime: 1, Waits: []uint32{600}, WaitsSeen: 1},
		{Day: "2025-03-11"},
		{Day: "2025-03-12", Held: 1, Ignored: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats =\n%+v\nwant\n%+v", got, want)
	}
	for _, bad := range []string{"2025-3-10", "10.03.2025", "2025-02-30", ""} {
		if err := s.UpdateStats(bad, func(*DayStats) {}); err == nil {
			t.Errorf("UpdateStats(%q) accepted", bad)
		}
	}
	if got, err := s.Stats("2025-03-12", "2025-03-10"); err != nil || len(got) != 0 {
		t.Errorf("reversed range: %v, %v", got, err)
	}
}

func TestWaitPercentiles(t *testing.T) {
	for _, tc := range []struct {
		waits       []uint32
		median, p90 time.Duration
	}{
		{nil, 0, 0},
		{[]uint32{60}, time.Minute, time.Minute},
		{[]uint32{30, 10, 20}, 20 * time.Second, 30 * time.Second},
		{[]uint32{40, 10, 30, 20}, 25 * time.Second, 40 * time.Second},
		{[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5500 * time.Millisecond, 9 * time.Second},
		{[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6 * time.Second, 10 * time.Second},
	} {
		d := DayStats{Waits: tc.waits}
		if got := d.MedianWait(); got != tc.median {
			t.Errorf("MedianWait(%v) = %v, want %v", tc.waits, got, tc.median)
		}
		if got := d.P90Wait(); got != tc.p90 {
			t.Errorf("P90Wait(%v) = %v, want %v", tc.waits, got, tc.p90)
		}
	}
}

func TestAddWaitReservoir(t *testing.T) {
	d := DayStats{Day: "2025-03-10"}
	// 20,000 waits of 0..19,999 s: the sample must stay at MaxWaits and
	// represent all of them, not only the first.
	for i := range 20000 {
		d.AddWait(time.Duration(i) * time.Second)
	}
	if len(d.Waits) != MaxWaits || d.WaitsSeen != 20000 {
		t.Fatalf("%d samples of %d seen, want %d of 20000", len(d.Waits), d.WaitsSeen, MaxWaits)
	}
	if m := d.MedianWait(); m < 9000*time.Second || m > 11000*time.Second {
		t.Errorf("median of a uniform 0..20000 s sample = %v, want about 10000 s", m)
	}
	if p := d.P90Wait(); p < 17000*time.Second || p > 19000*time.Second {
		t.Errorf("p90 = %v, want about 18000 s", p)
	}
	// Negative and huge waits are clamped.
	e := DayStats{}
	e.AddWait(-time.Hour)
	e.AddWait(200 * 365 * 24 * time.Hour)
	if !slices.Equal(e.Waits, []uint32{0, 1<<32 - 1}) {
		t.Errorf("clamped waits = %v", e.Waits)
	}
}

func TestGateState(t *testing.T) {
	s := openTest(t)
	if b, err := s.GateState(); b != nil || err != nil {
		t.Fatalf("initial gate state = %q, %v", b, err)
	}
	if err := s.SetGateState([]byte(`{"paused_until":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.GateState(); string(b) != `{"paused_until":"x"}` {
		t.Errorf("gate state = %q", b)
	}
	if err := s.SetGateState(nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.GateState(); b != nil {
		t.Errorf("gate state after delete = %q", b)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "sluice")
	path := filepath.Join(dir, "sluice.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q", s.Path())
	}
	if size, err := s.Size(); err != nil || size <= 0 {
		t.Errorf("Size() = %d, %v", size, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(p string, want os.FileMode, what string) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !modeOK(fi, want) {
			t.Errorf("%s mode %v, want %v", what, fi.Mode().Perm(), want)
		}
	}
	check(dir, 0o700, "directory")
	check(path, 0o600, "file")
	// A file someone made world-readable is tightened on open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	check(path, 0o600, "existing file after open")
}

func TestOpenRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); err == nil {
		_ = s.Close()
		t.Fatal("opened a file that is not a bbolt database")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var items []model.Item
	for i := range 50 {
		items = append(items, realisticItem("work", i, model.StateHeld))
	}
	if _, err := s.Put(items, []model.Cursor{{Account: "work", Key: "INBOX", Value: []byte("49")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(t0.Add(time.Hour), "released: check-in", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, model.StateReleased); n != 50 {
		t.Errorf("released after reopen = %d", n)
	}
	if v, _ := s.Cursor("work", "INBOX"); string(v) != "49" {
		t.Errorf("cursor after reopen = %q", v)
	}
	added, err := s.Put([]model.Item{simpleItem("work", 1000)}, nil)
	if err != nil || added[0].Seq != 51 {
		t.Errorf("seq after reopen = %v, %v; want 51", added, err)
	}
	checkConsistent(t, s)
}

func ExampleStore_Release() {
	dir, _ := os.MkdirTemp("", "sluice-example")
	defer os.RemoveAll(dir)
	s, _ := Open(filepath.Join(dir, "sluice.db"), Options{})
	defer s.Close()
	at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	_, _ = s.Put([]model.Item{{
		ID: model.ItemID("work", "<1@example.com>"), Account: "work", SourceID: "<1@example.com>", Subject: "Lunch?",
		Ingested: at, State: model.StateHeld,
	}}, []model.Cursor{{Account: "work", Key: "INBOX", Value: []byte("1:1")}})
	released, _ := s.Release(at.Add(2*time.Hour), "released: check-in 11:00", "2025-03-10")
	stats, _ := s.Stats("2025-03-10", "2025-03-10")
	fmt.Println(len(released), released[0].Subject, stats[0].MedianWait())
	// Output: 1 Lunch? 2h0m0s
}

// Release and MarkDone write only a small life record; Update rewrites the
// whole item. The log must come out the same whichever wrote last.
func TestLifeRecordAndUpdateAgree(t *testing.T) {
	s := openTest(t)
	it := realisticItem("work", 1, model.StateHeld)
	if _, err := s.Put([]model.Item{it}, nil); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	if _, err := s.Release(at, "released: check-in 09:00", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(it.ID)
	// Snooze: back to held until the next check-in.
	got, err := s.Update(it.ID, func(x *model.Item) error {
		x.State, x.Released = model.StateHeld, time.Time{}
		x.Logf(at, "snoozed to the next check-in")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(before.Log), model.Entry{At: at, Text: "snoozed to the next check-in"}); !reflect.DeepEqual(got.Log, want) {
		t.Errorf("log after Update:\n got %v\nwant %v", got.Log, want)
	}
	if _, err := s.Release(at.Add(time.Hour), "released: check-in 10:00", "2025-03-10"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDone([]string{it.ID}, at.Add(2*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	final, _ := s.Get(it.ID)
	var texts []string
	for _, e := range final.Log {
		texts = append(texts, e.Text)
	}
	want := []string{"connector imap: fetched from INBOX", `classified hold by rule "default"`,
		"held: mode between, next check-in 11:00", "released: check-in 09:00",
		"snoozed to the next check-in", "released: check-in 10:00", "done"}
	if !slices.Equal(texts, want) {
		t.Errorf("final log %q, want %q", texts, want)
	}
	if final.State != model.StateDone || !final.Released.Equal(at.Add(time.Hour)) {
		t.Errorf("final state %s released %v", final.State, final.Released)
	}
	checkConsistent(t, s)
}

// An item's whole text is kept and given back for that item alone: lists
// and check-ins carry the snippet, so they stay small, and pruning drops it.
func TestBodyIsKeptApart(t *testing.T) {
	s := openTest(t)
	body := strings.Repeat("line of a long report\n", 2900) // ~62 KiB
	it, plain := simpleItem("w", 1), simpleItem("w", 2)
	it.Body = body
	added, err := s.Put([]model.Item{it, plain}, nil)
	if err != nil || len(added) != 2 {
		t.Fatalf("Put: %d %v", len(added), err)
	}
	got, err := s.Get(it.ID)
	if err != nil || got.Body != body {
		t.Fatalf("Get: %d bytes of body, %v; want all %d", len(got.Body), err, len(body))
	}
	if got, _ := s.Get(plain.ID); got.Body != "" {
		t.Errorf("an item without a body got %q", got.Body)
	}
	err = s.List(model.StateHeld, func(it model.Item) bool {
		if it.Body != "" {
			t.Errorf("List gave item %s with its %d-byte body", it.SourceID, len(it.Body))
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	released, err := s.Release(t0, "", "2025-03-10")
	if err != nil || len(released) != 2 || released[0].Body != "" {
		t.Fatalf("Release: %d items, %v (body %d bytes); want 2 without bodies", len(released), err, len(released[0].Body))
	}
	if got, _ := s.Get(it.ID); got.Body != body || got.State != model.StateReleased {
		t.Fatalf("after Release: state %s, %d bytes of body", got.State, len(got.Body))
	}
	if _, err := s.MarkDone([]string{it.ID}, t0, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketBodies).Stats().KeyN; n != 0 {
			t.Errorf("%d bodies left after pruning their items", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
