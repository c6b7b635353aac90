package imap

import (
	"time"
)

// Message is what Sluice reads from one mail message: the fields an item
// needs, decoded to clean UTF-8.
type Message struct {
	MessageID  string    // without angle brackets; "" when absent
	InReplyTo  string    // first id of In-Reply-To, without angle brackets
	References []string  // ids of References, oldest first
	Subject    string    // decoded, one line
	FromName   string    // decoded display name of the first From address
	FromAddr   string    // its address
	Date       time.Time // the Date header; zero when missing or unreadable
	Urgent     bool      // the sender flagged it (X-Priority 1–2, Importance: high, Priority: urgent)
	Snippet    string    // the text of the first text part, quotes and signature cut, not yet cleaned into a line (the gate does)
}

// Thread is the conversation key: the root of References, else In-Reply-To,
// else the message's own Message-ID.
func (m Message) Thread() string {
	switch {
	case len(m.References) > 0:
		return m.References[0]
	case m.InReplyTo != "":
		return m.InReplyTo
	default:
		return m.MessageID
	}
}

// ParseMessage reads raw RFC 5322 bytes (a whole message, or a prefix of one
// cut at any byte) into a Message. It never fails and never panics: whatever
// could not be read is left empty.
func ParseMessage(raw []byte) (m Message) {
	defer func() {
		_ = recover() // keep the fields read before the fault
	}()
	return parseMessage(raw, len(raw) >= maxParseBytes)
}

// maxParseBytes bounds how much of a message the parser looks at.
const maxParseBytes = 1 << 20

// parseMessage is ParseMessage without the recover, so the fuzz target sees
// every panic. truncated says raw may end in the middle of a part.
func parseMessage(raw []byte, truncated bool) Message {
	if len(raw) > maxParseBytes {
		raw, truncated = raw[:maxParseBytes], true
	}
	h, body := parseHeader(raw)
	m := headerMessage(h)
	m.Snippet = entitySnippet(h, body, truncated)
	return m
}
