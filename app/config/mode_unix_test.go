//go:build !windows

package config

import "os"

// modeOK reports whether fi has exactly the mode want.
func modeOK(fi os.FileInfo, want os.FileMode) bool { return fi.Mode().Perm() == want }
