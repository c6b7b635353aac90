package ui

import "github.com/sluice-app/sluice/app/autostart"

// setStartAtLogin creates or removes the entry that starts Sluice when the
// user logs in (app/autostart: an XDG autostart entry, a LaunchAgent or the
// Run key). The wish itself is saved with the config
// (config.General.StartAtLogin) so that the settings show it.
func (u *UI) setStartAtLogin(enabled bool) error {
	if u.opt.StartAtLogin != nil {
		return u.opt.StartAtLogin(enabled)
	}
	return autostart.Set(enabled)
}
