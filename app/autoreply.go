package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/schedule"
	"github.com/sluice-app/sluice/connectors/imap"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Telling senders: the auto-reply is a Sieve vacation script that Sluice
// installs over ManageSieve on the server of every IMAP account (while
// [autoreply] enabled), so the server answers while the laptop sleeps:
// during vacations and, with off_hours, outside working hours, by the
// server's own clock. Its text comes from the config or, when none is
// set, from the schedule. A pass runs at start, when the config or the
// plan changes and every hour; it writes to a server only when the script
// it would write differs from what it wrote last, and removes Sluice's
// script when the auto-reply is turned off. A server without ManageSieve,
// or a user's own active script that does not include Sluice's, is said
// in `sluice status` and the Schedule tab; nothing of the user's is ever
// replaced.

// autoReplyKey is the cursor that remembers, per account, that Sluice's
// auto-reply is on the server (so that turning it off removes it, after
// a restart too).
const autoReplyKey = "sieve:autoreply"

// autoReplyRetry is how long a server that could not be used waits before
// the next try (a config change tries at once).
const autoReplyRetry = 6 * time.Hour

type autoReplier struct {
	a    *App
	kick kicker

	mu       sync.Mutex
	accounts map[string]*replyAccount
	order    []string
	forced   bool // the next pass retries servers that failed lately
}

// replyAccount is what the auto-replier knows of one account's server.
type replyAccount struct {
	status  control.AutoReplyAccount
	applied string    // the script last written ("" none)
	done    bool      // the last write succeeded
	caps    []string  // the server's Sieve extensions, from the last connection
	failed  time.Time // when the server could last not be used
	sig     string    // the settings the last pass ran with
}

func newAutoReplier(a *App) *autoReplier {
	return &autoReplier{a: a, kick: newKicker(), accounts: map[string]*replyAccount{}}
}

// Kick asks for a pass soon, which also retries servers that could not
// be used lately (the user may have fixed their script).
func (r *autoReplier) Kick() {
	r.mu.Lock()
	r.forced = true
	r.mu.Unlock()
	r.kick.Kick()
}

func (r *autoReplier) run(ctx context.Context) {
	periodic(ctx, r.a.clk, r.kick, func() time.Duration { return time.Hour }, r.pass)
}

// Status is what `sluice status` and the Schedule tab show.
func (r *autoReplier) Status(cfg config.Config, plan schedule.Plan) *control.AutoReplyStatus {
	st := &control.AutoReplyStatus{On: cfg.AutoReply.Enabled, OffHours: cfg.AutoReply.OffHours, Days: autoReplyDays(cfg),
		Text: replyText(cfg, plan)}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range r.order {
		if ra := r.accounts[name]; ra != nil {
			st.Accounts = append(st.Accounts, ra.status)
		}
	}
	return st
}

func autoReplyDays(cfg config.Config) int {
	if cfg.AutoReply.Days > 0 {
		return cfg.AutoReply.Days
	}
	return config.DefaultAutoReplyDays
}

// pass brings every IMAP account's server in line with the config.
func (r *autoReplier) pass(ctx context.Context) {
	cfg := r.a.Config()
	plan := r.a.gate.Plan()
	now := r.a.clk.Now()
	r.mu.Lock()
	forced := r.forced
	r.forced = false
	r.mu.Unlock()
	var names []string
	for _, acc := range cfg.Accounts {
		if acc.Kind != "imap" || !acc.IsEnabled() {
			continue
		}
		names = append(names, acc.Name)
		r.account(ctx, cfg, plan, acc, now, forced)
	}
	r.mu.Lock()
	r.order = names
	for name := range r.accounts {
		if !slices.Contains(names, name) {
			delete(r.accounts, name) // removed: its server is the user's business now
		}
	}
	r.mu.Unlock()
}

