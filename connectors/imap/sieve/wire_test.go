package sieve

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		data [][]token
		resp response
	}{
		{"plain ok", "OK\r\n", nil, response{status: "OK"}},
		{"ok with text", "OK \"Logged in.\"\r\n", nil, response{status: "OK", text: "Logged in."}},
		{"lower-case status, bare LF", "ok\n", nil, response{status: "OK"}},
		{"code and text", "NO (QUOTA/MAXSIZE) \"Script too big\"\r\n", nil, response{status: "NO", code: "QUOTA/MAXSIZE", text: "Script too big"}},
		{"code with argument", "NO (SASL \"dGVzdA==\") \"bad\"\r\n", nil, response{status: "NO", code: "SASL", args: []string{"dGVzdA=="}, text: "bad"}},
		{"referral", "BYE (REFERRAL \"sieve://other.example\") \"go away\"\r\n", nil, response{status: "BYE", code: "REFERRAL", args: []string{"sieve://other.example"}, text: "go away"}},
		{"nested extension data", "NO (X-EXT (a \"b\" (c))) \"t\"\r\n", nil, response{status: "NO", code: "X-EXT", args: []string{"a", "b", "c"}, text: "t"}},
		{"text as literal", "NO {5}\r\nab\r\nc\r\n", nil, response{status: "NO", text: "ab\r\nc"}},
		{"escapes", "OK \"a \\\"q\\\" \\\\ b\"\r\n", nil, response{status: "OK", text: `a "q" \ b`}},
		{
			"listscripts",
			"\"summer\"\r\n\"main\" ACTIVE\r\n{6+}\r\nOK two\r\nOK\r\n",
			[][]token{{{tokString, "summer"}}, {{tokString, "main"}, {tokAtom, "ACTIVE"}}, {{tokString, "OK two"}}},
			response{status: "OK"},
		},
		{
			"capabilities",
			"\"IMPLEMENTATION\" \"Dovecot\"\r\n\"SIEVE\" \"fileinto vacation\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n",
			[][]token{{{tokString, "IMPLEMENTATION"}, {tokString, "Dovecot"}}, {{tokString, "SIEVE"}, {tokString, "fileinto vacation"}}, {{tokString, "STARTTLS"}}},
			response{status: "OK", text: "ready"},
		},
		{"empty literal", "{0}\r\n\r\nOK\r\n", [][]token{{{tokString, ""}}}, response{status: "OK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, resp, err := newReader(strings.NewReader(tt.in)).readResponse()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(data, tt.data) {
				t.Errorf("data = %#v, want %#v", data, tt.data)
			}
			if !reflect.DeepEqual(*resp, tt.resp) {
				t.Errorf("response = %#v, want %#v", *resp, tt.resp)
			}
		})
	}
}

func TestReadResponseErrors(t *testing.T) {
	long := strings.Repeat("a", defaultMaxLine+1)
	tests := []struct {
		name string
		in   string
		want error // nil: any protocol error
	}{
		{"unterminated quote", "OK \"abc\r\n", nil},
		{"bad escape", "OK \"a\\nb\"\r\n", nil},
		{"CR without LF", "OK\rX\n", nil},
		{"literal too large", "{2000000}\r\n", nil},
		{"literal length not a number", "{x}\r\n", nil},
		{"literal without CRLF", "{3}abc\r\nOK\r\n", nil},
		{"line too long", "\"" + long + "\"\r\n", nil},
		{"atom too long", long + "\r\n", nil},
		{"unbalanced code", "NO (QUOTA \"x\"\r\n", nil},
		{"data after status", "OK \"a\" \"b\"\r\n", nil},
		{"code without a name", "NO () \"x\"\r\n", nil},
		{"control character in an atom", "OK\x01\r\n", nil},
		{"short literal", "{10}\r\nabc", io.ErrUnexpectedEOF},
		{"eof mid-line", "OK \"abc", io.ErrUnexpectedEOF},
		{"eof before status", "\"main\" ACTIVE\r\n", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := newReader(strings.NewReader(tt.in)).readResponse()
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.want == nil && !errors.Is(err, errProtocol):
				t.Errorf("err = %v, want a protocol error", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"main":          `"main"`,
		`a "b" \c`:      `"a \"b\" \\c"`,
		"two\r\nlines":  "{10+}\r\ntwo\r\nlines",
		"bad\xffutf8":   "{8+}\r\nbad\xffutf8",
		"":              `""`,
		"Grüße":         `"Grüße"`,
		"nul\x00inside": "{10+}\r\nnul\x00inside",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
		// What the client writes, the reader reads back.
		toks, err := newReader(strings.NewReader(quote(in) + "\r\n")).readLine()
		if err != nil || len(toks) != 1 || toks[0].val != in {
			t.Errorf("read back %q: %v, %v", in, toks, err)
		}
	}
}

func TestErrorWords(t *testing.T) {
	e := &Error{Command: "PUTSCRIPT", Status: "NO", Code: "QUOTA/MAXSIZE", Text: "Script too large\r\n(max 1 KB)"}
	if got, want := e.Error(), "PUTSCRIPT refused: the script is larger than the server allows (QUOTA/MAXSIZE): Script too large  (max 1 KB)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if !errors.Is(e, ErrQuota) || errors.Is(e, ErrNonexistent) {
		t.Error("QUOTA/MAXSIZE should match ErrQuota only")
	}
	bye := &Error{Command: "LISTSCRIPTS", Status: "BYE", Code: "REFERRAL", Args: []string{"sieve://b.example"}}
	if got := bye.Error(); !strings.Contains(got, "closed the connection") || !strings.Contains(got, "sieve://b.example") || !errors.Is(bye, ErrClosed) {
		t.Errorf("BYE: %q", got)
	}
}

// FuzzReadResponse feeds the response reader arbitrary server output: it
// must end with a response or an error, within its limits, and never panic.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"OK\r\n", "NO (QUOTA/MAXSIZE) \"x\"\r\n", "\"a\" ACTIVE\r\n{3}\r\nabcOK\r\n",
		"BYE (REFERRAL \"sieve://x\") {2}\r\nhi\r\n", "{4+}\r\nab\r\n\r\nOK\r\n", "NO (A (B (C))) \"t\"\r\n",
		"\"IMPLEMENTATION\" \"x\"\r\n\"SASL\" \"PLAIN\"\r\nOK\r\n", "OK \"\\\"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newReader(strings.NewReader(string(in)))
		r.maxLiteral = 1 << 12
		data, resp, err := r.readResponse()
		if err != nil {
			return
		}
		if resp == nil || resp.status != "OK" && resp.status != "NO" && resp.status != "BYE" {
			t.Fatalf("response %#v without error", resp)
		}
		if len(data) > maxDataLines {
			t.Fatalf("%d data lines", len(data))
		}
		for _, line := range data {
			for _, tok := range line {
				if tok.kind == tokString && len(tok.val) > len(in) {
					t.Fatalf("token longer than the input")
				}
			}
		}
	})
}
