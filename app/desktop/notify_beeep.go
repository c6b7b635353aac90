//go:build !linux && !windows

package desktop

import "github.com/gen2brain/beeep"

// systemNotify shows n through the platform's notification service.
func systemNotify(n Note) error { return beeep.Notify(n.Title, n.Body, noteIcon()) }