// account brings one account's server in line.
func (r *autoReplier) account(ctx context.Context, cfg config.Config, plan schedule.Plan, acc config.Account, now time.Time, forced bool) {
	r.mu.Lock()
	ra := r.accounts[acc.Name]
	if ra == nil {
		ra = &replyAccount{status: control.AutoReplyAccount{Account: acc.Name, State: "pending"}}
		r.accounts[acc.Name] = ra
	}
	r.mu.Unlock()
	log := r.a.log.With("component", "autoreply", "account", acc.Name)
	on := cfg.AutoReply.Enabled
	installed := ra.applied != ""
	if v, err := r.a.st.Cursor(acc.Name, autoReplyKey); err == nil && len(v) > 0 {
		installed = true
	}
	sig := autoReplySig(cfg, acc)
	set := func(st control.AutoReplyAccount) {
		r.mu.Lock()
		defer r.mu.Unlock()
		ra.status = st
	}
	switch {
	case !on && !installed:
		set(control.AutoReplyAccount{Account: acc.Name, State: "off"})
		ra.sig = sig
		return
	case !forced && !ra.failed.IsZero() && sig == ra.sig && now.Sub(ra.failed) < ra.retry():
		return // tried lately; a config change or a reload tries again at once
	case on && ra.done && sig == ra.sig:
		// Nothing to write if the script came out as last time.
		if g, err := vacationScript(cfg, plan, acc, ra.caps, now); err == nil && g.Script == ra.applied {
			return
		}
	}
	ra.sig, ra.done = sig, false
	iopt, err := imapOptions(acc, r.a.log, &r.a.tokens, keys{})
	var conn *imap.Connector
	if err == nil {
		conn, err = imap.New(iopt)
	}
	if err != nil {
		ra.failed = now
		set(control.AutoReplyAccount{Account: acc.Name, State: "unavailable", Detail: err.Error()})
		return
	}
	var script string
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := conn.ApplyVacation(actx, imap.SieveTarget{Host: acc.SieveHost, Port: acc.SievePort}, func(caps sieve.Capabilities) (string, error) {
		ra.caps = slices.Clone(caps.Sieve)
		if ra.caps == nil {
			ra.caps = []string{}
		}
		if !on {
			return "", nil
		}
		g, err := vacationScript(cfg, plan, acc, caps.Sieve, now)
		script = g.Script
		return g.Script, err
	})
	if err != nil {
		ra.failed = now
		st := autoReplyFailure(acc.Name, err)
		log.Warn("auto-reply not installed", "state", st.State, "err", err)
		set(st)
		return
	}
	ra.failed, ra.done = time.Time{}, true
	ra.applied = script
	mark := []byte("on")
	if script == "" {
		mark = nil
	}
	if err := r.a.st.SetCursor(acc.Name, autoReplyKey, mark); err != nil {
		log.Warn("auto-reply state not stored", "err", err)
	}
	st := autoReplyApplied(acc.Name, res, on, script)
	log.Info("auto-reply applied", "state", st.State, "active", res.Active)
	set(st)
}

// autoReplyFailure is how an account's auto-reply stands when installing
// it failed with err, in words that say what the user can do.
func autoReplyFailure(account string, err error) control.AutoReplyAccount {
	st := control.AutoReplyAccount{Account: account, State: "unavailable", Detail: err.Error()}
	var ie *sieve.IncludeError
	switch {
	case errors.As(err, &ie):
		st.State = "include-needed"
		st.Detail = fmt.Sprintf("your active Sieve script %q is your own, and Sluice never replaces or deactivates it. "+
			"For the server to answer for Sluice, add %s to the require lines at the top of %q and %s at its end; "+
			"`sluice config reload` (or saving the settings) then installs the auto-reply at once.",
			ie.Active, `require ["include"];`, ie.Active, `include :personal "`+sieve.ScriptMain+`";`)
	case errors.Is(err, imap.ErrNoManageSieve):
		st.Detail = "the server offers no ManageSieve, so it cannot answer for Sluice (" + err.Error() + ")"
	case errors.Is(err, sieve.ErrMissingExtension):
		st.Detail = "the server's Sieve cannot send this auto-reply: " + err.Error()
	}
	return st
}

// autoReplyApplied is how an account's auto-reply stands once the server
// took Sluice's script (script, empty when there is nothing to answer).
func autoReplyApplied(account string, res sieve.Result, on bool, script string) control.AutoReplyAccount {
	st := control.AutoReplyAccount{Account: account, State: string(res.State)}
	if len(res.Warnings) > 0 {
		st.Detail = strings.Join(res.Warnings, "; ")
	}
	switch {
	case !on:
		// Sluice's main script may still run, for the hold at delivery.
		st.State = "off"
	case script == "":
		st.State, st.Detail = "off", "no vacation ahead: the server answers once one is planned"
	}
	return st
}

