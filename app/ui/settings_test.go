package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/secrets"
)

func openSettings(t *testing.T, f *fixture, tab string) (*settings, fyne.Window) {
	t.Helper()
	w, err := f.ui.Open(WindowSettings)
	if err != nil {
		t.Fatal(err)
	}
	w.Resize(fyne.NewSize(960, 720))
	s := f.ui.windows[WindowSettings].page.(*settings)
	if !s.loaded {
		t.Fatalf("settings did not load")
	}
	s.showTab(tab)
	return s, w
}

// entryWithText finds the visible entry under root whose text is text.
func entryWithText(t *testing.T, root fyne.CanvasObject, text string) *widget.Entry {
	t.Helper()
	e := find(root, func(e *widget.Entry) bool { return e.Text == text })
	if e == nil {
		t.Fatalf("no entry reading %q", text)
	}
	return e
}

func entryWithPlaceholder(t *testing.T, root fyne.CanvasObject, ph string) *widget.Entry {
	t.Helper()
	e := find(root, func(e *widget.Entry) bool { return e.PlaceHolder == ph })
	if e == nil {
		t.Fatalf("no entry with placeholder %q", ph)
	}
	return e
}

// retype replaces an entry's text the way a person does: select all, type.
func retype(e *widget.Entry, text string) {
	e.SetText("")
	test.Type(e, text)
}

// windowAt returns the preview's window segments that start on a day.
func windowStarts(tl *timeline, day int) []int {
	var out []int
	if day >= len(tl.lines) {
		return nil
	}
	for _, s := range tl.lines[day].Segs {
		if s.Mode == model.ModeWindow {
			out = append(out, s.From)
		}
	}
	return out
}

