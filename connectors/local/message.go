package local

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sluice-app/sluice/app/model"
)

// Message is one pushed notification (model.Push).
type Message = model.Push

// Errors ToItem returns (wrapped), for callers that map them to a status.
var (
	ErrNoTitle  = errors.New("missing title and body")
	ErrBadLink  = errors.New("bad link")
	ErrBadID    = errors.New("bad id")
	ErrLongBody = fmt.Errorf("body longer than %d bytes", model.BodyMax)
)

// Limits on what a message may carry. Longer titles, names and channels are
// cut rather than refused: a script should not fail over a long subject.
const (
	DefaultChannel = "inbox"
	titleMax       = 300  // runes, for an explicit title
	bodyTitleMax   = 120  // runes, for a title taken from the body's first line
	nameMax        = 200  // runes, sender name and address
	channelMax     = 100  // runes
	linkMax        = 4096 // bytes; longer links are refused, a cut link is useless
	idMax          = 256  // bytes
)

// ToItem turns a message into an item for account, received at now. The
// item's SourceID is msg.ID when set (so a retried push is de-duplicated
// by the store), else a fresh random id. A message without a title takes
// the first line of its body as title; one with neither is ErrNoTitle.
// The text is passed on as sent, only cut to length: the gate gives the
// item its ID, cleans every field and makes the snippet from the body. A
// body longer than model.BodyMax is refused (ErrLongBody) rather than cut.
func ToItem(account string, msg Message, now time.Time) (model.Item, error) {
	if len(msg.Body) > model.BodyMax {
		return model.Item{}, ErrLongBody
	}
	title := strings.TrimSpace(msg.Title)
	if model.Blank(title) {
		title = firstLine(msg.Body)
	}
	if model.Blank(title) {
		return model.Item{}, ErrNoTitle
	}
	title = cut(title, titleMax)

	link, err := checkLink(msg.Link)
	if err != nil {
		return model.Item{}, err
	}

	sourceID := msg.ID
	switch {
	case sourceID == "":
		sourceID = randomID()
	case len(sourceID) > idMax:
		return model.Item{}, fmt.Errorf("%w: longer than %d bytes", ErrBadID, idMax)
	case strings.TrimSpace(model.CleanKey(sourceID)) == "":
		return model.Item{}, fmt.Errorf("%w: blank", ErrBadID)
	}

	channel := cut(strings.TrimSpace(msg.Channel), channelMax)
	if model.Blank(channel) {
		channel = DefaultChannel
	}
	name, addr := parseFrom(msg.From)

	return model.Item{
		Kind:       model.KindLocal,
		Account:    account,
		SourceID:   sourceID,
		Channel:    channel,
		FromName:   name,
		FromAddr:   addr,
		Subject:    title,
		Body:       msg.Body,
		Link:       link,
		UrgentHint: msg.Urgent,
		Received:   now,
	}, nil
}

// firstLine is the body's first non-blank line, cut to bodyTitleMax runes.
func firstLine(body string) string {
	for line := range strings.Lines(body) {
		if !model.Blank(line) {
			return cut(strings.TrimSpace(line), bodyTitleMax)
		}
	}
	return ""
}

// cut shortens s to at most max runes, ending in "…" when it cut.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:max-1]), unicode.IsSpace) + "…"
}

// parseFrom splits "Name <addr>", "addr" or "Name" into name and address.
func parseFrom(from string) (name, addr string) {
	from = strings.TrimSpace(from)
	if from == "" {
		return "", ""
	}
	if a, err := mail.ParseAddress(from); err == nil {
		return cut(strings.TrimSpace(a.Name), nameMax), cut(strings.TrimSpace(a.Address), nameMax)
	}
	// Forms net/mail is strict about, e.g. "Build Bot [CI] <ci@x>" or a
	// bare handle: take what is between the angle brackets as the address.
	if i := strings.LastIndexByte(from, '<'); i >= 0 && strings.HasSuffix(from, ">") {
		name = strings.Trim(strings.TrimSpace(from[:i]), `"`)
		addr = from[i+1 : len(from)-1]
	} else {
		name = from
	}
	return cut(strings.TrimSpace(name), nameMax), cut(strings.TrimSpace(addr), nameMax)
}

// blockedSchemes are link schemes that run code or embed content when
// opened, instead of pointing somewhere.
var blockedSchemes = map[string]bool{"javascript": true, "vbscript": true, "data": true, "blob": true}

// checkLink accepts an absolute URL with a scheme that points somewhere
// (http, https, mailto, slack:, file:, …) and refuses script and data URLs.
func checkLink(link string) (string, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", nil
	}
	if len(link) > linkMax {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadLink, linkMax)
	}
	if strings.ContainsFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", fmt.Errorf("%w: contains white space or control characters", ErrBadLink)
	}
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadLink, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "":
		return "", fmt.Errorf("%w: %q has no scheme (want e.g. https://…)", ErrBadLink, link)
	case blockedSchemes[scheme]:
		return "", fmt.Errorf("%w: %s: links are not allowed", ErrBadLink, scheme)
	case (scheme == "http" || scheme == "https") && u.Host == "":
		return "", fmt.Errorf("%w: %q has no host", ErrBadLink, link)
	}
	return link, nil
}

// randomID is a fresh source id: 16 random bytes in hex.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts instead)
	return hex.EncodeToString(b[:])
}

// GenerateToken returns a new random bearer token (32 bytes, base64url
// without padding) for the local inbox's first start.
func GenerateToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
