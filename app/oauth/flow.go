package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/sluice-app/sluice/app/clock"
)

// DefaultTimeout is how long a sign-in waits for the user.
const DefaultTimeout = 5 * time.Minute

// Errors of a sign-in that callers test for.
var (
	// ErrTimeout means the user did not finish signing in in time.
	ErrTimeout = errors.New("sign-in timed out")
	// ErrState means the browser came back with another sign-in's state.
	ErrState = errors.New("the answer does not belong to this sign-in")
	// ErrDenied means the provider (or the user) refused access.
	ErrDenied = errors.New("access was not granted")
	// ErrNoRefreshToken means the provider signed the user in but gave no
	// refresh token, so Sluice could not stay signed in.
	ErrNoRefreshToken = errors.New("the provider gave no refresh token")
)

// Prompt is what the user has to do to sign in: open URL (the browser
// flow), or visit VerificationURI and enter UserCode (the device flow).
type Prompt struct {
	URL             string    `json:"url,omitempty"`
	UserCode        string    `json:"user_code,omitempty"`
	VerificationURI string    `json:"verification_uri,omitempty"`
	Expires         time.Time `json:"expires,omitzero"` // when the sign-in gives up
}

// LoginOptions tune Login.
type LoginOptions struct {
	// Device uses the device-code flow instead of the browser.
	Device bool
	// Timeout is how long to wait for the user; DefaultTimeout when zero.
	Timeout time.Duration
	// Prompt is called once, as soon as the user has something to do (open
	// the URL in a browser, or enter the code). Required.
	Prompt func(Prompt)
	// Clock times the wait; the machine's when nil.
	Clock clock.Clock
	// Logger receives progress, never a code or a token; nil discards.
	Logger *slog.Logger
}

