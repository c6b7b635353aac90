package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/imap"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Holding mail on the server (IMAP accounts with hold_on_server): the gate
// decides, the connector moves. The app tells each such connector the
// gate's holding state before it runs and on every change, and asks it to
// release at every check-in and whenever the gate leaves a holding mode.
// Check-in and mode events are never dropped for a subscriber, so none of
// these is missed; each call is harmless when repeated. A check-in missed
// while Sluice was not running is caught by the connector itself, which
// compares its hold folder with the store whenever it connects.

// releaseTimeout bounds one account's release.
const releaseTimeout = 2 * time.Minute

// serverHold is the app's side of holding on the server.
type serverHold struct {
	mu    sync.Mutex
	since time.Time // the last release the app asked for

	quitOnce sync.Once
	quitMsg  string
}

// holdSince is the last release the app asked for.
func (a *App) holdSince() time.Time {
	a.held.mu.Lock()
	defer a.held.mu.Unlock()
	return a.held.since
}

func (a *App) setHoldSince(t time.Time) {
	a.held.mu.Lock()
	defer a.held.mu.Unlock()
	if t.After(a.held.since) {
		a.held.since = t
	}
}

// holdInfo is the gate's holding state for connectors.
func (a *App) holdInfo() model.HoldInfo { return a.gate.HoldInfo(a.holdSince()) }

// holdLoop follows the gate: at a check-in, and when the gate leaves a
// holding mode, every account that holds on the server releases; on every
// mode change each learns the new state.
func (a *App) holdLoop(ctx context.Context) {
	events, stop := a.gate.Subscribe(64)
	defer stop()
	holding := gate.Holding(a.gate.Status().Mode)
	a.pushHold(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			switch e.Kind {
			case gate.EventCheckin:
				a.setHoldSince(e.At)
				zone, _ := time.LoadLocation(a.gate.Status().Zone)
				a.releaseHolders(ctx, gate.CheckinWords(*e.Checkin, zone), false)
				a.pushHold(ctx)
			case gate.EventMode:
				now := gate.Holding(e.Status.Mode)
				if holding && !now {
					// A check-in opens a window: it released a moment ago.
					released := !a.holdSince().Before(e.At.Add(-2 * time.Second))
					a.setHoldSince(e.At)
					if !released {
						a.releaseHolders(ctx, "the gate stopped holding ("+e.Status.Mode.Title()+")", false)
					}
				}
				holding = now
				a.pushHold(ctx)
			case gate.EventCalendar:
				a.pushHold(ctx) // the next check-in may have moved
			}
		}
	}
}

// pushHold tells every connector that holds on the server the gate's state.
func (a *App) pushHold(ctx context.Context) {
	info := a.holdInfo()
	for _, h := range a.conns.holders() {
		if err := h.conn.SetHold(ctx, info); err != nil {
			a.log.Warn("could not tell a connector the gate's holding state", "account", h.name, "err", err)
		}
	}
}

// releaseHolders releases every account that holds on the server, at once
// and each on its own (onlyQuit: only those with release_on_quit), and
// returns what each said in words.
func (a *App) releaseHolders(ctx context.Context, why string, onlyQuit bool) []string {
	cfg := a.Config()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var words []string
	for _, h := range a.conns.holders() {
		if onlyQuit && !releaseOnQuit(cfg, h.name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
			defer cancel()
			var n int
			var err error
			if onlyQuit {
				n, err = h.conn.StopHolding(ctx) // nothing more is held until Sluice runs again
			} else {
				n, err = h.conn.Release(ctx, why)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, imap.ErrHoldOff):
			case err != nil:
				a.log.Warn("release on the server failed; the connector tries again when it reconnects", "account", h.name, "why", why, "err", err)
				words = append(words, fmt.Sprintf("%s: could not release: %v", h.name, err))
			default:
				a.log.Info("released held mail on the server", "account", h.name, "why", why, "moved", n)
				words = append(words, releasedWords(h.name, n, holdFolderOf(h.conn)))
			}
		}()
	}
	wg.Wait()
	return words
}

