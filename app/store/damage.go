package store

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged means the store file is damaged: Open refuses it, and a store
// that found a damaged page while running refuses every write after it.
var ErrDamaged = errors.New("the store file is damaged")

// DamagedError says which store file is damaged and how.
type DamagedError struct {
	Path     string
	Problems []string // the first problems found, in words
	More     int      // how many more were found
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the store %s is damaged: %s", e.Path, strings.Join(e.Problems, "; "))
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more problems)", e.More)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrDamaged) hold.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// errCorrupt marks an error about a value or bucket that cannot be what
// the store wrote (as opposed to, say, a full disk).
var errCorrupt = errors.New("corrupt")

type corruptError struct{ error }

func (e corruptError) Is(target error) bool { return target == errCorrupt }
func (e corruptError) Unwrap() error        { return e.error }

// corruptf is fmt.Errorf for such errors.
func corruptf(format string, args ...any) error {
	return corruptError{fmt.Errorf(format, args...)}
}

// asDamaged turns an error that says the file is not what the store wrote
// into a *DamagedError for path, and returns any other error as it is.
func asDamaged(path string, err error) error {
	if errors.Is(err, ErrDamaged) || !(errors.Is(err, errCorrupt) || errors.Is(err, bolterrors.ErrIncompatibleValue)) {
		return err
	}
	return &DamagedError{Path: path, Problems: []string{err.Error()}}
}

// Damaged returns the damage found while the store was open, or nil.
func (s *Store) Damaged() error {
	if d := s.damaged.Load(); d != nil {
		return d
	}
	return nil
}

// guard runs fn, which uses bbolt, so that a damaged page cannot take the
// process down: bbolt's assertions panic, and reading a page it believes
// to be inside the file faults; both come back as a *DamagedError. The
// first one is reported to Options.OnDamage, and writes stop from then on,
// because bbolt would build new pages on what it misread. Reads go on:
// they change nothing, and what is still readable stays readable.
func (s *Store) guard(write bool, fn func() error) (err error) {
	if write {
		if d := s.damaged.Load(); d != nil {
			return d
		}
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = s.markDamaged(r)
		}
	}()
	return fn()
}

func (s *Store) markDamaged(r any) error {
	d := &DamagedError{Path: s.path, Problems: []string{fmt.Sprintf("reading it failed (%v)", r)}}
	if !s.damaged.CompareAndSwap(nil, d) {
		return s.damaged.Load()
	}
	s.report(d)
	return d
}

// skipCorrupt is for loops over many items (List, Release, done all): an
// item whose value cannot be decoded is reported and left where it is, so
// that one bad value neither hides every other item nor stops every
// check-in. It returns err unless it is such an error.
func (s *Store) skipCorrupt(err error) error {
	if !errors.Is(err, errCorrupt) {
		return err
	}
	s.report(&DamagedError{Path: s.path, Problems: []string{err.Error()}})
	return nil
}

// report tells Options.OnDamage, once, that the file is damaged.
func (s *Store) report(d *DamagedError) {
	if s.reported.CompareAndSwap(false, true) && s.onDamage != nil {
		s.onDamage(d)
	}
}

// view is db.View under guard.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return s.guard(false, func() error { return s.db.View(fn) })
}

// updateTx is db.Update under guard.
func (s *Store) updateTx(fn func(*bolt.Tx) error) error {
	return s.guard(true, func() error { return s.db.Update(fn) })
}
