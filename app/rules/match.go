package rules

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

// channel is a compiled channel pattern: exact or glob, without its '#'.
type channel struct {
	text string // exact name, '#' stripped
	glob []rune // folded glob, nil for an exact name
}

func compileChannel(raw string) (channel, error) {
	p := strings.TrimPrefix(strings.TrimSpace(raw), "#")
	if p == "" {
		return channel{}, valueErr(raw, "empty channel pattern", ErrEmptyPattern)
	}
	if isGlob(p) {
		return channel{glob: foldRunes(p)}, nil
	}
	return channel{text: p}, nil
}

func (c *channel) match(name string) bool {
	name = strings.TrimPrefix(name, "#")
	if c.glob != nil {
		return globMatch(c.glob, name)
	}
	return strings.EqualFold(c.text, name)
}

type senderKind uint8

const (
	senderAddr   senderKind = iota // alice@acme.com: the address, exact
	senderDomain                   // acme.com or @acme.com: the address's domain or a subdomain
	senderGlob                     // *@*.acme.com, boss*: address (and name when the glob has no '@')
	senderName                     // Alice Smith: the name or the address, exact
)

// sender is a compiled sender pattern (Rule.From, Builtins.VIPs).
type sender struct {
	kind    senderKind
	text    string // address, domain (without '@') or name
	glob    []rune
	orName  bool // a glob without '@' is also tried on the sender's name
	pattern string
}

func compileSender(raw string) (sender, error) {
	p := strings.TrimSpace(raw)
	switch {
	case p == "":
		return sender{}, valueErr(raw, "empty sender pattern", ErrEmptyPattern)
	case isGlob(p):
		return sender{kind: senderGlob, glob: foldRunes(p), orName: !strings.Contains(p, "@"), pattern: p}, nil
	case strings.HasPrefix(p, "@"):
		d := p[1:]
		if d == "" || strings.ContainsAny(d, "@ \t") {
			return sender{}, valueErr(raw, "bad domain (want e.g. @acme.com)", ErrBadPattern)
		}
		return sender{kind: senderDomain, text: d, pattern: p}, nil
	case strings.Contains(p, "@"):
		at := strings.LastIndexByte(p, '@')
		if at == 0 || at == len(p)-1 {
			return sender{}, valueErr(raw, "incomplete address (want e.g. alice@acme.com)", ErrBadPattern)
		}
		return sender{kind: senderAddr, text: p, pattern: p}, nil
	case strings.Contains(p, ".") && !strings.ContainsFunc(p, unicode.IsSpace):
		return sender{kind: senderDomain, text: p, pattern: p}, nil
	default:
		return sender{kind: senderName, text: p, pattern: p}, nil
	}
}

// match reports whether the item's sender matches, and which of its name or
// address did.
func (p *sender) match(it *model.Item) (string, bool) {
	switch p.kind {
	case senderAddr:
		if it.FromAddr != "" && strings.EqualFold(p.text, it.FromAddr) {
			return it.FromAddr, true
		}
	case senderDomain:
		at := strings.LastIndexByte(it.FromAddr, '@')
		if at < 0 {
			return "", false
		}
		d := it.FromAddr[at+1:]
		if strings.EqualFold(d, p.text) ||
			len(d) > len(p.text) && d[len(d)-len(p.text)-1] == '.' && strings.EqualFold(d[len(d)-len(p.text):], p.text) {
			return it.FromAddr, true
		}
	case senderGlob:
		if it.FromAddr != "" && globMatch(p.glob, it.FromAddr) {
			return it.FromAddr, true
		}
		if p.orName && it.FromName != "" && globMatch(p.glob, it.FromName) {
			return it.FromName, true
		}
	case senderName:
		if it.FromName != "" && strings.EqualFold(p.text, it.FromName) {
			return it.FromName, true
		}
		if it.FromAddr != "" && strings.EqualFold(p.text, it.FromAddr) {
			return it.FromAddr, true
		}
	}
	return "", false
}

// describe words a match for the reason: the sender as the item has it, and
// the pattern when that is not the same thing.
func (p *sender) describe(value string) string {
	if strings.EqualFold(value, p.pattern) {
		return value
	}
	return value + " (matches " + strconv.Quote(p.pattern) + ")"
}

// keyword is a compiled keyword: folded, with a note of which of its edges
// need a word boundary.
type keyword struct {
	literal
	quoted    string // as written, quoted, for reasons
	wordStart bool   // first rune is a word rune: the text must not continue a word there
	wordEnd   bool
}

func compileKeyword(raw string) (keyword, error) {
	k := strings.TrimSpace(raw)
	if k == "" {
		return keyword{}, valueErr(raw, "empty keyword", ErrEmptyPattern)
	}
	f := appendFolded(nil, k)
	first, _ := utf8.DecodeRune(f)
	last, _ := utf8.DecodeLastRune(f)
	return keyword{literal: newLiteral(f), quoted: strconv.Quote(k), wordStart: isWordRune(first), wordEnd: isWordRune(last)}, nil
}

// in reports whether the keyword occurs as a whole word in folded text.
func (k *keyword) in(text []byte) bool {
	for from := 0; ; {
		start := k.index(text, from)
		if start < 0 {
			return false
		}
		end := start + len(k.b)
		if (!k.wordStart || !wordBefore(text, start)) && (!k.wordEnd || !wordAfter(text, end)) {
			return true
		}
		from = start + 1
	}
}

// literal is a byte string to find in folded text, with the position of the
// byte in it least likely to occur in text.
type literal struct {
	b    []byte
	rare int
}

func newLiteral(b []byte) literal {
	rare := 0
	for i, c := range b {
		if byteCommonness[c] < byteCommonness[b[rare]] {
			rare = i
		}
	}
	return literal{b: b, rare: rare}
}

