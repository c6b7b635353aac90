//go:build !windows && !linux && !darwin && !freebsd

package control

import "net"

// peerUID cannot name the peer here; the client relies on the socket
// file's owner and its private directory.
func peerUID(*net.UnixConn) (int, error) { return -1, errNoPeerCred }
