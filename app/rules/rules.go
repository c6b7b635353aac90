// Package rules decides what Sluice does with each incoming item: break
// through (urgent), hold until the next check-in, release quietly, or ignore.
//
// The decision is a pure function of the compiled rules and the item; the
// package reads no clock, no files and keeps no state, so the gate, the
// settings window's rule tester and `sluice rules test` all get the same
// answer for the same input.
//
// # Order
//
// User rules are tried first, in the order the user wrote them; the first
// rule whose conditions all match decides. Then the built-ins, each deciding
// "urgent": a VIP sender, the designated urgent channel, an urgent keyword,
// and last "source urgent" (the source itself flagged the item, e.g.
// `sluice send --urgent` or an HTTP push with Priority: urgent). The source
// flag comes after the user rules on purpose: a user who wrote a rule to hold
// or ignore a noisy script keeps it held even when the script shouts.
// Nothing matched → hold.
//
// # Conditions
//
// Every condition a rule sets must match (AND); within one list any entry
// may match (OR). All comparisons ignore case (Unicode simple folding).
//
//   - accounts: account names, exact.
//   - channels: channel or folder names, exact or a glob; a leading '#' is
//     optional on both the pattern and the item's channel.
//   - from: "alice@acme.com" (an address, exact), "@acme.com" or "acme.com"
//     (a domain and all its subdomains: a pattern without '@' that contains a
//     dot and no space is a domain), a glob such as "*@*.acme.com" or "boss*",
//     or a bare name such as "Alice Smith". Globs without '@' and bare names
//     are matched against both the sender's name and address; address and
//     domain patterns only against the address.
//   - direct, mention: the item is a direct message / mentions the user.
//   - keywords: a word or phrase in the subject or snippet. A keyword matches
//     only as a whole word: "urgent" does not match inside "resurgent", and
//     because a hyphenated compound counts as one word it does not match
//     "non-urgent" or "urgent-ish" either. Runs of white space in a keyword
//     match any run of white space. Edges of a keyword that are not letters
//     or digits ("C++", "#outage") need no word boundary there.
//   - regex: an RE2 expression matched against "subject\nsnippet" (case
//     sensitive unless it starts with (?i)).
//   - reasons: why the source notified the user, exact (GitHub's
//     review_requested, mention, assign, ci_activity, …), so that review
//     requests can be urgent and CI results quiet.
//
// Globs know two wildcards: '*' (any run of characters, '/' included, so
// "INBOX/*" also matches "INBOX/a/b") and '?' (one character). There is no
// escape and no character class; use a regex rule for anything finer.
package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/sluice-app/sluice/app/model"
)

// Rule is one user rule as written in the TOML config ([[rules]] tables) and
// edited in the settings window. All conditions that are set must match
// (AND); within a list, any entry may match (OR). A rule with no condition is
// an error.
type Rule struct {
	Name     string       `toml:"name" json:"name,omitempty"`
	Accounts []string     `toml:"accounts" json:"accounts,omitempty"` // account names, exact
	Channels []string     `toml:"channels" json:"channels,omitempty"` // "#eng-*", "INBOX/*", "incidents"
	From     []string     `toml:"from" json:"from,omitempty"`         // "alice@acme.com", "acme.com", "@acme.com", "*@*.acme.com", "boss*"
	Direct   bool         `toml:"direct" json:"direct,omitempty"`     // only direct messages
	Mention  bool         `toml:"mention" json:"mention,omitempty"`   // only items that mention the user
	Keywords []string     `toml:"keywords" json:"keywords,omitempty"` // whole words or phrases in subject or snippet
	Regex    string       `toml:"regex" json:"regex,omitempty"`       // RE2 on "subject\nsnippet"
	Reasons  []string     `toml:"reasons" json:"reasons,omitempty"`   // the source's reason, exact: "review_requested", "ci_activity"
	Action   model.Action `toml:"action" json:"action"`
}

// Builtins are the rules a user only fills in. Each one that matches makes
// the item urgent.
type Builtins struct {
	VIPs           []string `toml:"vips" json:"vips,omitempty"`                       // same syntax as Rule.From
	UrgentKeywords []string `toml:"urgent_keywords" json:"urgent_keywords,omitempty"` // same syntax as Rule.Keywords
	UrgentChannel  string   `toml:"urgent_channel" json:"urgent_channel,omitempty"`   // same syntax as a Rule.Channels entry; empty = none
}

