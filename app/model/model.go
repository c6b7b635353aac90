// Package model is Sluice's shared vocabulary: items, their states and
// decisions, the gate's modes, connector health, and the small interface
// through which connectors hand items to the gate. It depends on the
// standard library only, so every other package may import it.
package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind names a kind of source, i.e. a connector type.
type Kind string

// The connector kinds Sluice knows.
const (
	KindIMAP   Kind = "imap"
	KindSlack  Kind = "slack"
	KindLocal  Kind = "local"
	KindMatrix Kind = "matrix"
	KindGitHub Kind = "github"
	// KindDesktop is another desktop app's notification, recorded while
	// Sluice holds the desktop (account "Desktop", channel = the app).
	KindDesktop Kind = "desktop"
	// Calendar sources: they bring busy time, not items.
	KindCalDAV Kind = "caldav"
	KindICS    Kind = "ics"
)

// State is where an item is in its life: held until a check-in, released
// into the digest, done once the user cleared it.
type State uint8

// Item states. The zero value is invalid so that a forgotten state is caught.
const (
	StateHeld     State = 1
	StateReleased State = 2
	StateDone     State = 3
)

var stateNames = map[State]string{StateHeld: "held", StateReleased: "released", StateDone: "done"}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	for k, n := range stateNames {
		if n == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("unknown state %q", b)
}

// Action is what a rule decides for an item.
type Action uint8

// Rule actions. ActionHold is the default when no rule matches.
const (
	ActionHold   Action = 0 // held until the next check-in
	ActionUrgent Action = 1 // may break through at once
	ActionQuiet  Action = 2 // released silently into the digest at the next check-in
	ActionIgnore Action = 3 // not stored at all
)

var actionNames = map[Action]string{ActionHold: "hold", ActionUrgent: "urgent", ActionQuiet: "quiet", ActionIgnore: "ignore"}

