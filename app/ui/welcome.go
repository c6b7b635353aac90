package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/schedule"
)

// welcome is the first run: a rhythm, the time zone and working days, a
// first source (or the local inbox), start at login. Three short steps;
// everything can be changed later in the settings.
type welcome struct {
	u *UI
	w *window

	cfg    config.Config // as loaded: what the user starts from
	loaded bool
	step   int

	template     string
	zone         string // "" = this computer's
	workdays     map[time.Weekday]bool
	source       string // local, imap, slack
	email        string
	preset       string
	host         string
	password     string
	appPassword  bool  // a Gmail app password instead of signing in with Google
	signInErr    error // why the account's sign-in did not start at Finish
	slackToken   string
	startAtLogin bool
	hold         string           // desktop.hold_other_apps
	desktop      *control.Desktop // what the running Sluice found on this desktop (nil: headless)

	fe       *fieldErrors
	tried    bool // Next was pressed on the source step: re-check as they type
	stepBox  *fyne.Container
	progress *widget.Label
	back     *widget.Button
	next     *widget.Button
	msg      *widget.Label
}

const welcomeSteps = 3

func newWelcome(u *UI) *welcome {
	return &welcome{u: u, template: "twice-a-day", source: "local", startAtLogin: true, fe: newFieldErrors(),
		workdays: map[time.Weekday]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}}
}

func (w *welcome) title() string   { return "Welcome to " + AppName }
func (w *welcome) size() fyne.Size { return fyne.NewSize(760, 700) }

func (w *welcome) build(win *window) fyne.CanvasObject {
	w.w = win
	w.stepBox = container.NewStack(container.NewCenter(widget.NewLabel("Loading…")))
	w.progress = widget.NewLabel("")
	w.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { w.goTo(w.step - 1) })
	w.next = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), func() { w.goTo(w.step + 1) })
	w.next.Importance = widget.HighImportance
	w.next.IconPlacement = widget.ButtonIconTrailingText
	w.msg = statusLabel()
	bar := container.NewBorder(nil, nil, w.progress, container.NewCenter(container.NewHBox(w.back, w.next)), w.msg)
	return container.NewBorder(nil, container.NewPadded(bar), nil, nil, container.NewPadded(w.stepBox))
}

func (w *welcome) load() {
	var cfg config.Config
	var st control.Status
	var presets []control.Preset
	w.w.call(func(ctx context.Context) (err error) {
		if cfg, err = w.u.c.Config(ctx); err != nil {
			return err
		}
		if presets, err = w.u.c.Presets(ctx); err != nil {
			return err
		}
		st, _ = w.u.c.Status(ctx) // only for what it says about the desktop
		return nil
	}, func(err error) {
		if err != nil {
			setError(w.msg, "Could not read the settings: "+err.Error())
			return
		}
		w.cfg, w.loaded = cfg, true
		w.u.presets = presets
		w.hold, w.desktop = cfg.Desktop.HoldOtherApps, st.Desktop
		if cfg.Schedule.Template != "" && cfg.Schedule.Template != "custom" {
			w.template = cfg.Schedule.Template
		}
		w.zone = cfg.Schedule.Zone
		w.goTo(0)
		w.u.trace("welcome loaded")
	})
}

// go_ shows step n (n == welcomeSteps finishes).
func (w *welcome) goTo(n int) {
	if !w.loaded || n < 0 {
		return
	}
	if n > w.step && w.step == 1 {
		if msgs := w.sourceProblems(); len(msgs) > 0 {
			w.tried = true
			w.fe.show(msgs)
			setError(w.msg, "Please complete the marked fields, or choose “Just the local inbox”.")
			return
		}
	}
	setError(w.msg, "")
	if n >= welcomeSteps {
		w.finish()
		return
	}
	w.step = n
	w.fe.reset()
	var content fyne.CanvasObject
	switch n {
	case 0:
		content = w.rhythmStep()
	case 1:
		content = w.sourceStep()
	default:
		content = w.finishStep()
	}
	w.stepBox.Objects = []fyne.CanvasObject{container.NewVScroll(content)}
	w.stepBox.Refresh()
	w.progress.SetText(fmt.Sprintf("Step %d of %d", n+1, welcomeSteps))
	if n == 0 {
		w.back.Disable()
	} else {
		w.back.Enable()
	}
	if n == welcomeSteps-1 {
		w.next.SetText("Finish")
		w.next.SetIcon(theme.ConfirmIcon())
	} else {
		w.next.SetText("Next")
		w.next.SetIcon(theme.NavigateNextIcon())
	}
	w.back.Show()
	w.next.Show()
}

