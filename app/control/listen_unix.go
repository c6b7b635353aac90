//go:build !windows

package control

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSocketPath is the longest socket path used: sun_path holds 108 bytes
// on Linux and 104 on macOS and the BSDs, with a terminating NUL.
const maxSocketPath = 100

// socketName is the control socket's name, in the data directory or in
// the private directory that stands in for it.
const socketName = "sluice.sock"

// pointerName is the file in the data directory that names the socket when
// the data directory's own path is too long for one. Only the user can
// write the data directory, so nobody else can point the CLI elsewhere.
const pointerName = "sluice.sock.path"

// SocketPath is where the control socket of dataDir is: <data>/sluice.sock,
// or, when that path is too long for a Unix socket, the path recorded in
// <data>/sluice.sock.path by the running Sluice ("" when there is none).
func SocketPath(dataDir string) string {
	if p := filepath.Join(dataDir, socketName); len(p) < maxSocketPath {
		return p
	}
	b, err := os.ReadFile(filepath.Join(dataDir, pointerName))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// listen opens the control socket. The caller holds the store lock, so a
// socket file left behind is stale (a crash) and is replaced.
//
// When <data>/sluice.sock is too long, the socket goes into a directory
// only this user can enter: a fresh one with an unguessable name under
// $XDG_RUNTIME_DIR (when that is private) or the temp directory, named in
// <data>/sluice.sock.path. A predictable name in a shared /tmp could be
// taken first by another local user, who would then read what the CLI
// sends, answer with invented replies and keep Sluice from starting.
func listen(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, socketName)
	var private, pointer string
	if len(path) >= maxSocketPath {
		var err error
		if private, err = privateDir(dataDir); err != nil {
			return nil, fmt.Errorf("control socket: %w", err)
		}
		path = filepath.Join(private, socketName)
		pointer = filepath.Join(dataDir, pointerName)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The socket appears with the mode the umask gives it and is made 0600
	// just after; in a directory only this user can enter, nobody else can
	// reach it meanwhile. (Not by narrowing the umask around the bind: the
	// umask is the whole process's, and whatever other goroutines create
	// in that moment would get it — directories nobody can enter, files
	// their readers cannot read.)
	if err := makePrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale control socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if pointer == "" {
		return ln, nil
	}
	if err := writePrivate(pointer, path+"\n"); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &privateListener{Listener: ln, dir: private, pointer: pointer}, nil
}

// privateListener removes the private directory and the pointer to it
// when it closes.
type privateListener struct {
	net.Listener
	dir, pointer string
}

func (l *privateListener) Close() error {
	err := l.Listener.Close()
	_ = os.Remove(l.pointer)
	_ = os.Remove(l.dir) // only when empty: never anything but the socket
	return err
}

// privateDir returns the directory for the socket of dataDir: the one the
// pointer file names when it is still private to this user, else a new one.
// A directory that is someone else's, or that others may enter, is never
// reused.
func privateDir(dataDir string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(dataDir, pointerName)); err == nil {
		dir := filepath.Dir(strings.TrimSpace(string(b)))
		if filepath.IsAbs(dir) && checkPrivateDir(dir) == nil {
			return dir, nil
		}
	}
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || checkPrivateDir(base) != nil {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "sluice-")
	if err != nil {
		return "", err
	}
	if err := checkPrivateDir(dir); err != nil {
		return "", err
	}
	if p := filepath.Join(dir, socketName); len(p) >= maxSocketPath {
		os.Remove(dir)
		return "", fmt.Errorf("socket path %s is too long for a Unix socket; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory", p)
	}
	return dir, nil
}

// writePrivate writes a small 0600 file through a temp file and rename.
func writePrivate(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// checkPrivateDir reports why dir is not a directory that only this user
// can enter: not a directory (a symlink counts as not one), owned by
// someone else, or open to the group or others.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &EndpointError{Path: dir, Msg: fmt.Sprintf("refusing the control socket directory %s: not a directory", dir)}
	}
	if uid, me := ownerOf(fi), os.Geteuid(); uid != me {
		return &EndpointError{Path: dir, Msg: fmt.Sprintf("refusing the control socket directory %s: it belongs to uid %d, not to you (uid %d)", dir, uid, me)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &EndpointError{Path: dir, Msg: fmt.Sprintf("refusing the control socket directory %s: its mode %04o lets others in (want 0700)", dir, perm)}
	}
	return nil
}

// makePrivateDir makes this user's directory dir one that only this user
// can enter (the data directory holds the store: 0700 is what Sluice
// creates it with); one that is someone else's or not a directory is
// refused, as checkPrivateDir words it.
func makePrivateDir(dir string) error {
	err := checkPrivateDir(dir)
	var ee *EndpointError
	if err == nil || !errors.As(err, &ee) {
		return err
	}
	fi, lerr := os.Lstat(dir)
	if lerr != nil || !fi.IsDir() || ownerOf(fi) != os.Geteuid() {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("control socket: make %s private: %w", dir, err)
	}
	return checkPrivateDir(dir)
}

func ownerOf(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// dialer returns how a client reaches the server of dataDir. A socket
// in a directory of its own must sit in a directory only this user can enter.
func dialer(dataDir string) (network, addr string, err error) {
	path := SocketPath(dataDir)
	if path == "" {
		return "", "", ErrNotRunning
	}
	if filepath.Dir(path) != filepath.Clean(dataDir) {
		if err := checkPrivateDir(filepath.Dir(path)); err != nil {
			switch {
			case errors.Is(err, os.ErrNotExist):
				return "", "", ErrNotRunning
			case errors.Is(err, os.ErrPermission):
				return "", "", dialError(path, err)
			}
			return "", "", err
		}
	}
	return "unix", path, nil
}

// dialError words a failed connect: a socket that refuses this user is
// not the same as no Sluice at all.
func dialError(addr string, err error) error {
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return &EndpointError{Path: addr, Err: err,
			Msg: fmt.Sprintf("permission denied on the control socket %s (another user's Sluice, or a directory you may not enter)", addr)}
	}
	return ErrNotRunning
}

// checkPeer makes sure the socket just connected to is this user's own:
// the file must belong to the user, and so must the process that
// listens on it (SO_PEERCRED, LOCAL_PEERCRED). Nothing has been sent yet.
func checkPeer(c net.Conn, addr string) error {
	fi, err := os.Lstat(addr)
	if err != nil {
		return ErrNotRunning
	}
	me := os.Geteuid()
	if fi.Mode()&os.ModeSocket == 0 {
		return &EndpointError{Path: addr, Msg: fmt.Sprintf("refusing the control socket %s: not a socket", addr)}
	}
	if uid := ownerOf(fi); uid != me {
		return &EndpointError{Path: addr, Msg: fmt.Sprintf("refusing the control socket %s: it belongs to uid %d, not to you (uid %d)", addr, uid, me)}
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	uid, err := peerUID(uc)
	if errors.Is(err, errNoPeerCred) {
		return nil // the file's owner is all this system tells
	}
	if err != nil {
		return &EndpointError{Path: addr, Err: err, Msg: fmt.Sprintf("refusing the control socket %s: cannot tell who answers on it: %v", addr, err)}
	}
	if uid != me {
		return &EndpointError{Path: addr, Msg: fmt.Sprintf("refusing the control socket %s: the process answering on it runs as uid %d, not as you (uid %d)", addr, uid, me)}
	}
	return nil
}

// errNoPeerCred is peerUID's answer on systems that cannot name a peer.
var errNoPeerCred = errors.New("peer credentials not supported")

func cleanup(net.Listener) {}
