package imap

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// run is one Run of a connector: a watcher per folder, the login gate they
// share, and the account's health made from theirs.
type run struct {
	c    *Connector
	sink model.Sink

	gate     sync.Mutex // held while logging in with an unproven password
	password string
	have     bool  // password was fetched
	proven   bool  // a login with password succeeded
	failed   error // the login refusal that stopped every watcher
	failGen  int   // the Wake generation failed belongs to
	pwFailed bool  // the password source failed last time it was asked

	hmu         sync.Mutex
	states      map[string]folderState
	last        model.Health
	sent        string // the Sent folder being watched for replies (sent.go)
	sentProblem string // why no Sent folder is watched, in words
}

// folderState is one folder watcher's condition.
type folderState struct {
	state  model.HealthState
	detail string
	until  time.Time
}

// Run watches every folder until ctx is done, reconnecting on its own, and
// reports the account's health through sink. It returns nil once ctx is done.
func (c *Connector) Run(ctx context.Context, sink model.Sink) error {
	r := &run{c: c, sink: sink, states: map[string]folderState{}}
	for _, f := range c.opt.Folders {
		r.states[f] = folderState{state: model.HealthStarting, detail: "connecting"}
	}
	r.publish()
	var wg sync.WaitGroup
	if h := c.hold; h != nil {
		h.attach(ctx, r)
		defer h.detach()
		h.start(ctx, r, &wg)
	}
	for _, name := range c.opt.Folders {
		w := &watcher{r: r, f: &folder{c: c, sink: sink, name: name}, wake: c.addWaker()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.removeWaker(w.wake)
			w.loop(ctx)
		}()
	}
	if c.opt.WatchSent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.watchSent(ctx)
		}()
	}
	wg.Wait()
	r.hmu.Lock()
	r.last = model.Health{Account: c.opt.Account, Kind: model.KindIMAP, State: model.HealthStopped, Since: c.clk.Now()}
	sink.ReportHealth(r.last)
	r.hmu.Unlock()
	return nil
}

// login dials and logs in for a watcher. Until a password has been proven
// by one successful login, logins happen one at a time, so a wrong password
// costs one refused attempt, not one per folder. After a refusal every
// watcher gets the same error without asking the server, until Wake.
func (r *run) login(ctx context.Context) (*conn, error) {
	r.gate.Lock()
	gen := r.c.authGeneration()
	if r.failed != nil {
		if r.failGen == gen {
			err := r.failed
			r.gate.Unlock()
			return nil, err
		}
		r.failed, r.have, r.proven, r.password = nil, false, false, ""
	}
	// A password is asked once; an access token at every login, since the
	// token source refreshes it as it expires.
	if !r.have || r.c.opt.Auth == AuthOAuth2 {
		pw, err := r.c.credential(ctx)
		if err != nil {
			if errors.Is(err, ErrAuth) {
				r.failed, r.failGen = err, gen
				r.gate.Unlock()
				return nil, err
			}
			// Logged once per failure streak: the error may come from the
			// user's password command, and retries would repeat it.
			if !r.pwFailed {
				r.c.log.Warn("cannot get the password; retrying until it works", "err", err)
			}
			r.pwFailed = true
			r.gate.Unlock()
			return nil, &passwordError{err: err}
		}
		if r.pwFailed {
			r.c.log.Info("the password is available again")
		}
		r.password, r.have, r.pwFailed = pw, true, false
	}
	pw, proven := r.password, r.proven
	if proven {
		// Folders connect in parallel once the password is known to work.
		r.gate.Unlock()
	}
	k, err := r.c.dial(ctx, pw)
	if proven {
		r.gate.Lock()
	}
	defer r.gate.Unlock()
	switch {
	case errors.Is(err, ErrAuth):
		if r.failed == nil {
			r.failed, r.failGen = err, gen
			r.have, r.proven, r.password = false, false, ""
		}
	case err == nil:
		r.proven = r.proven || pw == r.password
	}
	return k, err
}

// passwordError is a failure to get the password or access token (credential).
type passwordError struct{ err error }