func (w *welcome) rhythmStep() fyne.CanvasObject {
	intro := widget.NewLabel("Sluice holds your mail and chat until the check-in times you choose, so the rest of the day stays quiet. Urgent things still come through.")
	intro.Wrapping = fyne.TextWrapWord
	var labels []string
	abouts := map[string]string{}
	for _, t := range templateLabels {
		labels = append(labels, t.label)
		abouts[t.label] = t.about
	}
	about := note(abouts[templateLabel(w.template)])
	rhythm := widget.NewRadioGroup(labels, nil)
	rhythm.Required = true
	rhythm.SetSelected(templateLabel(w.template))
	rhythm.OnChanged = func(v string) {
		w.template = templateName(v)
		about.SetText(abouts[v])
	}
	var days []fyne.CanvasObject
	for _, d := range weekOrder {
		days = append(days, newCheck(dayShort(d), w.workdays[d], func(on bool) { w.workdays[d] = on }))
	}
	sys := systemZone()
	zone := widget.NewEntry()
	zone.SetText(w.zone)
	zoneMsg := w.fe.slot("schedule.zone")
	if sys != "" {
		zone.SetPlaceHolder(sys + " (this computer's)")
	}
	zone.OnChanged = func(v string) {
		w.zone = strings.TrimSpace(v)
		msg := ""
		if w.zone != "" {
			if _, err := time.LoadLocation(w.zone); err != nil {
				msg = fmt.Sprintf("%q is not a known time zone (e.g. Europe/Berlin)", w.zone)
			}
		}
		setError(zoneMsg, msg)
	}
	return container.NewVBox(
		heading("Welcome to Sluice"), intro,
		widget.NewSeparator(),
		section("How often do you want to answer messages?", "", rhythm, about),
		section("Working days", "Check-ins happen on these days; the rest is off-hours and everything waits.", container.NewHBox(days...)),
		section("Time zone", "Leave empty to follow this computer, also when you travel.", zone, zoneMsg),
	)
}

// recheck updates the source step's messages as the user types, once
// they have been shown.
func (w *welcome) recheck() {
	if !w.tried {
		return
	}
	if len(w.fe.show(w.sourceProblems())) == 0 && len(w.sourceProblems()) == 0 {
		setError(w.msg, "")
	}
}

// oauthProvider is the provider the chosen preset signs in with, or "".
func (w *welcome) oauthProvider() string {
	p, _ := w.u.preset(w.preset)
	if p.OAuth == "google" && w.appPassword {
		return ""
	}
	return p.OAuth
}

// guessPreset picks the preset that serves an address's domain, or "".
func (u *UI) guessPreset(address string) string {
	for _, p := range u.presets {
		if p.Serves(address) {
			return p.Key
		}
	}
	return ""
}

func (w *welcome) sourceStep() fyne.CanvasObject {
	options := []string{"Just the local inbox for now", "A mail account (IMAP)", "A Slack workspace"}
	keys := []string{"local", "imap", "slack"}
	form := container.NewStack()
	showForm := func() {
		switch w.source {
		case "imap":
			form.Objects = []fyne.CanvasObject{w.mailForm()}
		case "slack":
			form.Objects = []fyne.CanvasObject{w.slackForm()}
		default:
			form.Objects = []fyne.CanvasObject{note("Scripts and tools push items with `sluice send`. Add mail and Slack any time in Settings → Accounts.")}
		}
		form.Refresh()
	}
	choice := widget.NewRadioGroup(options, nil)
	choice.Required = true
	for i, k := range keys {
		if k == w.source {
			choice.SetSelected(options[i])
		}
	}
	choice.OnChanged = func(v string) {
		for i, o := range options {
			if o == v {
				w.source = keys[i]
			}
		}
		w.fe.reset()
		w.tried = false
		setError(w.msg, "")
		showForm()
	}
	showForm()
	return container.NewVBox(
		heading("Where do your messages come from?"),
		note("Add one source now; more later. Passwords and tokens go to the system keyring, never into a file."),
		choice, widget.NewSeparator(), form)
}

