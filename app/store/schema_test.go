package store

import (
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

var update = flag.Bool("update", false, "rewrite testdata fixtures")

func fileVersion(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint64
	_ = db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil && len(m.Get(keyVersion)) == 8 {
			v = binary.BigEndian.Uint64(m.Get(keyVersion))
		}
		return nil
	})
	return v
}

func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// A file written before the schema had a version (version 0) holds items and
// indices but no counters: migration 1 must count them.
func TestMigrateFromVersion0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	held, rel := simpleItem("w", 1), simpleItem("w", 2)
	rel.State = model.StateReleased
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		items, _ := tx.CreateBucket(bucketItems)
		hb, _ := tx.CreateBucket(bucketHeld)
		rb, _ := tx.CreateBucket(bucketReleased)
		ib, _ := tx.CreateBucket(bucketIDs)
		for i, it := range []model.Item{held, rel} {
			seq := uint64(i + 1)
			_ = items.Put(seqKey(seq), encodeItem(nil, &it))
			k, _ := parseID(it.ID)
			_ = ib.Put(seqKey(seq), k[:])
		}
		_ = hb.Put(seqKey(1), nil)
		return rb.Put(seqKey(2), nil)
	})
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if h, r := count(t, s, model.StateHeld), count(t, s, model.StateReleased); h != 1 || r != 1 {
		t.Errorf("counts after migration: held %d released %d, want 1, 1", h, r)
	}
	checkConsistent(t, s)
	_ = s.Close()
	if v := fileVersion(t, path); v != uint64(SchemaVersion()) {
		t.Errorf("version after migration = %d, want %d", v, SchemaVersion())
	}
}

// withMigration appends a migration for the length of a test, as a future
// schema change would.
func withMigration(t *testing.T, m migration) {
	saved := migrations
	migrations = append(migrations[:len(migrations):len(migrations)], m)
	t.Cleanup(func() { migrations = saved })
}

func TestMigrationsRunOnceInOrderAndAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put([]model.Item{simpleItem("w", 1)}, nil); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	v1 := SchemaVersion()

	t.Run("failing migration leaves the file alone", func(t *testing.T) {
		withMigration(t, migration{name: "broken", up: func(tx *bolt.Tx) error {
			_ = tx.Bucket(bucketGate).Put([]byte("half"), []byte("done"))
			return errors.New("disk says no")
		}})
		if s, err := Open(path, Options{NoSync: true}); err == nil {
			_ = s.Close()
			t.Fatal("open succeeded with a failing migration")
		}
		if v := fileVersion(t, path); v != uint64(v1) {
			t.Errorf("version after failed migration = %d, want %d", v, v1)
		}
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			if tx.Bucket(bucketGate).Get([]byte("half")) != nil {
				t.Error("a failed migration's write was committed")
			}
			return nil
		})
	})

	t.Run("new migration upgrades once", func(t *testing.T) {
		runs := 0
		withMigration(t, migration{name: "test: mark items", up: func(tx *bolt.Tx) error {
			runs++
			return tx.Bucket(bucketGate).Put([]byte("migrated"), []byte("yes"))
		}})
		for range 2 {
			s, err := Open(path, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := s.Has(simpleItem("w", 1).ID); !ok {
				t.Error("item lost in migration")
			}
			_ = s.Close()
		}
		if runs != 1 {
			t.Errorf("migration ran %d times, want 1", runs)
		}
		if v := fileVersion(t, path); v != uint64(v1+1) {
			t.Errorf("version = %d, want %d", v, v1+1)
		}
	})

	// Back on this build's list, the upgraded file is from the future.
	t.Run("newer file refused", func(t *testing.T) {
		_, err := Open(path, Options{NoSync: true})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("open of a newer file: %v, want ErrNewerSchema", err)
		}
		if v := fileVersion(t, path); v != uint64(v1+1) {
			t.Errorf("refusing changed the version to %d", v)
		}
	})
}

func TestNewerSchemaRefusedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bucketMeta)
		return m.Put(keyVersion, be64(99))
	})
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("got %v, want ErrNewerSchema", err)
	}
	t.Log(err)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketItems) != nil {
			t.Error("refusing a newer file still created buckets in it")
		}
		return nil
	})
}

// goldenPath is a store written by schema version 1. Reading it guards the
// on-disk format: a change that cannot read it needs a migration.
const goldenPath = "testdata/store_v1.db"

func goldenItems() []model.Item {
	a := realisticItem("work", 1, model.StateHeld)
	b := realisticItem("work", 2, model.StateReleased)
	b.Direct, b.Breakthrough, b.Action = true, true, model.ActionUrgent
	c := realisticItem("chat", 3, model.StateHeld)
	c.Kind, c.Channel, c.Link = model.KindSlack, "#ops", ""
	return []model.Item{a, b, c}
}

func TestGoldenStoreV1(t *testing.T) {
	if *update {
		_ = os.Remove(goldenPath)
		s, err := Open(goldenPath, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Ingest(Batch{Items: goldenItems(), Cursors: []model.Cursor{{Account: "work", Key: "INBOX", Value: []byte("7:1002")}},
			Day: "2025-03-10", Stats: func(d *DayStats, added []model.Item) { d.Held = len(added); d.AddWait(time.Hour) }})
		if err == nil {
			_, err = s.MarkDone([]string{goldenItems()[2].ID}, t0.Add(time.Hour), nil)
		}
		if err == nil {
			err = s.SetGateState([]byte("gate-v1"))
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestGoldenStoreV1 -update)", err)
	}
	path := filepath.Join(t.TempDir(), "sluice.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkConsistent(t, s)
	for i, want := range goldenItems() {
		want.Seq = uint64(i + 1)
		if i == 2 {
			want.State, want.Done = model.StateDone, t0.Add(time.Hour)
			want.Log = append(want.Log, model.Entry{At: want.Done, Text: "done"})
		}
		got, err := s.Get(want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("golden item %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if v, _ := s.Cursor("work", "INBOX"); string(v) != "7:1002" {
		t.Errorf("golden cursor = %q", v)
	}
	st, _ := s.Stats("2025-03-10", "2025-03-10")
	if st[0].Held != 3 || st[0].MedianWait() != time.Hour {
		t.Errorf("golden stats = %+v", st[0])
	}
	if g, _ := s.GateState(); string(g) != "gate-v1" {
		t.Errorf("golden gate state = %q", g)
	}
}
