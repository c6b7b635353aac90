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
//
// legacy is set for a folder that was synced before items had their present
// identity (see sourceID): messages with an INTERNALDATE up to it may be
// stored under their old source ID, and keep it, so a resync does not store
// them a second time. It is zero for folders first synced since.
type cursor struct {
	validity uint32
	next     imap.UID
	modseq   uint64
	mark     time.Time
	legacy   time.Time
}

// cursorKey is the sink key of a folder's cursor.
func cursorKey(folder string) string { return "folder:" + folder }

// encode writes the cursor as "v2 <uidvalidity> <next uid> <highestmodseq>
// <mark> <legacy>", times in unix seconds and legacy 0 when unset:
// versioned so a later format can still read it.
func (c cursor) encode() []byte {
	var legacy int64
	if !c.legacy.IsZero() {
		legacy = c.legacy.Unix()
	}
	return fmt.Appendf(nil, "v2 %d %d %d %d %d", c.validity, c.next, c.modseq, c.mark.Unix(), legacy)
}

// decodeCursor reads a stored cursor. A "v1" cursor (without legacy) was
// written by a version that gave items their old identity: every message up
// to its mark was seen that way, so its mark becomes the legacy time.
func decodeCursor(b []byte) (cursor, error) {
	f := strings.Fields(string(b))
	want := 0
	if len(f) > 0 {
		want = map[string]int{"v1": 5, "v2": 6}[f[0]]
	}
	if want == 0 {
		return cursor{}, fmt.Errorf("cursor %q: unknown version", b)
	}
	if len(f) != want {
		return cursor{}, fmt.Errorf("cursor %q: want %d fields", b, want)
	}
	n := make([]uint64, want-1)
	for i := range n {
		v, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cursor{}, fmt.Errorf("cursor %q: %w", b, err)
		}
		n[i] = v
	}
	if n[0] > 1<<32-1 || n[1] > 1<<32 || n[3] > 1<<62 {
		return cursor{}, fmt.Errorf("cursor %q: out of range", b)
	}
	c := cursor{validity: uint32(n[0]), next: imap.UID(n[1]), modseq: n[2], mark: time.Unix(int64(n[3]), 0)}
	switch {
	case f[0] == "v1":
		c.legacy = c.mark
	case n[4] > 1<<62:
		return cursor{}, fmt.Errorf("cursor %q: out of range", b)
	case n[4] != 0:
		c.legacy = time.Unix(int64(n[4]), 0)
	}
	return c, nil
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
