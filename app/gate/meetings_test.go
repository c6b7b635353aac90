package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
)

// withMeetings switches every meeting rule on for the fixture's plan.
func (f *fixture) withMeetings() {
	set := f.g.Settings()
	set.Plan.Meetings = schedule.Meetings{MoveCheckins: true, Hold: true, AllDay: true}
	f.g.Configure(set)
	f.g.Tick()
}

func TestMeetingMovesCheckinAndHolds(t *testing.T) {
	f := newFixture(t, "2026-11-23 10:00:00", nil, rules.Builtins{VIPs: []string{"boss@acme.com"}})
	f.withMeetings()
	f.drain()
	planning := model.Busy{Title: "Planning", Account: "Work", Start: at(t, "2026-11-23 10:30:00"), End: at(t, "2026-11-23 11:20:00")}
	if err := f.g.SetBusy(context.Background(), "Work", []model.Busy{planning}, []model.Cursor{{Account: "Work", Key: "calendar", Value: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	if len(only(f.drain(), EventCalendar)) != 1 {
		t.Errorf("no calendar event after SetBusy")
	}
	if next := f.g.Status().NextCheckin; !next.Equal(at(t, "2026-11-23 11:20:00")) {
		t.Errorf("next check-in: got %s, want the moved 11:20", next)
	}

	f.clk.Set(at(t, "2026-11-23 10:40:00"))
	f.g.Tick()
	if st := f.g.Status(); st.Mode != model.ModeMeeting || st.Reason != "meeting: Planning 10:30–11:20" {
		t.Errorf("at 10:40: got %v (%q), want meeting", st.Mode, st.Reason)
	}
	f.ingest(item("m1", "someone@example.com", "hello"), item("m2", "boss@acme.com", "now please"))
	if it := f.get("m1"); it.State != model.StateHeld ||
		!strings.Contains(lastLog(it), `held: meeting: Planning 10:30–11:20 (next check-in 11:20, moved from 11:00 for meeting "Planning" until 11:20)`) {
		t.Errorf("normal item in a meeting: %v %q", it.State, lastLog(it))
	}
	if it := f.get("m2"); !it.Breakthrough {
		t.Errorf("urgent item in a meeting was held: %q", lastLog(it))
	}

	// 11:00 passes without a check-in; at 11:20 the held item is released.
	f.clk.Set(at(t, "2026-11-23 11:00:00"))
	f.g.Tick()
	if it := f.get("m1"); it.State != model.StateHeld {
		t.Errorf("released at 11:00, inside the meeting")
	}
	f.clk.Set(at(t, "2026-11-23 11:20:00"))
	f.g.Tick()
	it := f.get("m1")
	if it.State != model.StateReleased || lastLog(it) != `released: check-in 11:20 (moved from 11:00: meeting "Planning" until 11:20)` {
		t.Errorf("at 11:20: %v %q", it.State, lastLog(it))
	}

	// The busy time survives a restart, and goes with its account.
	f2 := reopen(t, f)
	if p := f2.g.Plan(); len(p.Busy) != 1 || p.Busy[0].Title != "Planning" {
		t.Errorf("after restart: busy %+v", p.Busy)
	}
	f2.g.ForgetBusy("Work")
	if p := f2.g.Plan(); len(p.Busy) != 0 {
		t.Errorf("after ForgetBusy: %+v", p.Busy)
	}
	if c, _ := f2.st.Cursor("Work", "calendar"); c != nil {
		t.Errorf("the account's cursor outlived it")
	}
}

func TestEndFocusDuringMeeting(t *testing.T) {
	f := newFixture(t, "2026-11-23 12:00:00", nil, rules.Builtins{})
	f.withMeetings()
	_ = f.g.SetBusy(context.Background(), "Work", []model.Busy{{Title: "1:1", Start: at(t, "2026-11-23 12:00:00"), End: at(t, "2026-11-23 12:30:00")}}, nil)
	if st := f.g.Status(); st.Mode != model.ModeMeeting {
		t.Fatalf("mode %v, want meeting", st.Mode)
	}
	st, err := f.g.EndFocus()
	if err != nil || st.Mode != model.ModeBetween {
		t.Errorf("end focus in a meeting: %v, %v", st.Mode, err)
	}
	f.clk.Set(at(t, "2026-11-23 12:30:00").Add(time.Minute))
	f.g.Tick()
	if st := f.g.Status(); st.Mode != model.ModeBetween {
		t.Errorf("after the meeting: %v", st.Mode)
	}
}

// reopen closes the fixture's store and opens a new gate on it.
func reopen(t *testing.T, f *fixture) *fixture {
	t.Helper()
	f.st.Close()
	return openFixture(t, f.dir, f.clk.Now().In(berlin(t)).Format("2006-01-02 15:04:05"), nil, rules.Builtins{})
}

// TestMeetingChangesAfterTheFact: a meeting that arrives after its
// check-in happened does not make it happen twice, and a check-in a
// meeting had moved later happens at once when the meeting goes away after
// its planned time.
func TestMeetingChangesAfterTheFact(t *testing.T) {
	f := newFixture(t, "2026-11-23 10:58:00", nil, rules.Builtins{})
	f.withMeetings()
	f.ingest(item("a", "x@example.com", "one"))
	f.clk.Set(at(t, "2026-11-23 11:00:00"))
	f.g.Tick()
	f.drain()
	// The meeting turns up in the calendar at 11:05, backdated over 11:00.
	f.clk.Set(at(t, "2026-11-23 11:05:00"))
	_ = f.g.SetBusy(context.Background(), "Work", []model.Busy{{Title: "Planning", Start: at(t, "2026-11-23 10:30:00"), End: at(t, "2026-11-23 11:20:00")}}, nil)
	f.ingest(item("b", "x@example.com", "two"))
	f.clk.Set(at(t, "2026-11-23 11:20:00"))
	f.g.Tick()
	if n := len(only(f.drain(), EventCheckin)); n != 0 {
		t.Errorf("the 11:00 check-in happened again at 11:20 (%d check-ins)", n)
	}

	// Tomorrow: the meeting moves 11:00 to 11:20, and is cancelled at 11:10.
	f.clk.Set(at(t, "2026-11-24 10:50:00"))
	f.g.Tick()
	_ = f.g.SetBusy(context.Background(), "Work", []model.Busy{{Title: "Planning", Start: at(t, "2026-11-24 10:30:00"), End: at(t, "2026-11-24 11:20:00")}}, nil)
	f.clk.Set(at(t, "2026-11-24 11:00:00"))
	f.g.Tick()
	f.ingest(item("c", "x@example.com", "three"))
	f.drain()
	f.clk.Set(at(t, "2026-11-24 11:10:00"))
	_ = f.g.SetBusy(context.Background(), "Work", nil, nil)
	f.g.Tick()
	if n := len(only(f.drain(), EventCheckin)); n != 1 {
		t.Fatalf("%d check-ins after the meeting went away, want the 11:00 one at once", n)
	}
	if it := f.get("c"); it.State != model.StateReleased || lastLog(it) != "released: check-in 11:00, done at 11:10 (the meeting that had moved it later is gone)" {
		t.Errorf("item c: %v %q", it.State, lastLog(it))
	}
	// And it does not happen again.
	f.clk.Set(at(t, "2026-11-24 11:20:00"))
	f.g.Tick()
	if n := len(only(f.drain(), EventCheckin)); n != 0 {
		t.Errorf("%d more check-ins at 11:20", n)
	}
}
