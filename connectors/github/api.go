package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateLimitError means GitHub asked us to wait until Until: a primary limit
// (X-RateLimit-Remaining 0 until X-RateLimit-Reset) or a secondary one
// (403/429 with Retry-After, or at least a minute without it).
type rateLimitError struct {
	Until     time.Time
	Secondary bool
}

func (e *rateLimitError) Error() string {
	kind := "rate limit"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	return fmt.Sprintf("%s until %s", kind, e.Until.Format(time.TimeOnly))
}

// statusError is an answer GitHub gave that is neither success, a rate
// limit nor an auth failure (5xx, 404, …).
type statusError struct {
	Code int
	Msg  string
}

func (e *statusError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("github: HTTP %d", e.Code)
	}
	return fmt.Sprintf("github: HTTP %d: %s", e.Code, e.Msg)
}

// onAPI reports whether u points at the configured API, so the token is
// never sent anywhere else (a Link or subject URL from a hostile page).
func (c *Connector) onAPI(u string) bool {
	return strings.HasPrefix(u, c.api.String())
}

// get sends an authenticated GET and decodes a 200's JSON into out (when
// not nil). A 304 answer is returned with a nil error and out untouched.
// ims, when set, is sent as If-Modified-Since.
func (c *Connector) get(ctx context.Context, tok, u, ims string, out any) (*http.Response, error) {
	return c.do(ctx, http.MethodGet, tok, u, ims, out)
}

func (c *Connector) do(ctx context.Context, method, tok, u, ims string, out any) (*http.Response, error) {
	if !c.onAPI(u) {
		return nil, fmt.Errorf("github: refusing to send the token to %q, outside %s", u, c.api)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", apiVersion)
	req.Header.Set("User-Agent", "Sluice")
	if ims != "" {
		req.Header.Set("If-Modified-Since", ims)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp, fmt.Errorf("github: read answer: %w", err)
	}
	if err := c.classify(resp, body); err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp, fmt.Errorf("github: decode %s: %w", req.URL.Path, err)
		}
	}
	return resp, nil
}

// classify turns a non-success answer into an error: ErrAuth, a rate
// limit, or a statusError.
func (c *Connector) classify(resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code < 300 || code == http.StatusNotModified {
		return nil
	}
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	msg := e.Message
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	now := c.clk.Now()
	h := resp.Header
	if code == http.StatusForbidden || code == http.StatusTooManyRequests {
		if ra := h.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && secs >= 0 {
				return &rateLimitError{Until: now.Add(time.Duration(secs) * time.Second), Secondary: true}
			}
			if t, err := http.ParseTime(ra); err == nil {
				return &rateLimitError{Until: t, Secondary: true}
			}
		}
		if h.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				until := time.Unix(reset, 0)
				if until.Before(now) {
					until = now.Add(secondaryWait)
				}
				return &rateLimitError{Until: until}
			}
		}
		if code == http.StatusTooManyRequests || strings.Contains(strings.ToLower(msg), "rate limit") {
			return &rateLimitError{Until: now.Add(secondaryWait), Secondary: true}
		}
		return fmt.Errorf("%w: %s", ErrAuth, or(msg, "forbidden (does the token have the notifications scope?)"))
	}
	if code == http.StatusUnauthorized {
		return fmt.Errorf("%w: %s", ErrAuth, or(msg, "bad credentials"))
	}
	return &statusError{Code: code, Msg: msg}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// nextLink returns the rel="next" URL of a Link header, or "".
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.TrimSpace(k) == "rel" && strings.Trim(strings.TrimSpace(val), `"`) == "next" {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// pollInterval is the X-Poll-Interval GitHub asked for, or 0.
func pollInterval(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Poll-Interval")))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// exhausted returns the reset time when the primary limit is used up.
func exhausted(h http.Header) (time.Time, bool) {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return time.Time{}, false
	}
	reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(reset, 0), true
}

var errNoSink = errors.New("github: Run needs a sink")
