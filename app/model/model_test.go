package model

import (
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
	"unicode"
	"unicode/utf8"
)

func TestCleanSnippet(t *testing.T) {
	long := strings.Repeat("word ", 200)
	cases := []struct{ name, in, want string }{
		{"collapses white space", "  hello \n\n\t world  ", "hello world"},
		{"drops control characters", "a\x00b\x1bc\u200bd\ufeffe", "abcde"},
		{"repairs invalid UTF-8", "ok\xffok", "ok\uFFFDok"},
		{"keeps exactly 500", strings.Repeat("é", 500), strings.Repeat("é", 500)},
		{"cuts at 500 with an ellipsis", strings.Repeat("é", 501), strings.Repeat("é", 499) + "…"},
		{"empty", " \n ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CleanSnippet(c.in); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if got := utf8.RuneCountInString(CleanSnippet(long)); got != SnippetMax {
		t.Errorf("long text: got %d runes, want %d", got, SnippetMax)
	}
}

func FuzzCleanSnippet(f *testing.F) {
	f.Add("hello\nworld")
	f.Add(strings.Repeat("ab ", 300))
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanSnippet(s)
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > SnippetMax {
			t.Fatalf("CleanSnippet(%q) = %q", s, out)
		}
		if CleanSnippet(out) != out && !strings.HasSuffix(out, "…") {
			t.Fatalf("not idempotent: %q", out)
		}
	})
}

func TestBlank(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", true}, {" \n\t", true}, {"\x00\x1b", true}, {"\u200b\ufeff\u202e", true},
		{"a", false}, {" \n x", false}, {"\xff", false}, {"…", false},
	} {
		if got := Blank(c.in); got != c.want {
			t.Errorf("Blank(%q) = %v, want %v", c.in, got, c.want)
		}
		// Blank agrees with cleaning: a blank text cleans to nothing.
		if c.want && (CleanSnippet(c.in) != "" && !Blank(CleanSnippet(c.in)) || CleanName(c.in) != "") {
			t.Errorf("Blank(%q) but it cleans to %q / %q", c.in, CleanSnippet(c.in), CleanName(c.in))
		}
	}
}

func TestItemIDIsStableAndScoped(t *testing.T) {
	a := ItemID("work", "<m1@x>")
	if a != ItemID("work", "<m1@x>") || len(a) != IDLen {
		t.Fatalf("unstable or wrong length: %q", a)
	}
	if a == ItemID("home", "<m1@x>") || ItemID("a", "b\x00c") == ItemID("a\x00b", "c") {
		t.Fatal("ids collide across accounts")
	}
}

func TestTextForms(t *testing.T) {
	for _, m := range []Mode{ModeOffHours, ModeBetween, ModeWindow, ModeFocus, ModeMeeting, ModeVacation, ModePaused} {
		b, _ := m.MarshalText()
		var back Mode
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("mode %s: round trip gave %s, %v", m, back, err)
		}
	}
	for _, a := range []Action{ActionHold, ActionUrgent, ActionQuiet, ActionIgnore} {
		if got, err := ParseAction(a.String()); err != nil || got != a {
			t.Errorf("action %s: %v %v", a, got, err)
		}
	}
	if _, err := ParseAction("explode"); err == nil {
		t.Error("ParseAction accepted nonsense")
	}
	var s State
	if err := s.UnmarshalText([]byte("released")); err != nil || s != StateReleased {
		t.Errorf("state: %v %v", s, err)
	}
	it := Item{FromName: "Ann", FromAddr: "ann@x.org"}
	if it.From() != "Ann <ann@x.org>" {
		t.Errorf("From: %q", it.From())
	}
}

