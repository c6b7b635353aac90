package gate

import (
	"sync"
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
	EventAnswered     EventKind = "answered"     // the user's replies answered items (Count of them)
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
	// Count is how many items EventDone and EventSnoozed changed, and how
	// many items an EventHeld or EventLive without Item stands for (a slow
	// subscriber's items, counted instead of sent one by one).
	Count int `json:"count,omitempty"`
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
	// RepliesDue is how many released items wait for the user's reply
	// and fall due by the end of the day (overdue ones included).
	RepliesDue int `json:"replies_due,omitempty"`
}

// Subscribe returns a channel of events and a function to stop them.
//
// No event is dropped. Mode, check-in, health, done, snoozed and calendar
// events and every breakthrough reach a subscriber in the order they happened, however
// far behind it is. Only held and live items, the floods (an import of
// 20,000 messages), are collapsed for a subscriber that falls behind: once
// buf of them wait, further ones of a kind are counted into one event
// (Item nil, Count n) in their place in the order. The gate never waits
// for a subscriber; the channel is closed after stop.
func (g *Gate) Subscribe(buf int) (<-chan Event, func()) {
	if buf < 1 {
		buf = 64
	}
	s := &subscriber{
		out: make(chan Event, buf), done: make(chan struct{}), wake: make(chan struct{}, 1),
		limit: buf, log: g.log,
	}
	g.mu.Lock()
	id := g.nextSub
	g.nextSub++
	g.subs[id] = s
	g.mu.Unlock()
	go s.pump()
	return s.out, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if _, ok := g.subs[id]; ok {
			delete(g.subs, id)
			close(s.done)
		}
	}
}

func (g *Gate) emitLocked(e Event) {
	for _, s := range g.subs {
		s.push(e)
	}
}

// collapsible reports whether events of kind k stand for one item each and
// may be counted instead of sent one by one.
func collapsible(k EventKind) bool { return k == EventHeld || k == EventLive }

// subscriber is one Subscribe: events go straight into its channel while
// there is room, and into its queue when there is not (or when earlier
// ones wait there); pump moves the queue into the channel as the reader
// makes room.
type subscriber struct {
	out  chan Event
	done chan struct{} // closed by stop
	wake chan struct{} // the queue has something
	log  interface {
		Warn(msg string, args ...any)
		Info(msg string, args ...any)
	}

	mu        sync.Mutex
	queue     []Event // waiting, in order; queue[0] may be in flight
	items     int     // item events in the queue sent one by one
	limit     int     // how many such may wait before they are counted
	behind    bool    // collapsing since the queue was last empty
	collapsed int     // item events counted in this burst
}

// push queues e without ever blocking.
func (s *subscriber) push(e Event) {
	s.mu.Lock()
	if len(s.queue) == 0 {
		select {
		case s.out <- e:
			s.mu.Unlock()
			return
		default:
		}
	}
	warn := false
	switch {
	case !collapsible(e.Kind):
		s.queue = append(s.queue, e)
	case s.items < s.limit && !s.behind:
		s.queue = append(s.queue, e)
		s.items++
	default:
		// Count it into this kind's counting event after the last event
		// that is not an item (order matters only around those); the
		// first one may be in flight, so it is never changed.
		counted := false
		for i := len(s.queue) - 1; i >= 1 && collapsible(s.queue[i].Kind); i-- {
			if q := &s.queue[i]; q.Kind == e.Kind && q.Item == nil {
				q.Count++
				q.At = e.At
				counted = true
				break
			}
		}
		if !counted {
			s.queue = append(s.queue, Event{Kind: e.Kind, At: e.At, Count: 1})
		}
		s.collapsed++
		warn = !s.behind
		s.behind = true
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if warn {
		s.log.Warn("an event subscriber is falling behind; counting held and live items for it until it catches up (mode, check-in and health events still reach it)")
	}
}

// pump sends the queue, in order, as the reader makes room.
func (s *subscriber) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		e := s.queue[0]
		s.mu.Unlock()
		select {
		case s.out <- e:
		case <-s.done:
			return
		}
		s.mu.Lock()
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		if collapsible(e.Kind) && e.Item != nil {
			s.items--
		}
		caughtUp := len(s.queue) == 0 && s.behind
		n := s.collapsed
		if caughtUp {
			s.behind, s.collapsed = false, 0
		}
		s.mu.Unlock()
		if caughtUp {
			s.log.Info("the event subscriber caught up", "counted_items", n)
		}
	}
}
