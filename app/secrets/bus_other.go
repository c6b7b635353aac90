//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package secrets

// busReachable: the Keychain (macOS) and Credential Manager (Windows) need
// no session bus.
func busReachable() error { return nil }
