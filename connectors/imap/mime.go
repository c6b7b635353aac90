package imap

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

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
