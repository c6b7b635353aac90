package ui

import (
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/secrets"
)

func TestWelcomeFirstRun(t *testing.T) {
	cfg := testConfig()
	cfg.Schedule.Zone = ""
	f := newFixture(t, cfg)
	w, err := f.ui.Open(WindowWelcome)
	if err != nil {
		t.Fatal(err)
	}
	wl := f.ui.windows[WindowWelcome].page.(*welcome)
	root := func() fyne.CanvasObject { return content(w) }

	// Step 1: a rhythm, working days, the zone.
	find(root(), func(r *widget.RadioGroup) bool { return len(r.Options) == 4 }).SetSelected("Three times a day")
	test.Tap(find(root(), func(c *widget.Check) bool { return c.Text == "Fri" }))
	test.Type(entryWithText(t, root(), ""), "Europe/Berlin")
	golden(t, "welcome-1", w)
	test.Tap(wl.next)

	// Step 2: a mail account; the provider is guessed from the address.
	find(root(), func(r *widget.RadioGroup) bool { return len(r.Options) == 3 }).SetSelected("A mail account (IMAP)")
	test.Tap(wl.next)
	if wl.step != 1 || !strings.Contains(texts(root()), "enter your email address") {
		t.Fatalf("an empty mail form should stop at step 2 with messages; step %d:\n%s", wl.step, texts(root()))
	}
	test.Type(entryWithPlaceholder(t, root(), "you@example.com"), "me@gmail.com")
	// Gmail signs in with Google unless the user has an app password.
	if !strings.Contains(texts(root()), "opens Google's sign-in page") {
		t.Errorf("no word of signing in with Google:\n%s", texts(root()))
	}
	test.Tap(find(root(), func(c *widget.Check) bool { return c.Text == "Use an app password instead" }))
	test.Type(find(root(), func(e *widget.Entry) bool { return e.Password }), "abcd efgh ijkl mnop")
	if wl.preset != "gmail" {
		t.Errorf("preset for me@gmail.com = %q, want gmail", wl.preset)
	}
	golden(t, "welcome-2", w)
	test.Tap(wl.next)

	// Step 3: start at login, a summary, Finish.
	if !strings.Contains(texts(root()), "Working days: Mon, Tue, Wed, Thu.") {
		t.Errorf("summary:\n%s", texts(root()))
	}
	golden(t, "welcome-3", w)
	test.Tap(wl.next)
	if !strings.Contains(texts(root()), "You are set") {
		t.Fatalf("no final page:\n%s", texts(root()))
	}
	golden(t, "welcome-done", w)

	saved, err := f.client.Config(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	sc := saved.Schedule
	if sc.Template != "three-times-a-day" || sc.Zone != "Europe/Berlin" || len(sc.Days) != 4 || sc.Days["friday"].Work != nil {
		t.Errorf("saved schedule: %+v", sc)
	}
	if got := sc.Days["monday"].Checkins; len(got) != 3 || got[0].At != (schedule.TimeOfDay{Hour: 9}) {
		t.Errorf("Monday's check-ins: %+v", got)
	}
	if len(saved.Accounts) != 1 || saved.Accounts[0].Preset != "gmail" || saved.Accounts[0].Username != "me@gmail.com" {
		t.Errorf("saved accounts: %+v", saved.Accounts)
	}
	if pw, err := secrets.Get("Gmail", secrets.Password); err != nil || pw != "abcd efgh ijkl mnop" {
		t.Errorf("keyring: %q %v", pw, err)
	}
	if !saved.General.StartAtLogin || len(f.login) != 1 || !f.login[0] {
		t.Errorf("start at login: config %v, calls %v", saved.General.StartAtLogin, f.login)
	}
}

func TestWelcomeLocalInboxOnly(t *testing.T) {
	f := newFixture(t, testConfig())
	w, _ := f.ui.Open(WindowWelcome)
	wl := f.ui.windows[WindowWelcome].page.(*welcome)
	test.Tap(wl.next)
	test.Tap(wl.next)
	test.Tap(find(content(w), func(c *widget.Check) bool { return c.Text == "Start Sluice when I log in" }))
	find(content(w), func(r *widget.RadioGroup) bool { return len(r.Options) == 3 }).SetSelected("Never: other apps notify as usual")
	if !strings.Contains(texts(content(w)), "Other apps: not held.") {
		t.Errorf("the summary does not follow the choice:\n%s", texts(content(w)))
	}
	test.Tap(wl.next)
	saved, _ := f.client.Config(f.ctx())
	if saved.Schedule.Template != "twice-a-day" || len(saved.Schedule.Days) != 0 || len(saved.Accounts) != 0 || saved.General.StartAtLogin {
		t.Errorf("saved: %+v", saved)
	}
	if saved.Desktop.HoldOtherApps != config.HoldOff {
		t.Errorf("other apps: saved %q, want off", saved.Desktop.HoldOtherApps)
	}
	test.Tap(findButton(t, content(w), "Open the digest"))
	if f.ui.Window(WindowDigest) == nil {
		t.Errorf("the digest did not open")
	}
}

// TestStatsWindow drives a week on the fake clock, so the charts show what
// the gate really counted.
func TestStatsWindow(t *testing.T) {
	f := newFixture(t, testConfig())
	cfg, _ := f.client.Config(f.ctx())
	cfg.Urgent.VIPs = []string{"boss@acme.com"}
	if err := f.client.SetConfig(f.ctx(), cfg); err != nil {
		t.Fatal(err)
	}
	// From Monday 00:00 to Friday 18:00, ticking every 5 minutes; an item
	// arrives every hour, and the boss writes during Tuesday's focus.
	start := f.at(0, 0, 0)
	f.clk.Set(start)
	f.app.Gate().Tick()
	n := 0
	for tm := start; tm.Before(f.at(4, 18, 0)); tm = tm.Add(5 * time.Minute) {
		f.clk.Set(tm)
		f.app.Gate().Tick()
		if tm.Minute() == 0 {
			n++
			f.ingest("local", model.Item{Kind: model.KindLocal, SourceID: "i" + tm.Format("0102-15"), Subject: "Hourly report", Received: tm})
		}
		switch {
		case tm.Equal(f.at(0, 10, 0)):
			f.ingest("Work mail", model.Item{Kind: model.KindIMAP, SourceID: "ann", FromName: "Ann", FromAddr: "ann@acme.com", Subject: "Budget", Received: tm, ReplyKey: "ann-1@acme.com"})
		case tm.Equal(f.at(1, 10, 0)):
			f.ingest("Work mail", model.Item{Kind: model.KindIMAP, SourceID: "boss", FromName: "Boss", FromAddr: "boss@acme.com", Subject: "Call me", Received: tm, ReplyKey: "boss-1@acme.com"})
		case tm.Equal(f.at(1, 12, 0)): // 2 h after the boss wrote: within 24 h
			f.reply("Work mail", "boss-1@acme.com", tm)
		case tm.Equal(f.at(2, 12, 0)): // 50 h after Ann wrote: late
			f.reply("Work mail", "ann-1@acme.com", tm)
		case tm.Equal(f.at(2, 10, 0)):
			f.ingest("Work mail", model.Item{Kind: model.KindIMAP, SourceID: "cy", FromName: "Cy", FromAddr: "cy@acme.com", Subject: "FYI", Received: tm, ReplyKey: "cy-1@acme.com"})
		case tm.Equal(f.at(3, 12, 0)): // Cy's FYI is done without a reply
			if _, err := f.app.Gate().Done([]string{model.ItemID("Work mail", "cy")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w, err := f.ui.Open(WindowStats)
	if err != nil {
		t.Fatal(err)
	}
	w.Resize(fyne.NewSize(900, 720))
	s := f.ui.windows[WindowStats].page.(*statsWindow)
	if s.tiles[2].Text != "1" {
		t.Errorf("breakthroughs tile = %q, want 1", s.tiles[2].Text)
	}
	// Twice a day: 4 h of focus a day, Monday to Friday.
	if s.tiles[0].Text != "20 h" {
		t.Errorf("focus tile = %q, want 20 h", s.tiles[0].Text)
	}
	if got := s.focus.series[0].values; len(got) != 7 || got[2] != 240 {
		t.Errorf("focus per day = %v, want 240 min on Monday (third of seven days)", got)
	}
	if got := s.checkins.series[0].values; got[2] != 2 || got[6] != 2 {
		t.Errorf("check-ins on time per day = %v", got)
	}
	// Replies by the day they were sent: Tuesday's within the promise,
	// Wednesday's late; the median of 2 h and 50 h is 26 h (1 d 2 h).
	if got, late := s.replies.share.series[0].values, s.replies.share.series[1].values; got[3] != 1 || late[3] != 0 || got[4] != 0 || late[4] != 1 {
		t.Errorf("replies within the promise per day = %v, late = %v", got, late)
	}
	if got := s.replies.share.series[2].values; got[5] != 1 || got[2]+got[3]+got[4]+got[6] != 0 {
		t.Errorf("no reply needed per day = %v, want 1 on Thursday", got)
	}
	if got := s.replies.median.series[0].values; got[3] != 120 || got[4] != 50*60 {
		t.Errorf("median time to reply per day = %v min, want 120 on Tuesday and 3000 on Wednesday", got)
	}
	if s.tiles[4].Text != "50%" || s.captions[4].Text != "Replies in time\nmedian reply 1 d 2 h" {
		t.Errorf("replies tile = %q, %q", s.tiles[4].Text, s.captions[4].Text)
	}
	if !strings.Contains(texts(s.logBox), "Boss <boss@acme.com> — Call me") {
		t.Errorf("breakthrough log:\n%s", texts(s.logBox))
	}
	golden(t, "stats-week", w)
	find(content(w), func(r *widget.RadioGroup) bool { return len(r.Options) == 2 }).SetSelected("Last 30 days")
	if got := len(s.focus.labels); got != 30 {
		t.Errorf("30-day view has %d days", got)
	}
}

// TestAccountTestConnectionReportsTheError: "Test connection" says in words
// why an account cannot connect (here: nothing listens on its port).
func TestAccountTestConnectionReportsTheError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := testConfig()
	cfg.Accounts = []config.Account{{Name: "Test mail", Kind: "imap", Host: "127.0.0.1", Port: port, Security: "tls", Username: "me"}}
	f := newFixture(t, cfg)
	s, _ := openSettings(t, f, TabAccounts)
	s.accounts.list.Select(1)
	test.Type(find(s.accounts.editor, func(e *widget.Entry) bool { return e.Password }), "secret")
	test.Tap(findButton(t, s.accounts.editor, "Test connection"))
	all := texts(s.accounts.editor)
	if !strings.Contains(all, "Could not connect:") || !strings.Contains(all, "refused") {
		t.Errorf("test result:\n%s", all)
	}
	if pw, err := secrets.Get("Test mail", secrets.Password); err == nil {
		t.Errorf("testing stored the typed password %q before Save", pw)
	}
}

// TestAccountSecretsFollowTheAccount: the settings show a stored secret
// as stored, a renamed account's secret moves with it on Save, and a
// removed account's secret leaves the keyring; all of it done by the
// running Sluice.
func TestAccountSecretsFollowTheAccount(t *testing.T) {
	cfg := testConfig()
	cfg.Accounts = []config.Account{
		{Name: "Chat", Kind: "slack"},
		{Name: "Old mail", Kind: "imap", Host: "127.0.0.1", Port: 993, Security: "tls", Username: "me"},
	}
	for name, k := range map[string]secrets.Kind{"Chat": secrets.Token, "Old mail": secrets.Password} {
		if err := secrets.Set(name, k, "secret-of-"+name); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t, cfg)
	s, _ := openSettings(t, f, TabAccounts)
	s.accounts.list.Select(1)
	entryWithPlaceholder(t, s.accounts.editor, "Stored in the keyring (type to replace)")
	entryWithPlaceholder(t, s.accounts.editor, "xapp-… (optional, for instant delivery)")
	retype(entryWithText(t, s.accounts.editor, "Chat"), "Team chat")
	s.accounts.list.Select(2)
	test.Tap(findButton(t, s.accounts.editor, "Remove account"))
	if s.save.Disabled() {
		t.Fatalf("Save disabled: %q", s.errs.Text)
	}
	test.Tap(s.save)
	if v, err := secrets.Get("Team chat", secrets.Token); err != nil || v != "secret-of-Chat" {
		t.Errorf("the renamed account's token: %q, %v", v, err)
	}
	if _, err := secrets.Get("Chat", secrets.Token); err == nil {
		t.Errorf("the old name keeps its token")
	}
	if _, err := secrets.Get("Old mail", secrets.Password); err == nil {
		t.Errorf("the removed account's password stays in the keyring")
	}
	s.accounts.list.Select(1)
	entryWithPlaceholder(t, s.accounts.editor, "Stored in the keyring (type to replace)")
}
