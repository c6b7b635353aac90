//go:build windows

package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the control API is served on a named pipe that only the
// current user can open: nothing on disk to leak or to clean up, no port
// another program could take over, and no token. The pipe goes away with
// the process, however it ends.

// PipeName is the named pipe of the Sluice running on dataDir for the
// current user. Pipe names are global to the machine, so the name hashes
// the user's SID with the data directory: two users, or two data
// directories, never meet.
func PipeName(dataDir string) (string, error) {
	sid, err := currentUser()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	h := sha256.Sum256([]byte(sid.String() + "\x00" + strings.ToLower(filepath.Clean(abs))))
	return `\\.\pipe\sluice-` + hex.EncodeToString(h[:12]), nil
}

// pipeSDDL owns the pipe by the user and grants the user alone full
// access; logons over the network are denied even as that user. The DACL
// is protected (P), so nothing is inherited.
func pipeSDDL(sid *windows.SID) string {
	return "O:" + sid.String() + "D:P(D;;GA;;;NU)(A;;GA;;;" + sid.String() + ")"
}

// legacyEndpointFile is where Sluice before the named pipe kept a loopback
// address and token; a file left by it is removed at start.
func legacyEndpointFile(dataDir string) string { return filepath.Join(dataDir, "control.json") }

// listen creates the named pipe. Creating it fails if any process, of this
// user or another, already holds the name, so a squatter cannot receive
// the clients' requests. The caller holds the store lock, so a Sluice of
// this user cannot be holding it.
func listen(dataDir string) (net.Listener, error) {
	sid, err := currentUser()
	if err != nil {
		return nil, err
	}
	name, err := PipeName(dataDir)
	if err != nil {
		return nil, err
	}
	if err := checkFree(name); err != nil {
		return nil, err
	}
	ln, err := winio.ListenPipe(name, &winio.PipeConfig{SecurityDescriptor: pipeSDDL(sid)})
	if err != nil {
		return nil, fmt.Errorf("control pipe %s: %w", name, err)
	}
	if onWine() {
		if ln, err = plugReserve(ln, name); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(legacyEndpointFile(dataDir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		ln.Close()
		return nil, fmt.Errorf("remove the old control endpoint file: %w", err)
	}
	return ln, nil
}

// checkFree makes sure no pipe of that name exists. Windows refuses to
// create a pipe whose name is taken anyway; Wine adds an instance to it.
func checkFree(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c, err := winio.DialPipeContext(ctx, name)
	if err == nil {
		c.Close()
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("control pipe %s: already in use", name)
}

// onWine reports whether this process runs under Wine (its ntdll exports
// wine_get_version).
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// plugReserve works around Wine (checked with 8.0): go-winio keeps a first
// pipe instance, opened without read or write access, only to reserve the
// name; Windows keeps such an instance disconnected, but Wine lets clients
// connect to it, and they then wait for ever because nothing serves it.
// Connecting to it once ourselves, and holding that connection while the
// listener lives, leaves the clients the instances that are served.
func plugReserve(ln net.Listener, name string) (net.Listener, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	plug, err := winio.DialPipeContext(ctx, name)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("control pipe %s: occupy the reserve instance (Wine): %w", name, err)
	}
	return &pluggedListener{Listener: ln, plug: plug}, nil
}

type pluggedListener struct {
	net.Listener
	plug net.Conn
}

func (l *pluggedListener) Close() error {
	err := l.Listener.Close()
	l.plug.Close()
	return err
}

func cleanup(net.Listener) {}

// dialer returns how a client reaches the server of dataDir.
func dialer(dataDir string) (network, addr string, err error) {
	name, err := PipeName(dataDir)
	if err != nil {
		return "", "", err
	}
	return "pipe", name, nil
}

// dialContext opens the pipe and checks that the current user owns it
// before any request goes out, so a pipe another user created under the
// same name never sees a command.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "pipe" {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	c, err := winio.DialPipeContext(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := checkOwner(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// errForeignPipe means the pipe exists but is not the current user's.
var errForeignPipe = errors.New("the control pipe belongs to another user")

func checkOwner(c net.Conn) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return fmt.Errorf("control pipe: cannot read its owner (%T)", c)
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("control pipe: read its owner: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("control pipe: read its owner: %w", err)
	}
	me, err := currentUser()
	if err != nil {
		return err
	}
	if !owner.Equals(me) {
		return fmt.Errorf("%w (%s)", errForeignPipe, owner)
	}
	return nil
}

// currentUser is the SID of the user this process runs as.
func currentUser() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("control pipe: who am I: %w", err)
	}
	return u.User.Sid, nil
}
