package control

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluice-app/sluice/app/config"
)

// Everything about accounts that needs a connector or the keyring happens
// in the running Sluice: the windows learn the providers Sluice knows,
// test an account they are editing and store the passwords and tokens
// typed into them through these endpoints, and never touch a connector or
// the keyring themselves.

// AccountBackend is implemented by a backend that knows the connectors'
// presets, tests unsaved accounts and keeps secrets (the running app
// does).
type AccountBackend interface {
	Presets() []Preset
	TestAccountSettings(req AccountTestRequest) (string, error)
	StoredSecrets() (StoredSecrets, error)
	SetSecret(req SecretRequest) error
	MoveSecrets(req SecretMove) error
	DeleteSecrets(account string) error
}

// Preset is a mail provider Sluice knows: its IMAP server and how it
// signs in, from the IMAP connector's own table.
type Preset struct {
	Key      string `json:"key"`  // as an account's preset names it: "gmail"
	Name     string `json:"name"` // for people: "Gmail"
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	// Hint says how to get a password the provider accepts for IMAP.
	Hint string `json:"hint,omitempty"`
	// OAuth names the provider whose sign-in the server takes ("google",
	// "microsoft"); "" when it takes passwords only.
	OAuth string `json:"oauth,omitempty"`
	// Domains are the address domains the provider serves; an entry
	// ending in "." matches every domain it begins.
	Domains []string `json:"domains,omitempty"`
}

// Serves reports whether mail to address is the provider's, by its domain.
func (p Preset) Serves(address string) bool {
	_, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(address)), "@")
	if !ok || domain == "" {
		return false
	}
	for _, d := range p.Domains {
		if domain == d || strings.HasSuffix(d, ".") && strings.HasPrefix(domain, d) {
			return true
		}
	}
	return false
}

// Secret kinds an account may keep in the keyring, as the control API
// names them (they are app/secrets' kinds).
const (
	SecretPassword = "password"  // IMAP, CalDAV or Matrix password
	SecretToken    = "token"     // Slack user token, Matrix access token, GitHub token
	SecretAppToken = "app-token" // Slack app-level token (xapp-)
	SecretURL      = "url"       // a calendar feed's secret address
)

// AccountTestRequest asks the running Sluice to connect once with an
// account's settings, which need not be saved, and say what it found.
type AccountTestRequest struct {
	Account config.Account `json:"account"`
	// Secrets typed in a window and not stored yet, by kind (SecretPassword
	// …). They are used for this test only: they override the keyring,
	// never a password_command.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Store keeps Secrets in the keyring when the test passes; without it
	// nothing is stored.
	Store bool `json:"store,omitempty"`
}

// SecretRequest stores a secret typed in a window in the keyring of the
// running Sluice.
type SecretRequest struct {
	Account string `json:"account"`
	Kind    string `json:"kind"`
	Secret  string `json:"secret"`
}

// SecretMove moves an account's secrets to its new name (an account
// renamed in the settings).
type SecretMove struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// StoredSecrets lists, for each account of the config in force, the kinds
// of secret the keyring holds for it; never a secret itself.
type StoredSecrets map[string][]string

// Has reports whether the keyring holds a secret of that kind for account.
func (s StoredSecrets) Has(account, kind string) bool {
	for _, k := range s[account] {
		if k == kind {
			return true
		}
	}
	return false
}

// accountRoutes serves the account endpoints when the backend has them.
func (s *Server) accountRoutes(h handle) {
	ab, ok := s.b.(AccountBackend)
	if !ok {
		return
	}
	h("GET /v1/presets", func(*http.Request) (any, error) {
		p := ab.Presets()
		if p == nil {
			p = []Preset{}
		}
		return p, nil
	})
	h("POST /v1/accounts/test", func(r *http.Request) (any, error) {
		var req AccountTestRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		msg, err := ab.TestAccountSettings(req)
		if err != nil {
			return nil, err
		}
		return MessageReply{msg}, nil
	})
	h("GET /v1/secrets", func(*http.Request) (any, error) {
		st, err := ab.StoredSecrets()
		if st == nil {
			st = StoredSecrets{}
		}
		return st, err
	})
	h("POST /v1/secrets", func(r *http.Request) (any, error) {
		var req SecretRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return MessageReply{"stored"}, ab.SetSecret(req)
	})
	h("POST /v1/secrets/move", func(r *http.Request) (any, error) {
		var req SecretMove
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return MessageReply{"moved"}, ab.MoveSecrets(req)
	})
	h("DELETE /v1/secrets/{account}", func(r *http.Request) (any, error) {
		return MessageReply{"deleted"}, ab.DeleteSecrets(r.PathValue("account"))
	})
}

// Presets lists the mail providers the running Sluice knows, by name.
func (c *Client) Presets(ctx context.Context) ([]Preset, error) {
	var r []Preset
	return r, c.do(ctx, "GET", "/v1/presets", nil, &r)
}

// TestAccountSettings connects once, in the running Sluice, with an
// account's settings and the secrets typed for it, and says what it
// found.
func (c *Client) TestAccountSettings(ctx context.Context, req AccountTestRequest) (string, error) {
	var r MessageReply
	return r.Message, c.do(ctx, "POST", "/v1/accounts/test", req, &r)
}

// StoredSecrets says which secrets the keyring holds for each account of
// the config in force.
func (c *Client) StoredSecrets(ctx context.Context) (StoredSecrets, error) {
	var r StoredSecrets
	return r, c.do(ctx, "GET", "/v1/secrets", nil, &r)
}

// SetSecret stores an account's secret in the keyring of the running
// Sluice.
func (c *Client) SetSecret(ctx context.Context, req SecretRequest) error {
	return c.do(ctx, "POST", "/v1/secrets", req, nil)
}

// MoveSecrets moves an account's secrets to its new name.
func (c *Client) MoveSecrets(ctx context.Context, req SecretMove) error {
	return c.do(ctx, "POST", "/v1/secrets/move", req, nil)
}

// DeleteSecrets removes every secret of an account from the keyring.
func (c *Client) DeleteSecrets(ctx context.Context, account string) error {
	return c.do(ctx, "DELETE", "/v1/secrets/"+url.PathEscape(account), nil, nil)
}