func (e *passwordError) Error() string { return e.err.Error() } // credential says what it was getting
func (e *passwordError) Unwrap() error { return e.err }

// set records a folder's state and reports the account's health when that
// changed.
func (r *run) set(folder string, s folderState) {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	r.states[folder] = s
	r.publishLocked()
}

// publish reports the account's health, made from the folders' states: a
// refused login beats a folder backing off, which beats starting, which beats
// connected. Details name what is wrong and what still works.
func (r *run) publish() {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	r.publishLocked()
}

func (r *run) publishLocked() {
	var worst model.HealthState = model.HealthConnected
	rank := map[model.HealthState]int{model.HealthConnected: 0, model.HealthStarting: 1, model.HealthBackingOff: 2, model.HealthAuthFailed: 3, model.HealthSignInNeeded: 3}
	var problems, fine []string
	var until time.Time
	modes := map[string]bool{}
	for _, name := range r.names() {
		s := r.states[name]
		if rank[s.state] > rank[worst] {
			worst = s.state
		}
		switch s.state {
		case model.HealthConnected:
			if name != r.sent || containsFolder(r.c.opt.Folders, name) {
				fine = append(fine, name)
			}
			modes[s.detail] = true
		case model.HealthBackingOff:
			if until.IsZero() || s.until.Before(until) {
				until = s.until
			}
			fallthrough
		default:
			if !slices.Contains(problems, s.detail) {
				problems = append(problems, s.detail)
			}
		}
	}
	h := model.Health{Account: r.c.opt.Account, Kind: model.KindIMAP, State: worst}
	switch worst {
	case model.HealthConnected:
		var m []string
		for k := range modes {
			m = append(m, k)
		}
		slices.Sort(m)
		h.Detail = "watching " + strings.Join(fine, ", ") + " (" + strings.Join(m, "; ") + ")"
		if r.sent != "" {
			h.Detail += "; your replies from " + r.sent
		} else if r.sentProblem != "" {
			h.Detail += "; " + r.sentProblem
		}
	case model.HealthAuthFailed, model.HealthSignInNeeded:
		for _, name := range r.names() {
			if s := r.states[name]; s.state == worst {
				h.Detail = s.detail
				break
			}
		}
	default:
		h.Detail = strings.Join(problems, "; ")
		if len(fine) > 0 {
			h.Detail += "; watching " + strings.Join(fine, ", ")
		}
		if worst == model.HealthBackingOff {
			h.Until = until
		}
	}
	if r.c.hold != nil {
		h.Detail += "; " + r.c.hold.words()
	}
	if h.State == r.last.State && h.Detail == r.last.Detail && h.Until.Equal(r.last.Until) {
		return
	}
	h.Since = r.last.Since
	if h.State != r.last.State || h.Since.IsZero() {
		h.Since = r.c.clk.Now()
	}
	r.last = h
	r.sink.ReportHealth(h)
}

// watcher keeps one folder in sync over its own connection.
type watcher struct {
	r    *run
	f    *folder
	wake chan struct{}
}

// loop reconnects until ctx is done: with exponential backoff and jitter
// after a failure, at once on Wake, and not at all after a refused login
// until Wake.
func (w *watcher) loop(ctx context.Context) {
	c := w.r.c
	attempt := 0
	for ctx.Err() == nil {
		err := w.session(ctx, &attempt)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrAuth) {
			w.r.set(w.f.name, folderState{state: authState(err), detail: err.Error()})
			c.log.Warn("login refused; waiting for the user to fix it (Wake)", "folder", w.f.name, "state", authState(err), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				attempt = 0
				continue
			}
		}
		delay := backoff(c.opt.BackoffBase, c.opt.BackoffCap, attempt)
		attempt++
		until := c.clk.Now().Add(delay)
		w.r.set(w.f.name, folderState{state: model.HealthBackingOff, detail: err.Error(), until: until})
		if pe := (*passwordError)(nil); !errors.As(err, &pe) {
			c.log.Info("connection failed; retrying", "folder", w.f.name, "err", err, "in", delay.Round(time.Millisecond))
		}
		woke, done := pause(ctx, c.clk, delay, w.wake)
		if done {
			return
		}
		if woke {
			attempt = 0
		}
	}
}

