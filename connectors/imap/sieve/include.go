package sieve

import (
	"strings"
)

// Reading a user's script, only as far as telling whether it includes
// Sluice's: a Sieve lexer (RFC 5228 section 8.1) and a walk over the
// top-level commands.

type sieveTok struct {
	kind byte // 'i' identifier, ':' tag, 's' string, 'n' number, or the punctuation itself
	val  string
}

// lexSieve splits a script into tokens, dropping comments and white space.
// It reports false when the script does not lex (an unterminated string or
// comment), in which case nothing in it is trusted.
func lexSieve(src string) ([]sieveTok, bool) {
	var toks []sieveTok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, false
			}
			i += 2 + end + 2
		case c == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, false
				}
				if src[i] == '"' {
					i++
					break
				}
				if src[i] == '\\' && i+1 < len(src) {
					i++
				}
				b.WriteByte(src[i])
				i++
			}
			toks = append(toks, sieveTok{kind: 's', val: b.String()})
		case c == ':' || isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			word := strings.ToLower(src[i:j])
			if c != ':' && word == "text" && j < len(src) && src[j] == ':' {
				// A multi-line string: "text:", the rest of the line, then
				// lines up to one holding a lone ".", dot-stuffed.
				nl := strings.IndexByte(src[j:], '\n')
				if nl < 0 {
					return nil, false
				}
				i = j + nl + 1
				var b strings.Builder
				for {
					if i >= len(src) {
						return nil, false
					}
					end := strings.IndexByte(src[i:], '\n')
					line := src[i:]
					if end >= 0 {
						line = src[i : i+end]
					}
					if strings.TrimRight(line, "\r") == "." {
						i += len(line) + 1
						break
					}
					line = strings.TrimPrefix(line, ".")
					b.WriteString(line + "\n")
					if end < 0 {
						return nil, false
					}
					i += end + 1
				}
				toks = append(toks, sieveTok{kind: 's', val: b.String()})
				continue
			}
			kind := byte('i')
			if c == ':' {
				kind = ':'
			}
			toks = append(toks, sieveTok{kind: kind, val: word})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || strings.IndexByte("KMGkmg", src[j]) >= 0) {
				j++
			}
			toks = append(toks, sieveTok{kind: 'n', val: src[i:j]})
			i = j
		case strings.IndexByte(";,[](){}", c) >= 0:
			toks = append(toks, sieveTok{kind: c})
			i++
		default:
			i++ // not Sieve; the server would refuse it, we only skip it
		}
	}
	return toks, true
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// includeInfo is what a script says about including a script.
type includeInfo struct {
	found bool // a top-level include :personal of the script
	last  bool // and no command follows it
}

// findInclude looks for a top-level `include :personal "name";` (the
// location tag may be left out, :personal is the default; :once and
// :optional may be given; the name may be in a list). An include inside
// an if block or of the :global script does not count: Sluice cannot know
// when the block runs.
func findInclude(src, name string) includeInfo {
	toks, ok := lexSieve(src)
	if !ok {
		return includeInfo{}
	}
	var info includeInfo
	depth := 0
	atStart := true // the next token starts a command
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case '{':
			depth++
			atStart = true
			continue
		case '}':
			depth--
			atStart = true
			continue
		case ';':
			atStart = true
			continue
		}
		if !atStart {
			continue
		}
		atStart = false
		if depth != 0 || t.kind != 'i' {
			continue
		}
		if info.found {
			info.last = false // a command after the include
		}
		if t.val != "include" {
			continue
		}
		global, names := false, []string{}
		j := i + 1
		for ; j < len(toks) && toks[j].kind != ';'; j++ {
			switch toks[j].kind {
			case ':':
				global = global || toks[j].val == ":global"
			case 's':
				names = append(names, toks[j].val)
			}
		}
		i = j - 1
		if global {
			continue
		}
		for _, n := range names {
			if n == name {
				info.found, info.last = true, true
			}
		}
	}
	return info
}