// Result is the rules' decision for one item, with the words the decision
// log and `sluice explain` show.
type Result struct {
	Action model.Action
	// Rule names what decided: `rule 2 "Boss"` (or "rule 2" when unnamed),
	// "VIP", "urgent channel", "urgent keyword", "source urgent" or "default".
	Rule string
	// Index is the deciding user rule's 1-based position, 0 otherwise.
	Index int
	// Reason says why in a person's words, e.g. `rule 2 "Boss": from
	// boss@acme.com`, "VIP alice@acme.com", `urgent keyword "outage"`,
	// "urgent channel #incidents", "no rule matched".
	Reason string
}

// Labels used in Result.Rule for the built-ins and the default.
const (
	RuleVIP           = "VIP"
	RuleUrgentChannel = "urgent channel"
	RuleUrgentKeyword = "urgent keyword"
	RuleSourceUrgent  = "source urgent"
	RuleDefault       = "default"
)

// Errors that Compile's errors wrap, for callers that need to tell them apart.
var (
	ErrNoCondition  = errors.New("no condition (set at least one of accounts, channels, from, direct, mention, keywords, regex, reasons)")
	ErrEmptyPattern = errors.New("empty pattern")
	ErrBadPattern   = errors.New("bad pattern")
	ErrBadRegex     = errors.New("bad regex")
	ErrBadAction    = errors.New("bad action")
)

// FieldError is one problem in the rules, located so that the settings
// window can point at the field. Its message reads like
// `rules[3] ("Newsletters"): regex: error parsing regexp: …` or
// `builtins.vips[2]: "": empty sender pattern`.
type FieldError struct {
	Rule  int    // 1-based position of the user rule, 0 for the built-ins
	Name  string // the rule's name, if it has one
	Field string // "regex", "from[2]", "builtins.vips[2]", …
	Err   error
}

