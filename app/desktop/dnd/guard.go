package dnd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Account is the account of items recorded from other apps' notifications.
const Account = "Desktop"

// opTimeout bounds one change of the desktop (a D-Bus call, gsettings, a
// macOS Shortcut).
const opTimeout = 10 * time.Second

// retryLift is how soon a failed lift is tried again.
const retryLift = 30 * time.Second

// Options build a Guard.
type Options struct {
	// Detect finds the desktop's backend; it is called at Start and again
	// when the notification server changes (Redetect).
	Detect func(ctx context.Context, s Settings) (Backend, error)
	// Watcher sees other apps' notifications (nil: no capture here).
	Watcher Watcher
	// Sink receives captured notifications as items (the gate).
	Sink model.Sink
	// DataDir holds the state file.
	DataDir string
	Clock   clock.Clock
	Logger  *slog.Logger
	// Settings are the [desktop] settings at start.
	Settings Settings
	// OnChange is called after the Guard's state changed (the tray and
	// status redraw); it must not call back into the Guard synchronously.
	OnChange func()
}

// Guard puts the desktop into do-not-disturb while the gate holds (as the
// settings say) and takes it out again, remembering what it changed. Its
// methods are safe for concurrent use; every change of the desktop is
// made by one caller at a time, in the order the calls come.
type Guard struct {
	o    Options
	log  *slog.Logger
	clk  clock.Clock
	path string

	op sync.Mutex // held while the desktop is being changed (I/O)

	mu         sync.Mutex // the fields below; never held during I/O
	b          Backend
	detectErr  error
	set        Settings
	mode       Mode
	liftUntil  time.Time // lifted for a check-in window until then
	quietAt    time.Time // not quiet before then, on the machine's clock (Sluice's own focus note is on screen)
	urgentOpen int       // urgent notifications on screen that need the desktop open
	applied    bool      // the desktop counts as held (Sluice's do-not-disturb or the user's)
	mine       bool      // Sluice switched it on and must switch it off
	retryAt    time.Time // a failed lift is tried again then
	problem    string
	rec        *change // what Sluice switched on, as recorded on disk
	apps       map[string]appSeen
	capCancel  context.CancelFunc
	capturing  bool          // the watcher sees every notification
	nextAt     time.Time     // the next due time on the gate's clock
	graceLeft  time.Duration // real time until quietAt, when it matters
	started    bool
	closed     bool

	rearm chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// NewGuard builds a Guard; nothing changes on the desktop until Start.
func NewGuard(o Options) *Guard {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	return &Guard{
		o: o, log: o.Logger.With("component", "desktop-dnd"), clk: o.Clock,
		path: filepath.Join(o.DataDir, StateFile), set: o.Settings, apps: map[string]appSeen{},
		rearm: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// Start finds the desktop's backend, undoes what an earlier run left
// silenced (it crashed, or was killed) unless the gate still holds in m,
// and brings the desktop in line with m.
func (g *Guard) Start(ctx context.Context, m Mode) {
	g.op.Lock()
	g.mu.Lock()
	g.mode = m
	set := g.set
	g.mu.Unlock()

	b, derr := g.detect(ctx, set)
	st, err := loadState(g.path)
	if err != nil {
		g.log.Warn("desktop state unreadable; starting afresh", "err", err)
	}
	g.mu.Lock()
	g.b, g.detectErr = b, derr
	if st.Apps != nil {
		g.apps = st.Apps
	}
	g.started = true
	g.mu.Unlock()
	if st.Changed != nil {
		g.recover(ctx, b, *st.Changed)
	}
	g.op.Unlock()
	go g.loop()
	g.reconcile(ctx)
}

// recover deals with a do-not-disturb that an earlier run switched on
// and never switched off: it keeps it when the gate still holds now,
// else turns it off.
func (g *Guard) recover(ctx context.Context, b Backend, c change) {
	g.mu.Lock()
	keep := b != nil && b.Name() == c.Backend && g.spanLocked()
	g.mu.Unlock()
	if b == nil || b.Name() != c.Backend {
		g.log.Warn("an earlier run left do-not-disturb on a desktop that is not running now; cannot undo it",
			"backend", c.Backend, "since", c.Since)
		g.forget()
		return
	}
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	on := true
	if b.Traits().CanRead {
		var err error
		if on, err = b.Quiet(octx); err != nil {
			g.fail("read do-not-disturb", err)
			return
		}
	}
	switch {
	case !on:
		g.log.Info("do-not-disturb from an earlier run is already off")
		g.forget()
	case keep:
		g.log.Info("the gate still holds: keeping the do-not-disturb an earlier run switched on", "backend", c.Backend)
		g.mu.Lock()
		g.applied, g.mine, g.rec = true, true, &c
		g.mu.Unlock()
	default:
		if err := b.SetQuiet(octx, false); err != nil {
			g.fail("undo the do-not-disturb an earlier run left on", err)
			return
		}
		g.log.Info("undid the do-not-disturb an earlier run left on", "backend", c.Backend, "since", c.Since)
		g.forget()
	}
}

func (g *Guard) detect(ctx context.Context, set Settings) (Backend, error) {
	if g.o.Detect == nil {
		return nil, ErrNoServer
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, err := g.o.Detect(ctx, set)
	if err != nil {
		g.log.Info("no desktop do-not-disturb to drive", "err", err)
		return nil, err
	}
	g.log.Info("desktop do-not-disturb", "backend", b.Name(), "server", b.Server(), "can_set", b.Traits().CanSet)
	return b, nil
}

// Mode tells the Guard the gate's new mode and brings the desktop in line.
// A holding span that begins (a new focus block) ends a check-in's lift:
// the check-in window only keeps the desktop open in a block that goes on.
func (g *Guard) Mode(m Mode) {
	g.mu.Lock()
	if wants(g.set.Hold, m.Mode) && !wants(g.set.Hold, g.mode.Mode) {
		g.liftUntil = time.Time{}
	}
	g.mode = m
	g.mu.Unlock()
	g.reconcile(context.Background())
}

// Checkin opens the desktop for a check-in at at: what other apps sent
// meanwhile appears now, and the desktop stays open for window (so a
// check-in during a focus block shows other apps for its window too).
// It returns once the desktop is open, so a notification sent next is
// seen.
func (g *Guard) Checkin(at time.Time, window time.Duration) {
	g.mu.Lock()
	if until := at.Add(window); until.After(g.liftUntil) {
		g.liftUntil = until
	}
	g.mu.Unlock()
	g.reconcile(context.Background())
}

// DeferQuiet keeps the desktop open for d more, so that Sluice's own
// "Focus until …" notification is seen before the desktop goes quiet.
// d is real time on the screen, not schedule time: it is measured on the
// machine's clock whatever clock the gate runs on.
func (g *Guard) DeferQuiet(d time.Duration) {
	g.mu.Lock()
	if t := time.Now().Add(d); t.After(g.quietAt) {
		g.quietAt = t
	}
	g.mu.Unlock()
}

// LiftForUrgent opens the desktop for an urgent notification where the
// server would not show it while quiet. It returns a function to call
// once the notification is off the screen (nil when nothing was lifted:
// the server shows critical notifications anyway, or the desktop is not
// held by Sluice). A do-not-disturb the user set is never lifted.
func (g *Guard) LiftForUrgent() (release func()) {
	g.mu.Lock()
	if !g.applied || !g.mine || g.b == nil || g.b.Traits().CriticalShown {
		g.mu.Unlock()
		return nil
	}
	g.urgentOpen++
	g.mu.Unlock()
	g.reconcile(context.Background())
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.urgentOpen--
			g.mu.Unlock()
			g.reconcile(context.Background())
		})
	}
}

// Configure applies new [desktop] settings: turning the hold off lifts a
// do-not-disturb Sluice set at once.
func (g *Guard) Configure(s Settings) {
	g.mu.Lock()
	old := g.set
	g.set = s
	g.mu.Unlock()
	if old.ShortcutOn != s.ShortcutOn || old.ShortcutOff != s.ShortcutOff {
		g.Redetect()
		return
	}
	g.reconcile(context.Background())
}

// Redetect finds the backend again: the notification server changed (it
// was restarted, or another one took over), so what Sluice set on the
// old one is gone with it.
func (g *Guard) Redetect() {
	ctx := context.Background()
	g.op.Lock()
	g.mu.Lock()
	set := g.set
	g.mu.Unlock()
	b, err := g.detect(ctx, set)
	g.mu.Lock()
	old := g.b
	g.b, g.detectErr = b, err
	if old != nil && g.mine {
		g.log.Info("the notification server changed; what Sluice set on the old one went with it", "old", old.Server())
	}
	g.applied, g.mine = false, false
	g.mu.Unlock()
	g.forget()
	g.op.Unlock()
	g.reconcile(ctx)
}

// Close stops capturing and lifts a do-not-disturb Sluice set: quitting
// never leaves the desktop silenced.
func (g *Guard) Close(ctx context.Context) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true // from now on reconcile changes nothing
	started := g.started
	g.stopCaptureLocked()
	g.mu.Unlock()
	if started {
		// Stop the timer loop before taking op: a reconcile it runs
		// takes op too.
		close(g.stop)
		<-g.done
	}
	g.op.Lock() // wait for a change in progress
	defer g.op.Unlock()
	g.mu.Lock()
	b, mine := g.b, g.mine
	st := g.stateLocked()
	g.mu.Unlock()
	if started {
		if err := st.save(g.path); err != nil { // the apps' counts
			g.log.Warn("desktop state not saved", "err", err)
		}
	}
	if b != nil && mine {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		if err := b.SetQuiet(octx, false); err != nil {
			// The record stays: the next start undoes it.
			g.log.Error("could not lift do-not-disturb on quit; the next start will", "backend", b.Name(), "err", err)
			return
		}
		g.log.Info("lifted do-not-disturb on quit", "backend", b.Name())
		g.mu.Lock()
		g.applied, g.mine = false, false
		g.mu.Unlock()
		g.forget()
	}
}

