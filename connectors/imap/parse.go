package imap

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/sluice-app/sluice/app/model"
)

// Message is what Sluice reads from one mail message: the fields an item
// needs, decoded to clean UTF-8.
type Message struct {
	MessageID  string    // without angle brackets; "" when absent
	InReplyTo  string    // first id of In-Reply-To, without angle brackets
	References []string  // ids of References, oldest first
	Subject    string    // decoded, one line
	FromName   string    // decoded display name of the first From address
	FromAddr   string    // its address
	Date       time.Time // the Date header; zero when missing or unreadable
	Urgent     bool      // the sender flagged it (X-Priority 1–2, Importance: high, Priority: urgent)
	Snippet    string    // the text of the first text part, quotes and signature cut, not yet cleaned into a line (the gate does)
}

// Thread is the conversation key: the root of References, else In-Reply-To,
// else the message's own Message-ID.
func (m Message) Thread() string {
	switch {
	case len(m.References) > 0:
		return m.References[0]
	case m.InReplyTo != "":
		return m.InReplyTo
	default:
		return m.MessageID
	}
}

// ParseMessage reads raw RFC 5322 bytes (a whole message, or a prefix of one
// cut at any byte) into a Message. It never fails and never panics: whatever
// could not be read is left empty.
func ParseMessage(raw []byte) (m Message) {
	defer func() {
		_ = recover() // keep the fields read before the fault
	}()
	return parseMessage(raw, len(raw) >= maxParseBytes)
}

// maxParseBytes bounds how much of a message the parser looks at.
const maxParseBytes = 1 << 20

// parseMessage is ParseMessage without the recover, so the fuzz target sees
// every panic. truncated says raw may end in the middle of a part.
func parseMessage(raw []byte, truncated bool) Message {
	if len(raw) > maxParseBytes {
		raw, truncated = raw[:maxParseBytes], true
	}
	h, body := parseHeader(raw)
	m := headerMessage(h)
	m.Snippet = entitySnippet(h, body, truncated)
	return m
}

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

// toUTF8 converts b from charset cs to UTF-8. Non-ASCII bytes that are
// valid UTF-8 stay UTF-8 whatever the label says: a mislabelled part is far
// more often UTF-8 than legacy text that happens to form valid UTF-8. Pure
// ASCII is still decoded, for 7-bit charsets such as ISO-2022-JP. An unknown
// or missing charset on invalid UTF-8 is read as windows-1252.
func toUTF8(b []byte, cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	utf := cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii"
	if ascii && utf || utf8.Valid(b) && !ascii {
		return string(b)
	}
	if !ascii && looksUTF8(b) {
		// UTF-8 with a few stray bytes (Dovecot turns NUL into 0x80).
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	if !utf {
		if s, ok := convert(b, cs); ok {
			return s
		}
	}
	if s, ok := convert(b, "windows-1252"); ok {
		return s
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// looksUTF8 reports whether b has at least as many valid multi-byte UTF-8
// sequences as invalid bytes.
func looksUTF8(b []byte) bool {
	good, bad := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			bad++
		case n > 1:
			good++
		}
		b = b[n:]
	}
	return good > 0 && good >= bad
}

// convert decodes b from charset cs with go-message's charset tables.
func convert(b []byte, cs string) (string, bool) {
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return "", false
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), true
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

// parseFrom returns the display name and address of the first address in a
// From field, falling back to picking out something@something when the field
// is not RFC 5322 (a common state of affairs).
func parseFrom(raw string, fallback func() string) (name, addr string) {
	if raw == "" {
		return "", ""
	}
	v := headerUTF8(raw, fallback)
	if n, a, ok := simpleAddress(v); ok {
		return cleanLine(decodeText(n, fallback)), a
	}
	p := netmail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(v); err == nil && len(list) > 0 {
		return cleanLine(list[0].Name), strings.TrimSpace(list[0].Address)
	}
	d := decodeText(v, fallback)
	if i := strings.IndexByte(d, '<'); i >= 0 {
		if j := strings.IndexByte(d[i:], '>'); j > 0 {
			addr = strings.TrimSpace(d[i+1 : i+j])
			name = d[:i] + d[i+j+1:]
		}
	}
	if addr == "" {
		for _, tok := range strings.FieldsFunc(d, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '"' || r == '(' || r == ')' }) {
			tok = strings.Trim(tok, "<>[]")
			if strings.Count(tok, "@") == 1 && !strings.HasPrefix(tok, "@") && !strings.HasSuffix(tok, "@") {
				addr = tok
				name = strings.Replace(d, tok, "", 1)
				break
			}
		}
	}
	if addr == "" {
		name = d
	}
	name = strings.Trim(cleanLine(name), " \"'()<>,:;")
	if !strings.Contains(addr, "@") {
		if name == "" {
			name = addr
		}
		addr = ""
	}
	return cleanLine(name), cleanLine(addr)
}