func (w *welcome) mailForm() fyne.CanvasObject {
	hint := note(plainArrows(w.u.presetHint(w.preset)))
	login := w.loginRows()
	opts := []string{otherServer}
	for _, p := range w.u.presets {
		opts = append(opts, p.Name)
	}
	provider := newSelect(opts, w.presetName(w.preset), nil)
	provider.OnChanged = func(v string) {
		w.preset = ""
		for _, p := range w.u.presets {
			if p.Name == v {
				w.preset = p.Key
			}
		}
		hint.SetText(plainArrows(w.u.presetHint(w.preset)))
		login.update()
		w.recheck()
	}
	email := widget.NewEntry()
	email.SetText(w.email)
	email.SetPlaceHolder("you@example.com")
	email.OnChanged = func(v string) {
		w.email = strings.TrimSpace(v)
		if p := w.u.guessPreset(v); p != "" && p != w.preset {
			provider.SetSelected(w.presetName(p))
		}
		w.recheck()
	}
	login.update()
	return container.NewVBox(
		labelled("Email address", email), w.fe.slot("accounts[1].username"),
		labelled("Provider", provider), hint,
		login.hostRow,
		login.signInNote, login.appPassword, login.passRow,
		note("Sluice only reads new mail; it never deletes or changes a message."),
	)
}

// otherServer is the provider choice of a server Sluice has no preset for.
const otherServer = "Other server"

// presetName is the provider choice for a preset key.
func (w *welcome) presetName(k string) string {
	if p, ok := w.u.preset(k); ok {
		return p.Name
	}
	return otherServer
}

// welcomeLogin are the rows of the mail form that depend on the provider:
// the server (for other servers), the password, or the provider's sign-in
// in the browser (with the switch to an app password for Google).
type welcomeLogin struct {
	w                *welcome
	hostRow, passRow *fyne.Container
	signInNote       *widget.Label
	appPassword      *widget.Check
}

func (w *welcome) loginRows() *welcomeLogin {
	l := &welcomeLogin{w: w}
	host := widget.NewEntry()
	host.SetText(w.host)
	host.SetPlaceHolder("imap.example.com")
	host.OnChanged = func(v string) {
		w.host = strings.TrimSpace(v)
		w.recheck()
	}
	l.hostRow = container.NewVBox(labelled("Server", host), w.fe.slot("accounts[1].host"))
	pass := widget.NewPasswordEntry()
	pass.SetText(w.password)
	pass.OnChanged = func(v string) {
		w.password = v
		w.recheck()
	}
	l.passRow = container.NewVBox(labelled("Password", pass), w.fe.slot("accounts[1].password"))
	l.signInNote = note("")
	l.appPassword = newCheck("Use an app password instead", w.appPassword, nil)
	l.appPassword.OnChanged = func(on bool) {
		w.appPassword = on
		l.update()
		w.recheck()
	}
	return l
}

// update shows the rows the chosen provider needs.
func (l *welcomeLogin) update() {
	w := l.w
	if w.preset == "" {
		l.hostRow.Show()
	} else {
		l.hostRow.Hide()
	}
	p, _ := w.u.preset(w.preset)
	if p.OAuth == "google" {
		l.appPassword.Show()
	} else {
		l.appPassword.Hide()
	}
	if w.oauthProvider() != "" {
		l.passRow.Hide()
		l.signInNote.SetText("When you finish, Sluice opens " + providerTitle(config.Account{OAuthProvider: p.OAuth}) + "'s sign-in page in your browser. Your password never reaches Sluice.")
		l.signInNote.Show()
	} else {
		l.passRow.Show()
		l.signInNote.Hide()
	}
}

func (w *welcome) slackForm() fyne.CanvasObject {
	token := widget.NewPasswordEntry()
	token.SetText(w.slackToken)
	token.SetPlaceHolder("xoxp-…")
	token.OnChanged = func(v string) {
		w.slackToken = strings.TrimSpace(v)
		w.recheck()
	}
	return container.NewVBox(
		labelled("User token", token), w.fe.slot("accounts[1].token"),
		note("Create a Slack app from Sluice's manifest and install it to your workspace; its user token starts with xoxp-. Direct messages and mentions are collected; channels can be added in Settings."),
	)
}

// account is the account the source step describes, if any.
func (w *welcome) account() (config.Account, bool) {
	switch w.source {
	case "imap":
		name := "Mail"
		if p, ok := w.u.preset(w.preset); ok {
			name = p.Name
		}
		acc := config.Account{Name: name, Kind: "imap", Preset: w.preset, Host: w.host, Username: w.email, Security: "tls"}
		if p := w.oauthProvider(); p != "" {
			acc.Auth, acc.OAuthProvider = "oauth2", p
		}
		return acc, true
	case "slack":
		return config.Account{Name: "Slack", Kind: "slack"}, true
	}
	return config.Account{}, false
}

