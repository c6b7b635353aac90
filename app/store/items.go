package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// MinPrefix is the shortest id prefix Get, Has, Update and MarkDone accept.
const MinPrefix = 4

// TombstoneRetention is how long after an item's Done time its
// de-duplication tombstone is kept once the item itself was pruned. A source
// that re-syncs a message older than that would deliver it again.
const TombstoneRetention = 90 * 24 * time.Hour

// Keys in the items, life, id log and index buckets are sequences, mostly
// appended, so pages are packed full instead of bbolt's default half. (At
// 0.9 a page of ~750-byte items split after four of them.)
const appendFillPercent = 1.0

// An item is kept in two parts: its body in the items bucket, written whole
// at ingest and by Update, and a small life record (state, Released, Done,
// log entries since) written by Release and MarkDone. A check-in that
// releases 10,000 items scattered over a large store thus writes ~100
// pages of life records instead of rewriting 10,000 pages of bodies.
// (An item's whole text, Item.Body, is a third part, in the bodies bucket:
// written once at ingest, read only by Get, so that lists stay small.)
type itemBuckets struct {
	items *bolt.Bucket
	life  *bolt.Bucket
}

func itemBucketsOf(tx *bolt.Tx) itemBuckets {
	return itemBuckets{items: tx.Bucket(bucketItems), life: tx.Bucket(bucketLife)}
}

// get reads an item and reports how many of its log entries are in the
// body (the rest come from its life record). The result is a copy.
func (b itemBuckets) get(seq uint64) (model.Item, int, error) {
	key := seqKey(seq)
	v := b.items.Get(key)
	if v == nil {
		return model.Item{}, 0, corruptf("item %d is indexed but missing", seq)
	}
	it, err := decodeItem(seq, v)
	if err != nil {
		return it, 0, corruptError{err}
	}
	bodyLog := len(it.Log)
	if l := b.life.Get(key); l != nil {
		if err := applyLife(&it, l); err != nil {
			return it, bodyLog, corruptError{err}
		}
	}
	return it, bodyLog, nil
}

// wtx wraps a write transaction with the buckets every item write needs,
// the per-state counter changes (written once at the end) and the changes
// to the in-memory id index (applied once the transaction committed).
type wtx struct {
	itemBuckets
	s      *Store
	tx     *bolt.Tx
	idLog  *bolt.Bucket
	tombs  *bolt.Bucket
	idx    [4]*bolt.Bucket // by model.State
	delta  [4]int64        // counter change by model.State
	added  map[idKey]uint64
	pruned []idKey
}

