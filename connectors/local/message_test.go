package local

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

func TestToItem(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want model.Item // as the gate stores it; Kind, Account and Received are checked for every case
	}{
		{"full message",
			Message{Title: "Build failed", Body: "main: 3 tests failed\n\nsee log", From: "CI Bot <ci@example.org>",
				Link: "https://ci.example.org/b/42", Urgent: true, Channel: "ci", ID: "build-42"},
			model.Item{SourceID: "build-42", Channel: "ci", FromName: "CI Bot", FromAddr: "ci@example.org",
				Subject: "Build failed", Snippet: "main: 3 tests failed see log", Link: "https://ci.example.org/b/42", UrgentHint: true}},
		{"title only, default channel", Message{Title: "  Backup done  "},
			model.Item{Channel: "inbox", Subject: "Backup done"}},
		{"title cleaned", Message{Title: "two\nlines\tand\x07bell"},
			model.Item{Channel: "inbox", Subject: "two lines andbell"}},
		{"title from the body's first line", Message{Body: "\n  \nDisk almost full\nonly 2% left on /"},
			model.Item{Channel: "inbox", Subject: "Disk almost full", Snippet: "Disk almost full only 2% left on /"}},
		{"title from the body cut at 120 runes", Message{Body: strings.Repeat("é", 130)},
			model.Item{Channel: "inbox", Subject: strings.Repeat("é", 119) + "…", Snippet: strings.Repeat("é", 130)}},
		{"long explicit title cut", Message{Title: strings.Repeat("x", 400)},
			model.Item{Channel: "inbox", Subject: strings.Repeat("x", 299) + "…"}},
		{"from an address", Message{Title: "t", From: "ops@example.org"},
			model.Item{Channel: "inbox", Subject: "t", FromAddr: "ops@example.org"}},
		{"from a quoted name", Message{Title: "t", From: `"Doe, Jane" <jane@example.org>`},
			model.Item{Channel: "inbox", Subject: "t", FromName: "Doe, Jane", FromAddr: "jane@example.org"}},
		{"from a bare name", Message{Title: "t", From: "  nightly backup "},
			model.Item{Channel: "inbox", Subject: "t", FromName: "nightly backup"}},
		{"from a name net/mail refuses", Message{Title: "t", From: "Build Bot [CI] <ci@example.org>"},
			model.Item{Channel: "inbox", Subject: "t", FromName: "Build Bot [CI]", FromAddr: "ci@example.org"}},
		{"from an encoded name", Message{Title: "t", From: "=?UTF-8?B?SsO2cmc=?= <j@example.org>"},
			model.Item{Channel: "inbox", Subject: "t", FromName: "Jörg", FromAddr: "j@example.org"}},
		{"mailto link", Message{Title: "t", Link: "mailto:ops@example.org"},
			model.Item{Channel: "inbox", Subject: "t", Link: "mailto:ops@example.org"}},
		{"app scheme link", Message{Title: "t", Link: " slack://channel?id=C1 "},
			model.Item{Channel: "inbox", Subject: "t", Link: "slack://channel?id=C1"}},
		{"channel kept as given", Message{Title: "t", Channel: "#deploys"},
			model.Item{Channel: "#deploys", Subject: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToItem("local", tt.msg, testNow)
			if err != nil {
				t.Fatalf("ToItem: %v", err)
			}
			if got.ID != "" {
				t.Errorf("ToItem set the ID %q: the gate alone gives it", got.ID)
			}
			got.Clean() // what the gate does with every item
			want := tt.want
			want.Kind, want.Account, want.Received = model.KindLocal, "local", testNow
			if want.SourceID == "" {
				if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.SourceID) {
					t.Errorf("SourceID %q, want 32 hex digits", got.SourceID)
				}
				want.SourceID = got.SourceID
			}
			if got.Kind != want.Kind || got.Account != want.Account || got.SourceID != want.SourceID ||
				got.Channel != want.Channel || got.FromName != want.FromName || got.FromAddr != want.FromAddr ||
				got.Subject != want.Subject || got.Snippet != want.Snippet || got.Link != want.Link ||
				got.UrgentHint != want.UrgentHint || !got.Received.Equal(want.Received) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestToItemErrors(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want error
	}{
		{"no title no body", Message{}, ErrNoTitle},
		{"blank title and body", Message{Title: " \t", Body: "\n \n"}, ErrNoTitle},
		{"only a from", Message{From: "a@b.c", Link: "https://x.y"}, ErrNoTitle},
		{"javascript link", Message{Title: "t", Link: "javascript:alert(1)"}, ErrBadLink},
		{"javascript link, mixed case", Message{Title: "t", Link: "JavaScript:alert(1)"}, ErrBadLink},
		{"data link", Message{Title: "t", Link: "data:text/html,<script>x</script>"}, ErrBadLink},
		{"vbscript link", Message{Title: "t", Link: "vbscript:msgbox"}, ErrBadLink},
		{"relative link", Message{Title: "t", Link: "/builds/42"}, ErrBadLink},
		{"scheme starting with a digit", Message{Title: "t", Link: "1http://x"}, ErrBadLink},
		{"http without host", Message{Title: "t", Link: "https:///path"}, ErrBadLink},
		{"link with a space", Message{Title: "t", Link: "https://x.y/a b"}, ErrBadLink},
		{"link with a newline", Message{Title: "t", Link: "https://x.y/\nSet-Cookie: a"}, ErrBadLink},
		{"overlong link", Message{Title: "t", Link: "https://x.y/" + strings.Repeat("a", 5000)}, ErrBadLink},
		{"overlong id", Message{Title: "t", ID: strings.Repeat("i", 300)}, ErrBadID},
		{"blank id", Message{Title: "t", ID: "   "}, ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ToItem("local", tt.msg, testNow)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestToItemSameIDSameItem(t *testing.T) {
	id := func(account string, it model.Item) string { return model.ItemID(account, it.SourceID) } // as the gate derives it
	a, _ := ToItem("local", Message{Title: "a", ID: "k"}, testNow)
	b, _ := ToItem("local", Message{Title: "b", ID: "k"}, testNow)
	c, _ := ToItem("other", Message{Title: "a", ID: "k"}, testNow)
	if id("local", a) != id("local", b) {
		t.Errorf("same id, different item IDs %s %s", id("local", a), id("local", b))
	}
	if id("local", a) == id("other", c) {
		t.Errorf("same id on another account gives the same item ID")
	}
	x, _ := ToItem("local", Message{Title: "a"}, testNow)
	y, _ := ToItem("local", Message{Title: "a"}, testNow)
	if x.SourceID == y.SourceID {
		t.Errorf("two messages without id got the same source ID %s", x.SourceID)
	}
}

func TestGenerateToken(t *testing.T) {
	a, err := GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateToken()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Errorf("token %q: decodes to %d bytes (%v), want 32 bytes of base64url", a, len(raw), err)
	}
	if a == b {
		t.Errorf("two tokens are equal")
	}
}

// FuzzToItem checks that any message either fails with one of ToItem's
// errors or gives an item that is well-formed once the gate cleaned it.
func FuzzToItem(f *testing.F) {
	f.Add("Build failed", "body", "CI <ci@x.y>", "https://x.y", "ci", "id", true)
	f.Add("", "\xff\xfe\n", "<>", "javascript:x", "#", "", false)
	f.Add("", strings.Repeat("ab ", 100), "\"a\" <", "mailto:", "", " ", false)
	f.Fuzz(func(t *testing.T, title, body, from, link, channel, id string, urgent bool) {
		it, err := ToItem("local", Message{Title: title, Body: body, From: from, Link: link, Urgent: urgent, Channel: channel, ID: id}, testNow)
		if err != nil {
			if !errors.Is(err, ErrNoTitle) && !errors.Is(err, ErrBadLink) && !errors.Is(err, ErrBadID) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if it.ID != "" {
			t.Errorf("ToItem set the ID %q: the gate alone gives it", it.ID)
		}
		it.Clean() // what the gate does with every item
		for name, s := range map[string]string{"subject": it.Subject, "snippet": it.Snippet, "from name": it.FromName,
			"from addr": it.FromAddr, "channel": it.Channel} {
			if !utf8.ValidString(s) {
				t.Errorf("%s %q is not valid UTF-8", name, s)
			}
			if strings.ContainsAny(s, "\n\r\t\x00") {
				t.Errorf("%s %q contains control characters", name, s)
			}
		}
		if it.Subject == "" || it.Channel == "" || it.SourceID == "" {
			t.Errorf("malformed item %+v", it)
		}
		if n := utf8.RuneCountInString(it.Subject); n > titleMax {
			t.Errorf("subject has %d runes", n)
		}
		if l := strings.ToLower(it.Link); strings.HasPrefix(l, "javascript:") || strings.HasPrefix(l, "data:") {
			t.Errorf("link %q let through", it.Link)
		}
	})
}

// A body that is accepted is kept whole, not only as the 500-rune snippet;
// one too long is refused, never cut without a word.
func TestToItemKeepsTheWholeBody(t *testing.T) {
	body := strings.Repeat("build log line\n", 5000)[:model.BodyMax]
	it, err := ToItem("local", Message{Title: "log", Body: body}, testNow)
	if err != nil || it.Body != body {
		t.Fatalf("a %d-byte body: got %d bytes, %v; want it whole", len(body), len(it.Body), err)
	}
	if _, err := ToItem("local", Message{Title: "log", Body: body + "x"}, testNow); !errors.Is(err, ErrLongBody) {
		t.Fatalf("a body over %d bytes: got %v, want ErrLongBody", model.BodyMax, err)
	}
	if _, err := ToItem("local", Message{Title: "t", ID: "\x00\x1b"}, testNow); !errors.Is(err, ErrBadID) {
		t.Fatalf("an id of control characters only: got %v, want ErrBadID", err)
	}
}
