// Package secrets is the only place that touches credentials: the OS keyring
// (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
// and the user's password command. Secrets never reach the config, the store
// or a log.
package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service name under which Sluice stores secrets.
const Service = "sluice"

// ErrNotFound means no secret is stored for that account.
var ErrNotFound = errors.New("no secret stored")

// ErrNoKeyring means the OS keyring cannot be reached from this process
// (on Linux and the BSDs: no D-Bus session bus).
var ErrNoKeyring = errors.New("the OS keyring cannot be reached")

// mocked is set by MockForTests: the in-memory keyring needs no session bus.
var mocked bool

// Kind distinguishes the secrets an account may have.
type Kind string

// Secret kinds.
const (
	Password Kind = "password"  // IMAP or CalDAV password
	Token    Kind = "token"     // Slack user token (xoxp-)
	AppToken Kind = "app-token" // Slack app-level token (xapp-)
	URL      Kind = "url"       // a calendar feed's secret address (.ics)
	// RefreshToken is an OAuth2 account's refresh token (app/oauth). The
	// access tokens made from it are never stored.
	RefreshToken Kind = "oauth-refresh-token"
)

func key(account string, k Kind) string { return string(k) + ":" + account }

// keyringMu serialises keyring calls: connectors, sign-ins and token
// refreshes may reach the keyring at once, the OS keyrings gain nothing
// from parallel calls, and go-keyring's mock (MockForTests) is not safe
// for concurrent use.
var keyringMu sync.Mutex

// Get reads a secret from the OS keyring.
func Get(account string, k Kind) (string, error) {
	if err := reachable(); err != nil {
		return "", fmt.Errorf("read %s for account %q: %w", k, account, err)
	}
	keyringMu.Lock()
	s, err := keyring.Get(Service, key(account, k))
	keyringMu.Unlock()
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%s for account %q: %w (%s)", k, account, ErrNotFound, setHint(k, account))
	}
	if err != nil {
		return "", fmt.Errorf("read %s for account %q from the keyring: %w", k, account, err)
	}
	return s, nil
}

// setHint says how the user stores a missing secret.
func setHint(k Kind, account string) string {
	if strings.ContainsAny(account, " '\"$`\\") {
		account = strconv.Quote(account)
	}
	switch k {
	case Password:
		return "set it with `sluice account set-password " + account + "`"
	case URL:
		return "set it with `sluice account set-url " + account + "`"
	case RefreshToken:
		return "sign in with `sluice account login " + account + "`"
	}
	return "set it with `sluice account set-token " + account + "`"
}

// Set stores a secret in the OS keyring.
func Set(account string, k Kind, secret string) error {
	if secret == "" {
		return fmt.Errorf("refusing to store an empty %s", k)
	}
	if err := reachable(); err != nil {
		return fmt.Errorf("store %s for account %q: %w", k, account, err)
	}
	keyringMu.Lock()
	err := keyring.Set(Service, key(account, k), secret)
	keyringMu.Unlock()
	if err != nil {
		return fmt.Errorf("store %s for account %q in the keyring: %w", k, account, err)
	}
	return nil
}

// Delete removes a secret; a missing one is not an error.
func Delete(account string, k Kind) error {
	if err := reachable(); err != nil {
		return fmt.Errorf("delete %s for account %q: %w", k, account, err)
	}
	keyringMu.Lock()
	err := keyring.Delete(Service, key(account, k))
	keyringMu.Unlock()
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete %s for account %q from the keyring: %w", k, account, err)
	}
	return nil
}

// DeleteAll removes every secret of an account.
func DeleteAll(account string) error {
	return errors.Join(Delete(account, Password), Delete(account, Token), Delete(account, AppToken), Delete(account, URL), Delete(account, RefreshToken))
}

// MockForTests replaces the OS keyring with an in-memory one. Only tests
// call it.
func MockForTests() {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	keyring.MockInit()
	mocked = true
}

// reachable says why the OS keyring cannot be used without starting
// anything, or nil.
func reachable() error {
	if mocked {
		return nil
	}
	return busReachable()
}

// CommandTimeout bounds a password command (it may prompt a GUI agent).
const CommandTimeout = 60 * time.Second

// RunCommand runs the user's password command through the shell and returns
// its first line of standard output. The output is never logged. A failure
// says how the command ended and the first line of its standard error,
// cleaned (see cleanLine): a command may well print the password there too.
func RunCommand(ctx context.Context, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := shellCommand(ctx, command)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		how := err.Error()
		var ee *exec.ExitError
		switch {
		case ctx.Err() == context.DeadlineExceeded:
			how = fmt.Sprintf("no answer within %v", CommandTimeout)
		case errors.As(err, &ee):
			how = ee.ProcessState.String() // "exit status 3", "signal: killed"
		}
		if msg := cleanLine(errb.Bytes(), out.Bytes()); msg != "" {
			return "", fmt.Errorf("password command failed (%s): %s", how, msg)
		}
		return "", fmt.Errorf("password command failed (%s)", how)
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", errors.New("password command printed nothing")
	}
	return line, nil
}

// maxErrRunes bounds the part of a password command's error that is kept.
const maxErrRunes = 120

// cleanLine is the first non-blank line of a failed command's standard
// error, fit for a log and `sluice status`: anything that also appears in
// its standard output (where the password goes) replaced by "…", control
// and format characters dropped, and at most maxErrRunes long.
func cleanLine(stderr, stdout []byte) string {
	var line string
	for l := range strings.Lines(string(stderr)) {
		if l = strings.TrimSpace(l); l != "" {
			line = l
			break
		}
	}
	if line == "" {
		return ""
	}
	// What the command printed, whole lines and words, longest first, so
	// a password is removed whole before any part of it.
	var secrets []string
	for l := range strings.Lines(string(stdout)) {
		if l = strings.TrimSpace(l); utf8.RuneCountInString(l) >= 2 {
			secrets = append(secrets, l)
		}
		for _, w := range strings.Fields(l) {
			if utf8.RuneCountInString(w) >= 4 {
				secrets = append(secrets, w)
			}
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		line = strings.ReplaceAll(line, s, "…")
	}
	line = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, line)
	if r := []rune(line); len(r) > maxErrRunes {
		line = string(r[:maxErrRunes]) + "…"
	}
	return line
}

// Source returns a function that fetches an account's secret when a
// connector needs it: from the password command when one is configured,
// else from the keyring.
func Source(account string, k Kind, command string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if command != "" {
			return RunCommand(ctx, command)
		}
		return Get(account, k)
	}
}
