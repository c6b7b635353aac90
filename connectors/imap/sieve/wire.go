package sieve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The ManageSieve wire format (RFC 5804 section 4): lines of atoms, quoted
// strings and literals separated by spaces, ending in CRLF. A literal
// ("{n}" CRLF and n octets) may carry anything, CRLF included, and does not
// end the line it is in.

type tokenKind uint8

const (
	tokAtom   tokenKind = iota + 1 // OK, NO, ACTIVE, QUOTA/MAXSIZE, …
	tokString                      // a quoted string or a literal, decoded
	tokOpen                        // (
	tokClose                       // )
)

type token struct {
	kind tokenKind
	val  string
}

// errProtocol is wrapped by every error about what the server sent.
var errProtocol = errors.New("managesieve protocol error")

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// Limits on what one response may hold, so that a broken or hostile server
// cannot make the client allocate without bound.
const (
	defaultMaxLine    = 64 << 10 // octets of one line outside its literals
	defaultMaxLiteral = 1 << 20  // octets of one literal (a script)
	maxDataLines      = 10000    // lines before the final OK/NO/BYE
)

// reader reads server lines and responses.
type reader struct {
	r          *bufio.Reader
	maxLine    int
	maxLiteral int
}

func newReader(r io.Reader) *reader {
	return &reader{r: bufio.NewReader(r), maxLine: defaultMaxLine, maxLiteral: defaultMaxLiteral}
}

// readLine reads one line, literals included, as tokens. Tokens are
// separated by spaces; a bare LF ends a line as CRLF does.
func (r *reader) readLine() ([]token, error) {
	var toks []token
	n := 0 // octets read outside literals
	var b strings.Builder
	next := func() (byte, error) {
		c, err := r.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		n++
		if n > r.maxLine {
			return 0, protoErr("line longer than %d octets", r.maxLine)
		}
		return c, nil
	}
	for {
		c, err := next()
		if err != nil {
			if len(toks) == 0 && n <= 1 && errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		switch {
		case c == ' ':
		case c == '\r':
			c, err := next()
			if err != nil {
				return nil, err
			}
			if c != '\n' {
				return nil, protoErr("CR not followed by LF")
			}
			return toks, nil
		case c == '\n':
			return toks, nil
		case c == '(':
			toks = append(toks, token{kind: tokOpen})
		case c == ')':
			toks = append(toks, token{kind: tokClose})
		case c == '"':
			b.Reset()
			for {
				c, err := next()
				if err != nil {
					return nil, err
				}
				if c == '"' {
					break
				}
				if c == '\r' || c == '\n' || c == 0 {
					return nil, protoErr("line break or NUL in a quoted string")
				}
				if c == '\\' {
					if c, err = next(); err != nil {
						return nil, err
					}
					if c != '"' && c != '\\' {
						return nil, protoErr("bad escape \\%q in a quoted string", c)
					}
				}
				b.WriteByte(c)
			}
			toks = append(toks, token{kind: tokString, val: b.String()})
		case c == '{':
			s, err := r.readLiteral(next)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, val: s})
		default:
			b.Reset()
			b.WriteByte(c)
			for {
				c, err := r.r.ReadByte()
				if err != nil {
					if err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return nil, err
				}
				if c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' || c == '"' || c == '{' {
					r.r.UnreadByte()
					break
				}
				if c < 0x20 || c == 0x7f {
					return nil, protoErr("control character %#x in an atom", c)
				}
				n++
				if n > r.maxLine {
					return nil, protoErr("line longer than %d octets", r.maxLine)
				}
				b.WriteByte(c)
			}
			toks = append(toks, token{kind: tokAtom, val: b.String()})
		}
	}
}

// readLiteral reads the rest of a literal after its "{": the length, an
// optional "+", "}", CRLF and the octets.
func (r *reader) readLiteral(next func() (byte, error)) (string, error) {
	size := 0
	digits := 0
	for {
		c, err := next()
		if err != nil {
			return "", err
		}
		if c >= '0' && c <= '9' {
			if digits++; digits > 10 {
				return "", protoErr("literal length too long")
			}
			size = size*10 + int(c-'0')
			continue
		}
		if c == '+' {
			if c, err = next(); err != nil {
				return "", err
			}
		}
		if c != '}' || digits == 0 {
			return "", protoErr("bad literal length")
		}
		break
	}
	if size > r.maxLiteral {
		return "", protoErr("literal of %d octets exceeds the limit of %d", size, r.maxLiteral)
	}
	c, err := next()
	if err == nil && c == '\r' {
		c, err = next()
	}
	if err != nil {
		return "", err
	}
	if c != '\n' {
		return "", protoErr("literal length not followed by CRLF")
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return string(buf), nil
}

// response is a command's final line: OK, NO or BYE, with the optional
// response code and human-readable text.
type response struct {
	status string // "OK", "NO" or "BYE"
	code   string // "QUOTA/MAXSIZE", "NONEXISTENT", … upper case, "" when none
	args   []string
	text   string
}

// isStatus reports whether a line is a final response line.
func isStatus(toks []token) bool {
	if len(toks) == 0 || toks[0].kind != tokAtom {
		return false
	}
	switch strings.ToUpper(toks[0].val) {
	case "OK", "NO", "BYE":
		return true
	}
	return false
}

// parseStatus parses a final response line.
func parseStatus(toks []token) (*response, error) {
	resp := &response{status: strings.ToUpper(toks[0].val)}
	rest := toks[1:]
	if len(rest) > 0 && rest[0].kind == tokOpen {
		depth := 0
		i := 0
		for ; i < len(rest); i++ {
			switch t := rest[i]; t.kind {
			case tokOpen:
				depth++
			case tokClose:
				depth--
			default:
				if resp.code == "" && depth == 1 && i == 1 && t.kind == tokAtom {
					resp.code = strings.ToUpper(t.val)
				} else {
					resp.args = append(resp.args, t.val)
				}
			}
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return nil, protoErr("unbalanced parentheses in a response code")
		}
		if resp.code == "" {
			return nil, protoErr("response code without a name")
		}
		rest = rest[i+1:]
	}
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0].kind == tokString:
		resp.text = rest[0].val
	default:
		return nil, protoErr("unexpected data after %s", resp.status)
	}
	return resp, nil
}

// readResponse reads data lines up to and including the final response.
func (r *reader) readResponse() ([][]token, *response, error) {
	var data [][]token
	for {
		toks, err := r.readLine()
		if err != nil {
			return nil, nil, err
		}
		if isStatus(toks) {
			resp, err := parseStatus(toks)
			return data, resp, err
		}
		if len(data) >= maxDataLines {
			return nil, nil, protoErr("more than %d lines in one response", maxDataLines)
		}
		data = append(data, toks)
	}
}

// quote returns s as a ManageSieve string: quoted when it is short UTF-8
// without line breaks or NUL, else a non-synchronizing literal, which
// RFC 5804 clients always send.
func quote(s string) string {
	if len(s) <= 1024 && utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\x00") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return literal(s)
}

// literal returns s as a non-synchronizing literal.
func literal(s string) string {
	return "{" + strconv.Itoa(len(s)) + "+}\r\n" + s
}
