package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/schedule"
)

// Promise is how soon the user answers messages: shown in the Schedule
// tab and `sluice status`, and the measure of the "waiting for your
// reply" list and the reply stats.
type Promise struct {
	// ReplyWithin is "next-checkin", a duration ("24h": every hour counts,
	// weekends too) or "N working days" (days with working hours, outside
	// vacations).
	ReplyWithin string `toml:"reply_within" json:"reply_within"`
}

// Parsed is the promise in force: the default when none is written.
func (p Promise) Parsed() (schedule.Promise, error) {
	s := p.ReplyWithin
	if strings.TrimSpace(s) == "" {
		s = schedule.DefaultPromise
	}
	return schedule.ParsePromise(s)
}

// AutoReply is the answer the mail server sends for Sluice (a Sieve
// vacation script installed over ManageSieve on every IMAP account whose
// server offers it), so that it works while the laptop sleeps.
type AutoReply struct {
	// Enabled installs the auto-reply; off by default, since it sends mail
	// in the user's name.
	Enabled bool `toml:"enabled" json:"enabled"`
	// OffHours answers outside working hours too, not only during
	// vacations.
	OffHours bool `toml:"off_hours" json:"off_hours"`
	// Text is the reply; empty means the one generated from the schedule
	// ("I read mail at 11:00 and 16:00 (Europe/Berlin). Urgent? Put
	// URGENT in the subject.").
	Text string `toml:"text" json:"text"`
	// Subject is the reply's subject; empty lets the server write "Auto:"
	// and the original subject.
	Subject string `toml:"subject" json:"subject,omitempty"`
	// Days: a sender gets the reply at most once in this many days (0:
	// DefaultAutoReplyDays).
	Days int `toml:"days" json:"days"`
}

// DefaultAutoReplyDays is how often a sender gets the auto-reply at most.
const DefaultAutoReplyDays = 3

// MaxAutoReplyText bounds the auto-reply's text, in bytes.
const MaxAutoReplyText = 4000

// compilePromise checks the promise section and parses it; nil when it
// has errors.
func (c Config) compilePromise(add func(field, value, msg string)) *schedule.Promise {
	p, err := c.Promise.Parsed()
	if err != nil {
		add("promise.reply_within", "", err.Error()) // the error quotes the value
		return nil
	}
	return &p
}

// checkAutoReply checks the autoreply section.
func (c Config) checkAutoReply(add func(field, value, msg string)) {
	a := c.AutoReply
	if a.Days < 0 || a.Days > 365 {
		add("autoreply.days", strconv.Itoa(a.Days), "must be between 1 and 365")
	}
	switch {
	case len(a.Text) > MaxAutoReplyText:
		add("autoreply.text", "", fmt.Sprintf("is %d bytes long; at most %d", len(a.Text), MaxAutoReplyText))
	case !utf8.ValidString(a.Text):
		add("autoreply.text", "", "is not valid UTF-8")
	}
	if strings.ContainsAny(a.Subject, "\r\n") || len(a.Subject) > 200 {
		add("autoreply.subject", strconv.Quote(a.Subject), "must be one line of at most 200 bytes")
	}
}

func validateSentAndSieve(f string, a Account, add func(field, value, msg string)) {
	if s := a.SentFolder; s != "" && strings.TrimSpace(s) == "" {
		add(f+".sent_folder", strconv.Quote(s), `empty folder name (leave it out to find the Sent folder, "-" to turn it off)`)
	}
	// sieve_port is checked with the hold settings (validateHold).
	if strings.ContainsAny(a.SieveHost, " /@") {
		add(f+".sieve_host", strconv.Quote(a.SieveHost), "not a host name")
	}
}
