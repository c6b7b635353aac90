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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
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
	g.mu.Unlock()
	g.Wake()
}

// withBusyLocked is p with the busy time of every calendar, in order.
func (g *Gate) withBusyLocked(p schedule.Plan) schedule.Plan {
	var all []model.Busy
	for _, bs := range g.busy {
		all = append(all, bs...)
	}
	slices.SortStableFunc(all, func(a, b model.Busy) int { return a.Start.Compare(b.Start) })
	p.Busy = all
	return p
}

// Plan is the plan in force: the configured one with the meetings of
// every calendar, for previews and for publishing focus blocks.
func (g *Gate) Plan() schedule.Plan {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.plan
}

// SetBusy implements model.BusySink: it stores a calendar's busy time with
// its cursors, then re-plans at once, so a check-in a new meeting covers
// moves before it is due and the mode follows the meeting.
func (g *Gate) SetBusy(ctx context.Context, account string, busy []model.Busy, cursors []model.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.st.SetBusy(account, busy, cursors); err != nil {
		return err
	}
	g.busy[account] = slices.Clone(busy)
	g.replanLocked()
	return nil
}

// ForgetBusy drops a calendar account's busy time (account removed).
func (g *Gate) ForgetBusy(account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.busy[account]; !ok {
		return
	}
	if err := g.st.DeleteBusy(account); err != nil {
		g.log.Warn("busy time not deleted", "account", account, "err", err)
	}
	delete(g.busy, account)
	g.replanLocked()
}

// BusyAccounts lists the calendar accounts the gate has busy time of.
func (g *Gate) BusyAccounts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.busy))
	for a := range g.busy {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (g *Gate) replanLocked() {
	now := g.clk.Now()
	g.plan = g.withBusyLocked(g.set.Plan)
	g.updateStatusLocked(now)
	g.emitLocked(Event{Kind: EventCalendar, At: now, Status: g.snapshotLocked(now)})
	g.Wake()
}

// Settings returns the settings in force.
func (g *Gate) Settings() Settings {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.set
}

// Run drives the gate until ctx is done: it ticks at every transition of
// the schedule, at least once a minute, and on Wake.
func (g *Gate) Run(ctx context.Context) error {
	first := true
	for {
		next := g.Tick()
		if first {
			close(g.ready)
			first = false
		}
		now := g.clk.Now()
		d := MaxTick
		if !next.IsZero() {
			if until := next.Sub(now); until < d {
				d = max(until, time.Millisecond)
			}
		}
		t := g.clk.NewTimer(d)
		if !g.clk.Now().Before(now.Add(d)) {
			// The clock passed the deadline before the timer was made (a
			// test clock set at that moment): the timer, timed from the
			// later now, would fire late.
			t.Stop()
			continue
		}
		select {
		case <-ctx.Done():
			t.Stop()
			g.mu.Lock()
			g.flushFocusLocked(g.clk.Now())
			g.saveLocked()
			g.mu.Unlock()
			return nil
		case <-t.C():
		case <-g.wake:
			t.Stop()
		}
	}
}

// Ready is closed after Run's first tick (missed check-ins handled).
func (g *Gate) Ready() <-chan struct{} { return g.ready }

// Wake makes Run re-read the clock at once (resume from sleep, config change).
func (g *Gate) Wake() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Tick brings the gate up to the current time: it fires a check-in that
// came due (once, however many were missed), updates the mode and focus
// statistics, prunes old items once a day, and returns when it next needs
// to run (zero: no transition known).
func (g *Gate) Tick() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	last := g.state.LastTick
	if last.IsZero() || last.After(now) {
		// First run ever, or the clock went backwards: look no further back
		// than now, so nothing fires twice.
		last = now
	}
	plan := g.plan
	if g.state.Fired.IsZero() {
		// Nothing planned before the first look counts as missed.
		g.state.Fired = last
		if cs := plan.Checkins(last.Add(-schedule.Horizon), last); len(cs) > 0 {
			g.state.Fired = cs[len(cs)-1].Planned
		}
	}
	fired := false
	if c, ok := dueCheckin(plan, g.state.Fired, last, now); ok {
		fired = true
		// Due before the last look, yet not done then: a meeting that had
		// moved it later went away since.
		movedBack := !c.At.After(last)
		late := now.Sub(c.At) > LateAfter && !movedBack
		if _, err := g.releaseLocked(now, c.At, late, false, movedBack); err != nil {
			g.log.Error("check-in failed", "err", err)
			// Keep LastTick and Fired so the next tick retries this check-in.
			return now.Add(10 * time.Second)
		}
		g.state.Fired = c.Planned
	}
	// Focus accounting: count time spent in focus since the last tick, but
	// not a gap longer than a few ticks (the machine was asleep).
	if g.status.Mode == model.ModeFocus && !g.state.LastTick.IsZero() {
		if d := now.Sub(g.state.LastTick); d > 0 && d <= 5*MaxTick {
			g.focusAcc += d
		}
	}
	if now.YearDay() != g.state.LastTick.YearDay() || g.focusAcc >= 10*time.Minute ||
		g.plan.Mode(now, g.state.Overrides).Mode != model.ModeFocus {
		g.flushFocusLocked(now)
	}
	if !g.state.LastTick.IsZero() && dayOf(plan, now) != dayOf(plan, g.state.LastTick) {
		g.pruneLocked(now)
	}
	changed := g.expireOverridesLocked(now)
	g.state.LastTick = now
	g.updateStatusLocked(now)
	// LastTick only needs to be on disk when something happened, and now
	// and then so a restart does not look back further than needed; a
	// write a minute would wake the disk all day for nothing.
	if fired || changed || now.Sub(g.savedAt) >= 10*time.Minute || now.Before(g.savedAt) {
		g.saveLocked()
	}
	if t, ok := plan.Next(now, g.state.Overrides); ok {
		return t.At
	}
	return time.Time{}
}

