package imap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/model"
)

// folder is the sync state of one watched folder.
type folder struct {
	c    *Connector
	sink model.Sink
	name string
	cur  *cursor // nil until the first sync recorded a position
	read bool    // cur was loaded from the sink
	sent bool    // the Sent folder: its messages are the user's replies (sent.go)
}

// headerFields are the header fields fetched for an item. Reading them
// ourselves (rather than ENVELOPE) gives References for threading, the
// priority flags, and one decoding path shared with ParseMessage.
var headerFields = []string{
	"From", "Sender", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"Content-Type", "X-Priority", "Importance", "Priority",
}

// maxHeaderBytes bounds the header fields fetched per message: the thread
// root comes first in References, so a cut-off tail loses nothing needed.
const maxHeaderBytes = 16 << 10

// load reads the folder's cursor from the sink once.
func (f *folder) load() error {
	if f.read {
		return nil
	}
	b, err := f.sink.Cursor(f.c.opt.Account, f.cursorKey())
	if err != nil {
		return fmt.Errorf("read cursor of %q: %w", f.name, err)
	}
	if b != nil {
		cur, err := decodeCursor(b)
		if err != nil {
			// Starting over as a first sync would flood the digest with the
			// archive under "all"; record the position instead.
			f.c.log.Warn("unreadable cursor; recording the folder's position afresh", "folder", f.name, "err", err)
		} else {
			f.cur = &cur
		}
	}
	f.read = true
	return nil
}

// sync brings the sink up to date with the folder: new messages since the
// cursor, a first sync, or a resync after a UIDVALIDITY change.
func (f *folder) sync(ctx context.Context, k *conn) error {
	mb, err := k.examine(f.name)
	if err != nil {
		return err
	}
	cur := f.cur
	switch {
	case cur == nil:
		return f.initial(ctx, k, mb)
	case cur.validity != mb.validity:
		return f.resync(ctx, k, mb)
	case mb.next != 0 && mb.next <= cur.next:
		return nil // nothing new: one EXAMINE is the whole check
	}
	hi := imap.UID(0)
	if mb.next != 0 {
		hi = mb.next - 1
	}
	uids, err := f.rangeUIDs(k, cur.next, hi)
	if err != nil {
		return err
	}
	return f.fetch(ctx, k, mb, uids, *cur, false)
}

// initial is the first sync of a folder, as Options.Initial says.
func (f *folder) initial(ctx context.Context, k *conn, mb mailbox) error {
	start := cursor{validity: mb.validity, next: mb.next, modseq: mb.modseq}
	var uids []imap.UID
	var err error
	mode := f.c.opt.Initial.Mode
	if f.sent {
		mode = InitialNone // replies sent before the account was added answer nothing Sluice holds
	}
	switch mode {
	case InitialAll:
		if mb.count > 0 {
			uids, err = f.rangeUIDs(k, 1, max(mb.next, 1)-1)
		}
	case InitialNewest:
		if mb.count > 0 {
			lo := uint32(1)
			if n := uint32(f.c.opt.Initial.Newest); mb.count > n {
				lo = mb.count - n + 1
			}
			uids, err = f.search(k, &imap.SearchCriteria{SeqNum: []imap.SeqSet{{{Start: lo, Stop: mb.count}}}})
		}
	case InitialSince:
		if mb.count > 0 {
			uids, err = f.search(k, &imap.SearchCriteria{Since: f.c.opt.Initial.Since})
		}
	}
	if err != nil {
		return err
	}
	if len(uids) == 0 {
		// Record where the folder stands: the newest message's date marks it.
		start.mark, start.next, err = f.newest(k, mb)
		if err != nil {
			return err
		}
		f.c.log.Info("first sync: recorded the folder's position", "folder", f.name, "messages", mb.count)
		return f.commit(ctx, nil, start)
	}
	start.next = 1
	f.c.log.Info("first sync: importing", "folder", f.name, "mode", f.c.opt.Initial.Mode, "messages", len(uids))
	return f.fetch(ctx, k, mb, uids, start, false)
}

