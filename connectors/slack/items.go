package slack

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/sluice-app/sluice/app/model"
)

// convKind is what sort of conversation a channel ID names.
type convKind uint8

const (
	kindChannel convKind = iota // public or private channel
	kindIM                      // direct message
	kindMPIM                    // group DM
)

// convInfo is what the connector knows of one conversation.
type convInfo struct {
	id   string
	kind convKind
	name string // channel name without "#"; empty for DMs
}

// label is the item's Channel: "#eng", "DM" or "group DM".
func (cv convInfo) label() string {
	switch cv.kind {
	case kindIM:
		return "DM"
	case kindMPIM:
		return "group DM"
	}
	if cv.name == "" {
		return "#" + cv.id
	}
	return "#" + cv.name
}

func (cv convInfo) direct() bool { return cv.kind == kindIM || cv.kind == kindMPIM }

func convFromChannel(ch slackapi.Channel) convInfo {
	cv := convInfo{id: ch.ID, name: ch.Name}
	switch {
	case ch.IsIM:
		cv.kind, cv.name = kindIM, ""
	case ch.IsMpIM:
		cv.kind = kindMPIM
	}
	return cv
}

// userInfo is a cached users.info answer.
type userInfo struct {
	name, handle, email string
	fetched             time.Time
}

// addr is the item's FromAddr: the email when the token may see it, else
// the @handle.
func (u userInfo) addr() string {
	switch {
	case u.email != "":
		return u.email
	case u.handle != "":
		return "@" + u.handle
	}
	return ""
}

// message is the part of a Slack message the connector uses, whichever
// API it came from (history, replies, search, Socket Mode).
type message struct {
	TS, ThreadTS, User, BotID, AppID, Username, Text, Subtype, Permalink string
	Hidden                                                               bool
	ReplyCount                                                           int
	Files                                                                []string
}

func fromMsg(m slackapi.Msg) message {
	out := message{
		TS: m.Timestamp, ThreadTS: m.ThreadTimestamp, User: m.User, BotID: m.BotID,
		Username: m.Username, Text: m.Text, Subtype: m.SubType, Hidden: m.Hidden,
		ReplyCount: m.ReplyCount,
	}
	if m.BotProfile != nil {
		out.AppID = m.BotProfile.AppID
		if out.Username == "" {
			out.Username = m.BotProfile.Name
		}
	}
	for _, f := range m.Files {
		out.Files = append(out.Files, f.Name)
	}
	if out.Text == "" {
		for _, a := range m.Attachments {
			if t := firstNonEmpty(a.Fallback, a.Text, a.Pretext, a.Title); t != "" {
				out.Text = t
				break
			}
		}
	}
	return out
}

func fromEvent(e *slackevents.MessageEvent) message {
	m := message{
		TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, User: e.User, BotID: e.BotID,
		Username: e.Username, Text: e.Text, Subtype: e.SubType,
	}
	if e.Message != nil && m.Text == "" {
		inner := fromMsg(*e.Message)
		m.Text, m.Files = inner.Text, inner.Files
		if m.AppID == "" {
			m.AppID = inner.AppID
		}
	}
	return m
}

func fromMention(e *slackevents.AppMentionEvent) message {
	return message{TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, User: e.User, BotID: e.BotID, Text: e.Text}
}

var threadParam = regexp.MustCompile(`[?&]thread_ts=([0-9.]+)`)

