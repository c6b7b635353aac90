package ui

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests schedule in Europe/Berlin whatever the machine's zone

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/secrets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	secrets.MockForTests()
	os.Setenv("LANG", "en_US.UTF-8")
	flag.Parse()
	os.Exit(m.Run())
}

// monday is the fixtures' "now": Monday 2 March 2026, 10:00 in Berlin,
// inside the twice-a-day template's 09:00–11:00 focus block.
func monday(t testing.TB) time.Time {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2026, 3, 2, 10, 0, 0, 0, loc)
}

// testConfig is the default config in Berlin's zone.
func testConfig() config.Config {
	c := config.Default()
	c.Schedule.Zone = "Europe/Berlin"
	return c
}

// fixture is a real Sluice (app.App on temp dirs, a fake clock) serving its
// control API on a Unix socket, and the windows on Fyne's test driver,
// talking to it through a real control client.
type fixture struct {
	t       testing.TB
	app     *app.App
	clk     *clock.Fake
	client  *control.Client
	data    string
	cfgPath string
	fa      fyne.App
	ui      *UI
	opened  []string           // links the windows asked to open
	login   []bool             // start-at-login switches the windows made
	browser func(string) error // how the running Sluice opens sign-in pages (nil: the user's browser)
	stop    func()
}

func newFixture(t testing.TB, cfg config.Config) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, clk: clock.NewFake(monday(t)), data: filepath.Join(dir, "data"), cfgPath: filepath.Join(dir, "config.toml")}
	if err := config.Save(f.cfgPath, cfg); err != nil {
		t.Fatalf("save config: %v", err)
	}
	f.start()
	f.fa = test.NewTempApp(t)
	f.ui = New(f.fa, Options{
		ConfigPath: f.cfgPath, DataDir: f.data, Client: stablePaths{f.client}, Inline: true, Now: f.clk.Now,
		OpenURL: func(u *url.URL) error { f.opened = append(f.opened, u.String()); return nil },
		// never the user's real login items
		StartAtLogin: func(on bool) error { f.login = append(f.login, on); return nil },
	})
	t.Cleanup(func() {
		f.ui.Close()
		if f.stop != nil {
			f.stop()
		}
	})
	return f
}

// stablePaths reports fixed file paths in the status, so that golden
// renderings do not depend on the test's temp directory.
type stablePaths struct{ *control.Client }

func (s stablePaths) Status(ctx context.Context) (control.Status, error) {
	st, err := s.Client.Status(ctx)
	st.Config, st.Data, st.PID = "/home/you/.config/sluice/config.toml", "/home/you/.local/share/sluice", 0
	return st, err
}

// start runs the Sluice and waits until its control API answers.
func (f *fixture) start() {
	t := f.t
	a, err := app.New(app.Options{ConfigPath: f.cfgPath, DataDir: f.data, Clock: f.clk, OpenURL: f.browser})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	f.app = a
	f.client = control.NewClient(f.data)
	deadline := time.Now().Add(10 * time.Second)
	for !control.Running(f.data, time.Second) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("sluice did not answer on %s", f.data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("app.Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("app.Run did not return")
		}
		f.stop = nil
	}
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	f.t.Cleanup(cancel)
	return ctx
}

// ingest hands items to the running gate as a connector would.
func (f *fixture) ingest(account string, items ...model.Item) {
	f.t.Helper()
	for i := range items {
		items[i].Account = account
	}
	if err := f.app.Gate().Ingest(f.ctx(), model.Batch{Account: account, Items: items}); err != nil {
		f.t.Fatalf("ingest: %v", err)
	}
}

// reply hands the running gate the user's reply to key, as a connector
// that read the Sent folder would.
func (f *fixture) reply(account, key string, at time.Time) {
	f.t.Helper()
	b := model.Batch{Account: account, Replies: []model.Reply{{Key: key, At: at, Named: true}}}
	if err := f.app.Gate().Ingest(f.ctx(), b); err != nil {
		f.t.Fatalf("reply: %v", err)
	}
}

// checkin releases everything held, through the control API.
func (f *fixture) checkin() {
	f.t.Helper()
	if _, err := f.client.Checkin(f.ctx()); err != nil {
		f.t.Fatalf("checkin: %v", err)
	}
}

func (f *fixture) list(state model.State) []model.Item {
	f.t.Helper()
	var items []model.Item
	err := f.client.Each(f.ctx(), state, "", func(it model.Item) error { items = append(items, it); return nil })
	if err != nil {
		f.t.Fatalf("list %s: %v", state, err)
	}
	return items
}

// at is a time on the fixture's Monday (or days after it).
func (f *fixture) at(days, hour, minute int) time.Time {
	m := monday(f.t)
	return time.Date(m.Year(), m.Month(), m.Day()+days, hour, minute, 0, 0, m.Location())
}

