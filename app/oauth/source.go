package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/secrets"
)

// Source keeps one account's access token: in memory only, refreshed from
// the refresh token in the keyring shortly before it expires or when the
// server refused it. It is safe for concurrent use; concurrent callers
// share one refresh.
type Source struct {
	s   Settings
	hc  *http.Client
	clk clock.Clock
	log *slog.Logger

	mu       sync.Mutex
	client   *Client // resolved on first use (OIDC discovery needs the network)
	access   string
	expiry   time.Time // zero: unknown, used until refused
	lifetime time.Duration
	rejected [sha256.Size]byte // hash of the refresh token the provider refused
	refusal  error             // what it said then
}

// SourceOptions tune a Source.
type SourceOptions struct {
	HTTPClient *http.Client // nil: DefaultHTTPClient
	Clock      clock.Clock  // nil: the machine's
	Logger     *slog.Logger // nil: discarded; never sees a token
}

// NewSource makes the token source of an account. It does no I/O.
func NewSource(s Settings, opt SourceOptions) *Source {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Source{s: s, hc: opt.HTTPClient, clk: opt.Clock,
		log: opt.Logger.With("component", "oauth", "account", s.Account)}
}

// Settings returns the settings the source was made with.
func (s *Source) Settings() Settings { return s.s }

// Token returns a current access token, refreshing it first when it
// expires soon. An error wrapping model.ErrSignInNeeded means only a new
// sign-in helps: no refresh token is stored, or the provider refused it
// (it is not asked again until a new one is stored).
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && !s.expiresSoon() {
		return s.access, nil
	}
	return s.refreshLocked(ctx)
}

// Refresh is called when a server refused rejected: it gets a new access
// token from the provider, unless another caller already did.
func (s *Source) Refresh(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && s.access != rejected && !s.expiresSoon() {
		return s.access, nil
	}
	s.access = ""
	return s.refreshLocked(ctx)
}

// Set keeps the access token of a sign-in that just happened (Login), so
// the first login needs no refresh, and forgets an earlier refusal.
func (s *Source) Set(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected, s.refusal = [sha256.Size]byte{}, nil
	s.keep(tok)
}

// expiresSoon reports whether the access token is within its last few
// minutes: five, or a quarter of its life when that is shorter.
func (s *Source) expiresSoon() bool {
	if s.expiry.IsZero() {
		return false
	}
	margin := min(5*time.Minute, s.lifetime/4)
	return !s.clk.Now().Before(s.expiry.Add(-margin))
}

// keep records an access token and when it expires, by the injected
// clock: expires_in counts from now. Absurd lifetimes (mockoidc writes
// nanoseconds) count as unknown, so the token is used until refused.
func (s *Source) keep(tok *oauth2.Token) {
	s.access = tok.AccessToken
	s.expiry, s.lifetime = time.Time{}, 0
	if tok.ExpiresIn > 0 && tok.ExpiresIn < 366*24*3600 {
		s.lifetime = time.Duration(tok.ExpiresIn) * time.Second
		s.expiry = s.clk.Now().Add(s.lifetime)
	}
}

// refreshLocked trades the keyring's refresh token for a new access token
// and saves a rotated refresh token at once.
func (s *Source) refreshLocked(ctx context.Context) (string, error) {
	rt, err := secrets.Get(s.s.Account, secrets.RefreshToken)
	if errors.Is(err, secrets.ErrNotFound) {
		return "", fmt.Errorf("%s is not signed in (run `sluice account login %s`, or Sign in in Settings, Accounts): %w",
			s.s.Account, quoteArg(s.s.Account), model.ErrSignInNeeded)
	}
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(rt))
	if h == s.rejected {
		return "", s.refusal
	}
	if s.client == nil {
		c, err := NewClient(ctx, s.s, s.hc)
		if err != nil {
			return "", err
		}
		s.client = c
	}
	c := s.client
	tok, err := c.conf.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized) {
			// invalid_grant (revoked, expired, password changed),
			// interaction_required (a new MFA or consent), invalid_client:
			// only the user can fix it.
			why := re.ErrorCode
			if re.ErrorDescription != "" {
				why += ": " + firstLine(re.ErrorDescription)
			}
			s.rejected = h
			s.refusal = fmt.Errorf("%s no longer accepts the sign-in of %s (%s); sign in again: %w", c.title, s.s.Account, why, model.ErrSignInNeeded)
			s.log.Warn("the provider refused the refresh token; sign-in needed", "reply", re.ErrorCode)
			return "", s.refusal
		}
		return "", fmt.Errorf("refresh the access token at %s: %w", c.title, err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		// The provider rotated the refresh token: the old one may stop
		// working any moment, so the new one goes to the keyring now.
		if err := secrets.Set(s.s.Account, secrets.RefreshToken, tok.RefreshToken); err != nil {
			s.log.Error("the provider sent a new refresh token that could not be saved; the next refresh may need a new sign-in", "err", err)
		} else {
			s.log.Info("saved the provider's new refresh token")
		}
	}
	s.keep(tok)
	s.log.Debug("access token refreshed", "expires_in", tok.ExpiresIn)
	return s.access, nil
}

// SaveSignIn stores a sign-in's refresh token in the keyring (replacing
// any earlier one) and hands its access token to src, when not nil.
func SaveSignIn(account string, tok *oauth2.Token, src *Source) error {
	if tok == nil || tok.RefreshToken == "" {
		return ErrNoRefreshToken
	}
	if err := secrets.Set(account, secrets.RefreshToken, tok.RefreshToken); err != nil {
		return err
	}
	if src != nil {
		src.Set(tok)
	}
	return nil
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' || r == '\r' {
			return s[:i]
		}
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// quoteArg quotes an account name for a shell command when it needs it.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " '\"$`\\") {
		return strconv.Quote(s)
	}
	return s
}
