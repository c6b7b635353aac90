package imap

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
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