// sourceProblems checks the source step before moving on.
func (w *welcome) sourceProblems() []fieldMsg {
	var msgs []fieldMsg
	switch w.source {
	case "imap":
		if !strings.Contains(w.email, "@") {
			msgs = append(msgs, fieldMsg{"accounts[1].username", "enter your email address"})
		}
		if w.preset == "" && w.host == "" {
			msgs = append(msgs, fieldMsg{"accounts[1].host", "enter your provider's IMAP server, or pick a provider"})
		}
		if w.password == "" && w.oauthProvider() == "" {
			msgs = append(msgs, fieldMsg{"accounts[1].password", "enter the password (or app password)"})
		}
	case "slack":
		if !strings.HasPrefix(w.slackToken, "xoxp-") {
			msgs = append(msgs, fieldMsg{"accounts[1].token", "a user token starts with xoxp-"})
		}
	}
	return msgs
}

func (w *welcome) finishStep() fyne.CanvasObject {
	login := newCheck("Start Sluice when I log in", w.startAtLogin, func(on bool) { w.startAtLogin = on })
	cfg := w.config()
	summary := widget.NewLabel(w.summary(cfg))
	summary.Wrapping = fyne.TextWrapWord
	others := []fyne.CanvasObject{holdRadio(w.hold, func(v string) {
		w.hold = v
		summary.SetText(w.summary(w.config()))
	})}
	others = append(others, desktopWords(w.desktop)...)
	return container.NewVBox(
		heading("Almost done"),
		summary,
		widget.NewSeparator(),
		section("Hold other apps' notifications too?",
			"Sluice can put your desktop into do-not-disturb while it holds, and lift it at each check-in, so chat, mail and "+
				"calendar apps wait for the check-in too. A do-not-disturb you set yourself is never lifted.", others...),
		widget.NewSeparator(),
		login,
		note("Sluice lives in the system tray. Check in early, start a focus block or pause from its menu; the digest shows what was released."),
	)
}

// summary says in words what Finish will set up.
func (w *welcome) summary(cfg config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Rhythm: %s", templateLabel(w.template))
	if w.template == "custom" {
		b.WriteString(" (starting from “Twice a day”; shape it in Settings → Schedule)")
	}
	var days []string
	for _, d := range weekOrder {
		if w.workdays[d] {
			days = append(days, dayShort(d))
		}
	}
	if len(days) == 0 {
		days = []string{"none"}
	}
	fmt.Fprintf(&b, ".\nWorking days: %s.\n", strings.Join(days, ", "))
	zone := w.zone
	if zone == "" {
		zone = systemZone() + " (this computer's)"
	}
	fmt.Fprintf(&b, "Time zone: %s.\n", zone)
	if cc, _ := config.Compile(cfg); cc.Plan != nil {
		p := cc.Plan
		if next, _, ok := p.NextCheckin(w.u.now()); ok {
			loc := p.Zone
			if loc == nil {
				loc = time.Local
			}
			fmt.Fprintf(&b, "First check-in: %s.\n", whenText(next, w.u.now(), loc))
		}
	}
	if acc, ok := w.account(); ok {
		fmt.Fprintf(&b, "Source: %s (%s).", acc.Name, map[string]string{"imap": w.email, "slack": "Slack"}[acc.Kind])
	} else {
		b.WriteString("Source: the local inbox.")
	}
	switch cfg.Desktop.HoldOtherApps {
	case config.HoldFocus:
		b.WriteString("\nOther apps: held during focus blocks and meetings.")
	case config.HoldHolding:
		b.WriteString("\nOther apps: held whenever Sluice holds.")
	default:
		b.WriteString("\nOther apps: not held.")
	}
	return b.String()
}

