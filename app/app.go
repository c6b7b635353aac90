// Package app assembles a running Sluice: the store, the gate, the
// connectors, the control API, and whatever face the process shows (the
// headless daemon logs; the desktop adds the tray and notifications).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/local"
)

// Options say where Sluice's files are and how it runs.
type Options struct {
	ConfigPath string
	DataDir    string
	Version    string
	Logger     *slog.Logger
	Clock      clock.Clock // nil: the machine's clock
	// Config is the config at ConfigPath, loaded and compiled by the
	// caller (nil: New loads it).
	Config *config.Compiled
	// OpenURL opens a sign-in page in the browser (nil: oauth.OpenBrowser,
	// which honours $BROWSER).
	OpenURL func(url string) error
}

// ErrAlreadyRunning is returned by New when another Sluice holds the data
// directory.
var ErrAlreadyRunning = store.ErrLocked

// App is a running Sluice.
type App struct {
	opt   Options
	log   *slog.Logger
	clk   clock.Clock
	st    *store.Store
	gate  *gate.Gate
	ctl   *control.Server
	conns *supervisor
	pub   *publisher
	auto  *autoReplier
	token string

	tokens  tokenSources // OAuth2 access tokens, in memory only
	signins signIns      // OAuth2 sign-ins under way
	held    serverHold   // holding mail on the server

	mu       sync.Mutex
	cfg      config.Config
	tray     string
	notices  []string
	desktop  func() control.Desktop
	windows  func(name string) error // nil: headless
	watchers map[int]func(config.Config)
	nextW    int

	quit      chan struct{}
	quitOnce  sync.Once
	quitAsked atomic.Bool // Quit, not a signal, stops Sluice
}

// New loads and compiles the config (unless opt.Config brings it), opens
// the store (failing with ErrAlreadyRunning when another process has it)
// and builds the gate. Nothing runs until Run.
func New(opt Options) (*App, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Config == nil {
		cc, err := config.LoadCompiled(opt.ConfigPath)
		if err != nil {
			return nil, err
		}
		opt.Config = &cc
	}
	a := &App{opt: opt, log: opt.Logger, clk: opt.Clock, quit: make(chan struct{}), tray: "off"}
	cc := *opt.Config
	cfg := cc.Config
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := store.Open(paths.Store(opt.DataDir), store.Options{Timeout: time.Second, OnDamage: a.storeDamaged})
	if err != nil {
		return nil, err
	}
	for _, n := range st.Notices() {
		a.log.Warn(n, "component", "store")
		a.Notice(n)
	}
	g, err := gate.New(st, a.clk, settingsFrom(cc), a.log)
	if err != nil {
		st.Close()
		return nil, err
	}
	tok, err := localToken(opt.DataDir)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.cfg, a.st, a.gate, a.token = cfg, st, g, tok
	a.tokens = tokenSources{clk: a.clk, log: a.log}
	a.conns = newSupervisor(a)
	a.pub = newPublisher(a)
	a.auto = newAutoReplier(a)
	return a, nil
}

// storeDamaged is told, once, that the store found a damaged page or value
// while running. The store goes on reading what it can and refuses writes
// after a damaged page, so connectors keep their items on the server and
// retry; the user is told in the log and `sluice status` how to get out.
func (a *App) storeDamaged(err error) {
	a.log.Error("the store is damaged; quit Sluice and run `sluice store recover`", "component", "store", "err", err)
	a.Notice(StoreDamagedNotice + err.Error() + ". Quit Sluice and run `sluice store recover`: it keeps the damaged file " +
		"and copies every readable item into a fresh store.")
}

// StoreDamagedNotice starts the status notice of a store damaged while running.
const StoreDamagedNotice = "The store is damaged: "

// settingsFrom is what the gate runs on, from a config Compile accepted.
func settingsFrom(cc config.Compiled) gate.Settings {
	c := cc.Config
	var promise schedule.Promise // zero: the default
	if cc.Promise != nil {
		promise = *cc.Promise
	}
	return gate.Settings{
		Plan: *cc.Plan, Rules: cc.Rules, BudgetPerHour: c.Urgent.BudgetPerHour,
		OffHoursDeliver: c.Urgent.OffHours == "deliver", Retention: c.General.Retention.Duration,
		Promise: promise,
	}
}

// Gate is the running engine (for the desktop face to subscribe to).
func (a *App) Gate() *gate.Gate { return a.gate }