// resync follows a UIDVALIDITY change: every remembered UID is void, so the
// folder is searched again from the cursor's mark (the newest INTERNALDATE
// seen, with a day of margin because SEARCH SINCE counts whole days), and
// messages older than the mark are left out. Items keep their IDs (see
// sourceID), so what the store already holds is not duplicated.
func (f *folder) resync(ctx context.Context, k *conn, mb mailbox) error {
	old := *f.cur
	f.c.log.Warn("UIDVALIDITY changed; resyncing the folder from its mark", "folder", f.name,
		"old", old.validity, "new", mb.validity, "mark", old.mark)
	start := cursor{validity: mb.validity, next: 1, modseq: mb.modseq, mark: old.mark, legacy: old.legacy}
	var uids []imap.UID
	if mb.count > 0 {
		var err error
		uids, err = f.search(k, &imap.SearchCriteria{Since: old.mark.Add(-24 * time.Hour)})
		if err != nil {
			return err
		}
	}
	if len(uids) == 0 {
		var err error
		_, start.next, err = f.newest(k, mb)
		if err != nil {
			return err
		}
		return f.commit(ctx, nil, start)
	}
	return f.fetch(ctx, k, mb, uids, start, true)
}

// newest returns the newest message's INTERNALDATE (now for an empty folder)
// and the UID after it, for servers that do not send UIDNEXT.
func (f *folder) newest(k *conn, mb mailbox) (time.Time, imap.UID, error) {
	mark, next := f.c.clk.Now(), mb.next
	if mb.count == 0 {
		return mark, max(next, 1), nil
	}
	var msgs []fetchedMeta
	err := k.guard(func() error {
		var err error
		msgs, err = fetchMeta(k, imap.SeqSet{{Start: mb.count, Stop: mb.count}})
		return err
	})
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("fetch newest of %q: %w", f.name, err)
	}
	for _, m := range msgs {
		if !m.date.IsZero() {
			mark = m.date
		}
		if next == 0 || m.uid >= next {
			next = m.uid + 1
		}
	}
	return mark, max(next, 1), nil
}

// fetchedMeta is a message's UID and INTERNALDATE.
type fetchedMeta struct {
	uid  imap.UID
	date time.Time
}

func fetchMeta(k *conn, set imap.NumSet) ([]fetchedMeta, error) {
	bufs, err := k.cl.Fetch(set, &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, err
	}
	out := make([]fetchedMeta, 0, len(bufs))
	for _, b := range bufs {
		out = append(out, fetchedMeta{uid: b.UID, date: b.InternalDate})
	}
	return out, nil
}

// rangeUIDs lists the UIDs from lo to hi (hi 0: to the end). A short range is
// used as it is; a long one is searched first, so a sparse folder does not
// cost one FETCH per empty stretch.
func (f *folder) rangeUIDs(k *conn, lo, hi imap.UID) ([]imap.UID, error) {
	if hi != 0 && hi < lo {
		return nil, nil
	}
	if hi != 0 && int(hi-lo) < 2*f.c.opt.FetchBatch {
		uids := make([]imap.UID, 0, hi-lo+1)
		for u := lo; u <= hi; u++ {
			uids = append(uids, u)
		}
		return uids, nil
	}
	uids, err := f.search(k, &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: lo, Stop: hi}}}})
	if err != nil {
		return nil, err
	}
	// "UID SEARCH n:*" also matches the newest message when n is past it.
	return slices.DeleteFunc(uids, func(u imap.UID) bool { return u < lo }), nil
}

