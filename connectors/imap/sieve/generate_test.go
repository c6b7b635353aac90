package sieve

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zone database

	"github.com/sluice-app/sluice/app/model"
)

var update = flag.Bool("update", false, "rewrite the golden scripts in testdata")

// pigeonhole is the extension list of Debian's Dovecot 2.3 Pigeonhole.
var pigeonhole = strings.Fields("fileinto reject envelope encoded-character vacation subaddress comparator-i;ascii-numeric relational regex imap4flags copy include variables body enotify environment mailbox date index ihave duplicate mime foreverypart extracttext")

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return l
}()

// goldenCases are the generator inputs whose scripts are kept in testdata
// (and compiled by a real server in TestGoldenScriptsCompile).
func goldenCases() map[string]func() (Generated, error) {
	rules := []Rule{
		{Name: "Newsletters", From: []string{"news@shop.example", "@lists.example"}, Keywords: []string{"sale"}, Action: model.ActionQuiet},
		{Name: "Slack mentions", Accounts: []string{"Acme Slack"}, Mention: true, Action: model.ActionUrgent},
		{Name: "Pager", Regex: "(?i)(pager|on-call)", Action: model.ActionUrgent},
		{Name: "Invoices", Regex: `invoice #\d+`, Action: model.ActionHold},
		{Name: "CI noise", Channels: []string{"INBOX"}, From: []string{"ci-*@build.example"}, Action: model.ActionIgnore},
		{Name: "GitHub reviews", Reasons: []string{"review_requested"}, Action: model.ActionUrgent},
	}
	hold := HoldSpec{
		Account:        "Work mail",
		Folder:         "Sluice/Held",
		Keyword:        HeldKeyword,
		Until:          time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC),
		Rules:          rules,
		VIPs:           []string{"boss@acme.com", "acme.org", "*@*.board.example", "Big Boss", `ceo\*`},
		UrgentKeywords: []string{"urgent", "Störung", "server down"},
		UrgentChannel:  "#incidents",
		Extensions:     pigeonhole,
	}
	urgentHeld := hold
	urgentHeld.HoldUrgent = true
	urgentHeld.Until = time.Time{}
	minimal := hold
	minimal.Folder = "INBOX.Sluice.Held"
	minimal.Extensions = []string{"fileinto", "body"}

	var week [7][]Span
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []Span{{Clock{9, 0}, Clock{12, 30}}, {Clock{13, 30}, Clock{17, 0}}}
	}
	week[time.Saturday] = []Span{{Clock{22, 0}, Clock{2, 0}}}
	vac := VacationSpec{
		Text:      DefaultReplyText([]string{"11:00", "16:00"}, "Europe/Berlin", "urgent"),
		Subject:   "Re: your message",
		Days:      4,
		Addresses: []string{"alice@example.net", "a.smith@example.net"},
		From:      "alice@example.net",
		Zone:      berlin,
		Vacations: []Period{
			{time.Date(2025, 5, 1, 0, 0, 0, 0, berlin), time.Date(2025, 5, 3, 0, 0, 0, 0, berlin)}, // over
			{time.Date(2025, 8, 1, 0, 0, 0, 0, berlin), time.Date(2025, 8, 15, 0, 0, 0, 0, berlin)},
		},
		OffHours:   true,
		Work:       week,
		Now:        time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC),
		Horizon:    300 * 24 * time.Hour,
		Extensions: pigeonhole,
	}
	vacOnly := vac
	vacOnly.OffHours = false
	vacOnly.Subject, vacOnly.From = "", ""
	vacOnly.Extensions = slices.DeleteFunc(slices.Clone(pigeonhole), func(e string) bool { return e == "envelope" })
	return map[string]func() (Generated, error){
		"hold":             func() (Generated, error) { return HoldScript(hold) },
		"hold_urgent_held": func() (Generated, error) { return HoldScript(urgentHeld) },
		"hold_minimal":     func() (Generated, error) { return HoldScript(minimal) },
		"vacation":         func() (Generated, error) { return VacationScript(vac) },
		"vacation_only":    func() (Generated, error) { return VacationScript(vacOnly) },
	}
}

func TestGolden(t *testing.T) {
	for name, gen := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			g, err := gen()
			if err != nil {
				t.Fatal(err)
			}
			out := g.Script + "\n# notes:\n"
			for _, n := range g.Notes {
				out += "#   " + n + "\n"
			}
			path := filepath.Join("testdata", name+".sieve")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if out != string(want) {
				t.Errorf("%s differs from the generated script; got:\n%s", path, out)
			}
		})
	}
}

func TestHoldScriptRefuses(t *testing.T) {
	base := HoldSpec{Account: "Mail", Folder: "Held", Extensions: pigeonhole}
	tests := []struct {
		name   string
		modify func(*HoldSpec)
		want   error
		words  string
	}{
		{"no folder", func(s *HoldSpec) { s.Folder = " " }, ErrSpec, "folder"},
		{"no account", func(s *HoldSpec) { s.Account = "" }, ErrSpec, "account"},
		{"no fileinto", func(s *HoldSpec) { s.Extensions = []string{"body"} }, ErrMissingExtension, "fileinto"},
		{
			"a mention rule for every account",
			func(s *HoldSpec) { s.Rules = []Rule{{Name: "Mentions", Mention: true, Action: model.ActionUrgent}} },
			ErrNothingHeld, `rule 1 "Mentions": urgent (mentions me cannot be seen at delivery)`,
		},
		{
			"urgent keywords without the body extension",
			func(s *HoldSpec) { s.UrgentKeywords = []string{"urgent"}; s.Extensions = []string{"fileinto"} },
			ErrNothingHeld, "urgent keyword (the server's Sieve cannot search the message text (no body extension))",
		},
		{
			"the urgent channel is the inbox",
			func(s *HoldSpec) { s.UrgentChannel = "inbox" },
			ErrNothingHeld, "urgent channel inbox",
		},
		{
			"an urgent regex with nothing to hold on to",
			func(s *HoldSpec) { s.Rules = []Rule{{Regex: `^\d+$`, Action: model.ActionUrgent}} },
			ErrNothingHeld, "rule 1: urgent (its regex cannot be translated to Sieve)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := base
			tt.modify(&spec)
			_, err := HoldScript(spec)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("err = %v, want %v saying %q", err, tt.want, tt.words)
			}
		})
	}
}