// Config returns the config in force.
func (a *App) Config() config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Clone() // a caller's edit must not reach the running config
}

// Notifications returns the notification settings in force: a plain
// value, so unlike Config it costs no copy (the desktop asks for every
// gate event).
func (a *App) Notifications() config.Notifications {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Notifications
}

// SetTray records how the tray is doing, for `sluice status`.
func (a *App) SetTray(state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tray = state
}

// Notice records something the user should know, shown by `sluice status`.
func (a *App) Notice(msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.notices {
		if n == msg {
			return
		}
	}
	a.notices = append(a.notices, msg)
}

// ClearNotices withdraws the notices that start with prefix (the tray
// appeared after all).
func (a *App) ClearNotices(prefix string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	keep := a.notices[:0]
	for _, n := range a.notices {
		if !strings.HasPrefix(n, prefix) {
			keep = append(keep, n)
		}
	}
	a.notices = keep
}

// SetDesktop installs what `sluice status` reports about the rest of the
// desktop (the desktop face's guard of other apps' notifications).
func (a *App) SetDesktop(fn func() control.Desktop) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.desktop = fn
}

// SetOpenWindow installs how the desktop face opens its windows; until
// then (and in the headless daemon) a request to open one is refused with
// a hint.
func (a *App) SetOpenWindow(fn func(name string) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.windows = fn
}

// WatchConfig calls fn with every config applied from now on (reload, or
// the settings window saving), until stop is called.
func (a *App) WatchConfig(fn func(config.Config)) (stop func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.watchers == nil {
		a.watchers = map[int]func(config.Config){}
	}
	id := a.nextW
	a.nextW++
	a.watchers[id] = fn
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.watchers, id)
	}
}

// DataDir is the data directory (store, control socket, state files).
func (a *App) DataDir() string { return a.opt.DataDir }

// ConfigPath is the config file this Sluice reads and saves.
func (a *App) ConfigPath() string { return a.opt.ConfigPath }

// Clock is the clock the gate runs on.
func (a *App) Clock() clock.Clock { return a.clk }

// LocalToken is the local inbox's bearer token.
func (a *App) LocalToken() string { return a.token }

// Run serves until ctx is done or Quit is called, then shuts everything
// down in order: connectors, control API, gate, store.
func (a *App) Run(ctx context.Context) error {
	ctl, err := control.Listen(a.opt.DataDir, a, a.log)
	if err != nil {
		a.st.Close()
		return err
	}
	a.ctl = ctl
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-a.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := a.gate.Run(ctx); err != nil {
			errc <- fmt.Errorf("gate: %w", err)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if err := ctl.Serve(); err != nil {
			errc <- fmt.Errorf("control API: %w", err)
			cancel()
		}
	}()
	<-a.gate.Ready()
	a.conns.apply(ctx, a.Config())
	// The loops read the store: they end before it closes.
	for _, loop := range []func(context.Context){a.mirrorFocus, a.holdLoop, a.pub.run, a.auto.run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	a.log.Info("sluice running", "data", a.opt.DataDir, "config", a.opt.ConfigPath, "control", ctl.Addr())

	<-ctx.Done()
	a.log.Info("sluice stopping")
	if a.quitAsked.Load() {
		a.PrepareQuit() // release_on_quit, unless the control API did it already
	}
	a.signins.stop()
	a.conns.stopAll()
	ctl.Close()
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	if err := a.st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	return errors.Join(errs...)
}

// Quit asks Run to stop.
func (a *App) Quit() {
	a.quitAsked.Store(true)
	a.quitOnce.Do(func() { close(a.quit) })
}

// Wake re-reads the clock and reconnects connectors at once (resume from sleep).
func (a *App) Wake() {
	a.gate.Wake()
	a.conns.wake()
}

// Reload re-reads the config file and applies it without a restart. An
// invalid file changes nothing and the error names the fields. A missing
// or unreadable file changes nothing either: the defaults a first start
// uses without a file would drop every account and the local inbox.
func (a *App) Reload() error {
	cc, err := config.LoadFileCompiled(a.opt.ConfigPath)
	if err != nil {
		a.log.Error("config reload refused; the running config stays", "err", err)
		var fe config.Errors
		switch {
		case errors.As(err, &fe):
			return err // the fields say it all
		case errors.Is(err, config.ErrNoFile):
			return fmt.Errorf("%w; the running config stays (restore the file, or write a new one with `sluice init`)", err)
		}
		return fmt.Errorf("%w; the running config stays", err)
	}
	a.apply(cc)
	return nil
}

// apply puts a config Compile accepted in force.
func (a *App) apply(cc config.Compiled) {
	cfg := cc.Config
	a.mu.Lock()
	a.cfg = cfg.Clone() // the caller keeps its copy
	watchers := make([]func(config.Config), 0, len(a.watchers))
	for _, fn := range a.watchers {
		watchers = append(watchers, fn)
	}
	a.mu.Unlock()
	a.gate.Configure(settingsFrom(cc))
	a.conns.apply(context.Background(), cfg)
	a.pushHold(context.Background()) // the rules may have changed: Sieve scripts follow
	// A reload or a save is often the user fixing a password: accounts
	// stopped by a refused login try once more (unchanged ones are not
	// restarted by apply).
	a.conns.retry()
	a.pub.Kick()
	a.auto.Kick()
	for _, fn := range watchers {
		fn(cfg)
	}
	a.log.Info("config applied", "accounts", len(cfg.Accounts), "rules", len(cfg.Rules))
}

// mirrorFocus tells connectors that can show focus on their service (Slack
// DND and status) when a focus block starts and ends.
func (a *App) mirrorFocus(ctx context.Context) {
	events, stop := a.gate.Subscribe(64)
	defer stop()
	inFocus := mirrored(a.gate.Status().Mode)
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.Kind != gate.EventMode {
				continue
			}
			// A meeting holds like focus: Slack stays quiet during it too;
			// a vacation says when replies come as well.
			now := mirrored(e.Status.Mode)
			if now == inFocus && !now {
				continue
			}
			inFocus = now
			zone, _ := time.LoadLocation(e.Status.Zone)
			a.conns.focus(ctx, now, model.FocusInfo{Until: e.Status.Until, ReplyAt: e.Status.NextCheckin, Zone: zone,
				Vacation: e.Status.Mode == model.ModeVacation})
		}
	}
}