func (a Action) String() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// ParseAction parses "hold", "urgent", "quiet" or "ignore".
func ParseAction(s string) (Action, error) {
	for k, n := range actionNames {
		if n == strings.ToLower(strings.TrimSpace(s)) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (want hold, urgent, quiet or ignore)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Mode is the gate's state at one instant, highest priority first.
type Mode uint8

// Gate modes. See DESIGN.md "The gate".
const (
	ModeOffHours Mode = iota // outside working hours: hold
	ModeBetween              // working hours, no window open: hold
	ModeWindow               // a check-in window is open: items arrive live
	ModeFocus                // a focus block: only urgent items get through
	ModeMeeting              // a meeting on the user's calendar: held like focus, urgent items get through
	ModeVacation             // a vacation range: hold everything
	ModePaused               // the user paused Sluice: everything is live
)

var modeNames = map[Mode]string{
	ModeOffHours: "off-hours", ModeBetween: "between", ModeWindow: "window",
	ModeFocus: "focus", ModeMeeting: "meeting", ModeVacation: "vacation", ModePaused: "paused",
}

func (m Mode) String() string {
	if n, ok := modeNames[m]; ok {
		return n
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Mode) UnmarshalText(b []byte) error {
	for k, n := range modeNames {
		if n == string(b) {
			*m = k
			return nil
		}
	}
	return fmt.Errorf("unknown mode %q", b)
}

// Entry is one line of an item's decision log.
type Entry struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Item is one message or notification pulled from a source.
type Item struct {
	ID       string `json:"id"`                // stable: ItemID(Account, SourceID)
	Seq      uint64 `json:"seq"`               // store sequence, assigned by the store
	Kind     Kind   `json:"kind"`              // which connector produced it
	Account  string `json:"account"`           // configured account name
	SourceID string `json:"source_id"`         // the source's own id (Message-ID, channel+ts, …)
	Channel  string `json:"channel,omitempty"` // mail folder or chat channel
	Thread   string `json:"thread,omitempty"`  // conversation key, for grouping in the digest
	FromName string `json:"from_name,omitempty"`
	FromAddr string `json:"from_addr,omitempty"`
	Subject  string `json:"subject,omitempty"` // subject or title
	Snippet  string `json:"snippet,omitempty"` // clean text, at most SnippetMax runes
	Link     string `json:"link,omitempty"`    // deep link into the item's own client
	// Body is the whole text, at most BodyMax bytes, for reading one item
	// (the digest's detail view, `sluice explain`). The store keeps it
	// apart: lists, pages and events carry the Snippet only.
	Body string `json:"body,omitempty"`

	Direct     bool `json:"direct,omitempty"`      // a direct message to the user
	MentionsMe bool `json:"mentions_me,omitempty"` // the user is mentioned
	UrgentHint bool `json:"urgent_hint,omitempty"` // the source itself flagged it urgent
	// Reason is why the source notified the user, in the source's own
	// words (GitHub: review_requested, mention, assign, ci_activity, …).
	Reason string `json:"reason,omitempty"`
	// ReplyKey is what a reply to this item names, set by a connector that
	// can see the user's replies (IMAP: the Message-ID; Slack: the DM or
	// the thread). Empty: the item has no reply channel Sluice can watch,
	// and no reply is waited for.
	ReplyKey string `json:"reply_key,omitempty"`
	// Answered is when the user replied (zero: not yet, or not known). The
	// gate sets it from the connectors' Replies.
	Answered time.Time `json:"answered,omitzero"`

	Received time.Time `json:"received"` // when the source says it was sent
	Ingested time.Time `json:"ingested"` // when Sluice stored it

	Action       Action    `json:"action"`                 // what the rules decided
	Rule         string    `json:"rule,omitempty"`         // which rule decided it
	State        State     `json:"state"`                  // held, released or done
	Breakthrough bool      `json:"breakthrough,omitempty"` // delivered at once as urgent
	Released     time.Time `json:"released,omitzero"`      // when it left the held state
	Done         time.Time `json:"done,omitzero"`          // when the user cleared it
	Log          []Entry   `json:"log,omitempty"`          // every decision, oldest first
}

// Logf appends a decision to the item's log.
func (it *Item) Logf(at time.Time, format string, args ...any) {
	it.Log = append(it.Log, Entry{At: at, Text: fmt.Sprintf(format, args...)})
}

// From is the sender as a person would name it: "Name <addr>", or whichever part exists.
func (it *Item) From() string {
	switch {
	case it.FromName != "" && it.FromAddr != "" && it.FromName != it.FromAddr:
		return it.FromName + " <" + it.FromAddr + ">"
	case it.FromName != "":
		return it.FromName
	default:
		return it.FromAddr
	}
}

// IDLen is the length of an item ID in hex characters.
const IDLen = 20

// ItemID derives the stable item ID from the account and the source's own id,
// so the same message seen twice maps to the same item. The id is taken as
// Clean leaves it (CleanKey), so a connector that names an item's ID before
// the gate cleaned it names the same one.
func ItemID(account, sourceID string) string {
	sourceID = CleanKey(sourceID)
	// The account's length goes first so no two (account, source id)
	// pairs hash the same bytes.
	h := sha256.Sum256([]byte(strconv.Itoa(len(account)) + ":" + account + "\x00" + sourceID))
	return hex.EncodeToString(h[:IDLen/2])
}

// SnippetMax is the longest snippet, in runes.
const SnippetMax = 500

// CleanSnippet turns text into a one-paragraph snippet: control characters
// dropped, runs of white space collapsed to one space, invalid UTF-8
// replaced, and cut at SnippetMax runes (ending in "…" when cut).
func CleanSnippet(s string) string {
	return cleanLine(s, false, SnippetMax)
}

// cleanLine is CleanSnippet and CleanName: one line, cut at max runes
// (none when max < 0), format characters dropped too when names is set.
func cleanLine(s string, names bool, max int) string {
	out := make([]rune, 0, min(len(s), SnippetMax+1))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case unicode.IsControl(r), r == '\u200b', r == '\ufeff':
			continue
		case names && unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d':
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
		if max >= 0 && len(out) > max {
			out = append(out[:max-1], '…')
			break
		}
	}
	return string(out)
}

// Blank reports whether s would clean to nothing: it holds only white
// space, control characters and invisible format characters. A connector
// uses it to tell an empty text from one worth keeping (a title from the
// body's first line) without cleaning the text itself: the gate does that.
func Blank(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r)
	})
}

// BodyMax is the longest body kept, in bytes: what the local inbox
// accepts in one push.
const BodyMax = 64 << 10

// Clean makes an item's text safe to store and to show. Every text field
// loses its control characters (a body keeps its line breaks and tabs) and
// invalid UTF-8; the one-line fields (sender, subject, channel) also lose
// Unicode format characters such as U+202E RIGHT-TO-LEFT OVERRIDE, with
// which a sender could disguise its name or subject in the digest or a
// notification. The snippet is made from the body when a source gave none,
// and a body over BodyMax is cut, saying so in its last line. The gate
// calls Clean on every item it ingests, whatever its source.
func (it *Item) Clean() {
	it.SourceID = CleanKey(it.SourceID)
	it.Thread = CleanKey(it.Thread)
	it.ReplyKey = CleanKey(it.ReplyKey)
	it.Link = CleanKey(it.Link)
	it.Channel = CleanName(it.Channel)
	it.FromName = CleanName(it.FromName)
	it.FromAddr = CleanName(it.FromAddr)
	it.Subject = CleanName(it.Subject)
	it.Body = CleanText(it.Body)
	if it.Snippet == "" {
		it.Snippet = it.Body
	}
	it.Snippet = CleanSnippet(it.Snippet)
	if len(it.Body) > BodyMax {
		const note = "\n[… cut: the text was longer than 64 KiB]"
		cut := BodyMax - len(note)
		for cut > 0 && !utf8.RuneStart(it.Body[cut]) {
			cut--
		}
		it.Body = it.Body[:cut] + note
	}
}

