package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// watch keeps the hold folder in view over a connection of its own, as a
// folder watcher does for a watched folder. At every start, reconnect and
// wake it compares the whole hold folder with the store: what the store no
// longer holds (a check-in released it while Sluice was not running, or
// the connection was down) goes back to INBOX. In between it takes in what
// arrives there (mail the server held at delivery, or another Sluice on
// the account moved there) and lets the gate decide about it.
func (h *holder) watch(ctx context.Context, r *run) {
	c := h.c
	wake := c.addWaker()
	defer c.removeWaker(wake)
	attempt := 0
	for ctx.Err() == nil {
		err := h.session(ctx, r, wake, &attempt)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrHoldUnsupported) || errors.Is(err, ErrHoldFolder) || errors.Is(err, ErrAuth) {
			// Nothing to do until the user acts (the folders' watchers
			// report a refused login).
			select {
			case <-ctx.Done():
				return
			case <-wake:
				attempt = 0
				continue
			}
		}
		delay := backoff(c.opt.BackoffBase, c.opt.BackoffCap, attempt)
		attempt++
		c.log.Info("hold folder: connection failed; retrying", "err", err, "in", delay.Round(time.Millisecond))
		woke, done := pause(ctx, h.c.clk, delay, wake)
		if done {
			return
		}
		if woke {
			attempt = 0
		}
	}
}

// heldView is what the hold folder's watcher saw last.
type heldView struct {
	validity uint32
	next     imap.UID
}

// session is one connection's life for the hold folder.
func (h *holder) session(ctx context.Context, r *run, wake chan struct{}, attempt *int) error {
	c := h.c
	k, err := r.login(ctx)
	if err != nil {
		return err
	}
	defer k.logout()
	name, err := h.resolve(k)
	if err != nil {
		return err
	}
	if _, ok := placing(r.sink); ok {
		if err := h.recover(ctx, r.sink); err != nil {
			c.log.Warn("could not finish the moves a crash or a lost connection interrupted; trying again later", "err", err)
		}
	}
	w := &watcher{r: r, f: &folder{c: c, sink: r.sink, name: name}, wake: wake}
	var seen heldView
	if err := h.look(ctx, k, w.f, &seen, true); err != nil {
		return err
	}
	*attempt = 0
	for {
		woke, err := w.wait(ctx, k, func() {})
		if err != nil {
			return err
		}
		// After a wake (sleep, a fixed password) the store may have moved
		// on without the server: compare everything again.
		if err := h.look(ctx, k, w.f, &seen, woke); err != nil {
			return err
		}
	}
}

// look takes in the hold folder's messages: all of them when full (or
// after a UIDVALIDITY change), else those that arrived since the last
// look. The gate places each one; what it does not hold goes back to
// INBOX.
func (h *holder) look(ctx context.Context, k *conn, f *folder, seen *heldView, full bool) error {
	mb, err := k.examine(f.name)
	if err != nil {
		return err
	}
	h.setCount(int(mb.count))
	full = full || mb.validity != seen.validity
	uids, err := h.unseen(k, f, seen, mb, full)
	if err != nil {
		return err
	}
	ps, ok := placing(f.sink)
	if !ok || len(uids) == 0 {
		return nil
	}
	var back []imap.UID
	for len(uids) > 0 {
		n := min(len(uids), h.c.opt.FetchBatch)
		b, err := h.take(ctx, k, f, ps, seen, mb, uids[:n])
		if err != nil {
			return err
		}
		back = append(back, b...)
		uids = uids[n:]
	}
	if len(back) > 0 {
		n, err := h.release(ctx, back, mb.validity, "the gate does not hold it")
		if err != nil {
			return err
		}
		h.c.log.Info("moved mail the gate does not hold back to INBOX", "folder", f.name, "moved", n)
	}
	return nil
}

// unseen lists the hold folder's messages this watcher has not looked at
// (all of them on a full look), leaving out those this connector moved
// there itself, and moves seen on.
func (h *holder) unseen(k *conn, f *folder, seen *heldView, mb mailbox, full bool) ([]imap.UID, error) {
	var uids []imap.UID
	var err error
	switch {
	case mb.count == 0:
	case full:
		if uids, err = f.search(k, &imap.SearchCriteria{}); err != nil {
			return nil, err
		}
	case mb.next != 0 && mb.next <= seen.next:
	default:
		hi := imap.UID(0)
		if mb.next != 0 {
			hi = mb.next - 1
		}
		if uids, err = f.rangeUIDs(k, seen.next, hi); err != nil {
			return nil, err
		}
	}
	seen.validity = mb.validity
	seen.next = max(seen.next, mb.next)
	h.moveMu.Lock()
	defer h.moveMu.Unlock()
	if full {
		seen.next = mb.next
		if h.heldVal != mb.validity {
			h.heldVal = mb.validity
			clear(h.held)
		}
	} else if h.heldVal == mb.validity {
		// What this connector moved here itself is known already.
		uids = slices.DeleteFunc(uids, func(u imap.UID) bool { _, ok := h.held[u]; return ok })
	}
	return uids, nil
}

// take hands one chunk of the hold folder's messages to the gate, notes
// who filed them there (Sieve at delivery, another Sluice), and returns
// those the gate does not hold, to go back to INBOX.
func (h *holder) take(ctx context.Context, k *conn, f *folder, ps model.PlacingSink, seen *heldView, mb mailbox, chunk []imap.UID) ([]imap.UID, error) {
	msgs, err := f.fetchChunk(k, chunk)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	seen.next = max(seen.next, slices.MaxFunc(msgs, func(a, b *fetched) int { return int(a.uid) - int(b.uid) }).uid+1)
	marked, err := f.search(k, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(chunk...)}, Flag: []imap.Flag{sieve.HeldKeyword}})
	if err != nil {
		return nil, err
	}
	items := f.items(epoch{validity: mb.validity}, msgs)
	for i := range items {
		// The hold folder holds INBOX mail: rules see it as such.
		items[i].Channel = "INBOX"
	}
	placed, err := ps.IngestPlaced(ctx, model.Batch{Account: h.c.opt.Account, Items: items})
	if err != nil {
		return nil, fmt.Errorf("ingest %d items from %q: %w", len(items), f.name, err)
	}
	h.moveMu.Lock()
	if h.heldVal == mb.validity {
		for i, m := range msgs {
			h.held[m.uid] = items[i].SourceID
		}
	}
	h.moveMu.Unlock()
	var back []imap.UID
	var atDelivery, byOther []string
	for i, p := range placed {
		switch {
		case p.State != model.StateHeld:
			back = append(back, msgs[i].uid)
		case !p.New:
		case slices.Contains(marked, msgs[i].uid):
			atDelivery = append(atDelivery, items[i].SourceID)
		default:
			byOther = append(byOther, items[i].SourceID)
		}
	}
	for _, n := range []struct {
		ids  []string
		text string
	}{
		{atDelivery, model.MailHeldPrefix + f.name},
		{byOther, model.MailMovedPrefix + f.name + " (by another Sluice on this account)"},
	} {
		if err := ps.Note(ctx, h.c.opt.Account, n.ids, n.text); err != nil {
			h.c.log.Warn("could not note where the mail is", "err", err)
		}
	}
	return back, nil
}
