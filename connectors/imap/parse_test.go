package imap

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus.golden")

// corpus returns the awkward messages in testdata/corpus, by file name.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/corpus/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 50 {
		t.Fatalf("corpus has %d messages, want at least 50", len(paths))
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func checkMessage(t *testing.T, name string, m Message) {
	t.Helper()
	for field, v := range map[string]string{"subject": m.Subject, "from name": m.FromName, "from addr": m.FromAddr, "snippet": m.Snippet, "message-id": m.MessageID} {
		if !utf8.ValidString(v) {
			t.Errorf("%s: %s is not valid UTF-8: %q", name, field, v)
		}
	}
	if n := len(m.Snippet); n > snippetText {
		t.Errorf("%s: snippet text has %d bytes, want at most %d", name, n, snippetText)
	}
	if strings.ContainsAny(m.Subject, "\r\n\x00") {
		t.Errorf("%s: subject has control characters: %q", name, m.Subject)
	}
}

// TestCorpus parses every awkward message and compares what it reads with
// testdata/corpus.golden (go test -run TestCorpus -update rewrites it; review
// the diff). No message may panic: parseMessage has no recover.
func TestCorpus(t *testing.T) {
	msgs := corpus(t)
	var names []string
	for n := range msgs {
		names = append(names, n)
	}
	slices.Sort(names)
	var golden strings.Builder
	for _, name := range names {
		m := parseMessage(msgs[name], false)
		checkMessage(t, name, m)
		snip := []rune(model.CleanSnippet(m.Snippet)) // as the gate shows it
		if len(snip) > 100 {
			snip = append(snip[:100], '…')
		}
		date := ""
		if !m.Date.IsZero() {
			date = m.Date.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&golden, "== %s\nsubject: %s\nfrom:    %s <%s>\nid:      %s\nthread:  %s\ndate:    %s\nurgent:  %v\nsnippet: %s\n",
			name, m.Subject, m.FromName, m.FromAddr, m.MessageID, m.Thread(), date, m.Urgent, string(snip))
	}
	const path = "testdata/corpus.golden"
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCorpus -update)", err)
	}
	if got := golden.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("corpus.golden line %d:\n got: %s\nwant: %s", i+1, g, w)
				break
			}
		}
	}
}

// TestCorpusPrefixes parses prefixes of every corpus message, as a bounded
// partial fetch delivers them: no panic, clean output.
func TestCorpusPrefixes(t *testing.T) {
	for name, raw := range corpus(t) {
		step := max(1, len(raw)/40)
		for n := 0; n < len(raw); n += step {
			m := parseMessage(raw[:n], true)
			checkMessage(t, fmt.Sprintf("%s[:%d]", name, n), m)
		}
	}
}

func TestSnippetTrimming(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"signature", "Yes, Thursday.\n-- \nBob\nBuilder & Co", "Yes, Thursday."},
		{"quoted lines", "Agreed.\n> earlier text\n> more", "Agreed."},
		{"attribution", "Fine by me.\n\nOn Mon, 3 Mar 2025, Alice <a@x> wrote:\n> hi", "Fine by me."},
		{"wrapped attribution", "Ok.\nOn Mon, 3 Mar 2025 at 10:15 Alice Example <\nalice@example.org> wrote:\n> x", "Ok."},
		{"outlook", "Done.\n-----Original Message-----\nFrom: A", "Done."},
		{"outlook underscores", "Done.\n________________________________\nFrom: A\nSent: today", "Done."},
		{"german", "Passt.\nAm 03.03.2025 um 10:15 schrieb Alice <a@x>:\n> x", "Passt."},
		{"only quotes keeps them", "> a\n> b", "> a > b"},
		{"mobile footer", "Yes\n\nSent from my iPhone", "Yes"},
		{"interleaved reply keeps own lines", "> q1\nanswer 1\n> q2\nanswer 2", "answer 1 answer 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := model.CleanSnippet(snippetOf(tt.text)); got != tt.want {
				t.Errorf("snippetOf(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"blocks and entities", "<p>Tom &amp; Jerry</p><p>second</p>", "Tom & Jerry second"},
		{"script and style dropped", "<head><style>x{}</style></head><script>alert(1)</script><div>visible</div>", "visible"},
		{"gmail quote dropped", `<div>Reply</div><div class="gmail_quote">On x wrote:<blockquote>old</blockquote></div>`, "Reply"},
		{"nested divs in quote", `<div>New</div><div class="gmail_quote"><div><div>old</div></div>still old</div><p>after</p>`, "New after"},
		{"quote only is kept", "<blockquote>only quoted</blockquote>", "only quoted"},
		{"unclosed tags", "<p>unclosed <b>bold", "unclosed bold"},
		{"image alt", `<img src="x" alt="Weekly chart">`, "Weekly chart"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := model.CleanSnippet(htmlText(tt.html)); got != tt.want {
				t.Errorf("htmlText(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

func TestTransferDecoding(t *testing.T) {
	tests := []struct {
		name, in, cte, want string
	}{
		{"qp soft break", "ab=\ncd=\r\nef", "quoted-printable", "abcdef"},
		{"qp escapes", "caf=C3=A9 =E2=82=AC", "quoted-printable", "café €"},
		{"qp malformed kept", "a=ZZb", "quoted-printable", "a=ZZb"},
		{"qp cut escape", "abc=E", "quoted-printable", "abc"},
		{"qp trailing space soft break", "ab= \ncd", "quoted-printable", "abcd"},
		{"base64", "SGVs\nbG8=", "base64", "Hello"},
		{"base64 cut mid-quantum", "SGVsbG8gd29y", "base64", "Hello wor"},
		{"base64 cut leaves 2 chars", "SGVsbG8gd2", "base64", "Hello w"},
		{"base64 junk skipped", "SGV*sb!G8=", "base64", "Hello"},
		{"identity", "plain", "8bit", "plain"},
		{"unknown encoding passes through", "x", "x-uuencode", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(decodeTransfer([]byte(tt.in), tt.cte)); got != tt.want {
				t.Errorf("decodeTransfer(%q, %s) = %q, want %q", tt.in, tt.cte, got, tt.want)
			}
		})
	}
}

func TestPartSnippetTruncated(t *testing.T) {
	// A UTF-8 part cut in the middle of a multi-byte rune loses that rune,
	// not the snippet.
	body := []byte("Grüße aus Köln")
	got, err := partSnippet(body[:len(body)-1], "text/plain", map[string]string{"charset": "utf-8"}, "8bit", true)
	if got = model.CleanSnippet(got); err != nil || got != "Grüße aus Köl" {
		t.Errorf("partSnippet(cut) = %q, %v; want %q", got, err, "Grüße aus Köl")
	}
	got, _ = partSnippet([]byte("--b\nContent-Type: text/plain\n\nInner text\n--b--\n"), "multipart/alternative", map[string]string{"boundary": "b"}, "", false)
	if got = model.CleanSnippet(got); got != "Inner text" {
		t.Errorf("partSnippet(multipart) = %q, want %q", got, "Inner text")
	}
}

func TestParseMessageNeverPanics(t *testing.T) {
	for _, raw := range []string{"", "\n", ":", "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n", "Subject: =?utf-8?B?", "From: <<<@@@>>>\n\n"} {
		m := ParseMessage([]byte(raw))
		checkMessage(t, fmt.Sprintf("%q", raw), m)
	}
}
