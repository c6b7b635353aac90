package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
)

// accountsTab lists the sources (the local inbox and the configured
// accounts) with their live health, and edits the selected one.
type accountsTab struct {
	s       *settings
	list    *widget.List
	editor  *fyne.Container
	sel     int // -1: the local inbox; else an index into cfg.Accounts
	healths map[string]model.Health
}

func newAccountsTab(s *settings) *accountsTab {
	t := &accountsTab{s: s, sel: -1, healths: map[string]model.Health{}}
	for _, h := range s.status.Health {
		t.healths[h.Account] = h
	}
	return t
}

func (t *accountsTab) build() fyne.CanvasObject {
	s := t.s
	t.list = widget.NewList(
		func() int { return 1 + len(s.cfg.Accounts) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			state := oneLine("")
			state.SizeName = theme.SizeNameCaptionText
			return container.NewBorder(nil, nil, widget.NewIcon(theme.MailComposeIcon()), nil,
				container.NewVBox(name, state))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*fyne.Container)
			icon := c.Objects[1].(*widget.Icon)
			box := c.Objects[0].(*fyne.Container)
			name, state := box.Objects[0].(*widget.Label), box.Objects[1].(*widget.Label)
			if id == 0 {
				icon.SetResource(kindIcon(model.KindLocal))
				name.SetText("Local inbox")
				state.SetText(t.healthText("local", true))
				return
			}
			if id-1 >= len(s.cfg.Accounts) {
				return
			}
			a := s.cfg.Accounts[id-1]
			icon.SetResource(kindIcon(model.Kind(a.Kind)))
			n := a.Name
			if n == "" {
				n = "(unnamed)"
			}
			name.SetText(n)
			state.SetText(t.healthText(a.Name, a.IsEnabled()))
		})
	t.list.OnSelected = func(id widget.ListItemID) {
		t.sel = id - 1
		t.buildEditor()
	}
	addMail := widget.NewButtonWithIcon("Add mail account", theme.ContentAddIcon(), func() { t.add("imap") })
	addSlack := widget.NewButtonWithIcon("Add Slack workspace", theme.ContentAddIcon(), func() { t.add("slack") })
	addMatrix := widget.NewButtonWithIcon("Add Matrix account", theme.ContentAddIcon(), func() { t.add("matrix") })
	addGitHub := widget.NewButtonWithIcon("Add GitHub", theme.ContentAddIcon(), func() { t.add("github") })
	addCal := widget.NewButtonWithIcon("Add calendar", theme.ContentAddIcon(), func() { t.add("caldav") })
	left := container.NewBorder(heading("Sources"), container.NewVBox(addMail, addSlack, addMatrix, addGitHub, addCal), nil, nil, t.list)

	t.editor = container.NewVBox()
	t.list.Select(t.sel + 1)
	t.buildEditor()
	split := container.NewHSplit(container.NewPadded(left), container.NewVScroll(container.NewPadded(t.editor)))
	split.Offset = 0.3
	return split
}

// healthText is the list's second line: the connector's state in words.
func (t *accountsTab) healthText(name string, enabled bool) string {
	if !enabled {
		return "Off"
	}
	h, ok := t.healths[name]
	if !ok {
		if name == "local" {
			return "Ready"
		}
		if t.s.saved.Accounts != nil && slices.ContainsFunc(t.s.saved.Accounts, func(a config.Account) bool { return a.Name == name }) {
			return "Not reported yet"
		}
		return "Not saved yet"
	}
	text := map[model.HealthState]string{
		model.HealthStarting: "Starting", model.HealthConnected: "Connected", model.HealthBackingOff: "Retrying",
		model.HealthAuthFailed: "Sign-in failed", model.HealthSignInNeeded: "Sign-in needed", model.HealthRateLimited: "Rate limited",
		model.HealthDisabled: "Off", model.HealthStopped: "Stopped",
	}[h.State]
	if text == "" {
		text = string(h.State)
	}
	if h.Detail != "" {
		text += ": " + h.Detail
	}
	return text
}

// health updates one account's live state.
func (t *accountsTab) health(h model.Health) {
	t.healths[h.Account] = h
	t.list.Refresh()
}

// saved refreshes the names and states after a save.
func (t *accountsTab) saved() { t.list.Refresh() }

