package sieve

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

// HeldKeyword is the IMAP keyword the hold script can put on mail it files
// into the hold folder (HoldSpec.Keyword). It tells every Sluice on the
// account, and the IMAP release path, that the server held the message at
// delivery: no Sluice moved it, so none must move it a second time.
const HeldKeyword = "$SluiceHeld"

// Rule is one user rule in plain fields: the same fields and meaning as
// app/rules.Rule, which a connector may not import. The caller copies them
// over in order.
type Rule struct {
	Name     string
	Accounts []string
	Channels []string
	From     []string
	Direct   bool
	Mention  bool
	Keywords []string
	Regex    string
	Reasons  []string
	Action   model.Action
}

// HoldSpec is what the hold-at-delivery script is made of: the account's
// rules and built-ins (as app/rules reads them), the hold folder and what
// the server's Sieve offers.
type HoldSpec struct {
	// Account is the account's name in Sluice, for rules limited to accounts.
	Account string
	// Folder is the hold folder as the server names it, with its
	// hierarchy delimiter and namespace prefix: "Sluice/Held",
	// "INBOX.Sluice.Held".
	Folder string
	// Keyword, when set, is added to every held message (HeldKeyword).
	Keyword string
	// HoldUrgent holds urgent mail too, as the gate does during a vacation
	// and off-hours with urgent.off_hours = "hold". Only mail that a rule
	// ignores then stays in INBOX.
	HoldUrgent bool
	// Until, when set, is the instant the script stops holding by itself:
	// the next check-in. Mail that arrives later stays in INBOX even when
	// the laptop slept through the check-in and could not switch the
	// script off. Needs the server's date and relational extensions.
	Until time.Time

	Rules          []Rule
	VIPs           []string
	UrgentKeywords []string
	UrgentChannel  string

	// Extensions are the server's Sieve extensions (Capabilities.Sieve).
	Extensions []string
}

// Generated is a script and what the generator had to approximate.
type Generated struct {
	Script string
	// Notes say, in a person's words, where the script does less than the
	// rules in Sluice would ("rule 3 "Boss": …"). None of them ever holds
	// mail that Sluice would let through.
	Notes []string
}

// Errors of the generators, for callers that fall back to the IMAP path.
var (
	// ErrMissingExtension: the server's Sieve lacks an extension the script
	// cannot do without.
	ErrMissingExtension = errors.New("the server's Sieve lacks a needed extension")
	// ErrNothingHeld: the rules cannot be told apart at delivery well
	// enough to hold anything without risking urgent mail, so the script
	// would keep every message in INBOX. The error names the rule.
	ErrNothingHeld = errors.New("the rules cannot be checked at delivery")
	// ErrSpec wraps a spec the generator cannot use (no folder, bad zone).
	ErrSpec = errors.New("invalid script spec")
)

// deliveryFolder is the channel of mail that Sieve keeps: the IMAP
// connector names an item's channel after its folder.
const deliveryFolder = "INBOX"

// polarity says which way a rule's conditions may be approximated when
// Sieve cannot test them exactly. A rule that keeps mail in INBOX may
// match more mail than in Sluice (a superset: more stays, nothing urgent is
// held); a rule that holds mail may match less (a subset: what it misses
// falls through to the later rules and at worst stays in INBOX).
type polarity bool

const (
	stays polarity = true  // urgent (and ignore): approximate from above
	holds polarity = false // hold and quiet: approximate from below
)

