package sieve

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultVacationDays is how often a sender gets the auto-reply at most,
// when VacationSpec.Days is 0.
const DefaultVacationDays = 3

// DefaultHorizon is how far ahead the vacation script writes out the
// zone's offset changes (daylight saving time) when VacationSpec.Horizon
// is 0. Sluice rewrites the script long before it runs out; after it, the
// last offset stays in force.
const DefaultHorizon = 400 * 24 * time.Hour

// Period is [Start, End) between two instants: one vacation, from the
// midnight of its first day to the midnight after its last, in the
// schedule's zone.
type Period struct {
	Start, End time.Time
}

// Clock is a wall-clock time of day in the schedule's zone; Hour 24 with
// Minute 0 is the end of the day.
type Clock struct {
	Hour, Minute int
}

func (c Clock) minutes() int { return c.Hour*60 + c.Minute }

// String is "09:00".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Span is working hours [Start, End) on one weekday; End at or before
// Start means the span ends on the next day.
type Span struct {
	Start, End Clock
}

// VacationSpec is what the auto-reply script is made of: plain values a
// caller fills from the schedule and the config.
type VacationSpec struct {
	// Text is the reply's body (DefaultReplyText makes one from the
	// schedule); the user may edit it.
	Text string
	// Subject is the reply's subject; "" leaves it to the server
	// (Pigeonhole writes "Auto: " and the original subject).
	Subject string
	// Days: a sender gets the reply at most once per Days days;
	// default DefaultVacationDays.
	Days int
	// Addresses are the user's addresses: only mail sent to one of them
	// (To, Cc, …) is answered, never mail that reached the user through a
	// list or a Bcc of someone else's.
	Addresses []string
	// From, when set, is the reply's sender address.
	From string

	// Zone is the schedule's zone; Work is read in it.
	Zone *time.Location
	// Vacations are the periods during which every sender is answered.
	Vacations []Period
	// OffHours also answers outside working hours.
	OffHours bool
	// Work holds each weekday's working hours, indexed by time.Weekday
	// (0 = Sunday); a day without spans is a day off.
	Work [7][]Span
	// Now is when the script is written: periods already over are left
	// out, and offset changes are written from here on.
	Now time.Time
	// Horizon is how far ahead offset changes are written; default
	// DefaultHorizon.
	Horizon time.Duration

	// Extensions are the server's Sieve extensions (Capabilities.Sieve).
	Extensions []string
}

// Senders whose mail never gets an auto-reply, by the local part of their
// address: robots, bounces and list software.
var noReplyLocalParts = []string{
	"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"mailer-daemon", "postmaster", "bounce", "listserv", "majordomo", "notification",
}

// VacationScript writes the auto-reply script: a Sieve vacation action,
// taken only while a vacation period runs or (with OffHours) outside
// working hours, by the server's own clock, so that it answers while the
// laptop sleeps.
//
// Sieve compares times with a fixed UTC offset (":zone +0100"), not a
// zone, so the script splits time at each of the zone's offset changes
// between Now and Now+Horizon and tests working hours in each piece with
// that piece's offset. Vacation periods are instants and are tested in UTC.
//
// Beyond the vacation extension's own rules (no reply to a null sender,
// to list software, or to mail not sent to one of Addresses, and one reply
// per sender per Days), the script answers no mailing list (List-Id and
// the other List- headers), no bulk, list or junk Precedence, no
// Auto-Submitted mail, no mail that asks for no auto-reply
// (X-Auto-Response-Suppress), no mail marked as spam, and no robot sender
// (noreply, mailer-daemon, bounce, …, in From, Sender, Reply-To or the
// envelope).
//
// When no vacation lies ahead and OffHours is off there is nothing to
// answer: VacationScript returns an empty script, which Manager.Apply
// reads as "no vacation script".
func VacationScript(spec VacationSpec) (Generated, error) {
	if strings.TrimSpace(spec.Text) == "" {
		return Generated{}, fmt.Errorf("%w: the reply text is empty", ErrSpec)
	}
	if spec.Days == 0 {
		spec.Days = DefaultVacationDays
	}
	if spec.Days < 1 {
		return Generated{}, fmt.Errorf("%w: days %d: want at least 1", ErrSpec, spec.Days)
	}
	if spec.Zone == nil {
		return Generated{}, fmt.Errorf("%w: the schedule's zone is required", ErrSpec)
	}
	if spec.Now.IsZero() {
		return Generated{}, fmt.Errorf("%w: the time of writing (Now) is required", ErrSpec)
	}
	if spec.Horizon <= 0 {
		spec.Horizon = DefaultHorizon
	}
	for _, ext := range []string{"vacation", "date", "relational"} {
		if !hasExt(spec.Extensions, ext) {
			return Generated{}, fmt.Errorf("%w: %s (needed for the auto-reply by date)", ErrMissingExtension, ext)
		}
	}
	for d, spans := range spec.Work {
		for i, s := range spans {
			for _, c := range []Clock{s.Start, s.End} {
				if c.Hour < 0 || c.Minute < 0 || c.Minute > 59 || c.Hour > 24 || c.Hour == 24 && c.Minute != 0 {
					return Generated{}, fmt.Errorf("%w: %s working hours[%d]: bad time %s", ErrSpec, time.Weekday(d), i+1, c)
				}
			}
		}
	}
	req := requires{"vacation": true, "date": true, "relational": true}
	var notes []string

	var vac []expr
	for _, p := range spec.Vacations {
		if !p.End.After(p.Start) {
			return Generated{}, fmt.Errorf("%w: vacation %s–%s ends before it starts", ErrSpec, p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))
		}
		if !p.End.After(spec.Now) {
			continue // over
		}
		vac = append(vac, allOf(not(before(p.Start)), before(p.End)))
	}
	active := anyOf(vac...)
	if spec.OffHours {
		active = anyOf(active, offHours(spec))
	}
	if active.op == "false" {
		return Generated{}, nil
	}

	skip := []expr{
		test(`exists ["list-id", "list-unsubscribe", "list-post", "list-help", "list-owner", "list-subscribe", "mailing-list", "x-mailing-list"]`),
		test(`header :contains "precedence" ["bulk", "list", "junk"]`),
		allOf(test(`exists "auto-submitted"`), not(test(`header :is "auto-submitted" "no"`))),
		test(`header :contains "x-auto-response-suppress" ["all", "oof", "autoreply"]`),
		test(`header :is "x-spam-flag" "yes"`),
		test(`address :localpart :contains ["from", "sender", "reply-to"] %s`, strList(noReplyLocalParts)),
		test(`address :localpart :matches ["from", "sender"] ["owner-*", "*-owner", "*-request", "*-bounces", "*-bounce"]`),
	}
	if hasExt(spec.Extensions, "envelope") {
		req.add("envelope")
		skip = append(skip, test(`envelope :localpart :contains "from" %s`, strList(noReplyLocalParts)))
	} else {
		notes = append(notes, "the server's Sieve lacks the envelope extension, so robot senders are recognised by their headers only")
	}

	var args []string
	args = append(args, ":days "+strconv.Itoa(spec.Days))
	var addrs []string
	for _, a := range spec.Addresses {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) > 0 {
		args = append(args, ":addresses "+strList(addrs))
	}
	if s := strings.TrimSpace(spec.Subject); s != "" {
		args = append(args, ":subject "+str(oneLine(s)))
	}
	if f := strings.TrimSpace(spec.From); f != "" {
		args = append(args, ":from "+str(oneLine(f)))
	}
	// One handle for every text: editing the text does not answer again
	// those already answered.
	args = append(args, `:handle "sluice"`)

	var b strings.Builder
	b.WriteString(Marker + ": auto-reply.\n")
	b.WriteString("# Answers each sender at most once every " + strconv.Itoa(spec.Days) + " days; never lists, bulk mail or robots. Changes made here are replaced.\n")
	b.WriteString(req.line())
	b.WriteString("\n")
	fmt.Fprintf(&b, "if allof (\n    %s,\n    not %s\n) {\n", active.render("    "), anyOf(skip...).render("    "))
	fmt.Fprintf(&b, "    vacation %s\n        %s;\n}\n", strings.Join(args, " "), str(normalizeText(spec.Text)))
	return Generated{Script: b.String(), Notes: notes}, nil
}

