package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

func checkAccount(account string) error {
	switch {
	case account == "":
		return errors.New("empty account name")
	case strings.IndexByte(account, 0) >= 0:
		return fmt.Errorf("account name %q contains a NUL byte", account)
	}
	return nil
}

// Cursor returns a connector's stored cursor, or nil, nil when there is none.
func (s *Store) Cursor(account, key string) ([]byte, error) {
	if err := checkAccount(account); err != nil {
		return nil, fmt.Errorf("cursor %q: %w", key, err)
	}
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketCursors).Get(cursorKey(account, key)); b != nil {
			v = append([]byte{}, b...) // non-nil even for an empty value
		}
		return nil
	})
	return v, err
}

// Cursors returns all of an account's cursors by key.
func (s *Store) Cursors(account string) (map[string][]byte, error) {
	if err := checkAccount(account); err != nil {
		return nil, fmt.Errorf("cursors: %w", err)
	}
	out := map[string][]byte{}
	prefix := cursorKey(account, "")
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCursors).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out[string(k[len(prefix):])] = append([]byte{}, v...)
		}
		return nil
	})
	return out, err
}

// DeleteAccount drops all of an account's cursors, e.g. when the user
// removes the account; its items stay until they are done and pruned.
func (s *Store) DeleteAccount(account string) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	prefix := cursorKey(account, "")
	err := s.updateTx(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCursors)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete account %s: %w", account, err)
	}
	return nil
}
