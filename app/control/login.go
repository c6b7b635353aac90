package control

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Signing in to an OAuth2 account happens in the running Sluice, which
// keeps the sign-in's access token in memory for the account's connector;
// the CLI, the tray and the windows only start it and watch it.

// LoginBackend is implemented by a backend that can sign accounts in with
// OAuth2 (the running app does).
type LoginBackend interface {
	AccountLogin(name string, req LoginRequest) (LoginStatus, error)
	AccountLoginStatus(name string) (LoginStatus, error)
}

// LoginRequest starts a sign-in.
type LoginRequest struct {
	// Device uses the device-code flow (a code to enter on any device)
	// instead of the browser on this computer.
	Device bool `json:"device,omitempty"`
	// OpenBrowser asks the running Sluice to open the sign-in page in the
	// browser itself (the tray and the windows do; the CLI opens it from
	// the user's shell, so that its $BROWSER counts).
	OpenBrowser bool `json:"open_browser,omitempty"`
}

// Sign-in states.
const (
	LoginNone    = "none"    // no sign-in started since Sluice started
	LoginWaiting = "waiting" // waiting for the user in the browser, or for the code
	LoginDone    = "done"    // signed in; the account connects
	LoginFailed  = "failed"  // see Error
)

// LoginStatus is where an account's sign-in stands, and what the user has
// to do: open URL in a browser, or enter UserCode at VerificationURI.
type LoginStatus struct {
	Account         string    `json:"account"`
	Provider        string    `json:"provider,omitempty"` // "Google", "Microsoft", the issuer's host
	State           string    `json:"state"`
	URL             string    `json:"url,omitempty"`
	UserCode        string    `json:"user_code,omitempty"`
	VerificationURI string    `json:"verification_uri,omitempty"`
	Expires         time.Time `json:"expires,omitzero"`
	// Opened says the running Sluice opened the browser; OpenError why it
	// could not (the URL still works by hand).
	Opened    bool   `json:"opened,omitempty"`
	OpenError string `json:"open_error,omitempty"`
	Error     string `json:"error,omitempty"` // why it failed
}

// loginRoutes serves the sign-in endpoints when the backend signs in.
func (s *Server) loginRoutes(h handle) {
	lb, ok := s.b.(LoginBackend)
	if !ok {
		return
	}
	h("POST /v1/accounts/{name}/login", func(r *http.Request) (any, error) {
		var req LoginRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return lb.AccountLogin(r.PathValue("name"), req)
	})
	h("GET /v1/accounts/{name}/login", func(r *http.Request) (any, error) {
		return lb.AccountLoginStatus(r.PathValue("name"))
	})
}

// AccountLogin starts (or joins) an OAuth2 sign-in of an account in the
// running Sluice. It returns once the user has something to do (or the
// sign-in failed before that); poll LoginStatus until it is done.
func (c *Client) AccountLogin(ctx context.Context, name string, req LoginRequest) (LoginStatus, error) {
	var r LoginStatus
	return r, c.do(ctx, "POST", "/v1/accounts/"+url.PathEscape(name)+"/login", req, &r)
}

// LoginStatus reports where an account's sign-in stands.
func (c *Client) LoginStatus(ctx context.Context, name string) (LoginStatus, error) {
	var r LoginStatus
	return r, c.do(ctx, "GET", "/v1/accounts/"+url.PathEscape(name)+"/login", nil, &r)
}

// WaitLogin polls an account's sign-in every interval until it is no
// longer waiting, or ctx ends.
func (c *Client) WaitLogin(ctx context.Context, name string, interval time.Duration) (LoginStatus, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		st, err := c.LoginStatus(ctx, name)
		if err != nil || st.State != LoginWaiting {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-t.C:
		}
	}
}

// ErrLoginFailed is returned by LoginStatus.Err for a failed sign-in.
var ErrLoginFailed = errors.New("sign-in failed")

// Err is the failure as an error, or nil.
func (s LoginStatus) Err() error {
	if s.State != LoginFailed {
		return nil
	}
	return &loginError{msg: s.Error}
}

type loginError struct{ msg string }

func (e *loginError) Error() string        { return e.msg }
func (e *loginError) Is(target error) bool { return target == ErrLoginFailed }
