//go:build windows

package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockRange is the byte range bbolt locks on Windows: one byte at offset
// 2^64-1, so that locking does not stop other handles from reading.
func lockRange() *windows.Overlapped {
	const m1 = 1<<32 - 1
	return &windows.Overlapped{Offset: m1, OffsetHigh: m1}
}

// tryLock takes the lock bbolt takes on its file (LockFileEx on its byte
// range, exclusive for a writer, shared for a reader) without waiting. It
// reports false when another handle holds a conflicting lock. Closing the
// file releases it.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, lockRange())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}
