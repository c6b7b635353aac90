package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

var _ model.PlacingSink = (*Gate)(nil)

// IngestPlaced implements model.PlacingSink: Ingest, and where each item of
// the batch stands afterwards, in the batch's order. An item stored before
// reports its stored state with New false; one a rule ignores reports
// state 0.
func (g *Gate) IngestPlaced(ctx context.Context, b model.Batch) ([]model.Placement, error) {
	items, err := g.Accept(ctx, b)
	if err != nil {
		return nil, err
	}
	placed := make([]model.Placement, len(items))
	seen := make(map[string]bool, len(items))
	var others []string
	for i, it := range items {
		placed[i].ID = it.ID
		// Accept gives a stored item its Seq; a repeat within the batch
		// is not new.
		if it.Seq != 0 && !seen[it.ID] {
			placed[i].State, placed[i].New = it.State, true
		} else {
			others = append(others, it.ID)
		}
		seen[it.ID] = true
	}
	if len(others) == 0 {
		return placed, nil
	}
	sts, err := g.st.States(others)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	j := 0
	for i := range placed {
		if placed[i].New {
			continue
		}
		placed[i].State = sts[j]
		j++
	}
	return placed, nil
}

// Placements implements model.PlacingSink.
func (g *Gate) Placements(ctx context.Context, account string, sourceIDs []string) ([]model.Placement, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := itemIDs(account, sourceIDs)
	sts, err := g.st.States(ids)
	if err != nil {
		return nil, err
	}
	out := make([]model.Placement, len(ids))
	for i, id := range ids {
		out[i] = model.Placement{ID: id, State: sts[i]}
	}
	return out, nil
}

// Note implements model.PlacingSink: the entry is written at the gate's
// clock's time, in one transaction for all the items.
func (g *Gate) Note(ctx context.Context, account string, sourceIDs []string, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(sourceIDs) == 0 {
		return nil
	}
	_, err := g.st.Annotate(itemIDs(account, sourceIDs), g.clk.Now(), text)
	return err
}

// itemIDs are the IDs the gate gives the account's items with these
// source IDs.
func itemIDs(account string, sourceIDs []string) []string {
	ids := make([]string, len(sourceIDs))
	for i, s := range sourceIDs {
		ids[i] = model.ItemID(account, s)
	}
	return ids
}

// HoldInfo is what a connector that holds mail on the server needs to
// know now (model.HoldInfo): whether the gate holds, whether urgent items
// wait too, the last release and the next check-in. since is the last
// release the caller saw (a check-in, or the gate leaving a holding mode);
// the later of it and the last scheduled check-in counts.
func (g *Gate) HoldInfo(since time.Time) model.HoldInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	st := g.plan.Mode(now, g.state.Overrides)
	h := model.HoldInfo{Since: since}
	switch st.Mode {
	case model.ModeOffHours, model.ModeBetween, model.ModeFocus, model.ModeMeeting:
		h.Holding = true
		h.HoldUrgent = st.Mode == model.ModeOffHours && !g.set.OffHoursDeliver
	case model.ModeVacation:
		h.Holding, h.HoldUrgent = true, true
	}
	if next, _, ok := g.plan.NextCheckin(now); ok {
		h.Until = next
	}
	if cs := g.plan.Checkins(now.Add(-schedule.Horizon), now); len(cs) > 0 {
		for i := len(cs) - 1; i >= 0; i-- {
			if !cs[i].Skipped {
				if at := cs[i].At; at.After(h.Since) {
					h.Since = at
				}
				break
			}
		}
	}
	return h
}

// Holding reports whether a mode holds new items (see model.HoldInfo).
func Holding(m model.Mode) bool {
	switch m {
	case model.ModeWindow, model.ModePaused:
		return false
	}
	return true
}

// CheckinWords names a check-in for a decision log: "check-in 11:00",
// "check-in now (manual) 10:42".
func CheckinWords(c Checkin, zone *time.Location) string {
	if zone == nil {
		zone = time.Local
	}
	if c.Manual || c.Scheduled.IsZero() {
		return "check-in now (manual) " + c.At.In(zone).Format("15:04")
	}
	return "check-in " + c.Scheduled.In(zone).Format("15:04")
}
