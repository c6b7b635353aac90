package gate

import (
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// EventKind names what happened.
type EventKind string

// Event kinds.
const (
	EventHeld         EventKind = "held"         // an item was stored and held
	EventLive         EventKind = "live"         // an item was delivered live (window open, or paused)
	EventBreakthrough EventKind = "breakthrough" // an urgent item broke through
	EventCheckin      EventKind = "checkin"      // a check-in released the held items (exactly one per check-in)
	EventMode         EventKind = "mode"         // the mode or its end changed
	EventHealth       EventKind = "health"       // a connector's health changed
	EventDone         EventKind = "done"         // items were marked done
	EventSnoozed      EventKind = "snoozed"      // items were put back on hold
	EventCalendar     EventKind = "calendar"     // a calendar's busy time changed: the plan was redone
)

// Event is one typed notice from the gate. Exactly the field that belongs
// to Kind is set.
type Event struct {
	Kind    EventKind     `json:"kind"`
	At      time.Time     `json:"at"`
	Item    *model.Item   `json:"item,omitempty"`
	Checkin *Checkin      `json:"checkin,omitempty"`
	Status  Status        `json:"status,omitzero"`
	From    model.Mode    `json:"from,omitempty"` // EventMode: the mode before
	Health  *model.Health `json:"health,omitempty"`
	Count   int           `json:"count,omitempty"` // EventDone, EventSnoozed
}

// Checkin summarises one check-in.
type Checkin struct {
	At        time.Time          `json:"at"`
	Scheduled time.Time          `json:"scheduled,omitzero"` // zero for a manual check-in
	Late      bool               `json:"late,omitempty"`
	Manual    bool               `json:"manual,omitempty"`
	Count     int                `json:"count"` // released, not counting quiet items
	Quiet     int                `json:"quiet"`
	Urgent    int                `json:"urgent"` // urgent items that had to wait (budget, off-hours)
	VIPs      int                `json:"vips"`   // released items from VIP senders
	ByKind    map[model.Kind]int `json:"by_kind"`
	ByAccount map[string]int     `json:"by_account"`
}

// Subscribe returns a channel of events and a function to stop them. A
// subscriber that falls more than buf events behind loses events rather
// than stalling the gate; it sees a gap, never a stuck ingest.
func (g *Gate) Subscribe(buf int) (<-chan Event, func()) {
	if buf < 1 {
		buf = 64
	}
	ch := make(chan Event, buf)
	g.mu.Lock()
	id := g.nextSub
	g.nextSub++
	g.subs[id] = ch
	g.mu.Unlock()
	return ch, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if c, ok := g.subs[id]; ok {
			delete(g.subs, id)
			close(c)
		}
	}
}

func (g *Gate) emitLocked(e Event) {
	for _, ch := range g.subs {
		select {
		case ch <- e:
		default:
			g.log.Warn("event dropped for a slow subscriber", "kind", e.Kind)
		}
	}
}
