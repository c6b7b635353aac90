// Package config holds Sluice's typed settings: defaults, normalising,
// validation that names the field and the bad value, a version with
// migrations, and atomic saves. It never holds a secret: passwords and tokens
// live in the OS keyring (app/secrets) or come from a password command.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/sluice-app/sluice/app/atomicfile"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/schedule"
)

// Version is the config format this build writes. Older files are migrated
// on load; newer ones are refused.
const Version = 1

// Config is the whole settings file.
type Config struct {
	Version       int           `toml:"version" json:"version"`
	Schedule      Schedule      `toml:"schedule" json:"schedule"`
	Urgent        Urgent        `toml:"urgent" json:"urgent"`
	Rules         []rules.Rule  `toml:"rules" json:"rules"`
	Notifications Notifications `toml:"notifications" json:"notifications"`
	General       General       `toml:"general" json:"general"`
	Local         Local         `toml:"local" json:"local"`
	Calendar      Calendar      `toml:"calendar" json:"calendar"`
	Desktop       Desktop       `toml:"desktop" json:"desktop"`
	Promise       Promise       `toml:"promise" json:"promise"`
	AutoReply     AutoReply     `toml:"autoreply" json:"autoreply"`
	Accounts      []Account     `toml:"accounts" json:"accounts"`
}

// Calendar says how the meetings on the user's calendars (the accounts of
// kind caldav and ics) shape the day, and whether Sluice publishes its
// focus blocks as busy time. Each switch works on its own.
type Calendar struct {
	// MoveCheckins moves a check-in that falls in a meeting to the
	// meeting's end (within working hours; else that check-in is skipped).
	MoveCheckins bool `toml:"move_checkins" json:"move_checkins"`
	// HoldInMeetings holds during meetings like during focus; urgent items
	// still break through.
	HoldInMeetings bool `toml:"hold_in_meetings" json:"hold_in_meetings"`
	// AllDayBusy counts all-day events marked busy as meetings.
	AllDayBusy bool `toml:"all_day_busy" json:"all_day_busy"`
	// PublishFocus writes the week's focus blocks as busy events ("Focus —
	// Sluice") into PublishCalendar of the CalDAV account PublishAccount,
	// and removes them when turned off.
	PublishFocus    bool   `toml:"publish_focus" json:"publish_focus"`
	PublishAccount  string `toml:"publish_account" json:"publish_account,omitempty"`
	PublishCalendar string `toml:"publish_calendar" json:"publish_calendar,omitempty"`
}

// Schedule is the weekly plan as written in the file.
type Schedule struct {
	// Template is the rhythm the plan starts from: twice-a-day,
	// three-times-a-day, makers-day or custom. When Days is empty the
	// template's week is used as it is.
	Template string `toml:"template" json:"template"`
	// Zone is an IANA time zone name; empty means the system's.
	Zone string `toml:"zone" json:"zone"`
	// Days maps weekday names (monday…sunday) to their plan. When any day
	// is given, the days not listed are days off.
	Days      map[string]schedule.Day `toml:"days" json:"days,omitempty"`
	Vacations []schedule.DateRange    `toml:"vacations" json:"vacations,omitempty"`
}

// Urgent holds the built-in rules a user only fills in and the limits on
// breakthroughs.
type Urgent struct {
	VIPs     []string `toml:"vips" json:"vips"`
	Keywords []string `toml:"keywords" json:"keywords"`
	Channel  string   `toml:"channel" json:"channel"`
	// BudgetPerHour caps urgent breakthroughs per rolling hour; over it,
	// urgent items are held. 0 means no urgent item breaks through.
	BudgetPerHour int `toml:"budget_per_hour" json:"budget_per_hour"`
	// OffHours is what urgent items do outside working hours: "hold" or "deliver".
	OffHours string `toml:"off_hours" json:"off_hours"`
}

// Notifications switches each kind of notification.
type Notifications struct {
	Checkin    bool `toml:"checkin" json:"checkin"`
	Urgent     bool `toml:"urgent" json:"urgent"`
	FocusStart bool `toml:"focus_start" json:"focus_start"`
	FocusEnd   bool `toml:"focus_end" json:"focus_end"`
	Attention  bool `toml:"attention" json:"attention"`
	// Empty reports a check-in that released nothing ("nothing new").
	Empty bool `toml:"empty_checkin" json:"empty_checkin"`
}

// General holds app-wide settings.
type General struct {
	// Retention is how long done items are kept before pruning.
	Retention schedule.Duration `toml:"retention" json:"retention"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level" json:"log_level"`
	// StartAtLogin mirrors the autostart entry (the entry is the truth; this
	// records the user's wish so the settings window can show it).
	StartAtLogin bool `toml:"start_at_login" json:"start_at_login"`
}

// Local configures the local inbox's HTTP endpoint. `sluice send` works
// through the control API whether or not the endpoint is on.
type Local struct {
	HTTP   bool   `toml:"http" json:"http"`
	Listen string `toml:"listen" json:"listen"`
}

