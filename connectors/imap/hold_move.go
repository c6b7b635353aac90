package imap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Cursor keys of holding on the server.
const (
	// holdPendingKey: the INBOX messages of committed batches that may have
	// to move into the hold folder (pendingSet), written with the batch.
	holdPendingKey = "hold:pending"
	// holdMovingKey: a copy in flight where the server lacks MOVE (moving).
	holdMovingKey = "hold:moving"
	// holdReleasedKey: when this connector last released the hold folder.
	holdReleasedKey = "hold:released"
)

// resolve learns how the server names the hold folder (the personal
// namespace's prefix and hierarchy delimiter), creates the folder when it
// is missing, and checks that the server can move mail safely.
func (h *holder) resolve(k *conn) (string, error) {
	if !k.caps.Has(imap.CapMove) && !k.caps.Has(imap.CapUIDPlus) {
		h.setProblem("the server offers neither MOVE nor UIDPLUS, so Sluice cannot move mail there without risking other messages")
		if !h.notified {
			h.notified = true
			h.c.log.Warn("not holding mail on the server: it offers neither MOVE nor UIDPLUS (a plain EXPUNGE could remove messages another client marked deleted)")
		}
		return "", ErrHoldUnsupported
	}
	prefix, delim, err := personalNamespace(k)
	if err != nil {
		return "", err
	}
	name := holdName(h.c.opt.Hold.Folder, prefix, delim)
	if err := h.ensureFolder(k, name); err != nil {
		return "", err
	}
	h.mu.Lock()
	changed := h.name != name
	h.name = name
	h.mu.Unlock()
	h.setProblem("")
	if changed && h.c.opt.Hold.Sieve != nil {
		select {
		case h.kick <- struct{}{}: // the script can name the folder now
		default:
		}
	}
	return name, nil
}

// personalNamespace is the personal namespace's prefix and the server's
// hierarchy delimiter (from NAMESPACE, else from LIST).
func personalNamespace(k *conn) (prefix string, delim rune, err error) {
	if k.caps.Has(imap.CapNamespace) {
		var ns *imap.NamespaceData
		err := k.guard(func() error {
			var err error
			ns, err = k.cl.Namespace().Wait()
			return err
		})
		if err != nil {
			return "", 0, fmt.Errorf("namespace: %w", err)
		}
		if len(ns.Personal) > 0 {
			prefix, delim = ns.Personal[0].Prefix, ns.Personal[0].Delim
		}
	}
	if delim == 0 {
		var list []*imap.ListData
		err := k.guard(func() error {
			var err error
			list, err = k.cl.List("", "", nil).Collect()
			return err
		})
		if err != nil {
			return "", 0, fmt.Errorf("list the hierarchy delimiter: %w", err)
		}
		if len(list) > 0 {
			delim = list[0].Delim
		}
	}
	return prefix, delim, nil
}

// ensureFolder creates the hold folder name when it is missing, and
// refuses one that is a special-use folder of the account (everything in
// the hold folder goes to INBOX at a release).
func (h *holder) ensureFolder(k *conn, name string) error {
	var found []*imap.ListData
	err := k.guard(func() error {
		var err error
		found, err = k.cl.List("", name, nil).Collect()
		return err
	})
	if err != nil {
		return fmt.Errorf("look for %q: %w", name, err)
	}
	exists := false
	for _, l := range found {
		if l.Mailbox != name || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) || slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		exists = true
		for _, a := range l.Attrs {
			switch a {
			case imap.MailboxAttrAll, imap.MailboxAttrArchive, imap.MailboxAttrDrafts, imap.MailboxAttrFlagged,
				imap.MailboxAttrJunk, imap.MailboxAttrSent, imap.MailboxAttrTrash:
				h.setProblem(fmt.Sprintf("the hold folder %q is the account's %s folder; choose a folder of Sluice's own (hold_folder)", name, strings.TrimPrefix(string(a), "\\")))
				return fmt.Errorf("%w: %q is a special-use folder (%s)", ErrHoldFolder, name, a)
			}
		}
	}
	if exists {
		return nil
	}
	err = k.guard(func() error { return k.cl.Create(name, nil).Wait() })
	var ie *imap.Error
	if err != nil && !(errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("create the hold folder %q: %s", name, describe(err))
	}
	if err == nil {
		h.c.log.Info("created the hold folder", "folder", name)
	}
	return nil
}

