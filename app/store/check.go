package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sluice-app/sluice/app/model"
)

// Report is what Check found in a store file.
type Report struct {
	Path string
	Size int64

	// What the store holds, as far as it could be read.
	Held, Released, Done int
	Cursors, Days        int
	Tombstones           int
	Calendars            int // calendar accounts with stored busy time

	// Problems lists the first problems found, in words; More counts the
	// rest. No problems means the file is sound.
	Problems []string
	More     int
}

// OK reports whether the file is sound.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Items is how many items the store holds.
func (r *Report) Items() int { return r.Held + r.Released + r.Done }

func (r *Report) bad(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else {
		r.More++
	}
}

// Check checks the store file at path without changing it: every page
// bbolt could reach, bbolt's own consistency check (Tx.Check), and then
// Sluice's own layout: every item and its state record decode, each item
// is in exactly the index of its state, the counters match the indices,
// the id log matches the items, and tombstones, cursors, stats and the
// calendars' busy time are well formed. It fails with ErrLocked while a running Sluice holds the file
// (after opt.Timeout); damage is reported in the Report, not as an error.
func Check(path string, opt Options) (*Report, error) {
	timeout := opt.Timeout
	r := &Report{Path: path}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	ok, err := waitLock(f, false, timeout)
	if err != nil {
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	if !ok {
		return nil, &lockedError{path: path}
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.Size = fi.Size()
	if r.Size == 0 {
		r.bad("the file is empty (0 bytes): it holds nothing, and Sluice will start afresh on it")
		return r, nil
	}
	if problems, n := verify(f, r.Size); len(problems) > 0 {
		r.Problems, r.More = problems, n-len(problems)
		return r, nil
	}
	// The pages are sound, so bbolt can read them.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &lockedError{path: path}
	}
	if err != nil {
		r.bad("bbolt cannot open it: %v", err)
		return r, nil
	}
	defer db.Close()
	err = guarded(func() error {
		return db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				r.bad("%v", err)
			}
			if r.OK() {
				checkLayout(tx, r)
			}
			return nil
		})
	})
	if err != nil {
		r.bad("%v", err)
	}
	return r, nil
}

// guarded runs fn, turning a panic (or a fault reading the file's map)
// into an error.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading the file failed: %v", p)
		}
	}()
	return fn()
}

// checkLayout checks Sluice's own layout in tx and counts what it holds.
func checkLayout(tx *bolt.Tx, r *Report) {
	for _, name := range allBuckets {
		// A store last written by an older Sluice lacks the buckets added
		// since (whole texts, calendars), soundly: Open adds them.
		if tx.Bucket(name) == nil && !bytes.Equal(name, bucketBusy) && !bytes.Equal(name, bucketBodies) &&
			!bytes.Equal(name, bucketReplies) && !bytes.Equal(name, bucketReplyIdx) {
			r.bad("bucket %s is missing", name)
		}
	}
	if !r.OK() {
		return
	}
	meta := tx.Bucket(bucketMeta)
	if v := meta.Get(keyVersion); len(v) != 8 {
		r.bad("meta: schema version of %d bytes", len(v))
	} else if n := binary.BigEndian.Uint64(v); n > uint64(SchemaVersion()) {
		r.bad("meta: schema version %d is newer than this Sluice (%d)", n, SchemaVersion())
	}
	state, ids := checkItems(tx, r)
	checkIndices(tx, meta, state, r)
	checkIDLog(tx, ids, r)
	checkRecords(tx, r)
}

// checkItems checks every item and its state record, and returns the
// readable items' states and ids by seq.
func checkItems(tx *bolt.Tx, r *Report) (state map[uint64]model.State, ids map[uint64]string) {
	ib := itemBucketsOf(tx)
	state, ids = map[uint64]model.State{}, map[uint64]string{}
	_ = ib.items.ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			r.bad("items: key of %d bytes", len(k))
			return nil
		}
		it, _, err := ib.get(keySeq(k))
		switch {
		case err != nil:
			r.bad("%v", err)
		case !validState(it.State):
			r.bad("item %d: invalid state %d", it.Seq, uint8(it.State))
		default:
			if _, ok := parseID(it.ID); !ok {
				r.bad("item %d: id %q is not %d hex characters", it.Seq, it.ID, model.IDLen)
			}
			state[it.Seq], ids[it.Seq] = it.State, it.ID
		}
		return nil
	})
	_ = ib.life.ForEach(func(k, _ []byte) error {
		if ib.items.Get(k) == nil {
			r.bad("life: a state record for item %d, which does not exist", keySeq(k))
		}
		return nil
	})
	return state, ids
}

// checkIndices checks that each item is in the index of its state and no
// other, and that the counters match the indices.
func checkIndices(tx *bolt.Tx, meta *bolt.Bucket, state map[uint64]model.State, r *Report) {
	items := tx.Bucket(bucketItems)
	inIndex := map[uint64]model.State{}
	for _, st := range states {
		name, _ := indexBucket(st)
		n := 0
		_ = tx.Bucket(name).ForEach(func(k, v []byte) error {
			n++
			seq := keySeq(k)
			switch have, ok := state[seq]; {
			case len(k) != 8:
				r.bad("%s: key of %d bytes", name, len(k))
			case st == model.StateDone && len(v) != 8:
				r.bad("%s: item %d: done time of %d bytes", name, seq, len(v))
			case inIndex[seq] != 0:
				r.bad("item %d is in two state indices (%s and %s)", seq, inIndex[seq], st)
			case ok && have != st:
				r.bad("item %d is %s but indexed as %s", seq, have, st)
			case !ok && items.Get(k) == nil:
				r.bad("%s: item %d does not exist", name, seq)
			}
			inIndex[seq] = st
			return nil
		})
		if c := readCount(meta, st); c != uint64(n) {
			r.bad("meta: the %s counter says %d, the index holds %d", st, c, n)
		}
		switch st {
		case model.StateHeld:
			r.Held = n
		case model.StateReleased:
			r.Released = n
		case model.StateDone:
			r.Done = n
		}
	}
	for seq, st := range state {
		if inIndex[seq] == 0 {
			r.bad("item %d (%s) is in no state index", seq, st)
		}
	}
}