// simpleAddress splits the common forms "Name <local@domain>" and
// "local@domain" without the full RFC 5322 parser; anything with quotes,
// comments, groups or several addresses is left to it.
func simpleAddress(v string) (name, addr string, ok bool) {
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, "\"(),;:\\") {
		return "", "", false
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if !strings.HasSuffix(v, ">") || strings.Count(v, "<") != 1 {
			return "", "", false
		}
		addr = v[i+1 : len(v)-1]
		name = strings.TrimSpace(v[:i])
	} else {
		addr = v
	}
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.Count(addr, "@") != 1 || strings.ContainsAny(addr, " \t<>[]") {
		return "", "", false
	}
	for _, word := range strings.Fields(name) {
		// RFC 5322 atoms only (encoded words are atoms too); others go to
		// the full parser.
		for i := 0; i < len(word); i++ {
			if c := word[i]; c < 0x80 && !atext(c) {
				return "", "", false
			}
		}
	}
	return name, addr, true
}

// atext reports whether c may appear in an RFC 5322 atom (or, as '.', in an
// obsolete phrase).
func atext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0
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

// parseContentType reads a Content-Type value; a value mime.ParseMediaType
// rejects still yields its type and the parameters that can be picked out.
func parseContentType(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", map[string]string{}
	}
	if mt, params, err := mime.ParseMediaType(v); err == nil {
		return mt, params
	}
	mt, rest, _ := strings.Cut(v, ";")
	params := map[string]string{}
	for _, p := range strings.Split(rest, ";") {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.Trim(strings.TrimSpace(val), "\"'")
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	if i := strings.IndexAny(mt, " \t\""); i >= 0 {
		mt = mt[:i]
	}
	return mt, params
}

// decodeTransfer undoes a Content-Transfer-Encoding on a body that may be cut
// short; what cannot be decoded is dropped.
func decodeTransfer(b []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return decodeBase64(b)
	case "quoted-printable":
		return decodeQP(b)
	default:
		return b
	}
}

// decodeBase64 decodes as much of b as is whole: white space and junk are
// skipped and a trailing partial quantum is dropped.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '=':
			// Padding ends the data; a second encoded block after it is rare
			// enough to ignore.
			n := len(clean) % 4
			if n >= 2 {
				out, _ := base64.RawStdEncoding.DecodeString(string(clean))
				return out
			}
			clean = clean[:len(clean)-n]
			out, _ := base64.RawStdEncoding.DecodeString(string(clean))
			return out
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil
	}
	return out
}