func TestScheduleEditUpdatesPreview(t *testing.T) {
	f := newFixture(t, testConfig())
	s, w := openSettings(t, f, TabSchedule)
	tl := s.sched.preview
	if len(tl.lines) != 7 || tl.lines[0].Label != "Mon 2" {
		t.Fatalf("preview lines = %d, first %q; want 7 starting Mon 2", len(tl.lines), tl.lines[0].Label)
	}
	if got := windowStarts(tl, 0); len(got) != 2 || got[0] != 11*60 || got[1] != 16*60 {
		t.Fatalf("Monday's check-in windows start at %v min, want [660 960]", got)
	}
	if got := windowStarts(tl, 5); len(got) != 0 {
		t.Fatalf("Saturday has check-in windows %v", got)
	}

	// Move Monday's first check-in to 12:15: the preview follows at once.
	at := entryWithText(t, s.sched.dayEditor, "11:00")
	retype(at, "12:15")
	if got := windowStarts(tl, 0); len(got) != 2 || got[0] != 12*60+15 {
		t.Errorf("after editing, Monday's windows start at %v min, want 735 first", got)
	}
	if got := tl.lines[0].Checkins; len(got) != 2 || got[0].At != 735 {
		t.Errorf("Monday's check-in ticks = %v, want 735 first", got)
	}
	if got := windowStarts(tl, 1); got[0] != 11*60 {
		t.Errorf("Tuesday changed too: %v", got)
	}
	if s.cfg.Schedule.Template != "custom" || s.sched.rhythm.Selected != "Custom" {
		t.Errorf("editing a day should make the rhythm custom, got %q / %q", s.cfg.Schedule.Template, s.sched.rhythm.Selected)
	}

	// Saturday gets working hours and a check-in: a new window appears.
	test.Tap(s.sched.dayBtns[time.Saturday])
	test.Tap(find(s.sched.dayEditor, func(c *widget.Check) bool { return c.Text == "Working day" }))
	test.Tap(findButton(t, s.sched.dayEditor, "Add check-in"))
	if got := windowStarts(tl, 5); len(got) != 1 || got[0] != 9*60 {
		t.Errorf("Saturday's windows = %v, want [540]", got)
	}
	if !s.save.Disabled() == false || s.invalid {
		t.Errorf("a valid edit should allow saving (invalid=%v)", s.invalid)
	}
	golden(t, "settings-schedule-edited", w)

	// Save: the running Sluice takes the new plan without a restart.
	test.Tap(s.save)
	st, err := f.client.Status(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if want := f.at(0, 12, 15); !st.NextCheckin.Equal(want) {
		t.Errorf("after saving, the running Sluice's next check-in is %s, want %s", st.NextCheckin, want)
	}
	onDisk, err := config.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := onDisk.Schedule.Days["monday"].Checkins[0].At; got != (schedule.TimeOfDay{Hour: 12, Minute: 15}) {
		t.Errorf("config file has Monday's check-in at %s", got)
	}
	if !s.save.Disabled() || !strings.Contains(s.info.Text, "Saved") {
		t.Errorf("after saving: save enabled=%v, info %q", !s.save.Disabled(), s.info.Text)
	}
}

func TestInvalidTimeIsRejectedNextToTheField(t *testing.T) {
	f := newFixture(t, testConfig())
	s, w := openSettings(t, f, TabSchedule)
	at := entryWithText(t, s.sched.dayEditor, "11:00")

	retype(at, "25:00")
	msg := s.fe.byPath["schedule.days.monday.checkins[1].at"].label
	if !msg.Visible() || !strings.Contains(msg.Text, `"25:00" is not a time`) {
		t.Errorf("message next to the check-in: visible=%v %q", msg.Visible(), msg.Text)
	}
	if !s.save.Disabled() {
		t.Errorf("Save is enabled with an invalid time")
	}
	if !strings.Contains(s.sched.preview.empty, "Fix the times") {
		t.Errorf("the preview should say why it is not shown, got %q", s.sched.preview.empty)
	}
	if s.tabs.Items[0].Icon != errorIcon() {
		t.Errorf("the Schedule tab is not marked")
	}
	golden(t, "settings-invalid-time", w)
	// The running Sluice was not touched.
	if cfg, _ := f.client.Config(f.ctx()); cfg.Schedule.Template != "twice-a-day" || len(cfg.Schedule.Days) != 0 {
		t.Errorf("config changed on the server: %+v", cfg.Schedule)
	}

	// A real time outside working hours is caught by the same validation
	// the running Sluice makes.
	retype(at, "07:00")
	if !strings.Contains(msg.Text, "outside working hours 09:00–17:30") {
		t.Errorf("message for 07:00: %q", msg.Text)
	}
	if !s.save.Disabled() {
		t.Errorf("Save is enabled with a check-in outside working hours")
	}

	retype(at, "10:30")
	if msg.Visible() {
		t.Errorf("message still shown after fixing: %q", msg.Text)
	}
	if s.save.Disabled() {
		t.Errorf("Save stays disabled after fixing")
	}
}

// TestServerErrorsFindTheirFields: errors the running Sluice returns (one
// per field) land next to the field too.
func TestServerErrorsFindTheirFields(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabSchedule)
	bad := testConfig()
	bad.Schedule.Template = "custom"
	bad.Schedule.Days = map[string]schedule.Day{"monday": {
		Work:     &schedule.Span{Start: schedule.TimeOfDay{Hour: 9}, End: schedule.TimeOfDay{Hour: 17}},
		Checkins: []schedule.Checkin{{At: schedule.TimeOfDay{Hour: 11}}, {At: schedule.TimeOfDay{Hour: 20}}},
	}}
	bad.Urgent.BudgetPerHour = 99
	err := f.client.SetConfig(f.ctx(), bad)
	var ce *control.Error
	if !errors.As(err, &ce) || len(ce.Fields) == 0 {
		t.Fatalf("SetConfig(bad) = %v, want field errors", err)
	}
	msgs := configMsgs(err)
	got := map[string]string{}
	for _, m := range msgs {
		got[m.field] = m.msg
	}
	if m := got["schedule.days.monday.checkins[2].at"]; !strings.Contains(m, "outside working hours") {
		t.Errorf("server errors %q lack the check-in", ce.Fields)
	}
	s.sched.day = time.Monday
	s.sched.materialise()
	s.sched.buildDay()
	s.fe.show(msgs)
	if l := s.fe.find("schedule.days.monday.checkins[2].at"); l == nil {
		t.Errorf("no slot for the server's check-in error")
	}
	if l := s.fe.find("urgent.budget_per_hour").label; !strings.Contains(l.Text, "between 0 and 60") {
		t.Errorf("budget message %q", l.Text)
	}
}

