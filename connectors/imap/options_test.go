package imap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func validOptions() Options {
	return Options{
		Account: "work", Host: "imap.example.org", Username: "me",
		Password: func(context.Context) (string, error) { return "pw", nil },
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr error
		wantMsg string
	}{
		{"no account", func(o *Options) { o.Account = " " }, ErrOptions, "account name"},
		{"no host", func(o *Options) { o.Host = "" }, ErrOptions, "host"},
		{"no user", func(o *Options) { o.Username = "" }, ErrOptions, "username"},
		{"no password", func(o *Options) { o.Password = nil }, ErrOptions, "password"},
		{"bad port", func(o *Options) { o.Port = 70000 }, ErrOptions, "port"},
		{"bad security", func(o *Options) { o.Security = "ssl" }, ErrOptions, "security"},
		{"insecure remote", func(o *Options) { o.Security = SecurityInsecure; o.AllowInsecure = true }, ErrInsecure, "loopback"},
		{"insecure not allowed", func(o *Options) { o.Security = SecurityInsecure; o.Host = "127.0.0.1" }, ErrInsecure, "allow_insecure"},
		{"empty folder", func(o *Options) { o.Folders = []string{"INBOX", " "} }, ErrOptions, "folders"},
		{"newest without count", func(o *Options) { o.Initial.Mode = InitialNewest }, ErrOptions, "newest"},
		{"since without date", func(o *Options) { o.Initial.Mode = InitialSince }, ErrOptions, "since"},
		{"bad mode", func(o *Options) { o.Initial.Mode = "everything" }, ErrOptions, "initial sync mode"},
		{"idle refresh too long", func(o *Options) { o.IdleRefresh = 30 * time.Minute }, ErrOptions, "idle refresh"},
		{"unknown placeholder", func(o *Options) { o.LinkTemplate = "x:{msgid}" }, ErrOptions, "{msgid}"},
		{"unclosed placeholder", func(o *Options) { o.LinkTemplate = "x:{uid" }, ErrOptions, "unclosed"},
		{"missing ca file", func(o *Options) { o.CAFile = "/nonexistent/ca.pem" }, ErrOptions, "ca file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOptions()
			tt.edit(&o)
			_, err := New(o)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("New() error = %v, want %v mentioning %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	if o.Port != 993 || o.Security != SecurityTLS || len(o.Folders) != 1 || o.Folders[0] != "INBOX" ||
		o.Initial.Mode != InitialNone || o.PollInterval != DefaultPollInterval || o.IdleRefresh != DefaultIdleRefresh ||
		o.LinkTemplate != DefaultLinkTemplate || o.BackoffCap != 5*time.Minute {
		t.Errorf("defaults = %+v", o)
	}

	o = validOptions()
	o.Port = 143
	c, _ = New(o)
	if c.Options().Security != SecurityStartTLS {
		t.Errorf("port 143 defaults to %q, want starttls", c.Options().Security)
	}

	o = validOptions()
	o.Security, o.AllowInsecure, o.Host = SecurityInsecure, true, "localhost"
	o.Folders = []string{"inbox", "Work", "Work"}
	c, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Options().Folders; len(got) != 2 || got[0] != "INBOX" || got[1] != "Work" {
		t.Errorf("folders = %v, want [INBOX Work]", got)
	}
	if c.Options().Port != 143 {
		t.Errorf("insecure port = %d, want 143", c.Options().Port)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	o = validOptions()
	o.CAFile = bad
	if _, err := New(o); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("New with a non-PEM CA file: %v", err)
	}
}

func TestPresets(t *testing.T) {
	for key, p := range Presets {
		o := validOptions()
		o.Host, o.Port, o.Security, o.LinkTemplate = p.Host, p.Port, p.Security, p.LinkTemplate
		if _, err := New(o); err != nil {
			t.Errorf("preset %s: %v", key, err)
		}
		if p.Name == "" || p.Hint == "" {
			t.Errorf("preset %s lacks a name or hint", key)
		}
	}
	for _, want := range []string{"gmail", "fastmail", "icloud", "yahoo", "outlook"} {
		if _, ok := Presets[want]; !ok {
			t.Errorf("no preset %q", want)
		}
	}
}

func TestLink(t *testing.T) {
	tests := []struct {
		template, msgID, want string
	}{
		{"", "abc+1@example.org", "mid:abc+1@example.org"},
		{"", "a b/c@x", "mid:a%20b%2Fc@x"},
		{Presets["gmail"].LinkTemplate, "abc+1@example.org", "https://mail.google.com/mail/u/0/#search/rfc822msgid%3Aabc%2B1%40example.org"},
		{"message:%3C{message_id}%3E", "id@x", "message:%3Cid@x%3E"},
		{"x:{folder_q}/{uid}/{uidvalidity}/{folder}", "id@x", "x:Work%2FA/42/7/Work/A"},
		{"", "", "imap://me@imap.example.org:993/Work/A;UIDVALIDITY=7/;UID=42"},
	}
	for _, tt := range tests {
		o := validOptions()
		o.LinkTemplate = tt.template
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.link("Work/A", 7, 42, tt.msgID); got != tt.want {
			t.Errorf("link(%q, %q) = %q, want %q", tt.template, tt.msgID, got, tt.want)
		}
	}
}

func TestCursorCodec(t *testing.T) {
	c := cursor{validity: 1795314031, next: 4242, modseq: 1 << 40, mark: time.Unix(1700000000, 0)}
	got, err := decodeCursor(c.encode())
	if err != nil || got != c {
		t.Errorf("round trip = %+v, %v; want %+v", got, err, c)
	}
	if string(c.encode()) != "v2 1795314031 4242 1099511627776 1700000000 0" {
		t.Errorf("encoding = %q", c.encode())
	}
	c.legacy = time.Unix(1690000000, 0)
	if got, err := decodeCursor(c.encode()); err != nil || got != c {
		t.Errorf("round trip with legacy = %+v, %v; want %+v", got, err, c)
	}
	// A cursor of the version before item identities had fingerprints:
	// everything up to its mark was named the old way.
	old, err := decodeCursor([]byte("v1 7 42 9 1700000000"))
	if want := (cursor{validity: 7, next: 42, modseq: 9, mark: time.Unix(1700000000, 0), legacy: time.Unix(1700000000, 0)}); err != nil || old != want {
		t.Errorf("v1 cursor = %+v, %v; want %+v", old, err, want)
	}
	for _, bad := range []string{"", "v3 1 2 3 4 5", "v1 1 2 3", "v2 1 2 3 4", "v1 x 2 3 4", "v1 99999999999 2 3 4", "v2 1 2 3 4 x", "v2 1 2 3 4 99999999999999999999"} {
		if _, err := decodeCursor([]byte(bad)); err == nil {
			t.Errorf("decodeCursor(%q) accepted it", bad)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 2*time.Second, 5*time.Minute
	for attempt := 0; attempt < 20; attempt++ {
		want := min(base<<attempt, limit)
		for i := 0; i < 50; i++ {
			d := backoff(base, limit, attempt)
			if d > limit || d < want*8/10 || d > want*12/10 {
				t.Fatalf("backoff(attempt %d) = %v, want %v ±20%% and at most %v", attempt, d, want, limit)
			}
		}
	}
}

func TestChooseText(t *testing.T) {
	plain := &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain", Size: 10}
	html := &imap.BodyStructureSinglePart{Type: "text", Subtype: "html", Size: 10}
	pdf := &imap.BodyStructureSinglePart{Type: "application", Subtype: "pdf", Params: map[string]string{"name": "a.pdf"},
		Extended: &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: "attachment", Params: map[string]string{"filename": "a.pdf"}}}}
	txtAttach := &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain",
		Extended: &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: "attachment", Params: map[string]string{"filename*": "utf-8''log%20%C3%A9.txt"}}}}
	alt := &imap.BodyStructureMultiPart{Subtype: "alternative", Children: []imap.BodyStructure{html, plain}}
	inner := &imap.BodyStructureSinglePart{Type: "message", Subtype: "rfc822", MessageRFC822: &imap.BodyStructureMessageRFC822{BodyStructure: plain}}
	tests := []struct {
		name      string
		bs        imap.BodyStructure
		wantPath  string
		wantNames []string
	}{
		{"single", plain, "1", nil},
		{"alternative prefers plain", alt, "2", nil},
		{"attachment first", &imap.BodyStructureMultiPart{Subtype: "mixed", Children: []imap.BodyStructure{pdf, alt}}, "2.2", []string{"a.pdf"}},
		{"attachments only", &imap.BodyStructureMultiPart{Subtype: "mixed", Children: []imap.BodyStructure{pdf, txtAttach}}, "", []string{"a.pdf", "log é.txt"}},
		{"forwarded message", &imap.BodyStructureMultiPart{Subtype: "mixed", Children: []imap.BodyStructure{inner}}, "1.1", nil},
		{"html only", html, "1", nil},
		{"nothing", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _, names := chooseText(tt.bs)
			if got := pathString(path); got != tt.wantPath || strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("chooseText = %q %v, want %q %v", got, names, tt.wantPath, tt.wantNames)
			}
		})
	}
}

