package slack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack/slackevents"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

func TestSocketModeEventsBecomeItemsAndAreAcked(t *testing.T) {
	h := newHarness(t)
	c := h.connector(func(o *Options) {
		o.AppToken = func(context.Context) (string, error) { return h.fs.AppToken, nil }
		o.Channels = []string{"#eng"}
	})
	h.run(c)
	waitFor(t, "a socket mode connection", func() bool { return h.fs.Sockets() == 1 })
	waitFor(t, "health saying Socket Mode", func() bool {
		g := h.sink.Health()
		return g.State == model.HealthConnected && g.Detail == "Socket Mode"
	})

	push := func(conv string, m slacktest.Message) (slacktest.Message, string) {
		t.Helper()
		m, env, err := h.fs.PushMessage(conv, m)
		if err != nil {
			t.Fatalf("push: %v", err)
		}
		waitFor(t, "ack of "+env, func() bool { return slices.Contains(h.fs.Acks(), env) })
		return m, env
	}

	dm, _ := push("D1", slacktest.Message{User: "U1", Text: "prod is down <!channel>"})
	waitFor(t, "the DM from the event", func() bool { _, ok := h.sink.Item("D1/" + dm.TS); return ok })
	it, _ := h.sink.Item("D1/" + dm.TS)
	checkItem(t, it, model.Item{
		Kind: model.KindSlack, Account: "acme", SourceID: "D1/" + dm.TS,
		Channel: "DM", Thread: "D1", FromName: "Alice", FromAddr: "alice@acme.test",
		Subject: "DM from Alice", Snippet: "prod is down @channel",
		Link:   "https://acme.slack.com/archives/D1/p" + strings.Replace(dm.TS, ".", "", 1),
		Direct: true, Received: tsTime(dm.TS),
	})

	eng, _ := push("C1", slacktest.Message{User: "U2", Text: "deploy done", ThreadTS: "1700000000.000001"})
	mention, _ := push("C2", slacktest.Message{User: "U3", Text: "<@U0ME> can you look?"})
	chatter, _ := push("C2", slacktest.Message{User: "U3", Text: "lunch anyone"})
	own, _ := push("D1", slacktest.Message{User: "U0ME", Text: "on it"})
	group, _ := push("G1", slacktest.Message{User: "U2", Text: "group ping"})

	waitFor(t, "the chosen channel's, the mention's and the group DM's items", func() bool {
		_, a := h.sink.Item("C1/" + eng.TS)
		_, b := h.sink.Item("C2/" + mention.TS)
		_, c := h.sink.Item("G1/" + group.TS)
		return a && b && c
	})
	if it, _ := h.sink.Item("C1/" + eng.TS); it.Channel != "#eng" || it.Thread != "C1/1700000000.000001" || it.Direct {
		t.Errorf("chosen channel event item = %+v", it)
	}
	if it, _ := h.sink.Item("C2/" + mention.TS); !it.MentionsMe || it.Channel != "#random" {
		t.Errorf("mention event item = %+v", it)
	}
	if it, _ := h.sink.Item("G1/" + group.TS); !it.Direct || it.Channel != "group DM" {
		t.Errorf("group DM event item = %+v", it)
	}
	for _, src := range []string{"C2/" + chatter.TS, "D1/" + own.TS} {
		if _, ok := h.sink.Item(src); ok {
			t.Errorf("%s became an item (unchosen chatter, or the user's own message)", src)
		}
	}
	if len(h.fs.Acks()) != 6 {
		t.Errorf("%d acks, want 6 (every envelope, wanted or not)", len(h.fs.Acks()))
	}
	if d := len(h.sink.Redelivered()); d != 0 {
		t.Errorf("%d items handed over twice", d)
	}
	checkLogClean(t, h, "prod is down", "can you look")
}

func TestSocketModeRefusedFallsBackToPolling(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "still polled"})
	c := h.connector(func(o *Options) {
		o.AppToken = func(context.Context) (string, error) { return "xapp-wrong", nil }
	})
	h.run(c)
	waitFor(t, "health naming the refused app-level token", func() bool {
		g := h.sink.Health()
		return g.State == model.HealthConnected && strings.Contains(g.Detail, "app-level token refused")
	})
	if _, ok := h.sink.Item("D1/" + dm.TS); !ok {
		t.Errorf("polling did not carry on")
	}
	if h.fs.Sockets() != 0 {
		t.Errorf("a socket is open with a refused token")
	}
	if n := len(h.fs.Calls("apps.connections.open")); n != 1 {
		t.Errorf("apps.connections.open called %d times; a refused token must not be retried", n)
	}
}

// An event's item goes to the sink alone, without a cursor: only sweeps
// move cursors, so a gap while the socket was down is never skipped.
func TestEventItemCarriesNoCursor(t *testing.T) {
	h := newHarness(t)
	c := h.connector(nil)
	c.sink = h.sink
	s, err := c.session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	event := func(e *slackevents.MessageEvent) slackevents.EventsAPIEvent {
		return slackevents.EventsAPIEvent{
			Type:       slackevents.CallbackEvent,
			InnerEvent: slackevents.EventsAPIInnerEvent{Type: "message", Data: e},
		}
	}
	c.handleEvent(context.Background(), s, event(&slackevents.MessageEvent{
		Type: "message", User: "U1", Text: "hello", TimeStamp: "1700000100.000100", Channel: "D1", ChannelType: "im",
	}))
	c.handleEvent(context.Background(), s, event(&slackevents.MessageEvent{
		Type: "message", SubType: "message_changed", TimeStamp: "1700000101.000100", Channel: "D1", ChannelType: "im",
	}))
	c.handleEvent(context.Background(), s, event(&slackevents.MessageEvent{
		Type: "message", User: "U3", Text: "chatter", TimeStamp: "1700000102.000100", Channel: "C2", ChannelType: "channel",
	}))
	batches := h.sink.Batches()
	if len(batches) != 1 || len(batches[0].Items) != 1 || len(batches[0].Cursors) != 0 {
		t.Fatalf("batches %+v, want one with the DM's item and no cursor", batches)
	}
	if it := batches[0].Items[0]; it.SourceID != "D1/1700000100.000100" || !it.Direct || it.FromName != "Alice" {
		t.Errorf("item %+v", it)
	}
}
