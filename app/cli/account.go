package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/secrets"
)

func runAccount(e *Env, args []string) error {
	if len(args) == 0 {
		return usagef("account: want add, list, remove, test, release, login, set-password, set-token or set-url")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		return accountAdd(e, rest)
	case "list", "ls":
		return accountList(e, rest)
	case "remove", "rm":
		return accountRemove(e, rest)
	case "test":
		return accountTest(e, rest)
	case "release":
		return accountRelease(e, rest)
	case "login":
		return accountLogin(e, rest)
	case "set-password":
		return accountSecret(e, "set-password", secrets.Password, rest)
	case "set-token":
		return accountSecret(e, "set-token", secrets.Token, rest)
	case "set-url":
		return accountSecret(e, "set-url", secrets.URL, rest)
	case "--help", "-h", "help":
		fmt.Fprint(e.Stdout, accountHelp())
		return nil
	}
	return usagef("account: unknown subcommand %q (want add, list, remove, test, release, login, set-password, set-token or set-url)", sub)
}

// accountHelp is the usage of `sluice account`, with the presets the IMAP
// connector knows.
func accountHelp() string {
	return strings.ReplaceAll(accountUsage, "{presets}", presetList("|", "|"))
}

// presetList joins the IMAP presets' names: "a, b or c".
func presetList(sep, last string) string {
	names := app.PresetNames()
	if len(names) < 2 {
		return strings.Join(names, sep)
	}
	return strings.Join(names[:len(names)-1], sep) + last + names[len(names)-1]
}