// add appends a new account of a kind and selects it.
func (t *accountsTab) add(kind string) {
	s := t.s
	base := map[string]string{"imap": "Mail", "slack": "Slack", "matrix": "Matrix", "github": "GitHub", "caldav": "Calendar", "ics": "Calendar"}[kind]
	name := base
	for n := 2; slices.ContainsFunc(s.cfg.Accounts, func(a config.Account) bool { return strings.EqualFold(a.Name, name) }); n++ {
		name = fmt.Sprintf("%s %d", base, n)
	}
	acc := config.Account{Name: name, Kind: kind}
	if kind == "imap" {
		acc.Security = "tls"
	}
	s.cfg.Accounts = append(s.cfg.Accounts, acc)
	s.origNames = append(s.origNames, "")
	t.list.Refresh()
	t.list.Select(len(s.cfg.Accounts))
	s.changed()
}

// remove deletes the selected account from the working copy.
func (t *accountsTab) remove(i int) {
	s := t.s
	name := s.cfg.Accounts[i].Name
	s.cfg.Accounts = slices.Delete(s.cfg.Accounts, i, i+1)
	if len(s.cfg.Accounts) == 0 {
		s.cfg.Accounts = nil
	}
	if i < len(s.origNames) {
		s.origNames = slices.Delete(s.origNames, i, i+1)
	}
	delete(s.pending, name)
	t.list.UnselectAll()
	t.list.Refresh()
	t.list.Select(0)
	s.changed()
}

func (t *accountsTab) setPending(account string, k string, v string) {
	s := t.s
	if v == "" {
		if m := s.pending[account]; m != nil {
			delete(m, k)
			if len(m) == 0 {
				delete(s.pending, account)
			}
		}
		return
	}
	if s.pending[account] == nil {
		s.pending[account] = map[string]string{}
	}
	s.pending[account][k] = v
}

// buildEditor lays out the editor of the selected source.
func (t *accountsTab) buildEditor() {
	s := t.s
	s.dropParse("accounts")
	s.dropParse("local")
	var objs []fyne.CanvasObject
	switch {
	case t.sel < 0:
		objs = t.localEditor()
	case t.sel < len(s.cfg.Accounts):
		switch s.cfg.Accounts[t.sel].Kind {
		case "slack":
			objs = t.slackEditor(t.sel)
		case "matrix":
			objs = t.matrixEditor(t.sel)
		case "github":
			objs = t.githubEditor(t.sel)
		case "caldav", "ics":
			objs = t.calendarEditor(t.sel)
		default:
			objs = t.imapEditor(t.sel)
		}
	}
	t.editor.Objects = objs
	t.editor.Refresh()
	s.changed()
}

func (t *accountsTab) localEditor() []fyne.CanvasObject {
	s := t.s
	httpOn := newCheck("Accept pushes over HTTP from this computer", s.cfg.Local.HTTP, func(on bool) {
		s.cfg.Local.HTTP = on
		s.changed()
	})
	listen := widget.NewEntry()
	listen.SetText(s.cfg.Local.Listen)
	listen.SetPlaceHolder(config.DefaultListen)
	listen.OnChanged = func(v string) {
		s.cfg.Local.Listen = strings.TrimSpace(v)
		s.changed()
	}
	return []fyne.CanvasObject{
		heading("Local inbox"),
		note("Always on. Scripts, CI jobs and automation push items here with `sluice send`; they are held and released like mail."),
		httpOn,
		labelled("Address", listen),
		s.fe.slot("local.listen", "local.http"),
		note("Loopback only: the endpoint never listens on the network. `sluice token` prints its URL and bearer token."),
	}
}

// entryFor is a text entry bound to an account field, validated by path.
func entryFor(s *settings, path, value, placeholder string, set func(string)) (*widget.Entry, *widget.Label) {
	e := widget.NewEntry()
	e.SetText(value)
	e.SetPlaceHolder(placeholder)
	e.OnChanged = func(v string) {
		set(strings.TrimSpace(v))
		s.changed()
	}
	return e, s.fe.slot(path)
}

// listText writes a list for a one-line entry ("a, b"); parseList reads it.
func listText(l []string) string { return strings.Join(l, ", ") }