// holdName is the hold folder's name on a server: folder's "/" levels
// joined with the server's delimiter, under the personal namespace's
// prefix unless folder already starts with it.
func holdName(folder, prefix string, delim rune) string {
	name := folder
	switch {
	case delim == 0:
		name = strings.ReplaceAll(folder, "/", "-") // a flat server
	case delim != '/':
		name = strings.ReplaceAll(folder, "/", string(delim))
	}
	if prefix != "" && !strings.HasPrefix(strings.ToUpper(name), strings.ToUpper(prefix)) {
		name = prefix + name
	}
	return name
}

// conn returns the moves' connection, logging in when there is none: through
// the Run in progress (a connection that lives as long as the Run), or on
// its own for this call only, then done closes it. The caller holds moveMu.
func (h *holder) conn(ctx context.Context) (k *conn, done func(), err error) {
	if h.mk != nil {
		select {
		case <-h.mk.cl.Closed():
			h.dropConn()
		default:
			// A connection unused for a while may have died unseen (the
			// machine slept): prove it at once rather than wait for a
			// command to time out.
			if h.c.clk.Now().Sub(h.used) < idleProof || h.mk.guardFor(wakeTimeout(h.c.opt.CommandTimeout), func() error { return h.mk.cl.Noop().Wait() }) == nil {
				h.used = h.c.clk.Now()
				return h.mk, func() {}, nil
			}
			h.dropConn()
		}
	}
	defer func() {
		if err == nil {
			h.used = h.c.clk.Now()
		}
	}()
	h.mu.Lock()
	r, rctx := h.run, h.runCtx
	h.mu.Unlock()
	if r != nil {
		k, err = r.login(rctx)
	} else {
		var secret string
		if secret, err = h.c.credential(ctx); err == nil {
			k, err = h.c.dial(ctx, secret)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if _, err := h.resolve(k); err != nil {
		k.logout()
		return nil, nil, err
	}
	h.sel = ""
	if r == nil {
		h.mk = k
		return k, func() { h.dropConn() }, nil
	}
	h.mk = k
	if err := h.finishCopy(ctx, k); err != nil {
		h.dropConn()
		return nil, nil, err
	}
	return k, func() {}, nil
}

// idleProof is how long the moves' connection may go unused before it is
// tested with NOOP before the next move.
const idleProof = 30 * time.Second

// dropConn closes the moves' connection (after an error, or at the end).
func (h *holder) dropConn() {
	if h.mk != nil {
		h.mk.logout()
		h.mk, h.sel = nil, ""
	}
}

// selectRW selects a folder read-write on the moves' connection.
func (h *holder) selectRW(k *conn, name string) (mailbox, error) {
	var d *imap.SelectData
	err := k.guard(func() error {
		var err error
		d, err = k.cl.Select(name, nil).Wait()
		return err
	})
	if err != nil {
		h.sel = ""
		return mailbox{}, fmt.Errorf("select %q: %w", name, err)
	}
	h.sel, h.selVal = name, d.UIDValidity
	return mailbox{validity: d.UIDValidity, next: d.UIDNext, count: d.NumMessages}, nil
}

// searchUIDs runs UID SEARCH in the selected folder.
func searchUIDs(k *conn, crit *imap.SearchCriteria) ([]imap.UID, error) {
	var data *imap.SearchData
	err := k.guard(func() error {
		var err error
		data, err = k.cl.UIDSearch(crit, nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// moved pairs a message's UID in the folder it left with its UID in the
// folder it reached (0 when the server did not say).
// twin marks a copy removed again because another Sluice on the account
// moved the same message at the same moment (see dedupe): the message did
// arrive, by the other's move. elsewhere marks a message that left the
// folder, but not by this move: the server said it moved none of them.
type moved struct {
	src, dst        imap.UID
	twin, elsewhere bool
}

// count is how many of out this move brought over (twins and messages
// moved by another client not counted).
func count(out []moved) int {
	n := 0
	for _, m := range out {
		if !m.twin && !m.elsewhere {
			n++
		}
	}
	return n
}

// move moves uids from the selected folder from (UIDVALIDITY validity) to
// to and returns what moved, with the destination's UIDVALIDITY when the
// server said it. With MOVE it is one UID MOVE. Without it, the intent is
// recorded, then UID COPY, and only the UIDs whose copy the server
// confirmed are marked \Deleted and removed with UID EXPUNGE. idOf names
// the items of the UIDs, as far as known (for dedupe).
func (h *holder) move(ctx context.Context, k *conn, from string, validity uint32, uids []imap.UID, to string, idOf map[imap.UID]string) ([]moved, uint32, error) {
	if len(uids) == 0 {
		return nil, 0, nil
	}
	var snap *imap.StatusData
	err := k.guard(func() error {
		var err error
		snap, err = k.cl.Status(to, &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("status of %q: %w", to, err)
	}
	var out []moved
	var dstVal uint32
	for try := 0; ; try++ {
		if k.caps.Has(imap.CapMove) {
			out, dstVal, err = h.moveCmd(k, from, uids, to)
		} else {
			out, dstVal, err = h.copyMove(ctx, k, from, validity, uids, to, snap)
		}
		if try == 3 || !expungeIssued(err) {
			break
		}
		// Another client (another Sluice on the account) moved some of
		// them meanwhile, and the server refused the whole command, which
		// changed nothing: move what is still here.
		left, serr := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}})
		if serr != nil {
			return nil, 0, err
		}
		if len(left) == 0 {
			return nil, 0, nil
		}
		h.c.log.Debug("some messages moved away under the move; moving the rest", "from", from, "left", len(left), "of", len(uids))
		uids = left
	}
	if err != nil || dstVal == 0 || dstVal != snap.UIDValidity || !k.caps.Has(imap.CapUIDPlus) {
		return out, dstVal, err
	}
	twins, err := h.dedupe(k, to, dstVal, imap.UID(snap.UIDNext), out, idOf)
	if err != nil {
		h.c.log.Warn("could not check the hold's destination for copies another Sluice made at the same time", "folder", to, "err", err)
	}
	for i := range out {
		out[i].twin = twins[out[i].dst]
	}
	return out, dstVal, nil
}

// expungeIssued reports a command the server refused because some of its
// messages were expunged meanwhile (RFC 5530 EXPUNGEISSUED).
func expungeIssued(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && strings.EqualFold(string(ie.Code), "EXPUNGEISSUED")
}

// moveCmd is one UID MOVE. (Never Client.Move without MOVE on the server:
// its fallback sends COPY, STORE and EXPUNGE at once, without waiting for
// the copy, and a plain EXPUNGE where UIDPLUS is missing.)
func (h *holder) moveCmd(k *conn, from string, uids []imap.UID, to string) ([]moved, uint32, error) {
	var d *imapclient.MoveData
	err := k.guard(func() error {
		var err error
		d, err = k.cl.Move(imap.UIDSetNum(uids...), to).Wait()
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("move %d messages from %q to %q: %w", len(uids), from, to, err)
	}
	if out, ok := pairs(d.SourceUIDs, d.DestUIDs); ok {
		return out, d.UIDValidity, nil
	}
	// Without COPYUID the server does not say what moved: what is no
	// longer here did. A server with UIDPLUS names what its MOVE moved
	// (RFC 6851), so one that names nothing moved nothing: the messages
	// left under the command, moved by another client (Dovecot answers
	// "OK No messages found." when another Sluice on the account moved
	// them all first). They are gone all the same, but not by this move.
	out, err := h.gone(k, uids)
	if k.caps.Has(imap.CapUIDPlus) {
		for i := range out {
			out[i].elsewhere = true
		}
	}
	return out, 0, err
}

// dedupe undoes what two Sluices on one account moving the same message at
// the same moment leave behind: Dovecot (and any server whose MOVE is a
// copy and an expunge) then has the message twice in the destination. Of
// the copies that reached to about when this move began (UIDs from a
// little before next, the destination's UIDNEXT when it began: the other
// mover may have copied just before that and expunged just after), each
// of ours that has a twin from another mover with a lower UID is removed;
// the other mover keeps the lowest, so exactly one copy stays, whoever
// looks first. Copies of different messages that happen to look the same
// (this move's own twins) are all kept.
// dedupeSlack is how many messages besides twice a move's own may have
// reached the destination between another mover's copy and this move's
// start (new mail arriving meanwhile).
const dedupeSlack = 16

func (h *holder) dedupe(k *conn, to string, validity uint32, next imap.UID, out []moved, idOf map[imap.UID]string) (map[imap.UID]bool, error) {
	ours := map[imap.UID]imap.UID{} // destination → source
	for _, m := range out {
		if m.dst != 0 {
			ours[m.dst] = m.src
		}
	}
	if len(ours) == 0 {
		return nil, nil
	}
	mb, err := h.selectRW(k, to)
	if err != nil {
		return nil, err
	}
	if mb.validity != validity {
		return nil, nil
	}
	from := imap.UID(1)
	if back := imap.UID(2*len(ours) + dedupeSlack); next > back {
		from = next - back
	}
	fresh, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: from, Stop: 0}}}})
	if err != nil {
		return nil, err
	}
	var foreign []imap.UID
	for _, u := range fresh {
		if _, mine := ours[u]; !mine && u >= from {
			foreign = append(foreign, u)
		}
	}
	if len(foreign) == 0 {
		return nil, nil
	}
	theirs, err := h.identities(k, to, validity, foreign)
	if err != nil {
		return nil, err
	}
	lowest := map[string]imap.UID{}
	for u, id := range theirs {
		if l, ok := lowest[id]; !ok || u < l {
			lowest[id] = u
		}
	}
	// Our copies' identities: known for most, fetched for the rest.
	var unknown []imap.UID
	id := map[imap.UID]string{}
	for dst, src := range ours {
		if v := idOf[src]; v != "" {
			id[dst] = v
		} else {
			unknown = append(unknown, dst)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		got, err := h.identities(k, to, validity, unknown)
		if err != nil {
			return nil, err
		}
		maps.Copy(id, got)
	}
	var twins []imap.UID
	for dst := range ours {
		if l, ok := lowest[id[dst]]; ok && l < dst {
			twins = append(twins, dst)
		}
	}
	if len(twins) == 0 {
		return nil, nil
	}
	slices.Sort(twins)
	if err := h.expunge(k, twins); err != nil {
		return nil, err
	}
	h.c.log.Debug("removed copies that another Sluice on this account moved at the same moment", "folder", to, "copies", len(twins))
	out2 := make(map[imap.UID]bool, len(twins))
	for _, u := range twins {
		out2[u] = true
	}
	return out2, nil
}

// pairs matches COPYUID's source and destination UIDs, which come in the
// same order (RFC 4315).
func pairs(src, dst imap.NumSet) ([]moved, bool) {
	s, ok1 := src.(imap.UIDSet)
	d, ok2 := dst.(imap.UIDSet)
	if !ok1 || !ok2 || len(s) == 0 {
		return nil, false
	}
	su, ok1 := s.Nums()
	du, ok2 := d.Nums()
	if !ok1 || !ok2 || len(su) != len(du) {
		return nil, false
	}
	out := make([]moved, len(su))
	for i := range su {
		out[i] = moved{src: su[i], dst: du[i]}
	}
	return out, true
}

// gone lists which of uids are no longer in the selected folder.
func (h *holder) gone(k *conn, uids []imap.UID) ([]moved, error) {
	left, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}})
	if err != nil {
		return nil, fmt.Errorf("check what moved: %w", err)
	}
	var out []moved
	for _, u := range uids {
		if !slices.Contains(left, u) {
			out = append(out, moved{src: u})
		}
	}
	return out, nil
}

