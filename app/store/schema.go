package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// Bucket names, declared once. Every bucket is created in the same
// transaction at Open, so the rest of the package may assume they exist.
var (
	bucketMeta     = []byte("meta")         // schema version and per-state counters
	bucketItems    = []byte("items")        // seq (8-byte BE) → encoded item as last written whole
	bucketLife     = []byte("life")         // seq → what happened since: state, Released, Done, newer log entries
	bucketBodies   = []byte("bodies")       // seq → the item's whole text (Item.Body), read only for one item
	bucketHeld     = []byte("idx_held")     // seq → empty
	bucketReleased = []byte("idx_released") // seq → empty
	bucketDone     = []byte("idx_done")     // seq → Done time (8-byte BE unix nanos), so Prune need not decode items
	bucketIDs      = []byte("ids")          // seq → item id (10 raw bytes): appended, loaded into memory at Open
	bucketTombs    = []byte("tombs")        // item id (hex) of a pruned item → its Done time (8-byte BE unix nanos)
	bucketCursors  = []byte("cursors")      // account \x00 key → cursor value
	bucketStats    = []byte("stats")        // day "2006-01-02" → encoded DayStats
	bucketGate     = []byte("gate")         // keyGateState → the gate's opaque blob
	bucketBusy     = []byte("busy")         // calendar account → encoded []model.Busy
	bucketReplies  = []byte("replies")      // account \x00 reply key → the user's replies naming it (encodeReplies)
	bucketReplyIdx = []byte("idx_reply")    // account \x00 reply key \x00 seq → "" (waiting) or "a" (answered)
)

// allBuckets is the bucket registry Open creates.
var allBuckets = [][]byte{
	bucketMeta, bucketItems, bucketLife, bucketBodies, bucketHeld, bucketReleased, bucketDone,
	bucketIDs, bucketTombs, bucketCursors, bucketStats, bucketGate, bucketBusy,
	bucketReplies, bucketReplyIdx,
}

// Keys inside the meta and gate buckets.
var (
	keyVersion     = []byte("version")
	keyCountPrefix = "count/" // + state name → 8-byte BE counter
	keyGateState   = []byte("state")
)

// indexBucket returns the per-state index bucket name.
func indexBucket(s model.State) ([]byte, error) {
	switch s {
	case model.StateHeld:
		return bucketHeld, nil
	case model.StateReleased:
		return bucketReleased, nil
	case model.StateDone:
		return bucketDone, nil
	}
	return nil, fmt.Errorf("invalid item state %d", uint8(s))
}

func countKey(s model.State) []byte { return []byte(keyCountPrefix + s.String()) }

var states = []model.State{model.StateHeld, model.StateReleased, model.StateDone}

// ErrNewerSchema is returned by Open for a store written by a newer Sluice,
// whose layout this build does not understand. The file is left untouched.
var ErrNewerSchema = errors.New("store schema is newer than this version of sluice")

// A migration takes the store from its index in migrations to the next
// version. Migrations run inside Open's single transaction, after every
// bucket in allBuckets exists, so a failed one leaves the file as it was.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

// migrations is the explicit list; migrations[i] upgrades version i to i+1,
// and SchemaVersion is its length. Append, never edit or reorder.
var migrations = []migration{
	{name: "initial layout: per-state counters", up: migrateInitial},
	// Open creates the two buckets; items stored before carry no reply
	// key, so the index starts empty. The version tells older builds,
	// which cannot read the items written from now on (item encoding v3),
	// to refuse the file instead.
	{name: "reply tracking: reply index and the user's replies", up: func(*bolt.Tx) error { return nil }},
}

// SchemaVersion is the store layout this build writes.
func SchemaVersion() int { return len(migrations) }

// migrateInitial sets the per-state counters from the index buckets. On a
// new file they are empty and the counters start at zero; recounting
// rather than writing zeros keeps the step correct for any file that has
// indices but no counters.
func migrateInitial(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	for _, s := range states {
		name, _ := indexBucket(s)
		n := 0
		if err := tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil }); err != nil {
			return err
		}
		if err := meta.Put(countKey(s), be64(uint64(n))); err != nil {
			return err
		}
	}
	return nil
}

// initialize creates every bucket and brings the schema up to date, all in
// tx. It refuses a file from a newer schema before changing anything.
func initialize(tx *bolt.Tx, path string) error {
	version := uint64(0)
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keyVersion); v != nil {
			if len(v) != 8 {
				return corruptf("corrupt schema version (%d bytes)", len(v))
			}
			version = binary.BigEndian.Uint64(v)
		}
	}
	want := uint64(SchemaVersion())
	if version > want {
		return fmt.Errorf("store %s has schema version %d but this sluice knows only up to %d; upgrade sluice or move the file away: %w",
			path, version, want, ErrNewerSchema)
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	for v := version; v < want; v++ {
		m := migrations[v]
		if err := m.up(tx); err != nil {
			return fmt.Errorf("migrate store %s from schema %d to %d (%s): %w", path, v, v+1, m.name, err)
		}
	}
	if version != want {
		if err := tx.Bucket(bucketMeta).Put(keyVersion, be64(want)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	return nil
}

func be64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
