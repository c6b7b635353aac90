package desktop

import (
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

func allOn() config.Notifications {
	return config.Notifications{Checkin: true, Urgent: true, FocusStart: true, FocusEnd: true, Attention: true}
}

func TestCheckinText(t *testing.T) {
	loc := berlin(t)
	at := time.Date(2026, 11, 23, 11, 0, 0, 0, loc)
	for _, tc := range []struct {
		name string
		c    gate.Checkin
		want string
	}{
		{"mail and chat, urgent",
			gate.Checkin{At: at, Scheduled: at, Count: 23, Urgent: 2, ByKind: map[model.Kind]int{model.KindSlack: 18, model.KindIMAP: 5}},
			"Check-in 11:00 — 23 new: 5 mail, 18 Slack · 2 urgent"},
		{"VIPs named apart from other urgent items",
			gate.Checkin{At: at, Scheduled: at, Count: 23, Urgent: 3, VIPs: 2, ByKind: map[model.Kind]int{model.KindSlack: 18, model.KindIMAP: 5}},
			"Check-in 11:00 — 23 new: 5 mail, 18 Slack · 2 from VIPs · 1 urgent"},
		{"late, says when it was due",
			gate.Checkin{At: at.Add(3 * time.Hour), Scheduled: at, Late: true, Count: 4, ByKind: map[model.Kind]int{model.KindIMAP: 4}},
			"Check-in 11:00 (late) — 4 new: 4 mail"},
		{"manual, at the moment it ran",
			gate.Checkin{At: at.Add(7 * time.Minute), Manual: true, Count: 1, ByKind: map[model.Kind]int{model.KindLocal: 1}},
			"Check-in 11:07 — 1 new: 1 local"},
		{"unknown kinds after the known ones",
			gate.Checkin{At: at, Scheduled: at, Count: 3, ByKind: map[model.Kind]int{"zulip": 1, model.KindLocal: 1, "matrix": 1}},
			"Check-in 11:00 — 3 new: 1 local, 1 matrix, 1 zulip"},
		{"other apps' notifications last",
			gate.Checkin{At: at, Scheduled: at, Count: 23, ByKind: map[model.Kind]int{model.KindDesktop: 6, model.KindSlack: 12, model.KindIMAP: 5}},
			"Check-in 11:00 — 23 new: 5 mail, 12 Slack, 6 from other apps"},
		{"nothing new", gate.Checkin{At: at, Scheduled: at}, "Check-in 11:00 — nothing new"},
		{"replies due today",
			gate.Checkin{At: at, Scheduled: at, Count: 5, VIPs: 1, Urgent: 1, RepliesDue: 3, ByKind: map[model.Kind]int{model.KindIMAP: 5}},
			"Check-in 11:00 — 5 new: 5 mail · 1 from VIPs · 3 replies due today"},
		{"one reply due, nothing new", gate.Checkin{At: at, Scheduled: at, RepliesDue: 1}, "Check-in 11:00 — nothing new · 1 reply due today"},
	} {
		if got := checkinText(tc.c, loc); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNotesRules(t *testing.T) {
	loc := berlin(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, loc)
	checkin := func(at time.Time, n int) gate.Event {
		return gate.Event{Kind: gate.EventCheckin, At: at, Checkin: &gate.Checkin{At: at, Scheduled: at, Count: n,
			ByKind: map[model.Kind]int{model.KindIMAP: n}}}
	}
	mode := func(from, to model.Mode, held int) gate.Event {
		return gate.Event{Kind: gate.EventMode, At: now, From: from, Status: gate.Status{Mode: to, Held: held,
			Until: now.Add(50 * time.Minute), NextCheckin: time.Date(2026, 11, 23, 16, 0, 0, 0, loc)}}
	}
	health := func(acc string, st model.HealthState, detail string) gate.Event {
		return gate.Event{Kind: gate.EventHealth, At: now, Health: &model.Health{Account: acc, State: st, Detail: detail}}
	}
	urgent := gate.Event{Kind: gate.EventBreakthrough, At: now, Item: &model.Item{
		FromName: "Boss", FromAddr: "boss@acme.com", Subject: "Need the numbers\nnow", Action: model.ActionUrgent}}

	type step struct {
		e    gate.Event
		sw   func(*config.Notifications)
		want string // "" means no notification
		body string
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"one per check-in, however many events", []step{
			{e: checkin(now, 23), want: "Check-in 12:00 — 23 new: 23 mail"},
			{e: checkin(now, 23)}, // the same check-in again
			{e: checkin(now.Add(4*time.Hour), 1), want: "Check-in 16:00 — 1 new: 1 mail"},
		}},
		{"empty check-ins only when asked", []step{
			{e: checkin(now, 0)},
			{e: checkin(now.Add(time.Hour), 0), sw: func(n *config.Notifications) { n.Empty = true }, want: "Check-in 13:00 — nothing new"},
		}},
		{"switched off", []step{
			{e: checkin(now, 3), sw: func(n *config.Notifications) { n.Checkin = false }},
			{e: urgent, sw: func(n *config.Notifications) { n.Urgent = false }},
			{e: mode(model.ModeBetween, model.ModeFocus, 0), sw: func(n *config.Notifications) { n.FocusStart = false }},
			{e: mode(model.ModeFocus, model.ModeBetween, 0), sw: func(n *config.Notifications) { n.FocusEnd = false }},
			{e: health("Work mail", model.HealthAuthFailed, "x"), sw: func(n *config.Notifications) { n.Attention = false }},
		}},
		{"urgent: sender and subject", []step{
			{e: urgent, want: "Urgent: Boss", body: "Need the numbers now"},
		}},
		{"focus starts and ends", []step{
			{e: mode(model.ModeBetween, model.ModeFocus, 4), want: "Focus until 12:50 — next check-in 16:00"},
			{e: mode(model.ModeFocus, model.ModeFocus, 4)}, // extended: not a new start
			{e: mode(model.ModeFocus, model.ModeBetween, 4), want: "Focus ended — 4 held · next check-in 16:00"},
		}},
		{"a block ending at a check-in is announced by the check-in", []step{
			{e: checkin(now, 2), want: "Check-in 12:00 — 2 new: 2 mail"},
			{e: mode(model.ModeFocus, model.ModeWindow, 0)},
		}},
		{"meetings pop nothing up", []step{
			{e: mode(model.ModeFocus, model.ModeMeeting, 2)}, // a block ending in a meeting
			{e: mode(model.ModeBetween, model.ModeMeeting, 2)},
			{e: mode(model.ModeMeeting, model.ModeBetween, 2)},
		}},
		{"other modes say nothing", []step{
			{e: mode(model.ModeBetween, model.ModeWindow, 0)},
			{e: mode(model.ModeWindow, model.ModeBetween, 0)},
			{e: mode(model.ModeBetween, model.ModeOffHours, 0)},
			{e: gate.Event{Kind: gate.EventHeld, At: now, Item: &model.Item{Subject: "x"}}},
			{e: gate.Event{Kind: gate.EventLive, At: now, Item: &model.Item{Subject: "x"}}},
			{e: gate.Event{Kind: gate.EventDone, At: now, Count: 3}},
		}},
		{"attention once per account until it recovers", []step{
			{e: health("Work mail", model.HealthAuthFailed, "login failed: bad password"), want: "Work mail needs you: login failed: bad password",
				body: "Open Settings ▸ Accounts in Sluice to fix it."},
			{e: health("Work mail", model.HealthBackingOff, "retrying")},
			{e: health("Work mail", model.HealthAuthFailed, "login failed")},
			{e: health("Home mail", model.HealthAuthFailed, ""), want: "Home mail needs you: auth failed", body: "Open Settings ▸ Accounts in Sluice to fix it."},
			{e: health("Work mail", model.HealthConnected, "")},
			{e: health("Work mail", model.HealthAuthFailed, "login failed"), want: "Work mail needs you: login failed", body: "Open Settings ▸ Accounts in Sluice to fix it."},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNotes()
			for i, s := range tc.steps {
				sw := allOn()
				if s.sw != nil {
					s.sw(&sw)
				}
				got, ok := n.For(s.e, sw, loc)
				switch {
				case s.want == "" && ok:
					t.Errorf("step %d (%s): notified %q, want nothing", i, s.e.Kind, got.Title)
				case s.want != "" && !ok:
					t.Errorf("step %d (%s): nothing, want %q", i, s.e.Kind, s.want)
				case ok && (got.Title != s.want || got.Body != s.body):
					t.Errorf("step %d (%s): got %q / %q, want %q / %q", i, s.e.Kind, got.Title, got.Body, s.want, s.body)
				}
			}
		})
	}
}

func TestEscapeMarkup(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                      "plain",
		"Tom & Jerry":                "Tom &amp; Jerry",
		"<b>bold</b>":                "&lt;b&gt;bold&lt;/b&gt;",
		"a &amp; b":                  "a &amp;amp; b",
		`"quotes" and 'apostrophes'`: `"quotes" and 'apostrophes'`,
	} {
		if got := escapeMarkup(in); got != want {
			t.Errorf("escapeMarkup(%q) = %q, want %q", in, got, want)
		}
	}
}