// update runs fn in one write transaction and keeps the counters and the
// id index in step. It holds s.mu throughout, so fn may read s.ids.
func (s *Store) update(fn func(w *wtx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w *wtx
	err := s.updateTx(func(tx *bolt.Tx) error {
		w = &wtx{itemBuckets: itemBucketsOf(tx), s: s, tx: tx,
			idLog: tx.Bucket(bucketIDs), tombs: tx.Bucket(bucketTombs)}
		w.items.FillPercent = appendFillPercent
		w.life.FillPercent = appendFillPercent
		w.idLog.FillPercent = appendFillPercent
		for _, st := range states {
			name, _ := indexBucket(st)
			w.idx[st] = tx.Bucket(name)
			w.idx[st].FillPercent = appendFillPercent
		}
		if err := fn(w); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		for _, st := range states {
			if w.delta[st] == 0 {
				continue
			}
			n := int64(readCount(meta, st)) + w.delta[st]
			if n < 0 {
				return fmt.Errorf("counter for %s state would go negative", st)
			}
			if err := meta.Put(countKey(st), be64(uint64(n))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, seq := range w.added {
		s.ids[k] = seq
	}
	for _, k := range w.pruned {
		delete(s.ids, k)
	}
	return nil
}

func readCount(meta *bolt.Bucket, st model.State) uint64 {
	if v := meta.Get(countKey(st)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func validState(st model.State) bool {
	return st == model.StateHeld || st == model.StateReleased || st == model.StateDone
}

// put writes an item whole (dropping its life record) and moves its index
// entry from old (0 for a new item) to its current state.
func (w *wtx) put(it *model.Item, old model.State) error {
	if !validState(it.State) {
		return fmt.Errorf("item %s: invalid state %d", it.ID, uint8(it.State))
	}
	key := seqKey(it.Seq)
	// bbolt keeps a reference to the value until commit: a fresh buffer each time.
	if err := w.items.Put(key, encodeItem(make([]byte, 0, itemSize(it)), it)); err != nil {
		return fmt.Errorf("put item %s: %w", it.ID, err)
	}
	if old != 0 {
		if err := w.life.Delete(key); err != nil {
			return fmt.Errorf("put item %s: %w", it.ID, err)
		}
	} else if err := w.indexReply(it); err != nil {
		return err
	}
	return w.reindex(it, old)
}

// putLife records an item's state, times and the log entries after the
// first bodyLog, leaving its body as it is, and moves its index entry.
func (w *wtx) putLife(it *model.Item, bodyLog int, old model.State) error {
	if err := w.life.Put(seqKey(it.Seq), encodeLife(it, bodyLog)); err != nil {
		return fmt.Errorf("update item %s: %w", it.ID, err)
	}
	return w.reindex(it, old)
}

func (w *wtx) reindex(it *model.Item, old model.State) error {
	key := seqKey(it.Seq)
	if old != it.State {
		if old != 0 {
			if err := w.idx[old].Delete(key); err != nil {
				return fmt.Errorf("unindex item %s: %w", it.ID, err)
			}
			w.delta[old]--
		}
		w.delta[it.State]++
	}
	// The done index carries the Done time so Prune can pick items without
	// decoding them; it is rewritten even without a state change in case
	// Done moved.
	var v []byte
	if it.State == model.StateDone {
		v = be64(unixNanos(it.Done))
	} else if old == it.State {
		return nil
	}
	if err := w.idx[it.State].Put(key, v); err != nil {
		return fmt.Errorf("index item %s: %w", it.ID, err)
	}
	return nil
}

// unhex is the value of a lowercase hex digit.
func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// isHex reports whether s is lowercase hex.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// resolve maps an exact id or a unique prefix of at least MinPrefix hex
// characters to the item's seq. Pruned items do not count. The caller holds
// s.mu (for reading at least).
func (s *Store) resolve(id string) (uint64, error) {
	prefix := strings.ToLower(id)
	if len(prefix) < MinPrefix || len(prefix) > model.IDLen || !isHex(prefix) {
		return 0, fmt.Errorf("%w: %q (an id is %d-%d hex characters)", ErrNotFound, id, MinPrefix, model.IDLen)
	}
	if k, ok := parseID(prefix); ok {
		if seq, ok := s.ids[k]; ok {
			return seq, nil
		}
		return 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	// A prefix: compare it with every id, as bytes, plus the last nibble
	// of an odd-length prefix. 100,000 ids take well under a millisecond,
	// and prefixes come from a person typing.
	whole := make([]byte, len(prefix)/2)
	_, _ = hex.Decode(whole, []byte(prefix[:len(whole)*2])) // checked by isHex
	odd := len(prefix)%2 == 1
	var nibble byte
	if odd {
		nibble = unhex(prefix[len(prefix)-1])
	}
	var seq uint64
	n := 0
	for k, sq := range s.ids {
		if !bytes.HasPrefix(k[:], whole) || (odd && k[len(whole)]>>4 != nibble) {
			continue
		}
		if n++; n > 1 {
			return 0, fmt.Errorf("%w: %s matches several items", ErrAmbiguous, id)
		}
		seq = sq
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return seq, nil
}

// lookup is resolve for readers.
func (s *Store) lookup(id string) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.resolve(id)
}

// Put stores new items and the cursors that produced them in one
// transaction; see Ingest.
func (s *Store) Put(items []model.Item, cursors []model.Cursor) (added []model.Item, err error) {
	return s.Ingest(Batch{Items: items, Cursors: cursors})
}

// Batch is the work of one Ingest: new items, the cursors that produced
// them, and what to decide and count inside the same transaction.
type Batch struct {
	Items   []model.Item
	Cursors []model.Cursor
	// Admit, when set, is called inside the transaction for each item that
	// is new (neither stored, nor pruned with its tombstone kept, nor
	// earlier in the batch), in order, before it is written. It decides
	// the item's fate (state, action, log) and returns false to leave it
	// out: nothing of it is stored or recorded. An item already known
	// never reaches Admit, so what it decides (an urgent breakthrough, say)
	// is never spent on a message the store would drop. It must not call
	// the Store.
	Admit func(it *model.Item) bool
	// Stats, when set, is called inside the transaction with Day's stats
	// and the added items; it must not call the Store.
	Day   string
	Stats func(d *DayStats, added []model.Item)

	// Account is the account whose connector saw Replies, the user's
	// replies; IngestReplies marks the stored items they answer.
	Account string
	Replies []model.Reply
	// Answered, when set, is called inside the transaction for each item
	// answered for the first time (Answered set, in its final form) and
	// returns the changes to the stats that count the reply.
	Answered StatsOf
}

// StatsChange is a change to one day's stats.
type StatsChange struct {
	Day   string // DayLayout
	Apply func(*DayStats)
}

// StatsOf says how an item's change of life counts in the stats. The store
// calls it inside the transaction that makes the change, with the item in
// its new form, and applies what it returns in the same transaction. It
// must not call the Store.
type StatsOf func(it model.Item) []StatsChange

// applyStats applies changes to the days' stats in tx, reading and writing
// each day's record once (a busy day's is tens of KB), the changes to one
// day in their order.
func applyStats(tx *bolt.Tx, changes []StatsChange) error {
	var days []string
	byDay := map[string][]func(*DayStats){}
	for _, c := range changes {
		if err := checkDay(c.Day); err != nil {
			return err
		}
		if _, ok := byDay[c.Day]; !ok {
			days = append(days, c.Day)
		}
		byDay[c.Day] = append(byDay[c.Day], c.Apply)
	}
	for _, day := range days {
		err := updateStats(tx, day, func(d *DayStats) {
			for _, fn := range byDay[day] {
				fn(d)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Ingest stores a batch's new items, the cursors that produced them and a
// change to the day's stats in one transaction, so a crash keeps all or
// none of them.
//
// This is the one place that decides whether an item is new: an item
// whose ID is already stored, was stored and pruned (its tombstone is
// kept), or came earlier in the batch is skipped, and only new items reach
// b.Admit. Every item must carry its ID (model.ItemID of its account and
// source ID, given by the gate); one without is an error and fails the
// batch. Items with Action == ActionIgnore are not recorded at all. New
// items get their Seq and are returned in input order. A cursor with a nil
// Value is deleted.
func (s *Store) Ingest(b Batch) ([]model.Item, error) {
	r, err := s.IngestReplies(b)
	return r.Added, err
}

// IngestReplies is Ingest that also records the batch's Replies in the
// same transaction: every stored item a reply answers is marked (see
// replies.go), and it says which.
func (s *Store) IngestReplies(b Batch) (Ingested, error) {
	if b.Stats != nil {
		if err := checkDay(b.Day); err != nil {
			return Ingested{}, err
		}
	}
	for _, c := range b.Cursors {
		if err := checkAccount(c.Account); err != nil {
			return Ingested{}, fmt.Errorf("cursor %q: %w", c.Key, err)
		}
	}
	keys := make([]idKey, len(b.Items))
	for i, it := range b.Items {
		if it.ID == "" {
			return Ingested{}, fmt.Errorf("item %q from %s: %w", it.SourceID, it.Account, ErrNoID)
		}
		k, ok := parseID(it.ID)
		if !ok {
			return Ingested{}, fmt.Errorf("item %q from %s: id is not %d lowercase hex characters", it.ID, it.Account, model.IDLen)
		}
		keys[i] = k
	}
	if len(b.Replies) > 0 {
		if err := checkAccount(b.Account); err != nil {
			return Ingested{}, fmt.Errorf("replies: %w", err)
		}
	}
	var added, answered []model.Item
	err := s.update(func(w *wtx) error {
		added, answered = added[:0], answered[:0] // a retried transaction starts again
		seen := make(map[idKey]bool, len(b.Items))
		for i := range b.Items {
			it, k := b.Items[i], keys[i]
			if seen[k] || w.known(k) {
				continue
			}
			seen[k] = true
			if b.Admit != nil && !b.Admit(&it) {
				continue
			}
			if it.Action == model.ActionIgnore {
				continue
			}
			if err := w.add(&it, k); err != nil {
				return err
			}
			added = append(added, it)
		}
		if err := w.putCursors(b.Cursors); err != nil {
			return err
		}
		if b.Stats != nil {
			if err := updateStats(w.tx, b.Day, func(d *DayStats) { b.Stats(d, added) }); err != nil {
				return err
			}
		}
		var err error
		answered, err = w.applyReplies(b, added)
		return err
	})
	if err != nil {
		return Ingested{}, err
	}
	return Ingested{Added: added, Answered: answered}, nil
}

// add writes a new item with id k: its Seq, body, text and id log entry.
func (w *wtx) add(it *model.Item, k idKey) error {
	seq, err := w.items.NextSequence()
	if err != nil {
		return fmt.Errorf("next sequence: %w", err)
	}
	it.Seq = seq
	if err := w.put(it, 0); err != nil {
		return err
	}
	if it.Body != "" {
		if err := w.tx.Bucket(bucketBodies).Put(seqKey(seq), []byte(it.Body)); err != nil {
			return fmt.Errorf("put item %s body: %w", it.ID, err)
		}
	}
	if err := w.idLog.Put(seqKey(seq), bytes.Clone(k[:])); err != nil {
		return fmt.Errorf("record id %s: %w", it.ID, err)
	}
	if w.added == nil {
		w.added = map[idKey]uint64{}
	}
	w.added[k] = seq
	return nil
}

// putCursors writes cursors, deleting those with a nil Value.
func (w *wtx) putCursors(cursors []model.Cursor) error {
	cb := w.tx.Bucket(bucketCursors)
	for _, c := range cursors {
		k := cursorKey(c.Account, c.Key)
		var err error
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
}

// known reports whether an item with id k is stored, was added earlier in
// this transaction, or was pruned but still has its tombstone.
func (w *wtx) known(k idKey) bool {
	if _, ok := w.s.ids[k]; ok {
		return true
	}
	if _, ok := w.added[k]; ok {
		return true
	}
	return w.tombs.Get([]byte(k.String())) != nil
}

// Get returns the item with the exact id or the unique id prefix (at least
// MinPrefix hex characters), with its Body. It fails with ErrNotFound or
// ErrAmbiguous. (List, Release and Update leave Body empty: a body is read
// for one item at a time.)
func (s *Store) Get(id string) (model.Item, error) {
	seq, err := s.lookup(id)
	if err != nil {
		return model.Item{}, err
	}
	var it model.Item
	err = s.view(func(tx *bolt.Tx) error {
		ib := itemBucketsOf(tx)
		if ib.items.Get(seqKey(seq)) == nil { // pruned since the lookup
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		it, _, err = ib.get(seq)
		if body := tx.Bucket(bucketBodies).Get(seqKey(seq)); body != nil {
			it.Body = string(body)
		}
		return err
	})
	return it, err
}

// Has reports whether an item with the id (or unique prefix, as for Get) is
// stored. A pruned item is not; it still de-duplicates in Put.
func (s *Store) Has(id string) (bool, error) {
	_, err := s.lookup(id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// listChunk is how many items List reads per read transaction.
const listChunk = 256

// List calls fn for every item in state, oldest (lowest Seq) first, until
// fn returns false. It walks the state's index, so the cost is O(items in
// that state). Items are read in chunks and fn runs outside any
// transaction, so fn may call the Store (e.g. Update or MarkDone); changes
// made meanwhile to items not yet visited may or may not be seen.
func (s *Store) List(state model.State, fn func(model.Item) bool) error {
	return s.list(state, false, fn)
}

// ListReverse is List newest first, as the digest shows items.
func (s *Store) ListReverse(state model.State, fn func(model.Item) bool) error {
	return s.list(state, true, fn)
}

// Walk is List from a point: it calls fn for the items in state stored
// after seq from, oldest first, or, with reverse, for those stored before
// it, newest first; from 0 starts at the oldest (newest) item. It reads as
// List does, a chunk at a time, so a page of a large index costs a page.
func (s *Store) Walk(state model.State, from uint64, reverse bool, fn func(model.Item) bool) error {
	var start []byte
	if from != 0 {
		start = seqKey(from)
	}
	return s.walk(state, start, reverse, fn)
}

func (s *Store) list(state model.State, reverse bool, fn func(model.Item) bool) error {
	return s.walk(state, nil, reverse, fn)
}

// walk visits the index from after (exclusive; nil: from the start).
func (s *Store) walk(state model.State, after []byte, reverse bool, fn func(model.Item) bool) error {
	name, err := indexBucket(state)
	if err != nil {
		return err
	}
	var last []byte // key of the last index entry read
	chunk := make([]model.Item, 0, listChunk)
	for {
		chunk = chunk[:0]
		err := s.view(func(tx *bolt.Tx) error {
			items := itemBucketsOf(tx)
			c := tx.Bucket(name).Cursor()
			step := c.Next
			if reverse {
				step = c.Prev
			}
			var k []byte
			switch {
			case after == nil && reverse:
				k, _ = c.Last()
			case after == nil:
				k, _ = c.First()
			default:
				k, _ = c.Seek(after)
				switch {
				case reverse && k == nil:
					k, _ = c.Last()
				case reverse:
					k, _ = c.Prev()
				case bytes.Equal(k, after):
					k, _ = c.Next()
				}
			}
			for ; k != nil && len(chunk) < listChunk; k, _ = step() {
				last = append(last[:0], k...)
				it, _, err := items.get(keySeq(k))
				if err != nil {
					if err := s.skipCorrupt(err); err != nil {
						return err
					}
					continue
				}
				chunk = append(chunk, it)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list %s items: %w", state, err)
		}
		s.read(len(chunk))
		for _, it := range chunk {
			if !fn(it) {
				return nil
			}
		}
		if len(chunk) < listChunk {
			return nil
		}
		after = bytes.Clone(last)
	}
}

// Count returns how many items are in state, from a counter kept in step
// with the index (O(1)).
func (s *Store) Count(state model.State) (int, error) {
	if !validState(state) {
		return 0, fmt.Errorf("count: invalid item state %d", uint8(state))
	}
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		n = readCount(tx.Bucket(bucketMeta), state)
		return nil
	})
	return int(n), err
}

// Release moves every held item to released in one transaction: Released
// is set to at, an entry with note is appended to each item's log, and
// day's stats get the released count and one wait sample (at - Ingested)
// per item. It returns the released items, oldest first. Cost O(held).
func (s *Store) Release(at time.Time, note string, day string) ([]model.Item, error) {
	if err := checkDay(day); err != nil {
		return nil, err
	}
	if note == "" {
		note = "released"
	}
	var released []model.Item
	err := s.update(func(w *wtx) error {
		released = released[:0]
		seqs := collectSeqs(w.idx[model.StateHeld], nil)
		if len(seqs) == 0 {
			return nil
		}
		for _, seq := range seqs {
			it, bodyLog, err := w.get(seq)
			if err != nil {
				if err := s.skipCorrupt(err); err != nil {
					return err
				}
				continue
			}
			it.State = model.StateReleased
			it.Released = at
			it.Log = append(it.Log, model.Entry{At: at, Text: note})
			if err := w.putLife(&it, bodyLog, model.StateHeld); err != nil {
				return err
			}
			released = append(released, it)
		}
		return updateStats(w.tx, day, func(d *DayStats) {
			d.Released += len(released)
			for i := range released {
				d.AddWait(at.Sub(released[i].Ingested))
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	s.read(len(released))
	return released, nil
}

// collectSeqs returns the keys of an index bucket (whose value passes keep,
// if given) as seqs. Keys are collected before any change because deleting
// under a bbolt cursor skips entries.
func collectSeqs(b *bolt.Bucket, keep func(v []byte) bool) []uint64 {
	var seqs []uint64
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if keep == nil || keep(v) {
			seqs = append(seqs, keySeq(k))
		}
	}
	return seqs
}

// Update applies fn to one item (exact id or unique prefix) in a write
// transaction and stores the result whole, moving the item between state indices
// when fn changed its State. Setting Released or Done is fn's job. fn must
// not change ID or Seq and must not call the Store; if it returns an error,
// nothing is written and Update returns that error.
func (s *Store) Update(id string, fn func(*model.Item) error) (model.Item, error) {
	var out model.Item
	err := s.update(func(w *wtx) error {
		seq, err := s.resolve(id)
		if err != nil {
			return err
		}
		it, _, err := w.get(seq)
		if err != nil {
			return err
		}
		old, oldID := it.State, it.ID
		if err := fn(&it); err != nil {
			return err
		}
		if it.ID != oldID || it.Seq != seq {
			return fmt.Errorf("update item %s: ID and Seq may not change", oldID)
		}
		if err := w.put(&it, old); err != nil {
			return err
		}
		out = it
		return nil
	})
	return out, err
}

// MarkDone moves the given items (exact ids or unique prefixes) from held
// or released to done, in one transaction, logging "done" at at. If any id
// is unknown or ambiguous nothing changes and the error names that id.
// Items already done are left alone; the count is of items changed. stats,
// when not nil, counts each item changed in the same transaction.
func (s *Store) MarkDone(ids []string, at time.Time, stats StatsOf) (int, error) {
	n := 0
	err := s.update(func(w *wtx) error {
		n = 0
		var counts []StatsChange
		for _, id := range ids {
			seq, err := s.resolve(id)
			if err != nil {
				return err
			}
			it, changed, err := w.markDone(seq, at)
			if err != nil {
				return err
			}
			if changed {
				n++
				if stats != nil {
					counts = append(counts, stats(it)...)
				}
			}
		}
		return applyStats(w.tx, counts)
	})
	if err != nil {
		return 0, fmt.Errorf("mark done: %w", err)
	}
	return n, nil
}

// MarkAllDone moves every released item to done ("done all" in the digest),
// counting each in the stats like MarkDone. Cost O(released).
func (s *Store) MarkAllDone(at time.Time, stats StatsOf) (int, error) {
	n := 0
	err := s.update(func(w *wtx) error {
		n = 0
		var counts []StatsChange
		for _, seq := range collectSeqs(w.idx[model.StateReleased], nil) {
			it, changed, err := w.markDone(seq, at)
			if err != nil {
				if err := s.skipCorrupt(err); err != nil {
					return err
				}
				continue
			}
			if changed {
				n++
				if stats != nil {
					counts = append(counts, stats(it)...)
				}
			}
		}
		return applyStats(w.tx, counts)
	})
	if err != nil {
		return 0, fmt.Errorf("mark all done: %w", err)
	}
	s.read(n)
	return n, nil
}

// markDone moves the item seq to done and returns it as stored; false when
// it was done already.
func (w *wtx) markDone(seq uint64, at time.Time) (model.Item, bool, error) {
	it, bodyLog, err := w.get(seq)
	if err != nil {
		return model.Item{}, false, err
	}
	if it.State == model.StateDone {
		return model.Item{}, false, nil
	}
	old := it.State
	it.State = model.StateDone
	it.Done = at
	it.Log = append(it.Log, model.Entry{At: at, Text: "done"})
	if err := w.putLife(&it, bodyLog, old); err != nil {
		return model.Item{}, false, err
	}
	return it, true, nil
}

// Prune deletes done items whose Done time is before before, with their
// index entries. Each one's id stays behind as a tombstone so that a
// source re-syncing the old message does not bring it back; tombstones
// whose Done time is more than TombstoneRetention before before are
// dropped. It returns how many items were deleted. Picking items costs
// O(done items) (Done is read from the index, items are not decoded);
// dropping tombstones scans the tombstones.
func (s *Store) Prune(before time.Time) (int, error) {
	cutoff := unixNanos(before)
	tombCutoff := unixNanos(before.Add(-TombstoneRetention))
	n := 0
	err := s.update(func(w *wtx) error {
		seqs := collectSeqs(w.idx[model.StateDone], func(v []byte) bool {
			return len(v) == 8 && binary.BigEndian.Uint64(v) < cutoff
		})
		for _, seq := range seqs {
			key := seqKey(seq)
			doneAt := w.idx[model.StateDone].Get(key)
			id := w.idLog.Get(key)
			if len(id) != len(idKey{}) {
				return fmt.Errorf("item %d has no id log entry", seq)
			}
			var k idKey
			copy(k[:], id)
			if err := w.tombs.Put([]byte(k.String()), bytes.Clone(doneAt)); err != nil {
				return err
			}
			if err := w.unindexReply(seq); err != nil {
				return err
			}
			for _, b := range []*bolt.Bucket{w.items, w.life, w.tx.Bucket(bucketBodies), w.idx[model.StateDone], w.idLog} {
				if err := b.Delete(key); err != nil {
					return err
				}
			}
			w.delta[model.StateDone]--
			w.pruned = append(w.pruned, k)
		}
		n = len(seqs)
		var expired [][]byte
		c := w.tombs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) != 8 {
				return fmt.Errorf("corrupt tombstone %s", k)
			}
			if binary.BigEndian.Uint64(v) < tombCutoff {
				expired = append(expired, bytes.Clone(k))
			}
		}
		for _, k := range expired {
			if err := w.tombs.Delete(k); err != nil {
				return err
			}
		}
		return w.pruneReplies(cutoff)
	})
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	return n, nil
}
