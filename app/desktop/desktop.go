// Package desktop is Sluice's everyday face in the resident process: the
// tray icon and menu (fyne.io/systray, no OpenGL, no window), desktop
// notifications (beeep), the windows started on demand as a separate
// process (sluice-ui), and, on Linux, resume-from-sleep via logind.
//
// The tray is rebuilt from a snapshot of the gate whenever the gate emits
// an event; notifications follow DESIGN.md exactly: one per check-in, one
// per urgent breakthrough, one when focus starts and ends, one when an
// account needs the user, each switchable in the config. Where no tray can
// be shown (no session bus, or no StatusNotifierWatcher as on GNOME
// without the AppIndicator extension) Sluice keeps running, says so once,
// and opens the digest instead.
package desktop

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/desktop/dnd"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/schedule"
)

// Options tune Run. The zero value is what the desktop app uses.
type Options struct {
	// Logger receives the desktop's logs (nil: discarded).
	Logger *slog.Logger
	// Windows starts the windows binary; nil means windows cannot be
	// opened from the tray (the menu items are disabled).
	Windows *Launcher
	// TrayWait is how long to wait at start-up for a tray host to appear
	// (the panel may start after Sluice at login) before falling back to
	// no tray. Zero means DefaultTrayWait.
	TrayWait time.Duration
	// Now tells the time for the tray's wording ("09:00" today, "Mon
	// 09:00" later); nil means the clock the app runs on.
	Now func() time.Time
}

// DefaultTrayWait is how long Sluice waits for a tray host at start-up.
const DefaultTrayWait = 10 * time.Second

// core is what the desktop needs from a running Sluice; *app.App has it.
type core interface {
	Gate() *gate.Gate
	Config() config.Config
	Notifications() config.Notifications
	Run(ctx context.Context) error
	SetTray(state string)
	Notice(msg string)
	ClearNotices(prefix string)
	Wake()
	Checkin() (gate.Checkin, error)
	Focus(d time.Duration) (gate.Status, error)
	FocusNext() (gate.Status, error)
	EndFocus() (gate.Status, error)
	Pause(d time.Duration) (gate.Status, error)
	Resume() (gate.Status, error)
	OpenWindow(name string) error
	SetOpenWindow(fn func(name string) error)
	AccountLogin(name string, req control.LoginRequest) (control.LoginStatus, error)
	SetDesktop(fn func() control.Desktop)
	WatchConfig(fn func(config.Config)) (stop func())
	DataDir() string
	Clock() clock.Clock
}

var _ core = (*app.App)(nil)

// noTrayNotice starts the notice shown while there is no tray.
const noTrayNotice = "No tray icon: "

// desktop is one run of the desktop face.
type desktop struct {
	a     core
	opt   Options
	log   *slog.Logger
	sess  *session
	guard *dnd.Guard // other apps' notifications

	ctx    context.Context
	cancel context.CancelFunc

	notes   *notes     // owned by the dispatch goroutine
	queue   *noteQueue // notifications waiting to be shown
	dirty   chan struct{}
	actions chan action // menu clicks

	trayStart chan struct{} // closed when the tray should be shown
	trayOnce  sync.Once
	trayMu    sync.Mutex
	trayRun   bool // runTray was entered
	quitting  bool
}

// Run runs Sluice with its desktop face until ctx is done or the user
// quits from the tray, then shuts down in order: notifications stop, the
// tray icon is removed, open windows are closed, and the app closes its
// connectors and store. It must be called on the main goroutine (macOS
// draws the menu bar there) and at most once per process.
func Run(ctx context.Context, a *app.App, opt Options) error {
	return run(ctx, a, opt)
}

func run(parent context.Context, a core, opt Options) error {
	d := newDesktop(a, opt)
	sess, sessErr := openSession(d.log)
	d.sess = sess

	// Subscribe before the gate runs, so a check-in it fires late at
	// start-up (missed while Sluice was not running) is announced.
	events, unsubscribe := a.Gate().Subscribe(256)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	d.ctx, d.cancel = ctx, cancel
	stopGuard := d.startGuard(ctx)
	appDone := make(chan error, 1)
	go func() {
		err := a.Run(ctx)
		appDone <- err
		cancel()
	}()
	a.SetTray("starting")

	var bg sync.WaitGroup
	notifierDone := make(chan struct{})
	go func() { defer close(notifierDone); d.notifier() }()
	bg.Go(func() { d.dispatch(events) })
	bg.Go(d.handleClicks)
	bg.Go(func() { watchSleep(ctx, "", d.log, a.Wake) })
	bg.Go(func() { d.decideTray(sessErr) })

	shutdown := make(chan struct{})
	go func() {
		defer close(shutdown)
		<-ctx.Done()
		unsubscribe()
		// Notifications share the session bus connection that the tray
		// closes when it quits: stop them first.
		<-notifierDone
		d.shutdown(stopGuard)
	}()
	d.trayUntilQuit()
	<-shutdown
	bg.Wait()
	sess.close()
	err := <-appDone
	d.log.Info("desktop stopped")
	return err
}