// Desktop is how Sluice treats the rest of the desktop: other apps'
// notifications wait for the check-in too.
type Desktop struct {
	// HoldOtherApps puts the desktop's notification server into
	// do-not-disturb while Sluice holds: "focus" (during focus blocks and
	// meetings), "holding" (also between check-ins and off-hours) or "off".
	HoldOtherApps string `toml:"hold_other_apps" json:"hold_other_apps"`
	// Capture (Linux) watches other apps' notifications on the session bus
	// while Sluice holds them, and records those of CaptureApps as items,
	// so check-ins and the digest include them. Off unless the user agrees.
	Capture bool `toml:"capture" json:"capture"`
	// CaptureApps names the apps (as they name themselves to the
	// notification server) whose notifications become items.
	CaptureApps []string `toml:"capture_apps" json:"capture_apps"`
	// ShortcutOn and ShortcutOff are the macOS Shortcuts Sluice runs to
	// turn a Focus on and off (empty: none).
	ShortcutOn  string `toml:"shortcut_on" json:"shortcut_on"`
	ShortcutOff string `toml:"shortcut_off" json:"shortcut_off"`
}

// Values of Desktop.HoldOtherApps.
const (
	HoldFocus   = "focus"
	HoldHolding = "holding"
	HoldOff     = "off"
)

// CapturesApp reports whether notifications of app become items.
func (d Desktop) CapturesApp(app string) bool {
	if !d.Capture {
		return false
	}
	for _, a := range d.CaptureApps {
		if strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(app)) {
			return true
		}
	}
	return false
}

// DesktopAccount is the account name of items recorded from other apps'
// notifications; no configured account may take it.
const DesktopAccount = "Desktop"

