package sieve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Names of the scripts Sluice writes. No other script is ever written,
// activated, deactivated or deleted.
const (
	// ScriptMain is the script that includes the others; it is the active
	// script when the user has none, and what the user's own active
	// script includes otherwise.
	ScriptMain = "sluice"
	// ScriptHold holds mail at delivery (HoldScript).
	ScriptHold = "sluice-hold"
	// ScriptVacation is the auto-reply (VacationScript).
	ScriptVacation = "sluice-vacation"
)

// IncludeLines are the lines a user's own active script needs so that
// Sluice's scripts run: the first with the script's other require lines
// at the top, the second at its end.
const IncludeLines = "require [\"include\"];\ninclude :personal \"" + ScriptMain + "\";\n"

// Desired is what Apply should leave on the server: a script's text, or ""
// for none.
type Desired struct {
	Hold     string // from HoldScript
	Vacation string // from VacationScript
}

// State is how Sluice's scripts run after Apply.
type State string

// States Apply reports.
const (
	// StateActive: Sluice's main script is the account's active script
	// (the user had none).
	StateActive State = "active"
	// StateIncluded: the user's active script includes Sluice's main script.
	StateIncluded State = "included"
	// StateOff: nothing of Sluice's runs (both scripts were empty).
	StateOff State = "off"
)

// Result says what Apply did.
type Result struct {
	State State
	// Active is the name of the account's active script afterwards.
	Active string
	// Warnings are the server's warnings about Sluice's scripts, and
	// advice about the user's script (where its include line stands).
	Warnings []string
}

// ErrIncludeNeeded is wrapped by *IncludeError.
var ErrIncludeNeeded = errors.New("the account's active Sieve script does not include Sluice's")

// ErrNameTaken: a script with one of Sluice's names exists that Sluice did
// not write; it is left alone and nothing is installed.
var ErrNameTaken = errors.New("a Sieve script with Sluice's name exists that Sluice did not write")

// IncludeError means the user has an active script of their own that does
// not include Sluice's: Apply changed nothing on the server. The caller
// falls back to the IMAP path and shows Error, which names the script and
// the lines to add.
type IncludeError struct {
	Active string // the user's active script
	Lines  string // IncludeLines
}

func (e *IncludeError) Error() string {
	return fmt.Sprintf("your active Sieve script %q is your own, and Sluice never replaces or deactivates it. "+
		"To let the mail server hold mail and answer for Sluice, add this line to the require lines at the top of %q:\n    %s\n"+
		"and this line at its end, after your own rules (end each of your rules that files mail elsewhere with \"stop;\"):\n    %s\n"+
		"Until then Sluice holds mail over IMAP.",
		e.Active, e.Active, `require ["include"];`, `include :personal "`+ScriptMain+`";`)
}

// Is matches ErrIncludeNeeded.
func (e *IncludeError) Is(target error) bool { return target == ErrIncludeNeeded }

// Manager installs and removes Sluice's scripts on one ManageSieve
// connection, under one rule: never overwrite, deactivate or delete a
// script Sluice did not write.
type Manager struct {
	c   *Client
	log *slog.Logger
}

// NewManager returns a manager that works through a logged-in client.
func NewManager(c *Client, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{c: c, log: log.With("component", "sieve")}
}

