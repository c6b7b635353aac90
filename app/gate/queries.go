package gate

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/store"
)

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
	it.Clean() // as Ingest does: the rules see what they would see
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
