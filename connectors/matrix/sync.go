package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/sluice-app/sluice/app/model"
)

var errNoSink = errors.New("matrix: Run needs a sink")

// Run implements model.Connector. It signs in and follows /sync from the
// stored since-token, handing over each response's items with the new
// token in one batch. M_LIMIT_EXCEEDED pauses it for retry_after_ms; an
// unreachable homeserver makes it back off exponentially; a rejected
// credential stops it until Wake. It returns nil when ctx is done.
func (c *Connector) Run(ctx context.Context, sink model.Sink) error {
	if sink == nil {
		return errNoSink
	}
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
	c.resetCaches()
	c.report(model.HealthStarting, "connecting", time.Time{})
	defer c.report(model.HealthStopped, "", time.Time{})
	failures := 0
	for {
		s, err := c.session(ctx)
		if err == nil {
			err = c.syncOnce(ctx, sink, s)
		}
		if ctx.Err() != nil {
			return nil
		}
		var rl *rateLimitError
		switch {
		case err == nil:
			failures = 0
			c.report(model.HealthConnected, c.connectedDetail(), time.Time{})
		case errors.Is(err, context.Canceled):
			// Wake ended the sync in flight: sync again at once.
		case errors.As(err, &rl):
			c.log.Warn("rate limited", "until", rl.Until)
			c.report(model.HealthRateLimited, "rate limited until "+rl.Until.Format(time.TimeOnly), rl.Until)
			c.sleep(ctx, rl.Until.Sub(c.clk.Now()), false)
		case errors.Is(err, ErrAuth):
			c.dropSession()
			c.log.Warn("authentication failed; waiting for new credentials", "err", err)
			c.report(model.HealthAuthFailed, err.Error(), time.Time{})
			c.sleep(ctx, 0, true) // only Wake (or a rebuild) tries again
			c.report(model.HealthStarting, "connecting", time.Time{})
		default:
			failures++
			d := backoff(failures)
			c.log.Warn("sync failed; backing off", "err", err, "retry_in", d)
			c.report(model.HealthBackingOff, fmt.Sprintf("homeserver unreachable: %v", err), c.clk.Now().Add(d))
			c.sleep(ctx, d, true)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (c *Connector) connectedDetail() string {
	d := "syncing"
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	for _, m := range c.missing {
		d += "; room " + m + " not found"
	}
	return d
}

// sleep waits d (forever if d is 0), until ctx is done, or, when wakeable,
// until Wake.
func (c *Connector) sleep(ctx context.Context, d time.Duration, wakeable bool) {
	var timer <-chan time.Time
	if d > 0 {
		t := c.clk.NewTimer(d)
		defer t.Stop()
		timer = t.C()
	} else if !wakeable {
		return
	}
	var wake <-chan struct{}
	if wakeable {
		wake = c.wake
	}
	select {
	case <-ctx.Done():
	case <-wake:
	case <-timer:
	}
}

// filter keeps /sync to what the connector reads: messages, the state that
// names rooms and people, and the DM list; no presence, receipts or typing.
func filter(limit int) string {
	none := &mautrix.FilterPart{NotTypes: []event.Type{{Type: "*"}}}
	f := mautrix.Filter{
		AccountData: &mautrix.FilterPart{Types: []event.Type{event.AccountDataDirectChats}},
		Presence:    none,
		Room: &mautrix.RoomFilter{
			AccountData: none,
			Ephemeral:   none,
			State: &mautrix.FilterPart{LazyLoadMembers: true, Types: []event.Type{
				event.StateRoomName, event.StateCanonicalAlias, event.StateMember, event.StateEncryption}},
			Timeline: &mautrix.FilterPart{Limit: limit, Types: []event.Type{
				event.EventMessage, event.EventEncrypted, event.StateRoomName, event.StateCanonicalAlias,
				event.StateMember, event.StateEncryption}},
		},
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// syncOnce makes one /sync from the stored token and hands over what it
// brought with the next token, in one batch.
func (c *Connector) syncOnce(ctx context.Context, sink model.Sink, s *session) error {
	since, err := sink.Cursor(c.opt.Account, sinceKey)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	if err := c.loadDirect(sink); err != nil {
		return err
	}
	c.resolveChosen(ctx, s)
	first := len(since) == 0
	limit, timeout := timelineLimit, int(c.opt.SyncTimeout/time.Millisecond)
	if first {
		limit, timeout = firstSyncLimit, 0
	}
	presence := event.PresenceOffline
	if m := c.loadMark(); m != nil && m.Text != "" {
		presence = event.PresenceUnavailable // keep what the focus block set
	}
	sctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.abort = cancel
	c.mu.Unlock()
	defer func() {
		cancel()
		c.mu.Lock()
		c.abort = nil
		c.mu.Unlock()
	}()
	resp, err := s.cli.FullSyncRequest(sctx, mautrix.ReqSync{
		Timeout: timeout, Since: string(since), FilterID: filter(limit), SetPresence: presence,
	})
	if err != nil {
		// What the homeserver answered (a rate limit, a refused token)
		// stands even if a Wake cut the request short a moment after.
		var he mautrix.HTTPError
		if sctx.Err() != nil && (!errors.As(err, &he) || he.RespError == nil) {
			return context.Canceled
		}
		return classify(err, c.clk.Now())
	}
	if resp.NextBatch == "" {
		return errors.New("matrix: /sync answered without next_batch")
	}
	items, directChanged, err := c.translate(ctx, s, resp, string(since))
	if err != nil {
		return err
	}
	if resp.NextBatch == string(since) && len(items) == 0 && !directChanged {
		return nil
	}
	b := model.Batch{Account: c.opt.Account, Items: items,
		Cursors: []model.Cursor{{Account: c.opt.Account, Key: sinceKey, Value: []byte(resp.NextBatch)}}}
	if directChanged {
		b.Cursors = append(b.Cursors, model.Cursor{Account: c.opt.Account, Key: directKey, Value: c.directValue()})
	}
	if err := sink.Ingest(ctx, b); err != nil {
		c.log.Warn("batch not stored; syncing again from the last token", "err", err)
		c.forgetDirect() // reload what the store has
		return fmt.Errorf("hand over %d messages: %w", len(items), err)
	}
	if len(items) > 0 {
		c.log.Info("messages", "new", len(items))
	}
	return nil
}

// translate turns one /sync response into items.
func (c *Connector) translate(ctx context.Context, s *session, resp *mautrix.RespSync, since string) ([]model.Item, bool, error) {
	directChanged := false
	for _, evt := range resp.AccountData.Events {
		if evt.Type == event.AccountDataDirectChats {
			if c.setDirect(evt) {
				directChanged = true
			}
		}
	}
	var items []model.Item
	oldest := time.Time{}
	if since == "" {
		oldest = c.clk.Now().Add(-c.opt.Lookback)
	}
	rooms := make([]id.RoomID, 0, len(resp.Rooms.Join))
	for r := range resp.Rooms.Join {
		rooms = append(rooms, r)
	}
	slices.Sort(rooms)
	for _, room := range rooms {
		jr := resp.Rooms.Join[room]
		for _, evt := range jr.State.Events {
			c.learn(room, evt)
		}
		events := jr.Timeline.Events
		if jr.Timeline.Limited && since != "" && jr.Timeline.PrevBatch != "" {
			gap, err := c.backfill(ctx, s, room, jr.Timeline.PrevBatch, since)
			if err != nil {
				return nil, false, err
			}
			events = append(gap, events...)
		}
		for _, evt := range events {
			c.learn(room, evt)
		}
		for _, evt := range events {
			evt.RoomID = room
			if it, ok := c.item(ctx, s, evt); ok && (oldest.IsZero() || !it.Received.Before(oldest)) {
				items = append(items, it)
			}
		}
	}
	for room, ir := range resp.Rooms.Invite {
		if it, direct, ok := c.invite(s, room, ir); ok {
			if direct && c.addDirect(room) {
				directChanged = true
			}
			items = append(items, it)
		}
	}
	return items, directChanged, nil
}

// backfill fetches the events a limited timeline left out, oldest first,
// from prevBatch back to the previous sync's token.
func (c *Connector) backfill(ctx context.Context, s *session, room id.RoomID, prevBatch, since string) ([]*event.Event, error) {
	var out []*event.Event
	from := prevBatch
	for len(out) < maxBackfill {
		resp, err := s.cli.Messages(ctx, room, from, since, mautrix.DirectionBackward, nil, 100)
		if err != nil {
			return nil, classify(err, c.clk.Now())
		}
		out = append(out, resp.Chunk...)
		if resp.End == "" || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	if len(out) >= maxBackfill {
		c.log.Warn("long gap in a room; older messages of it are left out", "room", room.String(), "fetched", len(out))
	}
	slices.Reverse(out)
	return out, nil
}

// learn remembers what state events say about rooms and people.
func (c *Connector) learn(room id.RoomID, evt *event.Event) {
	if evt.StateKey == nil {
		return
	}
	_ = evt.Content.ParseRaw(evt.Type)
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	switch evt.Type {
	case event.StateRoomName:
		if n := evt.Content.AsRoomName().Name; n != "" {
			c.names[room] = n
		}
	case event.StateCanonicalAlias:
		if a := evt.Content.AsCanonicalAlias().Alias; a != "" && c.names[room] == "" {
			c.names[room] = a.String()
		}
	case event.StateEncryption:
		c.crypt[room] = true
	case event.StateMember:
		m := evt.Content.AsMember()
		if c.people[room] == nil {
			c.people[room] = map[id.UserID]string{}
		}
		if m.Displayname != "" {
			c.people[room][id.UserID(*evt.StateKey)] = m.Displayname
		}
	}
}

// item translates a timeline event, if it is one the user asked for: a DM,
// a mention, or a message in a chosen room; never the user's own.
func (c *Connector) item(ctx context.Context, s *session, evt *event.Event) (model.Item, bool) {
	if evt.Sender == s.me || evt.ID == "" || (evt.Type != event.EventMessage && evt.Type != event.EventEncrypted) {
		return model.Item{}, false
	}
	room := evt.RoomID
	c.cacheMu.Lock()
	direct, chosen := c.direct[room], c.chosen[room]
	c.cacheMu.Unlock()
	var body string
	mentions := false
	if evt.Type == event.EventMessage {
		_ = evt.Content.ParseRaw(evt.Type)
		msg := evt.Content.AsMessage()
		if msg.RelatesTo != nil && msg.RelatesTo.Type == event.RelReplace {
			return model.Item{}, false // an edit, not a new message
		}
		body = messageText(msg)
		mentions = c.mentionsMe(s, msg)
	}
	if !direct && !chosen && !mentions {
		return model.Item{}, false
	}
	roomName := c.roomName(ctx, s, room)
	sender := c.displayName(ctx, s, room, evt.Sender)
	it := model.Item{
		Kind:       model.KindMatrix,
		Account:    c.opt.Account,
		SourceID:   evt.ID.String(),
		Channel:    roomName,
		Thread:     room.String(),
		FromName:   sender,
		FromAddr:   evt.Sender.String(),
		Snippet:    body,
		Link:       c.link(room, evt.ID),
		Direct:     direct,
		MentionsMe: mentions,
		Received:   time.UnixMilli(evt.Timestamp),
	}
	if direct {
		it.Channel = "DM"
	}
	switch {
	case evt.Type == event.EventEncrypted:
		it.Subject = "Encrypted message in " + roomName
		if direct {
			it.Subject = "Encrypted message from " + sender
		}
	case direct:
		it.Subject = "DM from " + sender
	case mentions:
		it.Subject = sender + " mentioned you in " + roomName
	default:
		it.Subject = sender + " in " + roomName
	}
	return it, true
}

// messageText is what a message says, in words for what is not text.
func messageText(msg *event.MessageEventContent) string {
	switch msg.MsgType {
	case event.MsgImage:
		return "sent an image: " + msg.Body
	case event.MsgFile:
		return "sent a file: " + msg.Body
	case event.MsgVideo:
		return "sent a video: " + msg.Body
	case event.MsgAudio:
		return "sent audio: " + msg.Body
	case event.MsgLocation:
		return "shared a location"
	case event.MsgEmote:
		return "* " + msg.Body
	}
	return msg.Body
}

// mentionsMe reports whether a message mentions the user: by m.mentions
// when the sender's client sets it (every current client does), else by
// the user ID or display name in the text. "@room" is not a mention of the
// user.
func (c *Connector) mentionsMe(s *session, msg *event.MessageEventContent) bool {
	if msg.Mentions != nil {
		return slices.Contains(msg.Mentions.UserIDs, s.me)
	}
	text := strings.ToLower(msg.Body + " " + msg.FormattedBody)
	if strings.Contains(text, strings.ToLower(s.me.String())) {
		return true
	}
	local := strings.ToLower(s.me.Localpart())
	return local != "" && containsWord(text, local)
}

func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		before, after := j == 0 || !isWordByte(text[j-1]), j+len(word) == len(text) || !isWordByte(text[j+len(word)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
}

// invite translates an invitation to a room, once per run.
func (c *Connector) invite(s *session, room id.RoomID, ir *mautrix.SyncInvitedRoom) (model.Item, bool, bool) {
	var inviter id.UserID
	var direct bool
	var at time.Time
	name := ""
	for _, evt := range ir.State.Events {
		_ = evt.Content.ParseRaw(evt.Type)
		switch {
		case evt.Type == event.StateMember && evt.StateKey != nil && id.UserID(*evt.StateKey) == s.me:
			inviter, direct = evt.Sender, evt.Content.AsMember().IsDirect
			if evt.Timestamp > 0 {
				at = time.UnixMilli(evt.Timestamp)
			}
		case evt.Type == event.StateRoomName:
			name = evt.Content.AsRoomName().Name
		}
	}
	c.cacheMu.Lock()
	seen := c.invited[room]
	c.invited[room] = true
	c.cacheMu.Unlock()
	if inviter == "" || seen {
		return model.Item{}, false, false
	}
	if at.IsZero() {
		at = c.clk.Now()
	}
	who := c.cachedName(room, inviter)
	it := model.Item{
		Kind: model.KindMatrix, Account: c.opt.Account,
		SourceID: "invite:" + room.String() + ":" + inviter.String(),
		Thread:   room.String(), FromName: who, FromAddr: inviter.String(),
		Link: c.link(room, ""), Direct: direct, Received: at,
		Snippet: "Accept or decline it in your Matrix client.",
	}
	if direct {
		it.Channel, it.Subject = "DM", who+" wants to chat"
	} else {
		if name == "" {
			name = room.String()
		}
		it.Channel, it.Subject = name, who+" invited you to "+name
	}
	return it, direct, true
}

// link is the deep link to an event (or a room) in the user's client.
func (c *Connector) link(room id.RoomID, evt id.EventID) string {
	l := c.opt.LinkBase + url.PathEscape(room.String())
	if evt != "" {
		l += "/" + url.PathEscape(evt.String())
	}
	if strings.Contains(c.opt.LinkBase, "matrix.to") {
		if _, server, err := parseRoomServer(room); err == nil {
			l += "?via=" + url.QueryEscape(server)
		}
	}
	return l
}

func parseRoomServer(room id.RoomID) (string, string, error) {
	s := room.String()
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", "", errors.New("no server")
	}
	return s[:i], s[i+1:], nil
}

// roomName names a room: its name, else its alias, else its ID.
func (c *Connector) roomName(ctx context.Context, s *session, room id.RoomID) string {
	c.cacheMu.Lock()
	n, ok := c.names[room]
	c.cacheMu.Unlock()
	if ok && n != "" {
		return n
	}
	var name event.RoomNameEventContent
	if err := s.cli.StateEvent(ctx, room, event.StateRoomName, "", &name); err == nil && name.Name != "" {
		n = name.Name
	} else {
		var alias event.CanonicalAliasEventContent
		if err := s.cli.StateEvent(ctx, room, event.StateCanonicalAlias, "", &alias); err == nil && alias.Alias != "" {
			n = alias.Alias.String()
		}
	}
	if n == "" {
		n = room.String()
	}
	c.cacheMu.Lock()
	c.names[room] = n
	c.cacheMu.Unlock()
	return n
}

func (c *Connector) cachedName(room id.RoomID, user id.UserID) string {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if n := c.people[room][user]; n != "" {
		return n
	}
	return user.Localpart()
}

// displayName names a sender: their name in the room, else their profile's.
func (c *Connector) displayName(ctx context.Context, s *session, room id.RoomID, user id.UserID) string {
	c.cacheMu.Lock()
	n := c.people[room][user]
	c.cacheMu.Unlock()
	if n != "" {
		return n
	}
	if resp, err := s.cli.GetDisplayName(ctx, user); err == nil && resp.DisplayName != "" {
		n = resp.DisplayName
	} else {
		n = user.Localpart()
	}
	c.cacheMu.Lock()
	if c.people[room] == nil {
		c.people[room] = map[id.UserID]string{}
	}
	c.people[room][user] = n
	c.cacheMu.Unlock()
	return n
}

// resolveChosen resolves the chosen rooms' aliases once per run.
func (c *Connector) resolveChosen(ctx context.Context, s *session) {
	c.cacheMu.Lock()
	done := c.chosen != nil
	c.cacheMu.Unlock()
	if done {
		return
	}
	chosen := map[id.RoomID]bool{}
	var missing []string
	for _, r := range c.opt.Rooms {
		r = strings.TrimSpace(r)
		if strings.HasPrefix(r, "!") {
			chosen[id.RoomID(r)] = true
			continue
		}
		resp, err := s.cli.ResolveAlias(ctx, id.RoomAlias(r))
		if err != nil {
			c.log.Warn("chosen room not found", "room", r, "err", err)
			missing = append(missing, r)
			continue
		}
		chosen[resp.RoomID] = true
	}
	c.cacheMu.Lock()
	c.chosen, c.missing = chosen, missing
	c.cacheMu.Unlock()
}

// ---- the DM rooms ----

func (c *Connector) loadDirect(sink model.Sink) error {
	c.cacheMu.Lock()
	loaded := c.direct != nil
	c.cacheMu.Unlock()
	if loaded {
		return nil
	}
	v, err := sink.Cursor(c.opt.Account, directKey)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	var rooms []id.RoomID
	if len(v) > 0 {
		if err := json.Unmarshal(v, &rooms); err != nil {
			c.log.Warn("unreadable DM list; relearning it", "err", err)
		}
	}
	c.cacheMu.Lock()
	c.direct = map[id.RoomID]bool{}
	for _, r := range rooms {
		c.direct[r] = true
	}
	c.cacheMu.Unlock()
	return nil
}

func (c *Connector) forgetDirect() {
	c.cacheMu.Lock()
	c.direct = nil
	c.invited = map[id.RoomID]bool{}
	c.cacheMu.Unlock()
}

// setDirect merges m.direct into the DM rooms; it reports a change.
func (c *Connector) setDirect(evt *event.Event) bool {
	_ = evt.Content.ParseRaw(evt.Type)
	dc := evt.Content.AsDirectChats()
	if dc == nil {
		return false
	}
	changed := false
	for _, rooms := range *dc {
		for _, r := range rooms {
			if c.addDirect(r) {
				changed = true
			}
		}
	}
	return changed
}

func (c *Connector) addDirect(room id.RoomID) bool {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if c.direct == nil {
		c.direct = map[id.RoomID]bool{}
	}
	if c.direct[room] {
		return false
	}
	c.direct[room] = true
	return true
}

func (c *Connector) directValue() []byte {
	c.cacheMu.Lock()
	rooms := make([]string, 0, len(c.direct))
	for r := range c.direct {
		rooms = append(rooms, r.String())
	}
	c.cacheMu.Unlock()
	slices.Sort(rooms)
	b, _ := json.Marshal(rooms)
	return b
}

// report records the connector's condition with the sink when it changed.
func (c *Connector) report(state model.HealthState, detail string, until time.Time) {
	c.mu.Lock()
	h := c.health
	if h.State == state && h.Detail == detail && h.Until.Equal(until) {
		c.mu.Unlock()
		return
	}
	if h.State != state || h.Since.IsZero() {
		h.Since = c.clk.Now()
	}
	h.State, h.Detail, h.Until = state, detail, until
	c.health = h
	sink := c.sink
	c.mu.Unlock()
	if sink != nil {
		sink.ReportHealth(h)
	}
}

// backoff is the wait before retry n (1-based): doubling from backoffMin to
// backoffMax, with jitter in [d/2, d].
func backoff(n int) time.Duration {
	d := backoffMin
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
