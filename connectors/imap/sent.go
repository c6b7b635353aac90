package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/model"
)

// Knowing what was answered. Every item from a person carries its
// Message-ID as its ReplyKey. The account's Sent folder (the one flagged
// \Sent, RFC 6154, or Options.SentFolder) is watched like any other folder,
// over its own connection, but what it yields are the user's replies: each
// new message's In-Reply-To and References ids, reported through the sink
// with the folder's cursor. Mail sent from the phone lands there too, so
// it counts as well. The first sync only records where the folder stands.

// sentFields are the header fields fetched from sent mail.
var sentFields = []string{"Message-ID", "In-Reply-To", "References", "Date"}

// bulkFields are the header fields that mark mail nobody waits an answer
// to: list mail, bulk mail, robots. They are fetched apart from
// headerFields, whose bytes are part of an item's identity.
var bulkFields = []string{"List-Id", "List-Unsubscribe", "List-Post", "Precedence", "Auto-Submitted", "X-Auto-Response-Suppress"}

// noReplyLocal are local parts of robot senders (as the auto-reply knows them).
var noReplyLocal = []string{"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"mailer-daemon", "postmaster", "bounce", "notification", "notifications"}

// isBulkSection reports whether a fetched section is the bulk fields.
func isBulkSection(sec *imap.FetchItemBodySection) bool {
	return sec.Specifier == imap.PartSpecifierHeader && len(sec.HeaderFields) > 0 &&
		strings.EqualFold(sec.HeaderFields[0], bulkFields[0])
}

// replyKey is what a reply to m names, or "" for mail that expects none:
// no Message-ID, list or bulk mail, an automatic message, a robot sender,
// or the user's own mail.
func (c *Connector) replyKey(m Message, bulk []byte) string {
	if m.MessageID == "" {
		return ""
	}
	h, _ := parseHeader(bulk)
	for _, f := range h {
		switch f.name {
		case "list-id", "list-unsubscribe", "list-post":
			return ""
		case "precedence":
			if v := strings.ToLower(f.value); strings.Contains(v, "bulk") || strings.Contains(v, "list") || strings.Contains(v, "junk") {
				return ""
			}
		case "auto-submitted":
			if !strings.EqualFold(strings.TrimSpace(f.value), "no") {
				return ""
			}
		case "x-auto-response-suppress":
			if v := strings.ToLower(f.value); strings.Contains(v, "all") || strings.Contains(v, "autoreply") {
				return ""
			}
		}
	}
	addr := strings.ToLower(m.FromAddr)
	local, _, _ := strings.Cut(addr, "@")
	for _, r := range noReplyLocal {
		if strings.Contains(local, r) {
			return ""
		}
	}
	if addr == "" || strings.EqualFold(addr, c.opt.Username) {
		return ""
	}
	return m.MessageID
}

// sentCursorKey is the sink key of the Sent folder's cursor: apart from
// the items' folders, in case the user watches Sent for items too.
func sentCursorKey(folder string) string { return "sent:" + folder }

// cursorKey is the sink key of this folder's cursor.
func (f *folder) cursorKey() string {
	if f.sent {
		return sentCursorKey(f.name)
	}
	return cursorKey(f.name)
}

// watchSent finds the Sent folder (unless Options.SentFolder names it)
// and watches it for the user's replies until ctx is done. Without a
// Sent folder it says so once and waits for Wake (the user may create
// one, or name it).
func (r *run) watchSent(ctx context.Context) {
	c := r.c
	wake := c.addWaker()
	defer c.removeWaker(wake)
	name := strings.TrimSpace(c.opt.SentFolder)
	for attempt := 0; name == "" && ctx.Err() == nil; {
		var err error
		name, err = r.findSent(ctx)
		switch {
		case err == nil && name != "":
		case err == nil:
			c.log.Info("no Sent folder (SPECIAL-USE \\Sent) on the server: replies are not seen; name one with sent_folder")
			r.setSent("", "no Sent folder found (set sent_folder)")
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
		default:
			// The folder watchers report login and network trouble.
			delay := backoff(c.opt.BackoffBase, c.opt.BackoffCap, attempt)
			attempt++
			if errors.Is(err, ErrAuth) {
				delay = c.opt.BackoffCap
			}
			woke, done := pause(ctx, c.clk, delay, wake)
			if done {
				return
			}
			if woke {
				attempt = 0
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	r.setSent(name, "")
	w := &watcher{r: r, f: &folder{c: c, sink: r.sink, name: name, sent: true}, wake: wake}
	w.loop(ctx)
}

// findSent logs in and asks the server for the folder flagged \Sent.
func (r *run) findSent(ctx context.Context) (string, error) {
	k, err := r.login(ctx)
	if err != nil {
		return "", err
	}
	defer k.logout()
	var boxes []*imap.ListData
	err = k.guard(func() error {
		var err error
		opts := &imap.ListOptions{}
		if k.caps.Has(imap.CapSpecialUse) || k.caps.Has(imap.CapListExtended) {
			opts.ReturnSpecialUse = true
		}
		boxes, err = k.cl.List("", "*", opts).Collect()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("list folders: %w", err)
	}
	for _, b := range boxes {
		for _, a := range b.Attrs {
			if a == imap.MailboxAttrSent {
				return b.Mailbox, nil
			}
		}
	}
	return "", nil
}

// fetchSent fetches what a reply needs of each sent message: the fields
// that name what it answers, and its INTERNALDATE.
func (f *folder) fetchSent(k *conn, uids []imap.UID) ([]*fetched, error) {
	opts := &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{
			{Specifier: imap.PartSpecifierHeader, HeaderFields: sentFields, Peek: true, Partial: &imap.SectionPartial{Size: maxHeaderBytes}},
		},
	}
	return f.stream(k, imap.UIDSetNum(uids...), opts, func(m *fetched, _ *imap.FetchItemBodySection, b []byte) {
		m.header = b
	})
}

// replies turns sent messages into the replies they are: one per message
// id in In-Reply-To and References, sent at the message's Date (or when
// the server stored it, when the Date is missing or later than that).
func (f *folder) replies(msgs []*fetched) []model.Reply {
	var out []model.Reply
	for _, x := range msgs {
		h, _ := parseHeader(x.header)
		m := headerMessage(h)
		at := m.Date
		if at.IsZero() || (!x.date.IsZero() && at.After(x.date.Add(time.Hour))) {
			at = x.date
		}
		if at.IsZero() {
			continue
		}
		seen := map[string]bool{}
		for _, id := range append(msgIDs(h.get("in-reply-to")), m.References...) {
			if id != "" && !seen[id] && id != m.MessageID {
				seen[id] = true
				out = append(out, model.Reply{Key: id, At: at, Named: true})
			}
		}
	}
	return out
}

// commitSent hands the replies of a batch and the Sent folder's cursor to
// the sink in one batch.
func (f *folder) commitSent(ctx context.Context, replies []model.Reply, cur cursor) error {
	if cur.mark.IsZero() {
		cur.mark = f.c.clk.Now()
	}
	b := model.Batch{
		Account: f.c.opt.Account,
		Replies: replies,
		Cursors: []model.Cursor{{Account: f.c.opt.Account, Key: f.cursorKey(), Value: cur.encode()}},
	}
	if err := f.sink.Ingest(ctx, b); err != nil {
		return fmt.Errorf("ingest %d replies from %q: %w", len(replies), f.name, err)
	}
	f.cur = &cur
	return nil
}

// setSent records which folder holds the replies (or why none does), for
// the account's health.
func (r *run) setSent(name, problem string) {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	r.sent, r.sentProblem = name, problem
	if name != "" {
		if _, ok := r.states[name]; !ok {
			r.states[name] = folderState{state: model.HealthStarting, detail: "connecting"}
		}
	}
	r.publishLocked()
}

// names are the folders whose states make the account's health: the
// watched ones and the Sent folder.
func (r *run) names() []string {
	if r.sent == "" || containsFolder(r.c.opt.Folders, r.sent) {
		return r.c.opt.Folders
	}
	return append(append([]string(nil), r.c.opt.Folders...), r.sent)
}

func containsFolder(list []string, name string) bool {
	for _, f := range list {
		if f == name {
			return true
		}
	}
	return false
}
