package store

import (
	bolt "go.etcd.io/bbolt"
)

// trimEvery is how many items a Store reads (lists, releases) before it
// lets go of the pages of its map it touched.
const trimEvery = 2000

// read counts items read and trims the map every trimEvery of them.
func (s *Store) read(n int) {
	if s.touched.Add(int64(n)) >= trimEvery {
		s.touched.Store(0)
		s.trimMap()
	}
}

// trimMap drops the store's mapped pages from the resident set. bbolt maps
// the whole file and every page read stays mapped: opening a store of
// 20,000 items (bbolt reads every page to find the free ones) or listing
// them left 30 MB of file pages counted in the resident process's memory
// for good. They stay in the page cache, so reading them again is cheap.
// It runs in a read transaction, so bbolt cannot remap the file meanwhile.
func (s *Store) trimMap() {
	_ = s.view(func(tx *bolt.Tx) error {
		return dropPages(tx.DB().Info().Data, uintptr(tx.Size()))
	})
}
