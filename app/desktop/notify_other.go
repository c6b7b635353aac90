//go:build !linux

package desktop

import (
	"context"
	"time"

	"github.com/sluice-app/sluice/app/desktop/dnd"
)

// send shows n through the platform's notification service; it has no
// id to follow.
func (s *session) send(n Note) (uint32, error) { return 0, s.notify(n) }

// urgentShown is how long the desktop stays open for an urgent
// notification where Sluice cannot see it close.
const urgentShown = 10 * time.Second

// whenClosed calls fn once the urgent notification has been on screen
// for a while: the platform does not report when it closes.
func (s *session) whenClosed(ctx context.Context, _ uint32, fn func()) {
	go func() {
		defer fn()
		t := time.NewTimer(urgentShown)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}()
}

// watchServer: there is no notification server to watch here.
func (s *session) watchServer(func()) (stop func()) { return func() {} }

// dndDetect finds the system's do-not-disturb (a Focus, Focus Assist).
func (s *session) dndDetect() func(context.Context, dnd.Settings) (dnd.Backend, error) {
	return dnd.DetectSystem
}

// dndWatcher: other apps' notifications can be watched on Linux only.
func (s *session) dndWatcher() dnd.Watcher { return nil }