// spanLocked reports whether the gate's mode asks for other apps to be
// held, ignoring check-in and urgent lifts.
func (g *Guard) spanLocked() bool {
	return g.b != nil && g.b.Traits().CanSet && wants(g.set.Hold, g.mode.Mode)
}

// reconcile brings the desktop in line with what the Guard wants now.
func (g *Guard) reconcile(ctx context.Context) {
	g.op.Lock()
	defer g.op.Unlock()
	g.mu.Lock()
	if g.closed || !g.started {
		g.mu.Unlock()
		return
	}
	now := g.clk.Now()
	b := g.b
	span := g.spanLocked()
	grace := time.Until(g.quietAt)
	want := span && !now.Before(g.liftUntil) && grace <= 0 && g.urgentOpen == 0
	applied, mine := g.applied, g.mine
	g.mu.Unlock()

	switch {
	case want && !applied:
		g.quiet(ctx, b)
	case !want && applied:
		g.lift(ctx, b, mine)
	}

	g.mu.Lock()
	g.updateCaptureLocked(want && g.applied)
	next := time.Time{}
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if span {
		consider(g.liftUntil)
	}
	if g.applied && !want {
		consider(g.retryAt)
	}
	g.nextAt = next
	g.graceLeft = 0
	if span && grace > 0 {
		g.graceLeft = grace
	}
	g.mu.Unlock()
	select {
	case g.rearm <- struct{}{}:
	default:
	}
	g.changed()
}