// offHours is a test true outside working hours: one piece per stretch of
// constant UTC offset between Now and Now+Horizon.
func offHours(spec VacationSpec) expr {
	type piece struct {
		from, to time.Time // zero: unbounded
		offset   int
	}
	var pieces []piece
	t := spec.Now
	end := spec.Now.Add(spec.Horizon)
	var from time.Time
	for {
		_, off := t.In(spec.Zone).Zone()
		_, next := t.In(spec.Zone).ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			pieces = append(pieces, piece{from: from, offset: off})
			break
		}
		pieces = append(pieces, piece{from: from, to: next, offset: off})
		from, t = next, next
	}
	var any []expr
	for _, p := range pieces {
		var in []expr
		if !p.from.IsZero() {
			in = append(in, not(before(p.from)))
		}
		if !p.to.IsZero() {
			in = append(in, before(p.to))
		}
		in = append(in, not(working(spec.Work, zoneOffset(p.offset))))
		any = append(any, allOf(in...))
	}
	return anyOf(any...)
}

// working is a test true inside working hours, read with a fixed offset.
// A span that crosses midnight counts on its own day from its start and on
// the next day until its end.
func working(week [7][]Span, zone string) expr {
	var any []expr
	day := func(d int) expr { return test(`currentdate :zone %s :is "weekday" "%d"`, zone, d) }
	at := func(op string, c Clock) expr {
		return test(`currentdate :zone %s :value %q "time" "%02d:%02d:00"`, zone, op, c.Hour, c.Minute)
	}
	for d, spans := range week {
		for _, s := range spans {
			if s.End.minutes() > s.Start.minutes() {
				any = append(any, allOf(day(d), at("ge", s.Start), at("lt", s.End)))
				continue
			}
			any = append(any, allOf(day(d), at("ge", s.Start)))
			if s.End.minutes() > 0 {
				any = append(any, allOf(day((d+1)%7), at("lt", s.End)))
			}
		}
	}
	return anyOf(any...)
}

// normalizeText makes the reply's line breaks plain and trims the end.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, " \t\n") + "\n"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// DefaultReplyText is the auto-reply a schedule suggests, e.g. "I read mail
// at 11:00 and 16:00 (Europe/Berlin). Urgent? Put URGENT in the subject."
// checkins are the check-in times as the user reads them, zone the zone's
// name; urgentKeyword, when set, is the word that breaks through, for the
// second sentence.
func DefaultReplyText(checkins []string, zone, urgentKeyword string) string {
	var b strings.Builder
	switch len(checkins) {
	case 0:
		b.WriteString("I read mail at set times of the day")
	case 1:
		b.WriteString("I read mail at " + checkins[0])
	default:
		b.WriteString("I read mail at " + strings.Join(checkins[:len(checkins)-1], ", ") + " and " + checkins[len(checkins)-1])
	}
	if zone != "" {
		b.WriteString(" (" + zone + ")")
	}
	b.WriteString(".")
	if k := strings.TrimSpace(urgentKeyword); k != "" {
		b.WriteString(" Urgent? Put " + strings.ToUpper(k) + " in the subject.")
	}
	return b.String()
}