// HoldScript writes the hold-at-delivery script: it files into the hold
// folder the mail Sluice would hold, and leaves in INBOX (does nothing
// with) the mail a rule lets through, so the phone sees urgent mail at
// once and the rest at the check-in.
//
// The rules are tried in Sluice's order (user rules first, the first match
// decides; then VIPs, the urgent channel, urgent keywords, the sender's
// urgency flag) as one if/elsif chain. What Sieve cannot test exactly is
// approximated in the safe direction only (see polarity) and said in
// Notes: keywords are whole words in Sluice but substrings in Sieve; the
// snippet Sluice reads is part of the body Sieve reads; "direct message"
// and "mentions me" cannot be seen at delivery; a regex is translated when
// it comes down to fixed strings. The regex extension is not used: POSIX
// regular expressions are not RE2, and Sluice matches a regex against
// "subject\nsnippet", which no Sieve test sees.
//
// When an urgent rule can only be approximated by "every message", the
// script would hold nothing: HoldScript then returns ErrNothingHeld naming
// the rule, and the caller keeps to the IMAP path.
func HoldScript(spec HoldSpec) (Generated, error) {
	spec.Folder = strings.TrimSpace(spec.Folder)
	if spec.Folder == "" {
		return Generated{}, fmt.Errorf("%w: hold folder is required", ErrSpec)
	}
	if strings.TrimSpace(spec.Account) == "" {
		return Generated{}, fmt.Errorf("%w: account name is required", ErrSpec)
	}
	if !hasExt(spec.Extensions, "fileinto") {
		return Generated{}, fmt.Errorf("%w: fileinto (needed to file mail into %s)", ErrMissingExtension, spec.Folder)
	}
	g := &holdGen{spec: spec, req: requires{"fileinto": true}}

	type branch struct {
		label string
		pol   polarity
		cond  expr
		cause string // why cond became "every message", when it did
	}
	var chain []branch
	for i, r := range spec.Rules {
		pol := holds
		if r.Action == model.ActionIgnore || r.Action == model.ActionUrgent && !spec.HoldUrgent {
			pol = stays
		}
		label := "rule " + strconv.Itoa(i+1)
		if n := strings.TrimSpace(r.Name); n != "" {
			label += " " + strconv.Quote(n)
		}
		g.label = label
		cond := g.rule(r, pol)
		chain = append(chain, branch{label: label + ": " + r.Action.String(), pol: pol, cond: cond, cause: g.takeCause()})
	}
	if !spec.HoldUrgent {
		g.label = "VIPs"
		var vips []expr
		for _, v := range spec.VIPs {
			vips = append(vips, g.sender(v, stays))
		}
		chain = append(chain, branch{label: "VIP", pol: stays, cond: anyOf(vips...)})
		if c := strings.TrimSpace(spec.UrgentChannel); c != "" && channelMatch(c, deliveryFolder) {
			chain = append(chain, branch{label: "urgent channel " + c, pol: stays, cond: exprTrue})
			g.notes = append(g.notes, fmt.Sprintf("the urgent channel %q is the inbox itself, so all mail is urgent", c))
		}
		g.label = "urgent keywords"
		var kws []expr
		for _, k := range spec.UrgentKeywords {
			kws = append(kws, g.keyword(k, stays))
		}
		chain = append(chain, branch{label: "urgent keyword", pol: stays, cond: anyOf(kws...), cause: g.takeCause()})
		chain = append(chain, branch{label: "flagged urgent by the sender", pol: stays, cond: anyOf(
			test(`header :contains "x-priority" ["1", "2"]`),
			test(`header :contains "importance" "high"`),
			test(`header :contains "priority" "urgent"`),
		)})
	}

	// Drop branches that can never match, and hold branches after the last
	// branch that keeps mail: the final else holds what they would.
	last := -1
	for i, b := range chain {
		if b.pol == stays && b.cond.op != "false" {
			last = i
		}
	}
	var kept []branch
	for i, b := range chain {
		if b.cond.op == "false" || i > last {
			continue
		}
		kept = append(kept, b)
		if b.cond.op == "true" {
			break // nothing after it is ever reached
		}
	}
	if n := len(kept); n > 0 && kept[n-1].pol == stays && kept[n-1].cond.op == "true" {
		holdsBefore := false
		for _, b := range kept[:n-1] {
			holdsBefore = holdsBefore || b.pol == holds
		}
		if !holdsBefore {
			why := kept[n-1].label
			if c := kept[n-1].cause; c != "" {
				why += " (" + c + ")"
			}
			return Generated{}, fmt.Errorf("%w: %s would keep every message in INBOX, so nothing could be held at delivery", ErrNothingHeld, why)
		}
	}

	var body strings.Builder
	indent := ""
	if !spec.Until.IsZero() {
		if hasExt(spec.Extensions, "date") && hasExt(spec.Extensions, "relational") {
			g.req.add("date", "relational")
			fmt.Fprintf(&body, "# Hold only until %s UTC (the next check-in), even if Sluice cannot switch this off in time.\n",
				spec.Until.UTC().Format("2006-01-02 15:04:05"))
			fmt.Fprintf(&body, "if %s {\n", before(spec.Until).render(""))
			indent = "    "
		} else {
			g.notes = append(g.notes, "the server's Sieve lacks the date or relational extension, so the script cannot stop holding by itself at the check-in")
		}
	}
	hold := g.holdAction(indent + "    ")
	for i, b := range kept {
		kw := "if"
		if i > 0 {
			kw = "elsif"
		}
		action := indent + "    # stays in INBOX\n"
		if b.pol == holds {
			action = hold
		}
		fmt.Fprintf(&body, "%s# %s\n%s%s %s {\n%s%s}", indent, b.label, indent, kw, b.cond.render(indent), action, indent)
		body.WriteString("\n")
	}
	if len(kept) == 0 {
		body.WriteString(strings.TrimSuffix(hold, "\n") + "\n")
	} else {
		fmt.Fprintf(&body, "%selse {\n%s%s}\n", indent, hold, indent)
	}
	if indent != "" {
		body.WriteString("}\n")
	}

	var out strings.Builder
	out.WriteString(Marker + ": hold at delivery for account " + strconv.Quote(spec.Account) + ".\n")
	out.WriteString("# Mail Sluice would hold goes to " + strconv.Quote(spec.Folder) + "; urgent mail stays in INBOX. Changes made here are replaced.\n")
	out.WriteString(g.req.line())
	out.WriteString("\n")
	out.WriteString(body.String())
	return Generated{Script: out.String(), Notes: g.notes}, nil
}

