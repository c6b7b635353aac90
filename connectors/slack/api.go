package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/sluice-app/sluice/app/clock"
)

// authErrors are Slack's error codes that mean the token itself is bad.
var authErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "token_revoked": true,
	"token_expired": true, "account_inactive": true,
	"org_login_required": true, "two_factor_setup_required": true,
	"ekm_access_denied": true, "team_access_not_granted": true,
}

// limiter spaces calls and remembers, per method, until when Slack asked
// us to wait (Slack's rate limits are per method and workspace).
type limiter struct {
	clk clock.Clock
	gap time.Duration

	mu    sync.Mutex
	next  time.Time            // earliest start of the next call
	until map[string]time.Time // method → no call before this (429)
}

// reserve returns when the caller may call method: after the method's
// rate limit and at least gap after the previous call's slot.
func (l *limiter) reserve(method string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.clk.Now()
	if u := l.until[method]; u.After(at) {
		at = u
	}
	if l.next.After(at) {
		at = l.next
	}
	l.next = at.Add(l.gap)
	return at
}

func (l *limiter) limit(method string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.until == nil {
		l.until = map[string]time.Time{}
	}
	if until.After(l.until[method]) {
		l.until[method] = until
	}
}

// rateLimitError is a 429: no call to Method before Until.
type rateLimitError struct {
	Method string
	Until  time.Time
}

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("%s: rate limited until %s", e.Method, e.Until.Format(time.TimeOnly))
}

// apiError is Slack answering ok:false for one call (channel_not_found,
// missing_scope, …): that call failed, the connection is fine.
type apiError struct {
	Method string
	Code   string
}

func (e *apiError) Error() string { return e.Method + ": " + e.Code }

// call runs fn (one Web API method) within the limiter and turns Slack's
// failures into ErrAuth, *rateLimitError, *apiError or a transport error.
func (c *Connector) call(ctx context.Context, method string, fn func(context.Context) error) error {
	if err := c.sleepUntil(ctx, c.lim.reserve(method)); err != nil {
		return err
	}
	err := fn(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var (
		rl   *slackapi.RateLimitedError
		resp slackapi.SlackErrorResponse
		code slackapi.StatusCodeError
	)
	switch {
	case errors.As(err, &rl):
		after := rl.RetryAfter
		if after <= 0 {
			after = time.Second
		}
		return c.rateLimited(method, after)
	case errors.As(err, &code) && code.Code == http.StatusTooManyRequests:
		return c.rateLimited(method, defaultRetryAfter)
	case errors.As(err, &resp):
		switch {
		case authErrors[resp.Err]:
			return fmt.Errorf("%w: %s: %s", ErrAuth, method, resp.Err)
		case resp.Err == "ratelimited":
			return c.rateLimited(method, defaultRetryAfter)
		}
		return &apiError{Method: method, Code: resp.Err}
	case errors.As(err, &code) && (code.Code == http.StatusUnauthorized || code.Code == http.StatusForbidden):
		return fmt.Errorf("%w: %s: HTTP %d", ErrAuth, method, code.Code)
	}
	return fmt.Errorf("%s: %w", method, err)
}

func (c *Connector) rateLimited(method string, after time.Duration) error {
	until := c.clk.Now().Add(after)
	c.lim.limit(method, until)
	c.log.Warn("rate limited", "method", method, "retry_after", after)
	return &rateLimitError{Method: method, Until: until}
}

// sleepUntil waits on the connector's clock until t or ctx is done.
func (c *Connector) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(c.clk.Now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := c.clk.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C():
		return nil
	}
}

// isAPIError reports a per-call refusal that should skip one conversation,
// not stop the sweep.
func isAPIError(err error) bool {
	var e *apiError
	return errors.As(err, &e)
}

// apiCode returns the Slack error code of an *apiError, or "".
func apiCode(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
