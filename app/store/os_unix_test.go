//go:build !windows

package store

import (
	"os"
	"syscall"
)

// killed reports whether the child died of SIGKILL rather than exiting.
func killed(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// modeOK reports whether fi has exactly the mode want (0600 for a file,
// 0700 for a directory).
func modeOK(fi os.FileInfo, want os.FileMode) bool { return fi.Mode().Perm() == want }