// Apply makes the server run exactly the desired scripts:
//
//   - With no active script (or Sluice's own active), Sluice's main script
//     is written and activated; when both scripts are empty it is
//     deactivated and deleted.
//   - When the user's active script includes Sluice's main script
//     (include :personal "sluice" at its top level), only Sluice's scripts
//     are written; the main script stays, emptied, when both are empty,
//     so the user's include keeps working.
//   - Otherwise nothing on the server changes and Apply returns an
//     *IncludeError with the lines the user must add — except when both
//     scripts are empty: then Sluice's leftover scripts, if any, are
//     deleted.
//
// Every script is checked by the server (CHECKSCRIPT) before anything is
// written, so a script the server refuses changes nothing. Scripts are
// written before the main script that includes them, and the main script
// is rewritten before a script it stops including is deleted, so mail
// delivered in between always meets scripts that compile.
func (m *Manager) Apply(ctx context.Context, want Desired) (Result, error) {
	parts := []struct{ name, text string }{{ScriptVacation, want.Vacation}, {ScriptHold, want.Hold}}
	main := mainScript(want.Vacation != "", want.Hold != "")
	caps := m.c.Capabilities()
	if caps.Version != "" {
		for _, p := range parts {
			if p.text == "" {
				continue
			}
			if warn, err := m.c.CheckScript(ctx, p.text); err != nil {
				return Result{}, fmt.Errorf("check %s: %w", p.name, err)
			} else if warn != "" {
				m.log.Info("server warns about a script", "script", p.name, "warning", warn)
			}
		}
	}

	list, err := m.c.ListScripts(ctx)
	if err != nil {
		return Result{}, err
	}
	active := ""
	exists := map[string]bool{}
	for _, s := range list {
		exists[s.Name] = true
		if s.Active {
			active = s.Name
		}
	}
	// Scripts of Sluice's names must be Sluice's.
	for _, name := range []string{ScriptMain, ScriptHold, ScriptVacation} {
		if !exists[name] {
			continue
		}
		text, err := m.c.GetScript(ctx, name)
		if err != nil {
			return Result{}, err
		}
		if !strings.HasPrefix(text, Marker) {
			return Result{}, fmt.Errorf("%w: %q (rename or delete it to let Sluice use the server's Sieve)", ErrNameTaken, name)
		}
	}
	off := want.Hold == "" && want.Vacation == ""

	var res Result
	own := active == "" || active == ScriptMain || active == ScriptHold || active == ScriptVacation
	if !own {
		text, err := m.c.GetScript(ctx, active)
		if err != nil {
			return Result{}, err
		}
		inc := findInclude(text, ScriptMain)
		if !inc.found {
			if off {
				// Sluice's leftovers run nowhere; remove them.
				for _, name := range []string{ScriptMain, ScriptHold, ScriptVacation} {
					if exists[name] {
						if err := m.c.DeleteScript(ctx, name); err != nil && !errors.Is(err, ErrNonexistent) {
							return Result{}, err
						}
					}
				}
				return Result{State: StateOff, Active: active}, nil
			}
			return Result{Active: active}, &IncludeError{Active: active, Lines: IncludeLines}
		}
		if !inc.last {
			res.Warnings = append(res.Warnings, fmt.Sprintf("in your script %q the include of %q is followed by other commands; Sluice's rules see only what those leave, and mail they file elsewhere may be held as well: put the include at the end", active, ScriptMain))
		}
		res.State = StateIncluded
	} else {
		res.State = StateActive
	}

	put := func(name, text string) error {
		if err := m.c.HaveSpace(ctx, name, len(text)); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		warn, err := m.c.PutScript(ctx, name, text)
		if err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		if warn != "" {
			res.Warnings = append(res.Warnings, name+": "+warn)
		}
		return nil
	}
	for _, p := range parts {
		if p.text != "" {
			if err := put(p.name, p.text); err != nil {
				return Result{}, err
			}
		}
	}
	if !(off && res.State == StateActive) {
		if err := put(ScriptMain, main); err != nil {
			return Result{}, err
		}
	}
	switch {
	case res.State == StateActive && !off && active != ScriptMain:
		if err := m.c.SetActive(ctx, ScriptMain); err != nil {
			return Result{}, err
		}
		active = ScriptMain
	case res.State == StateActive && off && active != "":
		if err := m.c.SetActive(ctx, ""); err != nil {
			return Result{}, err
		}
		active = ""
	}
	for _, p := range parts {
		if p.text == "" && exists[p.name] {
			if err := m.c.DeleteScript(ctx, p.name); err != nil && !errors.Is(err, ErrNonexistent) {
				return Result{}, err
			}
		}
	}
	if off && res.State == StateActive && exists[ScriptMain] {
		if err := m.c.DeleteScript(ctx, ScriptMain); err != nil && !errors.Is(err, ErrNonexistent) {
			return Result{}, err
		}
	}
	if off {
		res.State = StateOff
	}
	res.Active = active
	m.log.Info("sieve scripts applied", "state", string(res.State), "active", active, "hold", want.Hold != "", "vacation", want.Vacation != "")
	return res, nil
}

// Remove takes every script of Sluice's off the server (Apply with
// nothing desired). The user's scripts stay as they are.
func (m *Manager) Remove(ctx context.Context) (Result, error) {
	return m.Apply(ctx, Desired{})
}

// mainScript includes the scripts that are present: the auto-reply first
// (it files nothing), then the hold.
func mainScript(vacation, hold bool) string {
	var b strings.Builder
	b.WriteString(Marker + ": runs Sluice's scripts. Changes made here are replaced.\n")
	if !vacation && !hold {
		b.WriteString("# Nothing to do now.\n")
		return b.String()
	}
	b.WriteString("require [\"include\"];\n")
	if vacation {
		b.WriteString("include :personal \"" + ScriptVacation + "\";\n")
	}
	if hold {
		b.WriteString("include :personal \"" + ScriptHold + "\";\n")
	}
	return b.String()
}