// seedDigest fills the store with a realistic morning: mail with a
// three-message thread, Slack with a thread and a DM, a local push; all
// released at a check-in; then two more items arrive and are held.
func (f *fixture) seedDigest() {
	mail := func(id, fromName, fromAddr, subject, snippet, thread string, at time.Time) model.Item {
		return model.Item{Kind: model.KindIMAP, SourceID: id, Channel: "INBOX", Thread: thread, FromName: fromName, FromAddr: fromAddr,
			Subject: subject, Snippet: snippet, Received: at, Link: "https://mail.example.com/m/" + id}
	}
	// People's mail and the DM carry reply keys: Alice's first mail (from
	// Friday) and Erin's DM wait for a reply, Alice's last was answered.
	asks := func(it model.Item, key string) model.Item { it.ReplyKey = key; return it }
	f.ingest("Work mail",
		asks(mail("m1", "Alice Martin", "alice@acme.com", "Q3 budget review", "Here is the draft for Thursday; the travel line is still open.", "budget", f.at(-3, 16, 5)), "m1@acme.com"),
		asks(mail("m2", "Bob Stein", "bob@acme.com", "Re: Q3 budget review", "Travel looks fine to me, but hardware needs another pass.", "budget", f.at(0, 8, 12)), "m2@acme.com"),
		asks(mail("m3", "Alice Martin", "alice@acme.com", "Re: Q3 budget review", "Updated the sheet. Can we close this by Wednesday?", "budget", f.at(0, 9, 40)), "m3@acme.com"),
		mail("m4", "Deploy bot", "deploy@acme.com", "Deploy 2026.03.02-1 finished", "All 14 services are green. Changelog attached.", "", f.at(0, 7, 55)),
	)
	f.reply("Work mail", "m2@acme.com", f.at(0, 9, 50))
	f.reply("Work mail", "m3@acme.com", f.at(0, 9, 50))
	f.ingest("Acme Slack",
		model.Item{Kind: model.KindSlack, SourceID: "s1", Channel: "#eng", Thread: "eng-1", FromName: "Carol", Subject: "Flaky test in payments", Snippet: "It fails one run in ten since Friday; anyone seen this?", Received: f.at(0, 9, 5), Link: "https://acme.slack.com/archives/C1/p1"},
		model.Item{Kind: model.KindSlack, SourceID: "s2", Channel: "#eng", Thread: "eng-1", FromName: "Dan", Subject: "Flaky test in payments", Snippet: "Yes, the clock mock leaks between tests. Fix coming.", Received: f.at(0, 9, 20), Link: "https://acme.slack.com/archives/C1/p2"},
		model.Item{Kind: model.KindSlack, SourceID: "s3", Channel: "@erin", FromName: "Erin", Subject: "Direct message", Snippet: "Lunch at 12:30 today?", Received: f.at(0, 9, 55), Direct: true, ReplyKey: "dm:D1"},
	)
	f.ingest("local", model.Item{Kind: model.KindLocal, SourceID: "l1", Channel: "inbox", FromName: "ci", Subject: "Nightly build failed", Snippet: "integration/imap: 2 tests failed (timeout)", Received: f.at(0, 6, 30)})
	f.checkin()
	f.ingest("Work mail", mail("m5", "Frank", "frank@acme.com", "Offsite agenda", "Draft attached.", "", f.at(0, 10, 0)))
	f.ingest("local", model.Item{Kind: model.KindLocal, SourceID: "l2", FromName: "cron", Subject: "Backup done", Received: f.at(0, 10, 0)})
}

// walk visits o and everything drawn inside it, depth first. fn says
// whether to look inside o and whether to stop altogether.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject) (descend, stop bool)) (stopped bool) {
	if o == nil {
		return false
	}
	descend, stop := fn(o)
	if stop {
		return true
	}
	if !descend {
		return false
	}
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if walk(k, fn) {
			return true
		}
	}
	return false
}

// find returns the first visible object under root that matches.
func find[T fyne.CanvasObject](root fyne.CanvasObject, match func(T) bool) T {
	var out T
	walk(root, func(o fyne.CanvasObject) (bool, bool) {
		if !o.Visible() {
			return false, false
		}
		if v, ok := o.(T); ok && match(v) {
			out = v
			return false, true
		}
		return true, false
	})
	return out
}

func findButton(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b := find(root, func(b *widget.Button) bool { return b.Text == text })
	if b == nil {
		t.Fatalf("no button %q", text)
	}
	return b
}

// texts is every visible label's and rich text's text under root.
func texts(root fyne.CanvasObject) string {
	var b strings.Builder
	walk(root, func(o fyne.CanvasObject) (bool, bool) {
		if !o.Visible() {
			return false, false
		}
		switch x := o.(type) {
		case *widget.Label:
			fmt.Fprintln(&b, x.Text)
			return false, false
		case *widget.RichText:
			fmt.Fprintln(&b, x.String())
			return false, false
		}
		return true, false
	})
	return b.String()
}

// overlayButton finds a button in the top overlay (a dialog).
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open")
	}
	return findButton(t, top, text)
}

// golden compares a window's rendering with testdata/NAME.xml (rewritten
// with -update) and saves a PNG of it under out/screenshots/test-driver/
// for people to look at.
func golden(t *testing.T, name string, w fyne.Window) {
	t.Helper()
	c := w.Canvas()
	// Lay everything out again, as a real window does each frame when a
	// message appears or disappears (Fyne's test canvas does not).
	size := c.Size()
	w.Resize(size.AddWidthHeight(1, 1))
	w.Resize(size)
	if *update {
		path := filepath.Join("testdata", name+".xml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(test.RenderToMarkup(c)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test.AssertRendersToMarkup(t, name+".xml", c)
	saveLook(t, name, w)
}

// saveLook saves a PNG of a window under out/screenshots/test-driver/.
func saveLook(t *testing.T, name string, w fyne.Window) {
	c := w.Canvas()
	dir := filepath.Join("..", "..", "out", "screenshots", "test-driver")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if fh, err := os.Create(filepath.Join(dir, name+".png")); err == nil {
			_ = png.Encode(fh, c.Capture())
			fh.Close()
		}
	}
}

// content is a window's current content.
func content(w fyne.Window) fyne.CanvasObject { return w.Canvas().Content() }