// moving is a copy in flight on a server without MOVE, recorded before
// the copy (cursor holdMovingKey).
type moving struct {
	From         string     `json:"from"`
	FromValidity uint32     `json:"from_validity"`
	UIDs         []imap.UID `json:"uids"`
	To           string     `json:"to"`
	ToValidity   uint32     `json:"to_validity"`
	ToNext       uint32     `json:"to_next"` // UIDNEXT of To before the copy
}

// copyMove is move for a server without MOVE (Courier): COPY, then
// \Deleted and UID EXPUNGE of exactly the copies the server confirmed.
func (h *holder) copyMove(ctx context.Context, k *conn, from string, validity uint32, uids []imap.UID, to string, st *imap.StatusData) ([]moved, uint32, error) {
	set := imap.UIDSetNum(uids...)
	in := moving{From: from, FromValidity: validity, UIDs: uids, To: to, ToValidity: st.UIDValidity, ToNext: uint32(st.UIDNext)}
	if err := h.record(ctx, &in); err != nil {
		return nil, 0, err
	}
	var d *imap.CopyData
	err := k.guard(func() error {
		var err error
		d, err = k.cl.Copy(set, to).Wait()
		return err
	})
	if err != nil {
		// A refused COPY changed nothing (RFC 3501 6.4.7); a lost
		// connection leaves the intent for finishCopy.
		var ie *imap.Error
		if errors.As(err, &ie) {
			_ = h.record(ctx, nil)
		}
		return nil, 0, fmt.Errorf("copy %d messages from %q to %q: %w", len(uids), from, to, err)
	}
	done, ok := pairs(d.SourceUIDs, d.DestUIDs)
	if !ok {
		// No COPYUID: find the copies by content before anything is removed.
		if err := h.finishCopy(ctx, k); err != nil {
			return nil, 0, err
		}
		return nil, 0, errors.New("the server did not confirm the copy (no COPYUID); finished by comparing the messages")
	}
	var src []imap.UID
	for _, m := range done {
		src = append(src, m.src)
	}
	if err := h.expunge(k, src); err != nil {
		return nil, 0, err
	}
	if err := h.record(ctx, nil); err != nil {
		return done, d.UIDValidity, err
	}
	return done, d.UIDValidity, nil
}