type holdGen struct {
	spec      HoldSpec
	req       requires
	notes     []string
	label     string // the rule being translated, for notes
	lastCause string // why the last condition became "every message"
}

// takeCause returns and clears why the conditions just translated became
// "every message".
func (g *holdGen) takeCause() string {
	c := g.lastCause
	g.lastCause = ""
	return c
}

func (g *holdGen) note(format string, args ...any) {
	g.notes = append(g.notes, g.label+": "+fmt.Sprintf(format, args...))
}

// holdAction files the message into the hold folder, creating the folder
// when the server can, with the held keyword added to the flags Sieve
// would store anyway (imap4flags' internal variable, which fileinto uses),
// and the keyword taken off again so that nothing else this delivery
// stores carries it.
func (g *holdGen) holdAction(indent string) string {
	create := ""
	if hasExt(g.spec.Extensions, "mailbox") {
		g.req.add("mailbox")
		create = ":create "
	}
	kw := strings.TrimSpace(g.spec.Keyword)
	if kw == "" || !hasExt(g.spec.Extensions, "imap4flags") {
		if kw != "" {
			g.notes = append(g.notes, "the server's Sieve lacks imap4flags, so held mail does not get the keyword "+kw)
		}
		return indent + "fileinto " + create + str(g.spec.Folder) + ";\n"
	}
	g.req.add("imap4flags")
	return indent + "addflag " + str(kw) + ";\n" +
		indent + "fileinto " + create + str(g.spec.Folder) + ";\n" +
		indent + "removeflag " + str(kw) + ";\n"
}

// rule translates one user rule's conditions (all must match). The
// conditions that do not depend on the message (account, channel, reason)
// are decided first, so a rule for other accounts leaves no trace.
func (g *holdGen) rule(r Rule, pol polarity) expr {
	if len(r.Accounts) > 0 {
		in := false
		for _, a := range r.Accounts {
			in = in || strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(g.spec.Account))
		}
		if !in {
			return exprFalse
		}
	}
	if len(r.Reasons) > 0 {
		return exprFalse // mail has no notification reason (GitHub's review_requested, …)
	}
	if len(r.Channels) > 0 {
		in := false
		for _, c := range r.Channels {
			in = in || channelMatch(c, deliveryFolder)
		}
		if !in {
			return exprFalse
		}
	}
	static := len(r.Accounts) > 0 || len(r.Channels) > 0
	var conds []expr
	if r.Direct || r.Mention {
		what := "direct message"
		if r.Mention {
			what = "mentions me"
			if r.Direct {
				what = "direct message, mentions me"
			}
		}
		conds = append(conds, g.unknown(pol, what+" cannot be seen at delivery"))
	}
	if len(r.From) > 0 {
		var any []expr
		for _, f := range r.From {
			any = append(any, g.sender(f, pol))
		}
		conds = append(conds, anyOf(any...))
	}
	if len(r.Keywords) > 0 {
		var any []expr
		for _, k := range r.Keywords {
			any = append(any, g.keyword(k, pol))
		}
		conds = append(conds, anyOf(any...))
	}
	if strings.TrimSpace(r.Regex) != "" {
		conds = append(conds, g.regex(r.Regex, pol))
	}
	if len(conds) == 0 && !static {
		return exprFalse // a rule without conditions is invalid in Sluice
	}
	return allOf(conds...)
}

// unknown stands for a condition Sieve cannot test: true for a rule that
// keeps mail (so it keeps more), false for one that holds (so it holds less).
func (g *holdGen) unknown(pol polarity, why string) expr {
	if pol == stays {
		g.note("%s; all mail matching its other conditions stays in INBOX", why)
		g.lastCause = why
		return exprTrue
	}
	g.note("%s; the rule is left out and its mail falls through to the next rules", why)
	return exprFalse
}

