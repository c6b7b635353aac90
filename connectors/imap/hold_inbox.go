package imap

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/model"
)

// pendingEntry is one INBOX message of a committed batch that may have to
// move into the hold folder.
type pendingEntry struct {
	validity uint32
	uid      imap.UID
	src      string    // its item's source ID (the gate alone names items)
	date     time.Time // when it reached the server (INTERNALDATE)
}

// pendingSet is the pending entries, written as the cursor holdPendingKey:
// "v2" then one "<uidvalidity> <uid> <source id> <unix time>" line each,
// the source ID query-escaped.
type pendingSet []pendingEntry

func (p pendingSet) encode() []byte {
	var b bytes.Buffer
	b.WriteString("v2\n")
	for _, e := range p {
		fmt.Fprintf(&b, "%d %d %s %d\n", e.validity, e.uid, url.QueryEscape(e.src), e.date.Unix())
	}
	return b.Bytes()
}

func decodePending(b []byte) (pendingSet, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 0 || lines[0] != "v2" {
		return nil, fmt.Errorf("pending holds %q: unknown version", lines[0])
	}
	var out pendingSet
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("pending holds: bad line %q", l)
		}
		v, err1 := strconv.ParseUint(f[0], 10, 32)
		u, err2 := strconv.ParseUint(f[1], 10, 32)
		t, err3 := strconv.ParseInt(f[3], 10, 64)
		src, err4 := url.QueryUnescape(f[2])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || src == "" {
			return nil, fmt.Errorf("pending holds: bad line %q", l)
		}
		out = append(out, pendingEntry{validity: uint32(v), uid: imap.UID(u), src: src, date: time.Unix(t, 0)})
	}
	return out, nil
}

// loadPending reads the pending entries and the last release from the
// store once per connector. The caller holds pmu.
func (h *holder) loadPending(sink model.Sink) {
	if h.loaded {
		return
	}
	h.loaded = true
	if b, err := sink.Cursor(h.c.opt.Account, holdPendingKey); err == nil && len(b) > 0 {
		p, err := decodePending(b)
		if err != nil {
			h.c.log.Warn("unreadable record of messages to hold; the hold folder is checked instead", "err", err)
		}
		h.pending = p
	}
	if b, err := sink.Cursor(h.c.opt.Account, holdReleasedKey); err == nil && len(b) > 0 {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			h.mu.Lock()
			h.since = time.Unix(n, 0)
			h.mu.Unlock()
		}
	}
}

// forget drops settled entries from the pending set (in memory: the next
// batch writes the set).
func (h *holder) forget(done []pendingEntry) {
	if len(done) == 0 {
		return
	}
	h.pmu.Lock()
	defer h.pmu.Unlock()
	h.pending = slices.DeleteFunc(h.pending, func(e pendingEntry) bool {
		return slices.ContainsFunc(done, func(d pendingEntry) bool { return d.uid == e.uid && d.validity == e.validity })
	})
}

// ingest hands a batch to the sink. For the INBOX of an account that holds
// on the server, the messages that may have to move are recorded with the
// batch (so a crash before the move finishes it after the restart), and
// once the gate has placed the items, those it holds are moved.
//
// The first sync of a folder imports mail that was there before: it is
// never moved. uids maps each item to its message's UIDs.
func (c *Connector) ingest(ctx context.Context, f *folder, b model.Batch, cur cursor, uids map[string][]imap.UID) error {
	h := c.hold
	ps, ok := placing(f.sink)
	if h == nil || !ok || f.name != "INBOX" || len(b.Items) == 0 || f.cur == nil {
		return f.sink.Ingest(ctx, b)
	}
	info := h.holdInfo()
	var fresh []pendingEntry
	for _, it := range b.Items {
		if arrivedBefore(it.Received, info.Since) {
			continue
		}
		for _, u := range uids[it.SourceID] {
			fresh = append(fresh, pendingEntry{validity: cur.validity, uid: u, src: it.SourceID, date: it.Received})
		}
	}
	h.pmu.Lock()
	h.loadPending(f.sink)
	if len(fresh) > 0 {
		all := append(slices.Clone(h.pending), fresh...)
		b.Cursors = append(b.Cursors, model.Cursor{Account: c.opt.Account, Key: holdPendingKey, Value: pendingSet(all).encode()})
	}
	placed, err := ps.IngestPlaced(ctx, b)
	if err != nil {
		h.pmu.Unlock()
		return err
	}
	h.pending = append(h.pending, fresh...)
	earlier := slices.Clone(h.pending[:len(h.pending)-len(fresh)])
	h.pmu.Unlock()

	heldNew := map[string]bool{} // by source ID
	for i, p := range placed {
		if p.New && p.State == model.StateHeld && i < len(b.Items) {
			heldNew[b.Items[i].SourceID] = true
		}
	}
	var cands, drop []pendingEntry
	for _, e := range fresh {
		if heldNew[e.src] {
			cands = append(cands, e)
		} else {
			drop = append(drop, e)
		}
	}
	h.forget(drop)
	// Candidates an earlier move could not settle (the connection failed)
	// are tried again with these.
	cands = append(earlier, cands...)
	if len(cands) == 0 {
		return nil
	}
	done, err := h.hold(ctx, cur.validity, cands)
	h.forget(done)
	if err != nil {
		// The items are stored; their mail stays in INBOX until the next
		// try (the next batch, or the hold folder's next check).
		c.log.Warn("could not move held mail to the hold folder; trying again later", "err", err, "messages", len(cands))
	}
	return nil
}

// recover finishes what a crash or a lost connection interrupted: a copy
// in flight (the moves' connection does that as it connects), then the
// moves the pending record lists.
func (h *holder) recover(ctx context.Context, sink model.Sink) error {
	h.moveMu.Lock()
	_, done, err := h.conn(ctx)
	if err == nil {
		done()
	}
	h.moveMu.Unlock()
	if err != nil {
		return err
	}
	return h.settlePending(ctx, sink)
}

// settlePending moves what the pending record says may still have to move
// (after a restart, or a connection that failed mid-move).
func (h *holder) settlePending(ctx context.Context, sink model.Sink) error {
	h.pmu.Lock()
	h.loadPending(sink)
	cands := slices.Clone(h.pending)
	h.pmu.Unlock()
	if len(cands) == 0 {
		return nil
	}
	validity := cands[len(cands)-1].validity
	done, err := h.hold(ctx, validity, cands)
	h.forget(done)
	if err != nil {
		return err
	}
	h.pmu.Lock()
	left := pendingSet(slices.Clone(h.pending))
	h.pmu.Unlock()
	b := model.Batch{Account: h.c.opt.Account, Cursors: []model.Cursor{{Account: h.c.opt.Account, Key: holdPendingKey, Value: left.encode()}}}
	if err := sink.Ingest(ctx, b); err != nil {
		return fmt.Errorf("record the messages to hold: %w", err)
	}
	return nil
}

// arrivedBefore reports whether a message that reached the server at date
// (INTERNALDATE, whole seconds) was there before since.
func arrivedBefore(date, since time.Time) bool {
	return !since.IsZero() && date.Before(since.Truncate(time.Second))
}

// uidsOf maps each built item's source ID to the UIDs of the messages it
// came from.
func uidsOf(msgs []*fetched, items []model.Item) map[string][]imap.UID {
	out := make(map[string][]imap.UID, len(items))
	for i, it := range items {
		if i < len(msgs) {
			out[it.SourceID] = append(out[it.SourceID], msgs[i].uid)
		}
	}
	return out
}
