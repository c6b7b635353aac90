package slack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/slack/slacktest"
)

func hasReply(rs []model.Reply, key, ts string) bool {
	return slices.ContainsFunc(rs, func(r model.Reply) bool { return r.Key == key && r.At.Equal(tsTime(ts)) && !r.Named })
}

// TestRepliesSeenInDMsAndThreads: a DM carries its conversation as its
// reply key and the user's next message there is a reply to it; a
// mention in a chosen channel carries its thread, which the connector
// then watches, so the user's answer in the thread comes back as a
// reply; a mention in a channel it does not read carries no key.
func TestRepliesSeenInDMsAndThreads(t *testing.T) {
	h := newHarness(t)
	dm := h.fs.Post("D1", slacktest.Message{User: "U1", Text: "can you review?"})
	sure := h.fs.Post("D1", slacktest.Message{User: "U0ME", Text: "sure"})
	ask := h.fs.Post("C1", slacktest.Message{User: "U2", Text: "<@U0ME> which release?"})
	ops := h.fs.Post("C3", slacktest.Message{User: "U3", Text: "<@U0ME> ops question"})
	c := h.connector(func(o *Options) { o.Channels = []string{"#eng"} })
	h.run(c)
	h.waitPolling(DefaultPollInterval)

	for src, want := range map[string]string{"D1/" + dm.TS: "dm:D1", "C1/" + ask.TS: "thread:C1/" + ask.TS, "C3/" + ops.TS: ""} {
		it, ok := h.sink.Item(src)
		if !ok {
			t.Fatalf("%s not ingested: %+v", src, h.sink.Items())
		}
		if it.ReplyKey != want {
			t.Errorf("%s: reply key %q, want %q", src, it.ReplyKey, want)
		}
	}
	if !hasReply(h.sink.Replies(), "dm:D1", sure.TS) {
		t.Errorf("replies = %+v, want the user's DM message", h.sink.Replies())
	}
	if !strings.Contains(h.sink.CursorValue("acme", "threads:C1"), ask.TS) {
		t.Errorf("threads:C1 = %s, want the mention's thread watched", h.sink.CursorValue("acme", "threads:C1"))
	}

	// The user answers in the thread; the next sweep brings the reply.
	answer := h.fs.Post("C1", slacktest.Message{User: "U0ME", Text: "4.2", ThreadTS: ask.TS})
	h.clock.Advance(DefaultPollInterval * 11 / 10)
	waitFor(t, "the answer in the thread", func() bool { return hasReply(h.sink.Replies(), "thread:C1/"+ask.TS, answer.TS) })
	if _, ok := h.sink.Item("C1/" + answer.TS); ok {
		t.Error("the user's own answer became an item")
	}
}

// TestSocketModeOwnMessageIsAReply: over Socket Mode the user's own DM
// message arrives as a reply at once.
func TestSocketModeOwnMessageIsAReply(t *testing.T) {
	h := newHarness(t)
	c := h.connector(func(o *Options) {
		o.AppToken = func(context.Context) (string, error) { return h.fs.AppToken, nil }
	})
	h.run(c)
	waitFor(t, "a socket mode connection", func() bool { return h.fs.Sockets() == 1 })
	waitFor(t, "health saying Socket Mode", func() bool { return h.sink.Health().Detail == "Socket Mode" })
	own, env, err := h.fs.PushMessage("D1", slacktest.Message{User: "U0ME", Text: "on it"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ack of "+env, func() bool { return slices.Contains(h.fs.Acks(), env) })
	waitFor(t, "the reply from the event", func() bool { return hasReply(h.sink.Replies(), "dm:D1", own.TS) })
}