// Account is one configured source. Fields apply to the kinds noted.
type Account struct {
	Name    string `toml:"name" json:"name"`
	Kind    string `toml:"kind" json:"kind"` // imap, slack, matrix, github, caldav or ics
	Enabled *bool  `toml:"enabled" json:"enabled,omitempty"`

	// imap
	Preset          string            `toml:"preset,omitempty" json:"preset,omitempty"`
	Host            string            `toml:"host,omitempty" json:"host,omitempty"`
	Port            int               `toml:"port,omitempty" json:"port,omitempty"`
	Security        string            `toml:"security,omitempty" json:"security,omitempty"` // tls, starttls, insecure
	AllowInsecure   bool              `toml:"allow_insecure,omitempty" json:"allow_insecure,omitempty"`
	Username        string            `toml:"username,omitempty" json:"username,omitempty"`
	Folders         []string          `toml:"folders,omitempty" json:"folders,omitempty"`
	CAFile          string            `toml:"ca_file,omitempty" json:"ca_file,omitempty"`
	PasswordCommand string            `toml:"password_command,omitempty" json:"password_command,omitempty"`
	InitialSync     string            `toml:"initial_sync,omitempty" json:"initial_sync,omitempty"` // none, newest, since, all
	InitialNewest   int               `toml:"initial_newest,omitempty" json:"initial_newest,omitempty"`
	InitialSince    string            `toml:"initial_since,omitempty" json:"initial_since,omitempty"` // 2006-01-02
	PollInterval    schedule.Duration `toml:"poll_interval,omitempty" json:"poll_interval,omitzero"`
	LinkTemplate    string            `toml:"link_template,omitempty" json:"link_template,omitempty"`
	// SentFolder is where the user's sent mail is, for knowing what was
	// answered; empty finds it by its SPECIAL-USE \Sent flag, "-" turns
	// the watch off.
	SentFolder string `toml:"sent_folder,omitempty" json:"sent_folder,omitempty"`

	// HoldOnServer (imap) moves the mail Sluice holds out of INBOX into
	// HoldFolder on the server while it holds, and back in one batch at
	// every check-in, so the phone and webmail are batched too. Off by
	// default.
	HoldOnServer bool `toml:"hold_on_server,omitempty" json:"hold_on_server,omitempty"`
	// HoldFolder is the hold folder, levels separated by "/" whatever the
	// server uses; empty means "Sluice/Held" (under the server's personal
	// namespace, e.g. INBOX.Sluice.Held on Courier and Cyrus).
	HoldFolder string `toml:"hold_folder,omitempty" json:"hold_folder,omitempty"`
	// HoldAtDelivery also holds at delivery where the server offers
	// ManageSieve: a Sieve script of Sluice's own files the mail it would
	// hold straight into the hold folder, so it never shows in INBOX. A
	// Sieve script of the user's own is never replaced.
	HoldAtDelivery bool `toml:"hold_at_delivery,omitempty" json:"hold_at_delivery,omitempty"`
	// SieveHost and SievePort reach the account's ManageSieve server, for
	// the hold at delivery and the auto-reply alike (default: the IMAP
	// host, port 4190).
	SieveHost string `toml:"sieve_host,omitempty" json:"sieve_host,omitempty"`
	SievePort int    `toml:"sieve_port,omitempty" json:"sieve_port,omitempty"`
	// ReleaseOnQuit moves everything held on the server back to INBOX
	// when Sluice is told to quit (`sluice quit`, the tray's Quit).
	ReleaseOnQuit bool `toml:"release_on_quit,omitempty" json:"release_on_quit,omitempty"`

	// Auth is how an imap account logs in: "password" (the default: the
	// keyring or password_command) or "oauth2" (sign in with the provider
	// in the browser: `sluice account login`; with a password_command, its
	// output is taken as the access token instead).
	Auth string `toml:"auth,omitempty" json:"auth,omitempty"`
	// OAuthProvider is google, microsoft, or oidc (with OAuthIssuer).
	OAuthProvider string `toml:"oauth_provider,omitempty" json:"oauth_provider,omitempty"`
	// OAuthTenant is Microsoft's tenant: common (default), organizations,
	// consumers, a tenant ID or a domain.
	OAuthTenant string `toml:"oauth_tenant,omitempty" json:"oauth_tenant,omitempty"`
	// OAuthIssuer is an OIDC issuer's URL (discovery at
	// /.well-known/openid-configuration).
	OAuthIssuer string `toml:"oauth_issuer,omitempty" json:"oauth_issuer,omitempty"`
	// OAuthClientID overrides the client ID this build has for the provider.
	OAuthClientID string `toml:"oauth_client_id,omitempty" json:"oauth_client_id,omitempty"`
	// OAuthClientSecret is a desktop app's client secret where the provider
	// wants one (Google). It is not a user's secret: the provider treats it
	// as public for installed apps (RFC 8252 section 8.5).
	OAuthClientSecret string `toml:"oauth_client_secret,omitempty" json:"oauth_client_secret,omitempty"`
	// OAuthScopes overrides the scopes asked for.
	OAuthScopes []string `toml:"oauth_scopes,omitempty" json:"oauth_scopes,omitempty"`
	// OAuthMechanism is xoauth2 or oauthbearer; empty picks OAUTHBEARER
	// where the server offers it, else XOAUTH2.
	OAuthMechanism string `toml:"oauth_mechanism,omitempty" json:"oauth_mechanism,omitempty"`

	// slack
	Channels    []string `toml:"channels,omitempty" json:"channels,omitempty"`
	SetDND      *bool    `toml:"set_dnd,omitempty" json:"set_dnd,omitempty"`
	SetStatus   *bool    `toml:"set_status,omitempty" json:"set_status,omitempty"`
	StatusText  string   `toml:"status_text,omitempty" json:"status_text,omitempty"`
	StatusEmoji string   `toml:"status_emoji,omitempty" json:"status_emoji,omitempty"`
	SocketMode  bool     `toml:"socket_mode,omitempty" json:"socket_mode,omitempty"`

	// matrix (also status_text, password_command)
	Homeserver  string   `toml:"homeserver,omitempty" json:"homeserver,omitempty"` // https://matrix.example.org or example.org
	UserID      string   `toml:"user_id,omitempty" json:"user_id,omitempty"`       // @me:example.org
	Rooms       []string `toml:"rooms,omitempty" json:"rooms,omitempty"`           // !id:server or #alias:server
	LinkBase    string   `toml:"link_base,omitempty" json:"link_base,omitempty"`   // default https://matrix.to/#/
	SetPresence *bool    `toml:"set_presence,omitempty" json:"set_presence,omitempty"`

	// github (also poll_interval, password_command for the token)
	APIURL         string `toml:"api_url,omitempty" json:"api_url,omitempty"` // default https://api.github.com/
	WebURL         string `toml:"web_url,omitempty" json:"web_url,omitempty"`
	Participating  bool   `toml:"participating,omitempty" json:"participating,omitempty"`
	MarkReadOnDone bool   `toml:"mark_read_on_done,omitempty" json:"mark_read_on_done,omitempty"`
	ClientID       string `toml:"client_id,omitempty" json:"client_id,omitempty"` // OAuth app for `sluice account login`

	// caldav and ics (username, password_command, ca_file and poll_interval
	// above apply too)
	// URL is the CalDAV server (any URL on it) or a public .ics feed. A
	// feed's secret address is a credential: it goes to the keyring
	// (`sluice account set-url`), and URL stays empty.
	URL string `toml:"url,omitempty" json:"url,omitempty"`
	// Calendars narrows a CalDAV account to these calendars (names or
	// paths); empty reads all.
	Calendars []string `toml:"calendars,omitempty" json:"calendars,omitempty"`
	// Addresses are the user's calendar addresses, for invitations they
	// declined; empty means the username when it is an address.
	Addresses []string `toml:"addresses,omitempty" json:"addresses,omitempty"`
}

// IsCalendar reports whether the account is a calendar (caldav or ics),
// which brings busy time rather than items.
func (a Account) IsCalendar() bool { return a.Kind == "caldav" || a.Kind == "ics" }

// IsEnabled reports whether the account should run (default true).
func (a Account) IsEnabled() bool { return a.Enabled == nil || *a.Enabled }

