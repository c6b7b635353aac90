// Package control is the local control API: the running Sluice serves it on
// a Unix socket in the data directory (mode 0600; on Windows a named pipe
// only the current user can open), and the CLI and the windows process are
// its clients. The wire format is JSON over HTTP/1.1.
package control

import (
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

// Backend is what the server serves: the running app implements it, tests
// may fake it.
type Backend interface {
	Status() Status
	Checkin() (gate.Checkin, error)
	Focus(d time.Duration) (gate.Status, error)
	FocusNext() (gate.Status, error)
	EndFocus() (gate.Status, error)
	Pause(d time.Duration) (gate.Status, error)
	Resume() (gate.Status, error)
	List(state model.State, q gate.ListQuery) (gate.Page, error)
	Item(id string) (model.Item, error)
	Done(ids []string) (int, error)
	DoneAll() (int, error)
	Snooze(ids []string) (int, error)
	Send(msg SendRequest) (model.Item, error)
	TestRule(it model.Item) gate.Verdict
	Config() config.Config
	SetConfig(c config.Config) error
	Reload() error
	Stats(days int) ([]gate.DayStats, error)
	Subscribe(buf int) (<-chan gate.Event, func())
	OpenWindow(name string) error
	AccountTest(name string) (string, error)
	Schedule(days int) (Schedule, error)
	RetryAccount(name string) (bool, error)
	// ReleaseAccount moves everything the account holds on the server back
	// to INBOX now (`sluice account release`).
	ReleaseAccount(name string) (ReleaseReply, error)
	Quit()
}

// Quitter is implemented by backends that have something to do before
// they quit on the user's word (release_on_quit); the words say what.
type Quitter interface {
	PrepareQuit() string
}

// Status is the gate's snapshot plus what the process knows about itself.
type Status struct {
	gate.Status
	Now     time.Time `json:"now"` // the daemon's clock, so clients word times as it does
	Version string    `json:"version"`
	PID     int       `json:"pid"`
	Tray    string    `json:"tray"`              // "shown", "unavailable: …", "off" (headless)
	Notices []string  `json:"notices,omitempty"` // things the user should know (no tray, config errors)
	Config  string    `json:"config"`            // config file path
	Data    string    `json:"data"`              // data directory
	// Today is today's schedule: its meetings, check-ins (moved or
	// skipped by meetings) and modes; Publish is where focus blocks are
	// published. Both are what `sluice schedule` shows for more days.
	Today   *schedule.PreviewDay `json:"today,omitempty"`
	Publish *PublishStatus       `json:"publish,omitempty"`
	// Desktop is how Sluice holds other apps' notifications; nil when
	// nothing does (the headless daemon).
	Desktop *Desktop `json:"desktop,omitempty"`
	// Replies is the reply promise and what waits under it; AutoReply how
	// the mail servers answer for Sluice.
	Replies   *RepliesStatus   `json:"replies,omitempty"`
	AutoReply *AutoReplyStatus `json:"autoreply,omitempty"`
}

// Schedule is the coming days as the gate will run them, with the
// meetings of the user's calendars and the focus blocks published to one.
type Schedule struct {
	Now  time.Time `json:"now"`
	Zone string    `json:"zone"`
	// Meetings are the switches in force (move check-ins, hold, all-day).
	Meetings schedule.Meetings     `json:"meetings"`
	Days     []schedule.PreviewDay `json:"days"`
	// Busy is every meeting the calendars gave, so a window can preview an
	// unsaved schedule with them.
	Busy    []model.Busy  `json:"busy"`
	Publish PublishStatus `json:"publish"`
}

// PublishStatus says whether and where Sluice publishes its focus blocks,
// which ones are on the calendar, and how the last attempt went.
type PublishStatus struct {
	On       bool         `json:"on"`
	Account  string       `json:"account,omitempty"`
	Calendar string       `json:"calendar,omitempty"`
	Blocks   []model.Busy `json:"blocks,omitempty"` // Sluice's events on the calendar after the last pass
	At       time.Time    `json:"at,omitzero"`      // when the last pass ran
	Error    string       `json:"error,omitempty"`
}

// Desktop says how Sluice holds the rest of the desktop: which
// notification server it found, whether it silenced it, and what the user
// can do there.
type Desktop struct {
	// Backend is what Sluice drives: "dunst", "KDE Plasma", "GNOME",
	// "XFCE", "mako", "macOS Shortcuts", "Windows Focus Assist", or ""
	// when it found nothing it can drive.
	Backend string `json:"backend"`
	// Server is what the notification server calls itself ("dunst 1.9.0").
	Server string `json:"server,omitempty"`
	// Hold is the hold_other_apps setting in force.
	Hold string `json:"hold"`
	// State is "quiet" (silenced by Sluice), "yours" (the user's own
	// do-not-disturb, left alone), "lifted" (open for a check-in or an
	// urgent item), "open" (not holding now), "off" (the setting), or
	// "unsupported" (nothing Sluice can switch here).
	State string `json:"state"`
	// Until is when Sluice lifts its do-not-disturb (State "quiet") or
	// silences the desktop again (State "lifted").
	Until time.Time `json:"until,omitzero"`
	// Summary is the state in one line, as `sluice status` prints it:
	// "dunst 1.9.0, paused by Sluice until 11:00".
	Summary string `json:"summary"`
	// Waiting says what the desktop does with what other apps send while
	// it is quiet.
	Waiting string `json:"waiting,omitempty"`
	// Urgent says how an urgent item reaches the user while it is quiet.
	Urgent string `json:"urgent,omitempty"`
	// Advice is what the user can do on this desktop.
	Advice string `json:"advice,omitempty"`
	// Problem is the last error talking to the notification server.
	Problem string `json:"problem,omitempty"`
	// CanCapture reports whether other apps' notifications can be recorded
	// as items here (Linux with a session bus).
	CanCapture bool `json:"can_capture"`
	// Capturing reports whether Sluice watches other apps' notifications
	// right now.
	Capturing bool `json:"capturing"`
	// Apps are the apps seen sending notifications while Sluice held them.
	Apps []DesktopApp `json:"apps,omitempty"`
}

// DesktopApp is one app seen sending notifications while Sluice held them.
type DesktopApp struct {
	Name     string    `json:"name"`
	LastSeen time.Time `json:"last_seen"`
	Count    int       `json:"count"`    // notifications seen
	Captured bool      `json:"captured"` // they become items (the setting)
}

// DurationRequest carries a duration for focus and pause.
type DurationRequest struct {
	// Duration is a Go duration ("50m"), or "next" for focus until the
	// next check-in.
	Duration string `json:"duration"`
}

// IDsRequest names items; All means every released item.
type IDsRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all,omitempty"`
}