// channelMatch is app/rules' channel pattern match: exact or glob, '#'
// optional, case folded.
func channelMatch(pattern, name string) bool {
	p := strings.TrimPrefix(strings.TrimSpace(pattern), "#")
	name = strings.TrimPrefix(name, "#")
	if p == "" {
		return false
	}
	if !strings.ContainsAny(p, "*?") {
		return strings.EqualFold(p, name)
	}
	return globMatch([]rune(strings.ToLower(p)), []rune(strings.ToLower(name)))
}

// globMatch matches '*' (any run) and '?' (one rune).
func globMatch(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if globMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return len(s) > 0 && (p[0] == '?' || p[0] == s[0]) && globMatch(p[1:], s[1:])
}

// sender translates a sender pattern as app/rules reads it (address,
// domain, glob or bare name). The address is the From header's; Sluice
// falls back to Sender only when From has none, which the superset adds.
func (g *holdGen) sender(raw string, pol polarity) expr {
	p := strings.TrimSpace(raw)
	headers := `"from"`
	if pol == stays {
		headers = `["from", "sender"]`
	}
	switch {
	case p == "":
		return exprFalse
	case strings.ContainsAny(p, "*?"):
		addr := test(`address :all :matches %s %s`, headers, str(globEscape(p)))
		if strings.Contains(p, "@") {
			return addr
		}
		// A glob without '@' is tried on the sender's name too. Sieve has
		// no test for the display name: the whole From header contains it.
		if pol == stays {
			return anyOf(addr, test(`header :matches "from" %s`, str("*"+globEscape(p)+"*")))
		}
		g.note("the sender name pattern %q is tested on addresses only", p)
		return addr
	case strings.HasPrefix(p, "@"):
		return g.domain(p[1:], headers)
	case strings.Contains(p, "@"):
		return test(`address :all :is %s %s`, headers, str(p))
	case strings.Contains(p, ".") && !strings.ContainsFunc(p, unicode.IsSpace):
		return g.domain(p, headers)
	default:
		// A bare name: the sender's name (or address) equals it.
		if pol == stays {
			return test(`header :contains "from" %s`, str(p))
		}
		return test(`header :matches "from" %s`, strList([]string{matchEscape(p) + " <*>", `"` + matchEscape(p) + `" <*>`}))
	}
}

// globEscape keeps a rules glob's '*' and '?' and escapes the backslash,
// which has no meaning in Sluice's globs.
func globEscape(p string) string { return strings.ReplaceAll(p, `\`, `\\`) }

func (g *holdGen) domain(d, headers string) expr {
	if d == "" {
		return exprFalse
	}
	return anyOf(
		test(`address :domain :is %s %s`, headers, str(d)),
		test(`address :domain :matches %s %s`, headers, str("*."+matchEscape(d))),
	)
}

// keyword translates a keyword (a whole word or phrase in the subject or
// the snippet, any case).
//
// For a rule that keeps mail, the subject and the whole text of the body
// (which holds the snippet) are searched for the keyword as a substring: a
// superset of the whole word. Non-ASCII letters are tried in each case
// (Sieve's i;ascii-casemap folds ASCII only), and a phrase's words may be
// separated by any run of white space.
//
// For a rule that holds mail, only the subject is searched, and only for
// the keyword between spaces or punctuation and the ends of the subject:
// a subset of the whole word, since the body holds more than the snippet.
func (g *holdGen) keyword(raw string, pol polarity) expr {
	k := strings.Join(strings.Fields(raw), " ")
	if k == "" {
		return exprFalse
	}
	if pol == holds {
		var pats []string
		for _, b := range []string{"", "* ", "*(", `*"`, "*'"} {
			for _, a := range []string{"", " *", ".*", ",*", ":*", ";*", "!*", "?*", ")*", `"*`, "'*"} {
				pats = append(pats, b+matchEscape(k)+a)
			}
		}
		g.note("keyword %q is looked for in the subject only", k)
		return test(`header :matches "subject" %s`, strList(pats))
	}
	return g.containsAnywhere([]string{k}, "keyword "+strconv.Quote(k))
}

