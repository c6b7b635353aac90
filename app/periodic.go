package app

import (
	"context"
	"time"

	"github.com/sluice-app/sluice/app/clock"
)

// kicker asks a periodic loop for a pass soon; kicks that come while one
// is pending are one.
type kicker chan struct{}

func newKicker() kicker { return make(kicker, 1) }

// Kick asks for a pass soon.
func (k kicker) Kick() {
	select {
	case k <- struct{}{}:
	default:
	}
}

// periodic runs pass at once, then whenever kick fires or wait() has gone
// by on clk since the last pass, until ctx is done.
func periodic(ctx context.Context, clk clock.Clock, kick kicker, wait func() time.Duration, pass func(context.Context)) {
	for {
		pass(ctx)
		t := clk.NewTimer(wait())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-kick:
			t.Stop()
		}
	}
}
