package slack

import (
	"context"

	"github.com/sluice-app/sluice/app/model"
)

// Knowing what was answered. An item the user owes an answer carries a
// reply key: a DM or group DM its conversation ("dm:D123": any message of
// the user's in it afterwards answers it), a mention in a chosen channel
// its thread ("thread:C123/1700000000.000100": the user's message in that
// thread answers it, and the connector watches the thread so it sees
// one). The user's own messages, which never become items, come back as
// Replies with the sweep that read them. Mentions in channels the
// connector does not read carry no key: their replies cannot be seen.

// replyKey is the key replies to m name, or "" when the connector could
// not see an answer to it.
func (c *Connector) replyKey(cv convInfo, m message, mentionsMe bool) string {
	switch {
	case cv.direct():
		return "dm:" + cv.id
	case mentionsMe && c.isChosen(cv.id):
		return "thread:" + cv.id + "/" + threadParent(m)
	}
	return ""
}

// threadParent is the ts of the thread m belongs to (its own, for a
// top-level message).
func threadParent(m message) string {
	if m.ThreadTS != "" {
		return m.ThreadTS
	}
	return m.TS
}

// ownReply turns a message of the user's own into the replies it is: to
// everything before it in its DM, and to its thread.
func (c *Connector) ownReply(s *session, cv convInfo, m message) ([]model.Reply, bool) {
	if m.User == "" || m.User != s.id.UserID || m.TS == "" || m.Hidden || !keptSubtypes[m.Subtype] {
		return nil, false
	}
	at := tsTime(m.TS)
	if cv.direct() {
		return []model.Reply{{Key: "dm:" + cv.id, At: at}}, true
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		return []model.Reply{{Key: "thread:" + cv.id + "/" + m.ThreadTS, At: at}}, true
	}
	return nil, true
}

// awaitsThread reports whether a top-level message's thread must be
// watched for the user's answer: it mentions the user in a chosen channel.
func (c *Connector) awaitsThread(s *session, cv convInfo, m message) bool {
	if cv.direct() || (m.ThreadTS != "" && m.ThreadTS != m.TS) || !c.keep(s, m) {
		return false
	}
	return c.isChosen(cv.id) && mentions(m.Text, s.id.UserID)
}

// socketReply hands a message of the user's, pushed over Socket Mode, to
// the sink as the replies it is.
func (c *Connector) socketReply(ctx context.Context, s *session, channel, chanType string, m message) {
	cv, _ := c.conv(ctx, s, channel, chanType, false)
	rs, _ := c.ownReply(s, cv, m)
	sink := c.currentSink()
	if len(rs) == 0 || sink == nil {
		return
	}
	if err := c.ingest(ctx, sink, model.Batch{Account: c.opt.Account, Replies: rs}); err != nil && ctx.Err() == nil {
		// The next sweep reads it again from the conversation.
		c.log.Warn("ingest socket mode reply", "err", err)
	}
}