func parseList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// commonFields are the name and on/off switch every account has.
func (t *accountsTab) commonFields(i int, title string) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	name, nameMsg := entryFor(s, f+".name", acc.Name, "A name you recognise, e.g. Work mail", func(v string) {
		old := s.cfg.Accounts[i].Name
		s.cfg.Accounts[i].Name = v
		if p, ok := s.pending[old]; ok && old != v {
			delete(s.pending, old)
			s.pending[v] = p
		}
		t.list.RefreshItem(i + 1)
	})
	enabled := newCheck("On", acc.IsEnabled(), func(on bool) {
		if on {
			s.cfg.Accounts[i].Enabled = nil
		} else {
			off := false
			s.cfg.Accounts[i].Enabled = &off
		}
		t.list.RefreshItem(i + 1)
		s.changed()
	})
	return []fyne.CanvasObject{
		container.NewBorder(nil, nil, nil, enabled, heading(title)),
		labelled("Name", name), nameMsg,
	}
}

// preset is a mail provider the running Sluice knows, by key.
func (u *UI) preset(key string) (control.Preset, bool) {
	for _, p := range u.presets {
		if p.Key == key {
			return p, true
		}
	}
	return control.Preset{}, false
}

// presetHint is a provider's advice on the password it takes, or "".
func (u *UI) presetHint(key string) string {
	if p, ok := u.preset(strings.ToLower(key)); ok && p.Hint != "" {
		return p.Name + ": " + p.Hint
	}
	return ""
}

func (t *accountsTab) imapEditor(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	objs := t.commonFields(i, "Mail (IMAP)")
	objs = append(objs, t.serverFields(i)...)
	user, userMsg := entryFor(s, f+".username", acc.Username, "you@example.com", func(v string) { s.cfg.Accounts[i].Username = v })
	objs = append(objs, labelled("User name", user), userMsg)
	objs = append(objs, t.signInFields(i)...)
	folders, foldersMsg := entryFor(s, f+".folders", listText(acc.Folders), "INBOX", func(v string) { s.cfg.Accounts[i].Folders = parseList(v) })
	objs = append(objs, labelled("Folders", folders), foldersMsg)
	objs = append(objs, t.initialSyncFields(i)...)
	objs = append(objs, t.holdFields(i)...)
	return append(objs, t.actions(i)...)
}

// serverFields choose the provider (a preset) or the server, its port
// and its security; picking a provider shows its hint and its server as
// placeholders.
func (t *accountsTab) serverFields(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	const other = "Other server"
	opts := []string{other}
	for _, p := range s.u.presets {
		opts = append(opts, p.Name)
	}
	hint := note(plainArrows(s.u.presetHint(acc.Preset)))
	host, hostMsg := entryFor(s, f+".host", acc.Host, "imap.example.com", func(v string) { s.cfg.Accounts[i].Host = v })
	port := t.portEntry(i)
	security := t.securitySelect(i)
	placeholders := func(preset string) {
		if p, ok := s.u.preset(preset); ok {
			host.SetPlaceHolder(p.Host + " (from the preset)")
			port.SetPlaceHolder(strconv.Itoa(p.Port))
		} else {
			host.SetPlaceHolder("imap.example.com")
			port.SetPlaceHolder("993")
		}
	}
	placeholders(acc.Preset)
	provSel := other
	if p, ok := s.u.preset(acc.Preset); ok {
		provSel = p.Name
	}
	provider := newSelect(opts, provSel, func(v string) {
		old := s.cfg.Accounts[i]
		s.cfg.Accounts[i].Preset = ""
		for _, p := range s.u.presets {
			if p.Name == v {
				s.cfg.Accounts[i].Preset = p.Key
			}
		}
		s.u.presetSignIn(&s.cfg.Accounts[i], old.Preset)
		if signInLabel(old) != signInLabel(s.cfg.Accounts[i]) {
			t.buildEditor() // other sign-in rows
			return
		}
		hint.SetText(plainArrows(s.u.presetHint(s.cfg.Accounts[i].Preset)))
		placeholders(s.cfg.Accounts[i].Preset)
		s.changed()
	})
	return []fyne.CanvasObject{
		labelled("Provider", provider), hint,
		labelled("Server", container.NewBorder(nil, nil, nil, container.NewHBox(widget.NewLabel("port"), fixedWidth(70, port)), host)),
		hostMsg, s.fe.slot(f + ".port"),
		labelled("Security", security), s.fe.slot(f + ".security"),
	}
}