// expunge marks exactly uids \Deleted in the selected folder and removes
// them with UID EXPUNGE (never a plain EXPUNGE, which would also remove
// what another client marked deleted).
func (h *holder) expunge(k *conn, uids []imap.UID) error {
	set := imap.UIDSetNum(uids...)
	err := k.guard(func() error {
		return k.cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	})
	if err != nil {
		return fmt.Errorf("mark the moved originals deleted: %w", err)
	}
	err = k.guard(func() error { return k.cl.UIDExpunge(set).Close() })
	if err != nil {
		return fmt.Errorf("expunge the moved originals: %w", err)
	}
	return nil
}

// record writes (or, with nil, clears) the copy in flight.
func (h *holder) record(ctx context.Context, in *moving) error {
	sink := h.sink()
	if sink == nil {
		return nil // a release without a Run has no store to write to
	}
	var v []byte
	if in != nil {
		var err error
		if v, err = json.Marshal(in); err != nil {
			return err
		}
	}
	b := model.Batch{Account: h.c.opt.Account, Cursors: []model.Cursor{{Account: h.c.opt.Account, Key: holdMovingKey, Value: v}}}
	if err := sink.Ingest(ctx, b); err != nil {
		return fmt.Errorf("record the move: %w", err)
	}
	return nil
}