func TestAddRuleAndTestIt(t *testing.T) {
	f := newFixture(t, testConfig())
	s, w := openSettings(t, f, TabRules)
	rt := s.rules
	tab := s.tabs.Selected().Content

	test.Tap(findButton(t, tab, "Add rule"))
	if len(s.cfg.Rules) != 1 {
		t.Fatalf("Add rule made %d rules", len(s.cfg.Rules))
	}
	// A new rule has no condition yet: that is shown at the rule, and
	// Save stays off.
	if l := s.fe.find("rules[1]").label; !strings.Contains(l.Text, "no condition") {
		t.Errorf("new rule's message %q", l.Text)
	}
	if !s.save.Disabled() {
		t.Errorf("Save enabled with an empty rule")
	}
	test.Type(entryWithPlaceholder(t, tab, "e.g. Boss"), "Boss")
	test.Type(entryWithPlaceholder(t, tab, "alice@acme.com, @acme.com, boss*"), "boss@acme.com")
	if s.fe.find("rules[1]").label.Visible() || s.save.Disabled() {
		t.Errorf("a complete rule should be valid: %q", s.fe.find("rules[1]").label.Text)
	}
	golden(t, "settings-rule-added", w)

	// Test before saving: the rule is found in the window's copy.
	test.Type(rt.from, "Boss <boss@acme.com>")
	test.Type(rt.subject, "Budget")
	test.Tap(findButton(t, tab, "Test"))
	if want := `A mail from Boss <boss@acme.com> with subject “Budget” would be classified urgent — rule 1 "Boss" (unsaved).`; rt.result.Text != want {
		t.Errorf("unsaved test:\n got %q\nwant %q", rt.result.Text, want)
	}

	// After saving, the running Sluice answers: at 10:00 on Monday (a
	// focus block) the boss breaks through.
	test.Tap(s.save)
	test.Tap(findButton(t, tab, "Test"))
	if want := `A mail from Boss <boss@acme.com> with subject “Budget”, right now, would be: let through at once (urgent) — rule 1 "Boss".`; rt.result.Text != want {
		t.Errorf("saved test:\n got %q\nwant %q", rt.result.Text, want)
	}
	if !strings.Contains(rt.detail.Text, "Breakthrough") {
		t.Errorf("detail %q", rt.detail.Text)
	}
	// Anyone else waits for the 11:00 check-in.
	rt.from.SetText("someone@example.com")
	test.Tap(findButton(t, tab, "Test"))
	if want := `A mail from someone@example.com with subject “Budget”, right now, would be: held until 11:00 — no rule matched.`; rt.result.Text != want {
		t.Errorf("other sender:\n got %q\nwant %q", rt.result.Text, want)
	}
	saved, _ := f.client.Config(f.ctx())
	if len(saved.Rules) != 1 || saved.Rules[0].Name != "Boss" || saved.Rules[0].Action != model.ActionUrgent {
		t.Errorf("saved rules: %+v", saved.Rules)
	}
}

func TestRulesReorderAndDelete(t *testing.T) {
	cfg := testConfig()
	cfg.Rules = []rules.Rule{
		{Name: "Newsletters", From: []string{"news@example.com"}, Action: model.ActionQuiet},
		{Name: "Boss", From: []string{"boss@acme.com"}, Action: model.ActionUrgent},
	}
	f := newFixture(t, cfg)
	s, _ := openSettings(t, f, TabRules)
	s.rules.move(1, -1)
	if s.cfg.Rules[0].Name != "Boss" || s.cfg.Rules[1].Name != "Newsletters" {
		t.Fatalf("after moving up: %q, %q", s.cfg.Rules[0].Name, s.cfg.Rules[1].Name)
	}
	if !strings.Contains(texts(s.rules.listBox), `1. Boss`) {
		t.Errorf("list not redrawn:\n%s", texts(s.rules.listBox))
	}
	del := find(s.rules.listBox, func(b *widget.Button) bool { return b.Icon != nil && strings.Contains(b.Icon.Name(), "delete") })
	if del == nil {
		t.Fatal("no delete button")
	}
	test.Tap(del)
	if len(s.cfg.Rules) != 1 || s.cfg.Rules[0].Name != "Newsletters" {
		t.Errorf("after deleting the first rule: %+v", s.cfg.Rules)
	}
	test.Tap(s.save)
	saved, _ := f.client.Config(f.ctx())
	if len(saved.Rules) != 1 || saved.Rules[0].Name != "Newsletters" {
		t.Errorf("saved rules: %+v", saved.Rules)
	}
}