// portEntry edits an IMAP account's port; empty means the default.
func (t *accountsTab) portEntry(i int) *widget.Entry {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	port := widget.NewEntry()
	if acc.Port != 0 {
		port.SetText(strconv.Itoa(acc.Port))
	}
	port.OnChanged = func(v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			s.cfg.Accounts[i].Port = 0
			s.setParse(f+".port", "")
		} else if n, err := strconv.Atoi(v); err != nil {
			s.setParse(f+".port", fmt.Sprintf("%q is not a port number", v))
		} else {
			s.setParse(f+".port", "")
			s.cfg.Accounts[i].Port = n
		}
		s.changed()
	}
	return port
}

// securitySelect chooses TLS or STARTTLS (and shows plaintext, allowed
// for this computer only, where the file asks for it).
func (t *accountsTab) securitySelect(i int) *widget.Select {
	s := t.s
	acc := &s.cfg.Accounts[i]
	secOpts := []string{"TLS", "STARTTLS"}
	if acc.Security == "insecure" {
		secOpts = append(secOpts, "Plaintext (this computer only)")
	}
	secSel := "TLS"
	switch acc.Security {
	case "starttls":
		secSel = "STARTTLS"
	case "insecure":
		secSel = secOpts[2]
	}
	security := newSelect(secOpts, secSel, func(v string) {
		switch v {
		case "STARTTLS":
			s.cfg.Accounts[i].Security = "starttls"
		case "TLS":
			s.cfg.Accounts[i].Security = "tls"
		default:
			s.cfg.Accounts[i].Security = "insecure"
		}
		s.changed()
	})
	return security
}

// initialSyncFields choose what an IMAP account fetches at its first
// start: nothing old, the newest N messages or everything.
func (t *accountsTab) initialSyncFields(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	syncOpts := []string{"Only mail that arrives from now on", "The newest messages already there", "Everything already there"}
	newest := widget.NewEntry()
	if acc.InitialNewest > 0 {
		newest.SetText(strconv.Itoa(acc.InitialNewest))
	}
	newest.SetPlaceHolder("50")
	newest.OnChanged = func(v string) {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
			s.setParse(f+".initial_newest", fmt.Sprintf("%q is not a number", v))
		} else {
			s.setParse(f+".initial_newest", "")
			s.cfg.Accounts[i].InitialNewest = n
		}
		s.changed()
	}
	initSel := syncOpts[0]
	switch acc.InitialSync {
	case "newest":
		initSel = syncOpts[1]
	case "all":
		initSel = syncOpts[2]
	}
	initial := newSelect(syncOpts, initSel, func(v string) {
		a := &s.cfg.Accounts[i]
		switch v {
		case syncOpts[1]:
			a.InitialSync = "newest"
			if a.InitialNewest <= 0 {
				a.InitialNewest = 50
				newest.SetText("50")
			}
			newest.Enable()
		case syncOpts[2]:
			a.InitialSync, a.InitialNewest = "all", 0
			newest.Disable()
		default:
			a.InitialSync, a.InitialNewest = "", 0
			newest.Disable()
		}
		s.changed()
	})
	if acc.InitialSync != "newest" {
		newest.Disable()
	}
	return []fyne.CanvasObject{
		labelled("At first start, fetch", initial),
		labelled("How many", fixedWidth(80, newest)), s.fe.slot(f+".initial_newest", f+".initial_sync", f+".initial_since"),
	}
}

// holdFields are the switch that holds mail on the server too, with what
// it does in words, and its options.
func (t *accountsTab) holdFields(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	folder, folderMsg := entryFor(s, f+".hold_folder", acc.HoldFolder, "Sluice/Held", func(v string) { s.cfg.Accounts[i].HoldFolder = v })
	atDelivery := newCheck("Hold at delivery where the server offers it (Sieve)", acc.HoldAtDelivery, func(on bool) {
		s.cfg.Accounts[i].HoldAtDelivery = on
		s.changed()
	})
	onQuit := newCheck("Move held mail back to INBOX when Sluice quits", acc.ReleaseOnQuit, func(on bool) {
		s.cfg.Accounts[i].ReleaseOnQuit = on
		s.changed()
	})
	options := []fyne.Disableable{folder, atDelivery, onQuit}
	enable := func(on bool) {
		for _, o := range options {
			if on {
				o.Enable()
			} else {
				o.Disable()
			}
		}
	}
	hold := newCheck("Hold mail on the server too", acc.HoldOnServer, func(on bool) {
		s.cfg.Accounts[i].HoldOnServer = on
		enable(on)
		s.changed()
	})
	enable(acc.HoldOnServer)
	return []fyne.CanvasObject{
		widget.NewSeparator(),
		hold, s.fe.slot(f + ".hold_on_server"),
		note("While Sluice holds, new mail that is not urgent also leaves INBOX on the server: it waits in a folder of Sluice's own " +
			"and comes back in one batch at each check-in, so your phone and webmail stay quiet too. Urgent mail stays in INBOX. " +
			"Nothing is deleted or changed; turning this off moves everything back. With Sieve the server files the mail at " +
			"delivery, so it never shows in INBOX; a Sieve script of your own is never replaced."),
		labelled("Hold folder", folder), folderMsg, s.fe.slot(f + ".sieve_port"),
		atDelivery, onQuit,
	}
}

