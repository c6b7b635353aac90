package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/calendar"
)

// calendarOptions turns a caldav or ics account into a calendar source's
// options. The CalDAV password and a feed's secret address come from the
// keyring (or the password command), never from the config.
func calendarOptions(acc config.Account, local *time.Location, log *slog.Logger, k keys) calendar.Options {
	opt := calendar.Options{
		Account: acc.Name, Kind: model.Kind(acc.Kind), URL: acc.URL, Username: acc.Username,
		Calendars: acc.Calendars, Addresses: acc.Addresses, Local: local,
		PollInterval: acc.PollInterval.Duration, CAFile: acc.CAFile, Logger: log,
	}
	switch {
	case acc.Kind == "caldav":
		opt.Secret = k.source(acc.Name, secrets.Password, acc.PasswordCommand)
	case acc.URL == "":
		opt.Secret = k.source(acc.Name, secrets.URL, acc.PasswordCommand)
	}
	return opt
}

// calendarConnector runs a calendar source under the supervisor like a
// connector; the gate it is given is also its model.BusySink.
type calendarConnector struct{ *calendar.Source }

// Run implements model.Connector.
func (c calendarConnector) Run(ctx context.Context, sink model.Sink) error {
	bs, ok := sink.(model.BusySink)
	if !ok {
		return fmt.Errorf("calendar %s: the sink takes no busy time", c.Account())
	}
	return c.Source.Run(ctx, bs)
}

// buildCalendar makes the source of a caldav or ics account; loc is the
// user's zone (floating times, all-day dates), clk nil means the real one.
func buildCalendar(acc config.Account, loc *time.Location, clk clock.Clock, log *slog.Logger, k keys) (calendarConnector, error) {
	opt := calendarOptions(acc, loc, log, k)
	opt.Clock = clk
	src, err := calendar.New(opt)
	if err != nil {
		return calendarConnector{}, err
	}
	return calendarConnector{src}, nil
}

// publishKey is the cursor (of the target account) that remembers where
// Sluice published focus blocks, so it can remove them when the option is
// turned off or pointed elsewhere.
const publishKey = "publish-focus"

// PublishAhead is how far ahead focus blocks are published.
const PublishAhead = 7 * 24 * time.Hour

// publisher keeps the focus blocks on the user's calendar in step with the
// plan: at start, after every config change and every hour (the week
// moves on), five minutes after a failed attempt.
type publisher struct {
	a *App
	kicker

	mu     sync.Mutex
	status control.PublishStatus
}

func newPublisher(a *App) *publisher { return &publisher{a: a, kicker: newKicker()} }

// Status is the last pass's outcome.
func (p *publisher) Status() control.PublishStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.status
	s.Blocks = append([]model.Busy(nil), s.Blocks...)
	return s
}

func (p *publisher) run(ctx context.Context) {
	periodic(ctx, p.a.clk, p.kicker, func() time.Duration {
		if p.Status().Error != "" {
			return 5 * time.Minute // the server was away: try again soon
		}
		return time.Hour
	}, p.once)
}

type publishTarget struct {
	Account  string `json:"account"`
	Calendar string `json:"calendar"`
}

// once publishes or unpublishes according to the config in force.
func (p *publisher) once(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cfg := p.a.Config()
	want := publishTarget{Account: cfg.Calendar.PublishAccount, Calendar: cfg.Calendar.PublishCalendar}
	on := cfg.Calendar.PublishFocus
	st := control.PublishStatus{On: on, Account: want.Account, Calendar: want.Calendar, At: p.a.clk.Now()}
	var errs []error
	// Remove what an earlier setting published elsewhere, or everything
	// when publishing is off.
	for _, acc := range cfg.Accounts {
		if acc.Kind != "caldav" {
			continue
		}
		b, err := p.a.st.Cursor(acc.Name, publishKey)
		if err != nil || len(b) == 0 {
			continue
		}
		var had publishTarget
		if json.Unmarshal(b, &had) != nil || (on && had == want) {
			continue
		}
		if err := p.unpublish(ctx, cfg, acc, had.Calendar); err != nil {
			errs = append(errs, err)
		}
	}
	if on {
		res, err := p.publish(ctx, cfg, want)
		if err != nil {
			errs = append(errs, err)
		}
		st.Blocks = res.Blocks
	}
	if err := errors.Join(errs...); err != nil {
		st.Error = err.Error()
		p.a.log.Warn("focus blocks not published", "err", err)
	}
	p.mu.Lock()
	p.status = st
	p.mu.Unlock()
}

func (p *publisher) source(cfg config.Config, acc config.Account) (*calendar.Source, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	c, err := buildCalendar(acc, loc, p.a.clk, p.a.log, keys{})
	return c.Source, err
}

func (p *publisher) publish(ctx context.Context, cfg config.Config, t publishTarget) (calendar.Published, error) {
	var acc *config.Account
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == t.Account {
			acc = &cfg.Accounts[i]
		}
	}
	if acc == nil {
		return calendar.Published{}, fmt.Errorf("publish focus blocks: no account %q", t.Account)
	}
	src, err := p.source(cfg, *acc)
	if err != nil {
		return calendar.Published{}, err
	}
	pub, err := src.Publisher(t.Calendar)
	if err != nil {
		return calendar.Published{}, err
	}
	// Remember the target before writing, so a crash in between still
	// knows where to clean up.
	b, _ := json.Marshal(t)
	if err := p.a.st.SetCursor(t.Account, publishKey, b); err != nil {
		return calendar.Published{}, err
	}
	now := p.a.clk.Now()
	var blocks []model.Busy
	for _, iv := range p.a.gate.Plan().FocusBlocks(now, now.Add(PublishAhead)) {
		blocks = append(blocks, model.Busy{Start: iv.Start, End: iv.End, Title: calendar.FocusTitle})
	}
	res, err := pub.Publish(ctx, blocks)
	if err == nil && (res.Written > 0 || res.Removed > 0) {
		p.a.log.Info("focus blocks published", "account", t.Account, "written", res.Written, "removed", res.Removed)
	}
	return res, err
}

func (p *publisher) unpublish(ctx context.Context, cfg config.Config, acc config.Account, cal string) error {
	src, err := p.source(cfg, acc)
	if err != nil {
		return err
	}
	pub, err := src.Publisher(cal)
	if err != nil {
		return err
	}
	res, err := pub.Unpublish(ctx)
	if err != nil {
		return err
	}
	p.a.log.Info("focus blocks removed", "account", acc.Name, "removed", res.Removed)
	return p.a.st.SetCursor(acc.Name, publishKey, nil)
}
