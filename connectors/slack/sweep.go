package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/sluice-app/sluice/app/model"
)

// Cursor keys.
const (
	sinceKey    = "since"           // where history begins for conversations without a cursor
	mentionsKey = "search:mentions" // newest mention found by search, and those within the search overlap of it
	convPrefix  = "conv:"           // + channel ID: newest message seen
	threadsPfx  = "threads:"        // + channel ID: watched threads, parent ts → newest reply seen
)

var errNoSink = errors.New("no sink: Run was not called")

func (c *Connector) currentSink() model.Sink {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sink
}

// sweep backfills everything since the cursors: mentions first (one
// search), then DMs and group DMs, then the chosen channels. Each
// conversation's items go to the sink in one batch with its cursors, so a
// sweep cut short by a rate limit or a network error keeps what it did.
// A conversation Slack refuses (e.g. channel_not_found) is skipped.
func (c *Connector) sweep(ctx context.Context, s *session, full bool) error {
	sink := c.currentSink()
	if sink == nil {
		return errNoSink
	}
	since, err := c.since(ctx, sink)
	if err != nil {
		return err
	}
	// The chosen channels first: a mention in one carries its thread as
	// its reply key (replies.go).
	chosen, err := c.chosenChannels(ctx, s)
	if err != nil {
		return err
	}
	if err := c.syncMentions(ctx, s, sink, since); err != nil {
		if !isAPIError(err) {
			return err
		}
		c.log.Warn("mention search refused; mentions come only from watched conversations", "err", err)
	}
	direct, err := c.listDirect(ctx, s)
	if err != nil {
		return err
	}
	c.cacheMu.Lock()
	known := c.knownDirect
	c.knownDirect = map[string]bool{}
	for _, cv := range direct {
		c.knownDirect[cv.id] = true
	}
	c.cacheMu.Unlock()
	if !full && known != nil {
		if direct, err = c.skipDormant(sink, direct, known); err != nil {
			return err
		}
	}
	done := map[string]bool{}
	for _, cv := range append(direct, chosen...) {
		if done[cv.id] {
			continue
		}
		done[cv.id] = true
		if err := c.syncConversation(ctx, s, sink, cv, since); err != nil {
			if !isAPIError(err) {
				return err
			}
			c.log.Warn("conversation skipped", "channel", cv.id, "err", err)
		}
	}
	return nil
}

// skipDormant drops the DMs with nothing new for dormantAfter, unless they
// are new since the last listing (someone's first DM). People keep hundreds
// of old DMs; reading each one every two minutes would spend the rate limit
// on silence. Full sweeps still read them all.
func (c *Connector) skipDormant(sink model.Sink, convs []convInfo, known map[string]bool) ([]convInfo, error) {
	horizon := c.clk.Now().Add(-dormantAfter)
	out := convs[:0:0]
	for _, cv := range convs {
		cur, err := c.cursor(sink, convPrefix+cv.id)
		if err != nil {
			return nil, err
		}
		if !known[cv.id] || (cur != "" && tsTime(cur).After(horizon)) {
			out = append(out, cv)
		}
	}
	return out, nil
}

// since returns where history begins for conversations never seen before:
// Lookback before the account's first sweep, stored so that it stays put.
func (c *Connector) since(ctx context.Context, sink model.Sink) (string, error) {
	v, err := sink.Cursor(c.opt.Account, sinceKey)
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", sinceKey, err)
	}
	if len(v) > 0 {
		return string(v), nil
	}
	ts := tsOf(c.clk.Now().Add(-c.opt.Lookback))
	b := model.Batch{Account: c.opt.Account, Cursors: []model.Cursor{{Account: c.opt.Account, Key: sinceKey, Value: []byte(ts)}}}
	if err := sink.Ingest(ctx, b); err != nil {
		return "", fmt.Errorf("store cursor %s: %w", sinceKey, err)
	}
	return ts, nil
}

func (c *Connector) cursor(sink model.Sink, key string) (string, error) {
	v, err := sink.Cursor(c.opt.Account, key)
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", key, err)
	}
	return string(v), nil
}