// config is the loaded config with the welcome's choices applied.
func (w *welcome) config() config.Config {
	cfg := cloneConfig(w.cfg)
	name := w.template
	if name == "custom" {
		name = "twice-a-day"
	}
	cfg.Schedule.Template = w.template
	cfg.Schedule.Zone = w.zone
	cfg.Schedule.Days = nil
	standard := len(w.workdays) > 0
	for _, d := range weekOrder {
		weekday := d >= time.Monday && d <= time.Friday
		if w.workdays[d] != weekday {
			standard = false
		}
	}
	if !standard || w.template == "custom" {
		p, _ := schedule.Template(name, time.UTC)
		cfg.Schedule.Days = map[string]schedule.Day{}
		for _, d := range weekOrder {
			if w.workdays[d] {
				cfg.Schedule.Days[dayName(d)] = cloneDay(p.Week[time.Monday])
			}
		}
		if len(cfg.Schedule.Days) == 0 {
			cfg.Schedule.Days = nil
			cfg.Schedule.Template = name
		}
	}
	if acc, ok := w.account(); ok {
		replaced := false
		for i := range cfg.Accounts {
			if strings.EqualFold(cfg.Accounts[i].Name, acc.Name) {
				cfg.Accounts[i], replaced = acc, true
			}
		}
		if !replaced {
			cfg.Accounts = append(cfg.Accounts, acc)
		}
	}
	cfg.General.StartAtLogin = w.startAtLogin
	if w.hold != "" {
		cfg.Desktop.HoldOtherApps = w.hold
	}
	return cfg
}

// finish stores the secret, saves the config through the running Sluice
// and records start at login.
func (w *welcome) finish() {
	cfg := w.config()
	if err := cfg.Validate(); err != nil {
		setError(w.msg, "These settings cannot be saved: "+err.Error())
		return
	}
	acc, hasAcc := w.account()
	password, token := w.password, w.slackToken
	login := w.startAtLogin
	w.next.Disable()
	w.w.call(func(ctx context.Context) error {
		if hasAcc {
			var err error
			switch {
			case acc.OAuth2():
				// Signed in after the config is saved, by the running Sluice.
			case acc.Kind == "imap":
				err = w.u.c.SetSecret(ctx, control.SecretRequest{Account: acc.Name, Kind: control.SecretPassword, Secret: password})
			case acc.Kind == "slack":
				err = w.u.c.SetSecret(ctx, control.SecretRequest{Account: acc.Name, Kind: control.SecretToken, Secret: token})
			}
			if err != nil {
				return err
			}
		}
		if err := w.u.c.SetConfig(ctx, cfg); err != nil {
			return err
		}
		if hasAcc && acc.OAuth2() {
			// The browser opens at the provider's page; the account connects
			// once the user has signed in there. The settings are saved
			// either way: a sign-in that cannot start is said on the last page.
			st, err := w.u.c.AccountLogin(ctx, acc.Name, control.LoginRequest{OpenBrowser: true})
			if err == nil {
				err = st.Err()
			}
			if err == nil && !st.Opened {
				err = fmt.Errorf("no browser opened; open %s to sign in", st.URL)
			}
			w.signInErr = err
		}
		return w.u.setStartAtLogin(login)
	}, func(err error) {
		w.next.Enable()
		if err != nil {
			var lines []string
			for _, m := range configMsgs(err) {
				lines = append(lines, strings.TrimPrefix(m.field+": "+m.msg, ": "))
			}
			setError(w.msg, "Not saved: "+strings.Join(lines, "\n"))
			return
		}
		w.done(cfg)
	})
}

// done is the last page: what to do next.
func (w *welcome) done(cfg config.Config) {
	w.step = welcomeSteps
	msg := "Sluice now holds new messages until your check-ins. You can change everything in Settings."
	if acc, ok := w.account(); ok && acc.OAuth2() {
		if w.signInErr != nil {
			msg = "Saved. Signing in to " + providerTitle(acc) + " did not start: " + w.signInErr.Error() +
				". Sign in from Settings, Accounts, when that is fixed. " + msg
		} else {
			msg = "Finish signing in to " + providerTitle(acc) + " in your browser; Sluice connects as soon as you have. " + msg
		}
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	digest := widget.NewButtonWithIcon("Open the digest", theme.MailComposeIcon(), func() {
		_, _ = w.u.Open(WindowDigest)
		w.w.win.Close()
	})
	settingsBtn := widget.NewButtonWithIcon("Open settings", theme.SettingsIcon(), func() {
		_, _ = w.u.Open(WindowSettings)
		w.w.win.Close()
	})
	if cfg.Schedule.Template == "custom" {
		settingsBtn.Importance = widget.HighImportance
	} else {
		digest.Importance = widget.HighImportance
	}
	closeBtn := widget.NewButton("Close", func() { w.w.win.Close() })
	title := heading("You are set")
	title.SizeName = theme.SizeNameHeadingText
	w.stepBox.Objects = []fyne.CanvasObject{container.NewVBox(title, text, container.NewHBox(digest, settingsBtn, closeBtn))}
	w.stepBox.Refresh()
	w.progress.SetText("Done")
	w.back.Hide()
	w.next.Hide()
}
