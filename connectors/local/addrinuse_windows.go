package local

import (
	"errors"

	"golang.org/x/sys/windows"
)

// addrInUse reports whether a listen failed because the port is taken
// (WSAEADDRINUSE: Windows words it "Only one usage of each socket
// address…", Wine "winapi error #10048").
func addrInUse(err error) bool { return errors.Is(err, windows.WSAEADDRINUSE) }
