package gate

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

// ForgetHealth drops an account's health (account removed).
func (g *Gate) ForgetHealth(account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.health, account)
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
	n, err := g.st.MarkDone(full, now, g.doneStatsLocked)
	if err == nil && n > 0 {
		g.replies.dirty = true
		g.emitLocked(Event{Kind: EventDone, At: now, Count: n})
	}
	return n, err
}

// DoneAll marks every released item done.
func (g *Gate) DoneAll() (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	n, err := g.st.MarkAllDone(now, g.doneStatsLocked)
	if err == nil && n > 0 {
		g.replies.dirty = true
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
		g.replies.dirty = true
		g.emitLocked(Event{Kind: EventSnoozed, At: now, Count: n})
	}
	return n, nil
}
