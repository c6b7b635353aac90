package rules

import (
	"errors"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"

	"github.com/sluice-app/sluice/app/model"
)

// item is the baseline item the table tests vary.
func item(mod ...func(*model.Item)) *model.Item {
	it := &model.Item{
		Kind:     model.KindIMAP,
		Account:  "Work mail",
		Channel:  "INBOX",
		FromName: "Carol Jones",
		FromAddr: "carol@example.org",
		Subject:  "Lunch on Friday?",
		Snippet:  "Shall we try the new place around the corner.",
	}
	for _, m := range mod {
		m(it)
	}
	return it
}

func from(name, addr string) func(*model.Item) {
	return func(it *model.Item) { it.FromName, it.FromAddr = name, addr }
}
func channelIs(c string) func(*model.Item) { return func(it *model.Item) { it.Channel = c } }
func accountIs(a string) func(*model.Item) { return func(it *model.Item) { it.Account = a } }
func subject(s string) func(*model.Item)   { return func(it *model.Item) { it.Subject = s } }
func snippet(s string) func(*model.Item)   { return func(it *model.Item) { it.Snippet = s } }
func direct(it *model.Item)                { it.Direct = true }
func mentions(it *model.Item)              { it.MentionsMe = true }
func urgentHint(it *model.Item)            { it.UrgentHint = true }
func quiet(r Rule) Rule                    { r.Action = model.ActionQuiet; return r }
func mustCompile(t testing.TB, list []Rule, b Builtins) *Set {
	t.Helper()
	s, err := Compile(list, b)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

// TestConditions checks each kind of condition on its own: one quiet rule,
// and whether the item matches it.
func TestConditions(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		item *model.Item
		want bool
	}{
		// accounts
		{"account exact", Rule{Accounts: []string{"Work mail"}}, item(), true},
		{"account case-insensitive", Rule{Accounts: []string{"WORK MAIL"}}, item(), true},
		{"account other", Rule{Accounts: []string{"Home"}}, item(), false},
		{"account is not a prefix match", Rule{Accounts: []string{"Work"}}, item(), false},
		{"account any of list", Rule{Accounts: []string{"Home", "work mail"}}, item(), true},

		// channels
		{"channel exact", Rule{Channels: []string{"INBOX"}}, item(), true},
		{"channel case-insensitive", Rule{Channels: []string{"inbox"}}, item(), true},
		{"channel other", Rule{Channels: []string{"Sent"}}, item(), false},
		{"channel hash on pattern only", Rule{Channels: []string{"#incidents"}}, item(channelIs("incidents")), true},
		{"channel hash on item only", Rule{Channels: []string{"incidents"}}, item(channelIs("#incidents")), true},
		{"channel hash on both", Rule{Channels: []string{"#Incidents"}}, item(channelIs("#incidents")), true},
		{"channel glob", Rule{Channels: []string{"#eng-*"}}, item(channelIs("#eng-backend")), true},
		{"channel glob no match", Rule{Channels: []string{"#eng-*"}}, item(channelIs("#engineering")), false},
		{"channel glob folder", Rule{Channels: []string{"INBOX/*"}}, item(channelIs("inbox/Lists/go-nuts")), true},
		{"channel glob not the parent", Rule{Channels: []string{"INBOX/*"}}, item(channelIs("INBOX")), false},
		{"channel glob question mark", Rule{Channels: []string{"team-?"}}, item(channelIs("team-a")), true},
		{"channel glob question mark one rune", Rule{Channels: []string{"team-?"}}, item(channelIs("team-ab")), false},
		{"channel glob question mark non-ascii", Rule{Channels: []string{"équipe-?"}}, item(channelIs("ÉQUIPE-é")), true},
		{"channel glob star only matches empty", Rule{Channels: []string{"*"}}, item(channelIs("")), true},
		{"channel exact does not match empty", Rule{Channels: []string{"INBOX"}}, item(channelIs("")), false},

		// from: addresses
		{"from address", Rule{From: []string{"carol@example.org"}}, item(), true},
		{"from address case-insensitive", Rule{From: []string{"Carol@Example.ORG"}}, item(), true},
		{"from address other", Rule{From: []string{"bob@example.org"}}, item(), false},
		{"from address is not the name", Rule{From: []string{"carol@example.org"}}, item(from("carol@example.org", "x@y.z")), false},
		// from: domains
		{"from domain bare", Rule{From: []string{"example.org"}}, item(), true},
		{"from domain at", Rule{From: []string{"@example.org"}}, item(), true},
		{"from domain subdomain", Rule{From: []string{"acme.com"}}, item(from("", "ops@eu.mail.acme.com")), true},
		{"from domain at subdomain", Rule{From: []string{"@acme.com"}}, item(from("", "ops@eu.acme.com")), true},
		{"from domain case-insensitive", Rule{From: []string{"ACME.com"}}, item(from("", "ops@Acme.Com")), true},
		{"from domain not a suffix of a label", Rule{From: []string{"acme.com"}}, item(from("", "x@notacme.com")), false},
		{"from domain not a prefix", Rule{From: []string{"acme.com"}}, item(from("", "x@acme.com.evil.net")), false},
		{"from domain needs an address", Rule{From: []string{"acme.com"}}, item(from("acme.com", "")), false},
		// from: globs
		{"from glob subdomain address", Rule{From: []string{"*@*.acme.com"}}, item(from("", "ci@build.acme.com")), true},
		{"from glob needs a subdomain", Rule{From: []string{"*@*.acme.com"}}, item(from("", "ci@acme.com")), false},
		{"from glob with @ ignores name", Rule{From: []string{"*@*.acme.com"}}, item(from("x@y.acme.com", "a@b.c")), false},
		{"from glob prefix address", Rule{From: []string{"boss*"}}, item(from("Pat", "boss@acme.com")), true},
		{"from glob prefix name", Rule{From: []string{"boss*"}}, item(from("Boss Lady", "pat@acme.com")), true},
		{"from glob no match", Rule{From: []string{"boss*"}}, item(), false},
		{"from glob middle", Rule{From: []string{"*jones"}}, item(), true},
		// from: names
		{"from name", Rule{From: []string{"carol jones"}}, item(), true},
		{"from name exact only", Rule{From: []string{"Carol"}}, item(), false},
		{"from name matches a handle in the address", Rule{From: []string{"U024BE7LH"}}, item(from("Carol", "U024BE7LH")), true},
		{"from any of list", Rule{From: []string{"bob@x.y", "example.org"}}, item(), true},

		// direct, mention
		{"direct yes", Rule{Direct: true}, item(direct), true},
		{"direct no", Rule{Direct: true}, item(), false},
		{"mention yes", Rule{Mention: true}, item(mentions), true},
		{"mention no", Rule{Mention: true}, item(direct), false},

		// keywords
		{"keyword in subject", Rule{Keywords: []string{"friday"}}, item(), true},
		{"keyword in snippet", Rule{Keywords: []string{"corner"}}, item(), true},
		{"keyword case-insensitive", Rule{Keywords: []string{"LUNCH"}}, item(), true},
		{"keyword not inside a word", Rule{Keywords: []string{"urgent"}}, item(subject("a resurgent bug")), false},
		{"keyword not at word start", Rule{Keywords: []string{"urgent"}}, item(subject("urgently needed")), false},
		{"keyword not in hyphenated compound", Rule{Keywords: []string{"urgent"}}, item(subject("non-urgent: tidy up")), false},
		{"keyword not before hyphen compound", Rule{Keywords: []string{"urgent"}}, item(subject("urgent-ish")), false},
		{"keyword next to punctuation", Rule{Keywords: []string{"urgent"}}, item(subject("[URGENT] disk full")), true},
		{"keyword before a dash with space", Rule{Keywords: []string{"urgent"}}, item(subject("urgent - disk full")), true},
		{"keyword later occurrence", Rule{Keywords: []string{"urgent"}}, item(subject("non-urgent now urgent")), true},
		{"keyword underscore is a word rune", Rule{Keywords: []string{"prod"}}, item(subject("prod_db down")), false},
		{"keyword digits", Rule{Keywords: []string{"500"}}, item(subject("HTTP 500s everywhere")), false},
		{"keyword digits whole", Rule{Keywords: []string{"500"}}, item(subject("HTTP 500 everywhere")), true},
		{"keyword phrase", Rule{Keywords: []string{"server down"}}, item(subject("The  server\tdown again")), true},
		{"keyword phrase not across subject and snippet", Rule{Keywords: []string{"server down"}}, item(subject("server"), snippet("down")), false},
		{"keyword with symbol edge", Rule{Keywords: []string{"C++"}}, item(subject("C++17 upgrade")), true},
		{"keyword with hash", Rule{Keywords: []string{"#outage"}}, item(snippet("see #outage-room")), false},
		{"keyword with hash whole", Rule{Keywords: []string{"#outage"}}, item(snippet("see #outage now")), true},
		{"keyword unicode folding", Rule{Keywords: []string{"STRAßE"}}, item(subject("straße gesperrt")), true},
		{"keyword greek sigma forms", Rule{Keywords: []string{"ΣΟΦΟΣ"}}, item(subject("σοφος")), true},
		{"keyword kelvin sign", Rule{Keywords: []string{"5 k"}}, item(subject("5 \u212A")), true},
		{"keyword combining mark continues word", Rule{Keywords: []string{"cafe"}}, item(subject("cafe\u0301 open")), false},
		{"keyword non-latin letters", Rule{Keywords: []string{"срочно"}}, item(subject("Очень СРОЧНО!")), true},
		{"keyword any of list", Rule{Keywords: []string{"nope", "place"}}, item(), true},
		{"keyword none", Rule{Keywords: []string{"nope", "zilch"}}, item(), false},

		// regex
		{"regex subject", Rule{Regex: `^Lunch`}, item(), true},
		{"regex case-sensitive by default", Rule{Regex: `^lunch`}, item(), false},
		{"regex (?i)", Rule{Regex: `(?i)^lunch`}, item(), true},
		{"regex snippet line", Rule{Regex: `(?m)^Shall we`}, item(), true},
		{"regex spans newline", Rule{Regex: `\?\nShall`}, item(), true},
		{"regex no match", Rule{Regex: `invoice #\d+`}, item(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, []Rule{quiet(tt.rule)}, Builtins{})
			got := s.Evaluate(tt.item)
			if matched := got.Action == model.ActionQuiet; matched != tt.want {
				t.Errorf("matched = %v, want %v (result %+v)", matched, tt.want, got)
			}
		})
	}
}

