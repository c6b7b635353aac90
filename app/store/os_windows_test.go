package store

import "os"

// killed reports whether the child was ended by Process.Kill: Go's
// TerminateProcess gives exit code 1, which the crash child never uses
// (it exits 2 on an error and otherwise writes until it is killed).
func killed(ps *os.ProcessState) bool { return ps.ExitCode() == 1 }

// modeOK: Windows has no permission bits; Go reports 0666, or 0444 for a
// read-only file. A private file there is one in the user's profile, whose
// access list the user alone (and the system) may use, and it must stay
// writable by its owner, which is what can be checked here.
func modeOK(fi os.FileInfo, _ os.FileMode) bool { return fi.Mode().Perm()&0o200 != 0 }