// search runs UID SEARCH and returns the UIDs in ascending order.
func (f *folder) search(k *conn, crit *imap.SearchCriteria) ([]imap.UID, error) {
	var opts *imap.SearchOptions
	if k.caps.Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	var data *imap.SearchData
	err := k.guard(func() error {
		var err error
		data, err = k.cl.UIDSearch(crit, opts).Wait()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", f.name, err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetched is what the fetch of one message brought back.
type fetched struct {
	uid    imap.UID
	date   time.Time // INTERNALDATE
	size   int64     // RFC822.SIZE
	bs     imap.BodyStructure
	header []byte // the headerFields
	bulk   []byte // the bulkFields (sent.go)
	full   []byte // the whole header, fetched only for a message without Message-ID
	part1  []byte // speculative prefix of part 1, the text part of most mail
	body   []byte // prefix of the chosen text part
	text   []byte // prefix of the whole body, for MIME the server could not split
	leaf   *imap.BodyStructureSinglePart
	path   []int
	names  []string // attachment file names
}

// fetch fetches uids in batches and hands each batch with its cursor to the
// sink. base is the cursor the batches advance; the last batch also moves
// next to the folder's UIDNEXT. With resync, messages older than base.mark
// are skipped.
//
// Fetching and storing overlap: while one batch is parsed and stored (an
// fsync), the next is already on the wire. Batches are still committed in
// order, so the cursor never passes a message that is not stored.
func (f *folder) fetch(ctx context.Context, k *conn, mb mailbox, uids []imap.UID, base cursor, resync bool) error {
	if len(uids) == 0 {
		// UIDNEXT moved but the messages are gone (expunged meanwhile):
		// remember that, so they are not looked for again.
		base.next, base.modseq = max(base.next, mb.next), mb.modseq
		return f.commit(ctx, nil, base)
	}
	type batch struct {
		chunk []imap.UID
		msgs  []*fetched
		err   error
	}
	batches := make(chan batch)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		rest := uids
		for len(rest) > 0 {
			n := min(len(rest), f.c.opt.FetchBatch)
			chunk := rest[:n]
			rest = rest[n:]
			msgs, err := f.fetchChunk(k, chunk)
			select {
			case batches <- batch{chunk, msgs, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	cur := base
	last := uids[len(uids)-1]
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		var keep []*fetched
		for _, m := range b.msgs {
			if m.uid < base.next {
				continue
			}
			if m.date.After(cur.mark) {
				cur.mark = m.date
			}
			if resync && m.date.Before(base.mark) {
				continue
			}
			keep = append(keep, m)
		}
		cur.next = max(cur.next, b.chunk[len(b.chunk)-1]+1)
		if b.chunk[len(b.chunk)-1] == last {
			cur.next = max(cur.next, mb.next)
			cur.modseq = mb.modseq
		}
		if f.sent {
			if err := f.commitSent(ctx, f.replies(keep), cur); err != nil {
				return err
			}
			continue
		}
		built := f.items(epoch{validity: mb.validity, legacy: base.legacy}, keep)
		items := make([]model.Item, 0, len(built))
		seen := make(map[string]bool, len(built))
		for _, it := range built {
			// One item per message: a batch offers each source ID once.
			if !seen[it.SourceID] {
				seen[it.SourceID] = true
				items = append(items, it)
			}
		}
		if err := f.commitUIDs(ctx, items, uidsOf(keep, built), cur); err != nil {
			// The deferred close(stop) ends the fetcher; the session closes
			// the connection under a FETCH it may still be reading.
			return err
		}
	}
	return nil
}

// epoch is what an item's identity depends on besides the message: the
// folder's UIDVALIDITY (for the last-resort source ID) and its legacy time
// (see cursor).
type epoch struct {
	validity uint32
	legacy   time.Time
}

// items builds the items of a batch in order, on all CPUs: parsing and
// decoding is most of a large sync's own work.
func (f *folder) items(ep epoch, msgs []*fetched) []model.Item {
	out := make([]model.Item, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), 4, max(1, len(msgs)/32))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(msgs); i += workers {
				out[i] = f.item(ep, msgs[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// commit hands items and the cursor they advance to the sink in one batch.
func (f *folder) commit(ctx context.Context, items []model.Item, cur cursor) error {
	return f.commitUIDs(ctx, items, nil, cur)
}

// commitUIDs is commit, knowing each item's UIDs (for holding on the server).
func (f *folder) commitUIDs(ctx context.Context, items []model.Item, uids map[string][]imap.UID, cur cursor) error {
	if cur.mark.IsZero() {
		cur.mark = f.c.clk.Now()
	}
	if f.sent {
		return f.commitSent(ctx, nil, cur)
	}
	b := model.Batch{
		Account: f.c.opt.Account,
		Items:   items,
		Cursors: []model.Cursor{{Account: f.c.opt.Account, Key: cursorKey(f.name), Value: cur.encode()}},
	}
	if err := f.c.ingest(ctx, f, b, cur, uids); err != nil {
		return fmt.Errorf("ingest %d items from %q: %w", len(items), f.name, err)
	}
	f.cur = &cur
	return nil
}

// fetchChunk fetches one batch in (usually) one round trip: the header
// fields, INTERNALDATE, RFC822.SIZE, BODYSTRUCTURE and a prefix of part 1.
// Messages whose text is elsewhere get a second FETCH per part path, and
// messages without a Message-ID one more for their whole header (see
// sourceID). Commands are never
// pipelined: Dovecot answers pipelined FETCHes in parallel, and reading
// them one after the other would deadlock the client.
func (f *folder) fetchChunk(k *conn, uids []imap.UID) ([]*fetched, error) {
	if f.sent {
		return f.fetchSent(k, uids)
	}
	msgs, err := f.fetchItems(k, uids)
	if err != nil {
		return nil, err
	}
	return f.dropVanished(k, msgs)
}

// fetchItems is fetchChunk's rounds of FETCH.
func (f *folder) fetchItems(k *conn, uids []imap.UID) ([]*fetched, error) {
	msgs, err := f.fetchFirst(k, uids)
	if err != nil {
		return nil, err
	}
	if err := f.fetchTexts(k, msgs); err != nil {
		return nil, err
	}
	// Broken MIME (a boundary that never occurs, none at all) leaves the
	// server's structure without a usable part: read a prefix of the raw
	// body instead and split it ourselves.
	err = f.fetchSection(k, msgs, needsRaw, imap.PartSpecifierText, 4*int64(f.c.opt.SnippetBytes),
		func(m *fetched, b []byte) { m.text = b })
	if err != nil {
		return nil, err
	}
	// A message without Message-ID is known by its content alone: fetch
	// its whole header for the fingerprint.
	err = f.fetchSection(k, msgs, func(m *fetched) bool { return !hasMessageID(m.header) }, imap.PartSpecifierHeader, maxHeaderBytes,
		func(m *fetched, b []byte) { m.full = b })
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// incomplete reports an answer that lacks what every message has: a size,
// a date, a structure and a header.
func (m *fetched) incomplete() bool {
	return m.size <= 0 || m.date.IsZero() || m.bs == nil || m.header == nil
}

// dropVanished deals with what a server answers for a message that another
// client expunged while this connection still had it in view: RFC 2180
// (4.1.3) lets it send empty data, and Dovecot answers with the cached
// header fields, RFC822.SIZE 0 and an empty body. Such an answer must not
// become an item: its identity (see sourceID) would be made up, and two
// Sluices on one account once stored every message they had both released
// twice, the second time from the copy one of them had just removed. After
// a NOOP (which lets the server report the expunges) what is gone is left
// out, and what is still there is fetched again and taken as it comes.
func (f *folder) dropVanished(k *conn, msgs []*fetched) ([]*fetched, error) {
	var doubt []imap.UID
	for _, m := range msgs {
		if m.incomplete() {
			doubt = append(doubt, m.uid)
		}
	}
	if len(doubt) == 0 {
		return msgs, nil
	}
	if err := k.guard(func() error { return k.cl.Noop().Wait() }); err != nil {
		return nil, fmt.Errorf("check %d messages that came back empty: %w", len(doubt), err)
	}
	live, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(doubt...)}})
	if err != nil {
		return nil, fmt.Errorf("check %d messages that came back empty: %w", len(doubt), err)
	}
	var again []*fetched
	if len(live) > 0 {
		if again, err = f.fetchItems(k, live); err != nil {
			return nil, err
		}
	}
	byUID := make(map[imap.UID]*fetched, len(again))
	for _, m := range again {
		byUID[m.uid] = m
	}
	out := make([]*fetched, 0, len(msgs))
	for _, m := range msgs {
		switch {
		case !m.incomplete():
			out = append(out, m)
		case byUID[m.uid] != nil:
			out = append(out, byUID[m.uid])
		}
	}
	if gone := len(msgs) - len(out); gone > 0 {
		f.c.log.Debug("left out messages expunged while they were fetched", "folder", f.name, "messages", gone)
	}
	return out, nil
}

// fetchFirst is the one FETCH every message gets: INTERNALDATE,
// RFC822.SIZE, BODYSTRUCTURE, the header fields an item needs (and those
// that mark bulk mail, sent.go) and a prefix of part 1.
func (f *folder) fetchFirst(k *conn, uids []imap.UID) ([]*fetched, error) {
	opts := &imap.FetchOptions{
		UID:           true,
		InternalDate:  true,
		RFC822Size:    true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection: []*imap.FetchItemBodySection{
			{Specifier: imap.PartSpecifierHeader, HeaderFields: headerFields, Peek: true, Partial: &imap.SectionPartial{Size: maxHeaderBytes}},
			{Part: []int{1}, Peek: true, Partial: &imap.SectionPartial{Size: int64(f.c.opt.SnippetBytes)}},
			{Specifier: imap.PartSpecifierHeader, HeaderFields: bulkFields, Peek: true, Partial: &imap.SectionPartial{Size: maxHeaderBytes}},
		},
	}
	return f.stream(k, imap.UIDSetNum(uids...), opts, func(m *fetched, sec *imap.FetchItemBodySection, b []byte) {
		switch {
		case isBulkSection(sec):
			m.bulk = b
		case sec.Specifier == imap.PartSpecifierHeader:
			m.header = b
		default:
			m.part1 = b
		}
	})
}

// fetchTexts chooses each message's text part and fetches a prefix of the
// ones part 1 did not already bring, grouped by part and size so that
// each group is one more FETCH.
func (f *folder) fetchTexts(k *conn, msgs []*fetched) error {
	size := int64(f.c.opt.SnippetBytes)
	type want struct {
		path string
		size int64
	}
	groups := map[want][]*fetched{}
	var order []want
	for _, m := range msgs {
		m.path, m.leaf, m.names = chooseText(m.bs)
		if m.leaf == nil {
			continue
		}
		n := size
		if m.leaf.MediaType() == "text/html" {
			n = 4 * size
		}
		if slices.Equal(m.path, []int{1}) && (int64(len(m.part1)) >= int64(m.leaf.Size) || n == size) {
			m.body = m.part1
			continue
		}
		w := want{path: pathString(m.path), size: n}
		if groups[w] == nil {
			order = append(order, w)
		}
		groups[w] = append(groups[w], m)
	}
	for _, w := range order {
		group := groups[w]
		byUID := make(map[imap.UID]*fetched, len(group))
		var set imap.UIDSet
		for _, m := range group {
			byUID[m.uid] = m
			set.AddNum(m.uid)
		}
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{
			{Part: group[0].path, Peek: true, Partial: &imap.SectionPartial{Size: w.size}},
		}}
		_, err := f.stream(k, set, opts, func(m *fetched, _ *imap.FetchItemBodySection, b []byte) {
			if orig := byUID[m.uid]; orig != nil {
				orig.body = b
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// fetchSection fetches a prefix of one section of the messages that need
// it, in one FETCH, and hands each its bytes.
func (f *folder) fetchSection(k *conn, msgs []*fetched, need func(*fetched) bool, spec imap.PartSpecifier, size int64, set func(*fetched, []byte)) error {
	var uids imap.UIDSet
	byUID := map[imap.UID]*fetched{}
	for _, m := range msgs {
		if need(m) {
			uids.AddNum(m.uid)
			byUID[m.uid] = m
		}
	}
	if len(uids) == 0 {
		return nil
	}
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{
		{Specifier: spec, Peek: true, Partial: &imap.SectionPartial{Size: size}},
	}}
	_, err := f.stream(k, uids, opts, func(m *fetched, _ *imap.FetchItemBodySection, b []byte) {
		if orig := byUID[m.uid]; orig != nil {
			set(orig, b)
		}
	})
	return err
}

// hasMessageID says whether header fields hold a usable Message-ID, as
// headerMessage reads it. Unreadable fields count as none.
func hasMessageID(fields []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	h, _ := parseHeader(fields)
	return firstMsgID(h.get("message-id")) != ""
}

// needsRaw says whether a multipart message's structure gave nothing to read:
// no text part and no attachment, or only an empty text part.
func needsRaw(m *fetched) bool {
	if m.bs == nil || !strings.HasPrefix(m.bs.MediaType(), "multipart/") {
		return false
	}
	if m.leaf == nil {
		return len(m.names) == 0
	}
	return m.leaf.Size == 0
}

// stream runs one UID FETCH and reads its answers as they arrive, feeding the
// watchdog after every message, so a long FETCH is fine but a stalled one is
// not.
func (f *folder) stream(k *conn, set imap.UIDSet, opts *imap.FetchOptions, section func(*fetched, *imap.FetchItemBodySection, []byte)) ([]*fetched, error) {
	t := k.watchdog(f.c.opt.CommandTimeout, k.expire)
	defer t.stop()
	cmd := k.cl.Fetch(set, opts)
	var out []*fetched
	byUID := map[imap.UID]*fetched{}
	var readErr error
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		t.feed()
		var (
			got      fetched // what this answer carried
			hasSize  bool
			sections []struct {
				sec *imap.FetchItemBodySection
				b   []byte
			}
		)
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				got.uid = it.UID
			case imapclient.FetchItemDataInternalDate:
				got.date = it.Time
			case imapclient.FetchItemDataRFC822Size:
				got.size, hasSize = it.Size, true
			case imapclient.FetchItemDataBodyStructure:
				got.bs = it.BodyStructure
			case imapclient.FetchItemDataBodySection:
				var b []byte
				if it.Literal != nil {
					b = make([]byte, min(it.Literal.Size(), 4*maxHeaderBytes))
					if _, err := io.ReadFull(it.Literal, b); err != nil && readErr == nil {
						readErr = err
					}
				}
				sections = append(sections, struct {
					sec *imap.FetchItemBodySection
					b   []byte
				}{it.Section, b})
			}
		}
		if got.uid == 0 || !set.Contains(got.uid) {
			continue // an unsolicited FETCH (flags changed by another client)
		}
		// A second FETCH for the same message (another client changed its
		// flags meanwhile, or the server split its answer) adds to the
		// first: one message is one record, whatever each answer carried.
		m := byUID[got.uid]
		if m == nil {
			m = &fetched{uid: got.uid}
			byUID[got.uid] = m
			out = append(out, m)
		}
		if !got.date.IsZero() {
			m.date = got.date
		}
		if hasSize {
			m.size = got.size
		}
		if got.bs != nil {
			m.bs = got.bs
		}
		for _, s := range sections {
			section(m, s.sec, s.b)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch from %q: %w", f.name, k.wrap(err))
	}
	if readErr != nil {
		return nil, fmt.Errorf("fetch from %q: %w", f.name, k.wrap(readErr))
	}
	return out, nil
}

func pathString(p []int) string {
	s := make([]string, len(p))
	for i, n := range p {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// chooseText picks the part a snippet comes from, by BODYSTRUCTURE: the first
// inline text/plain part, else the first inline HTML part, else enriched text
// or a calendar invite; attachments are never chosen, only named. It runs for
// every message, so it avoids allocating for parts it passes over.
func chooseText(bs imap.BodyStructure) (path []int, leaf *imap.BodyStructureSinglePart, names []string) {
	if bs == nil {
		return nil, nil, nil
	}
	var found [len(textKinds)]struct {
		path []int
		leaf *imap.BodyStructureSinglePart
	}
	var walk func(prefix []int, bs imap.BodyStructure, depth int)
	walk = func(prefix []int, bs imap.BodyStructure, depth int) {
		bs.Walk(func(p []int, part imap.BodyStructure) bool {
			sp, ok := part.(*imap.BodyStructureSinglePart)
			if !ok {
				return true
			}
			isText := strings.EqualFold(sp.Type, "text")
			disp := sp.Disposition()
			attached := disp != nil && strings.EqualFold(disp.Value, "attachment")
			if attached || !isText {
				if name := filename(sp); name != "" {
					if len(names) < 5 {
						names = append(names, name)
					}
					attached = true
				}
			}
			if attached {
				return true
			}
			if sp.MessageRFC822 != nil && sp.MessageRFC822.BodyStructure != nil && depth < maxDepth {
				walk(append(slices.Clone(prefix), p...), sp.MessageRFC822.BodyStructure, depth+1)
				return true
			}
			if !isText {
				return true
			}
			for i, k := range textKinds {
				if found[i].leaf == nil && strings.EqualFold(sp.Subtype, k) {
					found[i].path, found[i].leaf = append(slices.Clone(prefix), p...), sp
				}
			}
			return true
		})
	}
	walk(nil, bs, 0)
	for _, f := range found {
		if f.leaf != nil {
			return f.path, f.leaf, names
		}
	}
	if sp, ok := bs.(*imap.BodyStructureSinglePart); ok && len(names) == 0 && strings.EqualFold(sp.Type, "multipart") {
		// A multipart the server could not split (no boundary): read it raw.
		return []int{1}, sp, nil
	}
	return nil, nil, names
}

// textKinds are the text subtypes a snippet can come from, best first.
var textKinds = [...]string{"plain", "html", "enriched", "calendar"}

// filename is a part's file name, including RFC 2231 "filename*" values.
func filename(sp *imap.BodyStructureSinglePart) string {
	if n := sp.Filename(); n != "" {
		return cleanLine(n)
	}
	if sp.Extended == nil && len(sp.Params) == 0 {
		return ""
	}
	var params []map[string]string
	if d := sp.Disposition(); d != nil {
		params = append(params, d.Params)
	}
	params = append(params, sp.Params)
	for _, p := range params {
		for _, key := range []string{"filename*", "name*"} {
			if v, ok := p[key]; ok {
				return cleanLine(decode2231(v))
			}
		}
	}
	return ""
}

// decode2231 decodes an RFC 2231 extended value: charset'lang'percent-text.
func decode2231(v string) string {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 {
		return v
	}
	raw, err := url.PathUnescape(parts[2])
	if err != nil {
		return v
	}
	return toUTF8([]byte(raw), parts[0])
}

// item turns one fetched message into an item; a message that cannot be
// read fully still yields one with whatever could be read.
func (f *folder) item(ep epoch, x *fetched) (it model.Item) {
	var m Message
	defer func() {
		if r := recover(); r != nil {
			f.c.log.Warn("could not read a message; keeping what was read", "folder", f.name, "uid", x.uid, "panic", r)
			it = f.build(ep, x, m)
		}
	}()
	h, _ := parseHeader(x.header)
	m = headerMessage(h)
	switch {
	case x.text != nil:
		ct := x.bs.MediaType()
		if mp, ok := x.bs.(*imap.BodyStructureMultiPart); ok && mp.Extended != nil && mp.Extended.Params["boundary"] != "" {
			ct += fmt.Sprintf("; boundary=%q", mp.Extended.Params["boundary"])
		}
		m.Snippet = entitySnippet(header{{name: "content-type", value: ct}}, x.text, len(x.text) >= 4*f.c.opt.SnippetBytes)
	case x.leaf != nil:
		truncated := int64(len(x.body)) < int64(x.leaf.Size)
		s, err := partSnippet(x.body, x.leaf.MediaType(), x.leaf.Params, x.leaf.Encoding, truncated)
		if err != nil {
			f.c.log.Warn("could not read a message's text", "folder", f.name, "uid", x.uid, "err", err)
		}
		m.Snippet = s
	case len(x.names) > 0:
		m.Snippet = attachmentsText(x.names)
	}
	return f.build(ep, x, m)
}

func (f *folder) build(ep epoch, x *fetched, m Message) model.Item {
	validity := ep.validity
	var src string
	if !ep.legacy.IsZero() && !x.date.IsZero() && !x.date.After(ep.legacy) {
		// Seen, perhaps, by a version that named items differently: keep
		// that name, so the store recognises what it holds.
		src = legacySourceID(f.name, validity, x.uid, m)
	} else {
		src = sourceID(f.name, validity, x, m)
	}
	received := x.date
	if received.IsZero() {
		received = m.Date
	}
	if received.IsZero() {
		received = f.c.clk.Now()
	}
	return model.Item{
		Kind:       model.KindIMAP,
		Account:    f.c.opt.Account,
		SourceID:   src,
		Channel:    f.name,
		Thread:     m.Thread(),
		FromName:   m.FromName,
		FromAddr:   m.FromAddr,
		Subject:    m.Subject,
		Snippet:    m.Snippet,
		Link:       f.c.link(f.name, validity, x.uid, m.MessageID),
		ReplyKey:   f.c.replyKey(m, x.bulk),
		UrgentHint: m.Urgent,
		Received:   received,
	}
}

// sourceID is an item's identity in the account. Two fetched messages are
// one item only when they are provably the same message: the same
// Message-ID, if they have one, and the same content fingerprint.
// Message-IDs are not unique in practice (broken mailers and test tools
// reuse them), and keying on them alone once merged distinct mail into one
// item and lost the rest.
//
// The fingerprint must come out the same for the same message seen in two
// watched folders and re-listed after a UIDVALIDITY change, so it is made of
// the message's content only, never its folder, UID, flags or INTERNALDATE
// (servers should, but need not, keep the date on COPY):
//   - RFC822.SIZE, the size of the message as the server delivers it;
//   - the raw header fields fetched for the item (From, Subject, Date,
//     Content-Type with its MIME boundary, …);
//   - the first fpBodyBytes of part 1, so bodies of equal size differ.
//
// COPY and MOVE keep a message's bytes (RFC 3501 §6.4.7): Dovecot links or
// copies the file and reports the same size in every folder, Gmail shows one
// message under two labels, and a UIDVALIDITY change renumbers messages
// without rewriting them. A server that does rewrite a copy (adds a header of
// its own, or only estimates RFC822.SIZE) makes the copies two items: a
// duplicate, never a loss.
//
// A message without Message-ID has nothing but its content to go by, so its
// fingerprint covers the whole header instead of the item's fields: the
// Received lines tell two deliveries of the same text apart, while a copy
// carries the same ones. If even the header could not be read, the folder,
// UIDVALIDITY and UID are the last resort.
func sourceID(folder string, validity uint32, x *fetched, m Message) string {
	if m.MessageID != "" {
		return "mid:" + m.MessageID + "#" + fingerprint(x.size, x.header, x.part1)
	}
	if len(x.full) > 0 {
		return "msg:" + fingerprint(x.size, x.full, x.part1)
	}
	return fmt.Sprintf("uid:%s/%d/%d", folder, validity, x.uid)
}

// fpBodyBytes is how much of part 1 the fingerprint covers: within what is
// fetched for the snippet anyway, and fixed, so the identity does not move
// when the snippet size does.
const fpBodyBytes = 1024

// fingerprint digests a message's size, a header block and a body prefix.
func fingerprint(size int64, header, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%d\x00", size, len(header))
	h.Write(header)
	h.Write(body[:min(len(body), fpBodyBytes)])
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// legacySourceID is the identity items had before sourceID: the Message-ID
// alone, else a digest of the folder, Date, From and Subject, else folder,
// UIDVALIDITY and UID. It is kept for messages a folder's legacy time says
// may be stored under it (see cursor).
func legacySourceID(folder string, validity uint32, uid imap.UID, m Message) string {
	if m.MessageID != "" {
		return "mid:" + m.MessageID
	}
	if !m.Date.IsZero() {
		h := sha256.Sum256([]byte(folder + "\x00" + m.Date.UTC().Format(time.RFC3339) + "\x00" + m.FromAddr + "\x00" + m.Subject))
		return "hdr:" + hex.EncodeToString(h[:12])
	}
	return fmt.Sprintf("uid:%s/%d/%d", folder, validity, uid)
}
