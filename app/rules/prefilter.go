package rules

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// maxAlternatives bounds the literals a prefilter checks; a regex with more
// alternative branches is simply run every time.
const maxAlternatives = 8

// prefilter is a cheap test that rules a regex out before it runs: at least
// one of its literals must occur in the item's folded text. Go's regexp has
// no fast path for case-insensitive expressions and scans a 300-byte text in
// microseconds; a substring search takes nanoseconds.
//
// It is sound because a literal that every match of the regex contains, cut
// at white space, appears case-folded in the folded text whenever it appears
// (in any case) in "subject\nsnippet": folding maps each rune to its case
// orbit's representative and only runs of white space are rewritten.
type prefilter []literal

// newPrefilter returns the prefilter for a regex, or nil if the regex
// requires no usable literal (it must then always be run).
func newPrefilter(expr string) prefilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := required(re.Simplify())
	if !ok {
		return nil
	}
	return lits
}

// match reports whether the regex may match the folded text.
func (p prefilter) match(folded []byte) bool {
	if p == nil {
		return true
	}
	for i := range p {
		if p[i].index(folded, 0) >= 0 {
			return true
		}
	}
	return false
}

// required returns folded literals of which every match of re contains at
// least one, or false if there are none (or too many to be worth checking).
func required(re *syntax.Regexp) (prefilter, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		// The longest piece between white space is the most selective.
		var best []byte
		var piece []byte
		flush := func() {
			if len(piece) > len(best) {
				best = piece
			}
			piece = nil
		}
		for _, r := range re.Rune {
			if unicode.IsSpace(r) {
				flush()
				continue
			}
			piece = utf8.AppendRune(piece, foldRune(r))
		}
		flush()
		if best == nil {
			return nil, false
		}
		return prefilter{newLiteral(best)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any one required child suffices; prefer the one whose weakest
		// literal is longest, then the one with fewest alternatives.
		var best prefilter
		for _, sub := range re.Sub {
			p, ok := required(sub)
			if ok && (best == nil || better(p, best)) {
				best = p
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all prefilter
		for _, sub := range re.Sub {
			p, ok := required(sub)
			if !ok || len(all)+len(p) > maxAlternatives {
				return nil, false
			}
			all = append(all, p...)
		}
		return all, len(all) > 0
	}
	return nil, false
}

func better(a, b prefilter) bool {
	if wa, wb := shortest(a), shortest(b); wa != wb {
		return wa > wb
	}
	return len(a) < len(b)
}

func shortest(p prefilter) int {
	n := -1
	for _, l := range p {
		if n < 0 || len(l.b) < n {
			n = len(l.b)
		}
	}
	return n
}
