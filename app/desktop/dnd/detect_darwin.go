package dnd

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// DetectSystem finds the desktop's do-not-disturb: on macOS, the user's
// Shortcuts named in the settings, run with the `shortcuts` command. No
// public interface turns a Focus on or off, but a Shortcut can ("Set
// Focus"), and the user builds it once.
func DetectSystem(_ context.Context, s Settings) (Backend, error) {
	bin, err := exec.LookPath("shortcuts")
	if err != nil {
		return &unsupported{server: "macOS", why: "the shortcuts command is missing (macOS 12 or later has it)"}, nil
	}
	if strings.TrimSpace(s.ShortcutOn) == "" || strings.TrimSpace(s.ShortcutOff) == "" {
		return &unsupported{server: "macOS", why: "no Shortcuts are named in Settings ▸ Notifications"}, nil
	}
	return &shortcuts{bin: bin, on: s.ShortcutOn, off: s.ShortcutOff}, nil
}

// shortcuts turns a macOS Focus on and off by running the user's Shortcuts.
type shortcuts struct{ bin, on, off string }

func (m *shortcuts) Name() string   { return "macOS Shortcuts" }
func (m *shortcuts) Server() string { return "macOS Focus" }

// Quiet cannot be read: macOS offers no way to ask which Focus is on.
func (m *shortcuts) Quiet(context.Context) (bool, error) { return false, nil }

func (m *shortcuts) SetQuiet(ctx context.Context, on bool) error {
	name := m.off
	if on {
		name = m.on
	}
	out, err := exec.CommandContext(ctx, m.bin, "run", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("run the Shortcut %q: %v: %s (create it in the Shortcuts app; see Settings ▸ Notifications)",
			name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (m *shortcuts) Traits() Traits {
	return Traits{
		CanSet: true, Word: "in Focus",
		Waiting: "macOS keeps them in Notification Center; it does not show them again when the Focus ends.",
		Urgent: "A Focus silences Sluice too unless you allow it: Sluice runs your “off” Shortcut for a few seconds " +
			"while its urgent notification is shown, then the “on” one again.",
		Advice: fmt.Sprintf("In the Shortcuts app, make a Shortcut named %q with the action “Set Focus ▸ Do Not Disturb ▸ On”, "+
			"and one named %q that turns it Off. macOS cannot tell Sluice whether a Focus is on, so the “off” Shortcut "+
			"also ends a Focus you started yourself during a block.", m.on, m.off),
	}
}
