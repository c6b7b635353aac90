package model

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
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
