package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/slack"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

// TestSlackRepliesThroughTheGate: a DM and a mention in a chosen channel
// are released and wait for the user's reply; the user answers in the
// mention's thread and in the DM on the fake Slack, and both leave the
// list, answered, counted in the stats of the day of the answers.
func TestSlackRepliesThroughTheGate(t *testing.T) {
	fs := slacktest.New()
	defer fs.Close()
	fs.Base = time.Now().Add(-time.Hour)
	fs.AddUser(slacktest.User{ID: "U1", Name: "alice", DisplayName: "Alice"})
	fs.AddUser(slacktest.User{ID: "U2", Name: "bob", DisplayName: "Bob"})
	fs.AddConv(slacktest.Conv{ID: "D1", Kind: slacktest.KindIM, User: "U1"})
	fs.AddConv(slacktest.Conv{ID: "C1", Name: "eng", Kind: slacktest.KindChannel, Member: true})
	dm := fs.Post("D1", slacktest.Message{User: "U1", Text: "lunch on Friday?"})
	ask := fs.Post("C1", slacktest.Message{User: "U2", Text: "<@U0ME> which release is this in?"})
	fs.Post("C1", slacktest.Message{User: "U2", Text: "just chatter"})

	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 30, 0, 0, loc)) // Monday, focus
	g, err := gate.New(st, clk, gate.Settings{Plan: schedule.TwiceADay(loc), BudgetPerHour: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := slack.New(slack.Options{
		Account: "acme", APIURL: fs.URL, MinCallGap: -1, PollInterval: time.Hour,
		Token:    func(context.Context) (string, error) { return fs.UserToken, nil },
		Channels: []string{"#eng"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { conn.Run(ctx, g); close(done) }()
	defer func() { cancel(); <-done }()

	held := func() string { n, _ := st.Count(model.StateHeld); return fmt.Sprint(n, " held") }
	waitUntil(t, "the DM, the mention and the chatter", func() bool { return held() == "3 held" }, held)
	if _, err := g.CheckinNow(); err != nil {
		t.Fatal(err)
	}
	waiting := func() []string {
		r, err := g.Replies()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range r.Items {
			out = append(out, w.Sender)
		}
		return out
	}
	if got := waiting(); len(got) != 2 {
		t.Fatalf("waiting for a reply: %v, want the DM and the mention (not the chatter)", got)
	}

	answer := fs.Post("C1", slacktest.Message{User: "U0ME", Text: "4.2", ThreadTS: ask.TS})
	conn.Wake()
	state := func() string { return fmt.Sprint("waiting: ", waiting()) }
	waitUntil(t, "the thread answer", func() bool { return len(waiting()) == 1 }, state)
	if got := waiting(); got[0] != "Alice <@alice>" {
		t.Fatalf("still waiting: %v, want only Alice's DM", got)
	}
	sure := fs.Post("D1", slacktest.Message{User: "U0ME", Text: "sure!"})
	conn.Wake()
	waitUntil(t, "the DM answer", func() bool { return len(waiting()) == 0 }, state)

	for src, ts := range map[string]string{"C1/" + ask.TS: answer.TS, "D1/" + dm.TS: sure.TS} {
		it, err := st.Get(model.ItemID("acme", src))
		if err != nil {
			t.Fatal(err)
		}
		if want := slackTime(ts); !it.Answered.Equal(want) {
			t.Errorf("%s answered at %v, want %v", src, it.Answered, want)
		}
	}
	day := slackTime(sure.TS).In(loc).Format(store.DayLayout)
	if ds, _ := st.Stats(day, day); ds[0].Replies() != 2 || ds[0].RepliesOnTime != 2 {
		t.Errorf("stats of %s = %+v, want 2 replies within the promise", day, ds[0])
	}
}

// slackTime reads a Slack timestamp ("1700000000.000100").
func slackTime(ts string) time.Time {
	var sec, usec int64
	fmt.Sscanf(ts, "%d.%d", &sec, &usec)
	return time.Unix(sec, usec*1000)
}