// newDesktop prepares a run of the desktop face; nothing runs yet.
func newDesktop(a core, opt Options) *desktop {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.TrayWait <= 0 {
		opt.TrayWait = DefaultTrayWait
	}
	if opt.Now == nil {
		opt.Now = a.Clock().Now
	}
	d := &desktop{
		a: a, opt: opt, log: opt.Logger.With("component", "desktop"),
		notes: newNotes(), queue: newNoteQueue(), dirty: make(chan struct{}, 1),
		actions: make(chan action, 8), trayStart: make(chan struct{}),
	}
	if opt.Windows != nil {
		opt.Windows.SetLogger(opt.Logger)
		opt.Windows.setOnExit(func(string) { d.markDirty() })
		a.SetOpenWindow(opt.Windows.Open)
	}
	return d
}

// startGuard starts holding other apps' notifications: they wait for the
// check-in too. The guard starts before the gate runs, so that what a
// crashed run left silenced is undone (or kept, inside a focus block)
// before anything else happens. stop stops following the config and the
// notification server.
func (d *desktop) startGuard(ctx context.Context) (stop func()) {
	a := d.a
	d.guard = dnd.NewGuard(dnd.Options{
		Detect: d.sess.dndDetect(), Watcher: d.sess.dndWatcher(), Sink: a.Gate(),
		DataDir: a.DataDir(), Clock: a.Clock(), Logger: d.opt.Logger,
		Settings: dndSettings(a.Config().Desktop), OnChange: d.markDirty,
	})
	d.guard.Start(ctx, d.dndMode(a.Gate().Status()))
	a.SetDesktop(d.desktopStatus)
	stopWatch := a.WatchConfig(func(c config.Config) { d.guard.Configure(dndSettings(c.Desktop)) })
	stopServerWatch := d.sess.watchServer(func() { go d.guard.Redetect() })
	return func() {
		stopServerWatch()
		stopWatch()
	}
}

// shutdown leaves the desktop as Sluice found it once the run ends: other
// apps' notifications are lifted while the session bus is still there
// (never leave the desktop silenced), then the tray icon goes and the
// windows close.
func (d *desktop) shutdown(stopGuard func()) {
	stopGuard()
	d.guard.Close(context.Background())
	d.trayMu.Lock()
	d.quitting = true
	started := d.trayRun
	d.trayMu.Unlock()
	if started {
		d.quitTray()
	}
	if d.opt.Windows != nil {
		d.opt.Windows.Close(3 * time.Second)
	}
}

// trayUntilQuit shows the tray once decideTray says so and runs it until
// the desktop quits; it returns at once if the run ends first.
func (d *desktop) trayUntilQuit() {
	select {
	case <-d.trayStart:
		d.trayMu.Lock()
		start := !d.quitting
		d.trayRun = start
		d.trayMu.Unlock()
		if start {
			d.runTray() // until quitTray
		}
	case <-d.ctx.Done():
	}
}

// decideTray shows the tray if a host for it exists, or appears within
// TrayWait; otherwise it falls back to running without one, and still
// shows the tray if a host turns up later.
func (d *desktop) decideTray(sessErr error) {
	if sessErr != nil {
		d.noTray(sessErr.Error())
		return
	}
	if !trayAvailable {
		d.noTray("this build of Sluice has no tray support")
		return
	}
	appeared := make(chan struct{}, 1)
	stop := d.sess.watchTrayHost(func(present bool) {
		if present {
			select {
			case appeared <- struct{}{}:
			default:
			}
		}
	})
	defer stop()
	if d.sess.trayHost() {
		d.showTray()
		return
	}
	d.log.Info("no tray host yet; waiting for one", "for", d.opt.TrayWait)
	wait := time.NewTimer(d.opt.TrayWait)
	defer wait.Stop()
	select {
	case <-appeared:
		d.showTray()
		return
	case <-d.ctx.Done():
		return
	case <-wait.C:
	}
	d.noTray("no system tray on this desktop (nothing provides org.kde.StatusNotifierWatcher; on GNOME, enable the AppIndicator extension)")
	select {
	case <-appeared:
		d.log.Info("a tray host appeared; showing the tray icon")
		d.showTray()
	case <-d.ctx.Done():
	}
}

func (d *desktop) showTray() { d.trayOnce.Do(func() { close(d.trayStart) }) }