// releasedWords: "Work mail: 12 messages back in INBOX from Sluice/Held".
func releasedWords(account string, n int, folder string) string {
	what := fmt.Sprintf("%d messages", n)
	if n == 1 {
		what = "1 message"
	}
	return fmt.Sprintf("%s: %s back in INBOX from %s", account, what, folder)
}

func holdFolderOf(c model.ServerHolder) string {
	if ic, ok := c.(*imap.Connector); ok {
		return ic.HoldFolder()
	}
	return "the hold folder"
}

func releaseOnQuit(cfg config.Config, name string) bool {
	for _, acc := range cfg.Accounts {
		if acc.Name == name {
			return acc.HoldOnServer && acc.ReleaseOnQuit
		}
	}
	return false
}

// holderConn is a running connector that holds on the server.
type holderConn struct {
	name string
	conn model.ServerHolder
}

// holders lists the running connectors that hold on the server.
func (s *supervisor) holders() []holderConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []holderConn
	for name, r := range s.running {
		acc, ok := r.spec.(config.Account)
		if !ok || !acc.HoldOnServer {
			continue
		}
		if h, ok := r.conn.(model.ServerHolder); ok {
			out = append(out, holderConn{name: name, conn: h})
		}
	}
	return out
}

// prepareHolder tells a connector that is about to run the gate's holding
// state (supervisor, before Run).
func (a *App) prepareHolder(conn model.Connector) {
	if h, ok := conn.(model.ServerHolder); ok {
		_ = h.SetHold(context.Background(), a.holdInfo())
	}
}

// beforeStop runs before the supervisor stops a connector whose settings
// changed or that is no longer wanted: when holding on the server ends for
// it (switched off, a new hold folder, the account disabled or removed),
// its Sieve script comes off and its hold folder is released first, and
// the user is told.
func (a *App) beforeStop(name string, old any, next any, wanted bool, conn model.Connector) {
	was, ok := old.(config.Account)
	ic, isIMAP := conn.(*imap.Connector)
	if !ok || !isIMAP || !was.HoldOnServer {
		return
	}
	now, _ := next.(config.Account)
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	ends := !wanted || !now.HoldOnServer || holdFolderName(now) != holdFolderName(was)
	if !ends {
		if was.HoldAtDelivery && !now.HoldAtDelivery {
			if err := ic.StopSieve(ctx); err != nil {
				a.log.Warn("could not take Sluice's Sieve script off the server", "account", name, "err", err)
			}
		}
		return
	}
	why := "hold on server turned off"
	if !wanted {
		why = "account removed or switched off"
	}
	n, err := ic.StopHolding(ctx)
	if err != nil {
		a.log.Warn("could not release the mail held on the server", "account", name, "why", why, "err", err)
		a.Notice(fmt.Sprintf("%s: %s, but the mail in %s could not be moved back to INBOX (%v); move it by hand or turn hold on server on again.", name, why, ic.HoldFolder(), err))
		return
	}
	a.log.Info("released the mail held on the server", "account", name, "why", why, "moved", n)
	a.Notice(fmt.Sprintf("%s (%s).", releasedWords(name, n, ic.HoldFolder()), why))
}

func holdFolderName(acc config.Account) string {
	f := strings.Trim(strings.TrimSpace(acc.HoldFolder), "/")
	if f == "" {
		return imap.DefaultHoldFolder
	}
	return f
}

// holdOptions are an IMAP account's hold-on-server options.
func holdOptions(acc config.Account, rs func() imap.SieveRules) imap.HoldOptions {
	if !acc.HoldOnServer {
		return imap.HoldOptions{}
	}
	h := imap.HoldOptions{Enabled: true, Folder: acc.HoldFolder}
	if acc.HoldAtDelivery {
		h.Sieve = &imap.SieveHold{Host: acc.SieveHost, Port: acc.SievePort, Rules: rs}
	}
	return h
}

