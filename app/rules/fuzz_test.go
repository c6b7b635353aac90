package rules

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// FuzzCompileEvaluate builds a rule from arbitrary strings, evaluates an
// arbitrary item against it, and checks that nothing panics and that the
// result is well formed. It also checks two properties that must hold for
// any input: a keyword always matches a subject equal to it, and an exact
// channel pattern always matches a channel of the same name.
func FuzzCompileEvaluate(f *testing.F) {
	f.Add("work", "#eng-*", "*@*.acme.com", "urgent", `(?i)out(age)?`, uint8(1), true, false,
		"Work", "#eng-a", "Boss", "boss@x.acme.com", "URGENT: outage", "non-urgent body", true, false, false)
	f.Add("", "", "acme.com", "C++", "", uint8(3), false, true,
		"local", "inbox", "", "a@acme.com", "C++ rocks", "", false, true, true)
	f.Add(" ", "#", "@", "", "(", uint8(9), false, false,
		"", "", "", "", "", "", false, false, false)
	f.Add("a", "?*?*", "a@b", "\xff", `\xff`, uint8(2), true, true,
		"A", "\xff\xfe", "\u212a", "@", "\xff\u212a", "ſ", true, true, true)
	f.Fuzz(func(t *testing.T, account, channelPat, fromPat, kw, re string, action uint8, dm, mention bool,
		itAccount, itChannel, itFromName, itFromAddr, itSubject, itSnippet string, itDirect, itMention, itUrgent bool) {
		r := Rule{Name: "fuzz", Regex: re, Direct: dm, Mention: mention, Action: model.Action(action)}
		if account != "" {
			r.Accounts = []string{account}
		}
		if channelPat != "" {
			r.Channels = []string{channelPat}
		}
		if fromPat != "" {
			r.From = []string{fromPat}
		}
		if kw != "" {
			r.Keywords = []string{kw}
		}
		b := Builtins{VIPs: []string{fromPat}, UrgentKeywords: []string{kw}, UrgentChannel: channelPat}
		it := &model.Item{
			Account: itAccount, Channel: itChannel, FromName: itFromName, FromAddr: itFromAddr,
			Subject: itSubject, Snippet: itSnippet, Direct: itDirect, MentionsMe: itMention, UrgentHint: itUrgent,
		}
		for _, bi := range []Builtins{{}, b} {
			s, err := Compile([]Rule{r}, bi)
			if err != nil {
				if s != nil {
					t.Fatal("set returned with error")
				}
				continue
			}
			res := s.Evaluate(it)
			if res.Rule == "" || res.Reason == "" {
				t.Fatalf("empty result %+v", res)
			}
			if res.Index != 0 && res.Index != 1 {
				t.Fatalf("index %d with one rule", res.Index)
			}
		}

		if k := strings.TrimSpace(kw); k != "" {
			s, err := Compile([]Rule{{Keywords: []string{k}, Action: model.ActionQuiet}}, Builtins{})
			if err != nil {
				t.Fatalf("keyword %q: %v", k, err)
			}
			if res := s.Evaluate(&model.Item{Subject: k, Snippet: itSnippet}); res.Index != 1 {
				t.Fatalf("keyword %q does not match a subject equal to it: %+v", k, res)
			}
		}
		if c := strings.TrimSpace(channelPat); c != "" && strings.Trim(c, "#") != "" && !strings.ContainsAny(c, "*?") {
			s, err := Compile([]Rule{{Channels: []string{c}, Action: model.ActionQuiet}}, Builtins{})
			if err != nil {
				t.Fatalf("channel %q: %v", c, err)
			}
			if res := s.Evaluate(&model.Item{Channel: strings.ToUpper(c)}); res.Index != 1 {
				t.Fatalf("channel %q does not match %q: %+v", c, strings.ToUpper(c), res)
			}
		}
	})
}

// globRef is the obvious recursive glob matcher, the reference globMatch is
// checked against.
func globRef(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globRef(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return len(s) > 0 && globRef(p[1:], s[1:])
	default:
		return len(s) > 0 && p[0] == foldRune(s[0]) && globRef(p[1:], s[1:])
	}
}

// FuzzGlob checks globMatch against the reference on arbitrary input,
// invalid UTF-8 included.
func FuzzGlob(f *testing.F) {
	for _, c := range [][2]string{{"*@*.acme.com", "x@a.acme.com"}, {"a*b?c", "aXXbYc"}, {"?*?", "\xff\xe2\x82"}, {"*", ""}, {"é*É", "ÉtÉ"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 12 || len(s) > 40 {
			return // keep the exponential reference cheap
		}
		p := foldRunes(pat)
		if got, want := globMatch(p, s), globRef(p, []rune(s)); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, reference says %v", pat, s, got, want)
		}
	})
}

// FuzzPrefilter checks that the regex prefilter never rules out a regex
// that matches: whenever the regex matches "subject\nsnippet", the
// prefilter must accept the folded text.
func FuzzPrefilter(f *testing.F) {
	f.Add(`(?i)invoice #\d+`, "Your INVOICE #12", "")
	f.Add(`(?i)\b(cve-\d{4}-\d+|security advisory)\b`, "x", "Security  Advisory")
	f.Add(`a b|c(d e)+`, "a\tb", "")
	f.Add(`(?i)k`, "\u212a", "")
	f.Fuzz(func(t *testing.T, expr, subj, snip string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		raw := subj + "\n" + snip
		if !re.MatchString(raw) {
			return
		}
		folded := appendFolded(nil, subj)
		folded = append(folded, '\n')
		folded = appendFolded(folded, snip)
		if pf := newPrefilter(expr); !pf.match(folded) {
			t.Fatalf("regex %q matches %q but its prefilter %v rejects folded %q", expr, raw, pf, folded)
		}
	})
}
