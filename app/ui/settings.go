package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
)

// Tab names of the settings window.
const (
	TabSchedule      = "Schedule"
	TabAccounts      = "Accounts"
	TabRules         = "Rules"
	TabNotifications = "Notifications"
	TabGeneral       = "General"
)

// settings edits a working copy of the config. Every edit is validated at
// once (config.Compile, the same check the running Sluice makes); problems
// are shown next to their fields and Save stays off until there are none.
// Save writes the config through the control API, which saves it
// atomically and applies it without a restart.
type settings struct {
	u *UI
	w *window

	saved config.Config // what the running Sluice has
	cfg   config.Config // the working copy
	// compiled is the working copy compiled (config.Compile, as the
	// running Sluice does) at the last edit, and compileErr its problems:
	// the preview and the rule tester use them.
	compiled   config.Compiled
	compileErr error
	status     control.Status
	// calendar is the running Sluice's meetings and published focus
	// blocks, which the preview draws with the working copy's schedule.
	calendar control.Schedule
	loaded   bool

	fe    *fieldErrors
	parse map[string]string // config path → input that is not a value yet
	// secrets typed in the Accounts tab, stored in the keyring by the
	// running Sluice on Save: account name → kind (control.SecretPassword
	// …) → value.
	pending map[string]map[string]string
	// stored says which secrets the keyring holds for the saved accounts.
	stored control.StoredSecrets
	// the saved name of each account in the working copy ("" for new ones),
	// so that a rename moves its secrets and a removal deletes them.
	origNames []string

	holder  *fyne.Container
	tabs    *container.AppTabs
	tabName string
	save    *widget.Button
	revert  *widget.Button
	info    *widget.Label
	errs    *widget.Label
	invalid bool
	dirty   bool

	sched    *scheduleTab
	accounts *accountsTab
	rules    *rulesTab
	unsub    func()
}

func newSettings(u *UI) *settings {
	tab := u.opt.Tab
	if tab == "" {
		tab = TabSchedule
	}
	return &settings{u: u, fe: newFieldErrors(), parse: map[string]string{}, pending: map[string]map[string]string{}, tabName: tab}
}

func (s *settings) title() string   { return "Settings — " + AppName }
func (s *settings) size() fyne.Size { return fyne.NewSize(960, 720) }

func (s *settings) build(w *window) fyne.CanvasObject {
	s.w = w
	s.holder = container.NewStack(container.NewCenter(widget.NewLabel("Loading settings…")))
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.doSave)
	s.save.Importance = widget.HighImportance
	s.save.Disable()
	s.revert = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), s.doRevert)
	s.revert.Disable()
	s.info = oneLine("")
	s.errs = statusLabel()
	bar := container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(s.revert, s.save)), container.NewVBox(s.errs, s.info))
	s.unsub = s.u.onEvent(s.event)
	return container.NewBorder(nil, container.NewPadded(bar), nil, nil, s.holder)
}

func (s *settings) closed() {
	if s.unsub != nil {
		s.unsub()
	}
}

func (s *settings) load() {
	var cfg config.Config
	var st control.Status
	var sc control.Schedule
	var presets []control.Preset
	var stored control.StoredSecrets
	s.w.call(func(ctx context.Context) (err error) {
		if st, err = s.u.c.Status(ctx); err != nil {
			return err
		}
		if cfg, err = s.u.c.Config(ctx); err != nil {
			return err
		}
		if presets, err = s.u.c.Presets(ctx); err != nil {
			return err
		}
		if stored, err = s.u.c.StoredSecrets(ctx); err != nil {
			return err
		}
		if sc, err = s.u.c.Schedule(ctx, 7); err != nil {
			s.u.log.Warn("no calendar data for the preview", "err", err)
		}
		return nil
	}, func(err error) {
		if err != nil {
			setError(s.errs, "Could not load the settings: "+err.Error())
			return
		}
		s.status, s.saved, s.cfg, s.loaded = st, cloneConfig(cfg), cloneConfig(cfg), true
		s.u.presets, s.stored = presets, stored
		s.calendar = sc
		s.origNames = make([]string, len(cfg.Accounts))
		for i, a := range cfg.Accounts {
			s.origNames[i] = a.Name
		}
		s.pending = map[string]map[string]string{}
		s.rebuild()
		s.info.SetText("Settings of the Sluice running from " + shortPath(st.Config))
		s.u.trace("settings loaded")
	})
}

func (s *settings) event(e gate.Event) {
	switch e.Kind {
	case gate.EventHealth:
		if s.accounts != nil && e.Health != nil {
			s.accounts.health(*e.Health)
		}
	case gate.EventCalendar:
		s.refreshCalendar()
	case eventTheme:
		if s.loaded {
			s.rebuild()
		}
	}
}