// CleanKey drops control characters from an identifier (a source id, an
// idempotency key, a link) and changes nothing else, so that ids of
// stored items stay what they were.
func CleanKey(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsControl(r) || (r == utf8.RuneError && n == 1) {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

// CleanName turns text into one line fit to name a sender, a subject or a
// channel: control and format characters dropped (but for the zero-width
// joiner and non-joiner, which emoji and several scripts need to be
// spelt right and which cannot reorder text), white space collapsed,
// invalid UTF-8 replaced.
func CleanName(s string) string {
	return cleanLine(s, true, -1)
}

// CleanText cleans a multi-line body: invalid UTF-8 replaced, line ends
// made "\n", control characters other than line breaks and tabs dropped,
// along with the zero-width space and byte order mark.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	clean := func(r rune) rune {
		switch {
		case r == '\n', r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r), r == '\u200b', r == '\ufeff':
			return -1
		}
		return r
	}
	return strings.TrimRightFunc(strings.Map(clean, strings.ToValidUTF8(s, "\uFFFD")), unicode.IsSpace)
}

// Cursor is a connector's position in one of its sources (an IMAP folder's
// UIDVALIDITY/UID, a Slack channel's last timestamp). It is stored in the same
// transaction as the items it produced.
type Cursor struct {
	Account string `json:"account"`
	Key     string `json:"key"`
	Value   []byte `json:"value"` // nil deletes the cursor
}

// Batch is what a connector hands to the gate in one go: new items, the
// user's replies it saw, and the cursors they advance to. The gate stores
// all of them atomically.
type Batch struct {
	Account string
	Items   []Item
	Cursors []Cursor
	// Replies are messages the user sent (IMAP: mail in the Sent folder;
	// Slack: the user's own messages). The gate marks the items they
	// answer; a reply that names no stored item is kept a while, for an
	// item that arrives after it.
	Replies []Reply
}

// Reply is one message the user sent, as the key of what it answers.
type Reply struct {
	// Key is the ReplyKey of the items it answers (IMAP: an id from
	// In-Reply-To or References; Slack: the DM or the thread).
	Key string `json:"key"`
	// At is when it was sent.
	At time.Time `json:"at"`
	// Named says the reply names the item itself (IMAP's In-Reply-To and
	// References), so it answers it whatever the two clocks say. Otherwise
	// (a message in the same DM or thread) it answers only items received
	// before it.
	Named bool `json:"named,omitempty"`
}

// HealthState is a connector's condition as the tray and settings show it.
type HealthState string

// Connector health states.
const (
	HealthStarting    HealthState = "starting"
	HealthConnected   HealthState = "connected"
	HealthBackingOff  HealthState = "backing-off"
	HealthAuthFailed  HealthState = "auth-failed"
	HealthRateLimited HealthState = "rate-limited"
	HealthDisabled    HealthState = "disabled"
	HealthStopped     HealthState = "stopped"
)

// HealthSignInNeeded is an OAuth2 account whose sign-in the provider no
// longer accepts (refresh token revoked or expired, a fresh access token
// refused): nothing is retried until the user signs in again.
const HealthSignInNeeded HealthState = "sign-in-needed"

// Health is one connector's reported condition.
type Health struct {
	Account string      `json:"account"`
	Kind    Kind        `json:"kind"`
	State   HealthState `json:"state"`
	Detail  string      `json:"detail,omitempty"` // the error in words, or what it is doing
	Since   time.Time   `json:"since"`            // when this state began
	Until   time.Time   `json:"until,omitzero"`   // next retry, or end of a rate limit
}

// NeedsAttention reports whether the user must act (fix a password, sign
// in again).
func (h Health) NeedsAttention() bool {
	return h.State == HealthAuthFailed || h.State == HealthSignInNeeded
}

// Words is the state as a person reads it: "sign-in needed", "backing off".
func (s HealthState) Words() string {
	if s == HealthSignInNeeded {
		return "sign-in needed"
	}
	return strings.ReplaceAll(string(s), "-", " ")
}

// ErrSignInNeeded is wrapped by errors that only the user signing in again
// can cure: no OAuth2 sign-in stored, a refresh token the provider refused,
// or a fresh access token the server refused. Connectors report it as
// HealthSignInNeeded and stop retrying until woken.
var ErrSignInNeeded = errors.New("sign-in needed")

