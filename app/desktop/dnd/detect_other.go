//go:build !linux && !darwin && !windows

package dnd

import "context"

// DetectSystem finds the desktop's do-not-disturb. Sluice drives the
// session bus's notification servers on Linux only for now.
func DetectSystem(context.Context, Settings) (Backend, error) {
	return &unsupported{server: "", why: "this system is not supported yet"}, nil
}