// containsAnywhere is true when the subject or the body text contains one
// of the strings, in any case; the superset used for rules that keep mail.
func (g *holdGen) containsAnywhere(ss []string, what string) expr {
	var contains, matches []string
	for _, s := range ss {
		for _, v := range caseVariants(s) {
			words := strings.Fields(v)
			if len(words) == 1 {
				contains = append(contains, v)
			} else {
				for i := range words {
					words[i] = matchEscape(words[i])
				}
				matches = append(matches, "*"+strings.Join(words, "*")+"*")
			}
		}
	}
	// where is a format with the match type and the keys to fill in:
	// `header %s "subject" %s` or `body :text %s %s`.
	tests := func(where string) []expr {
		var out []expr
		if len(contains) > 0 {
			out = append(out, test(where, ":contains", strList(contains)))
		}
		if len(matches) > 0 {
			out = append(out, test(where, ":matches", strList(matches)))
		}
		return out
	}
	e := tests(`header %s "subject" %s`)
	if !hasExt(g.spec.Extensions, "body") {
		g.note("the server's Sieve lacks the body extension, so %s cannot be looked for in the text; all mail stays in INBOX", what)
		g.lastCause = "the server's Sieve cannot search the message text (no body extension)"
		return exprTrue
	}
	g.req.add("body")
	return anyOf(append(e, tests("body :text %s %s")...)...)
}

// caseVariants returns s in every combination of cases of its non-ASCII
// letters (ASCII letters are folded by the comparator). Past 16
// combinations it returns the string split at those letters instead,
// which only widens the match.
func caseVariants(s string) []string {
	out := []string{""}
	for _, r := range s {
		orbit := []rune{r}
		if r >= utf8.RuneSelf {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				orbit = append(orbit, f)
			}
		}
		if len(out)*len(orbit) > 16 {
			return []string{strings.Join(strings.FieldsFunc(s, func(r rune) bool {
				return unicode.IsSpace(r) || r >= utf8.RuneSelf && unicode.SimpleFold(r) != r
			}), " ")}
		}
		var next []string
		for _, o := range out {
			for _, f := range orbit {
				next = append(next, o+string(f))
			}
		}
		out = next
	}
	return out
}

// regex translates a rule's RE2 expression, matched in Sluice against
// "subject\nsnippet". One that matches only a few fixed strings (a word,
// "outage|incident") becomes a search for them; otherwise a rule that
// keeps mail searches for a string every match must contain, and a rule
// that holds mail is left out.
func (g *holdGen) regex(src string, pol polarity) expr {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return g.unknown(pol, "its regex does not compile")
	}
	if set, ok := finiteStrings(re, 32); ok {
		var clean []string
		for _, s := range set {
			if s == "" || strings.Contains(s, "\n") {
				clean = nil
				break
			}
			clean = append(clean, s)
		}
		if clean != nil {
			if pol == stays {
				return g.containsAnywhere(clean, "its regex")
			}
			// ASCII case folding only where the whole regex ignores case;
			// else exact octets, which match less.
			cmp := `:comparator "i;octet" `
			if allFold(re) {
				cmp = ""
			}
			g.note("its regex is looked for in the subject only")
			return test(`header %s:contains "subject" %s`, cmp, strList(clean))
		}
	}
	if pol == stays {
		if lit := requiredLiteral(re); strings.TrimSpace(lit) != "" && !strings.Contains(lit, "\n") {
			g.note("its regex is approximated by the text %q it always contains", lit)
			return g.containsAnywhere([]string{lit}, "its regex")
		}
	}
	return g.unknown(pol, "its regex cannot be translated to Sieve")
}

// finiteStrings returns every string re can match when they are at most
// limit (literals, alternations, optional parts, small classes), and
// whether it could; anchors and repetition make it give up.
func finiteStrings(re *syntax.Regexp, limit int) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpCapture:
		return finiteStrings(re.Sub[0], limit)
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) >= limit {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, true
	case syntax.OpQuest:
		sub, ok := finiteStrings(re.Sub[0], limit)
		if !ok || len(sub)+1 > limit {
			return nil, false
		}
		return append([]string{""}, sub...), true
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			sub, ok := finiteStrings(s, limit)
			if !ok || len(out)+len(sub) > limit {
				return nil, false
			}
			out = append(out, sub...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			sub, ok := finiteStrings(s, limit)
			if !ok || len(out)*len(sub) > limit {
				return nil, false
			}
			var next []string
			for _, a := range out {
				for _, b := range sub {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

// allFold reports whether every literal and class of re ignores case.
func allFold(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return re.Flags&syntax.FoldCase != 0
	case syntax.OpCharClass:
		return false // a class lists its cases itself
	}
	for _, s := range re.Sub {
		if !allFold(s) {
			return false
		}
	}
	return true
}

// requiredLiteral returns the longest literal that every match of re
// contains, "" when there is none to find.
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		run := ""
		for _, s := range re.Sub {
			if s.Op == syntax.OpLiteral {
				run += string(s.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if l := requiredLiteral(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}
