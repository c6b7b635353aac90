package ui

// setStartAtLogin creates or removes the entry that starts Sluice when the
// user logs in. The wish itself is saved with the config
// (config.General.StartAtLogin) either way.
//
// The login entry belongs to app/autostart, which is being written in
// parallel; until it lands, only Options.StartAtLogin (if set) acts on it.
// Call site to wire: autostart.Set(enabled).
func (u *UI) setStartAtLogin(enabled bool) error {
	if u.opt.StartAtLogin != nil {
		return u.opt.StartAtLogin(enabled)
	}
	return nil
}