func TestWhen(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, loc)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 16, 0, 0, 0, loc), "16:00"},
		{time.Date(2026, 11, 24, 9, 0, 0, 0, loc), "Tue 09:00"},
		{time.Date(2026, 11, 29, 9, 0, 0, 0, loc), "Sun 09:00"},
		{time.Date(2026, 12, 2, 9, 0, 0, 0, loc), "Wed 2 Dec 09:00"},
		{time.Date(2026, 11, 20, 9, 0, 0, 0, loc), "Fri 20 Nov 09:00"},
		{time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC), "16:00"}, // worded in the zone given
	} {
		if got := When(tc.t, now, loc); got != tc.want {
			t.Errorf("When(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	if ModeBetween.Title() != "Holding" || ModeOffHours.Title() != "Off-hours" {
		t.Error("mode titles changed")
	}
}

// A sender must not disguise itself with control or bidi characters, in
// any source: Clean is what the gate applies to every item.
func TestClean(t *testing.T) {
	it := Item{
		SourceID: "key\x00\x1b[2J\u0085",
		Thread:   "t\x07",
		Link:     "https://example.org/\x7f1",
		Channel:  "#ops\u202e",
		FromName: "Bank \u202eknab\u202c <support>\r\nX-Evil: 1",
		FromAddr: "a@b\u2066.example\u2069",
		Subject:  "\x1b[31mRed\x1b[0m \u200fsubject\u00ad",
		Snippet:  "",
		Body:     "line 1\r\nline 2\rline 3\n\tindented\x00\x1b[1m\u200b\ufeff \xff\n\n",
	}
	it.Clean()
	want := Item{
		SourceID: "key[2J",
		Thread:   "t",
		Link:     "https://example.org/1",
		Channel:  "#ops",
		FromName: "Bank knab <support> X-Evil: 1",
		FromAddr: "a@b.example",
		Subject:  "[31mRed[0m subject",
		Snippet:  "line 1 line 2 line 3 indented[1m \uFFFD",
		Body:     "line 1\nline 2\nline 3\n\tindented[1m \uFFFD",
	}
	if !reflect.DeepEqual(it, want) {
		t.Errorf("Clean:\n got %#v\nwant %#v", it, want)
	}

	// Joiners stay: they spell emoji and words, and reorder nothing.
	family := "👨\u200d👩\u200d👧 Mehr\u200cdad"
	if got := CleanName(family); got != family {
		t.Errorf("CleanName(%q) = %q, want it unchanged", family, got)
	}
	// Invalid bytes in a key are kept: ids of stored items must not move.
	if got := CleanKey("<id\xff@host>"); got != "<id\xff@host>" {
		t.Errorf("CleanKey changed a key without control characters: %q", got)
	}
	if ItemID("local", "key\x00") != ItemID("local", "key") {
		t.Error("ItemID of a key with a control character differs from the cleaned key's")
	}
}

func TestCleanCutsALongBodyAndSaysSo(t *testing.T) {
	it := Item{Body: strings.Repeat("é", BodyMax)} // twice BodyMax bytes
	it.Clean()
	if len(it.Body) > BodyMax || !utf8.ValidString(it.Body) || !strings.HasSuffix(it.Body, "[… cut: the text was longer than 64 KiB]") {
		t.Errorf("long body: %d bytes ending %q, want at most %d, valid, saying it was cut", len(it.Body), it.Body[len(it.Body)-60:], BodyMax)
	}
	it = Item{Body: strings.Repeat("x", BodyMax)}
	it.Clean()
	if len(it.Body) != BodyMax || strings.Contains(it.Body, "cut") {
		t.Errorf("a body of exactly BodyMax bytes was changed")
	}
	if utf8.RuneCountInString(it.Snippet) != SnippetMax {
		t.Errorf("snippet from the body: %d runes, want %d", utf8.RuneCountInString(it.Snippet), SnippetMax)
	}
}

func FuzzClean(f *testing.F) {
	f.Add("Bank \u202eknab", "line\r\nline\x00")
	f.Fuzz(func(t *testing.T, name, body string) {
		it := Item{FromName: name, Subject: name, Body: body}
		it.Clean()
		for _, s := range []string{it.FromName, it.Subject, it.Snippet} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
				return unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d')
			}) {
				t.Fatalf("Clean left %q", s)
			}
		}
		if !utf8.ValidString(it.Body) || len(it.Body) > BodyMax || strings.ContainsFunc(it.Body, func(r rune) bool {
			return unicode.IsControl(r) && r != '\n' && r != '\t'
		}) {
			t.Fatalf("Clean left body %q", it.Body)
		}
	})
}