// Flag returns *b or def when b is unset.
func Flag(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// DefaultListen is the local inbox's default HTTP address.
const DefaultListen = "127.0.0.1:8642"

// Default is what a new user gets: the twice-a-day rhythm in the system
// time zone, the local inbox, every notification on.
func Default() Config {
	return Config{
		Version:  Version,
		Schedule: Schedule{Template: "twice-a-day"},
		Urgent:   Urgent{BudgetPerHour: 3, OffHours: "hold"},
		Notifications: Notifications{
			Checkin: true, Urgent: true, FocusStart: true, FocusEnd: true, Attention: true,
		},
		General:  General{Retention: schedule.Duration{Duration: 30 * 24 * time.Hour}, LogLevel: "info"},
		Local:    Local{HTTP: false, Listen: DefaultListen},
		Calendar: Calendar{MoveCheckins: true, HoldInMeetings: true, AllDayBusy: true},
		Desktop:  Desktop{HoldOtherApps: HoldFocus, ShortcutOn: "Sluice focus on", ShortcutOff: "Sluice focus off"},
		Promise:  Promise{ReplyWithin: schedule.DefaultPromise},
		AutoReply: AutoReply{
			Days: DefaultAutoReplyDays,
		},
	}
}

// FieldError is a validation error that names the field and the bad value.
type FieldError struct {
	Field string // dotted path, e.g. "accounts[2].port"
	Value string // the bad value as written, quoted
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Msg
	}
	return e.Field + ": " + e.Value + ": " + e.Msg
}

// Errors is every problem found in a config; the settings window shows each
// next to its field.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// ErrTooNew is returned for a file written by a newer Sluice.
var ErrTooNew = errors.New("config was written by a newer version of Sluice")

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// Parse decodes a TOML config, applies defaults for what is missing,
// migrates older versions and validates. Errors name the field.
func Parse(data []byte) (Config, error) {
	cc, err := parse(data)
	return cc.Config, err
}

// parse is Parse, keeping what Compile made while validating.
func parse(data []byte) (Compiled, error) {
	c := Default()
	// An explicit empty file gets the defaults; a version-less file is v1.
	c.Version = 0
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Compiled{}, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return Compiled{}, err
	}
	var errs Errors
	for _, k := range md.Undecoded() {
		errs = append(errs, &FieldError{Field: k.String(), Msg: "unknown setting"})
	}
	if c.Version == 0 {
		c.Version = Version
	}
	if err := migrate(&c); err != nil {
		return Compiled{}, err
	}
	cc, err := Compile(c)
	if err != nil {
		var ve Errors
		if errors.As(err, &ve) {
			errs = append(errs, ve...)
		} else {
			return Compiled{}, err
		}
	}
	if len(errs) > 0 {
		return cc, errs
	}
	return cc, nil
}

// migrations[v] upgrades a config of version v to v+1.
var migrations = map[int]func(*Config) error{}

func migrate(c *Config) error {
	if c.Version > Version {
		return fmt.Errorf("version %d: %w (this build reads up to %d)", c.Version, ErrTooNew, Version)
	}
	for c.Version < Version {
		m, ok := migrations[c.Version]
		if !ok {
			return fmt.Errorf("version %d: no migration to %d", c.Version, c.Version+1)
		}
		if err := m(c); err != nil {
			return fmt.Errorf("migrate config from version %d: %w", c.Version, err)
		}
		c.Version++
	}
	return nil
}

// Location resolves the configured zone (empty: the system's).
func (c Config) Location() (*time.Location, error) {
	if c.Schedule.Zone == "" || c.Schedule.Zone == "Local" {
		return time.Local, nil
	}
	return time.LoadLocation(c.Schedule.Zone)
}

// plan builds the schedule plan the gate runs on; only Compile calls it.
func (c Config) plan() (schedule.Plan, error) {
	loc, err := c.Location()
	if err != nil {
		return schedule.Plan{}, &FieldError{Field: "schedule.zone", Value: strconv.Quote(c.Schedule.Zone), Msg: "not a known IANA time zone"}
	}
	var p schedule.Plan
	if len(c.Schedule.Days) == 0 {
		name := c.Schedule.Template
		if name == "" || name == "custom" {
			name = "twice-a-day"
		}
		p, err = schedule.Template(name, loc)
		if err != nil {
			return schedule.Plan{}, &FieldError{Field: "schedule.template", Value: strconv.Quote(c.Schedule.Template), Msg: "unknown template (want twice-a-day, three-times-a-day, makers-day or custom)"}
		}
	} else {
		p.Zone = loc
		for name, d := range c.Schedule.Days {
			i := slices.Index(weekdays, strings.ToLower(name))
			if i < 0 {
				return schedule.Plan{}, &FieldError{Field: "schedule.days." + name, Msg: "not a weekday (want monday … sunday)"}
			}
			p.Week[i] = d
		}
	}
	p.Vacations = c.Schedule.Vacations
	p.Meetings = schedule.Meetings{MoveCheckins: c.Calendar.MoveCheckins, Hold: c.Calendar.HoldInMeetings, AllDay: c.Calendar.AllDayBusy}
	return p, nil
}

// builtins returns the built-in urgent rules.
func (c Config) builtins() rules.Builtins {
	return rules.Builtins{VIPs: c.Urgent.VIPs, UrgentKeywords: c.Urgent.Keywords, UrgentChannel: c.Urgent.Channel}
}

// Compiled is a config and what Sluice runs on, made from it: the week's
// schedule plan and the compiled rules. Compile is the one place that
// makes them; validation, the running Sluice (start, reload, save) and
// the settings window all go through it, once per change.
type Compiled struct {
	Config Config
	// Plan is the schedule; nil when the schedule has errors.
	Plan *schedule.Plan
	// Rules are the ordered rules and the built-in urgent ones; nil when
	// a rule has errors.
	Rules *rules.Set
	// Promise is the reply promise; nil when promise.reply_within has
	// errors.
	Promise *schedule.Promise
}