func (g *Gate) flushFocusLocked(now time.Time) {
	mins := int(g.focusAcc / time.Minute)
	if mins == 0 {
		return
	}
	g.focusAcc -= time.Duration(mins) * time.Minute
	if err := g.st.UpdateStats(dayOf(g.plan, now), func(s *store.DayStats) { s.FocusMinutes += mins }); err != nil {
		g.log.Warn("focus stats not saved", "err", err)
	}
}

func (g *Gate) pruneLocked(now time.Time) {
	if g.set.Retention <= 0 {
		return
	}
	n, err := g.st.Prune(now.Add(-g.set.Retention))
	if err != nil {
		g.log.Warn("prune failed", "err", err)
		return
	}
	if n > 0 {
		g.log.Info("pruned done items", "count", n, "retention", g.set.Retention)
	}
}

func (g *Gate) expireOverridesLocked(now time.Time) (changed bool) {
	o := &g.state.Overrides
	for _, t := range []*time.Time{&o.FocusUntil, &o.SkipFocusUntil, &o.PauseUntil, &o.WindowUntil} {
		if !t.IsZero() && !now.Before(*t) {
			*t = time.Time{}
			changed = true
		}
	}
	cut := now.Add(-time.Hour)
	keep := g.state.Urgent[:0]
	for _, t := range g.state.Urgent {
		if t.After(cut) {
			keep = append(keep, t)
		}
	}
	changed = changed || len(keep) != len(g.state.Urgent)
	g.state.Urgent = keep
	return changed
}