func TestHoldScriptShapes(t *testing.T) {
	// Nothing but the default: everything is held, but for what the
	// sender flagged urgent.
	g, err := HoldScript(HoldSpec{Account: "Mail", Folder: "Held", Extensions: []string{"fileinto"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(g.Script, "else {\n    fileinto \"Held\";\n}\n") || strings.Count(g.Script, "if ") != 1 || !strings.Contains(g.Script, "x-priority") {
		t.Errorf("script:\n%s", g.Script)
	}
	// An urgent rule after a hold rule that already catches everything
	// still leaves a script; rules limited to other accounts vanish.
	g, err = HoldScript(HoldSpec{Account: "Mail", Folder: "Held", Extensions: pigeonhole, Rules: []Rule{
		{Accounts: []string{"Other"}, From: []string{"x@y.z"}, Action: model.ActionUrgent},
		{From: []string{"news@shop.example"}, Action: model.ActionHold},
		{Direct: true, Action: model.ActionUrgent},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(g.Script, "x@y.z") || !strings.Contains(g.Script, "news@shop.example") || !strings.Contains(g.Script, "# rule 3: urgent\nif true {") && !strings.Contains(g.Script, "elsif true {") {
		t.Errorf("script:\n%s", g.Script)
	}
}

func TestCaseVariants(t *testing.T) {
	if got := caseVariants("urgent"); !slices.Equal(got, []string{"urgent"}) {
		t.Errorf("ascii: %q", got)
	}
	if got := caseVariants("Straße"); len(got) != 2 || !slices.Contains(got, "Straße") || !slices.Contains(got, "Straẞe") {
		t.Errorf("ß: %q", got)
	}
	// Too many combinations: the word is split at the non-ASCII letters.
	if got := caseVariants("ÄÖÜäöüé"); !slices.Equal(got, []string{""}) {
		t.Errorf("long: %q", got)
	}
	if got := caseVariants("aÄbÖcÜdÄeÖ"); !slices.Equal(got, []string{"a b c d e"}) {
		t.Errorf("split: %q", got)
	}
}

func TestVacationScriptNothingToDo(t *testing.T) {
	spec := VacationSpec{Text: "away", Zone: berlin, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Extensions: pigeonhole,
		Vacations: []Period{{time.Date(2025, 5, 1, 0, 0, 0, 0, berlin), time.Date(2025, 5, 3, 0, 0, 0, 0, berlin)}}}
	g, err := VacationScript(spec)
	if err != nil || g.Script != "" {
		t.Errorf("a past vacation only: %q, %v; want no script", g.Script, err)
	}
	spec.Extensions = []string{"vacation"}
	spec.OffHours = true
	if _, err := VacationScript(spec); !errors.Is(err, ErrMissingExtension) || !strings.Contains(err.Error(), "date") {
		t.Errorf("without date: %v", err)
	}
	spec.Extensions = pigeonhole
	spec.Text = " "
	if _, err := VacationScript(spec); !errors.Is(err, ErrSpec) {
		t.Errorf("empty text: %v", err)
	}
}

func TestOffHoursPiecesFollowDST(t *testing.T) {
	var week [7][]Span
	week[time.Monday] = []Span{{Clock{9, 0}, Clock{17, 0}}}
	spec := VacationSpec{Zone: berlin, Work: week, Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Horizon: 400 * 24 * time.Hour}
	got := offHours(spec).render("")
	// Winter, summer from 30 March 01:00 UTC, winter from 26 October 01:00 UTC, summer again 2026.
	for _, want := range []string{`"+0100" :is "weekday" "1"`, `"+0200" :is "weekday" "1"`, `"date" "2025-03-30"`, `"date" "2025-10-26"`, `"date" "2026-03-29"`} {
		if !strings.Contains(got, want) {
			t.Errorf("off-hours test lacks %s", want)
		}
	}
	if n := strings.Count(got, `:is "weekday" "1"`); n != 4 {
		t.Errorf("%d pieces, want 4", n)
	}
	// A zone without DST has one piece and no date bounds.
	spec.Zone = time.FixedZone("X", 5*3600+1800)
	got = offHours(spec).render("")
	if strings.Contains(got, `"date"`) || !strings.Contains(got, `"+0530"`) {
		t.Errorf("fixed zone:\n%s", got)
	}
}

func TestDefaultReplyText(t *testing.T) {
	for _, tt := range []struct {
		checkins []string
		zone, kw string
		want     string
	}{
		{[]string{"11:00", "16:00"}, "Europe/Berlin", "urgent", "I read mail at 11:00 and 16:00 (Europe/Berlin). Urgent? Put URGENT in the subject."},
		{[]string{"9:00", "13:00", "17:00"}, "", "", "I read mail at 9:00, 13:00 and 17:00."},
		{nil, "UTC", "", "I read mail at set times of the day (UTC)."},
	} {
		if got := DefaultReplyText(tt.checkins, tt.zone, tt.kw); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
