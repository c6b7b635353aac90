package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/sluice-app/sluice/app/model"
)

// startSocket runs Socket Mode until the returned stop is called or ctx is
// done. Events are acknowledged at once, before anything else is done with
// them, because Slack resends what is not acknowledged within 3 seconds.
// Each (re)connection asks the sweep loop for a backfill, since events sent
// while the socket was down are not replayed. An app-level token Slack
// rejects turns Socket Mode off; polling carries on.
func (c *Connector) startSocket(ctx context.Context, s *session) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	c.socketOff.Store(false)
	var wg sync.WaitGroup
	wg.Go(func() { c.runSocket(ctx, s) })
	return func() {
		cancel()
		wg.Wait()
		c.socketUp.Store(false)
	}
}

func (c *Connector) runSocket(ctx context.Context, s *session) {
	for failures := 0; ; {
		api := slackapi.New(s.token, slackapi.OptionAPIURL(c.opt.APIURL), slackapi.OptionAppLevelToken(s.appToken))
		sm := socketmode.New(api, socketmode.OptionLog(discardLogger{}))
		done := make(chan error, 1)
		go func() { done <- sm.RunContext(ctx) }()
		err := c.socketEvents(ctx, s, sm, done)
		c.socketUp.Store(false)
		if ctx.Err() != nil {
			return
		}
		if socketAuthFailed(err) {
			c.log.Warn("app-level token rejected; polling instead", "err", err)
			c.socketOff.Store(true)
			c.Wake() // let the loop report health and switch to the poll interval
			return
		}
		failures++
		d := backoff(failures)
		c.log.Warn("socket mode stopped; reconnecting", "err", err, "retry_in", d)
		c.Wake()
		t := c.clk.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// socketAuthFailed reports whether Socket Mode stopped because Slack
// refused the app-level token (socketmode returns these without retrying).
func socketAuthFailed(err error) bool {
	var (
		resp slackapi.SlackErrorResponse
		code slackapi.StatusCodeError
	)
	switch {
	case err == nil:
		return false
	case errors.As(err, &resp):
		return authErrors[resp.Err]
	case errors.As(err, &code):
		return code.Code == http.StatusUnauthorized || code.Code == http.StatusForbidden || code.Code == http.StatusNotFound
	}
	return authErrors[err.Error()]
}

// socketEvents handles sm's events until RunContext ends (its error is
// returned) or ctx is done.
func (c *Connector) socketEvents(ctx context.Context, s *session, sm *socketmode.Client, done <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return <-done
		case err := <-done:
			return err
		case evt := <-sm.Events:
			switch evt.Type {
			case socketmode.EventTypeHello:
				if evt.Request != nil && evt.Request.ConnectionInfo.AppID != "" {
					c.appID.Store(evt.Request.ConnectionInfo.AppID)
				}
			case socketmode.EventTypeConnected:
				c.socketUp.Store(true)
				c.log.Info("socket mode connected")
				c.Wake() // backfill what was sent while not connected
			case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect:
				c.socketUp.Store(false)
			case socketmode.EventTypeEventsAPI:
				if evt.Request != nil {
					c.ack(ctx, sm, evt.Request.EnvelopeID)
				}
				if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
					c.handleEvent(ctx, s, ev)
				}
			case socketmode.EventTypeErrorBadMessage:
				// Slack would resend an unreadable event forever; take it off its hands.
				if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
					var env struct {
						EnvelopeID string `json:"envelope_id"`
					}
					if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
						c.ack(ctx, sm, env.EnvelopeID)
					}
					c.log.Warn("unreadable socket mode message", "err", bad.Cause)
				}
			case socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
				if evt.Request != nil {
					c.ack(ctx, sm, evt.Request.EnvelopeID)
				}
			}
		}
	}
}

func (c *Connector) ack(ctx context.Context, sm *socketmode.Client, envelopeID string) {
	if envelopeID == "" {
		return
	}
	if err := sm.AckCtx(ctx, envelopeID, nil); err != nil {
		c.log.Warn("socket mode ack failed", "err", err)
	}
}

// handleEvent turns a message or app_mention event into an item when it is
// a DM, a group DM, in a chosen channel, or mentions the user. Items from
// events carry no cursor: the sweeps move cursors, so a gap while the
// socket was down is never skipped over; the sink drops the duplicates.
func (c *Connector) handleEvent(ctx context.Context, s *session, ev slackevents.EventsAPIEvent) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	var (
		m        message
		channel  string
		chanType string
	)
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		m, channel, chanType = fromEvent(e), e.Channel, e.ChannelType
	case *slackevents.AppMentionEvent:
		m, channel = fromMention(e), e.Channel
	default:
		return
	}
	if channel == "" {
		return
	}
	if m.User != "" && m.User == s.id.UserID {
		c.socketReply(ctx, s, channel, chanType, m)
		return
	}
	if !c.keep(s, m) {
		return
	}
	cv, _ := c.conv(ctx, s, channel, chanType, false)
	if !cv.direct() && !c.isChosen(channel) && !mentions(m.Text, s.id.UserID) {
		return
	}
	it, err := c.toItem(ctx, s, cv, m, false)
	if err != nil {
		return // only ctx ends a non-strict translation
	}
	sink := c.currentSink()
	if sink == nil {
		return
	}
	if err := c.ingest(ctx, sink, model.Batch{Account: c.opt.Account, Items: []model.Item{it}}); err != nil && ctx.Err() == nil {
		// The next sweep fetches it again from the cursor.
		c.log.Warn("ingest socket mode event", "err", err)
	}
}

// discardLogger silences slack-go's socketmode logger, whose debug output
// would include message content.
type discardLogger struct{}

func (discardLogger) Output(int, string) error { return nil }
