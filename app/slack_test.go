package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/slack"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

// TestSlackThroughTheGate runs the Slack connector against the fake Slack
// API into a real gate during a focus block: the DM is held, the urgent
// channel breaks through, and a mention is let through by a user rule.
func TestSlackThroughTheGate(t *testing.T) {
	fs := slacktest.New()
	defer fs.Close()
	fs.Base = time.Now().Add(-time.Hour)
	fs.AddUser(slacktest.User{ID: "U1", Name: "alice", DisplayName: "Alice", Email: "alice@acme.test"})
	fs.AddConv(slacktest.Conv{ID: "D1", Kind: slacktest.KindIM, User: "U1"})
	fs.AddConv(slacktest.Conv{ID: "C1", Name: "eng", Kind: slacktest.KindChannel, Member: true})
	fs.AddConv(slacktest.Conv{ID: "C9", Name: "incidents", Kind: slacktest.KindChannel, Member: true})
	dm := fs.Post("D1", slacktest.Message{User: "U1", Text: "quick question?"})
	inc := fs.Post("C9", slacktest.Message{User: "U1", Text: "prod is down"})
	men := fs.Post("C1", slacktest.Message{User: "U1", Text: "<@U0ME> can you review?"})
	fs.Post("C1", slacktest.Message{User: "U1", Text: "just chatter"})

	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := rules.Compile([]rules.Rule{{Name: "review requests", Mention: true, Channels: []string{"#eng"}, Action: model.ActionUrgent}},
		rules.Builtins{UrgentChannel: "#incidents"})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 09:30 in Berlin: inside the morning focus block.
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 30, 0, 0, loc))
	g, err := gate.New(st, clk, gate.Settings{Plan: schedule.TwiceADay(loc), Rules: rs, BudgetPerHour: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := slack.New(slack.Options{
		Account: "acme", APIURL: fs.URL, MinCallGap: -1, PollInterval: time.Hour,
		Token:    func(context.Context) (string, error) { return fs.UserToken, nil },
		Channels: []string{"#eng", "#incidents"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { conn.Run(ctx, g); close(done) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		h, _ := st.Count(model.StateHeld)
		r, _ := st.Count(model.StateReleased)
		if h+r >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d held + %d released items arrived; health %+v", h, r, g.Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
	get := func(conv string, m slacktest.Message) model.Item {
		t.Helper()
		var found model.Item
		for _, state := range []model.State{model.StateHeld, model.StateReleased} {
			st.List(state, func(it model.Item) bool {
				if strings.HasPrefix(it.SourceID, conv+"/") && strings.HasSuffix(it.SourceID, m.TS) {
					found = it
					return false
				}
				return true
			})
		}
		if found.ID == "" {
			t.Fatalf("no item for %s/%s", conv, m.TS)
		}
		return found
	}
	if it := get("D1", dm); it.State != model.StateHeld || !it.Direct || !strings.Contains(it.Log[len(it.Log)-1].Text, "held: focus block") {
		t.Errorf("DM: got %s direct=%v %q, want held in focus", it.State, it.Direct, it.Log)
	}
	if it := get("C9", inc); !it.Breakthrough || it.Rule != rules.RuleUrgentChannel {
		t.Errorf("urgent channel: got %s breakthrough=%v rule %q", it.State, it.Breakthrough, it.Rule)
	}
	if it := get("C1", men); !it.Breakthrough || !it.MentionsMe || !strings.Contains(it.Rule, "rule 1") {
		t.Errorf("mention: got %s breakthrough=%v mentions=%v rule %q", it.State, it.Breakthrough, it.MentionsMe, it.Rule)
	}
}
