package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

const (
	benchTotal = 100_000
	benchBatch = 100
)

// benchBase holds 100,000 realistic held items, built once for all benchmarks.
var benchBase = sync.OnceValue(func() []model.Item {
	items := make([]model.Item, benchTotal)
	for i := range items {
		items[i] = realisticItem("work", i, model.StateHeld)
	}
	return items
})

// benchItems returns the first n base items with the given states.
func benchItems(n int, state func(i int) model.State) []model.Item {
	items := slices.Clone(benchBase()[:n])
	for i := range items {
		if st := state(i); st != model.StateHeld {
			items[i].State = st
			items[i].Released = items[i].Ingested
			if st == model.StateDone {
				items[i].Done = items[i].Ingested
			}
		}
	}
	return items
}

func allHeld(int) model.State { return model.StateHeld }

func fillStore(b *testing.B, s *Store, items []model.Item) {
	b.Helper()
	for j := 0; j < len(items); j += benchBatch {
		batch := items[j:min(j+benchBatch, len(items))]
		cur := []model.Cursor{{Account: "work", Key: "INBOX", Value: []byte(strconv.Itoa(j))}}
		if _, err := s.Put(batch, cur); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest stores 100,000 realistic items in batches of 100, each
// batch with its cursor in one transaction, into a new store; "fsync" is
// what Sluice does, "nosync" shows the cost of the disk flushes. Each batch
// is built untimed just before its Put, as a connector would hand it over,
// so the heap stays small as in the daemon. Reports the file size and the
// part of it bbolt has in use (the rest is growth headroom) per item.
func BenchmarkIngest(b *testing.B) {
	for _, sync := range []bool{true, false} {
		name := map[bool]string{true: "fsync", false: "nosync"}[sync]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var size, used int64
			batch := make([]model.Item, benchBatch)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := Open(filepath.Join(dir, fmt.Sprintf("ingest-%d.db", i)), Options{NoSync: !sync})
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < benchTotal; j += benchBatch {
					for k := range batch {
						batch[k] = realisticItem("work", j+k, model.StateHeld)
					}
					cur := []model.Cursor{{Account: "work", Key: "INBOX", Value: []byte(strconv.Itoa(j))}}
					b.StartTimer()
					if _, err := s.Put(batch, cur); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
				}
				if size, err = s.Size(); err != nil {
					b.Fatal(err)
				}
				_ = s.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*benchTotal)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(size)/benchTotal, "file-bytes/item")
			b.ReportMetric(float64(used)/benchTotal, "used-bytes/item")
		})
	}
}

// BenchmarkRelease releases 10,000 held items in a store of 100,000 (the
// rest released already), with real fsync. The store is filled without
// fsync to save time, then reopened with it. Between iterations the same
// items are put back on hold, untimed.
func BenchmarkRelease(b *testing.B) {
	items := benchItems(benchTotal, func(i int) model.State {
		if i%10 == 0 {
			return model.StateHeld
		}
		return model.StateReleased
	})
	path := filepath.Join(b.TempDir(), "release.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	fillStore(b, s, items)
	_ = s.Close()
	if s, err = Open(path, Options{}); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := t0.Add(benchTotal * time.Second)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rel, err := s.Release(at, "released: check-in 11:00", "2025-03-11")
		if err != nil || len(rel) != benchTotal/10 {
			b.Fatalf("released %d, %v", len(rel), err)
		}
		b.StopTimer()
		rehold(b, s, rel)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/release")
}

// rehold puts released items back on hold, untimed.
func rehold(b *testing.B, s *Store, items []model.Item) {
	back := make([]model.Item, len(items))
	for i, it := range items {
		it.State, it.Released = model.StateHeld, time.Time{}
		it.Log = it.Log[:len(it.Log)-1]
		back[i] = it
	}
	restore(b, s, back, model.StateReleased)
}

// restore writes items back as given, from the state they are in now.
func restore(b *testing.B, s *Store, items []model.Item, now model.State) {
	err := s.update(func(w *wtx) error {
		for _, it := range items {
			_, bodyLog, err := w.get(it.Seq)
			if err != nil {
				return err
			}
			if err := w.putLife(&it, bodyLog, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListHeld lists 500 held items in stores of 1,000 and 100,000
// items: the time must not grow with the total.
func BenchmarkListHeld(b *testing.B) {
	const held = 500
	for _, total := range []int{1000, benchTotal} {
		b.Run(fmt.Sprintf("total=%d", total), func(b *testing.B) {
			stride := total / held
			items := benchItems(total, func(i int) model.State {
				if i%stride == 0 {
					return model.StateHeld
				}
				return model.StateDone
			})
			s, err := Open(filepath.Join(b.TempDir(), "list.db"), Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fillStore(b, s, items)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				if err := s.List(model.StateHeld, func(model.Item) bool { n++; return true }); err != nil || n != held {
					b.Fatalf("listed %d, %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*held), "ns/item")
		})
	}
}

// BenchmarkGetPrefix looks an item up by an 8-character prefix among 100,000.
func BenchmarkGetPrefix(b *testing.B) {
	items := benchItems(benchTotal, allHeld)
	s, err := Open(filepath.Join(b.TempDir(), "get.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillStore(b, s, items)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Get(items[i%benchTotal].ID[:8]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens a store of 100,000 items: "store" is Open as Sluice
// does it (the page check, then bbolt, which reads every page to find the
// free ones); "bbolt" is bbolt's part alone, so the difference is the
// price of checking the file before trusting it.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "sluice.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	fillStore(b, s, benchItems(benchTotal, allHeld))
	size, _ := s.Size()
	s.Close()
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			s, err := Open(path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		b.ReportMetric(float64(size)/1e6, "MB")
	})
	b.Run("bbolt", func(b *testing.B) {
		for b.Loop() {
			db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
	})
}

// BenchmarkMarkAllDoneCounting marks 10,000 released items done at once,
// counting each in a busy day's stats (5,000 wait and 5,000 reply samples,
// ~40 KB), as "done all" in the digest does.
func BenchmarkMarkAllDoneCounting(b *testing.B) {
	const n = 10_000
	items := benchItems(n, func(int) model.State { return model.StateReleased })
	path := filepath.Join(b.TempDir(), "done.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillStore(b, s, items)
	const day = "2025-03-11"
	if err := s.UpdateStats(day, func(d *DayStats) {
		for i := range MaxWaits {
			d.AddWait(time.Duration(i) * time.Second)
			d.AddReplyWait(time.Duration(i) * time.Minute)
		}
	}); err != nil {
		b.Fatal(err)
	}
	count := func(model.Item) []StatsChange {
		return []StatsChange{{Day: day, Apply: func(d *DayStats) { d.NoReplyNeeded++ }}}
	}
	var all []model.Item
	if err := s.List(model.StateReleased, func(it model.Item) bool { all = append(all, it); return true }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got, err := s.MarkAllDone(t0, count); err != nil || got != n {
			b.Fatalf("marked %d, %v", got, err)
		}
		b.StopTimer()
		restore(b, s, all, model.StateDone) // released again, untimed
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/done-all")
}