func (t *accountsTab) slackEditor(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	objs := t.commonFields(i, "Slack")
	token := widget.NewPasswordEntry()
	token.SetPlaceHolder(t.secretPlaceholder(i, control.SecretToken, "xoxp-…"))
	token.SetText(s.pending[acc.Name][control.SecretToken])
	token.OnChanged = func(v string) {
		v = strings.TrimSpace(v)
		if v != "" && !strings.HasPrefix(v, "xoxp-") {
			s.setParse(f+".token", "a user token starts with xoxp- (see the Slack setup guide)")
		} else {
			s.setParse(f+".token", "")
		}
		t.setPending(s.cfg.Accounts[i].Name, control.SecretToken, v)
		s.changed()
	}
	appToken := widget.NewPasswordEntry()
	appToken.SetPlaceHolder(t.secretPlaceholder(i, control.SecretAppToken, "xapp-… (optional, for instant delivery)"))
	appToken.SetText(s.pending[acc.Name][control.SecretAppToken])
	appToken.OnChanged = func(v string) {
		v = strings.TrimSpace(v)
		if v != "" && !strings.HasPrefix(v, "xapp-") {
			s.setParse(f+".app_token", "an app-level token starts with xapp-")
		} else {
			s.setParse(f+".app_token", "")
		}
		t.setPending(s.cfg.Accounts[i].Name, control.SecretAppToken, v)
		s.changed()
	}
	channels, chMsg := entryFor(s, f+".channels", listText(acc.Channels), "#incidents, #team (direct messages and mentions always count)", func(v string) {
		s.cfg.Accounts[i].Channels = parseList(v)
	})
	dnd := newCheck("Turn on Do Not Disturb during focus", config.Flag(acc.SetDND, true), func(on bool) {
		s.cfg.Accounts[i].SetDND = &on
		s.changed()
	})
	status := newCheck("Set my status during focus", config.Flag(acc.SetStatus, true), func(on bool) {
		s.cfg.Accounts[i].SetStatus = &on
		s.changed()
	})
	statusText, _ := entryFor(s, f+".status_text", acc.StatusText, "Deep work — replies at the next check-in", func(v string) { s.cfg.Accounts[i].StatusText = v })
	objs = append(objs,
		labelled("User token", token), s.fe.slot(f+".token"),
		labelled("App token", appToken), s.fe.slot(f+".app_token"),
		note("Tokens are kept in the system keyring, never in the settings file."),
		labelled("Channels", channels), chMsg,
		dnd, status, labelled("Status text", statusText),
	)
	return append(objs, t.actions(i)...)
}