// TestSourceID: messages are one item only when they are the same message.
// Named after what broke: distinct mail sharing a Message-ID, or lacking
// one with equal Date, From and Subject, was stored as one item.
func TestSourceID(t *testing.T) {
	hdr := []byte("From: a@b\r\nSubject: s\r\nDate: Mon, 3 Mar 2025 09:15:00 +0000\r\nMessage-ID: <x@y>\r\n\r\n")
	withID := Message{MessageID: "x@y"}
	msg := func(size int64, header, body string) *fetched {
		return &fetched{uid: 5, size: size, header: []byte(header), part1: []byte(body)}
	}
	same := sourceID("INBOX", 1, msg(100, string(hdr), "body one"), withID)
	if !strings.HasPrefix(same, "mid:x@y#") {
		t.Errorf("source %q, want mid:x@y#<fingerprint>", same)
	}
	// The same message in another folder, after a UIDVALIDITY change.
	copied := msg(100, string(hdr), "body one")
	copied.uid = 77
	if got := sourceID("Work", 2, copied, withID); got != same {
		t.Errorf("copy in another folder: %q, want %q", got, same)
	}
	for name, x := range map[string]*fetched{
		"other body of equal size": msg(100, string(hdr), "body two"),
		"other size":               msg(101, string(hdr), "body one"),
		"other header fields":      msg(100, strings.Replace(string(hdr), "Subject: s", "Subject: t", 1), "body one"),
	} {
		if got := sourceID("INBOX", 1, x, withID); got == same {
			t.Errorf("%s: same source %q as the first message", name, got)
		}
	}
	// Only the first fpBodyBytes count, whatever the snippet size.
	long := strings.Repeat("x", fpBodyBytes)
	if a, b := sourceID("INBOX", 1, msg(9000, string(hdr), long+"a"), withID), sourceID("INBOX", 1, msg(9000, string(hdr), long+"b"), withID); a != b {
		t.Errorf("bytes past fpBodyBytes changed the source: %q, %q", a, b)
	}

	// Without Message-ID: the whole header, size and body.
	noID := Message{Subject: "s", FromAddr: "a@b", Date: time.Date(2025, 3, 3, 9, 15, 0, 0, time.UTC)}
	bare := func(full, body string) *fetched {
		x := msg(100, "From: a@b\r\n\r\n", body)
		x.full = []byte(full)
		return x
	}
	a := sourceID("INBOX", 1, bare("Received: from a by mx id 1\r\nFrom: a@b\r\n\r\n", "disk 91% full"), noID)
	if b := sourceID("Work", 9, bare("Received: from a by mx id 1\r\nFrom: a@b\r\n\r\n", "disk 91% full"), noID); a != b || !strings.HasPrefix(a, "msg:") {
		t.Errorf("copies without Message-ID: %q, %q; want equal msg:<fingerprint>", a, b)
	}
	if b := sourceID("INBOX", 1, bare("Received: from a by mx id 1\r\nFrom: a@b\r\n\r\n", "disk 97% full"), noID); a == b {
		t.Errorf("other body without Message-ID: same source %q", a)
	}
	if b := sourceID("INBOX", 1, bare("Received: from a by mx id 2\r\nFrom: a@b\r\n\r\n", "disk 91% full"), noID); a == b {
		t.Errorf("another delivery of the same text: same source %q", a)
	}
	if u := sourceID("INBOX", 1, &fetched{uid: 5}, Message{}); u != "uid:INBOX/1/5" {
		t.Errorf("fallback source %q", u)
	}
}