// ---- control.Backend ----

// Status implements control.Backend.
func (a *App) Status() control.Status {
	// The gate and the publisher first, not under a.mu: the gate may be
	// inside the store, which reports damage through Notice.
	gs := a.gate.Status()
	now := a.clk.Now()
	var today *schedule.PreviewDay
	if days := a.gate.Plan().Preview(now, 1); len(days) == 1 {
		today = &days[0]
	}
	pub := a.pub.Status()
	replies := a.repliesStatus()
	auto := a.auto.Status(a.Config(), a.gate.Plan())
	a.mu.Lock()
	st := control.Status{
		Status: gs, Now: now, Version: a.opt.Version, PID: os.Getpid(),
		Tray: a.tray, Notices: append([]string(nil), a.notices...),
		Config: a.opt.ConfigPath, Data: a.opt.DataDir, Today: today, Publish: &pub,
		Replies: replies, AutoReply: auto,
	}
	desktop := a.desktop
	a.mu.Unlock()
	if desktop != nil {
		d := desktop()
		st.Desktop = &d
	}
	return st
}

// Schedule implements control.Backend: the coming days as the gate will
// run them.
func (a *App) Schedule(days int) (control.Schedule, error) {
	plan := a.gate.Plan()
	now := a.clk.Now()
	zone := plan.Zone
	if zone == nil {
		zone = time.Local
	}
	busy := plan.Busy
	if busy == nil {
		busy = []model.Busy{}
	}
	return control.Schedule{
		Now: now, Zone: zone.String(), Meetings: plan.Meetings, Days: plan.Preview(now, days),
		Busy: busy, Publish: a.pub.Status(),
	}, nil
}

// Checkin implements control.Backend.
func (a *App) Checkin() (gate.Checkin, error) { return a.gate.CheckinNow() }

// Focus implements control.Backend.
func (a *App) Focus(d time.Duration) (gate.Status, error) { return a.gate.Focus(d) }

// FocusNext implements control.Backend.
func (a *App) FocusNext() (gate.Status, error) { return a.gate.FocusUntilNextCheckin() }

// EndFocus implements control.Backend.
func (a *App) EndFocus() (gate.Status, error) { return a.gate.EndFocus() }

// Pause implements control.Backend.
func (a *App) Pause(d time.Duration) (gate.Status, error) { return a.gate.Pause(d) }

// Resume implements control.Backend.
func (a *App) Resume() (gate.Status, error) { return a.gate.Resume() }

// List implements control.Backend.
func (a *App) List(state model.State, q gate.ListQuery) (gate.Page, error) {
	return a.gate.List(state, q)
}