// finishCopy finishes a copy that a crash (or a missing COPYUID)
// interrupted: each original still in the source folder whose copy is in
// the destination (same identity, a UID from the recorded UIDNEXT on) is
// removed from the source; the others stay where they are.
func (h *holder) finishCopy(ctx context.Context, k *conn) error {
	sink := h.sink()
	if sink == nil {
		return nil
	}
	b, err := sink.Cursor(h.c.opt.Account, holdMovingKey)
	if err != nil || len(b) == 0 {
		return err
	}
	var in moving
	if err := json.Unmarshal(b, &in); err != nil {
		h.c.log.Warn("unreadable record of a copy in flight; dropped", "err", err)
		return h.record(ctx, nil)
	}
	uids := in.UIDs
	if len(uids) == 0 {
		return h.record(ctx, nil)
	}
	mb, err := h.selectRW(k, in.From)
	if err != nil {
		return err
	}
	if mb.validity != in.FromValidity {
		return h.record(ctx, nil) // the UIDs mean nothing any more
	}
	present, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}})
	if err != nil {
		return err
	}
	if len(present) > 0 {
		src, err := h.identities(k, in.From, mb.validity, present)
		if err != nil {
			return err
		}
		dmb, err := h.selectRW(k, in.To)
		if err != nil {
			return err
		}
		copies := map[string]bool{}
		if dmb.validity == in.ToValidity {
			fresh, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(in.ToNext), Stop: 0}}}})
			if err != nil {
				return err
			}
			fresh = slices.DeleteFunc(fresh, func(u imap.UID) bool { return u < imap.UID(in.ToNext) })
			dst, err := h.identities(k, in.To, dmb.validity, fresh)
			if err != nil {
				return err
			}
			for _, id := range dst {
				copies[id] = true
			}
		}
		var done []imap.UID
		for u, id := range src {
			if copies[id] {
				done = append(done, u)
			}
		}
		if len(done) > 0 {
			if _, err := h.selectRW(k, in.From); err != nil {
				return err
			}
			slices.Sort(done)
			if err := h.expunge(k, done); err != nil {
				return err
			}
		}
		h.c.log.Info("finished an interrupted copy", "from", in.From, "to", in.To, "originals", len(present), "removed", len(done))
	}
	return h.record(ctx, nil)
}

