//go:build sluicetest && !windows

package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluice-app/sluice/app/clock"
)

// This file is compiled only with the sluicetest build tag, which the
// end-to-end tests of cmd/sluice set: a release build has no way to move
// its clock.

// EnvTestJump names a file holding an RFC 3339 instant. On SIGUSR1 the
// daemon's clock jumps to it (forwards or backwards) and the daemon wakes
// as after a suspend, as when a laptop's clock moved while it slept.
const EnvTestJump = "SLUICE_TEST_JUMP_FILE"

func init() { testClock = jumpClock }

// jumpable is a clock whose offset from base can change at run time.
// Timers run at real speed, as the machine's do across a clock jump.
type jumpable struct {
	base clock.Clock
	off  atomic.Int64 // nanoseconds
}

func (j *jumpable) Now() time.Time {
	return j.base.Now().Add(time.Duration(j.off.Load()))
}

func (j *jumpable) NewTimer(d time.Duration) clock.Timer { return j.base.NewTimer(d) }

func jumpClock(base clock.Clock, log *slog.Logger) (clock.Clock, func(ctx context.Context, wake func())) {
	path := os.Getenv(EnvTestJump)
	if path == "" {
		return base, nil
	}
	j := &jumpable{base: base}
	return j, func(ctx context.Context, wake func()) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1)
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
			b, err := os.ReadFile(path)
			if err != nil {
				log.Error("test clock jump", "err", err)
				continue
			}
			to, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
			if err != nil {
				log.Error("test clock jump", "err", err)
				continue
			}
			j.off.Store(int64(to.Sub(base.Now())))
			log.Warn("test clock jumped", "now", j.Now())
			wake()
		}
	}
}