// calendarEditor edits a calendar account: a CalDAV server with a login,
// or a calendar's (secret) .ics address. Calendars bring meetings, which
// shape the schedule (see the Schedule tab), never items.
func (t *accountsTab) calendarEditor(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	objs := t.commonFields(i, "Calendar")
	kinds := []string{"CalDAV account", "Calendar address (.ics)"}
	sel := kinds[0]
	if acc.Kind == "ics" {
		sel = kinds[1]
	}
	kind := newSelect(kinds, sel, func(v string) {
		k := "caldav"
		if v == kinds[1] {
			k = "ics"
		}
		if s.cfg.Accounts[i].Kind != k {
			s.cfg.Accounts[i].Kind = k
			t.buildEditor()
		}
	})
	objs = append(objs, labelled("Kind", kind), s.fe.slot(f+".kind"))
	if acc.Kind == "ics" {
		secret := widget.NewPasswordEntry()
		secret.SetPlaceHolder(t.secretPlaceholder(i, control.SecretURL, "https://… (the calendar's secret address)"))
		secret.SetText(s.pending[acc.Name][control.SecretURL])
		secret.OnChanged = func(v string) {
			v = strings.TrimSpace(v)
			if v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "webcal://") {
				s.setParse(f+".secret_url", "a calendar address starts with https://")
			} else {
				s.setParse(f+".secret_url", "")
			}
			t.setPending(s.cfg.Accounts[i].Name, control.SecretURL, v)
			s.changed()
		}
		addresses, addrMsg := entryFor(s, f+".addresses", listText(acc.Addresses), "me@example.com (to skip invitations you declined)", func(v string) {
			s.cfg.Accounts[i].Addresses = parseList(v)
		})
		objs = append(objs,
			labelled("Secret address", secret), s.fe.slot(f+".secret_url", f+".url"),
			note("Google Calendar and Outlook give a private iCal address per calendar. It is a password: it is kept in the system keyring, never in the settings file."),
			labelled("Your addresses", addresses), addrMsg,
		)
	} else {
		server, urlMsg := entryFor(s, f+".url", acc.URL, "https://cal.example.com/dav/", func(v string) { s.cfg.Accounts[i].URL = v })
		user, userMsg := entryFor(s, f+".username", acc.Username, "me@example.com", func(v string) { s.cfg.Accounts[i].Username = v })
		pw := widget.NewPasswordEntry()
		pw.SetPlaceHolder(t.secretPlaceholder(i, control.SecretPassword, "App password"))
		pw.SetText(s.pending[acc.Name][control.SecretPassword])
		pw.OnChanged = func(v string) {
			t.setPending(s.cfg.Accounts[i].Name, control.SecretPassword, strings.TrimSpace(v))
			s.changed()
		}
		cals, calMsg := entryFor(s, f+".calendars", listText(acc.Calendars), "Work, Team (empty: every calendar)", func(v string) {
			s.cfg.Accounts[i].Calendars = parseList(v)
		})
		addresses, addrMsg := entryFor(s, f+".addresses", listText(acc.Addresses), "(the user name, if it is an address)", func(v string) {
			s.cfg.Accounts[i].Addresses = parseList(v)
		})
		objs = append(objs,
			labelled("Server", server), urlMsg,
			labelled("User name", user), userMsg,
			labelled("Password", pw), s.fe.slot(f+".password"),
			note("Nextcloud, Fastmail, iCloud, Radicale or any CalDAV server. The password is kept in the system keyring, never in the settings file."),
			labelled("Calendars", cals), calMsg,
			labelled("Your addresses", addresses), addrMsg,
		)
	}
	objs = append(objs, note("Free, cancelled and declined events never count as meetings. What meetings do to check-ins and focus is set on the Schedule tab."))
	return append(objs, t.actions(i)...)
}

func (t *accountsTab) matrixEditor(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	objs := t.commonFields(i, "Matrix")
	hs, hsMsg := entryFor(s, f+".homeserver", acc.Homeserver, "matrix.example.org", func(v string) { s.cfg.Accounts[i].Homeserver = v })
	user, userMsg := entryFor(s, f+".user_id", acc.UserID, "@you:example.org", func(v string) { s.cfg.Accounts[i].UserID = v })
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(t.secretPlaceholder(i, control.SecretPassword, "Password (or give an access token below)"))
	pass.SetText(s.pending[acc.Name][control.SecretPassword])
	pass.OnChanged = func(v string) {
		t.setPending(s.cfg.Accounts[i].Name, control.SecretPassword, v)
		s.changed()
	}
	token := widget.NewPasswordEntry()
	token.SetPlaceHolder(t.secretPlaceholder(i, control.SecretToken, "Access token (optional)"))
	token.SetText(s.pending[acc.Name][control.SecretToken])
	token.OnChanged = func(v string) {
		t.setPending(s.cfg.Accounts[i].Name, control.SecretToken, strings.TrimSpace(v))
		s.changed()
	}
	rooms, roomsMsg := entryFor(s, f+".rooms", listText(acc.Rooms), "#team:example.org (direct messages and mentions always count)", func(v string) {
		s.cfg.Accounts[i].Rooms = parseList(v)
	})
	linkBase, linkMsg := entryFor(s, f+".link_base", acc.LinkBase, "https://matrix.to/#/ (or your Element web, …/#/room/)", func(v string) { s.cfg.Accounts[i].LinkBase = v })
	presence := newCheck("Show me as away with a status during focus", config.Flag(acc.SetPresence, true), func(on bool) {
		s.cfg.Accounts[i].SetPresence = &on
		s.changed()
	})
	statusText, _ := entryFor(s, f+".status_text", acc.StatusText, "Deep work — replies at {reply}", func(v string) { s.cfg.Accounts[i].StatusText = v })
	objs = append(objs,
		labelled("Homeserver", hs), hsMsg,
		labelled("User", user), userMsg,
		labelled("Password", pass),
		labelled("Access token", token),
		note("Signing in with the password stores an access token; both are kept in the system keyring, never in the settings file. Sluice never sends read receipts."),
		labelled("Rooms", rooms), roomsMsg,
		labelled("Open links in", linkBase), linkMsg,
		presence, labelled("Status text", statusText),
	)
	return append(objs, t.actions(i)...)
}

