package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"

	"github.com/sluice-app/sluice/app/model"
)

// maxStatusRunes keeps the status message short, as clients show it.
const maxStatusRunes = 100

// focusMark is what Sluice set on the homeserver for the current focus
// block, and what was there before, so that a restart in the middle of a
// block still restores it, and only if it is still what Sluice set.
type focusMark struct {
	Text         string `json:"text,omitempty"`          // the status message Sluice set
	PrevPresence string `json:"prev_presence,omitempty"` // presence before the block
	PrevStatus   string `json:"prev_status,omitempty"`   // status message before the block
	Key          string `json:"key,omitempty"`           // the block it was set for
}

// FocusStarted implements model.FocusMirror: with SetPresence, it
// remembers the user's presence and status message and sets presence
// "unavailable" with StatusText. Calling it again for the same block does
// nothing; for a changed block it updates the status message.
func (c *Connector) FocusStarted(ctx context.Context, f model.FocusInfo) error {
	if !c.opt.SetPresence {
		return nil
	}
	now := c.clk.Now()
	if !f.Until.After(now) {
		return nil
	}
	tmpl := c.opt.StatusText
	if f.Vacation {
		tmpl = "On vacation — replies at {reply}"
	}
	text := statusText(tmpl, f, now)
	key := strconv.FormatInt(f.Until.Unix(), 10) + "|" + text
	old := c.loadMark()
	if old != nil && old.Key == key {
		return nil
	}
	s, err := c.session(ctx)
	if err != nil {
		return fmt.Errorf("focus start: %w", err)
	}
	mark := focusMark{}
	if old != nil && old.Text != "" {
		mark = *old // what was there before the first block stays the thing to restore
	} else {
		cur, err := s.cli.GetPresence(ctx, s.me)
		if err != nil {
			return fmt.Errorf("focus start: read presence: %w", classify(err, now))
		}
		mark.PrevPresence, mark.PrevStatus = string(cur.Presence), cur.StatusMsg
	}
	if err := s.cli.SetPresence(ctx, mautrix.ReqPresence{Presence: event.PresenceUnavailable, StatusMsg: text}); err != nil {
		return fmt.Errorf("focus start: set presence: %w", classify(err, now))
	}
	mark.Text, mark.Key = text, key
	c.saveMark(ctx, &mark)
	return nil
}

// FocusEnded implements model.FocusMirror: it restores the presence and
// status message from before the block, unless the user changed the
// status message meanwhile.
func (c *Connector) FocusEnded(ctx context.Context) error {
	mark := c.loadMark()
	if mark == nil || mark.Text == "" {
		c.saveMark(ctx, nil)
		return nil
	}
	s, err := c.session(ctx)
	if err != nil {
		return fmt.Errorf("focus end: %w", err)
	}
	now := c.clk.Now()
	cur, err := s.cli.GetPresence(ctx, s.me)
	if err != nil {
		return fmt.Errorf("focus end: read presence: %w", classify(err, now))
	}
	if cur.StatusMsg != mark.Text {
		c.log.Info("status message changed since focus started; leaving it")
		c.saveMark(ctx, nil)
		return nil
	}
	prev := event.Presence(mark.PrevPresence)
	switch prev {
	case event.PresenceOnline, event.PresenceOffline, event.PresenceUnavailable:
	default:
		prev = event.PresenceOnline
	}
	if err := s.cli.SetPresence(ctx, mautrix.ReqPresence{Presence: prev, StatusMsg: mark.PrevStatus}); err != nil {
		return fmt.Errorf("focus end: restore presence: %w", classify(err, now))
	}
	c.saveMark(ctx, nil)
	return nil
}

func (c *Connector) loadMark() *focusMark {
	c.mu.Lock()
	m, sink := c.mark, c.sink
	c.mu.Unlock()
	if m != nil || sink == nil {
		return m
	}
	v, err := sink.Cursor(c.opt.Account, focusKey)
	if err != nil || len(v) == 0 {
		return nil
	}
	m = &focusMark{}
	if err := json.Unmarshal(v, m); err != nil {
		c.log.Warn("ignoring unreadable focus cursor", "err", err)
		return nil
	}
	c.mu.Lock()
	if c.mark == nil {
		c.mark = m
	}
	c.mu.Unlock()
	return m
}

// saveMark remembers m (nil: nothing is Sluice's any more) in memory and,
// once Run has given a sink, in the store.
func (c *Connector) saveMark(ctx context.Context, m *focusMark) {
	c.mu.Lock()
	c.mark = m
	sink := c.sink
	c.mu.Unlock()
	if sink == nil {
		return
	}
	var v []byte
	if m != nil {
		v, _ = json.Marshal(m)
	}
	b := model.Batch{Account: c.opt.Account, Cursors: []model.Cursor{{Account: c.opt.Account, Key: focusKey, Value: v}}}
	if err := sink.Ingest(ctx, b); err != nil {
		c.log.Warn("could not store focus state", "err", err)
	}
}

// statusText fills the status template in the user's zone.
func statusText(tmpl string, f model.FocusInfo, now time.Time) string {
	zone := f.Zone
	if zone == nil {
		zone = time.Local
	}
	reply := f.ReplyAt
	if reply.IsZero() {
		reply = f.Until
	}
	s := strings.NewReplacer(
		"{reply}", model.When(reply, now, zone),
		"{until}", model.When(f.Until, now, zone),
	).Replace(tmpl)
	if r := []rune(s); len(r) > maxStatusRunes {
		s = string(r[:maxStatusRunes-1]) + "…"
	}
	return s
}