const accountUsage = `Usage:
  sluice account add imap NAME --preset {presets} --user U
  sluice account add imap NAME --host H [--port P] [--security tls|starttls|insecure] --user U
        [--folder F]… [--ca-file F] [--password-command CMD] [--allow-insecure]
        [--initial-sync none|all|newest:N|since:YYYY-MM-DD] [--link-template T]
        [--auth password|oauth2] [--provider google|microsoft|oidc] [--tenant T]
        [--issuer URL] [--client-id ID] [--client-secret S]
        [--hold-on-server [--hold-folder F] [--hold-at-delivery] [--release-on-quit]]
  sluice account add slack NAME [--channel C]… [--no-dnd] [--no-status] [--socket-mode]
  sluice account add matrix NAME --homeserver H [--user @me:example.org] [--room R]…
        [--link-base URL] [--no-presence] [--password-command CMD]
  sluice account add github NAME [--participating] [--mark-read-on-done] [--api-url U]
        [--client-id ID]
  sluice account add caldav NAME --url URL --user U [--calendar C]… [--address A]…
        [--ca-file F] [--password-command CMD]
  sluice account add ics NAME [--url URL] [--address A]…   (a secret address: set-url)
  sluice account list
  sluice account remove NAME
  sluice account test NAME
  sluice account release NAME         (move everything held on the server back to INBOX now)
  sluice account login NAME [--device] [--no-browser]
                                      (sign in with Google, Microsoft or the OIDC issuer;
                                       GitHub: the OAuth device flow)
  sluice account set-password NAME    (reads the password from a prompt, or stdin)
  sluice account set-token NAME       (Slack xoxp-/xapp- token, Matrix access token, GitHub token)
  sluice account set-url NAME         (a calendar's secret .ics address, from a prompt or stdin)

With --hold-on-server, mail Sluice holds also leaves INBOX on the server
(into Sluice/Held) until the check-in, so your phone and webmail are batched
too; --hold-at-delivery lets the server's Sieve file it there at delivery.

Passwords, tokens and secret calendar addresses go to the OS keyring, never
into the config file. Gmail, Outlook.com and Microsoft 365 sign in with the
provider in the browser (OAuth2) by default; for a Gmail app password add
--auth password. Calendars (caldav, ics) bring meetings, not messages: see
[calendar] in the config, and sluice schedule.
`

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func accountAdd(e *Env, args []string) error {
	if len(args) < 1 || (args[0] != "imap" && args[0] != "slack" && args[0] != "matrix" && args[0] != "github" &&
		args[0] != "caldav" && args[0] != "ics") {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprint(e.Stdout, accountHelp())
			return nil
		}
		return usagef("account add: want a kind (imap, slack, matrix, github, caldav or ics) and a name")
	}
	kind := args[0]
	fs := newFlags(e, "account")
	acc := config.Account{Kind: kind}
	f := addFlags(fs, &acc)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account add %s: give one account name", kind)
	}
	acc.Name = pos[0]
	if err := f.apply(&acc); err != nil {
		return err
	}
	if (acc.HoldFolder != "" || acc.HoldAtDelivery || acc.ReleaseOnQuit) && !acc.HoldOnServer {
		return usagef("account add: --hold-folder, --hold-at-delivery and --release-on-quit go with --hold-on-server")
	}
	if _, err := config.Modify(e.ConfigPath, func(c *config.Config) error {
		for _, a := range c.Accounts {
			if strings.EqualFold(a.Name, acc.Name) {
				return fmt.Errorf("an account named %q exists; remove it first", a.Name)
			}
		}
		c.Accounts = append(c.Accounts, acc)
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Added %s account %q to %s.\n", kind, acc.Name, e.ConfigPath)
	if acc.HoldOnServer {
		fmt.Fprintf(e.Stdout, "Holding on the server: while Sluice holds, new mail moves from INBOX to %s and back at each check-in.\n", or(acc.HoldFolder, "Sluice/Held"))
	}
	if hint := app.PresetHint(acc.Preset); hint != "" {
		fmt.Fprintln(e.Stdout, hint)
	}
	printNextStep(e, acc)
	reloadIfRunning(e)
	return nil
}

// accountFlags are the flags of `account add` that are not an account's
// field as they are.
type accountFlags struct {
	folders, channels, calendars, addresses, rooms multi
	initial                                        string
	noDND, noStatus, noPresence                    bool
}

// addFlags defines the flags of `account add` for the account's kind:
// those that are its fields write into acc, the rest into the result.
func addFlags(fs *flag.FlagSet, acc *config.Account) *accountFlags {
	f := &accountFlags{}
	kind := acc.Kind
	switch kind {
	case "matrix":
		fs.StringVar(&acc.Homeserver, "homeserver", "", "the homeserver: matrix.example.org or https://…")
		fs.StringVar(&acc.UserID, "user", "", "your Matrix ID, @me:example.org (for a password login)")
		fs.Var(&f.rooms, "room", "room to watch besides DMs and mentions: #alias:server or !id:server (repeatable)")
		fs.StringVar(&acc.LinkBase, "link-base", "", "open messages here instead of matrix.to, e.g. https://app.element.io/#/room/")
		fs.BoolVar(&f.noPresence, "no-presence", false, "do not set presence to unavailable during focus")
		fs.StringVar(&acc.PasswordCommand, "password-command", "", "command whose output is the password (instead of the keyring)")
	case "github":
		fs.BoolVar(&acc.Participating, "participating", false, "only threads you take part in (review requests, mentions, assignments)")
		fs.BoolVar(&acc.MarkReadOnDone, "mark-read-on-done", false, "mark a notification read on GitHub when you mark its item done")
		fs.StringVar(&acc.APIURL, "api-url", "", "GitHub Enterprise: https://HOST/api/v3/")
		fs.StringVar(&acc.ClientID, "client-id", "", "OAuth app client ID for `sluice account login`")
	}
	if kind == "imap" {
		fs.StringVar(&acc.Preset, "preset", "", presetList(", ", " or ")+" (fills host, port, security, sign-in)")
		fs.StringVar(&acc.Host, "host", "", "server host name")
		fs.IntVar(&acc.Port, "port", 0, "server port (default 993 for tls, 143 for starttls)")
		fs.StringVar(&acc.Security, "security", "", "tls (default), starttls or insecure (loopback only)")
		fs.StringVar(&acc.Username, "user", "", "login name, usually the address")
		fs.Var(&f.folders, "folder", "folder to watch (repeatable; default INBOX)")
		fs.StringVar(&acc.CAFile, "ca-file", "", "PEM file of a CA to trust (self-hosted servers)")
		fs.StringVar(&acc.PasswordCommand, "password-command", "", "command whose output is the password (instead of the keyring)")
		fs.BoolVar(&acc.AllowInsecure, "allow-insecure", false, "allow plaintext IMAP to a loopback host")
		fs.StringVar(&f.initial, "initial-sync", "none", "what the first sync imports: none, all, newest:N or since:YYYY-MM-DD")
		fs.StringVar(&acc.LinkTemplate, "link-template", "", "deep-link URL template (see the README)")
		fs.StringVar(&acc.Auth, "auth", "", "password or oauth2 (sign in with the provider; default for gmail, outlook, office365)")
		fs.StringVar(&acc.OAuthProvider, "provider", "", "oauth2 provider: google, microsoft or oidc")
		fs.StringVar(&acc.OAuthTenant, "tenant", "", "Microsoft tenant: common (default), organizations, a tenant ID or domain")
		fs.StringVar(&acc.OAuthIssuer, "issuer", "", "OIDC issuer URL (with --provider oidc)")
		fs.StringVar(&acc.OAuthClientID, "client-id", "", "OAuth client ID (default: the one built in; see packaging/OAUTH.md)")
		fs.StringVar(&acc.OAuthClientSecret, "client-secret", "", "OAuth client secret, where the provider wants one (Google)")
		fs.BoolVar(&acc.HoldOnServer, "hold-on-server", false, "move held mail out of INBOX on the server until the check-in, so the phone and webmail are batched too")
		fs.StringVar(&acc.HoldFolder, "hold-folder", "", "the hold folder (default Sluice/Held; \"/\" between levels)")
		fs.BoolVar(&acc.HoldAtDelivery, "hold-at-delivery", false, "where the server offers ManageSieve, hold at delivery with a Sieve script of Sluice's own")
		fs.BoolVar(&acc.ReleaseOnQuit, "release-on-quit", false, "move held mail back to INBOX when Sluice quits")
	} else if kind == "caldav" || kind == "ics" {
		fs.StringVar(&acc.URL, "url", "", "CalDAV server (any URL on it), or a public .ics feed")
		fs.Var(&f.addresses, "address", "your address on invitations, to skip the ones you declined (repeatable)")
		if kind == "caldav" {
			fs.StringVar(&acc.Username, "user", "", "login name")
			fs.Var(&f.calendars, "calendar", "calendar to read, by name (repeatable; default all)")
			fs.StringVar(&acc.CAFile, "ca-file", "", "PEM file of a CA to trust (self-hosted servers)")
			fs.StringVar(&acc.PasswordCommand, "password-command", "", "command whose output is the password (instead of the keyring)")
		}
	} else if kind == "slack" {
		fs.Var(&f.channels, "channel", "channel to watch besides DMs and mentions (repeatable)")
		fs.BoolVar(&f.noDND, "no-dnd", false, "do not turn on Slack's do-not-disturb during focus")
		fs.BoolVar(&f.noStatus, "no-status", false, "do not set a Slack status during focus")
		fs.BoolVar(&acc.SocketMode, "socket-mode", false, "expect Socket Mode (store the xapp- app-level token with set-token)")
	}
	return f
}

// apply completes acc from the parsed flags: lists, switches, and for
// IMAP the preset's server and sign-in and the first sync.
func (f *accountFlags) apply(acc *config.Account) error {
	acc.Folders, acc.Channels, acc.Rooms = f.folders, f.channels, f.rooms
	acc.Calendars, acc.Addresses = f.calendars, f.addresses
	if f.noPresence {
		acc.SetPresence = new(bool)
	}
	if f.noDND {
		acc.SetDND = new(bool)
	}
	if f.noStatus {
		acc.SetStatus = new(bool)
	}
	if acc.Kind != "imap" {
		return nil
	}
	if err := app.ApplyPreset(acc); err != nil {
		return err
	}
	if acc.Auth == "" && acc.OAuthProvider != "" {
		acc.Auth = "oauth2"
	}
	app.PresetAuth(acc)
	return parseInitial(acc, f.initial)
}

// printNextStep says how to give a new account its password, token or
// sign-in.
func printNextStep(e *Env, acc config.Account) {
	kind := acc.Kind
	switch {
	case acc.OAuth2() && acc.PasswordCommand == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account login %s   (signs in in your browser)\n", quoteArg(acc.Name))
	case kind == "imap" && acc.PasswordCommand == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-password %s\n", quoteArg(acc.Name))
	case kind == "slack":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-token %s   (see packaging/SLACK.md)\n", quoteArg(acc.Name))
	case kind == "matrix" && acc.UserID != "" && acc.PasswordCommand == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-password %s   (or set-token with an access token)\n", quoteArg(acc.Name))
	case kind == "matrix" && acc.PasswordCommand == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-token %s   (an access token from your client)\n", quoteArg(acc.Name))
	case kind == "github" && acc.ClientID != "":
		fmt.Fprintf(e.Stdout, "Next: sluice account login %s   (or set-token with a personal access token)\n", quoteArg(acc.Name))
	case kind == "github":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-token %s   (a classic token with the notifications scope)\n", quoteArg(acc.Name))
	case kind == "caldav" && acc.PasswordCommand == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-password %s\n", quoteArg(acc.Name))
	case kind == "ics" && acc.URL == "":
		fmt.Fprintf(e.Stdout, "Next: sluice account set-url %s   (the calendar's secret address: it stays in the keyring)\n", quoteArg(acc.Name))
	}
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " '\"$`\\") {
		return strconv.Quote(s)
	}
	return s
}