func (t *accountsTab) githubEditor(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	objs := t.commonFields(i, "GitHub notifications")
	token := widget.NewPasswordEntry()
	token.SetPlaceHolder(t.secretPlaceholder(i, control.SecretToken, "ghp_… (a classic token with the notifications scope)"))
	token.SetText(s.pending[acc.Name][control.SecretToken])
	token.OnChanged = func(v string) {
		t.setPending(s.cfg.Accounts[i].Name, control.SecretToken, strings.TrimSpace(v))
		s.changed()
	}
	participating := newCheck("Only threads I take part in (reviews, mentions, assignments)", acc.Participating, func(on bool) {
		s.cfg.Accounts[i].Participating = on
		s.changed()
	})
	markRead := newCheck("Mark read on GitHub when I mark the item done", acc.MarkReadOnDone, func(on bool) {
		s.cfg.Accounts[i].MarkReadOnDone = on
		s.changed()
	})
	api, apiMsg := entryFor(s, f+".api_url", acc.APIURL, "https://api.github.com/ (Enterprise: https://HOST/api/v3/)", func(v string) { s.cfg.Accounts[i].APIURL = v })
	objs = append(objs,
		labelled("Token", token), s.fe.slot(f+".token"),
		note("Or sign in from a terminal with `sluice account login`. The token is kept in the system keyring, never in the settings file. Rules can use GitHub's reason, e.g. review_requested or ci_activity."),
		participating, markRead,
		labelled("API", api), apiMsg,
	)
	return append(objs, t.actions(i)...)
}

// secretPlaceholder says whether a secret is stored already.
func (t *accountsTab) secretPlaceholder(i int, k string, def string) string {
	s := t.s
	if i < len(s.origNames) && s.origNames[i] != "" && s.stored.Has(s.origNames[i], k) {
		return "Stored in the keyring (type to replace)"
	}
	return def
}

// actions are the Test connection and Remove buttons.
func (t *accountsTab) actions(i int) []fyne.CanvasObject {
	s := t.s
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	result.Hide()
	var test *widget.Button
	test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() {
		if i >= len(s.cfg.Accounts) {
			return
		}
		acc := s.cfg.Accounts[i]
		pend := s.pending[acc.Name]
		unchanged := len(pend) == 0 && i < len(s.origNames) && s.origNames[i] == acc.Name &&
			i < len(s.saved.Accounts) && sameAccount(acc, s.saved.Accounts[i])
		test.Disable()
		result.Importance = widget.MediumImportance
		result.SetText("Testing " + acc.Name + "…")
		result.Show()
		var msg string
		s.w.call(func(ctx context.Context) (err error) {
			if unchanged {
				msg, err = s.u.c.AccountTest(ctx, acc.Name)
				return err
			}
			// The running Sluice tests the edited settings with what was
			// typed; nothing is stored before Save.
			msg, err = s.u.c.TestAccountSettings(ctx, control.AccountTestRequest{Account: acc, Secrets: pend})
			return err
		}, func(err error) {
			test.Enable()
			if err != nil {
				result.Importance = widget.DangerImportance
				result.SetText("Could not connect: " + err.Error())
				return
			}
			result.Importance = widget.SuccessImportance
			result.SetText(msg)
		})
	})
	remove := widget.NewButtonWithIcon("Remove account", theme.DeleteIcon(), func() { t.remove(i) })
	remove.Importance = widget.DangerImportance
	return []fyne.CanvasObject{
		widget.NewSeparator(),
		container.NewHBox(test, remove),
		result,
	}
}

func sameAccount(a, b config.Account) bool {
	return sameConfig(config.Config{Accounts: []config.Account{a}}, config.Config{Accounts: []config.Account{b}})
}