// Validate checks every field and returns Errors naming each bad one.
func (c Config) Validate() error {
	_, err := Compile(c)
	return err
}

// Compile checks every field of c and builds its plan and rules. The error
// is Errors, naming each bad field; the parts that compiled are still
// returned (the settings window previews a schedule while an account is
// incomplete).
func Compile(c Config) (Compiled, error) {
	cc := Compiled{Config: c}
	var errs Errors
	add := func(field, value, msg string) {
		errs = append(errs, &FieldError{Field: field, Value: value, Msg: msg})
	}
	if c.Version != Version {
		add("version", strconv.Itoa(c.Version), fmt.Sprintf("unsupported (want %d)", Version))
	}
	cc.Plan = c.compileSchedule(add)
	c.checkUrgent(add)
	cc.Rules = c.compileRules(add)
	cc.Promise = c.compilePromise(add)
	c.checkAutoReply(add)
	c.checkGeneral(add)
	c.checkDesktop(add)
	c.checkAccounts(add)
	c.checkPublish(add)
	if len(errs) > 0 {
		return cc, errs
	}
	return cc, nil
}

// compileSchedule checks the schedule section and makes its plan; nil
// when it has errors.
func (c Config) compileSchedule(add func(field, value, msg string)) *schedule.Plan {
	switch c.Schedule.Template {
	case "", "twice-a-day", "three-times-a-day", "makers-day", "custom":
	default:
		add("schedule.template", strconv.Quote(c.Schedule.Template), "unknown template (want twice-a-day, three-times-a-day, makers-day or custom)")
	}
	if c.Schedule.Template == "custom" && len(c.Schedule.Days) == 0 {
		add("schedule.days", "", "a custom schedule needs at least one day")
	}
	p, err := c.plan()
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			add(fe.Field, fe.Value, fe.Msg)
		} else {
			add("schedule", "", err.Error())
		}
		return nil
	}
	if err := p.Validate(); err != nil {
		for _, e := range splitJoined(err) {
			var fe *schedule.FieldError
			if errors.As(e, &fe) {
				// The plan names days "week.monday"; the file says "days.monday".
				// Its indices count from 1, in the path and in the message, as
				// everywhere in Sluice's messages.
				field := strings.Replace(fe.Field, "week.", "days.", 1)
				add("schedule."+field, "", fe.Err.Error())
				continue
			}
			add("schedule", "", e.Error())
		}
		return nil
	}
	return &p
}

// checkUrgent checks the urgent section.
func (c Config) checkUrgent(add func(field, value, msg string)) {
	if c.Urgent.BudgetPerHour < 0 || c.Urgent.BudgetPerHour > 60 {
		add("urgent.budget_per_hour", strconv.Itoa(c.Urgent.BudgetPerHour), "must be between 0 and 60")
	}
	switch c.Urgent.OffHours {
	case "hold", "deliver":
	default:
		add("urgent.off_hours", strconv.Quote(c.Urgent.OffHours), `must be "hold" or "deliver"`)
	}
}

// compileRules compiles the rules and the built-in urgent ones; nil when
// a rule has errors.
func (c Config) compileRules(add func(field, value, msg string)) *rules.Set {
	rs, err := rules.Compile(c.Rules, c.builtins())
	if err != nil {
		for _, e := range splitJoined(err) {
			add("rules", "", e.Error())
		}
		return nil
	}
	return rs
}

// checkGeneral checks the general and local sections.
func (c Config) checkGeneral(add func(field, value, msg string)) {
	if r := c.General.Retention.Duration; r < 24*time.Hour || r > 10*365*24*time.Hour {
		add("general.retention", strconv.Quote(c.General.Retention.String()), "must be between 24h and 10 years")
	}
	switch c.General.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("general.log_level", strconv.Quote(c.General.LogLevel), "must be debug, info, warn or error")
	}
	if err := checkLoopback(c.Local.Listen); err != nil {
		add("local.listen", strconv.Quote(c.Local.Listen), err.Error())
	}
}

// checkDesktop checks the desktop section (other apps' notifications).
func (c Config) checkDesktop(add func(field, value, msg string)) {
	switch c.Desktop.HoldOtherApps {
	case HoldFocus, HoldHolding, HoldOff:
	default:
		add("desktop.hold_other_apps", strconv.Quote(c.Desktop.HoldOtherApps), `must be "focus", "holding" or "off"`)
	}
	for i, a := range c.Desktop.CaptureApps {
		if strings.TrimSpace(a) == "" {
			add(fmt.Sprintf("desktop.capture_apps[%d]", i+1), `""`, "empty app name")
		}
	}
}