func parseInitial(acc *config.Account, v string) error {
	mode, arg, _ := strings.Cut(v, ":")
	acc.InitialSync = mode
	switch mode {
	case "none", "all":
	case "newest":
		n, err := strconv.Atoi(arg)
		if err != nil || n <= 0 {
			return usagef("account add: --initial-sync newest:N needs a number, e.g. newest:50")
		}
		acc.InitialNewest = n
	case "since":
		if _, err := time.Parse(time.DateOnly, arg); err != nil {
			return usagef("account add: --initial-sync since:DATE needs a date like since:2026-01-31")
		}
		acc.InitialSince = arg
	default:
		return usagef("account add: --initial-sync must be none, all, newest:N or since:YYYY-MM-DD")
	}
	return nil
}

// reloadIfRunning tells a running Sluice to pick up the changed config.
func reloadIfRunning(e *Env) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.client().Reload(c)
	switch {
	case err == nil:
		fmt.Fprintln(e.Stdout, "The running Sluice picked up the change.")
	case errors.Is(err, control.ErrNotRunning):
	default:
		fmt.Fprintln(e.Stderr, "sluice: the running Sluice did not take the change:", err)
	}
}

// retryIfRunning tells a running Sluice that an account works now, so that
// it signs in again at once if its login was refused.
func retryIfRunning(e *Env, name string) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	retrying, err := e.client().RetryAccount(c, name)
	switch {
	case err == nil && retrying:
		fmt.Fprintf(e.Stdout, "The running Sluice is connecting %q again.\n", name)
	case err == nil, errors.Is(err, control.ErrNotRunning):
	default:
		fmt.Fprintln(e.Stderr, "sluice: could not ask the running Sluice to retry the account:", err)
	}
}

