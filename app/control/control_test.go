package control

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/store"
)

// fakeBackend answers the few calls these tests make; any other call
// panics through the nil embedded interface, which fails the test.
type fakeBackend struct {
	Backend
	events chan gate.Event
	saved  *config.Config
}

func (f *fakeBackend) Status() Status { return Status{Version: "test", Status: gate.Status{Held: 7}} }
func (f *fakeBackend) Item(id string) (model.Item, error) {
	return model.Item{}, store.ErrNotFound
}
func (f *fakeBackend) SetConfig(c config.Config) error {
	if c.Urgent.BudgetPerHour < 0 {
		return config.Errors{{Field: "urgent.budget_per_hour", Value: "-1", Msg: "must be between 0 and 60"}}
	}
	f.saved = &c
	return nil
}
func (f *fakeBackend) Focus(d time.Duration) (gate.Status, error) {
	return gate.Status{}, gate.ErrBadDuration
}
func (f *fakeBackend) Subscribe(int) (<-chan gate.Event, func()) { return f.events, func() {} }

func serve(t *testing.T, b Backend) (*Client, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Listen(dir, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return NewClient(dir), dir
}

func TestClientServer(t *testing.T) {
	fb := &fakeBackend{events: make(chan gate.Event, 1)}
	c, _ := serve(t, fb)
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.Held != 7 || st.Version != "test" {
		t.Fatalf("status: %+v %v", st, err)
	}

	_, err = c.Item(ctx, "abcd")
	var ce *Error
	if !errors.As(err, &ce) || !ce.NotFound() {
		t.Fatalf("unknown item: got %v, want a not-found error", err)
	}
	if _, err := c.Done(ctx, nil); !errors.As(err, &ce) || ce.Code != 400 {
		t.Fatalf("done with no ids: got %v, want 400", err)
	}
	if _, err := c.Focus(ctx, "soon"); !errors.As(err, &ce) || ce.Code != 400 {
		t.Fatalf("focus soon: got %v, want 400", err)
	}
	if _, err := c.Focus(ctx, "0m"); !errors.As(err, &ce) || ce.Code != 409 {
		t.Fatalf("focus 0m: got %v, want 409", err)
	}

	bad := config.Default()
	bad.Urgent.BudgetPerHour = -1
	if err := c.SetConfig(ctx, bad); !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0] != "urgent.budget_per_hour: -1: must be between 0 and 60" {
		t.Fatalf("bad config: got %v (%+v), want one field error", err, ce)
	}
	if err := c.SetConfig(ctx, config.Default()); err != nil || fb.saved == nil {
		t.Fatalf("good config: %v", err)
	}

	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := c.Events(ectx)
	if err != nil {
		t.Fatal(err)
	}
	fb.events <- gate.Event{Kind: gate.EventCheckin, Checkin: &gate.Checkin{Count: 3}}
	select {
	case e := <-events:
		if e.Kind != gate.EventCheckin || e.Checkin.Count != 3 {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event arrived")
	}
}

func TestNotRunning(t *testing.T) {
	c := NewClient(t.TempDir())
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("got %v, want ErrNotRunning", err)
	}
	if Running(t.TempDir(), 100*time.Millisecond) {
		t.Fatal("Running reported a server where there is none")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"50": 50 * time.Minute, "1h30m": 90 * time.Minute, " 25m ": 25 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%q: got %v %v, want %v", in, got, err, want)
		}
	}
	if _, err := ParseDuration("soon"); err == nil {
		t.Error("accepted soon")
	}
}
