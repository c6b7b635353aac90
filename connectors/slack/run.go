package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Run implements model.Connector. It signs in, starts Socket Mode when an
// app-level token is given, and sweeps: at once (backfilling from the
// cursors), then every PollInterval (SocketSweep while Socket Mode is up)
// and on Wake. Periodic sweeps look at dormant DMs only every tenth time;
// the first sweep, sweeps after Wake or a failure, and every tenth sweep
// read every conversation. A 429 pauses it until Retry-After; an unreachable workspace
// makes it back off exponentially; a rejected token stops it until Wake.
// It returns nil when ctx is done.
func (c *Connector) Run(ctx context.Context, sink model.Sink) error {
	if sink == nil {
		return errNoSink
	}
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
	c.report(model.HealthStarting, "connecting", time.Time{})
	defer c.report(model.HealthStopped, "", time.Time{})

	var (
		failures   int
		stopSocket func()
		sweeps     int
		full       = true // the first sweep backfills everything
	)
	defer func() {
		if stopSocket != nil {
			stopSocket()
		}
	}()
	for {
		s, err := c.session(ctx)
		if err == nil {
			if stopSocket == nil && s.appToken != "" {
				stopSocket = c.startSocket(ctx, s)
			}
			err = c.sweep(ctx, s, full)
		}
		if ctx.Err() != nil {
			return nil
		}
		var rl *rateLimitError
		switch {
		case err == nil:
			failures = 0
			sweeps++
			c.report(model.HealthConnected, c.connectedDetail(), time.Time{})
			interval := c.opt.PollInterval
			if c.socketUp.Load() {
				interval = c.opt.SocketSweep
			}
			woke := c.waitOrWake(ctx, jitter(interval))
			// After a wake (resume, new socket) nothing may be skipped.
			full = woke || sweeps%fullSweepEvery == 0
		case errors.As(err, &rl):
			// Retry-After is honoured even if Wake is called meanwhile.
			c.report(model.HealthRateLimited, "rate limited until "+rl.Until.Format(time.TimeOnly), rl.Until)
			_ = c.sleepUntil(ctx, rl.Until)
		case errors.Is(err, ErrAuth):
			if stopSocket != nil {
				stopSocket()
				stopSocket = nil
			}
			c.dropSession()
			c.log.Warn("authentication failed; waiting for a new token", "err", err)
			c.report(model.HealthAuthFailed, err.Error(), time.Time{})
			c.waitOrWake(ctx, 0) // no retry loop: only Wake (or a rebuild) tries again
			c.report(model.HealthStarting, "connecting", time.Time{})
		default:
			failures++
			d := backoff(failures)
			until := c.clk.Now().Add(d)
			c.log.Warn("sweep failed; backing off", "err", err, "retry_in", d)
			c.report(model.HealthBackingOff, fmt.Sprintf("workspace unreachable: %v", err), until)
			c.waitOrWake(ctx, d)
		}
		if err != nil {
			full = true // whatever was missed while failing is fetched next
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// waitOrWake waits d (forever if d is 0), until Wake, or until ctx is
// done. It reports whether Wake ended the wait.
func (c *Connector) waitOrWake(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := c.clk.NewTimer(d)
		defer t.Stop()
		timer = t.C()
	}
	select {
	case <-ctx.Done():
	case <-c.wake:
		return true
	case <-timer:
	}
	return false
}

func (c *Connector) connectedDetail() string {
	detail := fmt.Sprintf("polling every %s", c.opt.PollInterval)
	switch {
	case c.socketUp.Load():
		detail = "Socket Mode"
	case c.socketOff.Load():
		detail += "; app-level token refused, Socket Mode off"
	}
	c.cacheMu.Lock()
	missing := c.missing
	c.cacheMu.Unlock()
	for _, m := range missing {
		detail += "; channel " + m + " not found"
	}
	return detail
}

// report records the connector's condition with the sink when it changed.
func (c *Connector) report(state model.HealthState, detail string, until time.Time) {
	c.mu.Lock()
	h := c.health
	if h.State == state && h.Detail == detail && h.Until.Equal(until) {
		c.mu.Unlock()
		return
	}
	if h.State != state || h.Since.IsZero() {
		h.Since = c.clk.Now()
	}
	h.State, h.Detail, h.Until = state, detail, until
	c.health = h
	sink := c.sink
	c.mu.Unlock()
	if sink != nil {
		sink.ReportHealth(h)
	}
}

// Health returns the connector's last reported condition.
func (c *Connector) Health() model.Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}
