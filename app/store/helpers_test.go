package store

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// childEnv selects a child-process role when the test binary re-executes
// itself (see TestMain).
const childEnv = "SLUICE_STORE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "lock":
		lockChild(os.Getenv("SLUICE_STORE_TEST_PATH"))
	case "crash":
		crashChild(os.Getenv("SLUICE_STORE_TEST_PATH"), os.Getenv("SLUICE_STORE_TEST_SEED"))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role", os.Getenv(childEnv))
		os.Exit(2)
	}
}

// t0 is the fixed instant tests count from; no test reads the clock.
var t0 = time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sluice.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// realisticItem builds an item of the size Sluice really stores: a ~60
// character subject, a ~300 character snippet and a few log entries.
func realisticItem(account string, n int, state model.State) model.Item {
	src := fmt.Sprintf("<%d.%s@mail.example.com>", n, account)
	at := t0.Add(time.Duration(n) * time.Second)
	it := model.Item{
		ID:       model.ItemID(account, src),
		Kind:     model.KindIMAP,
		Account:  account,
		SourceID: src,
		Channel:  "INBOX",
		Thread:   fmt.Sprintf("thread-%d", n/5),
		FromName: "Alice Example",
		FromAddr: "alice@example.com",
		Subject:  fmt.Sprintf("Re: quarterly planning review for the platform team #%06d", n),
		Snippet: model.CleanSnippet(fmt.Sprintf("Hi all, following up on item %d. ", n) +
			strings.Repeat("We went through the draft roadmap and there are a few open questions about staffing. ", 3)),
		Link:     "https://mail.example.com/#inbox/" + src,
		Received: at.Add(-time.Minute),
		Ingested: at,
		Action:   model.ActionHold,
		Rule:     "default",
		State:    state,
	}
	it.Logf(at, "connector imap: fetched from INBOX")
	it.Logf(at, "classified hold by rule %q", "default")
	it.Logf(at, "held: mode between, next check-in 11:00")
	if state == model.StateReleased {
		it.Released = at
		it.Logf(at, "released: window open")
	}
	return it
}

func simpleItem(account string, n int) model.Item {
	src := fmt.Sprint(n)
	return model.Item{
		ID: model.ItemID(account, src), Kind: model.KindLocal, Account: account, SourceID: src,
		Subject: "item " + src, Ingested: t0.Add(time.Duration(n) * time.Minute),
		Action: model.ActionHold, State: model.StateHeld,
	}
}

// checkConsistent verifies the invariants every committed store must
// satisfy: bbolt's own page check; each item indexed under exactly its
// state; the counters equal the index sizes; every live id maps to its
// item and every item has its id. It returns the items by seq.
func checkConsistent(t testing.TB, s *Store) map[uint64]model.Item {
	t.Helper()
	items := map[uint64]model.Item{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		ib := itemBucketsOf(tx)
		err := ib.items.ForEach(func(k, _ []byte) error {
			it, _, err := ib.get(keySeq(k))
			if err != nil {
				return err
			}
			items[it.Seq] = it
			return nil
		})
		if err != nil {
			return err
		}
		err = ib.life.ForEach(func(k, _ []byte) error {
			if _, ok := items[keySeq(k)]; !ok {
				t.Errorf("life record %d without an item", keySeq(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketBodies).ForEach(func(k, _ []byte) error {
			if _, ok := items[keySeq(k)]; !ok {
				t.Errorf("body %d without an item", keySeq(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		for _, st := range states {
			name, _ := indexBucket(st)
			n := 0
			err := tx.Bucket(name).ForEach(func(k, _ []byte) error {
				n++
				it, ok := items[keySeq(k)]
				switch {
				case !ok:
					t.Errorf("%s index has seq %d but no item", st, keySeq(k))
				case it.State != st:
					t.Errorf("item %d is %s but in the %s index", it.Seq, it.State, st)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if c := readCount(meta, st); c != uint64(n) {
				t.Errorf("%s counter = %d, index has %d", st, c, n)
			}
		}
		logged := map[idKey]uint64{}
		err = tx.Bucket(bucketIDs).ForEach(func(k, v []byte) error {
			var id idKey
			copy(id[:], v)
			seq := keySeq(k)
			if it, ok := items[seq]; !ok || it.ID != id.String() {
				t.Errorf("id log: seq %d has id %s, the item there has %q", seq, id, it.ID)
			}
			if prev, dup := logged[id]; dup {
				t.Errorf("id %s logged for seqs %d and %d", id, prev, seq)
			}
			logged[id] = seq
			return nil
		})
		if len(logged) != len(items) {
			t.Errorf("%d ids logged for %d items", len(logged), len(items))
		}
		s.mu.RLock()
		if !reflect.DeepEqual(s.ids, logged) {
			t.Errorf("in-memory id index (%d) differs from the id log (%d)", len(s.ids), len(logged))
		}
		s.mu.RUnlock()
		_ = tx.Bucket(bucketTombs).ForEach(func(k, _ []byte) error {
			if id, ok := parseID(string(k)); !ok {
				t.Errorf("bad tombstone key %q", k)
			} else if _, live := logged[id]; live {
				t.Errorf("id %s is both stored and a tombstone", k)
			}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{}
	_ = s.db.View(func(tx *bolt.Tx) error { checkReplies(tx, r); return nil })
	for _, p := range r.Problems {
		t.Errorf("replies: %s", p)
	}
	return items
}

func ids(items []model.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SourceID
	}
	return out
}

func listAll(t testing.TB, s *Store, st model.State, reverse bool) []model.Item {
	t.Helper()
	var out []model.Item
	fn := func(it model.Item) bool { out = append(out, it); return true }
	var err error
	if reverse {
		err = s.ListReverse(st, fn)
	} else {
		err = s.List(st, fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, s *Store, st model.State) int {
	t.Helper()
	n, err := s.Count(st)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
