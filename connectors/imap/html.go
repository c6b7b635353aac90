package imap

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sluice-app/sluice/app/model"
)

// htmlText renders an HTML body (possibly cut short) as plain text for a
// snippet: scripts, styles and the head are dropped, block elements become
// line breaks, and quoted replies (blockquote, Gmail's and Thunderbird's quote
// containers) are left out. When dropping quotes leaves nothing, the quotes
// are kept.
func htmlText(s string) string {
	if t := renderHTML(s, true); strings.TrimSpace(t) != "" {
		return t
	}
	return renderHTML(s, false)
}

// skipped are elements whose content is never readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Title: true,
	atom.Noscript: true, atom.Template: true, atom.Svg: true, atom.Math: true,
	atom.Object: true, atom.Iframe: true, atom.Select: true,
}

// blocks are elements that start a new line.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Tr: true, atom.Li: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Hr: true, atom.Ul: true, atom.Ol: true, atom.Pre: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Blockquote: true, atom.Dd: true, atom.Dt: true,
}

func isQuote(t html.Token) bool {
	if t.DataAtom == atom.Blockquote {
		return true
	}
	for _, a := range t.Attr {
		if a.Key == "class" && (strings.Contains(a.Val, "gmail_quote") || strings.Contains(a.Val, "moz-cite-prefix") || strings.Contains(a.Val, "yahoo_quoted")) {
			return true
		}
		if a.Key == "id" && (a.Val == "divRplyFwdMsg" || a.Val == "appendonsend") {
			return true
		}
	}
	return false
}

func renderHTML(s string, dropQuotes bool) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	// skip counts nested open elements whose content is dropped; skipTag is
	// the element that started the skipping, so only its end tag ends it.
	skip, skipTag := 0, ""
	limit := 4 * model.SnippetMax
	for b.Len() < limit {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if skip > 0 {
				if t.Data == skipTag && tt == html.StartTagToken && !voidElement(t.DataAtom) {
					skip++
				}
				continue
			}
			if tt == html.StartTagToken && !voidElement(t.DataAtom) && (skipped[t.DataAtom] || dropQuotes && isQuote(t)) {
				skip, skipTag = 1, t.Data
				continue
			}
			switch {
			case blocks[t.DataAtom]:
				b.WriteByte('\n')
			case t.DataAtom == atom.Td || t.DataAtom == atom.Th:
				b.WriteByte(' ')
			case t.DataAtom == atom.Img:
				// Image-only mail: the alt text is the only words there are.
				for _, a := range t.Attr {
					if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
						b.WriteString(" " + a.Val + " ")
					}
				}
			}
		case html.EndTagToken:
			t := z.Token()
			if skip > 0 {
				if t.Data == skipTag {
					skip--
				}
				continue
			}
			if blocks[t.DataAtom] {
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
	return b.String()
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Img, atom.Hr, atom.Meta, atom.Link, atom.Input, atom.Area, atom.Base, atom.Col, atom.Embed, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
