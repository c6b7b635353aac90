package gate

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
)

// logRecorder keeps the messages logged at each level.
type logRecorder struct {
	mu   sync.Mutex
	msgs map[slog.Level][]string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs[rec.Level] = append(r.msgs[rec.Level], rec.Message)
	return nil
}

func (r *logRecorder) count(level slog.Level, substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs[level] {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

// A subscriber that does not read while 20,000 items arrive (an IMAP
// import during IDLE) still gets every mode, check-in and health event, in
// order, and the items counted; the gate never waits for it; and the log
// says so once, not once per item.
func TestSlowSubscriberMissesNoStateEvent(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &logRecorder{msgs: map[slog.Level][]string{}}
	clk := clock.NewFake(at(t, "2026-11-23 07:00:00")) // Monday, off-hours
	g, err := New(st, clk, Settings{Plan: schedule.TwiceADay(berlin(t)), BudgetPerHour: 3}, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	g.Tick()
	slow, stop := g.Subscribe(64) // never read until the end
	defer stop()

	n := 0
	ingest := func(count int) {
		for range count / 500 {
			var batch []model.Item
			for range 500 {
				batch = append(batch, item(fmt.Sprintf("m%d", n), "ann@example.com", "hello"))
				n++
			}
			if err := g.Ingest(context.Background(), model.Batch{Account: "mail", Items: batch}); err != nil {
				t.Fatal(err)
			}
		}
	}
	health := func(s model.HealthState) {
		g.ReportHealth(model.Health{Account: "mail", Kind: model.KindIMAP, State: s})
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ingest(5000)
	health(model.HealthConnected)
	must(g.Focus(50 * time.Minute))
	ingest(5000)
	health(model.HealthBackingOff)
	must(g.EndFocus())
	ingest(5000)
	must(g.CheckinNow()) // releases 15,000, opens a window
	ingest(5000)         // live in the window
	health(model.HealthConnected)

	want := []string{"health connected", "mode focus", "health backing-off", "mode off-hours", "checkin 15000", "mode window", "health connected"}
	var got []string
	items := map[EventKind]int{}
	counted, events := 0, 0
	deadline := time.After(30 * time.Second) // a failsafe: the events are all queued already
	for len(got) < len(want) {
		var e Event
		select {
		case e = <-slow:
		case <-deadline:
			t.Fatalf("only these state events arrived: %q", got)
		}
		events++
		switch e.Kind {
		case EventHeld, EventLive:
			if e.Item != nil {
				items[e.Kind]++
			} else {
				items[e.Kind] += e.Count
				counted++
			}
		case EventHealth:
			got = append(got, "health "+string(e.Health.State))
		case EventMode:
			got = append(got, "mode "+e.Status.Mode.String())
		case EventCheckin:
			got = append(got, fmt.Sprint("checkin ", e.Checkin.Count))
		default:
			t.Fatalf("unexpected event %+v", e)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("state events\n got %q\nwant %q", got, want)
	}
	if items[EventHeld] != 15000 || items[EventLive] != 5000 {
		t.Errorf("items: %d held, %d live; want 15000 and 5000", items[EventHeld], items[EventLive])
	}
	if counted == 0 || events > 1000 {
		t.Errorf("%d events (%d of them counting items) for 20,000 items", events, counted)
	}
	select {
	case e := <-slow:
		t.Errorf("an event after the last one: %+v", e)
	default:
	}
	if w := rec.count(slog.LevelWarn, "falling behind"); w != 1 {
		t.Errorf("%d warnings about the slow subscriber, want 1 for the one burst", w)
	}
	t.Logf("%d events reached the slow subscriber for 20,000 items and 7 state changes (%d counting events)", events, counted)
}
