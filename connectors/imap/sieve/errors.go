package sieve

import (
	"errors"
	"strings"
)

// Errors callers test for with errors.Is. A server's NO or BYE is an *Error
// that matches the sentinel of its response code.
var (
	// ErrNonexistent: the named script does not exist (NONEXISTENT).
	ErrNonexistent = errors.New("no such script")
	// ErrActive: the script is active and cannot be deleted (ACTIVE).
	ErrActive = errors.New("the script is active")
	// ErrQuota: the script would exceed the account's Sieve quota (QUOTA,
	// QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE).
	ErrQuota = errors.New("over the account's Sieve quota")
	// ErrAuth: the server refused the login (a NO to AUTHENTICATE).
	ErrAuth = errors.New("authentication failed")
	// ErrTryLater: the server is temporarily unable to act (TRYLATER).
	ErrTryLater = errors.New("the server is busy; try again later")
	// ErrClosed: the connection is gone (BYE, LOGOUT, a timeout, or a
	// context that ended in the middle of a command).
	ErrClosed = errors.New("managesieve connection closed")
)

// Error is a NO or BYE from the server, for one command.
type Error struct {
	Command string   // the command the server refused, e.g. "PUTSCRIPT"
	Status  string   // "NO" or "BYE"
	Code    string   // the response code, upper case: "QUOTA/MAXSIZE", "NONEXISTENT"; "" when none
	Args    []string // the code's arguments (the URL of a REFERRAL, the SASL data)
	Text    string   // the server's human-readable text
}

// codeWords says what each RFC 5804 response code means to a user.
var codeWords = map[string]string{
	"AUTH-TOO-WEAK":     "the server wants a stronger login mechanism",
	"ENCRYPT-NEEDED":    "the server wants an encrypted connection before this",
	"QUOTA":             "over the account's Sieve quota",
	"QUOTA/MAXSCRIPTS":  "the account has as many Sieve scripts as the server allows",
	"QUOTA/MAXSIZE":     "the script is larger than the server allows",
	"REFERRAL":          "the account's Sieve scripts are kept on another server",
	"SASL":              "the login mechanism failed",
	"TRANSITION-NEEDED": "the server wants one password login first to upgrade the account",
	"TRYLATER":          "the server is busy; try again later",
	"ACTIVE":            "the script is active",
	"NONEXISTENT":       "no such script",
	"ALREADYEXISTS":     "a script with that name already exists",
	"WARNINGS":          "the server warned about the script",
	"TAG":               "",
}

// Error words the refusal: the command, what the code means and the
// server's text, e.g. `PUTSCRIPT refused: the script is larger than the
// server allows (QUOTA/MAXSIZE): "Script too large"`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Command)
	if e.Status == "BYE" {
		b.WriteString(": the server closed the connection")
	} else {
		b.WriteString(" refused")
	}
	if e.Code != "" {
		if w := codeWords[e.Code]; w != "" {
			b.WriteString(": " + w + " (" + e.Code + ")")
		} else {
			b.WriteString(" (" + e.Code + ")")
		}
		if e.Code == "REFERRAL" && len(e.Args) > 0 {
			b.WriteString(" " + e.Args[0])
		}
	}
	if e.Text != "" {
		b.WriteString(": " + sanitize(e.Text, 300))
	}
	return b.String()
}

// Is matches the sentinel errors of the response code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNonexistent:
		return e.Code == "NONEXISTENT"
	case ErrActive:
		return e.Code == "ACTIVE"
	case ErrQuota:
		return strings.HasPrefix(e.Code, "QUOTA")
	case ErrTryLater:
		return e.Code == "TRYLATER"
	case ErrAuth:
		return e.Command == "AUTHENTICATE" && e.Status == "NO" && e.Code != "TRYLATER"
	case ErrClosed:
		return e.Status == "BYE"
	}
	return false
}

// sanitize makes server text safe to show and log: one line, no control
// characters, at most max runes.
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			r = ' '
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
