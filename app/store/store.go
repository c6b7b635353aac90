// Package store keeps Sluice's items, connector cursors, daily stats and
// the gate's own state in one bbolt file. It is the only package that
// imports bbolt.
//
// Layout: an items bucket keyed by an 8-byte big-endian sequence, with a
// small "life" record per item for what changes after ingest; one index
// bucket per state (so listing or releasing held items costs O(held), not
// O(all items)); an append-only log of item ids by sequence, loaded into a
// map at Open for de-duplication and id lookups; tombstones for the ids of
// pruned items, so a re-synced old message is not ingested again; cursors;
// stats by day; and a meta bucket with the schema version and per-state
// counters. Items and the cursors that produced them are written in one
// transaction: a crash loses neither and stores nothing twice.
//
// Why the id index lives in memory: item ids are hashes, so a bbolt tree
// keyed by them takes every insert on a different page, and a batch of 100
// items rewrote ~100 pages of it, most of the cost of ingest. The log keyed
// by sequence is appended instead, and the map costs ~30 bytes per stored
// item.
//
// A Store is safe for concurrent use. bbolt lets one process hold the file;
// a second Open fails with ErrLocked after Options.Timeout.
//
// A damaged file never takes the process down: Open checks every page
// bbolt could reach before bbolt sees the file (see pages.go) and fails
// with a DamagedError naming the file; a page found damaged later, while
// running, turns bbolt's panic into the same error and stops all writes to
// the file. Check and Recover are the way out for the user.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrLocked means another process (or another Open in this one) holds
	// the store file, i.e. Sluice is already running.
	ErrLocked = errors.New("sluice is already running")
	// ErrNotFound means no stored item has the given id or id prefix.
	ErrNotFound = errors.New("item not found")
	// ErrAmbiguous means an id prefix matches more than one item.
	ErrAmbiguous = errors.New("ambiguous item id prefix")
	// ErrNoID means an item reached the store without its ID: the gate
	// gives every item one (model.ItemID) before it is stored.
	ErrNoID = errors.New("item has no id")
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// Options tunes Open.
type Options struct {
	// Timeout is how long to wait for another process to release the file
	// before failing with ErrLocked; zero means DefaultTimeout.
	Timeout time.Duration
	// NoSync skips fsync on commit. Only for tests and benchmarks: a crash
	// of the machine may then lose or corrupt recent writes.
	NoSync bool
	// OnDamage, when set, is called once when a damaged page turns up
	// while the store is open (Open itself returns the error instead).
	// From then on every write fails with that error. It must not call
	// the Store.
	OnDamage func(error)
}

// Store is an open Sluice store.
type Store struct {
	db   *bolt.DB
	path string

	// mu guards ids. Every write transaction that adds or removes items
	// holds it from begin to after commit, so ids always matches the last
	// committed state and dedup checks cannot race.
	mu  sync.RWMutex
	ids map[idKey]uint64 // id → seq of every stored (not pruned) item

	damaged  atomic.Pointer[DamagedError] // set once a damaged page turned up
	reported atomic.Bool                  // onDamage was called
	touched  atomic.Int64                 // items read since the map was last trimmed
	onDamage func(error)
	notices  []string
}

// lockedError is what Open returns when the file is locked. Its text is
// shown to the user as is, hence the capital letter.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return "Sluice is already running (the store " + e.path + " is locked by another process)"
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// Open opens the store at path, creating it (and its directory, 0700) when
// missing. The file is made 0600 even if it already existed with wider
// permissions. Every bucket is created and the schema migrated in one
// transaction; a store from a newer schema is refused with ErrNewerSchema.
// A damaged file is refused with a *DamagedError (errors.Is ErrDamaged)
// and left as it is.
func Open(path string, opt Options) (s *Store, err error) {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	notices, err := checkBeforeOpen(path, opt.Timeout)
	if err != nil {
		return nil, err
	}
	var db *bolt.DB
	var file *os.File // the file bbolt opened, to release it if bbolt.Open panics
	defer func() {
		// The file passed the page check, so this would be a bbolt bug or
		// a change to the file since; either way an error, not a crash.
		if r := recover(); r != nil {
			if db != nil {
				_ = db.Close()
			} else if file != nil {
				_ = file.Close()
			}
			s, err = nil, &DamagedError{Path: path, Problems: []string{fmt.Sprint(r)}}
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
		Timeout: opt.Timeout,
		NoSync:  opt.NoSync,
		// The freelist is rebuilt by scanning at open instead of being
		// written on every commit, which makes small commits cheaper
		// (etcd does the same).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &lockedError{path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("restrict store permissions: %w", err)
	}
	s = &Store{db: db, path: path, notices: notices}
	if err := s.updateTx(func(tx *bolt.Tx) error { return initialize(tx, path) }); err != nil {
		_ = db.Close()
		return nil, asDamaged(path, err)
	}
	if err := s.view(s.loadIDs); err != nil {
		_ = db.Close()
		return nil, asDamaged(path, fmt.Errorf("open store %s: %w", path, err))
	}
	s.onDamage = opt.OnDamage
	s.trimMap() // bbolt read every page at Open to find the free ones
	return s, nil
}

// checkBeforeOpen takes the file's lock, as bbolt would, and checks its
// pages (see verify); it returns what the user should know about a file
// that opens (an empty one). A missing file is fine: bbolt creates it.
func checkBeforeOpen(path string, timeout time.Duration) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	ok, err := waitLock(f, true, timeout)
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
	if fi.Size() == 0 {
		return []string{"The store " + path + " was an empty file (0 bytes), so Sluice started with an empty store. " +
			"If Sluice held items before, they were lost before this start (a full disk or a copy that went wrong?); restore the file from a backup if you have one."}, nil
	}
	if problems, n := verify(f, fi.Size()); len(problems) > 0 {
		return nil, &DamagedError{Path: path, Problems: problems, More: n - len(problems)}
	}
	return nil, nil
}

// Notices are what the user should know about the file as it was opened
// (an empty file started afresh), for the log and `sluice status`.
func (s *Store) Notices() []string { return append([]string(nil), s.notices...) }

// loadIDs builds the in-memory id index from the ids log.
func (s *Store) loadIDs(tx *bolt.Tx) error {
	b := tx.Bucket(bucketIDs)
	n := uint64(0)
	for _, st := range states {
		n += readCount(tx.Bucket(bucketMeta), st)
	}
	s.ids = make(map[idKey]uint64, n)
	return b.ForEach(func(k, v []byte) error {
		var id idKey
		if len(k) != 8 || len(v) != len(id) {
			return corruptf("corrupt id log entry (%d, %d bytes)", len(k), len(v))
		}
		copy(id[:], v)
		s.ids[id] = keySeq(k)
		return nil
	})
}

// Close releases the file. Calls after the first do nothing.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Path is the store file's path.
func (s *Store) Path() string { return s.path }

// Size is the store file's size on disk in bytes. bbolt grows the file in
// steps and reuses freed pages rather than shrinking, so this is an upper
// bound on the data held.
func (s *Store) Size() (int64, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, fmt.Errorf("store size: %w", err)
	}
	return fi.Size(), nil
}
