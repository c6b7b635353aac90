package imap

import (
	netmail "net/mail"
	"strings"
)

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