// checkAccounts checks each account: a unique name, then the fields of
// its kind.
func (c Config) checkAccounts(add func(field, value, msg string)) {
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		f := fmt.Sprintf("accounts[%d]", i+1)
		if strings.TrimSpace(a.Name) == "" {
			add(f+".name", "", "required")
		} else if seen[strings.ToLower(a.Name)] || strings.EqualFold(a.Name, "local") {
			add(f+".name", strconv.Quote(a.Name), "already used by another account")
		} else if strings.EqualFold(a.Name, DesktopAccount) {
			add(f+".name", strconv.Quote(a.Name), "reserved for other apps' notifications")
		}
		seen[strings.ToLower(a.Name)] = true
		switch a.Kind {
		case "imap":
			validateIMAP(f, a, add)
		case "slack":
			for j, ch := range a.Channels {
				if strings.TrimSpace(strings.TrimPrefix(ch, "#")) == "" {
					add(fmt.Sprintf("%s.channels[%d]", f, j+1), strconv.Quote(ch), "empty channel name")
				}
			}
		case "matrix":
			validateMatrix(f, a, add)
		case "github":
			validateGitHub(f, a, add)
		case "caldav", "ics":
			validateCalendar(f, a, add)
		default:
			add(f+".kind", strconv.Quote(a.Kind), "unknown kind (want imap, slack, matrix, github, caldav or ics)")
		}
	}
}

// checkPublish checks that focus blocks, when published, go to a caldav
// account's named calendar.
func (c Config) checkPublish(add func(field, value, msg string)) {
	cal := c.Calendar
	if !cal.PublishFocus {
		return
	}
	var target *Account
	for i := range c.Accounts {
		if c.Accounts[i].Name == cal.PublishAccount {
			target = &c.Accounts[i]
		}
	}
	switch {
	case strings.TrimSpace(cal.PublishAccount) == "":
		add("calendar.publish_account", "", "required to publish focus blocks (the name of a caldav account)")
	case target == nil:
		add("calendar.publish_account", strconv.Quote(cal.PublishAccount), "no account has this name")
	case target.Kind != "caldav":
		add("calendar.publish_account", strconv.Quote(cal.PublishAccount), "focus blocks can be published to a caldav account only")
	}
	if strings.TrimSpace(cal.PublishCalendar) == "" {
		add("calendar.publish_calendar", "", "required to publish focus blocks (a calendar's name or path)")
	}
}

func validateIMAP(f string, a Account, add func(field, value, msg string)) {
	if a.Preset == "" && a.Host == "" {
		// The presets are the IMAP connector's; `sluice account add --help`
		// and the settings window list them.
		add(f+".host", "", "required (or set a provider's preset; `sluice account add --help` lists them)")
	}
	if a.Port < 0 || a.Port > 65535 {
		add(f+".port", strconv.Itoa(a.Port), "must be between 1 and 65535")
	}
	switch a.Security {
	case "", "tls", "starttls":
	case "insecure":
		if !a.AllowInsecure {
			add(f+".security", `"insecure"`, "plaintext IMAP needs allow_insecure = true")
		} else if !isLoopbackHost(a.Host) {
			add(f+".security", `"insecure"`, "plaintext IMAP is only allowed to a loopback host, not "+strconv.Quote(a.Host))
		}
	default:
		add(f+".security", strconv.Quote(a.Security), "must be tls, starttls or insecure")
	}
	if a.Username == "" {
		add(f+".username", "", "required")
	}
	for j, fo := range a.Folders {
		if strings.TrimSpace(fo) == "" {
			add(fmt.Sprintf("%s.folders[%d]", f, j+1), `""`, "empty folder name")
		}
	}
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			add(f+".ca_file", strconv.Quote(a.CAFile), "cannot be read: "+unwrapPathError(err))
		}
	}
	switch a.InitialSync {
	case "", "none", "all":
	case "newest":
		if a.InitialNewest <= 0 {
			add(f+".initial_newest", strconv.Itoa(a.InitialNewest), `must be > 0 when initial_sync = "newest"`)
		}
	case "since":
		if _, err := time.Parse(time.DateOnly, a.InitialSince); err != nil {
			add(f+".initial_since", strconv.Quote(a.InitialSince), `must be a date like 2026-01-31 when initial_sync = "since"`)
		}
	default:
		add(f+".initial_sync", strconv.Quote(a.InitialSync), "must be none, newest, since or all")
	}
	if p := a.PollInterval.Duration; p != 0 && (p < 30*time.Second || p > 24*time.Hour) {
		add(f+".poll_interval", strconv.Quote(a.PollInterval.String()), "must be between 30s and 24h")
	}
	validateSentAndSieve(f, a, add)
	validateOAuth(f, a, add)
	validateHold(f, a, add)
}

// validateHold checks the hold-on-server settings. They may stay set while
// the switch is off, so that turning it on again keeps them.
func validateHold(f string, a Account, add func(field, value, msg string)) {
	if a.SievePort < 0 || a.SievePort > 65535 {
		add(f+".sieve_port", strconv.Itoa(a.SievePort), "must be between 1 and 65535")
	}
	folder := strings.Trim(strings.TrimSpace(a.HoldFolder), "/")
	if strings.EqualFold(folder, "INBOX") {
		add(f+".hold_folder", strconv.Quote(a.HoldFolder), "must not be INBOX: it is where held mail comes back to")
	}
	if !a.HoldOnServer {
		return
	}
	if folder == "" {
		folder = "Sluice/Held"
	}
	inbox := len(a.Folders) == 0
	for _, fo := range a.Folders {
		if strings.EqualFold(strings.TrimSpace(fo), folder) {
			add(f+".hold_folder", strconv.Quote(folder), "is also a watched folder (folders)")
		}
		inbox = inbox || strings.EqualFold(strings.TrimSpace(fo), "INBOX")
	}
	if !inbox {
		add(f+".hold_on_server", "true", "moves mail out of INBOX: add INBOX to folders")
	}
}

