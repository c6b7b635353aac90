package imap

import (
	"bytes"
	"io"
	"mime"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
)

// field is one header field: a lower-case name and the unfolded raw value.
type field struct {
	name  string
	value string
}

// header is a parsed header block in order of appearance.
type header []field

// get returns the first value of a field, or "".
func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// parseHeader splits raw into a header and the body. It is lenient: folded
// lines are unfolded, an mbox "From " line is skipped, and a line that
// cannot be a field ends the header (broken mail that forgot the blank line).
func parseHeader(raw []byte) (header, []byte) {
	raw = bareCR(raw)
	var h header
	rest := raw
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		if len(next) == 0 && !bytes.HasSuffix(rest, []byte("\n")) {
			next = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return h, next
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) > 0 {
				f := &h[len(h)-1]
				if len(f.value) < maxFieldBytes {
					f.value += " " + string(bytes.TrimSpace(line))
				}
			}
			rest = next
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		name = bytes.TrimRight(name, " \t")
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			if len(h) == 0 && bytes.HasPrefix(line, []byte("From ")) {
				rest = next
				continue
			}
			return h, rest
		}
		if len(h) < maxFields {
			h = append(h, field{name: lowerName(name), value: string(bytes.TrimSpace(value))})
		}
		rest = next
	}
	return h, nil
}

// bareCR turns a CR that is not followed by LF into a line break (classic
// Mac OS mail; servers pass such a header through as one long line).
func bareCR(raw []byte) []byte {
	i := bytes.IndexByte(raw, '\r')
	for i >= 0 && i+1 < len(raw) && raw[i+1] == '\n' {
		j := bytes.IndexByte(raw[i+1:], '\r')
		if j < 0 {
			return raw
		}
		i += 1 + j
	}
	if i < 0 || i == len(raw)-1 {
		return raw
	}
	out := make([]byte, len(raw))
	copy(out, raw)
	for k := i; k < len(out); k++ {
		if out[k] == '\r' && (k+1 == len(out) || out[k+1] != '\n') {
			out[k] = '\n'
		}
	}
	return out
}

// knownNames are the field names the parser looks up, lower case; lowerName
// returns these constants instead of allocating.
var knownNames = []string{
	"from", "sender", "subject", "date", "message-id", "in-reply-to", "references",
	"content-type", "content-transfer-encoding", "content-disposition", "x-priority",
	"importance", "priority", "to", "cc", "mime-version", "received", "return-path",
}

func lowerName(b []byte) string {
	for _, k := range knownNames {
		if len(k) == len(b) && bytes.EqualFold(b, []byte(k)) {
			return k
		}
	}
	return strings.ToLower(string(b))
}

const (
	maxFields     = 1000
	maxFieldBytes = 64 << 10
)

// headerMessage decodes the fields an item needs.
func headerMessage(h header) Message {
	fallback := func() string { return headerCharset(h) }
	m := Message{
		MessageID:  firstMsgID(h.get("message-id")),
		InReplyTo:  firstMsgID(h.get("in-reply-to")),
		References: msgIDs(h.get("references")),
		Subject:    cleanLine(decodeText(h.get("subject"), fallback)),
		Date:       parseDate(h.get("date")),
		Urgent:     urgent(h),
	}
	m.FromName, m.FromAddr = parseFrom(h.get("from"), fallback)
	if m.FromAddr == "" && m.FromName == "" {
		m.FromName, m.FromAddr = parseFrom(h.get("sender"), fallback)
	}
	return m
}

// headerCharset guesses the charset of raw 8-bit bytes in header fields: the
// body's declared charset when there is one (senders that forget RFC 2047 tend
// to use it everywhere), else windows-1252, the most common such mistake.
func headerCharset(h header) string {
	_, params := parseContentType(h.get("content-type"))
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "us-ascii" {
		return cs
	}
	return "windows-1252"
}