// Sink is the one interface through which a connector hands items to the gate.
type Sink interface {
	// Ingest stores the batch's items (skipping any already stored) and its
	// cursors in one transaction, then lets the gate deliver or hold them.
	// When it returns nil, everything in the batch is durable.
	Ingest(ctx context.Context, b Batch) error
	// Cursor returns a stored cursor, or nil if there is none.
	Cursor(account, key string) ([]byte, error)
	// ReportHealth records the connector's condition.
	ReportHealth(h Health)
}

// AcceptSink is a Sink that says what it made of a batch: the gate
// implements it. A connector that must name an item to whoever handed it
// over (the local inbox's 201 answer) asks the sink rather than deriving
// the ID itself.
type AcceptSink interface {
	Sink
	// Accept is Ingest that returns the batch's items in input order as
	// the gate made them, each with its ID and clean text.
	Accept(ctx context.Context, b Batch) ([]Item, error)
}

// Connector is one configured account of one kind of source.
type Connector interface {
	Kind() Kind
	Account() string
	// Run pulls items into sink until ctx is cancelled. It reconnects on its
	// own and reports health through the sink; it returns only when ctx is
	// done or on a configuration error it cannot recover from.
	Run(ctx context.Context, sink Sink) error
}

// Waker is implemented by connectors that should check their connection at
// once, e.g. after the machine resumed from sleep.
type Waker interface {
	Wake()
}

// Busy is one interval of busy time from the user's calendar (a meeting),
// [Start, End). Calendar sources hand the gate these, already filtered: free
// (transparent) events, cancelled ones and those the user declined never
// become Busy.
type Busy struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Title   string    `json:"title,omitempty"`   // the event's summary, for the timeline and reasons
	Account string    `json:"account,omitempty"` // the calendar account it came from
	// AllDay marks an all-day event (a date, not a time) that is marked busy;
	// whether those count is the user's choice (schedule.Meetings.AllDay).
	AllDay bool `json:"all_day,omitempty"`
}

// BusySink is how a calendar source hands its busy time to the gate.
type BusySink interface {
	// SetBusy replaces everything the account said before with busy and
	// stores its cursors (sync tokens, ETags) in the same transaction.
	SetBusy(ctx context.Context, account string, busy []Busy, cursors []Cursor) error
	// Cursor returns a stored cursor, or nil if there is none.
	Cursor(account, key string) ([]byte, error)
	// ReportHealth records the source's condition.
	ReportHealth(h Health)
}

// Calendar is one configured calendar account: it keeps the gate's view of
// the user's busy time up to date until ctx is cancelled, like a Connector
// does for items.
type Calendar interface {
	Account() string
	Run(ctx context.Context, sink BusySink) error
}

// FocusInfo describes a focus block for connectors that mirror it on the
// service (Slack DND and status).
type FocusInfo struct {
	Until   time.Time      // when the block ends
	ReplyAt time.Time      // the next check-in, when the user will answer
	Zone    *time.Location // the user's time zone, for wording
	// Vacation says the user is on vacation until Until, not in a focus
	// block: a mirror words its status so and snoozes nothing for days.
	Vacation bool
}

// FocusMirror is implemented by connectors that can show the user's focus on
// the service itself.
type FocusMirror interface {
	FocusStarted(ctx context.Context, f FocusInfo) error
	FocusEnded(ctx context.Context) error
}

// DoneMarker is implemented by connectors that tell the service when the
// user marked an item done (GitHub: mark the notification thread read), if
// the account asks for it. items are the connector's own, already done in
// the store; an error is logged and never undoes the done.
type DoneMarker interface {
	MarkDone(ctx context.Context, items []Item) error
}

// Title is the mode as the tray, the CLI and the windows name it.
func (m Mode) Title() string {
	switch m {
	case ModeFocus:
		return "Focus"
	case ModeMeeting:
		return "In a meeting"
	case ModeWindow:
		return "Check-in window open"
	case ModeBetween:
		return "Holding"
	case ModeOffHours:
		return "Off-hours"
	case ModePaused:
		return "Paused"
	case ModeVacation:
		return "On vacation"
	}
	return m.String()
}

// When words an instant for a reader at now, in zone: "14:00" on the same
// day, "Mon 09:00" within the coming six days, else "Mon 2 Jan 09:00".
// Every face of Sluice words times this way so they agree.
func When(t, now time.Time, zone *time.Location) string {
	if zone == nil {
		zone = time.Local
	}
	t, now = t.In(zone), now.In(zone)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return t.Format("15:04")
	case t.After(now) && t.Sub(now) < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}