// OAuth2 reports whether an imap account signs in with OAuth2.
func (a Account) OAuth2() bool { return a.Kind == "imap" && a.Auth == "oauth2" }

func validateOAuth(f string, a Account, add func(field, value, msg string)) {
	switch a.Auth {
	case "", "password":
		for field, v := range map[string]string{"oauth_provider": a.OAuthProvider, "oauth_tenant": a.OAuthTenant,
			"oauth_issuer": a.OAuthIssuer, "oauth_client_id": a.OAuthClientID, "oauth_client_secret": a.OAuthClientSecret,
			"oauth_mechanism": a.OAuthMechanism} {
			if v != "" {
				add(f+"."+field, "", `only used with auth = "oauth2"`)
			}
		}
		return
	case "oauth2":
	default:
		add(f+".auth", strconv.Quote(a.Auth), "must be password or oauth2")
		return
	}
	switch a.OAuthProvider {
	case "google", "microsoft":
	case "oidc":
		if a.OAuthIssuer == "" {
			add(f+".oauth_issuer", "", `required with oauth_provider = "oidc" (the issuer's URL)`)
		} else if err := checkIssuer(a.OAuthIssuer); err != nil {
			add(f+".oauth_issuer", strconv.Quote(a.OAuthIssuer), err.Error())
		}
	case "":
		add(f+".oauth_provider", "", `required with auth = "oauth2": google, microsoft or oidc`)
	default:
		add(f+".oauth_provider", strconv.Quote(a.OAuthProvider), "must be google, microsoft or oidc")
	}
	if a.OAuthTenant != "" {
		if a.OAuthProvider != "microsoft" {
			add(f+".oauth_tenant", strconv.Quote(a.OAuthTenant), `only used with oauth_provider = "microsoft"`)
		} else if strings.ContainsAny(a.OAuthTenant, "/?#@ ") {
			add(f+".oauth_tenant", strconv.Quote(a.OAuthTenant), "must be common, organizations, consumers, a tenant ID or a domain")
		}
	}
	if a.OAuthIssuer != "" && a.OAuthProvider != "oidc" {
		add(f+".oauth_issuer", strconv.Quote(a.OAuthIssuer), `only used with oauth_provider = "oidc"`)
	}
	switch strings.ToLower(a.OAuthMechanism) {
	case "", "xoauth2", "oauthbearer":
	default:
		add(f+".oauth_mechanism", strconv.Quote(a.OAuthMechanism), "must be xoauth2 or oauthbearer")
	}
	for j, sc := range a.OAuthScopes {
		if strings.TrimSpace(sc) == "" || strings.ContainsAny(sc, " \t") {
			add(fmt.Sprintf("%s.oauth_scopes[%d]", f, j+1), strconv.Quote(sc), "one scope per entry, without spaces")
		}
	}
}

// checkIssuer accepts an https URL, or http to this computer.
func checkIssuer(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("must be the issuer's URL, e.g. https://id.example.com/realms/mail")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return errors.New("must be an https URL (plain http only to this computer)")
}

func validateMatrix(f string, a Account, add func(field, value, msg string)) {
	hs := strings.TrimSpace(a.Homeserver)
	switch {
	case hs == "":
		add(f+".homeserver", "", "required (the server's address, e.g. matrix.example.org)")
	case strings.Contains(hs, "://"):
		if err := checkURL(hs); err != nil {
			add(f+".homeserver", strconv.Quote(a.Homeserver), err.Error())
		}
	case strings.ContainsAny(hs, " /@"):
		add(f+".homeserver", strconv.Quote(a.Homeserver), "not a server name or URL (e.g. matrix.example.org)")
	}
	if u := a.UserID; u != "" {
		if at, ok := strings.CutPrefix(u, "@"); !ok || !strings.Contains(at, ":") || strings.HasPrefix(at, ":") || strings.ContainsAny(u, " \t") {
			add(f+".user_id", strconv.Quote(u), "not a Matrix user ID (want @me:example.org)")
		}
	}
	for j, r := range a.Rooms {
		r = strings.TrimSpace(r)
		if len(r) < 4 || (r[0] != '!' && r[0] != '#') || !strings.Contains(r, ":") {
			add(fmt.Sprintf("%s.rooms[%d]", f, j+1), strconv.Quote(a.Rooms[j]), "not a room ID (!abc:example.org) or alias (#team:example.org)")
		}
	}
	if a.LinkBase != "" {
		if err := checkURL(a.LinkBase); err != nil {
			add(f+".link_base", strconv.Quote(a.LinkBase), err.Error())
		}
	}
}