// identities fetches what identifies each message and returns its source
// ID (see sourceID) by UID.
func (h *holder) identities(k *conn, name string, validity uint32, uids []imap.UID) (map[imap.UID]string, error) {
	f := &folder{c: h.c, name: name}
	out := make(map[imap.UID]string, len(uids))
	for len(uids) > 0 {
		n := min(len(uids), h.c.opt.FetchBatch)
		msgs, err := f.fetchChunk(k, uids[:n])
		if err != nil {
			return nil, err
		}
		uids = uids[n:]
		for i, it := range f.items(epoch{validity: validity}, msgs) {
			out[msgs[i].uid] = it.SourceID
		}
	}
	return out, nil
}

// sink is the Run's sink, when it can place items.
func (h *holder) sink() model.PlacingSink {
	h.mu.Lock()
	r := h.run
	h.mu.Unlock()
	if r == nil {
		return nil
	}
	ps, _ := placing(r.sink)
	return ps
}

// status counts the hold folder's messages, for health.
func (h *holder) status(k *conn, name string) {
	var st *imap.StatusData
	err := k.guard(func() error {
		var err error
		st, err = k.cl.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		return err
	})
	if err == nil && st.NumMessages != nil {
		h.setCount(int(*st.NumMessages))
	}
}

// hold moves into the hold folder the INBOX messages (of UIDVALIDITY
// validity) among cands that the gate still holds, that reached the server
// since the last release, and that are not due back in a moment. It
// returns the candidates it settled (moved, or decided to leave in INBOX);
// an error leaves the rest for later.
func (h *holder) hold(ctx context.Context, validity uint32, cands []pendingEntry) ([]pendingEntry, error) {
	sink := h.sink()
	if sink == nil || len(cands) == 0 {
		return cands, nil
	}
	h.moveMu.Lock()
	defer h.moveMu.Unlock()
	info := h.holdInfo()
	now := h.c.clk.Now()
	h.mu.Lock()
	ended := h.ended
	h.mu.Unlock()
	if ended {
		return cands, nil
	}
	srcs := make([]string, len(cands))
	for i, e := range cands {
		srcs[i] = e.src
	}
	placed, err := sink.Placements(ctx, h.c.opt.Account, srcs)
	if err != nil {
		return nil, fmt.Errorf("ask where the items stand: %w", err)
	}
	var uids []imap.UID
	idOf := map[imap.UID]string{}
	for i, e := range cands {
		switch {
		case placed[i].State != model.StateHeld:
		case e.validity != validity:
		case arrivedBefore(e.date, info.Since):
		case !info.Until.IsZero() && !now.Before(info.Until.Add(-holdGrace)):
		default:
			uids = append(uids, e.uid)
			idOf[e.uid] = e.src
		}
	}
	if len(uids) == 0 {
		return cands, nil
	}
	k, done, err := h.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	mb, err := h.selectRW(k, "INBOX")
	if err != nil {
		h.dropConn()
		return nil, err
	}
	if mb.validity != validity {
		return cands, nil // the UIDs are void; the next sync sees the messages afresh
	}
	name := h.folderName()
	slices.Sort(uids)
	out, dstVal, err := h.move(ctx, k, "INBOX", validity, uids, name, idOf)
	if err != nil {
		h.dropConn()
		return nil, err
	}
	var movedIDs []string
	for _, m := range out {
		movedIDs = append(movedIDs, idOf[m.src])
		if m.dst != 0 && !m.twin {
			h.remember(dstVal, m.dst, idOf[m.src])
		}
	}
	if err := sink.Note(ctx, h.c.opt.Account, movedIDs, model.MailMovedPrefix+name); err != nil {
		h.c.log.Warn("could not note where the mail went", "err", err)
	}
	h.c.log.Debug("held on the server", "moved", count(out), "of", len(uids), "folder", name)
	h.status(k, name)
	return cands, nil
}