// retry is how long a server that could not be used waits for the next
// try: an hour while the user's script lacks the include (they may be
// adding it), longer when the server cannot do it at all.
func (ra *replyAccount) retry() time.Duration {
	if ra.status.State == "include-needed" {
		return time.Hour
	}
	return autoReplyRetry
}

// autoReplySig is what makes a pass write again at once: the auto-reply's
// settings and the account's server.
func autoReplySig(cfg config.Config, acc config.Account) string {
	a := cfg.AutoReply
	return strings.Join([]string{boolWord(a.Enabled), boolWord(a.OffHours), a.Text, a.Subject, strconv.Itoa(a.Days),
		acc.Host, acc.SieveHost, strconv.Itoa(acc.SievePort), acc.Username}, "\x00")
}

func boolWord(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// vacationScript is the auto-reply for acc from the config and the plan.
func vacationScript(cfg config.Config, plan schedule.Plan, acc config.Account, exts []string, now time.Time) (sieve.Generated, error) {
	spec := sieve.VacationSpec{
		Text: replyText(cfg, plan), Subject: cfg.AutoReply.Subject, Days: autoReplyDays(cfg),
		Zone: planZone(plan), OffHours: cfg.AutoReply.OffHours, Now: now, Extensions: exts,
	}
	if strings.Contains(acc.Username, "@") {
		spec.Addresses = []string{acc.Username}
	}
	for _, v := range plan.Vacations {
		if v.From.Compare(v.To) > 0 {
			continue
		}
		spec.Vacations = append(spec.Vacations, sieve.Period{Start: plan.At(v.From, schedule.TimeOfDay{}), End: plan.At(v.To.AddDays(1), schedule.TimeOfDay{})})
	}
	for d, day := range plan.Week {
		if day.Work == nil {
			continue
		}
		spec.Work[d] = []sieve.Span{{
			Start: sieve.Clock{Hour: day.Work.Start.Hour, Minute: day.Work.Start.Minute},
			End:   sieve.Clock{Hour: day.Work.End.Hour, Minute: day.Work.End.Minute},
		}}
	}
	return sieve.VacationScript(spec)
}

// replyText is the auto-reply's text: the user's, or one made from the
// schedule ("I read mail at 11:00 and 16:00 (Europe/Berlin). Urgent? Put
// URGENT in the subject.").
func replyText(cfg config.Config, plan schedule.Plan) string {
	if t := strings.TrimSpace(cfg.AutoReply.Text); t != "" {
		return cfg.AutoReply.Text
	}
	seen := map[schedule.TimeOfDay]bool{}
	var clocks []schedule.TimeOfDay
	for _, day := range plan.Week {
		if day.Work == nil {
			continue
		}
		for _, c := range day.Checkins {
			if !seen[c.At] {
				seen[c.At] = true
				clocks = append(clocks, c.At)
			}
		}
	}
	slices.SortFunc(clocks, func(a, b schedule.TimeOfDay) int { return (a.Hour*60 + a.Minute) - (b.Hour*60 + b.Minute) })
	var times []string
	for _, c := range clocks {
		times = append(times, c.String())
	}
	keyword := ""
	if len(cfg.Urgent.Keywords) > 0 {
		keyword = cfg.Urgent.Keywords[0]
	}
	return sieve.DefaultReplyText(times, zoneName(cfg.Schedule.Zone, planZone(plan)), keyword)
}

func planZone(p schedule.Plan) *time.Location {
	if p.Zone == nil {
		return time.Local
	}
	return p.Zone
}

// zoneName is the zone as a sender can read it: the configured IANA name,
// else the system's.
func zoneName(configured string, loc *time.Location) string {
	if configured != "" && configured != "Local" {
		return configured
	}
	if n := loc.String(); n != "Local" && n != "" {
		return n
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		return tz
	}
	if link, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(link, "zoneinfo/"); i >= 0 {
			return link[i+len("zoneinfo/"):]
		}
	}
	return ""
}