// refreshCalendar fetches the meetings and published blocks again (a
// calendar changed, or a save moved the focus blocks) and redraws the
// preview.
func (s *settings) refreshCalendar() {
	if !s.loaded || s.w == nil {
		return
	}
	var sc control.Schedule
	s.w.call(func(ctx context.Context) (err error) {
		sc, err = s.u.c.Schedule(ctx, 7)
		return err
	}, func(err error) {
		if err != nil {
			return
		}
		s.calendar = sc
		if s.sched != nil {
			s.sched.refreshPreview()
		}
	})
}

// rebuild makes every tab anew from the working copy.
func (s *settings) rebuild() {
	s.fe.reset()
	s.parse = map[string]string{}
	s.sched = newScheduleTab(s)
	s.accounts = newAccountsTab(s)
	s.rules = newRulesTab(s)
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(TabSchedule, theme.HistoryIcon(), s.sched.build()),
		container.NewTabItemWithIcon(TabAccounts, theme.AccountIcon(), s.accounts.build()),
		container.NewTabItemWithIcon(TabRules, theme.ListIcon(), s.rules.build()),
		container.NewTabItemWithIcon(TabNotifications, theme.InfoIcon(), s.notificationsTab()),
		container.NewTabItemWithIcon(TabGeneral, theme.SettingsIcon(), s.generalTab()),
	)
	s.tabs.OnSelected = func(t *container.TabItem) { s.tabName = t.Text }
	s.showTab(s.tabName)
	s.holder.Objects = []fyne.CanvasObject{s.tabs}
	s.holder.Refresh()
	s.changed()
}

// showTab selects a tab by name.
func (s *settings) showTab(name string) {
	s.tabName = name
	if s.tabs == nil {
		return
	}
	for _, it := range s.tabs.Items {
		if it.Text == name {
			s.tabs.Select(it)
		}
	}
}

// setParse records (msg != "") or clears an input that is not a value yet.
func (s *settings) setParse(path, msg string) {
	if msg == "" {
		delete(s.parse, path)
	} else {
		s.parse[path] = msg
	}
}

// dropParse forgets the parse errors under a prefix (rows being rebuilt).
func (s *settings) dropParse(prefix string) {
	for p := range s.parse {
		if strings.HasPrefix(p, prefix) {
			delete(s.parse, p)
		}
	}
	s.fe.drop(prefix)
}

// compile checks the working copy and makes its plan and rules, once per
// edit.
func (s *settings) compile() { s.compiled, s.compileErr = config.Compile(s.cfg) }

// problems is every validation message of the working copy.
func (s *settings) problems() []fieldMsg {
	msgs := configMsgs(s.compileErr)
	keys := make([]string, 0, len(s.parse))
	for p := range s.parse {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		msgs = append(msgs, fieldMsg{field: p, msg: s.parse[p]})
	}
	return msgs
}

// changed re-validates the working copy after an edit and updates the
// messages, the tab markers, the preview and the Save button.
func (s *settings) changed() {
	if !s.loaded {
		return
	}
	s.compile()
	msgs := s.problems()
	rest := s.fe.show(msgs)
	s.invalid = len(msgs) > 0
	s.dirty = !sameConfig(s.cfg, s.saved) || len(s.pending) > 0
	var lines []string
	for _, m := range rest {
		if m.field != "" {
			lines = append(lines, m.field+": "+m.msg)
		} else {
			lines = append(lines, m.msg)
		}
	}
	if s.invalid && len(lines) == 0 {
		lines = append(lines, fmt.Sprintf("%s to fix before saving (marked in red).", plural(len(msgs), "problem", "problems")))
	}
	setError(s.errs, strings.Join(lines, "\n"))
	s.markTabs(msgs)
	if s.dirty && !s.invalid {
		s.save.Enable()
	} else {
		s.save.Disable()
	}
	if s.dirty {
		s.revert.Enable()
	} else {
		s.revert.Disable()
	}
	if s.sched != nil {
		s.sched.refreshPreview()
	}
}

// tabOf names the tab a config path is edited on.
func tabOf(field string) string {
	switch {
	case strings.HasPrefix(field, "schedule"), strings.HasPrefix(field, "urgent.budget"), strings.HasPrefix(field, "urgent.off_hours"),
		strings.HasPrefix(field, "promise"), strings.HasPrefix(field, "autoreply"):
		return TabSchedule
	case strings.HasPrefix(field, "accounts"), strings.HasPrefix(field, "local"):
		return TabAccounts
	case strings.HasPrefix(field, "rules"), strings.HasPrefix(field, "urgent"):
		return TabRules
	case strings.HasPrefix(field, "notifications"), strings.HasPrefix(field, "desktop"):
		return TabNotifications
	case strings.HasPrefix(field, "general"):
		return TabGeneral
	}
	return ""
}

// markTabs puts an error icon on the tabs that have problems.
func (s *settings) markTabs(msgs []fieldMsg) {
	if s.tabs == nil {
		return
	}
	bad := map[string]bool{}
	for _, m := range msgs {
		bad[tabOf(m.field)] = true
	}
	changed := false
	for _, it := range s.tabs.Items {
		want := tabIcons[it.Text]()
		if bad[it.Text] {
			want = errorIcon()
		}
		if it.Icon != want {
			it.Icon = want
			changed = true
		}
	}
	if changed {
		s.tabs.Refresh()
	}
}