func (e *FieldError) Error() string {
	if e.Rule == 0 {
		return e.Field + ": " + e.Err.Error()
	}
	return ruleRef(e.Rule, e.Name) + ": " + e.Field + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

func ruleRef(pos int, name string) string {
	if name == "" {
		return "rules[" + strconv.Itoa(pos) + "]"
	}
	return "rules[" + strconv.Itoa(pos) + "] (" + strconv.Quote(name) + ")"
}

// detailErr gives a sentinel error a more specific message while keeping it
// (and any cause) reachable through errors.Is and errors.As.
type detailErr struct {
	msg  string
	errs []error
}

func (e *detailErr) Error() string   { return e.msg }
func (e *detailErr) Unwrap() []error { return e.errs }

func valueErr(value, msg string, sentinel error) error {
	return &detailErr{msg: strconv.Quote(value) + ": " + msg, errs: []error{sentinel}}
}

// Set is a compiled, immutable list of rules and built-ins. It is safe for
// concurrent use.
type Set struct {
	rules    []rule
	vips     []sender
	channel  *channel
	keywords []keyword
}

type rule struct {
	label    string // `rule 2 "Boss"`
	index    int
	action   model.Action
	direct   bool
	mention  bool
	accounts []string
	reasons  []string
	channels []channel
	from     []sender
	keywords []keyword
	re       *regexp.Regexp
	reSrc    string
	reFilter prefilter
}

// Compile checks and compiles the user rules and the built-ins. On error it
// returns every problem found, joined (errors.Join), each a *FieldError.
func Compile(list []Rule, b Builtins) (*Set, error) {
	s := &Set{rules: make([]rule, 0, len(list))}
	var errs []error
	for i, r := range list {
		cr, rerrs := compileRule(i+1, r)
		errs = append(errs, rerrs...)
		s.rules = append(s.rules, cr)
	}
	errs = append(errs, s.compileBuiltins(b)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// compileRule compiles the rule at position pos (from 1) and lists what is
// wrong with it, each error naming the rule and the field.
func compileRule(pos int, r Rule) (rule, []error) {
	name := strings.TrimSpace(r.Name)
	var errs []error
	fail := func(field string, err error) {
		errs = append(errs, &FieldError{Rule: pos, Name: name, Field: field, Err: err})
	}
	cr := rule{
		index:   pos,
		action:  r.Action,
		direct:  r.Direct,
		mention: r.Mention,
	}
	cr.label = "rule " + strconv.Itoa(pos)
	if name != "" {
		cr.label += " " + strconv.Quote(name)
	}
	switch r.Action {
	case model.ActionHold, model.ActionUrgent, model.ActionQuiet, model.ActionIgnore:
	default:
		fail("action", &detailErr{msg: "unknown action " + r.Action.String(), errs: []error{ErrBadAction}})
	}
	cr.accounts = compileEach(r.Accounts, "accounts", nonEmpty("empty account name"), fail)
	cr.reasons = compileEach(r.Reasons, "reasons", nonEmpty("empty reason"), fail)
	cr.channels = compileEach(r.Channels, "channels", compileChannel, fail)
	cr.from = compileEach(r.From, "from", compileSender, fail)
	cr.keywords = compileEach(r.Keywords, "keywords", compileKeyword, fail)
	if r.Regex != "" {
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			fail("regex", &detailErr{msg: err.Error(), errs: []error{ErrBadRegex, err}})
		} else {
			cr.re, cr.reSrc, cr.reFilter = re, r.Regex, newPrefilter(r.Regex)
		}
	}
	// A rule whose lists were all given but all invalid already has
	// errors; only complain about missing conditions when none was written.
	if len(r.Accounts) == 0 && len(r.Channels) == 0 && len(r.From) == 0 &&
		!r.Direct && !r.Mention && len(r.Keywords) == 0 && r.Regex == "" && len(r.Reasons) == 0 {
		errs = append(errs, &FieldError{Rule: pos, Name: name, Field: "conditions", Err: ErrNoCondition})
	}
	return cr, errs
}

// compileBuiltins compiles the filled-in built-ins into s and lists what
// is wrong with them.
func (s *Set) compileBuiltins(b Builtins) []error {
	var errs []error
	fail := func(field string, err error) { errs = append(errs, &FieldError{Field: field, Err: err}) }
	s.vips = compileEach(b.VIPs, "builtins.vips", compileSender, fail)
	s.keywords = compileEach(b.UrgentKeywords, "builtins.urgent_keywords", compileKeyword, fail)
	if strings.TrimSpace(b.UrgentChannel) != "" {
		p, err := compileChannel(b.UrgentChannel)
		if err != nil {
			fail("builtins.urgent_channel", err)
		} else {
			s.channel = &p
		}
	}
	return errs
}

// compileEach compiles every value of a list field, reporting each bad
// one as field[n] (from 1) and leaving it out.
func compileEach[T any](values []string, field string, compile func(string) (T, error), fail func(field string, err error)) []T {
	var out []T
	for j, v := range values {
		c, err := compile(v)
		if err != nil {
			fail(fmt.Sprintf("%s[%d]", field, j+1), err)
			continue
		}
		out = append(out, c)
	}
	return out
}

// nonEmpty is a compile step for plain names: trimmed, and not empty.
func nonEmpty(msg string) func(string) (string, error) {
	return func(v string) (string, error) {
		if t := strings.TrimSpace(v); t != "" {
			return t, nil
		}
		return "", valueErr(v, msg, ErrEmptyPattern)
	}
}

// Len returns the number of user rules.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

var defaultResult = Result{Action: model.ActionHold, Rule: RuleDefault, Reason: "no rule matched"}

// Evaluate decides what to do with it. A nil Set holds everything. It does
// not modify the item; it allocates only to word the reason of a match.
func (s *Set) Evaluate(it *model.Item) Result {
	if s == nil || it == nil {
		return defaultResult
	}
	e := evaluation{it: it}
	defer e.release()
	for i := range s.rules {
		if res, ok := s.rules[i].match(&e); ok {
			return res
		}
	}
	for i := range s.vips {
		if v, ok := s.vips[i].match(it); ok {
			return Result{Action: model.ActionUrgent, Rule: RuleVIP, Reason: "VIP " + s.vips[i].describe(v)}
		}
	}
	if s.channel != nil && s.channel.match(it.Channel) {
		return Result{Action: model.ActionUrgent, Rule: RuleUrgentChannel, Reason: "urgent channel " + it.Channel}
	}
	if len(s.keywords) > 0 {
		text := e.foldedText()
		for i := range s.keywords {
			if s.keywords[i].in(text) {
				return Result{Action: model.ActionUrgent, Rule: RuleUrgentKeyword, Reason: "urgent keyword " + s.keywords[i].quoted}
			}
		}
	}
	if it.UrgentHint {
		return Result{Action: model.ActionUrgent, Rule: RuleSourceUrgent, Reason: "flagged urgent by the source"}
	}
	return defaultResult
}

// match reports whether every condition of r holds for the item and, if so,
// the result with every matching condition named in the reason.
func (r *rule) match(e *evaluation) (Result, bool) {
	h, ok := r.conditions(e)
	if !ok {
		return Result{}, false
	}
	return Result{Action: r.action, Rule: r.label, Index: r.index, Reason: r.reason(e.it, h)}, true
}

// hits says which entry of each of a rule's lists matched an item (-1:
// none, or the list is empty), for the reason.
type hits struct {
	account, reason, channel, from, keyword int
	fromValue                               string // what the sender pattern matched
}

// conditions reports whether the item meets every condition of the rule,
// and which list entries it met. Cheap conditions come first; the text is
// looked at only when the rest matched.
func (r *rule) conditions(e *evaluation) (h hits, ok bool) {
	it := e.it
	if r.direct && !it.Direct || r.mention && !it.MentionsMe {
		return h, false
	}
	h = hits{account: indexFold(r.accounts, it.Account), reason: indexFold(r.reasons, it.Reason), channel: -1, from: -1, keyword: -1}
	if r.accounts != nil && h.account < 0 || r.reasons != nil && h.reason < 0 {
		return h, false
	}
	for i := range r.channels {
		if r.channels[i].match(it.Channel) {
			h.channel = i
			break
		}
	}
	if r.channels != nil && h.channel < 0 {
		return h, false
	}
	for i := range r.from {
		if v, ok := r.from[i].match(it); ok {
			h.from, h.fromValue = i, v
			break
		}
	}
	if r.from != nil && h.from < 0 {
		return h, false
	}
	if r.keywords != nil {
		text := e.foldedText()
		for i := range r.keywords {
			if r.keywords[i].in(text) {
				h.keyword = i
				break
			}
		}
		if h.keyword < 0 {
			return h, false
		}
	}
	if r.re != nil && (r.reFilter != nil && !r.reFilter.match(e.foldedText()) || !r.re.Match(e.rawText())) {
		return h, false
	}
	return h, true
}

// indexFold is the index of the first entry of list equal to s under
// Unicode case folding, or -1.
func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

// reason words why the rule matched: its label and each condition met.
func (r *rule) reason(it *model.Item, h hits) string {
	var b strings.Builder
	b.WriteString(r.label)
	sep := ": "
	add := func(parts ...string) {
		b.WriteString(sep)
		sep = ", "
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	if h.account >= 0 {
		add("account ", it.Account)
	}
	if h.reason >= 0 {
		add("reason ", it.Reason)
	}
	if h.channel >= 0 {
		add("channel ", it.Channel)
	}
	if h.from >= 0 {
		add("from ", r.from[h.from].describe(h.fromValue))
	}
	if r.direct {
		add("direct message")
	}
	if r.mention {
		add("mentions me")
	}
	if h.keyword >= 0 {
		add("keyword ", r.keywords[h.keyword].quoted)
	}
	if r.re != nil {
		add("regex ", strconv.Quote(r.reSrc))
	}
	return b.String()
}

// evaluation holds the text views of one item that keyword and regex
// conditions share, built at most once per Evaluate and only when needed.
type evaluation struct {
	it        *model.Item
	buf       *textBuf
	hasFolded bool
	hasRaw    bool
}

type textBuf struct{ folded, raw []byte }

var bufPool = sync.Pool{New: func() any { return &textBuf{folded: make([]byte, 0, 1024), raw: make([]byte, 0, 1024)} }}

func (e *evaluation) get() *textBuf {
	if e.buf == nil {
		e.buf = bufPool.Get().(*textBuf)
	}
	return e.buf
}

func (e *evaluation) release() {
	if e.buf == nil {
		return
	}
	// Keep the pool from pinning a buffer grown by one huge item.
	if cap(e.buf.folded) <= 64<<10 && cap(e.buf.raw) <= 64<<10 {
		bufPool.Put(e.buf)
	}
	e.buf = nil
}

// foldedText is subject and snippet, case-folded with white space collapsed,
// separated by a newline so that no phrase spans the two.
func (e *evaluation) foldedText() []byte {
	b := e.get()
	if !e.hasFolded {
		b.folded = appendFolded(b.folded[:0], e.it.Subject)
		b.folded = append(b.folded, '\n')
		b.folded = appendFolded(b.folded, e.it.Snippet)
		e.hasFolded = true
	}
	return b.folded
}

// rawText is "subject\nsnippet", what regex conditions see.
func (e *evaluation) rawText() []byte {
	b := e.get()
	if !e.hasRaw {
		b.raw = append(b.raw[:0], e.it.Subject...)
		b.raw = append(b.raw, '\n')
		b.raw = append(b.raw, e.it.Snippet...)
		e.hasRaw = true
	}
	return b.raw
}
