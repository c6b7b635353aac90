package app

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/local"
)

// supervisor runs one connector per enabled account and restarts exactly
// the ones whose settings changed when the config is reloaded.
type supervisor struct {
	a       *App
	mu      sync.Mutex
	running map[string]*runner
}

type runner struct {
	spec   any // the settings it was built from, to detect changes
	conn   model.Connector
	cancel context.CancelFunc
	done   chan struct{}
}

func newSupervisor(a *App) *supervisor {
	return &supervisor{a: a, running: map[string]*runner{}}
}

// wanted lists the connectors the config asks for, by account name.
func (s *supervisor) wanted(cfg config.Config) map[string]any {
	w := map[string]any{}
	if cfg.Local.HTTP {
		w[LocalAccount] = cfg.Local
	}
	for _, acc := range cfg.Accounts {
		if acc.IsEnabled() {
			w[acc.Name] = acc
		}
	}
	return w
}

func (s *supervisor) apply(ctx context.Context, cfg config.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.wanted(cfg)
	for name, r := range s.running {
		if spec, ok := want[name]; !ok || !reflect.DeepEqual(spec, r.spec) {
			s.a.beforeStop(name, r.spec, spec, ok, r.conn)
			s.stopLocked(name, r)
		}
	}
	for name, spec := range want {
		if _, ok := s.running[name]; ok {
			continue
		}
		conn, err := s.build(spec)
		if err != nil {
			s.a.log.Error("connector not started", "account", name, "err", err)
			s.a.gate.ReportHealth(model.Health{Account: name, Kind: kindOf(spec), State: model.HealthStopped, Detail: err.Error()})
			continue
		}
		s.a.prepareHolder(conn)
		s.startLocked(ctx, name, spec, conn)
	}
	for _, h := range s.a.gate.Health() {
		if _, ok := want[h.Account]; !ok {
			s.a.gate.ForgetHealth(h.Account)
		}
	}
	// A calendar removed or switched off no longer shapes the day.
	for _, account := range s.a.gate.BusyAccounts() {
		if acc, ok := want[account].(config.Account); !ok || !acc.IsCalendar() {
			s.a.gate.ForgetBusy(account)
		}
	}
}

func kindOf(spec any) model.Kind {
	if acc, ok := spec.(config.Account); ok {
		return model.Kind(acc.Kind)
	}
	return model.KindLocal
}

func (s *supervisor) build(spec any) (model.Connector, error) {
	switch v := spec.(type) {
	case config.Local:
		return local.New(local.Options{Account: LocalAccount, Addr: v.Listen, Token: s.a.token, Logger: s.a.log, Clock: s.a.clk})
	case config.Account:
		if v.IsCalendar() {
			loc, err := s.a.Config().Location()
			if err != nil {
				return nil, err
			}
			return buildCalendar(v, loc, s.a.clk, s.a.log, keys{})
		}
		if v.Kind == "imap" {
			return s.a.buildIMAP(v)
		}
		return buildAccount(v, s.a.log, &s.a.tokens, s.a.clk, keys{})
	}
	return nil, fmt.Errorf("unknown connector spec %T", spec)
}

func (s *supervisor) startLocked(parent context.Context, name string, spec any, conn model.Connector) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	r := &runner{spec: spec, conn: conn, cancel: cancel, done: make(chan struct{})}
	s.running[name] = r
	log := s.a.log.With("account", name, "kind", conn.Kind())
	go func() {
		defer close(r.done)
		defer func() {
			if p := recover(); p != nil {
				log.Error("connector crashed", "panic", p)
				s.a.gate.ReportHealth(model.Health{Account: name, Kind: conn.Kind(), State: model.HealthStopped, Detail: fmt.Sprintf("internal error: %v", p)})
			}
		}()
		err := conn.Run(ctx, s.a.gate)
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			log.Error("connector stopped", "err", err)
			s.a.gate.ReportHealth(model.Health{Account: name, Kind: conn.Kind(), State: model.HealthStopped, Detail: err.Error()})
		}
	}()
	// The parent context ending (shutdown) stops every connector.
	go func() {
		select {
		case <-parent.Done():
			cancel()
		case <-r.done:
		}
	}()
}

func (s *supervisor) stopLocked(name string, r *runner) {
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		s.a.log.Warn("connector slow to stop", "account", name)
	}
	delete(s.running, name)
}

func (s *supervisor) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, r := range s.running {
		s.stopLocked(name, r)
	}
}

func (s *supervisor) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.running {
		if w, ok := r.conn.(model.Waker); ok {
			w.Wake()
		}
	}
}

// retry gives each connector whose login was refused, that waits for a
// sign-in, or that waits to retry after a failure, one attempt at once: the
// user may just have fixed the password (set-password, a reload, a passing
// test, Save in the settings) or signed in. A connector that is fine is left alone. With names, only those
// accounts are considered. It returns the accounts woken.
func (s *supervisor) retry(names ...string) []string {
	state := map[string]model.HealthState{}
	for _, h := range s.a.gate.Health() {
		state[h.Account] = h.State
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var woken []string
	for name, r := range s.running {
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		if st := state[name]; st != model.HealthAuthFailed && st != model.HealthSignInNeeded && st != model.HealthBackingOff {
			continue
		}
		if w, ok := r.conn.(model.Waker); ok {
			s.a.log.Info("retrying the account now", "account", name, "state", state[name])
			w.Wake()
			woken = append(woken, name)
		}
	}
	slices.Sort(woken)
	return woken
}

// focus mirrors a focus block's start or end on every connector that can.
func (s *supervisor) focus(ctx context.Context, start bool, info model.FocusInfo) {
	s.mu.Lock()
	var mirrors []model.FocusMirror
	for _, r := range s.running {
		if m, ok := r.conn.(model.FocusMirror); ok {
			mirrors = append(mirrors, m)
		}
	}
	s.mu.Unlock()
	for _, m := range mirrors {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var err error
			if start {
				err = m.FocusStarted(ctx, info)
			} else {
				err = m.FocusEnded(ctx)
			}
			if err != nil {
				s.a.log.Warn("focus mirror failed", "err", err)
			}
		}()
	}
}

// markers reports whether any running connector tells its service about
// done items.
func (s *supervisor) markers() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[string]bool{}
	for name, r := range s.running {
		if _, ok := r.conn.(model.DoneMarker); ok {
			names[name] = true
		}
	}
	return names
}

// markDone hands done items to their account's connector, if it tells its
// service (in the background: the user's done never waits for GitHub).
func (s *supervisor) markDone(items []model.Item) {
	byAccount := map[string][]model.Item{}
	for _, it := range items {
		byAccount[it.Account] = append(byAccount[it.Account], it)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, its := range byAccount {
		r, ok := s.running[name]
		if !ok {
			continue
		}
		m, ok := r.conn.(model.DoneMarker)
		if !ok {
			continue
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := m.MarkDone(ctx, its); err != nil {
				s.a.log.Warn("could not tell the service about done items", "account", name, "err", err)
			}
		}()
	}
}
