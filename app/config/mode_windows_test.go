package config

import "os"

// modeOK: Windows has no permission bits; Go reports 0666, or 0444 for a
// read-only file. The config is private there because it lives in the
// user's profile, whose access list only the user (and the system) may
// use; what can be checked is that its owner can still write it.
func modeOK(fi os.FileInfo, _ os.FileMode) bool { return fi.Mode().Perm()&0o200 != 0 }