// noTray is the fallback: keep running, say so once (a notification, the
// log, `sluice status`), and open the digest, which is what launching
// Sluice from the desktop would otherwise show in the tray.
func (d *desktop) noTray(reason string) {
	d.log.Warn("running without a tray icon", "reason", reason)
	d.a.SetTray("unavailable: " + reason)
	d.a.Notice(noTrayNotice + reason + ". Sluice keeps running; launch it again, or run `sluice ui digest`, to open the digest.")
	if d.sess.canNotify() {
		d.enqueue(Note{Kind: NoteNoTray, Title: "Sluice is running without a tray icon",
			Body: reason + ". Launch Sluice again to open the digest."})
	}
	if !hasDisplay() {
		d.log.Info("no display; not opening the digest")
		return
	}
	if err := d.a.OpenWindow("digest"); err != nil {
		d.log.Warn("cannot open the digest", "err", err)
	}
}

// focusGrace is how long the desktop stays open after Sluice announced a
// focus block, so its own "Focus until …" notification is seen (and gone)
// before the desktop goes quiet: dunst and mako would take it off the
// screen and show it again at the check-in.
const focusGrace = noteTimeout + 2*time.Second

// dispatch turns gate events into notifications, the desktop's
// do-not-disturb and tray redraws. Order matters: at a check-in the
// desktop is opened first, so Sluice's one summary is seen with what other
// apps sent meanwhile.
func (d *desktop) dispatch(events <-chan gate.Event) {
	for e := range events {
		zone := d.a.Gate().Settings().Plan.Zone
		if zone == nil {
			zone = time.Local
		}
		n, notify := d.notes.For(e, d.a.Notifications(), zone)
		notify = notify && d.sess.canNotify()
		if notify && n.Kind == NoteFocusStart {
			// Announce the block, then let the desktop go quiet.
			d.guard.DeferQuiet(focusGrace)
			d.enqueue(n)
			notify = false
		}
		switch {
		case e.Kind == gate.EventCheckin && e.Checkin != nil:
			d.guard.Checkin(e.Checkin.At, d.windowOf(*e.Checkin))
		case e.Kind == gate.EventMode:
			d.guard.Mode(d.dndMode(e.Status))
		}
		if notify {
			// After the desktop opened: the check-in summary, "Focus
			// ended" and the rest are seen.
			d.enqueue(n)
		}
		d.markDirty()
	}
}

// windowOf is how long a check-in's window lasts: the scheduled check-in's
// own, or the default for "Check in now".
func (d *desktop) windowOf(c gate.Checkin) time.Duration {
	if !c.Manual && !c.Scheduled.IsZero() {
		if _, ck, ok := d.a.Gate().Settings().Plan.NextCheckin(c.Scheduled.Add(-time.Nanosecond)); ok && ck.Window.Duration > 0 {
			return ck.Window.Duration
		}
	}
	return schedule.DefaultWindow
}

// dndMode is the part of the gate's status the guard follows.
func (d *desktop) dndMode(st gate.Status) dnd.Mode {
	zone, err := time.LoadLocation(st.Zone)
	if err != nil || st.Zone == "" {
		zone = time.Local
	}
	return dnd.Mode{Mode: st.Mode, Until: st.Until, NextCheckin: st.NextCheckin, Zone: zone}
}

func dndSettings(c config.Desktop) dnd.Settings {
	return dnd.Settings{Hold: c.HoldOtherApps, Capture: c.Capture, CaptureApps: c.CaptureApps,
		ShortcutOn: c.ShortcutOn, ShortcutOff: c.ShortcutOff}
}

// desktopStatus is what `sluice status` and the settings show about the
// rest of the desktop.
func (d *desktop) desktopStatus() control.Desktop {
	st := d.guard.Status()
	out := control.Desktop{
		Backend: st.Backend, Server: st.Server, Hold: st.Hold, State: st.State, Until: st.Until,
		Summary: st.Summary, Waiting: st.Waiting, Urgent: st.Urgent, Advice: st.Advice, Problem: st.Problem,
		CanCapture: st.CanCapture, Capturing: st.Capturing,
	}
	for _, a := range st.Apps {
		out.Apps = append(out.Apps, control.DesktopApp{Name: a.Name, LastSeen: a.LastSeen, Count: a.Count, Captured: a.Captured})
	}
	return out
}

// enqueue queues a notification; an urgent one is never dropped, other
// kinds are coalesced in a burst.
func (d *desktop) enqueue(n Note) {
	if gone, ok := d.queue.push(n); ok {
		d.log.Warn("notification dropped: too many waiting", "kind", gone.Kind, "for", n.Kind)
	}
}