func fromSearch(m slackapi.SearchMessage) message {
	out := message{TS: m.Timestamp, User: m.User, Username: m.Username, Text: m.Text, Permalink: m.Permalink}
	// Search results carry no thread_ts; a reply's permalink does.
	if p := threadParam.FindStringSubmatch(m.Permalink); p != nil {
		out.ThreadTS = p[1]
	}
	if out.Text == "" {
		for _, a := range m.Attachments {
			if t := firstNonEmpty(a.Fallback, a.Text, a.Pretext, a.Title); t != "" {
				out.Text = t
				break
			}
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// keptSubtypes are the message subtypes that are something a person said;
// joins, topic changes, edits and deletions are not items.
var keptSubtypes = map[string]bool{
	"": true, "thread_broadcast": true, "file_share": true, "bot_message": true, "me_message": true,
}

// keep reports whether m becomes an item: not the user's own message, not
// an echo of this app, not a housekeeping subtype.
func (c *Connector) keep(s *session, m message) bool {
	switch {
	case m.TS == "", m.Hidden, !keptSubtypes[m.Subtype]:
		return false
	case m.User != "" && m.User == s.id.UserID:
		return false
	case m.AppID != "" && m.AppID == c.ownAppID():
		return false
	}
	return true
}

func (c *Connector) ownAppID() string {
	id, _ := c.appID.Load().(string)
	return id
}

// toItem translates one message into an item. With strict false (Socket
// Mode, where an event must not be lost to a failed lookup), names that
// cannot be looked up are shown as IDs instead of failing.
func (c *Connector) toItem(ctx context.Context, s *session, cv convInfo, m message, strict bool) (model.Item, error) {
	from, err := c.sender(ctx, s, m, strict)
	if err != nil {
		return model.Item{}, err
	}
	names := map[string]string{}
	for _, id := range mentionedUsers(m.Text) {
		if _, ok := names[id]; ok {
			continue
		}
		u, err := c.user(ctx, s, id, strict)
		if err != nil {
			return model.Item{}, err
		}
		names[id] = u.name
	}
	text := plainText(m.Text,
		func(id string) string { return names[id] },
		func(id string) string { return c.cachedConv(id).name })
	if strings.TrimSpace(text) == "" && len(m.Files) > 0 {
		text = "[file] " + strings.Join(m.Files, ", ")
	}
	it := model.Item{
		Kind:       model.KindSlack,
		Account:    c.opt.Account,
		SourceID:   cv.id + "/" + m.TS,
		Channel:    cv.label(),
		Thread:     threadKey(cv.id, m.ThreadTS),
		FromName:   from.name,
		FromAddr:   from.addr(),
		Subject:    subject(cv, from.name),
		Snippet:    text,
		Link:       m.Permalink,
		Direct:     cv.direct(),
		MentionsMe: mentions(m.Text, s.id.UserID),
		Received:   tsTime(m.TS),
	}
	if it.Link == "" {
		it.Link = permalink(s.id.URL, cv.id, m.TS, m.ThreadTS)
	}
	it.ReplyKey = c.replyKey(cv, m, it.MentionsMe)
	return it, nil
}

// threadKey is the item's Thread, the conversation key the digest groups
// by: "C123/1700000000.000100" for a thread (its parent's ts), else the
// channel ID, so that a DM's messages group together.
func threadKey(channel, threadTS string) string {
	if threadTS == "" {
		return channel
	}
	return channel + "/" + threadTS
}

func subject(cv convInfo, from string) string {
	switch cv.kind {
	case kindIM:
		return "DM from " + from
	case kindMPIM:
		return "Group DM from " + from
	}
	return cv.label()
}

// permalink builds a message's web link from the workspace URL, the way
// chat.getPermalink would answer, without spending a call per message.
func permalink(teamURL, channel, ts, threadTS string) string {
	if teamURL == "" || ts == "" {
		return ""
	}
	if !strings.HasSuffix(teamURL, "/") {
		teamURL += "/"
	}
	link := teamURL + "archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
	if threadTS != "" && threadTS != ts {
		link += "?thread_ts=" + url.QueryEscape(threadTS) + "&cid=" + url.QueryEscape(channel)
	}
	return link
}

// sender names who wrote m.
func (c *Connector) sender(ctx context.Context, s *session, m message, strict bool) (userInfo, error) {
	if m.User == "" {
		name := firstNonEmpty(m.Username, m.BotID, "bot")
		return userInfo{name: name}, nil
	}
	return c.user(ctx, s, m.User, strict)
}

// user returns a user's names, from the cache or users.info. A user Slack
// does not know is shown by ID.
func (c *Connector) user(ctx context.Context, s *session, id string, strict bool) (userInfo, error) {
	now := c.clk.Now()
	c.cacheMu.Lock()
	u, ok := c.users[id]
	c.cacheMu.Unlock()
	if ok && now.Sub(u.fetched) < userCacheTTL {
		return u, nil
	}
	var su *slackapi.User
	err := c.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		su, err = s.api.GetUserInfoContext(ctx, id, slackapi.GetUserInfoOptionIncludeLocale(false))
		return err
	})
	switch {
	case err == nil:
		u = userInfo{
			name:    firstNonEmpty(su.Profile.DisplayName, su.Profile.RealName, su.RealName, su.Name, id),
			handle:  su.Name,
			email:   su.Profile.Email,
			fetched: now,
		}
	case isAPIError(err):
		u = userInfo{name: id, fetched: now}
	case !strict && ctx.Err() == nil:
		if ok {
			return u, nil // stale beats nothing
		}
		return userInfo{name: id}, nil
	default:
		return userInfo{}, err
	}
	c.cacheMu.Lock()
	c.users[id] = u
	c.cacheMu.Unlock()
	return u, nil
}

// cachedConv returns what is known of a conversation without a call.
func (c *Connector) cachedConv(id string) convInfo {
	cv, _ := c.lookupConv(id)
	return cv
}

func (c *Connector) remember(cv convInfo) {
	c.cacheMu.Lock()
	c.convs[cv.id] = cv
	c.cacheMu.Unlock()
}

// conv returns a conversation's kind and name: from the cache, from
// typeHint (Socket Mode's channel_type), or from conversations.info. A
// conversation Slack will not describe comes back unnamed; with strict, a
// rate limit or transport error is returned instead.
func (c *Connector) conv(ctx context.Context, s *session, id, typeHint string, strict bool) (convInfo, error) {
	if cv, ok := c.lookupConv(id); ok {
		return cv, nil
	}
	switch typeHint {
	case "im":
		cv := convInfo{id: id, kind: kindIM}
		c.remember(cv)
		return cv, nil
	case "mpim":
		cv := convInfo{id: id, kind: kindMPIM}
		c.remember(cv)
		return cv, nil
	}
	var ch *slackapi.Channel
	err := c.call(ctx, "conversations.info", func(ctx context.Context) error {
		var err error
		ch, err = s.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id})
		return err
	})
	if err != nil {
		if strict && !isAPIError(err) {
			return convInfo{}, err
		}
		cv := convInfo{id: id}
		if strings.HasPrefix(id, "D") {
			cv.kind = kindIM
		}
		return cv, nil
	}
	cv := convFromChannel(*ch)
	cv.id = id
	c.remember(cv)
	return cv, nil
}

func (c *Connector) lookupConv(id string) (convInfo, bool) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	cv, ok := c.convs[id]
	return cv, ok
}

// ---- timestamps ----

// Slack timestamps are "seconds.microseconds" strings, unique per channel.

func parseTS(ts string) (sec, usec int64, ok bool) {
	s, u, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if u != "" {
		if len(u) > 6 {
			u = u[:6]
		}
		u += strings.Repeat("0", 6-len(u))
		if usec, err = strconv.ParseInt(u, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return sec, usec, true
}

// tsTime is when a message was sent.
func tsTime(ts string) time.Time {
	sec, usec, ok := parseTS(ts)
	if !ok {
		return time.Time{}
	}
	return time.Unix(sec, usec*1000)
}

// tsOf is the Slack timestamp of t, for oldest= parameters.
func tsOf(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// tsAfter reports a > b; every valid timestamp is after "".
func tsAfter(a, b string) bool {
	as, au, aok := parseTS(a)
	bs, bu, bok := parseTS(b)
	switch {
	case !aok:
		return false
	case !bok:
		return true
	}
	return as > bs || (as == bs && au > bu)
}