// Login signs the user in and returns the provider's token, with a
// refresh token (ErrNoRefreshToken otherwise). It returns when the sign-in
// is done, failed, timed out, or ctx ends.
func (c *Client) Login(ctx context.Context, opt LoginOptions) (*oauth2.Token, error) {
	if opt.Prompt == nil {
		return nil, errors.New("oauth: LoginOptions.Prompt is required")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	log := opt.Logger.With("component", "oauth", "account", c.s.Account, "provider", c.title)

	// The whole sign-in ends at the deadline, on the injected clock.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := opt.Clock.NewTimer(opt.Timeout)
	defer timer.Stop()
	expires := opt.Clock.Now().Add(opt.Timeout)
	go func() {
		select {
		case <-timer.C():
			cancel(fmt.Errorf("%w: no answer within %v; start the sign-in again", ErrTimeout, opt.Timeout))
		case <-ctx.Done():
		}
	}()

	var tok *oauth2.Token
	var err error
	if opt.Device {
		tok, err = c.deviceLogin(ctx, opt, expires, log)
	} else {
		tok, err = c.browserLogin(ctx, opt, expires, log)
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.Is(cause, ErrTimeout) {
			err = cause
		}
		log.Info("sign-in failed", "err", err)
		return nil, err
	}
	if tok.RefreshToken == "" {
		hint := ""
		if c.s.Provider == OIDC && !slices.Contains(c.conf.Scopes, "offline_access") {
			hint = " (ask for the offline_access scope in oauth_scopes)"
		}
		return nil, fmt.Errorf("%w%s; Sluice would have to ask you to sign in again within the hour", ErrNoRefreshToken, hint)
	}
	log.Info("signed in")
	return tok, nil
}

// callback is what the browser brought back to the loopback listener.
type callback struct {
	code string
	err  error
}

// browserLogin runs the authorization-code flow with PKCE: a listener on
// 127.0.0.1 with an ephemeral port catches the redirect, and its state
// must be the one sent.
func (c *Client) browserLogin(ctx context.Context, opt LoginOptions, expires time.Time, log *slog.Logger) (*oauth2.Token, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the browser's answer: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	conf := *c.conf
	conf.RedirectURL = "http://" + net.JoinHostPort(c.redirectHost, strconv.Itoa(port))
	state := randomString()
	verifier := oauth2.GenerateVerifier()

	results := make(chan callback, 1)
	var once sync.Once
	finish := func(cb callback) { once.Do(func() { results <- cb }) }
	srv := &http.Server{
		Handler:           c.redirectHandler(state, finish),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	params := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, c.authParams...)
	opt.Prompt(Prompt{URL: conf.AuthCodeURL(state, params...), Expires: expires})
	log.Info("waiting for the browser", "redirect_port", port)

	var cb callback
	select {
	case cb = <-results:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if cb.err != nil {
		return nil, cb.err
	}
	tok, err := conf.Exchange(c.ctx(ctx), cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the sign-in code at %s: %w", c.title, err)
	}
	return tok, nil
}

// redirectHandler serves the loopback redirect: the provider's answer is
// checked against state and handed to finish; the browser gets a page
// that says what happened. Requests without an answer (a favicon, the bare
// address typed in) are told to wait and change nothing.
func (c *Client) redirectHandler(state string, finish func(callback)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page := func(code int, title, text string) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>Sluice</title><h1>%s</h1><p>%s</p>\n",
				html.EscapeString(title), html.EscapeString(text))
		}
		if r.URL.Path != "/" || (q.Get("code") == "" && q.Get("error") == "") {
			page(http.StatusNotFound, "Sluice is waiting for your sign-in", "This page is only for the answer of the sign-in Sluice opened.")
			return
		}
		if q.Get("state") != state {
			finish(callback{err: fmt.Errorf("%w: the browser came back with a state Sluice did not send (an old sign-in page, or a forged request); nothing was accepted, sign in again", ErrState)})
			page(http.StatusBadRequest, "Sign-in refused", "This answer does not belong to the sign-in Sluice started. Start the sign-in again from Sluice.")
			return
		}
		if e := q.Get("error"); e != "" {
			desc := q.Get("error_description")
			if len(desc) > 300 {
				desc = desc[:300] + "…"
			}
			err := fmt.Errorf("%w: %s said %q", ErrDenied, c.title, e)
			if desc != "" {
				err = fmt.Errorf("%w: %s said %q: %s", ErrDenied, c.title, e, desc)
			}
			finish(callback{err: err})
			page(http.StatusOK, "Sign-in not completed", c.title+" did not grant access ("+e+"). You can close this tab; Sluice says what happened.")
			return
		}
		finish(callback{code: q.Get("code")})
		page(http.StatusOK, "Signed in", "Sluice is signed in to "+c.title+". You can close this tab.")
	})
}

// deviceLogin runs the device-code flow (RFC 8628).
func (c *Client) deviceLogin(ctx context.Context, opt LoginOptions, expires time.Time, log *slog.Logger) (*oauth2.Token, error) {
	if c.noDevice != "" {
		return nil, fmt.Errorf("%w: %s", ErrDeviceUnsupported, c.noDevice)
	}
	da, err := c.conf.DeviceAuth(c.ctx(ctx), c.authParams...)
	if err != nil {
		return nil, fmt.Errorf("start a device-code sign-in at %s: %w", c.title, err)
	}
	if !da.Expiry.IsZero() && da.Expiry.Before(expires) {
		expires = da.Expiry
	}
	uri := da.VerificationURI
	opt.Prompt(Prompt{UserCode: da.UserCode, VerificationURI: uri, Expires: expires})
	log.Info("waiting for the code to be entered")
	tok, err := c.conf.DeviceAccessToken(c.ctx(ctx), da)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "access_denied" || re.ErrorCode == "expired_token") {
			return nil, fmt.Errorf("%w: %s said %q", ErrDenied, c.title, re.ErrorCode)
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("device-code sign-in at %s: %w", c.title, err)
	}
	return tok, nil
}

// randomString is 32 bytes from crypto/rand, URL-safe.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
