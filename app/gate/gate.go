// Package gate is Sluice's running engine. It takes items from connectors,
// classifies them with the rules, decides from the schedule's mode whether
// each is held, delivered live or breaks through, stores it, and releases
// every held item at each check-in in one transaction. It emits typed events
// for the tray, notifications and windows, and records every decision so a
// user can ask why.
//
// Time comes from an injected clock; the gate re-reads it at least once a
// minute and on Wake, so a check-in missed while the machine slept fires
// once, late, at wake-up.
package gate

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

// Settings are the parts of the config the gate runs on.
type Settings struct {
	Plan  schedule.Plan
	Rules *rules.Set
	// BudgetPerHour caps urgent breakthroughs in any rolling hour.
	BudgetPerHour int
	// OffHoursDeliver lets urgent items break through outside working hours.
	OffHoursDeliver bool
	// Retention is how long done items are kept.
	Retention time.Duration
	// Promise is how soon the user answers; the zero value means
	// schedule.DefaultPromise.
	Promise schedule.Promise
}

// MaxTick is the longest the gate goes without re-reading the clock.
const MaxTick = time.Minute

// LateAfter is how far behind schedule a check-in must fire to count as late.
const LateAfter = 2 * time.Minute

// ErrUnknownItem is returned for commands naming an item that does not exist.
var ErrUnknownItem = store.ErrNotFound

// Gate is the engine. Its methods are safe for concurrent use.
type Gate struct {
	st    *store.Store
	clk   clock.Clock
	log   *slog.Logger
	wake  chan struct{}
	ready chan struct{} // closed once Run did its first tick

	mu       sync.Mutex
	set      Settings
	state    persisted
	health   map[string]model.Health
	subs     map[int]*subscriber
	nextSub  int
	status   schedule.Status
	busy     map[string][]model.Busy // by calendar account
	plan     schedule.Plan           // set.Plan with the busy time of every calendar
	focusAcc time.Duration           // focus time not yet written to stats
	savedAt  time.Time               // LastTick as last persisted
	replies  replyCache              // what waits for the user's reply (replies.go)
}

// persisted is the gate's own state, kept in the store across restarts.
type persisted struct {
	Overrides schedule.Overrides `json:"overrides"`
	LastTick  time.Time          `json:"last_tick"`
	// Fired is the planned time of the latest scheduled check-in that
	// happened: every check-in planned up to it is done, wherever a
	// meeting moves it afterwards.
	Fired  time.Time   `json:"fired,omitzero"`
	Urgent []time.Time `json:"urgent"` // breakthroughs in the last hour
}

// New builds a gate on an open store.
func New(st *store.Store, clk clock.Clock, set Settings, log *slog.Logger) (*Gate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if set.Rules == nil {
		rs, err := rules.Compile(nil, rules.Builtins{})
		if err != nil {
			return nil, err
		}
		set.Rules = rs
	}
	g := &Gate{
		st: st, clk: clk, log: log.With("component", "gate"), set: set,
		wake: make(chan struct{}, 1), ready: make(chan struct{}),
		health: map[string]model.Health{}, subs: map[int]*subscriber{}, busy: map[string][]model.Busy{},
	}
	busy, err := st.Busy()
	if err != nil {
		g.log.Warn("stored busy time partly unreadable", "err", err)
	}
	for account, bs := range busy {
		g.busy[account] = bs
	}
	g.plan = g.withBusyLocked(set.Plan)
	b, err := st.GateState()
	if err != nil {
		return nil, fmt.Errorf("load gate state: %w", err)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &g.state); err != nil {
			g.log.Warn("gate state unreadable; starting fresh", "err", err)
			g.state = persisted{}
		}
	}
	g.status = g.plan.Mode(clk.Now(), g.state.Overrides)
	return g, nil
}

// Configure swaps in new settings (config reload) and re-evaluates the mode.
func (g *Gate) Configure(set Settings) {
	g.mu.Lock()
	if set.Rules == nil {
		set.Rules = g.set.Rules
	}
	g.set = set
	g.plan = g.withBusyLocked(set.Plan)
	g.replies.dirty = true
	g.mu.Unlock()
	g.Wake()
}

// Settings returns the settings in force.
func (g *Gate) Settings() Settings {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.set
}

func (g *Gate) saveLocked() {
	b, err := json.Marshal(g.state)
	if err == nil {
		err = g.st.SetGateState(b)
	}
	if err != nil {
		g.log.Warn("gate state not saved", "err", err)
		return
	}
	g.savedAt = g.state.LastTick
}

func dayOf(p schedule.Plan, t time.Time) string {
	loc := p.Zone
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(time.DateOnly)
}