// TestAndOr checks that all set conditions must match and any list entry may.
func TestAndOr(t *testing.T) {
	rule := quiet(Rule{
		Accounts: []string{"Work mail", "Acme Slack"},
		From:     []string{"acme.com", "boss*"},
		Keywords: []string{"deploy", "release"},
		Direct:   true,
	})
	tests := []struct {
		name string
		item *model.Item
		want bool
	}{
		{"all match", item(direct, from("", "a@acme.com"), subject("deploy today")), true},
		{"other entries of each list", item(direct, accountIs("acme slack"), from("Boss", "b@x.y"), snippet("release notes")), true},
		{"account fails", item(direct, accountIs("Home"), from("", "a@acme.com"), subject("deploy")), false},
		{"from fails", item(direct, subject("deploy")), false},
		{"keyword fails", item(direct, from("", "a@acme.com")), false},
		{"direct fails", item(from("", "a@acme.com"), subject("deploy")), false},
	}
	s := mustCompile(t, []Rule{rule}, Builtins{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Evaluate(tt.item)
			if matched := got.Action == model.ActionQuiet; matched != tt.want {
				t.Errorf("matched = %v, want %v (result %+v)", matched, tt.want, got)
			}
		})
	}

	t.Run("direct and mention both required", func(t *testing.T) {
		s := mustCompile(t, []Rule{quiet(Rule{Direct: true, Mention: true})}, Builtins{})
		for _, c := range []struct {
			it   *model.Item
			want bool
		}{{item(direct), false}, {item(mentions), false}, {item(direct, mentions), true}} {
			if got := s.Evaluate(c.it).Action == model.ActionQuiet; got != c.want {
				t.Errorf("direct=%v mention=%v: matched = %v, want %v", c.it.Direct, c.it.MentionsMe, got, c.want)
			}
		}
	})
}

