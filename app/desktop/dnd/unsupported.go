package dnd

import "context"

// unsupported is a notification server Sluice cannot switch: it says so,
// and changes nothing.
type unsupported struct {
	server string
	why    string // what is missing, when the desktop is known
}

func (u *unsupported) Name() string   { return "unknown" }
func (u *unsupported) Server() string { return u.server }

func (u *unsupported) Quiet(context.Context) (bool, error) { return false, nil }

func (u *unsupported) SetQuiet(context.Context, bool) error { return ErrCannotSet }

func (u *unsupported) Traits() Traits {
	word := "Sluice does not know how to hold other apps on this notification server"
	if u.why != "" {
		word = "Sluice cannot hold other apps here: " + u.why
	}
	return Traits{
		Word:   word,
		Urgent: "Sluice's urgent notifications are sent with critical urgency.",
		Advice: "Sluice holds other apps on dunst, KDE Plasma, GNOME, XFCE and mako. Here, turn on your desktop's " +
			"do-not-disturb yourself during focus blocks; Sluice still holds its own sources.",
	}
}
