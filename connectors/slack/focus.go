package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/sluice-app/sluice/app/model"
)

// focusKey is the cursor that remembers what Sluice set on Slack, so that a
// restart in the middle of a focus block still undoes it, and only it.
const focusKey = "focus"

// focusMark is what Sluice set on Slack for the current focus block.
type focusMark struct {
	DND   bool   `json:"dnd,omitempty"`   // Sluice snoozed notifications
	Text  string `json:"text,omitempty"`  // the status Sluice set, if it set one
	Emoji string `json:"emoji,omitempty"` //
	Key   string `json:"key,omitempty"`   // the block it was set for, to skip repeats
}

func (m *focusMark) empty() bool { return m == nil || (!m.DND && m.Text == "") }

// FocusStarted implements model.FocusMirror. If SetDND, it snoozes
// notifications until f.Until (dnd.setSnooze, minutes rounded up). If
// SetStatus and the user's status is empty (or still the one Sluice set),
// it sets StatusText/StatusEmoji expiring at f.Until; a status the user
// set themselves is left alone. Calling it again for the same block does
// nothing; for a changed block it updates what Sluice set.
func (c *Connector) FocusStarted(ctx context.Context, f model.FocusInfo) error {
	if !c.opt.SetDND && !c.opt.SetStatus {
		return nil
	}
	now := c.clk.Now()
	if !f.Until.After(now) {
		return nil
	}
	tmpl, emoji, dnd := c.opt.StatusText, c.opt.StatusEmoji, c.opt.SetDND
	if f.Vacation {
		// A vacation says so, and snoozes nothing: Slack's own
		// notifications are the user's to silence for days.
		tmpl, emoji, dnd = DefaultVacationText, DefaultVacationEmoji, false
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
	if old != nil {
		mark = *old // what was ours stays ours until undone
		mark.Key = ""
	}
	var errs []error
	if dnd {
		mins := int(math.Ceil(f.Until.Sub(now).Minutes()))
		err := c.call(ctx, "dnd.setSnooze", func(ctx context.Context) error {
			_, err := s.api.SetSnoozeContext(ctx, mins)
			return err
		})
		if err != nil {
			errs = append(errs, err)
		} else {
			mark.DND = true
		}
	}
	if c.opt.SetStatus {
		cur, err := c.status(ctx, s)
		switch {
		case err != nil:
			errs = append(errs, err)
		case (cur.text == "" && cur.emoji == "") || (mark.Text != "" && cur.text == mark.Text && cur.emoji == mark.Emoji):
			err := c.call(ctx, "users.profile.set", func(ctx context.Context) error {
				return s.api.SetUserCustomStatusContext(ctx, text, emoji, f.Until.Unix())
			})
			if err != nil {
				errs = append(errs, err)
			} else {
				mark.Text, mark.Emoji = text, emoji
			}
		default:
			mark.Text, mark.Emoji = "", "" // the user's own status replaced ours: not ours any more
			c.log.Info("user has a status of their own; leaving it")
		}
	}
	if len(errs) == 0 {
		mark.Key = key
	}
	c.saveMark(ctx, &mark)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("focus start: %w", err)
	}
	return nil
}

// FocusEnded implements model.FocusMirror: it ends the snooze if Sluice
// started it (dnd.endSnooze) and clears the status only if it is still
// exactly the one Sluice set.
func (c *Connector) FocusEnded(ctx context.Context) error {
	mark := c.loadMark()
	if mark.empty() {
		c.saveMark(ctx, nil)
		return nil
	}
	s, err := c.session(ctx)
	if err != nil {
		return fmt.Errorf("focus end: %w", err)
	}
	m := *mark
	var errs []error
	if m.DND {
		err := c.call(ctx, "dnd.endSnooze", func(ctx context.Context) error {
			_, err := s.api.EndSnoozeContext(ctx)
			return err
		})
		if err == nil || apiCode(err) == "snooze_not_active" {
			m.DND = false
		} else {
			errs = append(errs, err)
		}
	}
	if m.Text != "" {
		cur, err := c.status(ctx, s)
		switch {
		case err != nil:
			errs = append(errs, err)
		case cur.text == m.Text && cur.emoji == m.Emoji:
			err := c.call(ctx, "users.profile.set", func(ctx context.Context) error {
				return s.api.SetUserCustomStatusContext(ctx, "", "", 0)
			})
			if err != nil {
				errs = append(errs, err)
			} else {
				m.Text, m.Emoji = "", ""
			}
		default:
			c.log.Info("status changed since focus started; leaving it")
			m.Text, m.Emoji = "", ""
		}
	}
	m.Key = ""
	if m.empty() {
		c.saveMark(ctx, nil)
	} else {
		c.saveMark(ctx, &m)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("focus end: %w", err)
	}
	return nil
}

type status struct{ text, emoji string }

// status reads the user's current status. users.info carries it under the
// users:read scope the connector needs anyway, so the app does not ask for
// users.profile:read just for this.
func (c *Connector) status(ctx context.Context, s *session) (status, error) {
	var u *slackapi.User
	err := c.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = s.api.GetUserInfoContext(ctx, s.id.UserID, slackapi.GetUserInfoOptionIncludeLocale(false))
		return err
	})
	if err != nil {
		return status{}, err
	}
	st := status{text: u.Profile.StatusText, emoji: u.Profile.StatusEmoji}
	if exp := u.Profile.StatusExpiration; exp != 0 && !time.Unix(int64(exp), 0).After(c.clk.Now()) {
		st = status{} // expired; Slack clears it lazily
	}
	return st, nil
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

// saveMark remembers m (nil: nothing is ours any more) in memory and, when
// Run has given a sink, in the store.
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

// statusText fills the status template: {reply} is when the user will
// answer (the next check-in, else the block's end) and {until} the block's
// end, both in the user's zone.
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
