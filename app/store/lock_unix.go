//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes the lock bbolt takes on its file (flock(2), exclusive for
// a writer, shared for a reader) without waiting. It reports false when
// another open file holds a conflicting lock.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
