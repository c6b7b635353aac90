package imap

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// cursor is a folder's position. Every message with a UID below next in the
// UIDVALIDITY epoch has been handed to the sink (or deliberately skipped by
// the initial sync). mark is the newest INTERNALDATE seen, or when the
// position was first recorded: after a UIDVALIDITY change the folder is
// searched from there, so mail that arrived meanwhile is not missed while the
// archive behind the mark is not imported again.
type cursor struct {
	validity uint32
	next     imap.UID
	modseq   uint64
	mark     time.Time
}

// cursorKey is the sink key of a folder's cursor.
func cursorKey(folder string) string { return "folder:" + folder }

// encode writes the cursor as "v1 <uidvalidity> <next uid> <highestmodseq>
// <mark, unix seconds>": versioned so a later format can still read it.
func (c cursor) encode() []byte {
	return fmt.Appendf(nil, "v1 %d %d %d %d", c.validity, c.next, c.modseq, c.mark.Unix())
}

// decodeCursor reads a stored cursor.
func decodeCursor(b []byte) (cursor, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 || f[0] != "v1" {
		return cursor{}, fmt.Errorf("cursor %q: unknown version", b)
	}
	if len(f) != 5 {
		return cursor{}, fmt.Errorf("cursor %q: want 5 fields", b)
	}
	var n [4]uint64
	for i := range n {
		v, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cursor{}, fmt.Errorf("cursor %q: %w", b, err)
		}
		n[i] = v
	}
	if n[0] > 1<<32-1 || n[1] > 1<<32 {
		return cursor{}, fmt.Errorf("cursor %q: out of range", b)
	}
	return cursor{validity: uint32(n[0]), next: imap.UID(n[1]), modseq: n[2], mark: time.Unix(int64(n[3]), 0)}, nil
}

// placeholders of Options.LinkTemplate.
var placeholders = []string{"message_id", "message_id_q", "message_id_p", "folder", "folder_q", "uid", "uidvalidity"}

// checkTemplate rejects unknown or unclosed placeholders.
func checkTemplate(t string) error {
	rest := t
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("unclosed { in %q", t)
		}
		name := rest[i+1 : i+j]
		known := false
		for _, p := range placeholders {
			known = known || p == name
		}
		if !known {
			return fmt.Errorf("unknown placeholder {%s} (known: {%s})", name, strings.Join(placeholders, "}, {"))
		}
		rest = rest[i+j+1:]
	}
}

// link fills the link template for one message. A template that needs the
// Message-ID gets an RFC 5092 imap:// URL instead when there is none.
func (c *Connector) link(folder string, validity uint32, uid imap.UID, msgID string) string {
	t := c.opt.LinkTemplate
	if msgID == "" && strings.Contains(t, "{message_id") {
		return (&url.URL{
			Scheme: "imap",
			User:   url.User(c.opt.Username),
			Host:   c.addr,
			Path:   "/" + folder + fmt.Sprintf(";UIDVALIDITY=%d/;UID=%d", validity, uid),
		}).String()
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}') // checkTemplate made sure it exists
		b.WriteString(t[:i])
		switch t[i+1 : i+j] {
		case "message_id":
			b.WriteString(msgID)
		case "message_id_q":
			b.WriteString(url.QueryEscape(msgID))
		case "message_id_p":
			b.WriteString(url.PathEscape(msgID))
		case "folder":
			b.WriteString(folder)
		case "folder_q":
			b.WriteString(url.QueryEscape(folder))
		case "uid":
			b.WriteString(strconv.FormatUint(uint64(uid), 10))
		case "uidvalidity":
			b.WriteString(strconv.FormatUint(uint64(validity), 10))
		}
		t = t[i+j+1:]
	}
}
