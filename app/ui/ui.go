// Package ui draws Sluice's windows with Fyne: the digest, the settings, the
// stats and the first-run welcome.
//
// The windows run in their own process (sluice-ui), started on demand by
// the tray or `sluice ui NAME`, so that the resident process never links
// Fyne's OpenGL stack. They are clients of the running Sluice: everything
// they show or change goes through the control API (app/control), and live
// updates come from its event stream. When Sluice is not running a window
// says so and offers to start it.
//
// One owner for UI state: background work (control calls, the event
// stream, the minute tick) never touches a widget. It computes a result and
// hands a function that applies it to the UI goroutine with fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os/exec"
	"time"

	"fyne.io/fyne/v2"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
)

// AppID is the application ID the windows register with (preferences,
// notifications, the desktop entry and the AppStream metadata use it too).
const AppID = "app.sluice.Sluice"

// AppName is the name shown in window titles and the desktop.
const AppName = "Sluice"

// Window names, as `sluice ui NAME` takes them.
const (
	WindowDigest   = "digest"
	WindowSettings = "settings"
	WindowStats    = "stats"
	WindowWelcome  = "welcome"
)

// WindowNames lists the windows in the order help texts show them.
func WindowNames() []string {
	return []string{WindowDigest, WindowSettings, WindowStats, WindowWelcome}
}

// ErrUnknownWindow is returned for a window name that is not one of WindowNames.
var ErrUnknownWindow = errors.New("unknown window")

// Backend is the part of the control API the windows use. *control.Client
// implements it; so does anything a test wants to put in its place.
type Backend interface {
	Status(ctx context.Context) (control.Status, error)
	List(ctx context.Context, state model.State, q gate.ListQuery) (gate.Page, error)
	Each(ctx context.Context, state model.State, query string, fn func(model.Item) error) error
	Item(ctx context.Context, id string) (model.Item, error)
	Done(ctx context.Context, ids []string) (int, error)
	DoneAll(ctx context.Context) (int, error)
	Snooze(ctx context.Context, ids []string) (int, error)
	TestRule(ctx context.Context, req control.RuleTestRequest) (gate.Verdict, error)
	Config(ctx context.Context) (config.Config, error)
	SetConfig(ctx context.Context, cfg config.Config) error
	Stats(ctx context.Context, days int) ([]gate.DayStats, error)
	AccountTest(ctx context.Context, name string) (string, error)
	TestAccountSettings(ctx context.Context, req control.AccountTestRequest) (string, error)
	Presets(ctx context.Context) ([]control.Preset, error)
	StoredSecrets(ctx context.Context) (control.StoredSecrets, error)
	SetSecret(ctx context.Context, req control.SecretRequest) error
	MoveSecrets(ctx context.Context, req control.SecretMove) error
	DeleteSecrets(ctx context.Context, account string) error
	Schedule(ctx context.Context, days int) (control.Schedule, error)
	AccountLogin(ctx context.Context, name string, req control.LoginRequest) (control.LoginStatus, error)
	LoginStatus(ctx context.Context, name string) (control.LoginStatus, error)
	Events(ctx context.Context) (<-chan gate.Event, error)
	Replies(ctx context.Context) (gate.Replies, error)
}

var _ Backend = (*control.Client)(nil)

// Options say where Sluice's files are and how the windows reach it.
type Options struct {
	ConfigPath string // passed on when the window starts Sluice
	DataDir    string // where the running Sluice's control endpoint is
	// Client talks to the running Sluice (nil: control.NewClient(DataDir)).
	Client Backend
	Logger *slog.Logger
	// Now tells the time for relative times and the schedule preview (nil: time.Now).
	Now func() time.Time
	// Inline runs control calls on the calling goroutine and applies their
	// results at once, and starts no event stream and no ticker. Tests with
	// Fyne's test driver use it: that driver runs fyne.Do inline as well,
	// so work done on other goroutines would race with the test.
	Inline bool
	// StartSluice starts the resident Sluice when a window finds it not
	// running (nil: run the `sluice` next to this program, else on PATH).
	StartSluice func() error
	// OpenURL opens an item's link (nil: the desktop's handler via Fyne).
	OpenURL func(*url.URL) error
	// Trace receives timing marks such as "digest drawn" (nil: none). The
	// screenshot test uses it to measure how fast the digest appears.
	Trace func(mark string)
	// StartAtLogin creates or removes the login entry (nil: app/autostart).
	StartAtLogin func(enabled bool) error
	// Tab is the settings tab to show first (TabSchedule when empty), e.g.
	// TabAccounts when an account needs the user.
	Tab string
}