// listDirect lists the user's DMs and group DMs (conversations.list,
// types im,mpim, following next_cursor).
func (c *Connector) listDirect(ctx context.Context, s *session) ([]convInfo, error) {
	var out []convInfo
	cursor := ""
	for {
		var (
			chans []slackapi.Channel
			next  string
		)
		err := c.call(ctx, "conversations.list", func(ctx context.Context) error {
			var err error
			chans, next, err = s.api.GetConversationsContext(ctx, &slackapi.GetConversationsParameters{
				Types: []string{"im", "mpim"}, Limit: pageLimit, Cursor: cursor, ExcludeArchived: true,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, ch := range chans {
			if ch.IsArchived || ch.IsUserDeleted {
				continue
			}
			cv := convFromChannel(ch)
			c.remember(cv)
			out = append(out, cv)
		}
		if next == "" || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

// chosenChannels resolves Options.Channels to conversations: names through
// the user's own channels (users.conversations), IDs through
// conversations.info. The answer is kept for an hour.
func (c *Connector) chosenChannels(ctx context.Context, s *session) ([]convInfo, error) {
	if len(c.opt.Channels) == 0 {
		return nil, nil
	}
	now := c.clk.Now()
	c.cacheMu.Lock()
	fresh := c.chosen != nil && now.Sub(c.resolvedAt) < channelResolveEvery
	ids := slices.Sorted(maps.Keys(c.chosen))
	c.cacheMu.Unlock()
	if !fresh {
		var err error
		if ids, err = c.resolveChannels(ctx, s); err != nil {
			return nil, err
		}
	}
	out := make([]convInfo, 0, len(ids))
	for _, id := range ids {
		cv, _ := c.lookupConv(id)
		cv.id = id
		out = append(out, cv)
	}
	return out, nil
}

func (c *Connector) resolveChannels(ctx context.Context, s *session) ([]string, error) {
	names := map[string]string{} // lower-case name → as configured
	var ids []string
	for _, ch := range c.opt.Channels {
		ch = strings.TrimSpace(ch)
		if isChannelID(ch) {
			ids = append(ids, ch)
		} else {
			names[strings.ToLower(strings.TrimPrefix(ch, "#"))] = ch
		}
	}
	chosen := map[string]bool{}
	if len(names) > 0 {
		cursor := ""
		for {
			var (
				chans []slackapi.Channel
				next  string
			)
			err := c.call(ctx, "users.conversations", func(ctx context.Context) error {
				var err error
				chans, next, err = s.api.GetConversationsForUserContext(ctx, &slackapi.GetConversationsForUserParameters{
					Types: []string{"public_channel", "private_channel"}, Limit: pageLimit, Cursor: cursor, ExcludeArchived: true,
				})
				return err
			})
			if err != nil {
				return nil, err
			}
			for _, ch := range chans {
				cv := convFromChannel(ch)
				c.remember(cv)
				if _, ok := names[strings.ToLower(ch.Name)]; ok {
					chosen[ch.ID] = true
					delete(names, strings.ToLower(ch.Name))
				}
			}
			if next == "" || next == cursor || len(names) == 0 {
				break
			}
			cursor = next
		}
	}
	var missing []string
	for _, id := range ids {
		cv, err := c.conv(ctx, s, id, "", true)
		if err != nil {
			return nil, err
		}
		if cv.name == "" && cv.kind == kindChannel {
			missing = append(missing, id) // conversations.info did not know it
			continue
		}
		chosen[id] = true
	}
	for _, n := range names {
		missing = append(missing, n)
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		c.log.Warn("chosen channels not found among the user's channels", "channels", missing)
	}
	c.cacheMu.Lock()
	c.chosen, c.resolvedAt, c.missing = chosen, c.clk.Now(), missing
	c.cacheMu.Unlock()
	return slices.Sorted(maps.Keys(chosen)), nil
}

// isChosen reports whether id is one of the chosen channels.
func (c *Connector) isChosen(id string) bool {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	return c.chosen[id]
}

// isChannelID tells "C0123ABCD" from a channel name: names are lower case.
func isChannelID(s string) bool {
	if len(s) < 9 || !strings.ContainsRune("CGD", rune(s[0])) {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// syncConversation ingests a conversation's new messages since its cursor
// (conversations.history?oldest=cursor, all pages) and the new replies of
// its watched threads (conversations.replies), in one batch with the
// conversation's cursors.
func (c *Connector) syncConversation(ctx context.Context, s *session, sink model.Sink, cv convInfo, since string) error {
	convKey, threadsKey := convPrefix+cv.id, threadsPfx+cv.id
	cur, err := c.cursor(sink, convKey)
	if err != nil {
		return err
	}
	threads, err := c.loadThreads(sink, threadsKey)
	if err != nil {
		return err
	}
	oldest := cur
	if oldest == "" {
		oldest = since
	}
	msgs, err := c.history(ctx, s, cv.id, oldest)
	if err != nil {
		return err
	}
	slices.SortFunc(msgs, func(a, b message) int { return cmpTS(a.TS, b.TS) })

	w := &convSweep{c: c, s: s, cv: cv, threads: threads, fresh: map[string]bool{}, seen: map[string]bool{}}
	newest, err := w.history(ctx, msgs, cur)
	if err != nil {
		return err
	}
	if err := w.followThreads(ctx); err != nil {
		return err
	}
	if trimThreads(w.threads) {
		w.changed = true
	}

	b := model.Batch{Account: c.opt.Account, Items: w.items, Replies: w.replies}
	if len(msgs) > 0 && tsAfter(newest, cur) {
		b.Cursors = append(b.Cursors, model.Cursor{Account: c.opt.Account, Key: convKey, Value: []byte(newest)})
	}
	if w.changed {
		var v []byte // nil deletes the cursor
		if len(w.threads) > 0 {
			v, _ = json.Marshal(w.threads)
		}
		b.Cursors = append(b.Cursors, model.Cursor{Account: c.opt.Account, Key: threadsKey, Value: v})
	}
	if err := c.ingest(ctx, sink, b); err != nil {
		return fmt.Errorf("ingest %s: %w", cv.id, err)
	}
	return nil
}

// convSweep is one sweep of one conversation: the items it found and the
// watched threads as they change.
type convSweep struct {
	c       *Connector
	s       *session
	cv      convInfo
	threads map[string]string // parent ts → newest reply seen
	changed bool              // threads changed: their cursor is written
	fresh   map[string]bool   // threads found now that have no replies yet
	seen    map[string]bool   // message ts already made an item or a reply
	items   []model.Item
	replies []model.Reply // the user's own messages (replies.go)
}

// add makes m an item unless it was seen already or is not kept; the
// user's own message is a reply.
func (w *convSweep) add(ctx context.Context, m message) error {
	if w.seen[m.TS] {
		return nil
	}
	if r, ok := w.c.ownReply(w.s, w.cv, m); ok {
		w.seen[m.TS] = true
		w.replies = append(w.replies, r...)
		return nil
	}
	if !w.c.keep(w.s, m) {
		return nil
	}
	w.seen[m.TS] = true
	it, err := w.c.toItem(ctx, w.s, w.cv, m, true)
	if err != nil {
		return err
	}
	w.items = append(w.items, it)
	return nil
}

// history takes the conversation's new messages, oldest first, starts
// watching the threads they open, and returns the newest ts seen.
func (w *convSweep) history(ctx context.Context, msgs []message, cur string) (newest string, err error) {
	newest = cur
	for _, m := range msgs {
		if tsAfter(m.TS, newest) {
			newest = m.TS
		}
		if w.c.watch(w.s, w.cv, m) || w.c.awaitsThread(w.s, w.cv, m) {
			if _, ok := w.threads[m.TS]; !ok {
				w.threads[m.TS] = m.TS
				w.changed = true
				if m.ReplyCount == 0 {
					w.fresh[m.TS] = true
				}
			}
		}
		if err := w.add(ctx, m); err != nil {
			return "", err
		}
	}
	return newest, nil
}

// followThreads reads the new replies of every watched thread, oldest
// thread first, and stops watching threads quiet for longer than
// ThreadWatch or gone from Slack.
func (w *convSweep) followThreads(ctx context.Context) error {
	horizon := w.c.clk.Now().Add(-w.c.opt.ThreadWatch)
	for _, parent := range slices.SortedFunc(maps.Keys(w.threads), cmpTS) {
		last := w.threads[parent]
		if tsTime(maxTS(parent, last)).Before(horizon) {
			delete(w.threads, parent)
			w.changed = true
			continue
		}
		if w.fresh[parent] {
			continue
		}
		replies, err := w.c.replies(ctx, w.s, w.cv.id, parent, last)
		if err != nil {
			if code := apiCode(err); code == "thread_not_found" || code == "message_not_found" {
				delete(w.threads, parent)
				w.changed = true
				continue
			}
			return err
		}
		for _, r := range replies {
			if r.TS == parent || !tsAfter(r.TS, last) {
				continue
			}
			if tsAfter(r.TS, w.threads[parent]) {
				w.threads[parent] = r.TS
				w.changed = true
			}
			if r.ThreadTS == "" {
				r.ThreadTS = parent
			}
			if err := w.add(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// watch reports whether a new top-level message's thread should be
// watched for replies: it has replies already, or it is the user's own
// message in a channel (replies to what one said are what one waits for).
func (c *Connector) watch(s *session, cv convInfo, m message) bool {
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		return false // a reply (thread_broadcast), not a parent
	}
	if !keptSubtypes[m.Subtype] {
		return false
	}
	return m.ReplyCount > 0 || (cv.kind == kindChannel && m.User == s.id.UserID)
}

// trimThreads keeps the maxWatchedThreads threads with the newest activity.
func trimThreads(threads map[string]string) bool {
	if len(threads) <= maxWatchedThreads {
		return false
	}
	parents := slices.Collect(maps.Keys(threads))
	slices.SortFunc(parents, func(a, b string) int {
		return cmpTS(maxTS(b, threads[b]), maxTS(a, threads[a])) // newest first
	})
	for _, p := range parents[maxWatchedThreads:] {
		delete(threads, p)
	}
	return true
}

func (c *Connector) loadThreads(sink model.Sink, key string) (map[string]string, error) {
	v, err := sink.Cursor(c.opt.Account, key)
	if err != nil {
		return nil, fmt.Errorf("read cursor %s: %w", key, err)
	}
	threads := map[string]string{}
	if len(v) > 0 {
		if err := json.Unmarshal(v, &threads); err != nil {
			// A damaged watch list only costs replies to old threads.
			c.log.Warn("ignoring unreadable thread cursor", "key", key, "err", err)
			threads = map[string]string{}
		}
	}
	return threads, nil
}

// history returns the messages after oldest (exclusive), all pages.
func (c *Connector) history(ctx context.Context, s *session, channel, oldest string) ([]message, error) {
	var out []message
	cursor := ""
	for {
		var resp *slackapi.GetConversationHistoryResponse
		err := c.call(ctx, "conversations.history", func(ctx context.Context) error {
			var err error
			resp, err = s.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Limit: pageLimit, Cursor: cursor,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, m := range resp.Messages {
			out = append(out, fromMsg(m.Msg))
		}
		next := resp.ResponseMetaData.NextCursor
		if next == "" || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

// replies returns a thread's messages after oldest, all pages (Slack
// always includes the parent too).
func (c *Connector) replies(ctx context.Context, s *session, channel, parent, oldest string) ([]message, error) {
	var out []message
	cursor := ""
	for {
		var (
			msgs []slackapi.Message
			next string
		)
		err := c.call(ctx, "conversations.replies", func(ctx context.Context) error {
			var err error
			msgs, _, next, err = s.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: parent, Oldest: oldest, Limit: pageLimit, Cursor: cursor,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			out = append(out, fromMsg(m.Msg))
		}
		if next == "" || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

// syncMentions finds messages that mention the user (search.messages for
// "<@UID>", newest first, back to the cursor). Search indexes with some
// delay, so it looks searchOverlap further back than the cursor. The
// cursor keeps, besides the newest mention, the mentions found within
// searchOverlap of it, so that what the overlap finds again is not handed
// over again, also after a restart.
func (c *Connector) syncMentions(ctx context.Context, s *session, sink model.Sink, since string) error {
	v, err := c.cursor(sink, mentionsKey)
	if err != nil {
		return err
	}
	cur, handed := decodeMentions(v)
	if cur == "" {
		cur = since
	}
	stop := tsOf(tsTime(cur).Add(-searchOverlap))
	query := "<@" + s.id.UserID + ">"
	var found []slackapi.SearchMessage
	for page := 1; page <= maxSearchPages; page++ {
		params := slackapi.NewSearchParameters()
		params.Sort, params.SortDirection, params.Count, params.Page = "timestamp", "desc", searchPageSize, page
		var res *slackapi.SearchMessages
		err := c.call(ctx, "search.messages", func(ctx context.Context) error {
			var err error
			res, err = s.api.SearchMessagesContext(ctx, query, params)
			return err
		})
		if err != nil {
			return err
		}
		older := false
		for _, m := range res.Matches {
			if !tsAfter(m.Timestamp, stop) {
				older = true
				break
			}
			found = append(found, m)
		}
		if older || len(res.Matches) == 0 || page >= res.Paging.Pages {
			break
		}
	}
	slices.SortFunc(found, func(a, b slackapi.SearchMessage) int { return cmpTS(a.Timestamp, b.Timestamp) })

	newest := cur
	var items []model.Item
	for _, sm := range found {
		if tsAfter(sm.Timestamp, newest) {
			newest = sm.Timestamp
		}
		m := fromSearch(sm)
		if handed[sm.Channel.ID+"/"+sm.Timestamp] || !c.keep(s, m) {
			continue
		}
		it, err := c.toItem(ctx, s, c.convFromSearch(sm.Channel), m, true)
		if err != nil {
			return err
		}
		it.MentionsMe = true // that is what the search was for
		items = append(items, it)
	}
	b := model.Batch{Account: c.opt.Account, Items: items}
	if next := encodeMentions(newest, found); next != v {
		b.Cursors = []model.Cursor{{Account: c.opt.Account, Key: mentionsKey, Value: []byte(next)}}
	}
	if err := c.ingest(ctx, sink, b); err != nil {
		return fmt.Errorf("ingest mentions: %w", err)
	}
	return nil
}

// decodeMentions reads the mentions cursor: the newest mention's ts, then
// the source IDs (channel/ts) of the mentions within searchOverlap of it.
// A cursor from before the list is the ts alone.
func decodeMentions(v string) (newest string, handed map[string]bool) {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return "", nil
	}
	handed = make(map[string]bool, len(fields)-1)
	for _, f := range fields[1:] {
		handed[f] = true
	}
	return fields[0], handed
}

// encodeMentions is the mentions cursor after a search that found found
// (everything after the last cursor's overlap, so it covers the new one's).
func encodeMentions(newest string, found []slackapi.SearchMessage) string {
	if newest == "" {
		return ""
	}
	out := []string{newest}
	from := tsOf(tsTime(newest).Add(-searchOverlap))
	for _, sm := range found {
		if tsAfter(sm.Timestamp, from) {
			out = append(out, sm.Channel.ID+"/"+sm.Timestamp)
		}
	}
	return strings.Join(out, " ")
}

// ingest hands b to the sink, minus the items this connector already
// handed over recently (a mention found by search and again in its DM's
// history, an event and the sweep after it). The store would skip them
// anyway; filtering and handing over under one lock keeps batches honest
// when Socket Mode and a sweep meet the same message.
func (c *Connector) ingest(ctx context.Context, sink model.Sink, b model.Batch) error {
	c.ingestMu.Lock()
	defer c.ingestMu.Unlock()
	now := c.clk.Now()
	c.cacheMu.Lock()
	items := b.Items[:0:0]
	for _, it := range b.Items {
		if _, ok := c.sent[it.SourceID]; !ok {
			items = append(items, it)
		}
	}
	c.cacheMu.Unlock()
	b.Items = items
	if len(b.Items) == 0 && len(b.Cursors) == 0 && len(b.Replies) == 0 {
		return nil
	}
	if err := sink.Ingest(ctx, b); err != nil {
		return err
	}
	// Remember them for sentTTL: long enough for every path that could
	// find them again to have moved its cursor past them.
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	for k, at := range c.sent {
		if now.Sub(at) > sentTTL {
			delete(c.sent, k)
		}
	}
	for _, it := range b.Items {
		c.sent[it.SourceID] = now
	}
	return nil
}

// convFromSearch names a search match's conversation.
func (c *Connector) convFromSearch(ch slackapi.CtxChannel) convInfo {
	if cv, ok := c.lookupConv(ch.ID); ok {
		return cv
	}
	cv := convInfo{id: ch.ID, name: ch.Name}
	switch {
	case strings.HasPrefix(ch.ID, "D"):
		cv.kind, cv.name = kindIM, ""
	case ch.IsMPIM:
		cv.kind = kindMPIM
	}
	c.remember(cv)
	return cv
}

func cmpTS(a, b string) int {
	switch {
	case tsAfter(a, b):
		return 1
	case tsAfter(b, a):
		return -1
	}
	return 0
}

func maxTS(a, b string) string {
	if tsAfter(b, a) {
		return b
	}
	return a
}