func (g *Gate) updateStatusLocked(now time.Time) {
	st := g.plan.Mode(now, g.state.Overrides)
	old := g.status
	g.status = st
	if st.Mode != old.Mode || !st.Until.Equal(old.Until) || st.Reason != old.Reason {
		g.emitLocked(Event{Kind: EventMode, At: now, Status: g.snapshotLocked(now), From: old.Mode})
	}
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

// movedBackReach is how far back a check-in may lie that a meeting had
// moved later and that came due when the meeting was cancelled or cut short.
const movedBackReach = 12 * time.Hour

// dueCheckin is the scheduled check-in to do now, if any: the latest of
// those that happen in (last, now] (however many the machine slept
// through), or that came due because a meeting that had moved one later
// went away, and that were not done yet: planned after fired. A check-in
// done at its planned time does not happen again when a meeting added
// later moves it.
func dueCheckin(plan schedule.Plan, fired, last, now time.Time) (schedule.ScheduledCheckin, bool) {
	from := last
	if lo := now.Add(-movedBackReach); lo.Before(from) {
		from = lo
	}
	if lo := now.Add(-schedule.Horizon); from.Before(lo) {
		from = lo // a long sleep costs no more than a week's look
	}
	var due schedule.ScheduledCheckin
	ok := false
	for _, c := range plan.Checkins(from, now) {
		if c.Skipped || !c.Planned.After(fired) {
			continue
		}
		if !ok || !c.Planned.Before(due.Planned) {
			due, ok = c, true
		}
	}
	return due, ok
}

// releaseLocked releases every held item in one transaction and emits one
// check-in event. sched is the scheduled time (zero for a manual check-in);
// movedBack says a meeting that had moved it later went away.
func (g *Gate) releaseLocked(now, sched time.Time, late, manual, movedBack bool) (Checkin, error) {
	zone := g.plan.Zone
	if zone == nil {
		zone = time.Local
	}
	var note string
	switch {
	case manual:
		note = "released: check-in now (manual) at " + now.In(zone).Format("15:04")
	case late:
		note = fmt.Sprintf("released: check-in %s, done late at %s (the machine was asleep or Sluice was not running)",
			sched.In(zone).Format("15:04"), now.In(zone).Format("Mon 15:04"))
	case movedBack:
		note = fmt.Sprintf("released: check-in %s, done at %s (the meeting that had moved it later is gone)",
			sched.In(zone).Format("15:04"), now.In(zone).Format("15:04"))
	default:
		note = "released: check-in " + sched.In(zone).Format("15:04")
	}
	if c, ok := g.plan.CheckinAt(sched); ok && c.Moved && !manual {
		note += fmt.Sprintf(" (moved from %s: %s)", c.Planned.In(zone).Format("15:04"), meetingWords(c, zone))
	}
	day := dayOf(g.plan, now)
	items, err := g.st.Release(now, note, day)
	if err != nil {
		return Checkin{}, fmt.Errorf("release held items: %w", err)
	}
	c := Checkin{At: now, Scheduled: sched, Late: late, Manual: manual, ByKind: map[model.Kind]int{}, ByAccount: map[string]int{}}
	for _, it := range items {
		if it.Action == model.ActionQuiet {
			c.Quiet++
			continue
		}
		c.Count++
		c.ByKind[it.Kind]++
		c.ByAccount[it.Account]++
		if it.Action == model.ActionUrgent {
			c.Urgent++
		}
		if it.Rule == rules.RuleVIP {
			c.VIPs++
		}
	}
	if err := g.st.UpdateStats(day, func(s *store.DayStats) {
		switch {
		case manual:
			s.CheckinsEarly++
		case late:
			s.CheckinsLate++
		default:
			s.CheckinsOnTime++
		}
	}); err != nil {
		g.log.Warn("check-in stats not saved", "err", err)
	}
	g.log.Info("check-in", "released", c.Count, "quiet", c.Quiet, "late", late, "manual", manual)
	g.emitLocked(Event{Kind: EventCheckin, At: now, Checkin: &c})
	return c, nil
}

// Ingest implements model.Sink: it gives each of the batch's items its
// ID, cleans its text, and stores the new ones with the batch's cursors in
// one transaction, classifying each and deciding its fate in the current
// mode on the way. Items already stored (or pruned recently) are skipped
// before they are classified.
func (g *Gate) Ingest(ctx context.Context, b model.Batch) error {
	_, err := g.Accept(ctx, b)
	return err
}

// Accept is Ingest that says what became of the batch's items: it returns
// them in input order as the gate made them, each with its ID and clean
// text. An item stored by this call has its Seq, state, action and log;
// one that was already known or that a rule ignored has Seq 0 (an ignored
// one has Action ActionIgnore). `sluice send` answers with the ID from
// here.
func (g *Gate) Accept(ctx context.Context, b model.Batch) ([]model.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items := make([]model.Item, len(b.Items))
	for i, it := range b.Items {
		if it.Account == "" {
			it.Account = b.Account
		}
		it.Clean() // the one place an item's text is cleaned, for every source
		it.ID = model.ItemID(it.Account, it.SourceID)
		items[i] = it
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	status := g.plan.Mode(now, g.state.Overrides)
	var ignored, urgentUsed int
	spent := map[string]bool{}
	decided := make(map[string]model.Item, len(items))
	// The store calls admit for new items only, inside the transaction
	// that writes them: an item it already knows, pruned or not, is
	// neither classified nor counted against the urgent budget.
	admit := func(it *model.Item) bool {
		it.Ingested = now
		if it.Received.IsZero() {
			it.Received = now
		}
		res := g.set.Rules.Evaluate(it)
		it.Action, it.Rule = res.Action, res.Rule
		decided[it.ID] = *it
		if res.Action == model.ActionIgnore {
			ignored++
			g.log.Debug("ignored", "account", it.Account, "rule", res.Rule)
			return false
		}
		if g.decideLocked(it, res, status, now, urgentUsed) {
			urgentUsed++
			spent[it.ID] = true
		}
		return true
	}
	added, err := g.st.Ingest(store.Batch{
		Items: items, Cursors: b.Cursors, Admit: admit,
		Day: dayOf(g.plan, now), Stats: func(s *store.DayStats, added []model.Item) { countIngest(s, added, ignored) },
	})
	if err != nil {
		return nil, fmt.Errorf("ingest %d items from %s: %w", len(items), b.Account, err)
	}
	for _, it := range added {
		decided[it.ID] = it
		if spent[it.ID] {
			g.state.Urgent = append(g.state.Urgent, now)
		}
		item := it
		item.Body = "" // events carry the snippet; the body is read with Item
		switch {
		case it.Breakthrough:
			g.emitLocked(Event{Kind: EventBreakthrough, At: now, Item: &item})
		case it.State == model.StateReleased:
			g.emitLocked(Event{Kind: EventLive, At: now, Item: &item})
		default:
			g.emitLocked(Event{Kind: EventHeld, At: now, Item: &item})
		}
	}
	if len(spent) > 0 {
		g.saveLocked()
	}
	for i, it := range items {
		if d, ok := decided[it.ID]; ok {
			items[i] = d
		}
	}
	return items, nil
}

// countIngest adds an ingest's items to the day's statistics.
func countIngest(s *store.DayStats, added []model.Item, ignored int) {
	s.Ignored += ignored
	for _, it := range added {
		switch {
		case it.Breakthrough:
			s.Breakthroughs++
		case it.State == model.StateReleased:
			s.Live++
		default:
			s.Held++
			if it.Action == model.ActionUrgent {
				s.BudgetHeld++
			}
			if it.Action == model.ActionQuiet {
				s.Quiet++
			}
		}
	}
}

// decideLocked sets the item's state and writes why into its log. It
// reports whether the item spends a unit of the urgent budget; pending is
// how many this batch already spent.
func (g *Gate) decideLocked(it *model.Item, res rules.Result, st schedule.Status, now time.Time, pending int) (spends bool) {
	zone := g.plan.Zone
	if zone == nil {
		zone = time.Local
	}
	it.Logf(now, "classified %s: %s", res.Action, res.Reason)
	next, _, hasNext := g.plan.NextCheckin(now)
	nextWords := "no check-in scheduled"
	if hasNext {
		nextWords = "next check-in " + model.When(next, now, zone)
		if c, ok := g.plan.CheckinAt(next); ok && c.Moved {
			nextWords += ", moved from " + c.Planned.In(zone).Format("15:04") + " for " + meetingWords(c, zone)
		}
	}
	until := ""
	if !st.Until.IsZero() {
		until = " until " + model.When(st.Until, now, zone)
	}
	hold := func(why string) {
		it.State = model.StateHeld
		it.Logf(now, "held: %s (%s)", why, nextWords)
	}
	live := func(why string) {
		it.State = model.StateReleased
		it.Released = now
		it.Logf(now, "delivered live: %s", why)
	}
	switch st.Mode {
	case model.ModePaused, model.ModeWindow:
		// Everything arrives live; an urgent item is still announced, but
		// it interrupts nothing, so it does not spend the budget.
		why := "Sluice is paused" + until
		if st.Mode == model.ModeWindow {
			why = "check-in window open" + until
		}
		if res.Action == model.ActionUrgent {
			why += "; urgent: " + res.Reason
			it.Breakthrough = true
		}
		live(why)
		return false
	case model.ModeVacation:
		hold("vacation" + until)
		return false
	}
	if res.Action != model.ActionUrgent {
		hold(modeWords(st)) // the schedule's words already say until when
		return false
	}
	if st.Mode == model.ModeOffHours && !g.set.OffHoursDeliver {
		hold("off-hours" + until + "; urgent items wait outside working hours (urgent.off_hours = \"hold\")")
		return false
	}
	used := len(g.state.Urgent) + pending
	if used >= g.set.BudgetPerHour {
		hold(fmt.Sprintf("urgent budget spent (%d of %d this hour); %s", used, g.set.BudgetPerHour, res.Reason))
		return false
	}
	it.State = model.StateReleased
	it.Released = now
	it.Breakthrough = true
	it.Logf(now, "breakthrough: %s (during %s; %d of %d urgent this hour)", res.Reason, modeWords(st), used+1, g.set.BudgetPerHour)
	return true
}

// meetingWords names the meeting that moved a check-in: `meeting
// "Planning" until 11:30`.
func meetingWords(c schedule.ScheduledCheckin, zone *time.Location) string {
	what := "a meeting"
	if c.Meeting != "" {
		what = fmt.Sprintf("meeting %q", c.Meeting)
	}
	return what + " until " + c.MeetingEnd.In(zone).Format("15:04")
}

func modeWords(st schedule.Status) string {
	if st.Reason != "" {
		return st.Reason
	}
	return st.Mode.String()
}

// Cursor implements model.Sink.
func (g *Gate) Cursor(account, key string) ([]byte, error) { return g.st.Cursor(account, key) }

// ReportHealth implements model.Sink.
func (g *Gate) ReportHealth(h model.Health) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	old, had := g.health[h.Account]
	if h.Since.IsZero() {
		h.Since = now
		if had && old.State == h.State {
			h.Since = old.Since
		}
	}
	g.health[h.Account] = h
	if !had || old.State != h.State || old.Detail != h.Detail {
		g.emitLocked(Event{Kind: EventHealth, At: now, Health: &h})
	}
}

// ForgetHealth drops an account's health (account removed).
func (g *Gate) ForgetHealth(account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.health, account)
}

