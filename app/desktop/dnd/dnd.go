// Package dnd holds the rest of the desktop while Sluice holds: it puts
// the desktop's notification server into do-not-disturb during focus (or
// whenever the gate holds, as the user chose), lifts it at every check-in
// so what other apps sent meanwhile appears with Sluice's own check-in
// summary, and restores it on quit, at the next start after a crash, and
// when the setting is turned off. It never lifts a do-not-disturb the user
// set before the block.
//
// One Backend per kind of desktop, detected from who owns
// org.freedesktop.Notifications: dunst (its paused property), KDE Plasma
// (Inhibit/UnInhibit, bound to Sluice's connection), GNOME (show-banners
// through GSettings), XFCE (xfconf's /do-not-disturb), mako (makoctl
// modes), macOS (the user's Shortcuts) and Windows (Focus Assist, which
// can be read but not set). The Guard follows the gate's mode and owns
// every change; a small 0600 state file in the data directory records
// what it changed so a crash never leaves the desktop silenced.
//
// On Linux the Guard can also capture: while it holds, a D-Bus monitor
// sees other apps' Notify calls and the apps the user chose become items
// of kind "desktop", handed to the gate like any connector's.
package dnd

import (
	"context"
	"errors"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Backend switches one desktop's do-not-disturb.
type Backend interface {
	// Name is the desktop as the user knows it: "dunst", "GNOME", …
	Name() string
	// Server is what the notification server calls itself, e.g.
	// "dunst 1.9.0" (empty when there is none).
	Server() string
	// Quiet reports whether the desktop is in do-not-disturb now, whoever
	// set it. Backends whose Traits say CanRead is false return false.
	Quiet(ctx context.Context) (bool, error)
	// SetQuiet turns do-not-disturb on or off.
	SetQuiet(ctx context.Context, on bool) error
	// Traits say how this desktop behaves.
	Traits() Traits
}

// Traits describe how a desktop's do-not-disturb behaves, for the Guard's
// decisions and for what Sluice tells the user.
type Traits struct {
	// CanSet is false where Sluice can only look (Windows Focus Assist).
	CanSet bool
	// CanRead is false where the state cannot be read (macOS Focus): then
	// the user's own do-not-disturb cannot be told apart and Sluice's
	// "off" Shortcut decides what is turned off.
	CanRead bool
	// CriticalShown is true when a critical-urgency notification is shown
	// during do-not-disturb (XFCE, KDE). Elsewhere Sluice lifts the
	// do-not-disturb while its urgent notification is on screen.
	CriticalShown bool
	// EndsWithConnection is true when the do-not-disturb ends by itself
	// when Sluice's connection closes (KDE's inhibitions): nothing to
	// record, nothing to restore after a crash.
	EndsWithConnection bool
	// Settle is how long the server may take to notice a change (GNOME
	// reads GSettings asynchronously); Sluice waits this long after
	// lifting before it sends a notification that must be seen.
	Settle time.Duration
	// Word names the quiet state: "paused", "in do-not-disturb", "banners off".
	Word string
	// Waiting says what happens to other apps' notifications meanwhile.
	Waiting string
	// Urgent says how a Sluice breakthrough reaches the user while quiet.
	Urgent string
	// Advice is what the user can do on this desktop.
	Advice string
}

// Errors callers test for.
var (
	// ErrNoServer means nothing owns org.freedesktop.Notifications.
	ErrNoServer = errors.New("no notification server on the session bus")
	// ErrCannotSet means the desktop offers no way to switch its
	// do-not-disturb from a program.
	ErrCannotSet = errors.New("this desktop's do-not-disturb cannot be switched by a program")
)

// Settings are the [desktop] settings the Guard follows.
type Settings struct {
	// Hold is "focus", "holding" or "off" (config.Desktop.HoldOtherApps).
	Hold string
	// Capture lets the Guard watch other apps' notifications while it holds.
	Capture bool
	// CaptureApps are the apps whose notifications become items.
	CaptureApps []string
	// ShortcutOn and ShortcutOff are the macOS Shortcuts to run.
	ShortcutOn, ShortcutOff string
}

// wants reports whether other apps are held in mode m under hold. A
// meeting on the user's calendar holds like a focus block: nothing pops up
// while the user presents.
func wants(hold string, m model.Mode) bool {
	switch hold {
	case "focus":
		return m == model.ModeFocus || m == model.ModeMeeting
	case "holding":
		switch m {
		case model.ModeFocus, model.ModeMeeting, model.ModeBetween, model.ModeOffHours, model.ModeVacation:
			return true
		}
	}
	return false
}

// Mode is what the Guard needs to know of the gate's state.
type Mode struct {
	Mode        model.Mode
	Until       time.Time      // when this mode ends (zero: not known)
	NextCheckin time.Time      // the next scheduled check-in (zero: none)
	Zone        *time.Location // for wording times (nil: local)
}

// Notification is another app's notification as the monitor saw it.
type Notification struct {
	App     string // the app's name, or its desktop entry when it gave none
	Summary string
	Body    string // plain text (markup removed)
	Urgent  bool   // sent with critical urgency
	Sender  string // the sender's unique bus name
	Serial  uint32 // the message's serial, unique per sender
}

// Watcher reports other apps' notifications until ctx is done. It calls
// ready once it sees every notification sent from then on.
type Watcher interface {
	Watch(ctx context.Context, ready func(), fn func(Notification)) error
}