// index returns the first position at or after from where l occurs in text,
// or -1.
//
// It looks for the literal's rarest byte with IndexByte (vectorised) and
// compares around each hit; on ordinary text that visits far fewer
// candidates than searching for the first byte. The text is valid UTF-8 and
// the literal starts at a rune start, so a hit never begins inside a rune.
func (l *literal) index(text []byte, from int) int {
	rb := l.b[l.rare]
	for off := from + l.rare; off < len(text); {
		i := bytes.IndexByte(text[off:], rb)
		if i < 0 {
			return -1
		}
		start := off + i - l.rare
		off += i + 1
		end := start + len(l.b)
		if end > len(text) {
			return -1
		}
		if bytes.Equal(text[start:end], l.b) {
			return start
		}
	}
	return -1
}

// byteCommonness ranks how often a byte occurs in folded text (higher is
// more common): English letter frequencies, then white space and digits.
// Only speed depends on it.
var byteCommonness = func() (t [256]uint8) {
	for i := range t {
		t[i] = 10 // punctuation, control bytes
	}
	for i := 0x80; i < 0x100; i++ {
		t[i] = 30 // UTF-8 bytes: common in non-English text
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 20
	}
	for i, c := range "zqxjkvbpygfwmucldrhsnioate" {
		t[c] = uint8(40 + 8*i)
	}
	t[' '] = 255
	return t
}()

// isWordRune reports whether r belongs to a word: letters, digits, marks and
// the underscore.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isJoiner reports whether r joins two words into one (a hyphenated
// compound such as "non-urgent" is one word).
func isJoiner(r rune) bool { return r == '-' || r == '\u2010' || r == '\u2011' }

// wordBefore reports whether the text just before i continues a word.
func wordBefore(text []byte, i int) bool {
	r, w := utf8.DecodeLastRune(text[:i])
	if w == 0 {
		return false
	}
	if isWordRune(r) {
		return true
	}
	if isJoiner(r) {
		r2, _ := utf8.DecodeLastRune(text[:i-w])
		return isWordRune(r2)
	}
	return false
}

// wordAfter reports whether the text from i on continues a word.
func wordAfter(text []byte, i int) bool {
	r, w := utf8.DecodeRune(text[i:])
	if w == 0 {
		return false
	}
	if isWordRune(r) {
		return true
	}
	if isJoiner(r) {
		r2, _ := utf8.DecodeRune(text[i+w:])
		return isWordRune(r2)
	}
	return false
}

// foldRune maps r to one representative of its simple case-folding orbit,
// so that foldRune(a) == foldRune(b) exactly when strings.EqualFold would
// call the two runes equal. ASCII letters map to lower case.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' { // e.g. the Kelvin sign folds with k
		m += 'a' - 'A'
	}
	return m
}

// asciiFold maps ASCII bytes to their folded form: upper case to lower
// case and the white space unicode.IsSpace accepts to ' '.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 'a' - 'A')
	}
	for _, c := range "\t\n\v\f\r" {
		t[c] = ' '
	}
	return t
}()

// appendFolded appends s to dst case-folded, with every run of white space
// turned into one space and invalid UTF-8 into U+FFFD, so that the result is
// valid UTF-8. It is on the hot path of every keyword and regex condition.
func appendFolded(dst []byte, s string) []byte {
	n := len(dst)
	// Folding never lengthens a rune's encoding; only an invalid byte grows,
	// to the three bytes of U+FFFD.
	dst = slices.Grow(dst, 3*len(s)+1)
	out := dst[:cap(dst)]
	space := false // the last rune written was white space
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			i++
			// Written branch-free: the space test is unpredictable in prose.
			c := asciiFold[b]
			out[n] = c
			inc := 1
			if space && c == ' ' {
				inc = 0
			}
			n += inc
			space = c == ' '
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		if unicode.IsSpace(r) {
			if !space {
				out[n] = ' '
				n++
			}
			space = true
			continue
		}
		space = false
		n += utf8.EncodeRune(out[n:], foldRune(r))
	}
	return out[:n]
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?") }

// foldRunes returns a glob pattern as folded runes.
func foldRunes(p string) []rune {
	out := make([]rune, 0, len(p))
	for _, r := range p {
		out = append(out, foldRune(r))
	}
	return out
}

// globMatch reports whether s matches the folded glob p ('*' any run, '?'
// one rune), ignoring case. The literal head and tail are compared first,
// so the common shapes "boss*", "*@acme.com" and "news@*" cost one pass;
// only what lies between the first and last '*' needs the general search,
// which backtracks to the last '*' alone and so is O(len(p)·len(s)) at worst.
func globMatch(p []rune, s string) bool {
	for len(p) > 0 && p[0] != '*' {
		r, w := utf8.DecodeRuneInString(s)
		if w == 0 || p[0] != '?' && p[0] != foldRune(r) {
			return false
		}
		p, s = p[1:], s[w:]
	}
	if len(p) == 0 {
		return s == ""
	}
	for c := p[len(p)-1]; c != '*'; c = p[len(p)-1] {
		r, w := utf8.DecodeLastRuneInString(s)
		if w == 0 || c != '?' && c != foldRune(r) {
			return false
		}
		p, s = p[:len(p)-1], s[:len(s)-w]
	}
	// p now starts and ends with '*'.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, w := utf8.DecodeRuneInString(s[si:])
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				starP, starS = pi, si
				pi++
				continue
			case c == '?' || c == foldRune(r):
				pi++
				si += w
				continue
			}
		}
		// Let the last '*' swallow one more rune and try again after it.
		_, w = utf8.DecodeRuneInString(s[starS:])
		starS += w
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