// notifier shows queued notifications one at a time until the desktop
// stops.
func (d *desktop) notifier() {
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-d.queue.ready:
			n, ok := d.queue.pop()
			if !ok {
				continue
			}
			// An urgent item must be seen: where the server would hide
			// it during do-not-disturb, the desktop opens while it is
			// on screen.
			var release func()
			if n.Kind == NoteUrgent {
				release = d.guard.LiftForUrgent()
			}
			id, err := d.sess.send(n)
			if err != nil {
				d.log.Warn("notification not shown", "kind", n.Kind, "err", err)
			} else {
				d.log.Debug("notification shown", "kind", n.Kind)
			}
			if release != nil {
				if err != nil {
					release()
				} else {
					d.sess.whenClosed(d.ctx, id, release)
				}
			}
		}
	}
}

// markDirty asks the tray to redraw; many marks before a redraw are one.
func (d *desktop) markDirty() {
	select {
	case d.dirty <- struct{}{}:
	default:
	}
}

// click queues a menu action; clicks beyond a few pending are dropped
// rather than blocking the tray.
func (d *desktop) click(a action) {
	select {
	case d.actions <- a:
	default:
		d.log.Warn("menu click dropped", "action", a)
	}
}

func (d *desktop) handleClicks() {
	for {
		select {
		case <-d.ctx.Done():
			return
		case a := <-d.actions:
			if err := d.do(a); err != nil {
				d.log.Warn("menu action failed", "action", a, "err", err)
			}
			d.markDirty()
		}
	}
}

// do carries out a menu action through the same commands the CLI uses.
func (d *desktop) do(a action) error {
	d.log.Info("menu", "action", a)
	var err error
	switch a {
	case actCheckin:
		_, err = d.a.Checkin()
	case actFocus25:
		_, err = d.a.Focus(25 * time.Minute)
	case actFocus50:
		_, err = d.a.Focus(50 * time.Minute)
	case actFocus90:
		_, err = d.a.Focus(90 * time.Minute)
	case actFocusNext:
		_, err = d.a.FocusNext()
	case actEndFocus:
		_, err = d.a.EndFocus()
	case actPause:
		_, err = d.a.Pause(time.Hour)
	case actResume:
		_, err = d.a.Resume()
	case actDigest:
		err = d.a.OpenWindow("digest")
	case actSettings:
		err = d.a.OpenWindow("settings")
	case actQuit:
		d.cancel()
	default:
		if name, ok := strings.CutPrefix(string(a), signInPrefix); ok {
			return d.signIn(name)
		}
		err = errors.New("unknown action")
	}
	return err
}

// signIn starts an account's sign-in in the browser (the tray's "Sign in
// to …"). When no browser opens, `sluice status` says how to go on.
func (d *desktop) signIn(account string) error {
	st, err := d.a.AccountLogin(account, control.LoginRequest{OpenBrowser: true})
	if err != nil {
		return err
	}
	if err := st.Err(); err != nil {
		d.a.Notice("Sign-in of " + account + " failed: " + err.Error())
		return err
	}
	if st.OpenError != "" {
		d.a.Notice("No browser opened to sign in " + account + " (" + st.OpenError + "): run `sluice account login " + account + "`.")
	}
	return nil
}

// snapshot is the state the tray draws.
func (d *desktop) snapshot() snapshot {
	s := snapshot{Status: d.a.Gate().Status(), Now: d.opt.Now(), NoUI: "Sluice's windows are not available here"}
	switch d.guard.Status().State {
	case "quiet", "yours", "lifted", "open":
		s.HoldsOthers = true
	}
	if d.opt.Windows != nil {
		s.Windows, s.NoUI = d.opt.Windows.Available()
	}
	return s
}

func (d *desktop) now() time.Time { return d.opt.Now() }

func (d *desktop) zone() *time.Location {
	if z := d.a.Gate().Settings().Plan.Zone; z != nil {
		return z
	}
	return time.Local
}

// Main runs a built App with the desktop face until ctx ends (SIGINT,
// SIGTERM) or the user quits: the tray, notifications, and the windows of
// the App's config and data directory, with the first-run window when
// this user has never set Sluice up. cmd/sluice gives it to the command
// line as the face of `sluice` with no command.
func Main(ctx context.Context, a *app.App, log *slog.Logger) error {
	l := NewLauncher(a.ConfigPath(), a.DataDir(), "")
	if firstRun(a.ConfigPath()) {
		go welcome(ctx, a.DataDir(), l, log)
	}
	return Run(ctx, a, Options{Logger: log, Windows: l})
}

// firstRun reports whether this user has never set Sluice up: no config
// file yet, and a display to show the first-run window on.
func firstRun(configPath string) bool {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		return false
	}
	_, err := os.Stat(configPath)
	return errors.Is(err, fs.ErrNotExist)
}

// welcome opens the first-run window once the control API answers. The
// window writes the config, so it shows only until the user is set up.
func welcome(ctx context.Context, dataDir string, l *Launcher, log *slog.Logger) {
	for range 50 {
		if control.Running(dataDir, 200*time.Millisecond) {
			if err := l.Open("welcome"); err != nil && log != nil {
				log.Warn("first-run window not opened", "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
