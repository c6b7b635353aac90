package gate

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
)

// TestSimulatedWeek drives the gate across a week on a fake clock with items
// arriving at random times and one 3-hour sleep over a check-in, and checks
// the gate's promises as properties.
func TestSimulatedWeek(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { simulateWeek(t, seed) })
	}
}

type arrival struct {
	at     time.Time
	src    string
	vip    bool
	mode   model.Mode // the plan's mode when it arrived
	state  model.State
	urgent bool // broke through
}

func simulateWeek(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	f := newFixture(t, "2026-11-23 00:00:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	plan := schedule.TwiceADay(berlin(t))
	start := f.clk.Now()
	end := start.Add(7 * 24 * time.Hour)
	// The sleep: Tuesday 10:00 → 13:00, over the 11:00 check-in.
	sleepFrom, sleepTo := at(t, "2026-11-24 10:00:00"), at(t, "2026-11-24 13:00:00")

	var arrivals []*arrival
	for i := range 400 {
		var tm time.Time
		for {
			tm = start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)))))
			if tm.Before(sleepFrom) || !tm.Before(sleepTo) {
				break // nothing arrives while the machine sleeps
			}
		}
		arrivals = append(arrivals, &arrival{at: tm.Truncate(time.Second), src: fmt.Sprint("s", i), vip: rng.IntN(20) == 0})
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].at.Before(arrivals[j].at) })

	var checkins []Checkin
	collect := func() {
		for _, e := range f.drain() {
			if e.Kind == EventCheckin {
				checkins = append(checkins, *e.Checkin)
			}
		}
	}
	next := 0
	now := start
	due := f.g.Tick()
	for now.Before(end) {
		// Like Run: wake at the next transition or within a minute.
		to := now.Add(time.Duration(10+rng.IntN(50)) * time.Second)
		if !due.IsZero() && due.Before(to) {
			to = due
		}
		if !now.After(sleepFrom) && to.After(sleepFrom) {
			// Tick right before sleeping, then jump.
			f.clk.Set(sleepFrom)
			f.g.Tick()
			collect()
			before := len(checkins)
			f.clk.Set(sleepTo)
			due = f.g.Tick()
			collect()
			if got := len(checkins) - before; got != 1 || !checkins[len(checkins)-1].Late {
				t.Fatalf("after the 3-hour sleep: got %d check-ins, want exactly one, late", got)
			}
			now = sleepTo
			continue
		}
		for next < len(arrivals) && !arrivals[next].at.After(to) {
			a := arrivals[next]
			f.clk.Set(a.at)
			f.g.Tick()
			collect()
			a.mode = plan.Mode(a.at, schedule.Overrides{}).Mode
			from := "x@example.com"
			if a.vip {
				from = "boss@acme.com"
			}
			f.ingest(item(a.src, from, "hello"))
			it := f.get(a.src)
			a.state, a.urgent = it.State, it.Breakthrough
			next++
		}
		f.clk.Set(to)
		due = f.g.Tick()
		collect()
		now = to
	}

	// Every scheduled check-in fired once, except the one slept through,
	// which fired late at wake-up.
	sched := plan.CheckinsBetween(start, end)
	if got, want := len(checkins), len(sched); got != want {
		t.Fatalf("got %d check-ins, want %d (one per scheduled check-in)", got, want)
	}
	for _, c := range checkins {
		if c.Late != c.At.Equal(sleepTo) {
			t.Errorf("check-in at %v: late=%v", c.At, c.Late)
		}
	}

	for _, a := range arrivals {
		it := f.get(a.src)
		// Nothing non-urgent is delivered during focus.
		if a.mode == model.ModeFocus && !a.vip && a.state != model.StateHeld {
			t.Errorf("%s arrived in focus at %v and was %s", a.src, a.at, a.state)
		}
		if a.state != model.StateHeld {
			continue
		}
		// A held item is released at the first check-in after its arrival.
		var want time.Time
		for _, c := range checkins {
			if !c.At.Before(a.at) {
				want = c.At
				break
			}
		}
		if want.IsZero() {
			if it.State != model.StateHeld {
				t.Errorf("%s (arrived %v) is %s with no check-in after it", a.src, a.at, it.State)
			}
			continue
		}
		if it.State != model.StateReleased || !it.Released.Equal(want) {
			t.Errorf("%s arrived %v: got %s at %v, want released at %v", a.src, a.at, it.State, it.Released, want)
		}
	}

	// Nothing lost, nothing duplicated.
	total := 0
	seen := map[string]bool{}
	for _, st := range []model.State{model.StateHeld, model.StateReleased, model.StateDone} {
		f.st.List(st, func(it model.Item) bool {
			if seen[it.ID] {
				t.Errorf("item %s listed twice", it.ID)
			}
			seen[it.ID] = true
			total++
			return true
		})
	}
	if total != len(arrivals) {
		t.Fatalf("store holds %d items, want %d", total, len(arrivals))
	}
	released := 0
	for _, c := range checkins {
		released += c.Count + c.Quiet
	}
	heldAtArrival := 0
	for _, a := range arrivals {
		if a.state == model.StateHeld {
			heldAtArrival++
		}
	}
	stillHeld, _ := f.st.Count(model.StateHeld)
	if released+stillHeld != heldAtArrival {
		t.Fatalf("released %d + still held %d != %d held at arrival", released, stillHeld, heldAtArrival)
	}
}
