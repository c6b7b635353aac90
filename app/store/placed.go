package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// States returns the state of each item with an exact id, in order: 0 for
// an id that is not stored (never, or pruned). It reads the state indices
// only, in one read transaction, without decoding items.
func (s *Store) States(ids []string) ([]model.State, error) {
	out := make([]model.State, len(ids))
	seqs := make([]uint64, len(ids))
	s.mu.RLock()
	for i, id := range ids {
		if k, ok := parseID(id); ok {
			seqs[i] = s.ids[k]
		}
	}
	s.mu.RUnlock()
	err := s.view(func(tx *bolt.Tx) error {
		var idx [4]*bolt.Bucket
		for _, st := range states {
			name, _ := indexBucket(st)
			idx[st] = tx.Bucket(name)
		}
		for i, seq := range seqs {
			if seq == 0 {
				continue
			}
			key := seqKey(seq)
			for _, st := range states {
				if idx[st].Get(key) != nil {
					out[i] = st
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("item states: %w", err)
	}
	return out, nil
}

// Annotate appends an entry with text at at to the decision log of each
// item with an exact id, in one transaction, leaving everything else of
// the items as it is; ids that are not stored are skipped. It returns how
// many items it changed. Like Release, it writes the small life records,
// not the items' bodies.
func (s *Store) Annotate(ids []string, at time.Time, text string) (int, error) {
	n := 0
	err := s.update(func(w *wtx) error {
		n = 0
		for _, id := range ids {
			k, ok := parseID(id)
			if !ok {
				continue
			}
			seq, ok := s.ids[k]
			if !ok {
				continue
			}
			it, bodyLog, err := w.get(seq)
			if err != nil {
				if err := s.skipCorrupt(err); err != nil {
					return err
				}
				continue
			}
			it.Log = append(it.Log, model.Entry{At: at, Text: text})
			if err := w.putLife(&it, bodyLog, it.State); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("annotate: %w", err)
	}
	return n, nil
}