// Health returns every connector's last reported health, by account name.
func (g *Gate) Health() []model.Health {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]model.Health, 0, len(g.health))
	for _, h := range g.health {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// Errors callers test for.
var (
	ErrBadDuration = errors.New("duration must be between 1 minute and 24 hours")
	ErrNoCheckin   = errors.New("no check-in is scheduled in the next week")
	ErrNotInFocus  = errors.New("not in a focus block")
	ErrNotPaused   = errors.New("not paused")
)

// CheckinNow releases everything held at once and opens a check-in window
// of the plan's default length.
func (g *Gate) CheckinNow() (Checkin, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	c, err := g.releaseLocked(now, time.Time{}, false, true, false)
	if err != nil {
		return c, err
	}
	g.state.Overrides.WindowUntil = now.Add(schedule.DefaultWindow)
	g.commitOverridesLocked(now)
	return c, nil
}

// Focus starts a manual focus block for d.
func (g *Gate) Focus(d time.Duration) (Status, error) {
	if d < time.Minute || d > 24*time.Hour {
		return Status{}, ErrBadDuration
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	g.state.Overrides.FocusUntil = now.Add(d)
	g.state.Overrides.SkipFocusUntil = time.Time{}
	g.commitOverridesLocked(now)
	return g.snapshotLocked(now), nil
}

// FocusUntilNextCheckin starts a manual focus block that ends at the next
// scheduled check-in.
func (g *Gate) FocusUntilNextCheckin() (Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	next, _, ok := g.plan.NextCheckin(now)
	if !ok {
		return Status{}, ErrNoCheckin
	}
	g.state.Overrides.FocusUntil = next
	g.state.Overrides.SkipFocusUntil = time.Time{}
	g.commitOverridesLocked(now)
	return g.snapshotLocked(now), nil
}

// EndFocus ends the manual focus block and any scheduled one in progress;
// during a meeting it stops holding for the rest of the meeting.
func (g *Gate) EndFocus() (Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	st := g.plan.Mode(now, g.state.Overrides)
	if st.Mode != model.ModeFocus && st.Mode != model.ModeMeeting {
		return g.snapshotLocked(now), ErrNotInFocus
	}
	g.state.Overrides.FocusUntil = time.Time{}
	// Skip the scheduled block or the meeting running now, until its end.
	if plain := g.plan.Mode(now, schedule.Overrides{}); (plain.Mode == model.ModeFocus || plain.Mode == model.ModeMeeting) && !plain.Until.IsZero() {
		g.state.Overrides.SkipFocusUntil = plain.Until
	}
	g.commitOverridesLocked(now)
	return g.snapshotLocked(now), nil
}

// Pause delivers everything live for d.
func (g *Gate) Pause(d time.Duration) (Status, error) {
	if d < time.Minute || d > 24*time.Hour {
		return Status{}, ErrBadDuration
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	g.state.Overrides.PauseUntil = now.Add(d)
	g.commitOverridesLocked(now)
	return g.snapshotLocked(now), nil
}

// Resume ends a pause.
func (g *Gate) Resume() (Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	if g.state.Overrides.PauseUntil.IsZero() || !now.Before(g.state.Overrides.PauseUntil) {
		return g.snapshotLocked(now), ErrNotPaused
	}
	g.state.Overrides.PauseUntil = time.Time{}
	g.commitOverridesLocked(now)
	return g.snapshotLocked(now), nil
}

func (g *Gate) commitOverridesLocked(now time.Time) {
	g.updateStatusLocked(now)
	g.saveLocked()
	g.Wake()
}

// Done marks items done. Unknown ids fail the whole call.
func (g *Gate) Done(ids []string) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	full := make([]string, 0, len(ids))
	for _, id := range ids {
		it, err := g.st.Get(id)
		if err != nil {
			return 0, fmt.Errorf("item %s: %w", id, err)
		}
		full = append(full, it.ID)
	}
	n, err := g.st.MarkDone(full, now)
	if err == nil && n > 0 {
		g.emitLocked(Event{Kind: EventDone, At: now, Count: n})
	}
	return n, err
}

// DoneAll marks every released item done.
func (g *Gate) DoneAll() (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	n, err := g.st.MarkAllDone(now)
	if err == nil && n > 0 {
		g.emitLocked(Event{Kind: EventDone, At: now, Count: n})
	}
	return n, err
}

// Snooze puts released items back on hold until the next check-in.
func (g *Gate) Snooze(ids []string) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	zone := g.plan.Zone
	if zone == nil {
		zone = time.Local
	}
	words := "the next check-in"
	if next, _, ok := g.plan.NextCheckin(now); ok {
		words = "the check-in at " + model.When(next, now, zone)
	}
	n := 0
	for _, id := range ids {
		_, err := g.st.Update(id, func(it *model.Item) error {
			if it.State == model.StateHeld {
				return nil
			}
			it.State = model.StateHeld
			it.Released, it.Done = time.Time{}, time.Time{}
			it.Logf(now, "snoozed by you until %s", words)
			n++
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("item %s: %w", id, err)
		}
	}
	if n > 0 {
		g.emitLocked(Event{Kind: EventSnoozed, At: now, Count: n})
	}
	return n, nil
}

// Item returns one item by id or unique id prefix.
func (g *Gate) Item(id string) (model.Item, error) { return g.st.Get(id) }

// Page sizes for List.
const (
	DefaultPage = 200
	MaxPage     = 1000
)

// ListQuery asks for one page of the items in a state.
type ListQuery struct {
	// Query keeps only items whose sender, subject, text, channel or
	// account contains it (case-insensitive); empty keeps all.
	Query string
	// Limit is the page size: DefaultPage when 0 or less, at most MaxPage.
	Limit int
	// Before pages towards older items: the page starts just before the
	// item with this Seq (0: at the newest). After pages towards newer
	// items: the page is the items just after this Seq. At most one is set.
	Before, After uint64
}

// Page is one page of items, newest first, and where the next one starts.
type Page struct {
	Items []model.Item `json:"items"`
	// Older is the Before of the next page of older items, when there are
	// any; Newer is the After of the next page of newer ones, when an
	// After query found more.
	Older uint64 `json:"older,omitempty"`
	Newer uint64 `json:"newer,omitempty"`
}

// List returns a page of the items in a state. It walks the state's index
// from the cursor and decodes items a chunk at a time, so the cost of a
// page does not grow with the number of items, and a search reads only as
// far as it needs to fill the page.
func (g *Gate) List(state model.State, lq ListQuery) (Page, error) {
	limit := lq.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	q := strings.ToLower(strings.TrimSpace(lq.Query))
	newest := lq.After == 0
	from := lq.Before
	if !newest {
		from = lq.After
	}
	var p Page
	more := false
	err := g.st.Walk(state, from, newest, func(it model.Item) bool {
		if q != "" && !matches(it, q) {
			return true
		}
		if len(p.Items) == limit {
			more = true
			return false
		}
		p.Items = append(p.Items, it)
		return true
	})
	if err != nil {
		return Page{}, err
	}
	if !newest {
		slices.Reverse(p.Items)
	}
	switch {
	case !more:
	case newest:
		p.Older = p.Items[len(p.Items)-1].Seq
	default:
		p.Newer = p.Items[0].Seq
	}
	return p, nil
}

func matches(it model.Item, q string) bool {
	for _, s := range []string{it.Subject, it.Snippet, it.FromName, it.FromAddr, it.Channel, it.Account} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// Stats returns per-day statistics for the last n days, oldest first.
func (g *Gate) Stats(days int) ([]store.DayStats, error) {
	now := g.clk.Now()
	p := g.Settings().Plan
	from := dayOf(p, now.AddDate(0, 0, -(days-1)))
	return g.st.Stats(from, dayOf(p, now))
}

// Verdict is what would happen to an item arriving now: the rule's result
// and the decision the gate would take, without storing anything.
type Verdict struct {
	Rule     rules.Result `json:"rule"`
	Outcome  string       `json:"outcome"` // "held", "breakthrough", "delivered live", "ignored"
	Decision string       `json:"decision"`
	Mode     model.Mode   `json:"mode"`
}

// Test classifies an item as if it arrived now, changing nothing.
func (g *Gate) Test(it model.Item) Verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	st := g.plan.Mode(now, g.state.Overrides)
	res := g.set.Rules.Evaluate(&it)
	v := Verdict{Rule: res, Mode: st.Mode}
	if res.Action == model.ActionIgnore {
		v.Outcome, v.Decision = "ignored", "ignored: "+res.Reason+" (not stored)"
		return v
	}
	it.Log = nil
	g.decideLocked(&it, res, st, now, 0)
	switch {
	case it.Breakthrough:
		v.Outcome = "breakthrough"
	case it.State == model.StateReleased:
		v.Outcome = "delivered live"
	default:
		v.Outcome = "held"
	}
	if n := len(it.Log); n > 0 {
		v.Decision = it.Log[n-1].Text
	}
	return v
}

// Status is a snapshot of the gate for the tray, CLI and windows.
type Status struct {
	Mode        model.Mode     `json:"mode"`
	Reason      string         `json:"reason"`
	Until       time.Time      `json:"until,omitzero"`
	NextCheckin time.Time      `json:"next_checkin,omitzero"`
	Held        int            `json:"held"`
	Released    int            `json:"released"`
	Zone        string         `json:"zone"`
	Paused      bool           `json:"paused"`
	ManualFocus bool           `json:"manual_focus"`
	UrgentLeft  int            `json:"urgent_left"`
	Health      []model.Health `json:"connectors"`
}

// Status returns a snapshot of the gate now.
func (g *Gate) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.snapshotLocked(g.clk.Now())
}

func (g *Gate) snapshotLocked(now time.Time) Status {
	st := g.plan.Mode(now, g.state.Overrides)
	s := Status{Mode: st.Mode, Reason: st.Reason, Until: st.Until}
	if next, _, ok := g.plan.NextCheckin(now); ok {
		s.NextCheckin = next
	}
	s.Held, _ = g.st.Count(model.StateHeld)
	s.Released, _ = g.st.Count(model.StateReleased)
	zone := g.plan.Zone
	if zone == nil {
		zone = time.Local
	}
	s.Zone = zone.String()
	s.Paused = st.Mode == model.ModePaused
	s.ManualFocus = st.Mode == model.ModeFocus && now.Before(g.state.Overrides.FocusUntil)
	s.UrgentLeft = max(0, g.set.BudgetPerHour-len(g.state.Urgent))
	s.Health = make([]model.Health, 0, len(g.health))
	for _, h := range g.health {
		s.Health = append(s.Health, h)
	}
	sort.Slice(s.Health, func(i, j int) bool { return s.Health[i].Account < s.Health[j].Account })
	return s
}