func validateGitHub(f string, a Account, add func(field, value, msg string)) {
	for _, u := range []struct{ field, v string }{{"api_url", a.APIURL}, {"web_url", a.WebURL}} {
		if u.v != "" {
			if err := checkURL(u.v); err != nil {
				add(f+"."+u.field, strconv.Quote(u.v), err.Error())
			}
		}
	}
	if p := a.PollInterval.Duration; p != 0 && (p < 60*time.Second || p > 24*time.Hour) {
		add(f+".poll_interval", strconv.Quote(a.PollInterval.String()), "must be between 60s and 24h (GitHub asks for at least 60s)")
	}
}

// checkURL accepts https URLs, and http only to a loopback host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return errors.New("not a URL (want https://…)")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("plain http is only allowed to this computer; use https")
	}
	return errors.New("not an https URL")
}

func validateCalendar(f string, a Account, add func(field, value, msg string)) {
	switch {
	case a.URL == "" && a.Kind == "caldav":
		add(f+".url", "", "required (the CalDAV server, e.g. https://cal.example.com/dav/)")
	case a.URL != "":
		if msg := checkCalendarURL(a.URL); msg != "" {
			add(f+".url", strconv.Quote(a.URL), msg)
		}
	}
	if a.Kind == "caldav" && a.Username == "" {
		add(f+".username", "", "required")
	}
	for j, c := range a.Calendars {
		if strings.TrimSpace(c) == "" {
			add(fmt.Sprintf("%s.calendars[%d]", f, j+1), `""`, "empty calendar name")
		}
	}
	for j, addr := range a.Addresses {
		if !strings.Contains(addr, "@") {
			add(fmt.Sprintf("%s.addresses[%d]", f, j+1), strconv.Quote(addr), "not an address")
		}
	}
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			add(f+".ca_file", strconv.Quote(a.CAFile), "cannot be read: "+unwrapPathError(err))
		}
	}
	if p := a.PollInterval.Duration; p != 0 && (p < time.Minute || p > 24*time.Hour) {
		add(f+".poll_interval", strconv.Quote(a.PollInterval.String()), "must be between 1m and 24h")
	}
}

// checkCalendarURL says what is wrong with a calendar URL, or "".
func checkCalendarURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "not a URL (want https://…)"
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "webcal", "webcals":
		return ""
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return ""
		}
		return "plain http is only allowed to a loopback host (use https)"
	}
	return "unsupported scheme " + strconv.Quote(u.Scheme) + " (want https)"
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, e.g. " + DefaultListen)
	}
	if !isLoopbackHost(host) {
		return errors.New("must be a loopback address (127.0.0.1 or ::1): the local inbox never listens on the network")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("port must be between 0 and 65535")
	}
	return nil
}

// splitJoined unpacks an errors.Join result into its parts.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// ErrNoFile is returned by LoadFile for a config file that does not exist.
var ErrNoFile = errors.New("config file does not exist")

// Load reads and parses the config at path. A missing file is not an
// error: it yields the defaults, so a new user can start without one.
func Load(path string) (Config, error) {
	cc, err := LoadCompiled(path)
	return cc.Config, err
}

// LoadCompiled is Load keeping the plan and rules that validating the
// config compiled, for the running Sluice to run on.
func LoadCompiled(path string) (Compiled, error) {
	cc, err := LoadFileCompiled(path)
	if errors.Is(err, ErrNoFile) {
		return Compile(Default())
	}
	return cc, err
}

// LoadFile is Load for a running Sluice re-reading its file: a missing
// file is ErrNoFile, not the defaults, so that a deleted or moved file
// never silently drops every account.
func LoadFile(path string) (Config, error) {
	cc, err := LoadFileCompiled(path)
	return cc.Config, err
}

// LoadFileCompiled is LoadFile keeping the plan and rules it compiled.
func LoadFileCompiled(path string) (Compiled, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Compiled{}, fmt.Errorf("%s: %w", path, ErrNoFile)
	}
	if err != nil {
		return Compiled{}, fmt.Errorf("read config: %w", err)
	}
	cc, err := parse(data)
	if err != nil {
		return cc, fmt.Errorf("%s: %w", path, err)
	}
	return cc, nil
}

// Encode renders the config as TOML.
func (c Config) Encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Sluice settings. Edited by the settings window; safe to edit by hand.\n")
	buf.WriteString("# Passwords and tokens are never stored here (see `sluice account set-password`).\n\n")
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// Save validates c and writes it atomically to path (temp file in the same
// directory, fsync, rename), mode 0600.
func Save(path string, c Config) error {
	cc, err := Compile(c)
	if err != nil {
		return err
	}
	return SaveCompiled(path, cc)
}

// SaveCompiled writes a config Compile accepted, without compiling it
// again, atomically to path, mode 0600.
func SaveCompiled(path string, cc Compiled) error {
	data, err := cc.Config.Encode()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o600)
}

// Modify loads the config at path, applies fn, validates and saves it. The
// file is unchanged if fn fails or the result is invalid.
func Modify(path string, fn func(*Config) error) (Config, error) {
	c, err := Load(path)
	if err != nil {
		return c, err
	}
	if err := fn(&c); err != nil {
		return c, err
	}
	if err := Save(path, c); err != nil {
		return c, err
	}
	return c, nil
}

// WriteFileAtomic writes data to path so that a reader or a crash sees the
// old file or the new one, never half (see app/atomicfile).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
