package cli

import (
	"fmt"

	"github.com/sluice-app/sluice/app/autostart"
)

// runAutostart is `sluice autostart on|off|status`: start the resident
// process (the tray, no window) when the user logs in, or stop doing so.
// It registers the sluice binary this command runs from, so it is best run
// from the installed copy.
func runAutostart(e *Env, args []string) error {
	fs := newFlags(e, "autostart")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("autostart: say on, off or status")
	}
	loc, err := autostart.Location()
	if err != nil {
		return err
	}
	switch pos[0] {
	case "on":
		exe, err := autostart.Executable()
		if err != nil {
			return err
		}
		if err := autostart.Enable(exe); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "Sluice will start when you log in.\n  %s starts %s\n", loc, exe)
	case "off":
		if err := autostart.Disable(); err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, "Sluice will no longer start when you log in.")
	case "status":
		on, err := autostart.Enabled()
		if err != nil {
			return err
		}
		if on {
			fmt.Fprintf(e.Stdout, "on (%s)\n", loc)
		} else {
			fmt.Fprintln(e.Stdout, "off")
		}
	default:
		return usagef("autostart: unknown action %q (want on, off or status)", pos[0])
	}
	return nil
}