func TestAddMailAccount(t *testing.T) {
	f := newFixture(t, testConfig())
	s, w := openSettings(t, f, TabAccounts)
	tab := s.tabs.Selected().Content
	test.Tap(findButton(t, tab, "Add mail account"))
	if len(s.cfg.Accounts) != 1 || s.cfg.Accounts[0].Name != "Mail" {
		t.Fatalf("accounts: %+v", s.cfg.Accounts)
	}
	if l := s.fe.find("accounts[1].username").label; !strings.Contains(l.Text, "required") {
		t.Errorf("user name message %q", l.Text)
	}
	if !s.save.Disabled() {
		t.Errorf("Save enabled for an incomplete account")
	}
	editor := s.accounts.editor
	retype(entryWithText(t, editor, "Mail"), "Work mail")
	find(editor, func(sel *widget.Select) bool { return sel.Selected == "Other server" }).SetSelected("Fastmail")
	test.Type(entryWithPlaceholder(t, editor, "you@example.com"), "me@fastmail.com")
	test.Type(find(editor, func(e *widget.Entry) bool { return e.Password }), "app-password-1")
	if !strings.Contains(texts(editor), "app password") {
		t.Errorf("the preset's hint is not shown:\n%s", texts(editor))
	}
	if s.save.Disabled() {
		t.Fatalf("Save disabled for a complete account: %q", s.errs.Text)
	}
	golden(t, "settings-account-added", w)
	test.Tap(s.save)
	saved, _ := f.client.Config(f.ctx())
	if len(saved.Accounts) != 1 || saved.Accounts[0].Preset != "fastmail" || saved.Accounts[0].Username != "me@fastmail.com" {
		t.Errorf("saved accounts: %+v", saved.Accounts)
	}
	if pw, err := secrets.Get("Work mail", secrets.Password); err != nil || pw != "app-password-1" {
		t.Errorf("keyring has %q, %v", pw, err)
	}
	raw, _ := os.ReadFile(f.cfgPath)
	if strings.Contains(string(raw), "app-password-1") {
		t.Errorf("the password reached the config file")
	}
}

func TestNotificationsAndGeneralSave(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabNotifications)
	test.Tap(find(s.tabs.Selected().Content, func(c *widget.Check) bool { return c.Text == "Focus starts" }))
	s.showTab(TabGeneral)
	gen := s.tabs.Selected().Content
	test.Tap(find(gen, func(c *widget.Check) bool { return c.Text == "Start Sluice when I log in" }))
	days := entryWithText(t, gen, "30")
	retype(days, "0")
	if l := s.fe.find("general.retention").label; !strings.Contains(l.Text, "between 24h and 10 years") {
		t.Errorf("retention message %q", l.Text)
	}
	retype(days, "14")
	test.Tap(s.save)
	saved, _ := f.client.Config(f.ctx())
	if saved.Notifications.FocusStart || !saved.General.StartAtLogin || saved.General.Retention.Duration != 14*24*time.Hour {
		t.Errorf("saved: notifications %+v general %+v", saved.Notifications, saved.General)
	}
	if len(f.login) != 1 || !f.login[0] {
		t.Errorf("start at login was set %v", f.login)
	}
}

func TestRevertRestoresSavedSettings(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabSchedule)
	retype(entryWithText(t, s.sched.dayEditor, "11:00"), "10:30")
	if s.revert.Disabled() {
		t.Fatal("Revert disabled after an edit")
	}
	test.Tap(s.revert)
	if s.cfg.Schedule.Template != "twice-a-day" || len(s.cfg.Schedule.Days) != 0 {
		t.Errorf("after revert: %+v", s.cfg.Schedule)
	}
	entryWithText(t, s.sched.dayEditor, "11:00")
	if !s.save.Disabled() {
		t.Errorf("Save enabled after revert")
	}
}

// withDesktop reports what a desktop face would have found.
type withDesktop struct {
	Backend
	d *control.Desktop
}

func (w withDesktop) Status(ctx context.Context) (control.Status, error) {
	st, err := w.Backend.Status(ctx)
	st.Desktop = w.d
	return st, err
}

// TestOtherAppsSettings: the Notifications tab shows what Sluice found on
// the desktop and what the user can do there, chooses when other apps are
// held, and records the user's consent and the apps to capture.
func TestOtherAppsSettings(t *testing.T) {
	f := newFixture(t, testConfig())
	d := &control.Desktop{Backend: "dunst", Server: "dunst 1.9.0", Hold: "focus", State: "quiet",
		Summary:    "dunst 1.9.0, paused by Sluice until 11:00",
		Waiting:    "dunst keeps them and shows them when Sluice resumes it at the check-in.",
		Urgent:     "dunst shows nothing while paused: for an urgent item Sluice resumes it while its notification is on screen.",
		Advice:     "Nothing to set up. `dunstctl is-paused` shows the state; a pause you set yourself is left alone.",
		CanCapture: true, Capturing: true,
		Apps: []control.DesktopApp{{Name: "TeamChat", LastSeen: f.at(0, 9, 40), Count: 3}, {Name: "Firefox", LastSeen: f.at(0, 9, 12), Count: 1}}}
	f.ui = New(f.fa, Options{ConfigPath: f.cfgPath, DataDir: f.data, Client: withDesktop{stablePaths{f.client}, d}, Inline: true, Now: f.clk.Now})
	s, w := openSettings(t, f, TabNotifications)
	tab := func() fyne.CanvasObject { return s.tabs.Selected().Content }
	shown := texts(tab())
	for _, want := range []string{"dunst 1.9.0, paused by Sluice until 11:00", "dunst keeps them", "Nothing to set up"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the tab does not say %q:\n%s", want, shown)
		}
	}
	if c := find(tab(), func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "TeamChat") }); c != nil {
		t.Error("apps are listed before the user agreed to capture")
	}
	find(tab(), func(r *widget.RadioGroup) bool { return len(r.Options) == 3 }).SetSelected("Whenever Sluice holds (focus, meetings, between check-ins, off-hours)")
	test.Tap(find(tab(), func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "Record the chosen apps") }))
	team := find(tab(), func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "TeamChat") })
	if team == nil || team.Text != "TeamChat · 3 notifications, last 09:40" {
		t.Fatalf("TeamChat's switch: %+v", team)
	}
	test.Tap(team)
	if sc, ok := tab().(*container.Scroll); ok {
		sc.ScrollToBottom() // the part about other apps, as the user scrolls to it
	}
	golden(t, "settings-Notifications-desktop", w)
	test.Tap(s.save)
	saved, err := f.client.Config(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Desktop; got.HoldOtherApps != config.HoldHolding || !got.Capture || len(got.CaptureApps) != 1 || got.CaptureApps[0] != "TeamChat" {
		t.Errorf("saved desktop settings %+v", got)
	}
}

