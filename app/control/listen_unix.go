//go:build !windows

package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// SocketPath is where the control socket of dataDir lives. Unix socket
// paths are limited to about 104–108 bytes, so a deep data directory gets
// a socket in the runtime directory named after a hash of its path.
func SocketPath(dataDir string) string {
	p := filepath.Join(dataDir, "sluice.sock")
	if len(p) < 100 {
		return p
	}
	abs, _ := filepath.Abs(dataDir)
	h := sha256.Sum256([]byte(abs))
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "sluice-"+hex.EncodeToString(h[:8])+".sock")
}

// listen opens the control socket. The caller holds the store lock, so a
// socket file left behind is stale (a crash) and is replaced.
func listen(dataDir string) (net.Listener, string, error) {
	path := SocketPath(dataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("control socket: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("remove stale control socket: %w", err)
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, "", fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return ln, "", nil
}

func cleanup(net.Listener) {}

// dialer returns how a client reaches the server of dataDir.
func dialer(dataDir string) (network, addr, token string, err error) {
	return "unix", SocketPath(dataDir), "", nil
}