// Item implements control.Backend.
func (a *App) Item(id string) (model.Item, error) { return a.gate.Item(id) }

// Done implements control.Backend. Connectors that tell their service
// about done items (GitHub's mark_read_on_done) hear of them afterwards.
func (a *App) Done(ids []string) (int, error) {
	var items []model.Item
	if len(a.conns.markers()) > 0 {
		for _, id := range ids {
			if it, err := a.gate.Item(id); err == nil {
				items = append(items, it)
			}
		}
	}
	n, err := a.gate.Done(ids)
	if err == nil && n > 0 {
		a.conns.markDone(items)
	}
	return n, err
}

// DoneAll implements control.Backend.
func (a *App) DoneAll() (int, error) {
	// The released items of accounts that tell their service, a page at a
	// time: the digest may hold thousands, most of them mail.
	var items []model.Item
	if marks := a.conns.markers(); len(marks) > 0 {
		q := gate.ListQuery{Limit: gate.MaxPage}
		for {
			page, err := a.gate.List(model.StateReleased, q)
			if err != nil {
				break
			}
			for _, it := range page.Items {
				if marks[it.Account] {
					items = append(items, it)
				}
			}
			if page.Older == 0 {
				break
			}
			q.Before = page.Older
		}
	}
	n, err := a.gate.DoneAll()
	if err == nil && n > 0 {
		a.conns.markDone(items)
	}
	return n, err
}

// Snooze implements control.Backend.
func (a *App) Snooze(ids []string) (int, error) { return a.gate.Snooze(ids) }

// Send implements control.Backend: the item goes through the local inbox
// account and is durable when Send returns.
func (a *App) Send(req control.SendRequest) (model.Item, error) {
	it, err := local.ToItem(LocalAccount, req, a.clk.Now())
	if err != nil {
		return model.Item{}, fmt.Errorf("%w: %v", control.ErrInvalid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := a.gate.Accept(ctx, model.Batch{Account: LocalAccount, Items: []model.Item{it}})
	if err != nil {
		return model.Item{}, err
	}
	return got[0], nil
}

// LocalAccount is the account name of the embedded local inbox.
const LocalAccount = "local"

// TestRule implements control.Backend.
func (a *App) TestRule(it model.Item) gate.Verdict { return a.gate.Test(it) }

// SetConfig implements control.Backend: validate and compile once, save
// atomically, apply.
func (a *App) SetConfig(c config.Config) error {
	cc, err := config.Compile(c)
	if err != nil {
		return err
	}
	if err := config.SaveCompiled(a.opt.ConfigPath, cc); err != nil {
		return err
	}
	a.apply(cc)
	return nil
}

// Stats implements control.Backend.
func (a *App) Stats(days int) ([]gate.DayStats, error) { return a.gate.Stats(days) }

// Subscribe implements control.Backend.
func (a *App) Subscribe(buf int) (<-chan gate.Event, func()) { return a.gate.Subscribe(buf) }

// OpenWindow implements control.Backend.
func (a *App) OpenWindow(name string) error {
	switch name {
	case "digest", "settings", "stats", "welcome":
	default:
		return fmt.Errorf("%w: unknown window %q (want digest, settings, stats or welcome)", control.ErrInvalid, name)
	}
	a.mu.Lock()
	open := a.windows
	a.mu.Unlock()
	if open == nil {
		return fmt.Errorf("%w: this Sluice runs headless (sluice daemon); run `sluice ui %s` on the desktop", control.ErrInvalid, name)
	}
	return open(name)
}

// AccountTest implements control.Backend. A test that passes retries the
// account at once if its login was refused.
func (a *App) AccountTest(name string) (string, error) {
	cfg := a.Config()
	for _, acc := range cfg.Accounts {
		if acc.Name == name {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			msg, err := testAccount(ctx, acc, a.log, &a.tokens, keys{})
			if err == nil {
				a.conns.retry(name)
			}
			return msg, err
		}
	}
	return "", fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
}

// RetryAccount implements control.Backend: an account whose login was
// refused (or that waits to retry) tries once more, now. It reports whether
// there was anything to retry.
func (a *App) RetryAccount(name string) (bool, error) {
	if name != LocalAccount && !slices.ContainsFunc(a.Config().Accounts, func(acc config.Account) bool { return acc.Name == name }) {
		return false, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
	}
	return len(a.conns.retry(name)) > 0, nil
}