// checkIDLog checks that the id log names every item, once, with its id.
func checkIDLog(tx *bolt.Tx, ids map[uint64]string, r *Report) {
	items := tx.Bucket(bucketItems)
	seen := map[string]bool{}
	_ = tx.Bucket(bucketIDs).ForEach(func(k, v []byte) error {
		seq := keySeq(k)
		var id idKey
		if len(k) != 8 || len(v) != len(id) {
			r.bad("ids: entry of %d and %d bytes", len(k), len(v))
			return nil
		}
		copy(id[:], v)
		switch want, ok := ids[seq]; {
		case !ok && items.Get(k) == nil:
			r.bad("ids: item %d does not exist", seq)
		case ok && want != id.String():
			r.bad("ids: item %d is logged as %s but is %s", seq, id, want)
		case seen[id.String()]:
			r.bad("ids: %s is logged twice", id)
		}
		seen[id.String()] = true
		return nil
	})
	for seq, id := range ids {
		if !seen[id] {
			r.bad("ids: item %d (%s) is missing from the id log", seq, id)
		}
	}
}

// checkRecords checks and counts what is not items: tombstones, cursors,
// busy time and stats.
func checkRecords(tx *bolt.Tx, r *Report) {
	_ = tx.Bucket(bucketTombs).ForEach(func(k, v []byte) error {
		r.Tombstones++
		if _, ok := parseID(string(k)); !ok || len(v) != 8 {
			r.bad("tombs: malformed tombstone %q", k)
		}
		return nil
	})
	_ = tx.Bucket(bucketCursors).ForEach(func(k, _ []byte) error {
		r.Cursors++
		if i := bytes.IndexByte(k, 0); i <= 0 {
			r.bad("cursors: key %q names no account", k)
		}
		return nil
	})
	if b := tx.Bucket(bucketBusy); b != nil {
		checkBusy(b, r)
	}
	checkReplies(tx, r)
	_ = tx.Bucket(bucketStats).ForEach(func(k, v []byte) error {
		r.Days++
		if err := checkDay(string(k)); err != nil {
			r.bad("stats: %v", err)
		} else if _, err := decodeStats(string(k), v); err != nil {
			r.bad("%v", err)
		}
		return nil
	})
}

// checkBusy checks the calendars' busy time: one readable entry per account.
func checkBusy(b *bolt.Bucket, r *Report) {
	_ = b.ForEach(func(k, v []byte) error {
		r.Calendars++
		if checkAccount(string(k)) != nil {
			r.bad("busy: key %q names no account", k)
		} else if _, err := decodeBusy(v); err != nil {
			r.bad("busy: the busy time of %q is unreadable: %v", k, err)
		}
		return nil
	})
}

// checkReplies checks the reply index (each entry names an item that
// carries its key, and every item with a key has its entry) and that the
// user's stored replies decode.
func checkReplies(tx *bolt.Tx, r *Report) {
	idx, rb := tx.Bucket(bucketReplyIdx), tx.Bucket(bucketReplies)
	ib := itemBucketsOf(tx)
	indexed := map[uint64]bool{}
	if idx != nil {
		_ = idx.ForEach(func(k, v []byte) error {
			a := bytes.IndexByte(k, 0)
			if a <= 0 || len(k) < a+1+1+8 || k[len(k)-9] != 0 || (len(v) != 0 && string(v) != "a") {
				r.bad("idx_reply: malformed entry %q", k)
				return nil
			}
			seq := keySeq(k[len(k)-8:])
			it, _, err := ib.get(seq)
			if ib.items.Get(k[len(k)-8:]) == nil || err != nil {
				r.bad("idx_reply: item %d does not exist", seq)
				return nil
			}
			if it.Account != string(k[:a]) || it.ReplyKey != string(k[a+1:len(k)-9]) {
				r.bad("idx_reply: item %d is indexed under a reply key it does not carry", seq)
			}
			if (len(v) != 0) != !it.Answered.IsZero() {
				r.bad("idx_reply: item %d is marked %s in the index but is not", seq, map[bool]string{true: "answered", false: "waiting"}[len(v) != 0])
			}
			indexed[seq] = true
			return nil
		})
	}
	_ = ib.items.ForEach(func(k, _ []byte) error {
		it, _, err := ib.get(keySeq(k))
		if err == nil && it.ReplyKey != "" && !indexed[it.Seq] {
			r.bad("item %d has a reply key but no entry in idx_reply", it.Seq)
		}
		return nil
	})
	if rb != nil {
		_ = rb.ForEach(func(k, v []byte) error {
			if i := bytes.IndexByte(k, 0); i <= 0 {
				r.bad("replies: key %q names no account", k)
			} else if _, err := decodeReplies(v); err != nil {
				r.bad("%v", err)
			}
			return nil
		})
	}
}