// TestLegacySourceID: the identity of items stored by earlier versions is
// unchanged, so what they stored is recognised.
func TestLegacySourceID(t *testing.T) {
	d := time.Date(2025, 3, 3, 9, 15, 0, 0, time.UTC)
	if a, b := legacySourceID("INBOX", 1, 5, Message{MessageID: "x@y"}), legacySourceID("Other", 2, 9, Message{MessageID: "x@y"}); a != "mid:x@y" || a != b {
		t.Errorf("Message-ID sources %q, %q; want equal mid:x@y", a, b)
	}
	h1 := legacySourceID("INBOX", 1, 5, Message{Date: d, FromAddr: "a@b", Subject: "s"})
	// The value the previous version computed (sha256 of folder, Date in
	// RFC 3339 UTC, From address and Subject, NUL-separated).
	if h1 != "hdr:40cf6e774b8ab65cce852676" {
		t.Errorf("header digest %q, want the one stored by earlier versions", h1)
	}
	if h2 := legacySourceID("INBOX", 2, 77, Message{Date: d, FromAddr: "a@b", Subject: "s"}); h1 != h2 {
		t.Errorf("header digests %q, %q; want equal across UIDVALIDITY", h1, h2)
	}
	if u := legacySourceID("INBOX", 1, 5, Message{}); u != "uid:INBOX/1/5" {
		t.Errorf("fallback source %q", u)
	}
}