// TestOrder checks first match wins, then VIP, urgent channel, urgent
// keyword, source urgent, default.
func TestOrder(t *testing.T) {
	rules := []Rule{
		{Name: "Newsletters", From: []string{"news@*"}, Action: model.ActionIgnore},
		{Name: "Boss", From: []string{"boss@acme.com"}, Action: model.ActionUrgent},
		{From: []string{"acme.com"}, Action: model.ActionQuiet},
		{Name: "CI noise", Accounts: []string{"local"}, Channels: []string{"ci"}, Action: model.ActionHold},
	}
	b := Builtins{
		VIPs:           []string{"ceo@bigco.com", "Dana Scully", "dev@acme.com"},
		UrgentKeywords: []string{"outage", "down"},
		UrgentChannel:  "#incidents",
	}
	s := mustCompile(t, rules, b)
	if s.Len() != 4 {
		t.Errorf("Len = %d, want 4", s.Len())
	}
	tests := []struct {
		name string
		item *model.Item
		want Result
	}{
		{"first rule", item(from("", "news@acme.com"), subject("outage")),
			Result{model.ActionIgnore, `rule 1 "Newsletters"`, 1, `rule 1 "Newsletters": from news@acme.com (matches "news@*")`}},
		{"second rule before third", item(from("", "boss@acme.com")),
			Result{model.ActionUrgent, `rule 2 "Boss"`, 2, `rule 2 "Boss": from boss@acme.com`}},
		{"unnamed rule", item(from("", "dev@acme.com")),
			Result{model.ActionQuiet, "rule 3", 3, `rule 3: from dev@acme.com (matches "acme.com")`}},
		{"user rule before VIP", item(from("", "dev@acme.com")),
			Result{model.ActionQuiet, "rule 3", 3, `rule 3: from dev@acme.com (matches "acme.com")`}},
		{"user rule before source urgent", item(accountIs("local"), channelIs("ci"), urgentHint),
			Result{model.ActionHold, `rule 4 "CI noise"`, 4, `rule 4 "CI noise": account local, channel ci`}},
		{"VIP address", item(from("The CEO", "CEO@bigco.com"), channelIs("incidents")),
			Result{model.ActionUrgent, RuleVIP, 0, `VIP CEO@bigco.com`}},
		{"VIP name", item(from("Dana Scully", "dana@fbi.gov"), subject("outage")),
			Result{model.ActionUrgent, RuleVIP, 0, `VIP Dana Scully`}},
		{"VIP before urgent channel", item(from("dana scully", ""), channelIs("incidents")),
			Result{model.ActionUrgent, RuleVIP, 0, `VIP dana scully`}},
		{"urgent channel", item(channelIs("#Incidents"), subject("outage")),
			Result{model.ActionUrgent, RuleUrgentChannel, 0, `urgent channel #Incidents`}},
		{"urgent keyword", item(snippet("Payment API is DOWN"), urgentHint),
			Result{model.ActionUrgent, RuleUrgentKeyword, 0, `urgent keyword "down"`}},
		{"urgent keyword order", item(subject("down: outage")),
			Result{model.ActionUrgent, RuleUrgentKeyword, 0, `urgent keyword "outage"`}},
		{"urgent keyword whole word", item(subject("downtime planned")),
			Result{model.ActionHold, RuleDefault, 0, "no rule matched"}},
		{"source urgent", item(urgentHint),
			Result{model.ActionUrgent, RuleSourceUrgent, 0, "flagged urgent by the source"}},
		{"default", item(),
			Result{model.ActionHold, RuleDefault, 0, "no rule matched"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Evaluate(tt.item); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReasonNamesEveryCondition(t *testing.T) {
	s := mustCompile(t, []Rule{{
		Name: "All", Accounts: []string{"work mail"}, Channels: []string{"inbox"}, From: []string{"carol@example.org"},
		Direct: true, Mention: true, Keywords: []string{"friday"}, Regex: `(?i)lunch`, Action: model.ActionUrgent,
	}}, Builtins{})
	got := s.Evaluate(item(direct, mentions))
	want := `rule 1 "All": account Work mail, channel INBOX, from carol@example.org, direct message, mentions me, keyword "friday", regex "(?i)lunch"`
	if got.Reason != want {
		t.Errorf("reason\ngot  %s\nwant %s", got.Reason, want)
	}
}

func TestBuiltinsEach(t *testing.T) {
	tests := []struct {
		name     string
		b        Builtins
		item     *model.Item
		wantRule string
	}{
		{"VIP domain", Builtins{VIPs: []string{"@acme.com"}}, item(from("", "x@hq.acme.com")), RuleVIP},
		{"VIP glob", Builtins{VIPs: []string{"*@*.acme.com"}}, item(from("", "x@hq.acme.com")), RuleVIP},
		{"VIP miss", Builtins{VIPs: []string{"acme.com"}}, item(), RuleDefault},
		{"urgent channel glob", Builtins{UrgentChannel: "inc-*"}, item(channelIs("#inc-2024-07")), RuleUrgentChannel},
		{"urgent channel miss", Builtins{UrgentChannel: "#incidents"}, item(), RuleDefault},
		{"urgent channel blank is none", Builtins{UrgentChannel: "  "}, item(channelIs("")), RuleDefault},
		{"urgent keyword", Builtins{UrgentKeywords: []string{"Friday"}}, item(), RuleUrgentKeyword},
		{"urgent keyword miss", Builtins{UrgentKeywords: []string{"fri"}}, item(), RuleDefault},
		{"source urgent with no builtins", Builtins{}, item(urgentHint), RuleSourceUrgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustCompile(t, nil, tt.b).Evaluate(tt.item)
			if got.Rule != tt.wantRule {
				t.Errorf("rule = %q, want %q (%+v)", got.Rule, tt.wantRule, got)
			}
			wantAction := model.ActionUrgent
			if tt.wantRule == RuleDefault {
				wantAction = model.ActionHold
			}
			if got.Action != wantAction {
				t.Errorf("action = %v, want %v", got.Action, wantAction)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		rules    []Rule
		b        Builtins
		want     []string // substrings of the joined message, each on its own line
		sentinel error
	}{
		{"bad regex names the rule", []Rule{{From: []string{"a@b.c"}}, {From: []string{"x@y.z"}}, {Name: "Newsletters", Regex: "(unclosed"}}, Builtins{},
			[]string{`rules[3] ("Newsletters"): regex: error parsing regexp: missing closing ): ` + "`(unclosed`"}, ErrBadRegex},
		{"empty rule", []Rule{{Name: "Nothing", Action: model.ActionQuiet}}, Builtins{},
			[]string{`rules[1] ("Nothing"): conditions: no condition`}, ErrNoCondition},
		{"empty rule unnamed", []Rule{{From: []string{"a@b.c"}}, {}}, Builtins{},
			[]string{`rules[2]: conditions: no condition`}, ErrNoCondition},
		{"empty VIP", nil, Builtins{VIPs: []string{"a@b.c", ""}},
			[]string{`builtins.vips[2]: "": empty sender pattern`}, ErrEmptyPattern},
		{"blank keyword", nil, Builtins{UrgentKeywords: []string{"  "}},
			[]string{`builtins.urgent_keywords[1]: "  ": empty keyword`}, ErrEmptyPattern},
		{"bad urgent channel", nil, Builtins{UrgentChannel: "#"},
			[]string{`builtins.urgent_channel: "#": empty channel pattern`}, ErrEmptyPattern},
		{"entries", []Rule{{Accounts: []string{""}, Channels: []string{"ok", " # "}, From: []string{"alice@", "@", "@a b"}, Keywords: []string{""}}}, Builtins{},
			[]string{`rules[1]: accounts[1]: "": empty account name`, `rules[1]: channels[2]: " # ": empty channel pattern`,
				`rules[1]: from[1]: "alice@": incomplete address`, `rules[1]: from[2]: "@": bad domain`, `rules[1]: from[3]: "@a b": bad domain`,
				`rules[1]: keywords[1]: "": empty keyword`}, ErrBadPattern},
		{"bad action", []Rule{{Direct: true, Action: 9}}, Builtins{},
			[]string{`rules[1]: action: unknown action action(9)`}, ErrBadAction},
		{"all errors reported", []Rule{{Regex: "("}, {}}, Builtins{VIPs: []string{""}},
			[]string{"rules[1]: regex:", "rules[2]: conditions:", "builtins.vips[1]:"}, ErrNoCondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.rules, tt.b)
			if err == nil {
				t.Fatalf("Compile succeeded, want errors %q", tt.want)
			}
			if s != nil {
				t.Errorf("Compile returned a set along with an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("no error starting with %q in:\n%v", w, err)
				}
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(err, %v) = false", tt.sentinel)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("no *FieldError in %v", err)
			}
		})
	}

	t.Run("regex cause reachable", func(t *testing.T) {
		_, err := Compile([]Rule{{Regex: "a**"}}, Builtins{})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Rule != 1 || fe.Field != "regex" {
			t.Fatalf("got %#v, want a FieldError for rules[1].regex", fe)
		}
		var se *syntax.Error
		if !errors.As(err, &se) || se.Code != syntax.ErrInvalidRepeatOp {
			t.Errorf("the parser's *syntax.Error is not reachable from %v", err)
		}
	})
}

func TestNilAndEmpty(t *testing.T) {
	var s *Set
	if got := s.Evaluate(item(urgentHint)); got != defaultResult || s.Len() != 0 {
		t.Errorf("nil set: got %+v, len %d", got, s.Len())
	}
	e := mustCompile(t, nil, Builtins{})
	if got := e.Evaluate(nil); got != defaultResult {
		t.Errorf("nil item: got %+v", got)
	}
	if got := e.Evaluate(&model.Item{}); got != defaultResult {
		t.Errorf("empty item: got %+v", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "anything/at all", true},
		{"a*b", "ab", true}, {"a*b", "axxb", true}, {"a*b", "axxbx", false}, {"a*b*c", "abbbcbc", true},
		{"*a*a*a*a*b", strings.Repeat("a", 60), false}, {"?", "é", true}, {"??", "é", false},
		{"*@*.acme.com", "x@a.b.acme.com", true}, {"*@*.acme.com", "x@acme.com", false},
		{"ÉCOLE*", "école-42", true}, {"x*", "X\xff", true},
	}
	for _, tt := range tests {
		if got := globMatch(foldRunes(tt.p), tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestFoldRuneAgreesWithEqualFold(t *testing.T) {
	for r := rune(0); r < 0x2000; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if foldRune(r) != foldRune(f) {
				t.Fatalf("foldRune(%q)=%q but foldRune(%q)=%q", r, foldRune(r), f, foldRune(f))
			}
		}
	}
	for _, pair := range [][2]rune{{'K', '\u212A'}, {'s', 'ſ'}, {'σ', 'ς'}, {'Σ', 'ς'}} {
		if foldRune(pair[0]) != foldRune(pair[1]) {
			t.Errorf("foldRune(%q) != foldRune(%q)", pair[0], pair[1])
		}
	}
}

// TestReasons: GitHub's notification reason is a condition, so review
// requests from the lead can break through and CI results stay quiet.
func TestReasons(t *testing.T) {
	gh := func(reason, login string) *model.Item {
		return item(func(it *model.Item) {
			it.Kind, it.Account, it.Channel, it.Reason = model.KindGitHub, "GitHub", "octo/app", reason
			it.FromName, it.FromAddr, it.Subject, it.Snippet = login, "", "Fix the flaky test", "Review requested · pull request #7"
		})
	}
	set := mustCompile(t, []Rule{
		{Name: "Lead's reviews", Reasons: []string{"review_requested"}, From: []string{"lead"}, Action: model.ActionUrgent},
		{Name: "CI", Reasons: []string{"ci_activity", "state_change"}, Action: model.ActionQuiet},
	}, Builtins{})
	for _, tc := range []struct {
		name   string
		it     *model.Item
		action model.Action
		reason string
	}{
		{"review by the lead", gh("review_requested", "lead"), model.ActionUrgent, `rule 1 "Lead's reviews": reason review_requested, from lead`},
		{"review by someone else", gh("review_requested", "intern"), model.ActionHold, "no rule matched"},
		{"CI", gh("ci_activity", ""), model.ActionQuiet, `rule 2 "CI": reason ci_activity`},
		{"reason ignores case", gh("CI_Activity", ""), model.ActionQuiet, `rule 2 "CI": reason CI_Activity`},
		{"mail has no reason", item(), model.ActionHold, "no rule matched"},
	} {
		got := set.Evaluate(tc.it)
		if got.Action != tc.action || got.Reason != tc.reason {
			t.Errorf("%s: got %s (%s), want %s (%s)", tc.name, got.Action, got.Reason, tc.action, tc.reason)
		}
	}
	if _, err := Compile([]Rule{{Reasons: []string{" "}}}, Builtins{}); !errors.Is(err, ErrEmptyPattern) {
		t.Errorf("an empty reason compiled: %v", err)
	}
	if _, err := Compile([]Rule{{Reasons: []string{"mention"}}}, Builtins{}); err != nil {
		t.Errorf("a rule with only a reason: %v", err)
	}
}
