package gate

import (
	"context"
	"slices"
	"sort"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

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