func accountList(e *Env, args []string) error {
	fs := newFlags(e, "account")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	health := map[string]string{}
	c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if st, err := e.client().Status(c); err == nil {
		for _, h := range st.Health {
			health[h.Account] = h.State.Words()
			if h.Detail != "" {
				health[h.Account] += ": " + h.Detail
			}
		}
	}
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tWHERE\tSTATE")
	fmt.Fprintf(tw, "local\tlocal\t%s\t%s\n", localWhere(cfg), or(health["local"], "sluice send"))
	for _, a := range cfg.Accounts {
		where := a.Username
		if a.Kind == "imap" {
			host := a.Host
			if host == "" {
				host = a.Preset
			}
			where = a.Username + " @ " + host
		} else if len(a.Channels) > 0 {
			where = strings.Join(a.Channels, " ")
		} else if a.IsCalendar() {
			where = calendarWhere(a)
		}
		state := health[a.Name]
		if !a.IsEnabled() {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Kind, where, or(state, "-"))
	}
	return tw.Flush()
}

func calendarWhere(a config.Account) string {
	if a.URL == "" {
		return "secret address in the keyring"
	}
	host := a.URL
	if u, err := url.Parse(a.URL); err == nil {
		host = u.Host
	}
	if a.Username != "" {
		return a.Username + " @ " + host
	}
	return host
}