// CountReply says how many items a command changed.
type CountReply struct {
	Count int `json:"count"`
}

// SendRequest is one item pushed into the local inbox (`sluice send`):
// the same fields the local inbox's HTTP endpoint takes (model.Push).
type SendRequest = model.Push

// SendReply answers a send.
type SendReply struct {
	ID string `json:"id"`
}

// RuleTestRequest describes an imaginary item to classify now.
type RuleTestRequest struct {
	From    string `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body,omitempty"`
	Account string `json:"account,omitempty"`
	Channel string `json:"channel,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Direct  bool   `json:"direct,omitempty"`
	Mention bool   `json:"mention,omitempty"`
}

// WindowRequest asks the resident process to open a window.
type WindowRequest struct {
	Window string `json:"window"` // digest, settings, stats, welcome
}

// ErrorReply is the body of every non-2xx answer.
type ErrorReply struct {
	Error  string   `json:"error"`
	Fields []string `json:"fields,omitempty"` // config validation errors, one per field
}

// RetryReply answers a retry: whether the account was waiting after a
// failure and now tries again.
type RetryReply struct {
	Retrying bool `json:"retrying"`
}

// ReleaseReply answers a release of what an account holds on the server.
type ReleaseReply struct {
	Account string `json:"account"`
	Count   int    `json:"count"`  // messages moved back to INBOX
	Folder  string `json:"folder"` // the hold folder, as the server names it
	Message string `json:"message"`
}

// MessageReply is a plain answer for commands that change no count.
type MessageReply struct {
	Message string `json:"message"`
}