var (
	tabIcons = map[string]func() fyne.Resource{
		TabSchedule: theme.HistoryIcon, TabAccounts: theme.AccountIcon, TabRules: theme.ListIcon,
		TabNotifications: theme.InfoIcon, TabGeneral: theme.SettingsIcon,
	}
	errIcon fyne.Resource
)

// errorIcon marks a tab with problems. It is made on first use: theme
// icons need the running app.
func errorIcon() fyne.Resource {
	if errIcon == nil {
		errIcon = theme.NewErrorThemedResource(theme.ErrorIcon())
	}
	return errIcon
}

func (s *settings) doRevert() {
	s.cfg = cloneConfig(s.saved)
	s.origNames = make([]string, len(s.cfg.Accounts))
	for i, a := range s.cfg.Accounts {
		s.origNames[i] = a.Name
	}
	s.pending = map[string]map[string]string{}
	s.rebuild()
	s.info.SetText("Reverted to the settings in use.")
}

// doSave has the running Sluice store the typed secrets in the keyring,
// then writes the config through it, which validates, saves and applies
// it.
func (s *settings) doSave() {
	if s.invalid {
		return
	}
	cfg := cloneConfig(s.cfg)
	pending := s.pending
	moves, removed := s.secretMoves(cfg)
	startAtLogin := cfg.General.StartAtLogin != s.saved.General.StartAtLogin
	s.save.Disable()
	s.info.SetText("Saving…")
	var stored control.StoredSecrets
	s.w.call(func(ctx context.Context) (err error) {
		if err := s.saveSecrets(ctx, moves, pending); err != nil {
			return err
		}
		if err := s.u.c.SetConfig(ctx, cfg); err != nil {
			return err
		}
		for _, name := range removed {
			_ = s.u.c.DeleteSecrets(ctx, name)
		}
		if stored, err = s.u.c.StoredSecrets(ctx); err != nil {
			s.u.log.Warn("cannot tell which secrets are stored", "err", err)
		}
		if startAtLogin {
			return s.u.setStartAtLogin(cfg.General.StartAtLogin)
		}
		return nil
	}, func(err error) {
		if err != nil {
			msgs := configMsgs(err)
			rest := s.fe.show(append(s.problems(), msgs...))
			var lines []string
			for _, m := range rest {
				lines = append(lines, strings.TrimPrefix(m.field+": "+m.msg, ": "))
			}
			setError(s.errs, "Not saved: "+strings.Join(lines, "\n"))
			s.markTabs(msgs)
			s.info.SetText("")
			s.save.Enable()
			return
		}
		s.saved = cloneConfig(cfg)
		if stored != nil {
			s.stored = stored
		}
		s.pending = map[string]map[string]string{}
		s.origNames = make([]string, len(cfg.Accounts))
		for i, a := range cfg.Accounts {
			s.origNames[i] = a.Name
		}
		s.changed()
		s.info.SetText("Saved. Sluice uses the new settings now.")
		s.accounts.saved()
	})
}

// secretMoves lists renamed accounts (old, new) and removed ones.
func (s *settings) secretMoves(cfg config.Config) (moves [][2]string, removed []string) {
	kept := map[string]bool{}
	for i, a := range cfg.Accounts {
		if i < len(s.origNames) && s.origNames[i] != "" {
			kept[s.origNames[i]] = true
			if s.origNames[i] != a.Name {
				moves = append(moves, [2]string{s.origNames[i], a.Name})
			}
		}
	}
	for _, a := range s.saved.Accounts {
		if !kept[a.Name] {
			removed = append(removed, a.Name)
		}
	}
	return moves, removed
}

// saveSecrets has the running Sluice move renamed accounts' secrets and
// store the ones typed since the last save.
func (s *settings) saveSecrets(ctx context.Context, moves [][2]string, pending map[string]map[string]string) error {
	for _, mv := range moves {
		if err := s.u.c.MoveSecrets(ctx, control.SecretMove{From: mv[0], To: mv[1]}); err != nil {
			return err
		}
	}
	for acc, kinds := range pending {
		for k, v := range kinds {
			if err := s.u.c.SetSecret(ctx, control.SecretRequest{Account: acc, Kind: k, Secret: v}); err != nil {
				return err
			}
		}
	}
	return nil
}

// cloneConfig deep-copies a config (through JSON, which every part of it
// round-trips).
func cloneConfig(c config.Config) config.Config {
	b, err := json.Marshal(c)
	if err != nil {
		return c
	}
	var out config.Config
	if err := json.Unmarshal(b, &out); err != nil {
		return c
	}
	return out
}

// sameConfig reports whether two configs would be saved alike.
func sameConfig(a, b config.Config) bool { return sameJSON(a, b) }

// sameJSON reports whether two values encode alike.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