// pause waits d on clk before a retry: woke says Wake cut it short, done
// that ctx ended.
func pause(ctx context.Context, clk clock.Clock, d time.Duration, wake <-chan struct{}) (woke, done bool) {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, true
	case <-wake:
		return true, false
	case <-t.C():
		return false, false
	}
}

// backoff is the delay before retry number attempt: base doubled per
// attempt, capped, with ±20% jitter so that many clients do not reconnect in
// step after a server restart.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(d, limit)
}

// session is one connection's life: log in, catch up, then wait for news
// (IDLE or polling) and catch up again, until an error or ctx ends it.
func (w *watcher) session(ctx context.Context, attempt *int) error {
	c := w.r.c
	k, err := w.r.login(ctx)
	if err != nil {
		return err
	}
	defer k.logout()
	if err := w.f.load(); err != nil {
		return err
	}
	if err := w.f.sync(ctx, k); err != nil {
		return err
	}
	*attempt = 0
	mode := "IDLE"
	if !c.idles(k) {
		mode = "polling every " + c.opt.PollInterval.String()
	}
	// Connected is reported once the folder is in sync and waiting (IDLE
	// acknowledged), so that mail arriving from then on is announced.
	ready := func() {
		w.r.set(w.f.name, folderState{state: model.HealthConnected, detail: mode})
	}
	c.log.Debug("folder in sync", "folder", w.f.name, "mode", mode)
	for {
		if _, err := w.wait(ctx, k, ready); err != nil {
			return err
		}
		if err := w.f.sync(ctx, k); err != nil {
			return err
		}
	}
}

// idles reports whether the folder is watched in IDLE on k (else polled).
func (c *Connector) idles(k *conn) bool { return k.caps.Has(imap.CapIdle) && !c.opt.DisableIdle }

// wait waits for a change in the folder: in IDLE (ready is called once
// the server acknowledged it), else until the next poll. woke reports a
// Wake (resume from sleep, a fixed password): the connection may then
// look open and be dead, so a NOOP proves it, with a short limit since a
// live server answers at once.
func (w *watcher) wait(ctx context.Context, k *conn, ready func()) (woke bool, err error) {
	c := w.r.c
	if c.idles(k) {
		woke, err = w.idle(ctx, k, ready)
	} else {
		ready()
		woke, err = w.poll(ctx, k)
	}
	if err != nil || !woke {
		return woke, err
	}
	if err := k.guardFor(wakeTimeout(c.opt.CommandTimeout), func() error { return k.cl.Noop().Wait() }); err != nil {
		return true, fmt.Errorf("check after wake: %w", err)
	}
	return true, nil
}

// wakeTimeout bounds the NOOP that checks a connection after Wake.
func wakeTimeout(command time.Duration) time.Duration { return min(command, 10*time.Second) }

// idle waits in IDLE for new mail, a wake-up or the refresh interval.
func (w *watcher) idle(ctx context.Context, k *conn, ready func()) (woke bool, err error) {
	var cmd *imapclient.IdleCommand
	err = k.guard(func() error {
		var err error
		cmd, err = k.cl.Idle()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	ready()
	refresh := w.r.c.clk.NewTimer(w.r.c.opt.IdleRefresh)
	defer refresh.Stop()
	select {
	case <-ctx.Done():
	case <-k.newMail:
	case <-refresh.C():
	case <-w.wake:
		woke = true
	case <-k.cl.Closed():
		return false, k.wrap(fmt.Errorf("connection closed during IDLE: %w", net.ErrClosed))
	}
	err = k.guard(func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return false, fmt.Errorf("end idle: %w", err)
	}
	return woke, nil
}

// poll waits the poll interval (±10%) or for a wake-up.
func (w *watcher) poll(ctx context.Context, k *conn) (woke bool, err error) {
	d := w.r.c.opt.PollInterval
	d = time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
	t := w.r.c.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C():
		return false, nil
	case <-w.wake:
		return true, nil
	case <-k.cl.Closed():
		return false, k.wrap(fmt.Errorf("connection closed: %w", net.ErrClosed))
	}
}
