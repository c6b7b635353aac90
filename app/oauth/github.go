package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// GitHubScopes are what GitHubDeviceLogin asks for by default: reading
// notifications. Add "repo" to read the pull requests and comments of
// private repositories (links and senders then come from GitHub instead of
// being worked out from the API address).
var GitHubScopes = []string{"notifications"}

// GitHubDevice configures GitHub's OAuth device flow.
type GitHubDevice struct {
	// ClientID is the OAuth app's client ID; the app must have the device
	// flow enabled.
	ClientID string
	// WebURL is GitHub's web base (default https://github.com/; a test or
	// Enterprise server otherwise).
	WebURL string
	// Scopes default to GitHubScopes.
	Scopes []string
	// HTTPClient makes the requests (default http.DefaultClient).
	HTTPClient *http.Client
}

// GitHubDeviceLogin runs GitHub's OAuth device flow (RFC 8628): it asks
// for a code, calls show with the page to open and the code to type there,
// then polls as often as GitHub allows until the user approved, denied or
// the code expired, and returns the access token (GitHub's OAuth app
// tokens do not expire and come without a refresh token). It returns when
// ctx is done.
func GitHubDeviceLogin(ctx context.Context, opt GitHubDevice, show func(verificationURI, userCode string)) (string, error) {
	if strings.TrimSpace(opt.ClientID) == "" {
		return "", errors.New("github device login: no OAuth client ID")
	}
	webs := opt.WebURL
	if webs == "" {
		webs = "https://github.com/"
	}
	web, err := url.Parse(strings.TrimSpace(webs))
	if err != nil || (web.Scheme != "http" && web.Scheme != "https") || web.Host == "" {
		return "", fmt.Errorf("github device login: web url %q is not an http(s) URL", webs)
	}
	scopes := opt.Scopes
	if len(scopes) == 0 {
		scopes = GitHubScopes
	}
	cfg := &oauth2.Config{
		ClientID: opt.ClientID,
		Scopes:   scopes,
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: web.JoinPath("login", "device", "code").String(),
			TokenURL:      web.JoinPath("login", "oauth", "access_token").String(),
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
	if opt.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, opt.HTTPClient)
	}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return "", fmt.Errorf("github device login: %w", err)
	}
	show(da.VerificationURI, da.UserCode)
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		return "", fmt.Errorf("github device login: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("github device login: GitHub answered without a token")
	}
	return tok.AccessToken, nil
}
