package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/github/githubtest"
	"github.com/sluice-app/sluice/connectors/matrix/dendritetest"
)

// runApp starts a Sluice on dir with cfg (TOML) and the clock, and returns
// it with a stop that waits for Run.
func runApp(t *testing.T, dir, cfg string, clk clock.Clock) (*App, func()) {
	t.Helper()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{ConfigPath: path, DataDir: filepath.Join(dir, "data"), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return")
		}
	}
	t.Cleanup(stop)
	return a, stop
}

func waitItems(t *testing.T, a *App, state model.State, n int) []model.Item {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		items, err := listItems(a, state)
		if err == nil && len(items) >= n {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s items, want %d; health %+v", len(items), state, n, a.Status().Health)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Monday 09:30 UTC: inside the twice-a-day rhythm's morning focus block.
var focusTime = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

const rhythm = `
[schedule]
template = "twice-a-day"
zone = "UTC"
`

// TestGitHubAccount: a configured GitHub account runs in the daemon, its
// review request from the lead breaks through the focus block by a reason
// rule, CI results are quiet, and marking an item done marks its thread
// read on GitHub because the account asks for it.
func TestGitHubAccount(t *testing.T) {
	secrets.MockForTests()
	clk := clock.NewFake(focusTime)
	fs := githubtest.New(clk.Now)
	defer fs.Close()
	review := fs.Add(githubtest.Notification{Title: "Fix the flaky test", Type: "PullRequest", Number: 7, Reason: "review_requested", Author: "lead"})
	ci := fs.Add(githubtest.Notification{Title: "CI failed", Type: "CheckSuite", Reason: "ci_activity"})
	fs.Add(githubtest.Notification{Title: "Docs typo", Type: "Issue", Number: 3, Reason: "subscribed", Author: "bob"})
	if err := secrets.Set("GitHub", secrets.Token, fs.Token); err != nil {
		t.Fatal(err)
	}
	cfg := rhythm + fmt.Sprintf(`
[[rules]]
name = "Lead's reviews"
reasons = ["review_requested"]
from = ["lead"]
action = "urgent"

[[rules]]
name = "CI"
reasons = ["ci_activity"]
action = "quiet"

[[accounts]]
name = "GitHub"
kind = "github"
api_url = %q
web_url = %q
mark_read_on_done = true
`, fs.APIURL(), fs.WebURL())
	a, _ := runApp(t, t.TempDir(), cfg, clk)
	released := waitItems(t, a, model.StateReleased, 1)
	held := waitItems(t, a, model.StateHeld, 2)
	if len(released) != 1 || released[0].Subject != "Fix the flaky test" || !released[0].Breakthrough || released[0].Reason != "review_requested" {
		t.Fatalf("released %+v, want the lead's review request as a breakthrough", released)
	}
	for _, it := range held {
		if it.Subject == ci.Title && it.Action != model.ActionQuiet {
			t.Errorf("CI result held as %s, want quiet", it.Action)
		}
	}
	if n := len(fs.CallsTo("PATCH", "/api/v3/notifications/threads/"+review.ID)); n != 0 {
		t.Fatalf("marked read before done")
	}
	if _, err := a.Done([]string{released[0].ID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if th, _ := fs.Thread(review.ID); !th.Unread {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the done item's thread was not marked read on GitHub")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if th, _ := fs.Thread(ci.ID); !th.Unread {
		t.Errorf("a thread whose item is not done was marked read")
	}
	acc := a.Config().Accounts[0]
	if msg, err := TestAccount(context.Background(), acc, nil); err != nil || !strings.Contains(msg, "Connected to GitHub as @me") {
		t.Errorf("TestAccount: %q, %v", msg, err)
	}
}

// TestMatrixAccount: a Matrix account against a real Dendrite in the
// daemon: during focus the DM, the mention and the chosen room's message
// are held, the check-in releases them, and a restart resumes from the
// stored since-token without duplicates.
func TestMatrixAccount(t *testing.T) {
	secrets.MockForTests()
	srv := dendritetest.Start(t)
	alice, aliceTok := srv.Register(t, "alice", "pw-alice-123")
	bob, bobTok := srv.Register(t, "bob", "pw-bob-123")
	room := func(tok string, req map[string]any) string {
		var out struct {
			RoomID string `json:"room_id"`
		}
		srv.Call(t, tok, "POST", "/_matrix/client/v3/createRoom", req, &out)
		srv.Call(t, aliceTok, "POST", "/_matrix/client/v3/join/"+url.PathEscape(out.RoomID), map[string]any{}, nil)
		return out.RoomID
	}
	team := room(bobTok, map[string]any{"name": "Team", "room_alias_name": "team", "invite": []string{alice}})
	random := room(bobTok, map[string]any{"name": "Random", "invite": []string{alice}})
	dm := room(bobTok, map[string]any{"invite": []string{alice}, "is_direct": true})
	srv.Call(t, aliceTok, "PUT", "/_matrix/client/v3/user/"+url.PathEscape(alice)+"/account_data/m.direct", map[string][]string{bob: {dm}}, nil)
	txn := 0
	say := func(room, text string, mention bool) {
		txn++
		content := map[string]any{"msgtype": "m.text", "body": text, "m.mentions": map[string]any{}}
		if mention {
			content["m.mentions"] = map[string]any{"user_ids": []string{alice}}
		}
		srv.Call(t, bobTok, "PUT", fmt.Sprintf("/_matrix/client/v3/rooms/%s/send/m.room.message/app-%d", url.PathEscape(room), txn), content, nil)
	}
	if err := secrets.Set("Element", secrets.Token, aliceTok); err != nil {
		t.Fatal(err)
	}
	cfg := rhythm + fmt.Sprintf(`
[[accounts]]
name = "Element"
kind = "matrix"
homeserver = %q
rooms = ["#team:%s"]
set_presence = false
`, srv.URL, dendritetest.ServerName)
	dir := t.TempDir()
	clk := clock.NewFake(focusTime)
	a, stop := runApp(t, dir, cfg, clk)
	deadline := time.Now().Add(30 * time.Second)
	for !hasHealth(a, "Element", model.HealthConnected) {
		if time.Now().After(deadline) {
			t.Fatalf("matrix account not connected: %+v", a.Status().Health)
		}
		time.Sleep(20 * time.Millisecond)
	}
	say(dm, "got a minute?", false)
	say(random, "Alice, the deploy is blocked", true)
	say(random, "chatter", false)
	say(team, "release at 3", false)
	held := waitItems(t, a, model.StateHeld, 3)
	if r, _ := listItems(a, model.StateReleased); len(r) != 0 {
		t.Fatalf("%d items got through the focus block", len(r))
	}
	c, err := a.Checkin()
	if err != nil || c.Count != 3 {
		t.Fatalf("check-in released %d (%v), want 3: %+v", c.Count, err, held)
	}
	stop()

	// Restart: what came while Sluice was stopped arrives once.
	say(team, "while you were away", false)
	a2, _ := runApp(t, dir, cfg, clk)
	items := waitItems(t, a2, model.StateHeld, 1)
	if len(items) != 1 || !strings.Contains(items[0].Snippet, "while you were away") {
		t.Fatalf("held after restart: %+v", items)
	}
	time.Sleep(time.Second)
	all, _ := listItems(a2, model.StateReleased)
	held2, _ := listItems(a2, model.StateHeld)
	if len(all) != 3 || len(held2) != 1 {
		t.Errorf("after the restart: %d released, %d held; want 3 and 1 (no duplicates)", len(all), len(held2))
	}
	if msg, err := TestAccount(context.Background(), a2.Config().Accounts[0], nil); err != nil || !strings.Contains(msg, alice) {
		t.Errorf("TestAccount: %q, %v", msg, err)
	}
}

func hasHealth(a *App, account string, state model.HealthState) bool {
	for _, h := range a.Status().Health {
		if h.Account == account && h.State == state {
			return true
		}
	}
	return false
}

// listItems is the first page of a state's items (tests hold few).
func listItems(a *App, state model.State) ([]model.Item, error) {
	page, err := a.List(state, gate.ListQuery{Limit: gate.MaxPage})
	return page.Items, err
}
