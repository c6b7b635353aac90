package gate

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
)

// TestIngestPlacedSaysWhereEachItemStands: for holding on the server the
// connector learns, in the batch's order, which items this batch stored
// (and whether the gate held them), which it knew before (a message moved
// back into INBOX under a new UID) and which a rule ignored; it names
// items by source ID only, and notes land in the items' logs.
func TestIngestPlacedSaysWhereEachItemStands(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", // a focus block
		[]rules.Rule{{Name: "spam", From: []string{"spam.com"}, Action: model.ActionIgnore}},
		rules.Builtins{VIPs: []string{"boss@acme.com"}})
	f.ingest(item("known", "a@b.c", "seen before"))
	if _, err := f.g.CheckinNow(); err != nil {
		t.Fatal(err)
	}
	batch := model.Batch{Account: "mail", Items: []model.Item{
		item("known", "a@b.c", "seen before"),
		item("spam", "x@spam.com", "buy"),
		item("new", "a@b.c", "hello"),
		item("vip", "boss@acme.com", "now"),
		item("new", "a@b.c", "hello"), // twice in one batch
	}}
	got, err := f.g.IngestPlaced(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Placement{
		{ID: model.ItemID("mail", "known"), State: model.StateReleased},
		{ID: model.ItemID("mail", "spam")},
		{ID: model.ItemID("mail", "new"), State: model.StateHeld, New: true},
		{ID: model.ItemID("mail", "vip"), State: model.StateReleased, New: true},
		{ID: model.ItemID("mail", "new"), State: model.StateHeld},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d placements, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("placement %d (%s) = %+v, want %+v", i, batch.Items[i].SourceID, got[i], want[i])
		}
	}

	ps, err := f.g.Placements(context.Background(), "mail", []string{"new", "gone", "known"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].State != model.StateHeld || ps[1].State != 0 || ps[2].State != model.StateReleased || ps[0].ID != model.ItemID("mail", "new") {
		t.Errorf("Placements = %+v", ps)
	}
	if err := f.g.Note(context.Background(), "mail", []string{"new", "gone"}, model.MailMovedPrefix+"Sluice/Held"); err != nil {
		t.Fatal(err)
	}
	if l := lastLog(f.get("new")); l != "mail moved to Sluice/Held" {
		t.Errorf("last log entry = %q", l)
	}
	if trail := model.MailTrail(f.get("new").Log, berlin(t)); trail != "moved to Sluice/Held 09:30" {
		t.Errorf("MailTrail = %q", trail)
	}
}

// TestHoldInfo: the gate tells a connector whether it holds, whether
// urgent items wait too, the last check-in and the next.
func TestHoldInfo(t *testing.T) {
	f := newFixture(t, "2026-11-23 09:30:00", nil, rules.Builtins{})
	h := f.g.HoldInfo(at(t, "2026-11-23 08:00:00"))
	if !h.Holding || h.HoldUrgent || !h.Until.Equal(at(t, "2026-11-23 11:00:00")) || !h.Since.Equal(at(t, "2026-11-23 08:00:00")) {
		t.Errorf("focus: %+v", h)
	}
	f.clk.Set(at(t, "2026-11-23 11:10:00"))
	f.g.Tick()
	h = f.g.HoldInfo(at(t, "2026-11-23 08:00:00"))
	if h.Holding || !h.Since.Equal(at(t, "2026-11-23 11:00:00")) {
		t.Errorf("check-in window: %+v (want not holding, since the 11:00 check-in)", h)
	}
	for _, m := range []model.Mode{model.ModeWindow, model.ModePaused} {
		if Holding(m) {
			t.Errorf("Holding(%s) = true", m)
		}
	}
	if !Holding(model.ModeFocus) || !strings.HasPrefix(CheckinWords(Checkin{Manual: true, At: at(t, "2026-11-23 10:42:00")}, berlin(t)), "check-in now (manual) 10:42") {
		t.Error("Holding(focus) or CheckinWords")
	}
}
