package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

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
		if !next.IsZero() && !now.Before(next) {
			// The clock reached the transition since Tick read it (a test
			// clock set at that moment, or a slow tick): tick again now
			// rather than wait for a timer that only a later move fires.
			continue
		}
		d := MaxTick
		if !next.IsZero() {
			if until := next.Sub(now); until < d {
				d = until
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
	g.replies.dirty = true
	c.RepliesDue = g.repliesDueTodayLocked(now)
	g.log.Info("check-in", "released", c.Count, "quiet", c.Quiet, "late", late, "manual", manual)
	g.emitLocked(Event{Kind: EventCheckin, At: now, Checkin: &c})
	return c, nil
}