// quiet turns do-not-disturb on, unless it is on already: then it is the
// user's, and Sluice leaves it exactly as it is.
func (g *Guard) quiet(ctx context.Context, b Backend) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	tr := b.Traits()
	if tr.CanRead {
		on, err := b.Quiet(ctx)
		if err != nil {
			g.fail("read do-not-disturb", err)
			return
		}
		if on {
			g.log.Info("do-not-disturb is on already (yours): Sluice leaves it", "backend", b.Name())
			g.mu.Lock()
			g.applied, g.mine, g.problem = true, false, ""
			g.mu.Unlock()
			return
		}
	}
	if !tr.EndsWithConnection {
		// Record first: a crash right after switching must find it.
		if err := g.record(b); err != nil {
			g.fail("record the desktop's state (do-not-disturb left off)", err)
			return
		}
	}
	if err := b.SetQuiet(ctx, true); err != nil {
		g.forget()
		g.fail("turn on do-not-disturb", err)
		return
	}
	g.log.Info("do-not-disturb on: other apps wait for the check-in", "backend", b.Name())
	g.mu.Lock()
	g.applied, g.mine, g.problem = true, true, ""
	g.mu.Unlock()
}

// lift turns Sluice's do-not-disturb off (the user's stays).
func (g *Guard) lift(ctx context.Context, b Backend, mine bool) {
	if mine && b != nil {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		err := b.SetQuiet(octx, false)
		cancel()
		if err != nil {
			g.mu.Lock()
			g.retryAt = g.clk.Now().Add(retryLift)
			g.mu.Unlock()
			g.fail("turn off do-not-disturb (trying again shortly)", err)
			return
		}
		g.log.Info("do-not-disturb off", "backend", b.Name())
		g.forget()
		if d := b.Traits().Settle; d > 0 {
			// The server notices the change asynchronously; a
			// notification sent before it does would be hidden.
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
	g.mu.Lock()
	g.applied, g.mine, g.retryAt, g.problem = false, false, time.Time{}, ""
	g.mu.Unlock()
}

func (g *Guard) fail(what string, err error) {
	g.log.Warn("desktop do-not-disturb: "+what, "err", err)
	g.mu.Lock()
	g.problem = what + ": " + err.Error()
	g.mu.Unlock()
}

// record writes down that Sluice switches do-not-disturb on.
func (g *Guard) record(b Backend) error {
	g.mu.Lock()
	g.rec = &change{Backend: b.Name(), Server: b.Server(), Since: g.clk.Now()}
	st := g.stateLocked()
	g.mu.Unlock()
	return st.save(g.path)
}

// forget removes the record of a change (it was undone).
func (g *Guard) forget() {
	g.mu.Lock()
	g.rec = nil
	st := g.stateLocked()
	g.mu.Unlock()
	if err := st.save(g.path); err != nil {
		g.log.Warn("desktop state not saved", "err", err)
	}
}

func (g *Guard) stateLocked() state {
	st := state{Changed: g.rec}
	if len(g.apps) > 0 {
		st.Apps = make(map[string]appSeen, len(g.apps))
		for k, v := range g.apps {
			st.Apps[k] = v
		}
	}
	return st
}

func (g *Guard) changed() {
	if g.o.OnChange != nil {
		g.o.OnChange()
	}
}

// loop wakes the Guard when a check-in window or a delay runs out. It
// holds a timer only while one is due: an idle Guard causes no wakeups.
func (g *Guard) loop() {
	defer close(g.done)
	for {
		g.mu.Lock()
		next, grace := g.nextAt, g.graceLeft
		g.mu.Unlock()
		var t clock.Timer
		var fire, graceUp <-chan time.Time
		if !next.IsZero() {
			t = g.clk.NewTimer(next.Sub(g.clk.Now())) // at once when due already
			fire = t.C()
			if !g.clk.Now().Before(next) {
				// The clock moved while the timer was made (a fake
				// clock jumps): it may now fire late.
				t.Stop()
				g.reconcile(context.Background())
				continue
			}
		}
		var gt *time.Timer
		if grace > 0 {
			gt = time.NewTimer(grace)
			graceUp = gt.C
		}
		stop := func() {
			if t != nil {
				t.Stop()
			}
			if gt != nil {
				gt.Stop()
			}
		}
		select {
		case <-g.stop:
			stop()
			return
		case <-g.rearm:
			stop()
		case <-fire:
			stop()
			g.reconcile(context.Background())
		case <-graceUp:
			stop()
			g.reconcile(context.Background())
		}
	}
}

// ---- capture ----

func (g *Guard) updateCaptureLocked(holding bool) {
	on := holding && g.set.Capture && g.o.Watcher != nil && g.o.Sink != nil && !g.closed
	switch {
	case on && g.capCancel == nil:
		ctx, cancel := context.WithCancel(context.Background())
		g.capCancel = cancel
		ready := func() {
			g.mu.Lock()
			if ctx.Err() == nil {
				g.capturing = true
			}
			g.mu.Unlock()
			g.changed()
		}
		go func() {
			err := g.o.Watcher.Watch(ctx, ready, func(n Notification) { g.captured(ctx, n) })
			g.mu.Lock()
			if g.capCancel != nil && ctx.Err() == nil {
				g.capturing = false
			}
			g.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				g.fail("watch other apps' notifications", err)
				g.changed()
			}
		}()
		g.log.Info("watching other apps' notifications while holding")
	case !on && g.capCancel != nil:
		g.stopCaptureLocked()
	}
}

func (g *Guard) stopCaptureLocked() {
	if g.capCancel != nil {
		g.capCancel()
		g.capCancel, g.capturing = nil, false
		g.log.Info("stopped watching other apps' notifications")
	}
}

// captured records that an app sent a notification while Sluice held it
// and, when the user chose that app, hands it to the gate as an item.
func (g *Guard) captured(ctx context.Context, n Notification) {
	app := strings.TrimSpace(n.App)
	if app == "" {
		app = "Unknown app"
	}
	now := g.clk.Now()
	g.mu.Lock()
	seen, known := g.apps[app]
	seen.Count++
	seen.LastSeen = now
	g.apps[app] = seen
	take := captures(g.set, app)
	st := g.stateLocked()
	g.mu.Unlock()
	if !known {
		// A new app for the settings' list; counts are saved with the
		// next change and on quit, not with every notification.
		if err := st.save(g.path); err != nil {
			g.log.Warn("desktop state not saved", "err", err)
		}
	}
	g.changed()
	if !take {
		g.log.Debug("notification of an app not chosen for capture", "app", app)
		return
	}
	it := model.Item{
		Kind: model.KindDesktop, Account: Account,
		SourceID: fmt.Sprintf("%s/%d/%d", n.Sender, n.Serial, now.UnixNano()),
		Channel:  app, Thread: app + ": " + n.Summary,
		// Chat apps put the sender in the summary: as the sender it lets
		// a VIP rule match it.
		FromName: oneLine(n.Summary), Subject: oneLine(n.Summary), Snippet: n.Body,
		Received: now,
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := g.o.Sink.Ingest(ictx, model.Batch{Account: Account, Items: []model.Item{it}}); err != nil {
		if !errors.Is(err, context.Canceled) {
			g.log.Error("captured notification not stored", "app", app, "err", err)
		}
		return
	}
	g.log.Debug("captured a notification", "app", app)
}

func captures(s Settings, app string) bool {
	if !s.Capture {
		return false
	}
	for _, a := range s.CaptureApps {
		if strings.EqualFold(strings.TrimSpace(a), app) {
			return true
		}
	}
	return false
}

func strconvQuote(s string) string { return "“" + s + "”" }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ---- status ----

// Status is the Guard's state for `sluice status` and the settings.
type Status struct {
	Backend    string
	Server     string
	Hold       string
	State      string // quiet, yours, lifted, open, off, unsupported
	Until      time.Time
	Summary    string
	Waiting    string
	Urgent     string
	Advice     string
	Problem    string
	CanCapture bool
	Capturing  bool
	Apps       []App
}

// App is one app seen sending notifications while Sluice held.
type App struct {
	Name     string
	LastSeen time.Time
	Count    int
	Captured bool
}

// Status reports what the Guard does now, in words for the user.
func (g *Guard) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	s := Status{Hold: g.set.Hold, Problem: g.problem, CanCapture: g.o.Watcher != nil, Capturing: g.capturing}
	s.Apps = g.appsLocked()
	b := g.b
	if b == nil {
		s.State = "unsupported"
		if errors.Is(g.detectErr, ErrNoServer) || g.detectErr == nil {
			s.Summary = "no notification server found; other apps are not held"
		} else {
			s.Summary = "other apps are not held: " + g.detectErr.Error()
		}
		return s
	}
	tr := b.Traits()
	s.Backend, s.Server, s.Waiting, s.Urgent, s.Advice = b.Name(), b.Server(), tr.Waiting, tr.Urgent, tr.Advice
	name := serverName(b)
	span := g.describeLocked(&s, name, tr, now)
	if s.Problem != "" && s.State == "open" && span {
		s.Summary = name + ": Sluice could not hold other apps"
	}
	return s
}

// appsLocked lists the apps seen sending notifications and those named
// to be captured, by name.
func (g *Guard) appsLocked() []App {
	var apps []App
	for name, a := range g.apps {
		apps = append(apps, App{Name: name, LastSeen: a.LastSeen, Count: a.Count, Captured: captures(g.set, name)})
	}
	for _, name := range g.set.CaptureApps {
		if _, ok := g.apps[strings.TrimSpace(name)]; !ok && strings.TrimSpace(name) != "" {
			apps = append(apps, App{Name: strings.TrimSpace(name), Captured: g.set.Capture})
		}
	}
	sort.Slice(apps, func(i, j int) bool { return strings.ToLower(apps[i].Name) < strings.ToLower(apps[j].Name) })
	return apps
}

// serverName names the notification server for people: "dunst 1.9.0",
// "KDE Plasma (Plasma 5.27.5)".
func serverName(b Backend) string {
	name := b.Name()
	switch srv := b.Server(); {
	case srv == "":
	case name == "unknown":
		name = "notification server " + strconvQuote(srv)
	case len(srv) > len(name)+1 && strings.EqualFold(srv[:len(name)+1], name+" ") && srv[len(name)+1] >= '0' && srv[len(name)+1] <= '9':
		name = srv // "dunst 1.9.0"
	default:
		name += " (" + srv + ")" // "KDE Plasma (Plasma 5.27.5)"
	}
	return name
}

// describeLocked sets the state and the summary of s, and reports
// whether Sluice should hold other apps now.
func (g *Guard) describeLocked(s *Status, name string, tr Traits, now time.Time) (span bool) {
	zone := g.mode.Zone
	if zone == nil {
		zone = time.Local
	}
	when := func(t time.Time) string { return model.When(t, now, zone) }
	span = g.spanLocked()
	switch {
	case !tr.CanSet:
		s.State = "unsupported"
		s.Summary = name + ": " + tr.Word
	case g.set.Hold == "off":
		s.State = "off"
		s.Summary = name + ": other apps are not held (hold_other_apps = \"off\")"
	case g.applied && g.mine:
		s.State = "quiet"
		s.Until = g.untilLocked()
		s.Summary = name + ", " + tr.Word + " by Sluice"
		if !s.Until.IsZero() {
			s.Summary += " until " + when(s.Until)
		}
	case g.applied:
		s.State = "yours"
		s.Summary = name + ", " + tr.Word + " by you; Sluice leaves it so"
	case span && g.urgentOpen > 0:
		s.State = "lifted"
		s.Summary = name + ", open while Sluice's urgent notification is on screen"
	case span && now.Before(g.liftUntil):
		s.State = "lifted"
		s.Until = g.liftUntil
		s.Summary = name + ", open for the check-in until " + when(g.liftUntil)
	case span && time.Now().Before(g.quietAt):
		s.State = "lifted"
		s.Summary = name + ", goes quiet in a moment"
	default:
		s.State = "open"
		what := "during focus blocks and meetings"
		if g.set.Hold == "holding" {
			what = "whenever Sluice holds"
		}
		s.Summary = name + ", not " + tr.Word + " now; Sluice holds other apps " + what
	}
	return span
}

// untilLocked is when Sluice will lift its do-not-disturb, as far as the
// schedule tells: the end of the focus block (or meeting) or the next
// check-in.
func (g *Guard) untilLocked() time.Time {
	m := g.mode
	var until time.Time
	if g.set.Hold == "focus" && (m.Mode == model.ModeFocus || m.Mode == model.ModeMeeting) {
		until = m.Until
	}
	if !m.NextCheckin.IsZero() && (until.IsZero() || m.NextCheckin.Before(until)) {
		until = m.NextCheckin
	}
	return until
}