// buildIMAP makes an IMAP account's connector with what holding at
// delivery needs from the running app: the rules as they are now.
func (a *App) buildIMAP(acc config.Account) (model.Connector, error) {
	log := a.log.With("account", acc.Name, "kind", acc.Kind)
	opt, err := imapOptions(acc, log, &a.tokens, keys{})
	if err != nil {
		return nil, err
	}
	// The connector words its hold against the gate's times (the next
	// check-in): one clock for both.
	opt.Clock = a.clk
	if opt.Hold.Sieve != nil {
		opt.Hold.Sieve.Rules = a.sieveRules
	}
	return imap.New(opt)
}

// sieveRules are the config's rules in the plain fields a hold script is
// made of.
func (a *App) sieveRules() imap.SieveRules {
	return sieveRulesOf(a.Config())
}

func sieveRulesOf(cfg config.Config) imap.SieveRules {
	var out imap.SieveRules
	for _, r := range cfg.Rules {
		out.Rules = append(out.Rules, sieveRule(r))
	}
	out.VIPs, out.UrgentKeywords, out.UrgentChannel = cfg.Urgent.VIPs, cfg.Urgent.Keywords, cfg.Urgent.Channel
	return out
}

func sieveRule(r rules.Rule) sieve.Rule {
	return sieve.Rule{
		Name: r.Name, Accounts: r.Accounts, Channels: r.Channels, From: r.From,
		Direct: r.Direct, Mention: r.Mention, Keywords: r.Keywords, Regex: r.Regex,
		Reasons: r.Reasons, Action: r.Action,
	}
}

// ReleaseAccount implements control.Backend: everything the account holds
// on the server goes back to INBOX now.
func (a *App) ReleaseAccount(name string) (control.ReleaseReply, error) {
	var acc *config.Account
	cfg := a.Config()
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == name {
			acc = &cfg.Accounts[i]
		}
	}
	if acc == nil {
		return control.ReleaseReply{}, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
	}
	if !acc.HoldOnServer {
		return control.ReleaseReply{}, fmt.Errorf("%w: account %q does not hold mail on the server (hold_on_server is off)", control.ErrInvalid, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	for _, h := range a.conns.holders() {
		if h.name != name {
			continue
		}
		n, err := h.conn.Release(ctx, "released by hand")
		if err != nil {
			return control.ReleaseReply{}, err
		}
		folder := holdFolderOf(h.conn)
		return control.ReleaseReply{Account: name, Count: n, Folder: folder, Message: releasedWords(name, n, folder)}, nil
	}
	// Not running (switched off, or its connector did not start): connect
	// for this release alone.
	n, folder, err := ReleaseOnServer(ctx, *acc, a.log)
	if err != nil {
		return control.ReleaseReply{}, err
	}
	return control.ReleaseReply{Account: name, Count: n, Folder: folder, Message: releasedWords(name, n, folder)}, nil
}

// ReleaseOnServer connects with an IMAP account's settings and moves
// everything in its hold folder back to INBOX, for `sluice account
// release` when Sluice is not running. It reports how many messages moved
// and the hold folder's name on the server.
func ReleaseOnServer(ctx context.Context, acc config.Account, log *slog.Logger) (int, string, error) {
	if acc.Kind != "imap" {
		return 0, "", fmt.Errorf("account %q is a %s account: only mail accounts hold on the server", acc.Name, acc.Kind)
	}
	acc.HoldOnServer = true // release whatever the folder holds, switch or not
	acc.HoldAtDelivery = false
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt, err := imapOptions(acc, log, nil, keys{})
	if err != nil {
		return 0, "", err
	}
	c, err := imap.New(opt)
	if err != nil {
		return 0, "", err
	}
	n, err := c.Release(ctx, "released by hand")
	return n, c.HoldFolder(), err
}

// PrepareQuit implements control.Quitter: before Sluice quits on the
// user's word, the accounts with release_on_quit release what they hold
// on the server. It reports what happened in words ("" when nothing did).
func (a *App) PrepareQuit() string {
	a.held.quitOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		a.held.quitMsg = strings.Join(a.releaseHolders(ctx, "Sluice quits (release_on_quit)", true), "\n")
	})
	return a.held.quitMsg
}