// decodeQP decodes quoted-printable leniently: a malformed escape is kept as
// it is, and a soft line break or escape cut off at the end is dropped.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		rest := b[i+1:]
		switch {
		case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
			i += 2
		case len(rest) >= 1 && rest[0] == '\n':
			i++
		case len(rest) >= 2 && isHex(rest[0]) && isHex(rest[1]):
			out = append(out, unhex(rest[0])<<4|unhex(rest[1]))
			i += 2
		case len(rest) < 2:
			// cut off at the end
			return out
		default:
			// "= " trailing white space before a line break, or junk
			j := 0
			for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
				j++
			}
			if j < len(rest) && (rest[j] == '\n' || rest[j] == '\r') {
				i += j
				if rest[j] == '\r' && j+1 < len(rest) && rest[j+1] == '\n' {
					i++
				}
				i++
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// partText turns one leaf part's (possibly truncated) body into readable
// text: transfer encoding and charset undone, HTML rendered as text.
func partText(body []byte, mediaType string, params map[string]string, cte string, truncated bool) string {
	b := decodeTransfer(body, cte)
	cs := params["charset"]
	isHTML := mediaType == "text/html"
	if isHTML && (cs == "" || strings.EqualFold(cs, "us-ascii")) {
		// Servers report a text part without charset as us-ascii; the HTML
		// itself may say better.
		if m := metaCharset(b); m != "" {
			cs = m
		}
	}
	s := toUTF8(b, cs)
	if truncated {
		s = strings.TrimRight(s, "\uFFFD")
	}
	switch mediaType {
	case "text/html":
		return htmlText(s)
	case "text/calendar":
		return calendarText(s)
	case "text/enriched", "text/richtext":
		return stripTags(s)
	}
	return s
}

// metaCharset finds <meta charset=…> or http-equiv charset in an HTML head.
func metaCharset(b []byte) string {
	head := b
	if len(head) > 2048 {
		head = head[:2048]
	}
	lower := bytes.ToLower(head)
	i := bytes.Index(lower, []byte("charset="))
	if i < 0 {
		return ""
	}
	v := lower[i+len("charset="):]
	v = bytes.TrimLeft(v, "\"' ")
	end := bytes.IndexAny(v, "\"'; />")
	if end < 0 {
		return ""
	}
	return string(v[:end])
}

// calendarText summarises an iCalendar invite as "Invitation: SUMMARY".
func calendarText(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok {
			name, _, _ := strings.Cut(k, ";")
			if strings.EqualFold(name, "SUMMARY") {
				v = strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, " ", `\N`, " ", `\\`, `\`).Replace(v)
				return "Invitation: " + v
			}
		}
	}
	return ""
}

// stripTags drops <…> markup (text/enriched).
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// leaf is a candidate part for the snippet.
type leaf struct {
	mediaType string
	params    map[string]string
	cte       string
	body      []byte
	attached  bool   // Content-Disposition: attachment
	filename  string // of an attachment, for an attachment-only message
	truncated bool
}

// maxParts and maxDepth bound the MIME walk (a fuzzer builds deep trees).
const (
	maxParts = 64
	maxDepth = 24
)

// entitySnippet finds the first text part of an entity and returns its
// trimmed, clean text: text/plain first, HTML only when there is no plain
// text, and the attachments' names when there is no text at all.
func entitySnippet(h header, body []byte, truncated bool) string {
	var leaves []leaf
	collectLeaves(h, body, truncated, 0, &leaves)
	pick := func(want string, attached bool) string {
		for _, l := range leaves {
			if l.mediaType != want || l.attached != attached {
				continue
			}
			if s := snippetOf(partText(l.body, l.mediaType, l.params, l.cte, l.truncated)); s != "" {
				return s
			}
		}
		return ""
	}
	for _, want := range []string{"text/plain", "text/html", "text/enriched", "text/calendar"} {
		if s := pick(want, false); s != "" {
			return s
		}
	}
	var names []string
	for _, l := range leaves {
		if l.filename != "" && len(names) < 5 {
			names = append(names, l.filename)
		}
	}
	if len(names) > 0 {
		return attachmentsText(names)
	}
	return pick("text/plain", true)
}

// collectLeaves walks the MIME tree depth first, in order.
func collectLeaves(h header, body []byte, truncated bool, depth int, out *[]leaf) {
	if len(*out) >= maxParts {
		return
	}
	mt, params := parseContentType(h.get("content-type"))
	if mt == "" || !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	disp, dparams := parseContentType(h.get("content-disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name != "" {
		name = cleanLine(decodeText(name, fixed("windows-1252")))
	}
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < maxDepth:
		parts, ok := splitMultipart(body, params["boundary"])
		if !ok {
			// Declared multipart without any part: read the body as text.
			*out = append(*out, leaf{mediaType: "text/plain", body: body, truncated: truncated})
			return
		}
		for i, p := range parts {
			ph, pb := parseHeader(p)
			collectLeaves(ph, pb, truncated && i == len(parts)-1, depth+1, out)
		}
	case mt == "message/rfc822" || mt == "message/global":
		if depth < maxDepth && disp != "attachment" {
			ih, ib := parseHeader(decodeTransfer(body, h.get("content-transfer-encoding")))
			collectLeaves(ih, ib, truncated, depth+1, out)
		} else if name != "" {
			*out = append(*out, leaf{mediaType: mt, filename: name, attached: true})
		}
	default:
		*out = append(*out, leaf{
			mediaType: mt,
			params:    params,
			cte:       h.get("content-transfer-encoding"),
			body:      body,
			attached:  disp == "attachment" || (name != "" && !strings.HasPrefix(mt, "text/")),
			filename:  name,
			truncated: truncated,
		})
	}
}

// splitMultipart splits a multipart body at its boundary lines. When the
// declared boundary never occurs (broken MIME), the first line that looks like
// a boundary ("--" and a token) is used instead. The last part may be cut off.
// Parts are sub-slices of body, not copies.
func splitMultipart(body []byte, boundary string) ([][]byte, bool) {
	if boundary == "" || !bytes.Contains(body, []byte("--"+boundary)) {
		boundary = guessBoundary(body)
		if boundary == "" {
			return nil, false
		}
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // offset where the current part began, -1 before the first boundary
	for off := 0; off < len(body) && len(parts) < maxParts; {
		end := bytes.IndexByte(body[off:], '\n')
		next := len(body)
		if end >= 0 {
			end += off
			next = end + 1
		} else {
			end = len(body)
		}
		line := bytes.TrimRight(body[off:end], " \t\r")
		if bytes.HasPrefix(line, delim) {
			tail := line[len(delim):]
			if len(tail) == 0 || bytes.Equal(tail, []byte("--")) {
				if start >= 0 {
					parts = append(parts, trimPartEnd(body[start:off]))
				}
				if len(tail) > 0 {
					return parts, len(parts) > 0
				}
				start = next
			}
		}
		off = next
	}
	if start >= 0 && start <= len(body) && len(parts) < maxParts {
		parts = append(parts, body[start:])
	}
	return parts, len(parts) > 0
}

// trimPartEnd removes the line break that belongs to the next boundary.
func trimPartEnd(p []byte) []byte {
	p = bytes.TrimSuffix(p, []byte("\n"))
	return bytes.TrimSuffix(p, []byte("\r"))
}

// guessBoundary returns the token of the first "--token" line, if any.
func guessBoundary(body []byte) string {
	rest := body
	for i := 0; len(rest) > 0 && i < 200; i++ {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, " \t\r")
		if len(line) > 4 && bytes.HasPrefix(line, []byte("--")) && !bytes.ContainsAny(line[2:], " \t") && !bytes.Equal(line, []byte("-- ")) {
			return string(bytes.TrimSuffix(line[2:], []byte("--")))
		}
		rest = next
	}
	return ""
}

// snippetText bounds the text a snippet is made from, in bytes: the gate
// keeps model.SnippetMax runes of it once cleaned, and a message's text
// past this is never shown.
const snippetText = 8 * model.SnippetMax

// snippetOf is the text a snippet is made from: text without quoted
// replies and the signature, or the whole text when that leaves nothing,
// at most snippetText bytes. It is "" when the text holds nothing to show.
// The gate cleans it into one line.
func snippetOf(text string) string {
	text = strings.ReplaceAll(text, "\uFFFD", "")
	if s := trimReply(text); !model.Blank(s) {
		return cutText(s)
	}
	if model.Blank(text) {
		return ""
	}
	return cutText(text)
}

// cutText cuts s to at most snippetText bytes, at a rune boundary.
func cutText(s string) string {
	if len(s) <= snippetText {
		return s
	}
	cut := snippetText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// attachmentsText names a message's attachments when it has no text.
func attachmentsText(names []string) string {
	return cutText("[attachments: " + strings.Join(names, ", ") + "]")
}

// trimReply cuts a plain-text reply down to what the sender wrote: quoted
// lines ("> …") are dropped, and the text ends at a signature delimiter
// ("-- "), an attribution line ("On … wrote:") or a forwarded/original message
// marker. When nothing is left the caller falls back to the whole text.
func trimReply(s string) string {
	var b strings.Builder
	rest := s
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		rest = after
		line = strings.TrimRight(line, "\r")
		t := strings.TrimSpace(line)
		next, _, _ := strings.Cut(rest, "\n")
		next = strings.TrimSpace(next)
		if line == "-- " || line == "--" || line == "—" || isAttribution(t, next) || isSentFrom(t) {
			break
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if b.Len() > 8*model.SnippetMax {
			break
		}
	}
	return b.String()
}

// isAttribution recognises the line a mail client puts above a quote. It is
// called for every line, so it rejects most lines by their first byte.
func isAttribution(line, next string) bool {
	if line == "" {
		return false
	}
	switch line[0] | 0x20 {
	case '-' | 0x20, 'b':
		lower := strings.ToLower(line)
		return strings.HasPrefix(lower, "-----original message-----") ||
			strings.HasPrefix(lower, "---------- forwarded message") ||
			strings.HasPrefix(lower, "-------- original message") ||
			strings.HasPrefix(lower, "begin forwarded message:")
	case '_' | 0x20:
		// Outlook's separator line above "From:".
		return len(line) >= 20 && strings.Trim(line, "_") == "" && len(next) >= 5 && strings.EqualFold(next[:5], "from:")
	case 'o', 'l', 'a', 'e', 'i':
	default:
		return false
	}
	if !strings.HasSuffix(line, ":") && !(len(line) < 160 && strings.HasSuffix(next, ":")) {
		return false
	}
	lower := strings.ToLower(line)
	both := lower + " " + strings.ToLower(next)
	for _, o := range []string{"on ", "le ", "am ", "el ", "il ", "op ", "em "} {
		if !strings.HasPrefix(lower, o) {
			continue
		}
		for _, v := range []string{"wrote", "a écrit", "schrieb", "escribió", "ha scritto", "schreef", "escreveu"} {
			if strings.Contains(both, v) {
				return true
			}
		}
	}
	return false
}

// isSentFrom recognises mobile clients' automatic footers.
func isSentFrom(line string) bool {
	hasPrefix := func(p string) bool { return len(line) >= len(p) && strings.EqualFold(line[:len(p)], p) }
	return hasPrefix("sent from my ") || hasPrefix("get outlook for ")
}

// partSnippet is the connector's entry point for one fetched part: body is a
// bounded prefix (truncated says whether it was cut) of a leaf part described
// by its BODYSTRUCTURE media type, parameters and transfer encoding.
func partSnippet(body []byte, mediaType string, params map[string]string, cte string, truncated bool) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("snippet: %v", r)
		}
	}()
	if strings.HasPrefix(mediaType, "multipart/") || strings.HasPrefix(mediaType, "message/") {
		// A part the server could not describe as a leaf: parse it as MIME.
		ct := mediaType
		for k, v := range params {
			ct += fmt.Sprintf("; %s=%q", k, v)
		}
		return entitySnippet(header{{name: "content-type", value: ct}}, body, truncated), nil
	}
	return snippetOf(partText(body, mediaType, params, cte, truncated)), nil
}