// remember records which item a hold folder UID (of UIDVALIDITY
// validity) is. The caller holds moveMu.
func (h *holder) remember(validity uint32, uid imap.UID, id string) {
	if validity == 0 || id == "" {
		return
	}
	if validity != h.heldVal {
		h.heldVal = validity
		clear(h.held)
	}
	h.held[uid] = id
}

// folderName is the hold folder as the server names it.
func (h *holder) folderName() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.name
}

// release moves the hold folder's messages back to INBOX: all of them, or
// only uids when given, if the hold folder's UIDVALIDITY is still
// validity. It returns how many moved.
func (h *holder) release(ctx context.Context, uids []imap.UID, validity uint32, why string) (int, error) {
	h.moveMu.Lock()
	defer h.moveMu.Unlock()
	k, done, err := h.conn(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	name := h.folderName()
	mb, err := h.selectRW(k, name)
	if err != nil {
		h.dropConn()
		return 0, err
	}
	all := uids == nil
	if all {
		if mb.count > 0 {
			// A copy marked \Deleted is on its way out: the other mover's
			// twin, or the original of a copy already made.
			if uids, err = searchUIDs(k, &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}); err != nil {
				h.dropConn()
				return 0, fmt.Errorf("list %q: %w", name, err)
			}
		}
	} else if mb.validity != validity {
		return 0, nil
	}
	if len(uids) == 0 {
		if all {
			h.released(ctx)
		}
		h.setCount(int(mb.count))
		return 0, nil
	}
	// Sieve's mark says the server held a message at delivery; it has no
	// meaning outside the hold folder.
	marked, err := searchUIDs(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}, Flag: []imap.Flag{sieve.HeldKeyword}})
	if err == nil && len(marked) > 0 {
		err = k.guard(func() error {
			return k.cl.Store(imap.UIDSetNum(marked...), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{sieve.HeldKeyword}}, nil).Close()
		})
	}
	if err != nil {
		h.dropConn()
		return 0, fmt.Errorf("take %s off: %w", sieve.HeldKeyword, err)
	}
	idOf := map[imap.UID]string{}
	if mb.validity == h.heldVal {
		for _, u := range uids {
			if id, ok := h.held[u]; ok {
				idOf[u] = id
			}
		}
	}
	out, _, err := h.move(ctx, k, name, mb.validity, uids, "INBOX", idOf)
	if err != nil {
		h.dropConn()
		return 0, err
	}
	var ids []string
	for _, m := range out {
		if id, ok := h.held[m.src]; ok && mb.validity == h.heldVal {
			ids = append(ids, id)
			delete(h.held, m.src)
		}
	}
	if sink := h.sink(); sink != nil {
		if err := sink.Note(ctx, h.c.opt.Account, ids, model.MailReleasedPrefix+"INBOX"); err != nil {
			h.c.log.Warn("could not note where the mail went", "err", err)
		}
	}
	if all {
		h.released(ctx)
	}
	h.c.log.Info("released the hold folder", "folder", name, "moved", count(out), "why", why)
	h.status(k, name)
	return count(out), nil
}

// released records this connector's release, so that mail that reached
// the server before it is never held again.
func (h *holder) released(ctx context.Context) {
	now := h.c.clk.Now()
	h.mu.Lock()
	h.since = now
	h.mu.Unlock()
	if sink := h.sink(); sink != nil {
		b := model.Batch{Account: h.c.opt.Account, Cursors: []model.Cursor{{Account: h.c.opt.Account, Key: holdReleasedKey, Value: fmt.Appendf(nil, "%d", now.Unix())}}}
		if err := sink.Ingest(ctx, b); err != nil {
			h.c.log.Warn("could not record the release", "err", err)
		}
	}
}
