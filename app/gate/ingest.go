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

// The gate says what it made of a batch (local inbox answers with the ID).
var _ model.AcceptSink = (*Gate)(nil)

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
	res, err := g.storeLocked(store.Batch{
		Items: items, Cursors: b.Cursors, Admit: admit,
		Day: dayOf(g.plan, now), Stats: func(s *store.DayStats, added []model.Item) { countIngest(s, added, ignored) },
		Account: b.Account, Replies: b.Replies,
	})
	if err != nil {
		return nil, fmt.Errorf("ingest %d items from %s: %w", len(items), b.Account, err)
	}
	added := res.Added
	g.answeredLocked(now, res)
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