// TestOtherAppsHeadless: a headless Sluice says it leaves the desktop alone.
func TestOtherAppsHeadless(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabNotifications)
	if txt := texts(s.tabs.Selected().Content); !strings.Contains(txt, "runs headless") {
		t.Errorf("no word on the headless daemon:\n%s", txt)
	}
}

func TestAddMatrixAndGitHub(t *testing.T) {
	f := newFixture(t, testConfig())
	s, _ := openSettings(t, f, TabAccounts)
	tab := s.tabs.Selected().Content
	test.Tap(findButton(t, tab, "Add Matrix account"))
	if len(s.cfg.Accounts) != 1 || s.cfg.Accounts[0].Kind != "matrix" || s.cfg.Accounts[0].Name != "Matrix" {
		t.Fatalf("accounts: %+v", s.cfg.Accounts)
	}
	if l := s.fe.find("accounts[1].homeserver").label; !strings.Contains(l.Text, "required") {
		t.Errorf("homeserver message %q", l.Text)
	}
	editor := s.accounts.editor
	test.Type(entryWithPlaceholder(t, editor, "matrix.example.org"), "matrix.example.org")
	test.Type(entryWithPlaceholder(t, editor, "@you:example.org"), "@me:example.org")
	test.Type(entryWithPlaceholder(t, editor, "Access token (optional)"), "syt_secret_token")
	test.Type(entryWithPlaceholder(t, editor, "#team:example.org (direct messages and mentions always count)"), "#team:example.org, team")
	if l := s.fe.find("accounts[1].rooms[2]").label; !strings.Contains(l.Text, "not a room ID") {
		t.Errorf("rooms message %q", l.Text)
	}
	if !s.save.Disabled() {
		t.Errorf("Save enabled with a bad room")
	}
	retype(entryWithText(t, editor, "#team:example.org, team"), "#team:example.org")

	test.Tap(findButton(t, tab, "Add GitHub"))
	editor = s.accounts.editor
	test.Type(find(editor, func(e *widget.Entry) bool { return e.Password }), "ghp_token123")
	test.Tap(find(editor, func(c *widget.Check) bool { return strings.HasPrefix(c.Text, "Mark read on GitHub") }))
	if s.save.Disabled() {
		t.Fatalf("Save disabled for complete accounts: %q", s.errs.Text)
	}
	test.Tap(s.save)
	saved, _ := f.client.Config(f.ctx())
	if len(saved.Accounts) != 2 || saved.Accounts[0].Homeserver != "matrix.example.org" || saved.Accounts[0].UserID != "@me:example.org" ||
		len(saved.Accounts[0].Rooms) != 1 || saved.Accounts[1].Kind != "github" || !saved.Accounts[1].MarkReadOnDone {
		t.Errorf("saved accounts: %+v", saved.Accounts)
	}
	for name, want := range map[string]string{"Matrix": "syt_secret_token", "GitHub": "ghp_token123"} {
		if tok, err := secrets.Get(name, secrets.Token); err != nil || tok != want {
			t.Errorf("keyring for %s has %q, %v", name, tok, err)
		}
	}
	raw, _ := os.ReadFile(f.cfgPath)
	if strings.Contains(string(raw), "syt_secret") || strings.Contains(string(raw), "ghp_token") {
		t.Errorf("a token reached the config file")
	}
}
