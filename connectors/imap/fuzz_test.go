package imap

import (
	"testing"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

// FuzzParseMessage feeds arbitrary bytes, whole or cut, to the message
// parser: it must not panic and must return clean UTF-8 within bounds.
//
//	go test ./connectors/imap -run '^$' -fuzz FuzzParseMessage -fuzztime 60s
func FuzzParseMessage(f *testing.F) {
	for _, raw := range corpus(f) {
		f.Add(raw, false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, truncated bool) {
		m := parseMessage(raw, truncated)
		checkMessage(t, "fuzz", m)
	})
}

// FuzzSnippet feeds one part's bytes, as a bounded partial FETCH returns
// them, with arbitrary media type, charset and transfer encoding to the
// snippet extraction.
//
//	go test ./connectors/imap -run '^$' -fuzz FuzzSnippet -fuzztime 60s
func FuzzSnippet(f *testing.F) {
	f.Add([]byte("Hello =C3=A9\n> quoted\n-- \nsig"), "text/plain", "utf-8", "quoted-printable", false)
	f.Add([]byte("<p>Hi &amp; <b>bye</b><blockquote>old</blockquote>"), "text/html", "", "8bit", true)
	f.Add([]byte("SGVsbG8gd29y"), "text/plain", "koi8-r", "base64", true)
	f.Add([]byte("--b\nContent-Type: text/plain\n\nInner\n--b--"), "multipart/mixed", "", "7bit", false)
	f.Add([]byte("\x1b$B$3$s$K$A$O\x1b(B"), "text/plain", "iso-2022-jp", "7bit", false)
	f.Add([]byte("BEGIN:VCALENDAR\nSUMMARY:Review\nEND:VCALENDAR"), "text/calendar", "utf-8", "", false)
	f.Fuzz(func(t *testing.T, body []byte, mediaType, cs, cte string, truncated bool) {
		params := map[string]string{"charset": cs, "boundary": "b"}
		var s string
		if len(mediaType) > 9 && mediaType[:10] == "multipart/" {
			s = entitySnippet(header{{name: "content-type", value: mediaType + "; boundary=b"}}, body, truncated)
		} else {
			s = snippetOf(partText(body, mediaType, params, cte, truncated))
		}
		if !utf8.ValidString(s) {
			t.Fatalf("snippet is not valid UTF-8: %q", s)
		}
		if len(s) > snippetText {
			t.Fatalf("snippet text has %d bytes, want at most %d", len(s), snippetText)
		}
		if s != "" && model.Blank(s) {
			t.Fatalf("a blank snippet text %q (want \"\")", s)
		}
	})
}
