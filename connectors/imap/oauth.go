package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/model"
)

// Auth is how the connector logs in.
type Auth string

// Login methods.
const (
	// AuthPassword logs in with LOGIN, or AUTHENTICATE PLAIN where LOGIN is
	// disabled, with Options.Password. The default.
	AuthPassword Auth = "password"
	// AuthOAuth2 presents an OAuth2 access token from Options.Token with
	// AUTHENTICATE XOAUTH2 or OAUTHBEARER.
	AuthOAuth2 Auth = "oauth2"
)

// validateAuth checks the login options of New.
func validateAuth(opt *Options) error {
	switch opt.Auth {
	case "", AuthPassword:
		opt.Auth = AuthPassword
		if opt.Password == nil {
			return errors.New("password source is required")
		}
	case AuthOAuth2:
		if opt.Token == nil {
			return errors.New("oauth2 needs a token source")
		}
		opt.Mechanism = strings.ToUpper(strings.TrimSpace(opt.Mechanism))
		switch opt.Mechanism {
		case "", MechXOAUTH2, MechOAuthBearer:
		default:
			return fmt.Errorf("mechanism %q: want XOAUTH2 or OAUTHBEARER", opt.Mechanism)
		}
	default:
		return fmt.Errorf("auth %q: want password or oauth2", opt.Auth)
	}
	return nil
}

// signInError is a login that only the user signing in again can fix:
// the token source has no usable sign-in, or the server refused an access
// token fresh from the provider. It wraps ErrAuth (retrying does not help)
// and model.ErrSignInNeeded (the health says so).
type signInError struct{ err error }

func (e *signInError) Error() string        { return e.err.Error() }
func (e *signInError) Unwrap() error        { return e.err }
func (e *signInError) Is(target error) bool { return target == ErrAuth }

// signIn wraps err, which must already wrap model.ErrSignInNeeded.
func signIn(err error) error { return &signInError{err: err} }

// authState is the health a refused login leaves the account in.
func authState(err error) model.HealthState {
	if errors.Is(err, model.ErrSignInNeeded) {
		return model.HealthSignInNeeded
	}
	return model.HealthAuthFailed
}

// credential returns what a login presents: the password, or a current
// OAuth2 access token. A token source that says the user must sign in
// gives an error wrapping ErrAuth, so that nobody asks the server.
func (c *Connector) credential(ctx context.Context) (string, error) {
	if c.opt.Auth != AuthOAuth2 {
		pw, err := c.opt.Password(ctx)
		if err != nil {
			return "", fmt.Errorf("get password: %w", err)
		}
		return pw, nil
	}
	tok, err := c.opt.Token(ctx)
	switch {
	case errors.Is(err, model.ErrSignInNeeded):
		return "", signIn(err)
	case err != nil:
		return "", fmt.Errorf("get access token: %w", err)
	case tok == "":
		return "", errors.New("get access token: the token source returned none")
	}
	return tok, nil
}

// dial connects and logs in with the password or access token. When the
// server refuses an access token, the token is refreshed once and the
// login tried again on a new connection (servers delay or drop a
// connection's further attempts: Dovecot waits seconds before answering a
// second one). A second refusal that is not a passing server condition
// means the user must sign in again.
func (c *Connector) dial(ctx context.Context, secret string) (*conn, error) {
	k, err := c.dialOnce(ctx, secret)
	var r *tokenRefused
	if c.opt.Auth != AuthOAuth2 || !errors.As(err, &r) {
		return k, err
	}
	if c.opt.Refresh == nil {
		return nil, signIn(fmt.Errorf("the server refused the access token (%s): %w", r.reply, model.ErrSignInNeeded))
	}
	c.log.Info("access token refused; refreshing it once", "mechanism", r.mech, "reply", r.reply)
	fresh, rerr := c.opt.Refresh(ctx, secret)
	switch {
	case errors.Is(rerr, model.ErrSignInNeeded):
		return nil, signIn(rerr)
	case rerr != nil:
		return nil, fmt.Errorf("refresh the access token the server refused (%s): %w", r.reply, rerr)
	case fresh == "":
		return nil, errors.New("refresh the access token: the token source returned none")
	}
	k, err = c.dialOnce(ctx, fresh)
	if !errors.As(err, &r) {
		return k, err
	}
	var ie *imap.Error
	if errors.As(r.err, &ie) && (ie.Type != imap.StatusResponseTypeNo || transientCode(ie.Code)) {
		// BAD, or NO [UNAVAILABLE]: not a verdict on the token.
		return nil, fmt.Errorf("login: %w", r.err)
	}
	return nil, signIn(fmt.Errorf("the server refused a freshly refreshed access token (%s): %w", r.reply, model.ErrSignInNeeded))
}

// tokenRefused is the server's answer to AUTHENTICATE with an access
// token, before anyone decided what it means.
type tokenRefused struct {
	mech  string
	reply string // the NO and the error challenge, in words
	err   error  // the *imap.Error
}

func (e *tokenRefused) Error() string { return "access token refused: " + e.reply }
func (e *tokenRefused) Unwrap() error { return e.err }

// loginOAuth authenticates with an access token. A refusal is a
// *tokenRefused, for dial to act on.
func (k *conn) loginOAuth(token string) error {
	mech, err := k.oauthMechanism()
	if err != nil {
		return err
	}
	b, err := k.authenticate(mech, token)
	if refused(err) {
		return &tokenRefused{mech: mech, reply: describeRefusal(err, b), err: err}
	}
	return err
}

// authenticate runs one AUTHENTICATE exchange under the watchdog.
func (k *conn) authenticate(mech, token string) (*bearerClient, error) {
	b := &bearerClient{mech: mech, user: k.c.opt.Username, token: token, host: k.c.opt.Host, port: k.c.opt.Port}
	err := k.guard(func() error { return k.cl.Authenticate(b) })
	if err == nil {
		k.caps = k.capabilities()
	}
	return b, err
}

// refused reports whether err is the server's answer to AUTHENTICATE
// rather than a lost connection or a timeout.
func refused(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}

// describeRefusal words the server's NO and what its error challenge said.
func describeRefusal(err error, b *bearerClient) string {
	s := describe(err)
	if b != nil && b.refused != nil {
		if r := b.refused.String(); r != "" {
			s += "; " + r
		}
	}
	return s
}

// oauthMechanism picks the SASL mechanism: the configured one, or
// OAUTHBEARER where the server offers it and XOAUTH2 otherwise. A server
// that offers neither (or not the configured one) cannot be signed in to
// with OAuth2 at all: that is the user's to fix, not to retry.
func (k *conn) oauthMechanism() (string, error) {
	caps := k.capabilities()
	offers := func(m string) bool { return caps.Has(imap.AuthCap(m)) }
	want := k.c.opt.Mechanism
	switch {
	case want != "" && offers(want):
		return want, nil
	case want == "" && offers(MechOAuthBearer):
		return MechOAuthBearer, nil
	case want == "" && offers(MechXOAUTH2):
		return MechXOAUTH2, nil
	}
	var mechs []string
	for c := range caps {
		if m, ok := strings.CutPrefix(string(c), "AUTH="); ok {
			mechs = append(mechs, m)
		}
	}
	slices.Sort(mechs)
	offered := "none"
	if len(mechs) > 0 {
		offered = strings.Join(mechs, " ")
	}
	what := "OAuth2 (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)"
	if want != "" {
		what = "AUTH=" + want
	}
	return "", &authError{err: fmt.Errorf("the server does not offer %s; its login mechanisms: %s", what, offered)}
}
