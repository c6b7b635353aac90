package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// SetBusy replaces a calendar account's busy intervals and stores the
// cursors that go with them (its sync tokens and events) in one
// transaction, so after a crash the two always agree.
func (s *Store) SetBusy(account string, busy []model.Busy, cursors []model.Cursor) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("busy time: %w", err)
	}
	v, err := json.Marshal(busy)
	if err != nil {
		return fmt.Errorf("encode busy time of %s: %w", account, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketBusy).Put([]byte(account), v); err != nil {
			return err
		}
		cb := tx.Bucket(bucketCursors)
		for _, c := range cursors {
			if err := checkAccount(c.Account); err != nil {
				return err
			}
			k := cursorKey(c.Account, c.Key)
			if c.Value == nil {
				err = cb.Delete(k)
			} else {
				err = cb.Put(k, bytes.Clone(c.Value))
			}
			if err != nil {
				return fmt.Errorf("cursor %s/%s: %w", c.Account, c.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store busy time of %s: %w", account, err)
	}
	return nil
}

// Busy returns every calendar account's busy intervals as last stored.
// An entry that cannot be read is left out and named in the error; the
// others are still returned.
func (s *Store) Busy() (map[string][]model.Busy, error) {
	out := map[string][]model.Busy{}
	var bad []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBusy).ForEach(func(k, v []byte) error {
			bs, err := decodeBusy(v)
			if err != nil {
				bad = append(bad, string(k))
				return nil
			}
			out[string(k)] = bs
			return nil
		})
	})
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("unreadable busy time of %q (it is read again at the next poll)", bad)
	}
	return out, err
}

// decodeBusy decodes one account's stored busy time.
func decodeBusy(v []byte) ([]model.Busy, error) {
	var bs []model.Busy
	if err := json.Unmarshal(v, &bs); err != nil {
		return nil, err
	}
	return bs, nil
}

// DeleteBusy forgets a calendar account's busy intervals and cursors (the
// account was removed).
func (s *Store) DeleteBusy(account string) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("busy time: %w", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBusy).Delete([]byte(account)) }); err != nil {
		return fmt.Errorf("delete busy time of %s: %w", account, err)
	}
	return s.DeleteAccount(account)
}

// SetCursor writes one cursor on its own (nil deletes it), for state that
// comes with no items and no busy time, such as where Sluice published its
// focus blocks.
func (s *Store) SetCursor(account, key string, value []byte) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("cursor %q: %w", key, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCursors)
		if value == nil {
			return b.Delete(cursorKey(account, key))
		}
		return b.Put(cursorKey(account, key), bytes.Clone(value))
	})
	if err != nil {
		return fmt.Errorf("cursor %s/%s: %w", account, key, err)
	}
	return nil
}