// UI is the windows process: one Fyne app, one control client, any number
// of windows.
type UI struct {
	fa  fyne.App
	opt Options
	c   Backend
	log *slog.Logger
	run runner
	now func() time.Time

	windows   map[string]*window
	listeners []func(gate.Event)
	// presets are the mail providers the running Sluice knows, loaded
	// with the first window that shows them.
	presets  []control.Preset
	ctx      context.Context
	cancel   context.CancelFunc
	watching bool
}

// New prepares the windows on a Fyne app. It opens nothing yet.
func New(fa fyne.App, opt Options) *UI {
	u := &UI{fa: fa, opt: opt, c: opt.Client, log: opt.Logger, now: opt.Now, windows: map[string]*window{}}
	if u.c == nil {
		u.c = control.NewClient(opt.DataDir)
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.now == nil {
		u.now = time.Now
	}
	if opt.Inline {
		u.run = inlineRunner{}
	} else {
		u.run = fyneRunner{}
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	fa.Settings().AddListener(func(fyne.Settings) { u.themeChanged() })
	return u
}

// Run opens the named window and runs the Fyne event loop until the last
// window is closed.
func Run(fa fyne.App, name string, opt Options) error {
	u := New(fa, opt)
	if _, err := u.Open(name); err != nil {
		return err
	}
	fa.Run()
	u.Close()
	return nil
}

// Close stops the background work (event stream, ticker).
func (u *UI) Close() { u.cancel() }

// App is the Fyne app the windows belong to.
func (u *UI) App() fyne.App { return u.fa }

// Open shows the named window, creating it if it is not open yet.
func (u *UI) Open(name string) (fyne.Window, error) {
	if w, ok := u.windows[name]; ok {
		w.win.Show()
		w.win.RequestFocus()
		return w.win, nil
	}
	var p page
	switch name {
	case WindowDigest:
		p = newDigest(u)
	case WindowSettings:
		p = newSettings(u)
	case WindowStats:
		p = newStats(u)
	case WindowWelcome:
		p = newWelcome(u)
	default:
		return nil, fmt.Errorf("%w %q (want digest, settings, stats or welcome)", ErrUnknownWindow, name)
	}
	w := &window{u: u, name: name, page: p, win: u.fa.NewWindow(p.title())}
	u.windows[name] = w
	w.win.SetOnClosed(func() {
		delete(u.windows, name)
		if c, ok := p.(interface{ closed() }); ok {
			c.closed()
		}
	})
	w.win.Resize(p.size())
	w.body = p.build(w)
	w.win.SetContent(w.body)
	w.win.Show()
	u.startWatching()
	w.load()
	return w.win, nil
}

// Window returns the open window of that name, or nil.
func (u *UI) Window(name string) fyne.Window {
	if w, ok := u.windows[name]; ok {
		return w.win
	}
	return nil
}

func (u *UI) trace(mark string) {
	if u.opt.Trace != nil {
		u.opt.Trace(mark)
	}
}

// openURL opens a link in its own application.
func (u *UI) openURL(link string) error {
	pu, err := url.Parse(link)
	if err != nil || pu.Scheme == "" {
		return fmt.Errorf("cannot open %q: not a link", link)
	}
	if u.opt.OpenURL != nil {
		return u.opt.OpenURL(pu)
	}
	return u.fa.OpenURL(pu)
}

// page is one kind of window.
type page interface {
	title() string
	size() fyne.Size
	// build makes the window's content once.
	build(w *window) fyne.CanvasObject
	// load fetches what the page shows (through w.call) and applies it.
	load()
}

// window is an open window and its page.
type window struct {
	u    *UI
	name string
	win  fyne.Window
	page page
	body fyne.CanvasObject
	down bool // showing the "not running" panel
}

// load (re)loads the page.
func (w *window) load() { w.page.load() }

// call runs fn (a control call) off the UI goroutine, then apply with its
// error on it. When Sluice is not running the window shows the "not
// running" panel instead, and apply is not called.
func (w *window) call(fn func(ctx context.Context) error, apply func(err error)) {
	w.u.run.Go(func() func() {
		ctx, cancel := context.WithTimeout(w.u.ctx, callTimeout)
		defer cancel()
		err := fn(ctx)
		return func() {
			if errors.Is(err, control.ErrNotRunning) {
				w.showDown()
				return
			}
			if w.down {
				w.down = false
				w.win.SetContent(w.body)
			}
			apply(err)
		}
	})
}

// callTimeout bounds one control call; listing 10,000 items takes well
// under a second, a connection test up to 30 s on the daemon's side.
const callTimeout = 45 * time.Second

func (w *window) showDown() {
	if w.down {
		return
	}
	w.down = true
	w.win.SetContent(notRunningPanel(w))
}

// runner moves work off the UI goroutine and its result back onto it.
type runner interface {
	// Go runs work elsewhere, then the function it returns (if not nil)
	// on the UI goroutine.
	Go(work func() func())
}

type fyneRunner struct{}

func (fyneRunner) Go(work func() func()) {
	go func() {
		if apply := work(); apply != nil {
			fyne.Do(apply)
		}
	}()
}

type inlineRunner struct{}

func (inlineRunner) Go(work func() func()) {
	if apply := work(); apply != nil {
		apply()
	}
}

// onEvent registers fn for every gate event; it runs on the UI goroutine.
// The returned function unregisters it.
func (u *UI) onEvent(fn func(gate.Event)) func() {
	u.listeners = append(u.listeners, fn)
	idx := len(u.listeners) - 1
	return func() {
		if idx < len(u.listeners) {
			u.listeners[idx] = nil
		}
	}
}

func (u *UI) dispatch(e gate.Event) {
	for _, fn := range u.listeners {
		if fn != nil {
			fn(e)
		}
	}
}

// Synthetic event kinds the UI dispatches to its own listeners.
const (
	eventTick      gate.EventKind = "ui-tick"      // a minute passed: relative times change
	eventReconnect gate.EventKind = "ui-reconnect" // the event stream (re)connected: reload
	eventTheme     gate.EventKind = "ui-theme"     // the theme or its variant changed: redraw
)

func (u *UI) themeChanged() { u.dispatch(gate.Event{Kind: eventTheme}) }

// startWatching follows the running Sluice's events and ticks once a
// minute, both delivered on the UI goroutine.
func (u *UI) startWatching() {
	if u.opt.Inline || u.watching {
		return
	}
	u.watching = true
	go func() {
		first := true
		for u.ctx.Err() == nil {
			ch, err := u.c.Events(u.ctx)
			if err == nil {
				if !first {
					fyne.Do(func() { u.dispatch(gate.Event{Kind: eventReconnect}) })
				}
				first = false
				for e := range ch {
					fyne.Do(func() { u.dispatch(e) })
				}
			}
			select {
			case <-u.ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-u.ctx.Done():
				return
			case <-t.C:
				fyne.Do(func() { u.dispatch(gate.Event{Kind: eventTick}) })
			}
		}
	}()
}

// startSluice starts the resident Sluice and waits until it answers.
func (u *UI) startSluice() error {
	start := u.opt.StartSluice
	if start == nil {
		start = u.spawnSluice
	}
	if err := start(); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(u.ctx, time.Second)
		_, err := u.c.Status(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("started, but it does not answer yet; see its log")
}

// spawnSluice runs `sluice` (the tray app) with this window's config and
// data directory. It is found next to this program first, then on PATH.
func (u *UI) spawnSluice() error {
	bin, err := sluiceBinary()
	if err != nil {
		return err
	}
	var args []string
	if u.opt.ConfigPath != "" {
		args = append(args, "--config", u.opt.ConfigPath)
	}
	if u.opt.DataDir != "" {
		args = append(args, "--data", u.opt.DataDir)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	// Sluice outlives this window: reap it in the background only so that
	// no zombie is left if it exits while the window is still open.
	go func() { _ = cmd.Wait() }()
	return nil
}

func sluiceBinary() (string, error) { return paths.ResidentBinary() }
