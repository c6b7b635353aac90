package gate

import (
	"cmp"
	"slices"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

// Keeping the promise: the connectors report the user's replies with their
// batches, the store marks the items they answer (see store/replies.go),
// and the gate says what still waits for a reply, when each falls due
// under the promise, and counts every reply within the promise or late in
// the stats of the day it was sent.

// WaitingReply is one released item that waits for the user's reply.
type WaitingReply struct {
	ID       string     `json:"id"`
	Kind     model.Kind `json:"kind"`
	Account  string     `json:"account"`
	Sender   string     `json:"sender"`
	Subject  string     `json:"subject"`
	Channel  string     `json:"channel,omitempty"`
	Link     string     `json:"link,omitempty"`
	Received time.Time  `json:"received"`
	// Due is when the promise falls due; zero when the plan gives no
	// time (a plan without working days or check-ins).
	Due     time.Time `json:"due,omitzero"`
	Overdue bool      `json:"overdue"`
}

// Replies is what waits for the user's reply, soonest due first.
type Replies struct {
	// Promise is the promise as the config writes it ("24h"), Words as a
	// person says it ("within 24 hours").
	Promise string `json:"promise"`
	Words   string `json:"words"`
	// Items are the released items not answered yet, by due time (overdue
	// first), then by arrival.
	Items []WaitingReply `json:"items"`
	// Overdue counts the items past due, DueToday those due by the end of
	// today (the overdue ones too).
	Overdue  int `json:"overdue"`
	DueToday int `json:"due_today"`
	// At is when this was worked out.
	At time.Time `json:"at"`
}

// replyCache keeps the last Replies until something changes it: an item
// released, answered, done or snoozed, a new promise, or a minute passing
// (items become overdue as time goes by).
type replyCache struct {
	dirty bool
	last  Replies
	ok    bool
}

// replyCacheAge is how long a worked-out list is trusted.
const replyCacheAge = time.Minute

// awaitsReply reports whether an item is one the user owes a reply: it
// came through a channel whose replies Sluice sees, it is not answered,
// and the user's rules did not mark it quiet (newsletters, notifications).
func awaitsReply(it *model.Item) bool {
	return it.ReplyKey != "" && it.Answered.IsZero() && it.Action != model.ActionQuiet
}

// promiseLocked is the promise in force.
func (g *Gate) promiseLocked() schedule.Promise {
	if g.set.Promise.Kind != 0 {
		return g.set.Promise
	}
	p, _ := schedule.ParsePromise(schedule.DefaultPromise)
	return p
}

// Promise is the reply promise in force.
func (g *Gate) Promise() schedule.Promise {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.promiseLocked()
}

// Due is when a reply to it falls due under the promise in force.
func (g *Gate) Due(it model.Item) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.plan.Due(g.promiseLocked(), it.Received)
}

// replyStatsLocked is the store's Answered callback: the reply counts in
// the stats of the day it was sent, within the promise or late, with how
// long it took from the message's arrival. An item the user had marked
// done before the reply was seen was counted as "no reply needed" on the
// day it was done; it is taken back from there.
func (g *Gate) replyStatsLocked(it model.Item) []store.StatsChange {
	due, ok := g.plan.Due(g.promiseLocked(), it.Received)
	late := ok && it.Answered.After(due)
	changes := []store.StatsChange{{Day: dayOf(g.plan, it.Answered), Apply: func(d *store.DayStats) {
		if late {
			d.RepliesLate++
		} else {
			d.RepliesOnTime++
		}
		d.AddReplyWait(it.Answered.Sub(it.Received))
	}}}
	if it.State == model.StateDone && !it.Done.IsZero() && it.Action != model.ActionQuiet {
		changes = append(changes, store.StatsChange{Day: dayOf(g.plan, it.Done), Apply: func(d *store.DayStats) {
			d.NoReplyNeeded = max(0, d.NoReplyNeeded-1)
		}})
	}
	return changes
}

// doneStatsLocked is the store's callback when the user marks an item
// done: one that waited for a reply counts as "no reply needed" that day.
func (g *Gate) doneStatsLocked(it model.Item) []store.StatsChange {
	if !awaitsReply(&it) {
		return nil
	}
	return []store.StatsChange{{Day: dayOf(g.plan, it.Done), Apply: func(d *store.DayStats) { d.NoReplyNeeded++ }}}
}

// storeLocked stores a batch's new items, cursors and replies in one
// transaction, with the day's stats and the stats of every reply.
func (g *Gate) storeLocked(b store.Batch) (store.Ingested, error) {
	b.Answered = g.replyStatsLocked
	return g.st.IngestReplies(b)
}

// answeredLocked tells subscribers which items the batch's replies
// answered.
func (g *Gate) answeredLocked(now time.Time, res store.Ingested) {
	if len(res.Answered) == 0 {
		return
	}
	g.replies.dirty = true
	g.log.Info("replies recorded", "answered", len(res.Answered))
	g.emitLocked(Event{Kind: EventAnswered, At: now, Count: len(res.Answered)})
}

// Replies lists the released items that wait for the user's reply, by
// when the promise falls due.
func (g *Gate) Replies() (Replies, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.repliesLocked(g.clk.Now())
}

func (g *Gate) repliesLocked(now time.Time) (Replies, error) {
	c := &g.replies
	if c.ok && !c.dirty && !now.Before(c.last.At) && now.Sub(c.last.At) < replyCacheAge {
		return c.last, nil
	}
	pr := g.promiseLocked()
	out := Replies{Promise: pr.String(), Words: pr.Words(), Items: []WaitingReply{}, At: now}
	endOfDay := g.endOfDayLocked(now)
	err := g.st.List(model.StateReleased, func(it model.Item) bool {
		if !awaitsReply(&it) {
			return true
		}
		w := WaitingReply{ID: it.ID, Kind: it.Kind, Account: it.Account, Sender: it.From(), Subject: it.Subject,
			Channel: it.Channel, Link: it.Link, Received: it.Received}
		if due, ok := g.plan.Due(pr, it.Received); ok {
			w.Due = due
			w.Overdue = now.After(due)
			if w.Overdue {
				out.Overdue++
			}
			if !due.After(endOfDay) {
				out.DueToday++
			}
		}
		out.Items = append(out.Items, w)
		return true
	})
	if err != nil {
		return Replies{}, err
	}
	slices.SortStableFunc(out.Items, func(a, b WaitingReply) int {
		switch {
		case a.Due.IsZero() != b.Due.IsZero():
			if a.Due.IsZero() {
				return 1
			}
			return -1
		case !a.Due.Equal(b.Due):
			return a.Due.Compare(b.Due)
		}
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.ID, b.ID))
	})
	*c = replyCache{last: out, ok: true}
	return out, nil
}

// endOfDayLocked is the midnight that ends now's day in the plan's zone.
func (g *Gate) endOfDayLocked(now time.Time) time.Time {
	d := schedule.DateOf(now.In(g.zoneLocked()))
	return g.plan.At(d.AddDays(1), schedule.TimeOfDay{})
}

func (g *Gate) zoneLocked() *time.Location {
	if g.plan.Zone == nil {
		return time.Local
	}
	return g.plan.Zone
}

// repliesDueTodayLocked is Replies.DueToday, for the check-in summary; an
// error only costs the count.
func (g *Gate) repliesDueTodayLocked(now time.Time) int {
	r, err := g.repliesLocked(now)
	if err != nil {
		g.log.Warn("replies due not counted", "err", err)
		return 0
	}
	return r.DueToday
}
