package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/github"
	"github.com/sluice-app/sluice/connectors/imap"
	"github.com/sluice-app/sluice/connectors/matrix"
	"github.com/sluice-app/sluice/connectors/slack"
)

// ApplyPreset fills an IMAP account's server settings from its preset,
// keeping anything the user set explicitly.
func ApplyPreset(acc *config.Account) error {
	if acc.Preset == "" {
		return nil
	}
	p, ok := imap.Presets[strings.ToLower(acc.Preset)]
	if !ok {
		return fmt.Errorf("unknown preset %q (want %s)", acc.Preset, strings.Join(PresetNames(), ", "))
	}
	acc.Preset = strings.ToLower(acc.Preset)
	if acc.Host == "" {
		acc.Host = p.Host
	}
	if acc.Port == 0 {
		acc.Port = p.Port
	}
	if acc.Security == "" {
		acc.Security = string(p.Security)
	}
	if acc.LinkTemplate == "" {
		acc.LinkTemplate = p.LinkTemplate
	}
	return nil
}

// PresetNames lists the known IMAP presets.
func PresetNames() []string {
	names := make([]string, 0, len(imap.Presets))
	for k := range imap.Presets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// PresetHint is the provider's app-password advice, or "".
func PresetHint(name string) string {
	if p, ok := imap.Presets[strings.ToLower(name)]; ok && p.Hint != "" {
		return p.Name + ": " + p.Hint
	}
	return ""
}

func imapOptions(acc config.Account, log *slog.Logger, tokens *tokenSources, k keys) (imap.Options, error) {
	if err := ApplyPreset(&acc); err != nil {
		return imap.Options{}, err
	}
	opt := imap.Options{
		Account: acc.Name, Host: acc.Host, Port: acc.Port, Security: imap.Security(acc.Security),
		AllowInsecure: acc.AllowInsecure, Username: acc.Username, Folders: acc.Folders, CAFile: acc.CAFile,
		PollInterval: acc.PollInterval.Duration, LinkTemplate: acc.LinkTemplate, Logger: log,
		Password: k.source(acc.Name, secrets.Password, acc.PasswordCommand),
		Hold:     holdOptions(acc, nil),
		// The Sent folder shows which items the user answered.
		WatchSent: acc.SentFolder != "-", SentFolder: acc.SentFolder,
	}
	if opt.SentFolder == "-" {
		opt.SentFolder = ""
	}
	if acc.OAuth2() {
		oauthLogin(&opt, acc, tokens)
	}
	switch acc.InitialSync {
	case "", "none":
		opt.Initial.Mode = imap.InitialNone
	case "all":
		opt.Initial.Mode = imap.InitialAll
	case "newest":
		opt.Initial = imap.InitialSync{Mode: imap.InitialNewest, Newest: acc.InitialNewest}
	case "since":
		d, err := time.Parse(time.DateOnly, acc.InitialSince)
		if err != nil {
			return opt, fmt.Errorf("initial_since: %w", err)
		}
		opt.Initial = imap.InitialSync{Mode: imap.InitialSince, Since: d}
	}
	return opt, nil
}

// ProviderTitle names an OAuth2 account's sign-in provider for people:
// "Google", "Microsoft", or the OIDC issuer's host.
func ProviderTitle(acc config.Account) string {
	switch acc.OAuthProvider {
	case "google":
		return "Google"
	case "microsoft":
		return "Microsoft"
	}
	if u, err := url.Parse(acc.OAuthIssuer); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return acc.OAuthProvider
}

func slackOptions(acc config.Account, log *slog.Logger, k keys) slack.Options {
	opt := slack.Options{
		Account: acc.Name, Channels: acc.Channels,
		Token:      k.source(acc.Name, secrets.Token, ""),
		SetDND:     config.Flag(acc.SetDND, true),
		SetStatus:  config.Flag(acc.SetStatus, true),
		StatusText: acc.StatusText, StatusEmoji: acc.StatusEmoji,
		PollInterval: acc.PollInterval.Duration, Logger: log,
	}
	// Socket Mode is used whenever an app-level token is stored; without
	// one the connector polls.
	opt.AppToken = k.optional(acc.Name, secrets.AppToken)
	return opt
}

func matrixOptions(acc config.Account, log *slog.Logger, k keys) matrix.Options {
	opt := matrix.Options{
		Account: acc.Name, Homeserver: acc.Homeserver, UserID: acc.UserID, Rooms: acc.Rooms,
		LinkBase: acc.LinkBase, SetPresence: config.Flag(acc.SetPresence, true), StatusText: acc.StatusText,
		AccessToken: k.optional(acc.Name, secrets.Token),
		SaveToken: func(_ context.Context, tok string) error {
			if k.dryRun {
				return nil
			}
			return secrets.Set(acc.Name, secrets.Token, tok)
		},
		Logger: log,
	}
	if acc.UserID != "" {
		// A password login needs the user; without a password command
		// the password comes from the keyring, if one is stored.
		if acc.PasswordCommand != "" {
			opt.Password = k.source(acc.Name, secrets.Password, acc.PasswordCommand)
		} else {
			opt.Password = k.optional(acc.Name, secrets.Password)
		}
	}
	return opt
}

func githubOptions(acc config.Account, log *slog.Logger, k keys) github.Options {
	return github.Options{
		Account: acc.Name, APIURL: acc.APIURL, WebURL: acc.WebURL,
		Participating: acc.Participating, MarkReadOnDone: acc.MarkReadOnDone,
		PollInterval: acc.PollInterval.Duration, Logger: log,
		Token: k.source(acc.Name, secrets.Token, acc.PasswordCommand),
	}
}

// keys give connectors their accounts' secrets. The zero value is what a
// running account uses: the password command when one is configured,
// else the keyring.
type keys struct {
	// typed are secrets typed in a window for an account under test, by
	// kind: they stand in for the keyring, never for a password command.
	typed map[secrets.Kind]string
	// dryRun keeps connectors from storing what they obtain (a Matrix
	// access token made from the password): testing unsaved settings
	// stores nothing unless asked.
	dryRun bool
}

// source fetches a secret when a connector needs it: from the password
// command, else as typed, else from the keyring.
func (k keys) source(account string, kind secrets.Kind, command string) func(context.Context) (string, error) {
	if v := k.typed[kind]; v != "" && command == "" {
		return func(context.Context) (string, error) { return v, nil }
	}
	return secrets.Source(account, kind, command)
}

// optional fetches a secret that may be absent: as typed, else from the
// keyring, "" when none is stored.
func (k keys) optional(account string, kind secrets.Kind) func(context.Context) (string, error) {
	if v := k.typed[kind]; v != "" {
		return func(context.Context) (string, error) { return v, nil }
	}
	return func(context.Context) (string, error) {
		tok, err := secrets.Get(account, kind)
		if errors.Is(err, secrets.ErrNotFound) {
			return "", nil
		}
		return tok, err
	}
}

// buildAccount makes the connector for a configured account. OAuth2
// accounts get their access tokens from tokens (a fresh source when nil);
// the other secrets come from k.
func buildAccount(acc config.Account, log *slog.Logger, tokens *tokenSources, clk clock.Clock, k keys) (model.Connector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("account", acc.Name, "kind", acc.Kind)
	switch acc.Kind {
	case "imap":
		opt, err := imapOptions(acc, log, tokens, k)
		if err != nil {
			return nil, err
		}
		opt.Clock = clk
		return imap.New(opt)
	case "slack":
		opt := slackOptions(acc, log, k)
		opt.Clock = clk
		return slack.New(opt)
	case "matrix":
		opt := matrixOptions(acc, log, k)
		opt.Clock = clk
		return matrix.New(opt)
	case "github":
		opt := githubOptions(acc, log, k)
		opt.Clock = clk
		return github.New(opt)
	case "caldav", "ics":
		return buildCalendar(acc, time.Local, clk, log, k)
	}
	return nil, fmt.Errorf("account %q: unknown kind %q", acc.Name, acc.Kind)
}

// TestAccount connects once with an account's settings and says what it
// found, or why it failed, in words. The command line uses it when no
// Sluice runs; a running Sluice tests through the control API.
func TestAccount(ctx context.Context, acc config.Account, log *slog.Logger) (string, error) {
	return testAccount(ctx, acc, log, nil, keys{})
}

func testAccount(ctx context.Context, acc config.Account, log *slog.Logger, tokens *tokenSources, k keys) (string, error) {
	c, err := buildAccount(acc, log, tokens, clock.Real{}, k)
	if err != nil {
		return "", err
	}
	switch v := c.(type) {
	case *imap.Connector:
		if err := v.Test(ctx); err != nil {
			if errors.Is(err, imap.ErrAuth) && !acc.OAuth2() {
				if hint := PresetHint(acc.Preset); hint != "" {
					return "", fmt.Errorf("%w\n%s", err, hint)
				}
			}
			return "", err
		}
		folders := acc.Folders
		if len(folders) == 0 {
			folders = []string{"INBOX"}
		}
		host := v.Options().Host
		how := ""
		if acc.OAuth2() {
			how = " (signed in with " + ProviderTitle(acc) + ")"
		}
		return fmt.Sprintf("Connected to %s as %s%s; watching %s.", host, acc.Username, how, strings.Join(folders, ", ")), nil
	case *slack.Connector:
		id, err := v.Test(ctx)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("Connected to Slack workspace %s as @%s.", id.Team, id.User)
		if id.SocketMode {
			msg += " Socket Mode token accepted."
		}
		return msg, nil
	case *matrix.Connector:
		id, err := v.Test(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Signed in to %s as %s.", id.Homeserver, id.UserID), nil
	case *github.Connector:
		id, err := v.Test(ctx)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("Connected to GitHub as @%s.", id.Login)
		if len(id.Scopes) > 0 {
			msg += " Token scopes: " + strings.Join(id.Scopes, ", ") + "."
		}
		return msg, nil
	case calendarConnector:
		return v.Test(ctx)
	}
	return "", fmt.Errorf("account %q cannot be tested", acc.Name)
}

// GitHubLogin runs GitHub's OAuth device flow for a GitHub account (its
// client_id names the OAuth app) and stores the token in the keyring.
// show tells the user where to go and what code to type.
func GitHubLogin(ctx context.Context, acc config.Account, show func(uri, code string)) error {
	if acc.ClientID == "" {
		return errors.New("no client_id set: register an OAuth app with the device flow enabled and set client_id, or store a personal access token with set-token")
	}
	web := acc.WebURL
	if web == "" && acc.APIURL != "" {
		if u, err := url.Parse(acc.APIURL); err == nil {
			web = u.Scheme + "://" + u.Host + "/"
		}
	}
	tok, err := oauth.GitHubDeviceLogin(ctx, oauth.GitHubDevice{ClientID: acc.ClientID, WebURL: web}, show)
	if err != nil {
		return err
	}
	return secrets.Set(acc.Name, secrets.Token, tok)
}

// Presets implements control.AccountBackend: the IMAP connector's
// providers, by name.
func (a *App) Presets() []control.Preset {
	out := make([]control.Preset, 0, len(imap.Presets))
	for _, k := range PresetNames() {
		p := imap.Presets[k]
		out = append(out, control.Preset{Key: k, Name: p.Name, Host: p.Host, Port: p.Port,
			Security: string(p.Security), Hint: p.Hint, OAuth: p.OAuth, Domains: slices.Clone(p.Domains)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TestAccountSettings implements control.AccountBackend: it connects once
// with settings a window is editing (saved or not) and the secrets typed
// for them, which are stored only when the test passes and req.Store
// asks for it. The account in force is left alone.
func (a *App) TestAccountSettings(req control.AccountTestRequest) (string, error) {
	typed, err := secretKinds(req.Secrets)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg, err := testAccount(ctx, req.Account, a.log, nil, keys{typed: typed, dryRun: !req.Store})
	if err != nil || !req.Store {
		return msg, err
	}
	for k, v := range typed {
		if err := secrets.Set(req.Account.Name, k, v); err != nil {
			return msg, err
		}
	}
	return msg, nil
}