func localWhere(cfg config.Config) string {
	if cfg.Local.HTTP {
		return "http://" + cfg.Local.Listen
	}
	return "control API only"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func accountRemove(e *Env, args []string) error {
	fs := newFlags(e, "account")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account remove: give one account name")
	}
	name := pos[0]
	if cfg, err := config.Load(e.ConfigPath); err == nil {
		for _, a := range cfg.Accounts {
			if a.Name == name && a.HoldOnServer {
				// Held mail goes back to INBOX before the account goes.
				if err := releaseHeld(e, a); err != nil {
					return fmt.Errorf("account %q holds mail on the server and it could not be moved back to INBOX, so the account stays: %w", name, err)
				}
			}
		}
	}
	found := false
	if _, err := config.Modify(e.ConfigPath, func(c *config.Config) error {
		for i, a := range c.Accounts {
			if a.Name == name {
				c.Accounts = append(c.Accounts[:i], c.Accounts[i+1:]...)
				found = true
				return nil
			}
		}
		return fmt.Errorf("no account named %q", name)
	}); err != nil {
		return err
	}
	if found {
		if err := secrets.DeleteAll(name); err != nil {
			fmt.Fprintln(e.Stderr, "sluice: the keyring entry was not removed:", err)
		}
	}
	fmt.Fprintf(e.Stdout, "Removed account %q (its items stay in the digest until done).\n", name)
	reloadIfRunning(e)
	return nil
}

func accountTest(e *Env, args []string) error {
	fs := newFlags(e, "account")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account test: give one account name")
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	for _, a := range cfg.Accounts {
		if a.Name == pos[0] {
			c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			// A running Sluice tests it, as the windows do; without one
			// this process connects itself. Store keeps what a test may
			// obtain (a Matrix access token), as a running account would.
			msg, err := e.client().TestAccountSettings(c, control.AccountTestRequest{Account: a, Store: true})
			if errors.Is(err, control.ErrNotRunning) {
				msg, err = app.TestAccount(c, a, nil)
			}
			if err != nil {
				return fmt.Errorf("account %q: %w", a.Name, err)
			}
			fmt.Fprintln(e.Stdout, msg)
			retryIfRunning(e, a.Name)
			return nil
		}
	}
	return fmt.Errorf("no account named %q (see `sluice account list`)", pos[0])
}

