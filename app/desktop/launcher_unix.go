//go:build !windows

package desktop

import (
	"os"
	"syscall"
)

// terminate asks a window process to close.
func terminate(p *os.Process) { p.Signal(syscall.SIGTERM) }
