//go:build !windows

package control

import (
	"os"
	"testing"
)

func TestSocketIsPrivate(t *testing.T) {
	_, dir := serve(t, &fakeBackend{})
	fi, err := os.Stat(SocketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v, want mode 600", fi, err)
	}
}

func TestLongDataDirGetsAShortSocket(t *testing.T) {
	long := "/tmp/sluice-a-very-long-data-directory-name-that-goes-on-and-on-and-on-and-on-for-ever/and-deeper"
	if p := SocketPath(long); len(p) >= 100 {
		t.Fatalf("socket path %q is %d bytes, want < 100", p, len(p))
	}
}