func accountSecret(e *Env, verb string, kind secrets.Kind, args []string) error {
	fs := newFlags(e, "account")
	appTok := false
	if kind == secrets.Token {
		fs.BoolVar(&appTok, "app", false, "store the Slack app-level token (xapp-) for Socket Mode")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account %s: give one account name", verb)
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	var acc *config.Account
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == pos[0] {
			acc = &cfg.Accounts[i]
		}
	}
	if acc == nil {
		return fmt.Errorf("no account named %q (add it first with `sluice account add`)", pos[0])
	}
	if kind == secrets.Password && acc.OAuth2() && acc.PasswordCommand == "" {
		return fmt.Errorf("account %q signs in with %s, not a password: run `sluice account login %s` (or set auth = \"password\" for an app password)",
			acc.Name, app.ProviderTitle(*acc), quoteArg(acc.Name))
	}
	secret, err := readSecret(e, fmt.Sprintf("%s for %s: ", strings.ReplaceAll(string(kind), "-", " "), acc.Name))
	if err != nil {
		return err
	}
	switch {
	case kind == secrets.URL:
		if acc.Kind != "ics" {
			return usagef("account set-url: %q is a %s account; set-url is for calendar feeds (kind ics)", acc.Name, acc.Kind)
		}
		if u, err := url.Parse(secret); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "webcal" && u.Scheme != "http") {
			return usagef("account set-url: that is not a calendar address (want https://…)")
		}
	case kind != secrets.Password && acc.Kind == "slack":
		// The prefix tells a user token from an app-level token.
		switch {
		case strings.HasPrefix(secret, "xapp-"):
			kind = secrets.AppToken
		case strings.HasPrefix(secret, "xoxp-"):
			if appTok {
				return usagef("account set-token --app: an app-level token starts with xapp-, not xoxp-")
			}
			kind = secrets.Token
		default:
			return usagef("account set-token: a Slack user token starts with xoxp-, an app-level token with xapp-")
		}
	}
	if err := secrets.Set(acc.Name, kind, secret); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Stored the %s for %q in the OS keyring.\n", kind, acc.Name)
	reloadIfRunning(e)
	return nil
}

// githubLogin signs a GitHub account in with the OAuth device flow and
// stores the token in the keyring.
func githubLogin(e *Env, a config.Account) error {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := app.GitHubLogin(c, a, func(uri, code string) {
		fmt.Fprintf(e.Stdout, "Open %s and enter the code %s\nWaiting for GitHub…\n", uri, code)
	}); err != nil {
		return fmt.Errorf("account %q: %w", a.Name, err)
	}
	fmt.Fprintf(e.Stdout, "Signed in; stored the token for %q in the OS keyring.\n", a.Name)
	reloadIfRunning(e)
	return nil
}

// readSecret prompts without echo on a terminal, else reads one line of stdin.
func readSecret(e *Env, prompt string) (string, error) {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.Stdin, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("nothing read from stdin")
	}
	return line, nil
}

// accountRelease moves everything an account holds on the server back to
// INBOX now: through the running Sluice, or on its own when none runs.
func accountRelease(e *Env, args []string) error {
	fs := newFlags(e, "account")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account release: give one account name")
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	for _, a := range cfg.Accounts {
		if a.Name == pos[0] {
			if a.Kind != "imap" {
				return fmt.Errorf("account %q is a %s account: only mail accounts hold on the server", a.Name, a.Kind)
			}
			return releaseHeld(e, a)
		}
	}
	return fmt.Errorf("no account named %q (see `sluice account list`)", pos[0])
}

// releaseHeld releases an account's hold folder and says how much moved.
func releaseHeld(e *Env, a config.Account) error {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := e.client().ReleaseAccount(c, a.Name)
	if errors.Is(err, control.ErrNotRunning) {
		n, folder, rerr := app.ReleaseOnServer(c, a, nil)
		if rerr != nil {
			return fmt.Errorf("account %q: %w", a.Name, rerr)
		}
		r = control.ReleaseReply{Account: a.Name, Count: n, Folder: folder}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("account %q: %w", a.Name, err)
	}
	what := fmt.Sprintf("%d messages", r.Count)
	if r.Count == 1 {
		what = "1 message"
	}
	fmt.Fprintf(e.Stdout, "Released %s from %s back to INBOX (%s).\n", what, r.Folder, a.Name)
	return nil
}
