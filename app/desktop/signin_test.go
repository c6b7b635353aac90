package desktop

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/assets"
)

// An account whose sign-in the provider no longer accepts gets one
// notification and a tray item that starts the sign-in in the browser,
// whether or not the windows are available.

func TestSignInNeededMenu(t *testing.T) {
	loc := berlin(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, loc)
	signIn := model.Health{Account: "Work", State: model.HealthSignInNeeded, Detail: "Microsoft no longer accepts the sign-in of Work (invalid_grant); sign in again: sign-in needed"}
	st := gate.Status{Mode: model.ModeBetween, NextCheckin: time.Date(2026, 11, 23, 16, 0, 0, 0, loc), Zone: "Europe/Berlin", Health: []model.Health{signIn}}
	for _, windows := range []bool{true, false} {
		v := render(snapshot{Status: st, Now: now, Windows: windows}, func(int) string { return "Sluice" })
		if v.Icon != assets.IconError {
			t.Errorf("icon %s, want the error icon", v.Icon)
		}
		got := entryLabels(v.Menu)
		if len(got) < 2 || got[1] != "Sign in to Work…" {
			t.Fatalf("menu %q, want the sign-in item second", got)
		}
		e, _ := findEntry(v.Menu, "Sign in to Work")
		if e.Action != action(signInPrefix+"Work") || !e.Enabled || !strings.Contains(e.Tooltip, "browser") {
			t.Errorf("windows=%v: sign-in item %+v", windows, e)
		}
		if !strings.Contains(v.Tooltip, "Work: Microsoft no longer accepts") {
			t.Errorf("tooltip %q", v.Tooltip)
		}
	}
}

func TestSignInNeededNotifiedOnce(t *testing.T) {
	n := newNotes()
	h := func(state model.HealthState) gate.Event {
		return gate.Event{Kind: gate.EventHealth, Health: &model.Health{Account: "Work", State: state, Detail: "sign-in needed"}}
	}
	var got []Note
	for _, s := range []model.HealthState{model.HealthSignInNeeded, model.HealthSignInNeeded, model.HealthBackingOff, model.HealthSignInNeeded,
		model.HealthConnected, model.HealthSignInNeeded} {
		if note, ok := n.For(h(s), allOn(), time.UTC); ok {
			got = append(got, note)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d notifications, want 2 (once, and again after it recovered)", len(got))
	}
	if got[0].Kind != NoteAttention || got[0].Title != "Sign in to Work" ||
		got[0].Body != "Choose “Sign in to Work…” in Sluice's menu, or run `sluice account login Work`." {
		t.Errorf("notification %+v", got[0])
	}
	sw := allOn()
	sw.Attention = false
	if _, ok := newNotes().For(h(model.HealthSignInNeeded), sw, time.UTC); ok {
		t.Error("notified with attention notifications off")
	}
}

// TestSignInFromTheTray: the tray's action makes the resident process
// start the sign-in and open the browser at the provider.
func TestSignInFromTheTray(t *testing.T) {
	secrets.MockForTests()
	p := oidctest.New(t, oidctest.Options{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	conf := fmt.Sprintf(`version = 1
[[accounts]]
name = "Work"
kind = "imap"
host = "127.0.0.1"
port = 1
username = "alice@example.com"
auth = "oauth2"
oauth_provider = "oidc"
oauth_issuer = %q
oauth_client_id = %q
oauth_client_secret = %q
`, p.Issuer, p.ClientID, p.ClientSecret)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opened := make(chan string, 1)
	a, err := app.New(app.Options{ConfigPath: cfg, DataDir: filepath.Join(dir, "data"),
		OpenURL: func(u string) error { opened <- u; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	// Running, so that the store is closed before the temp dir goes
	// (Windows refuses to delete an open file).
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	d := &desktop{a: a, log: slog.New(slog.DiscardHandler)}
	if err := d.do(action(signInPrefix + "Work")); err != nil {
		t.Fatalf("sign-in action: %v", err)
	}
	select {
	case u := <-opened:
		if !strings.HasPrefix(u, p.Issuer) || !strings.Contains(u, "code_challenge_method=S256") {
			t.Errorf("opened %q", u)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no browser opened")
	}
	if err := d.do(action(signInPrefix + "Nobody")); err == nil {
		t.Error("signing in an unknown account did not fail")
	}
}