// fixed is a fallback charset known in advance.
func fixed(cs string) func() string { return func() string { return cs } }

// wordDecoder decodes RFC 2047 encoded words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: lenientCharsetReader}

// lenientCharsetReader converts a charset to UTF-8 and never fails: an
// unknown charset is read as UTF-8 when the bytes are valid UTF-8, else as
// windows-1252.
func lenientCharsetReader(cs string, r io.Reader) (io.Reader, error) {
	if cr, err := charset.Reader(cs, r); err == nil {
		return cr, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxFieldBytes))
	if err != nil {
		return nil, err
	}
	return strings.NewReader(toUTF8(b, "windows-1252")), nil
}

// decodeText decodes a header value: raw 8-bit bytes from the fallback
// charset, then RFC 2047 encoded words.
func decodeText(v string, fallback func() string) string {
	v = headerUTF8(v, fallback)
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return strings.ToValidUTF8(d, "\uFFFD")
	}
	return v
}

// headerUTF8 converts raw 8-bit bytes in a header value; ASCII (encoded
// words included) is left alone, and a wide body charset is no guess for
// header bytes.
func headerUTF8(v string, fallback func() string) string {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			cs := fallback()
			if strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "utf-32") {
				cs = "windows-1252"
			}
			return toUTF8([]byte(v), cs)
		}
	}
	return v
}

// cleanLine makes a one-line display string: control characters dropped,
// white space collapsed, at most 998 runes.
func cleanLine(s string) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0':
			space = b.Len() > 0
			continue
		case r < 0x20 || r == 0x7f || r == '\u200b' || r == '\ufeff':
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if n++; n >= 998 {
			break
		}
	}
	return b.String()
}

// msgIDs returns the message ids in a References-like field, without angle
// brackets; a field with no brackets at all is split on white space.
func msgIDs(v string) []string {
	var ids []string
	rest := v
	for len(ids) < 200 {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if id := cleanID(rest[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		rest = rest[i+j+1:]
	}
	if len(ids) == 0 && !strings.ContainsAny(v, "<>") {
		for _, f := range strings.Fields(v) {
			if id := cleanID(f); id != "" && strings.Contains(id, "@") {
				ids = append(ids, id)
			}
			if len(ids) == 200 {
				break
			}
		}
	}
	return ids
}

// firstMsgID returns the first message id in a field, or "".
func firstMsgID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// cleanID removes white space (folding inside an id) and anything that is not
// printable ASCII, and bounds the length.
func cleanID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 250; i++ {
		if c := s[i]; c > ' ' && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// parseDate reads a Date field, tolerating the common deviations (a trailing
// zone comment, missing seconds, a zone name instead of an offset).
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	// The form nearly all mail uses, tried first: net/mail tries many
	// layouts, and every failed layout costs an error value.
	if len(v) >= 26 && v[3] == ',' {
		if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil {
			return t
		}
	}
	if t, err := netmail.ParseDate(v); err == nil {
		return t
	}
	if i := strings.IndexByte(v, '('); i > 0 {
		if t, err := netmail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return t
		}
	}
	s := strings.Join(strings.Fields(v), " ")
	if _, after, ok := strings.Cut(s, ", "); ok {
		s = after
	}
	for _, layout := range []string{
		"2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04 -0700",
		"2 Jan 06 15:04:05 -0700", "2 Jan 2006 15:04:05", "2006-01-02 15:04:05 -0700",
		"2006-01-02T15:04:05Z07:00", "Jan 2 15:04:05 2006", "2 January 2006 15:04:05 -0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// urgent reports whether the sender marked the message as urgent.
func urgent(h header) bool {
	if p := strings.TrimSpace(h.get("x-priority")); p != "" {
		if n, err := strconv.Atoi(strings.Fields(p)[0]); err == nil && n >= 1 && n <= 2 {
			return true
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.get("importance"))) {
	case "high":
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.get("priority"))) {
	case "urgent":
		return true
	}
	return false
}
