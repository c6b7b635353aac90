// Package conntest is the conformance suite that every connector's tests
// run, so that each source is held, released, resumed and de-duplicated
// exactly like the others.
//
// Sink is a recording model.Sink that enforces the contract the gate and
// the store rely on: a connector sets only what it read from the source
// (the gate alone gives an item its ID, from the account and the source ID,
// and cleans its text), a batch's items and cursors are applied together or
// not at all, and an item offered again is dropped only when it is the same
// item; two different items behind one source ID fail the test, because the
// store would silently lose the second.
//
// Run adds the shared checks: Run returns promptly when cancelled, a
// restart resumes from the stored cursors with no duplicates and no gaps,
// health moves through connected, backing off and auth failed, a rejected
// credential costs one attempt, and a batch the sink refused is offered
// again rather than lost.
package conntest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// ErrContract is what Ingest returns for a batch that breaks the Sink
// contract (the test has already failed with the details).
var ErrContract = errors.New("batch breaks the sink contract")

// ErrRefused is what Ingest returns while FailNext is in force: the store
// could not write (a full disk, say). Nothing of the batch is kept.
var ErrRefused = errors.New("conntest: sink refused the batch")

// Sink records what a connector hands over and behaves like the store at
// the Sink boundary. It is safe for concurrent use.
type Sink struct {
	recorder // cursors, health, FailNext; its mutex guards the fields below

	items       map[string]model.Item // by model.ItemID
	order       []string
	offered     int
	redelivered []model.Item
	batches     []model.Batch
}

// NewSink returns an empty Sink that reports contract violations to t.
func NewSink(t testing.TB) *Sink {
	return &Sink{recorder: recorder{t: t, cursors: map[string][]byte{}}, items: map[string]model.Item{}}
}

// Ingest implements model.Sink. It checks the batch, then applies its new
// items and its cursors together; an item whose identity is already stored
// is dropped if it is the same item and is a test failure if it is not.
func (s *Sink) Ingest(ctx context.Context, b model.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseLocked() {
		return ErrRefused
	}
	if problems := checkBatch(b); len(problems) > 0 {
		s.t.Errorf("conntest: batch from %q breaks the sink contract:\n  %s", b.Account, strings.Join(problems, "\n  "))
		return ErrContract
	}
	// Check everything before applying anything: all or nothing.
	fresh := map[string]model.Item{}
	var again []model.Item
	for _, it := range b.Items {
		it = asGateMakesIt(b.Account, it)
		id := it.ID
		old, ok := s.items[id]
		if !ok {
			old, ok = fresh[id]
		}
		if ok {
			if diff := differs(old, it); diff != "" {
				s.t.Errorf("conntest: source ID %q of %q names two different items (%s): the store would drop the second", it.SourceID, b.Account, diff)
				return ErrContract
			}
			again = append(again, it)
			continue
		}
		fresh[id] = it
	}
	s.offered += len(b.Items)
	s.redelivered = append(s.redelivered, again...)
	for _, it := range b.Items {
		id := model.ItemID(b.Account, it.SourceID)
		if it, ok := fresh[id]; ok {
			s.items[id] = it
			s.order = append(s.order, id)
			delete(fresh, id)
		}
	}
	s.putCursorsLocked(b.Cursors)
	s.batches = append(s.batches, cloneBatch(b))
	return nil
}

// Accept implements model.AcceptSink: Ingest, then the batch's items as
// the gate makes them (with their IDs), in input order.
func (s *Sink) Accept(ctx context.Context, b model.Batch) ([]model.Item, error) {
	if err := s.Ingest(ctx, b); err != nil {
		return nil, err
	}
	out := make([]model.Item, len(b.Items))
	for i, it := range b.Items {
		out[i] = asGateMakesIt(b.Account, it)
	}
	return out, nil
}

// asGateMakesIt is the item as the gate stores it: in the batch's
// account, with the ID the gate gives it and its text cleaned.
func asGateMakesIt(account string, it model.Item) model.Item {
	it.Account = account
	it.Clean()
	it.ID = model.ItemID(account, it.SourceID)
	return it
}

// checkBatch lists the ways b breaks the contract.
func checkBatch(b model.Batch) []string {
	var out []string
	if strings.TrimSpace(b.Account) == "" {
		out = append(out, "the batch names no account")
	}
	for i, it := range b.Items {
		at := fmt.Sprintf("items[%d] (source ID %q)", i, it.SourceID)
		switch {
		case strings.TrimSpace(it.SourceID) == "":
			out = append(out, at+": no source ID")
		case it.Account != "" && it.Account != b.Account:
			out = append(out, fmt.Sprintf("%s: account %q in a batch of %q", at, it.Account, b.Account))
		case it.ID != "":
			out = append(out, at+": the connector set the ID; the gate alone derives it from account and source ID")
		case it.Kind == "":
			out = append(out, at+": no kind")
		case it.Seq != 0 || it.State != 0 || it.Action != 0 || it.Rule != "" || !it.Ingested.IsZero() || len(it.Log) > 0 || it.Breakthrough:
			out = append(out, at+": the connector set what only the gate and the store decide (seq, state, action, rule, ingested, log)")
		}
	}
	for i, c := range b.Cursors {
		switch {
		case c.Account != b.Account:
			out = append(out, fmt.Sprintf("cursors[%d] (%q): account %q in a batch of %q", i, c.Key, c.Account, b.Account))
		case strings.TrimSpace(c.Key) == "":
			out = append(out, fmt.Sprintf("cursors[%d]: no key", i))
		}
	}
	return out
}

// differs says how two items behind one identity differ, or "" when they
// are the same message. Where it was seen (channel, link, thread) may
// differ: the same mail in two watched folders is one item.
func differs(a, b model.Item) string {
	var d []string
	field := func(name, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %q vs %q", name, x, y))
		}
	}
	field("kind", string(a.Kind), string(b.Kind))
	field("from name", a.FromName, b.FromName)
	field("from address", a.FromAddr, b.FromAddr)
	field("subject", a.Subject, b.Subject)
	field("snippet", a.Snippet, b.Snippet)
	if !a.Received.Equal(b.Received) {
		d = append(d, fmt.Sprintf("received %s vs %s", a.Received, b.Received))
	}
	return strings.Join(d, ", ")
}

func cloneBatch(b model.Batch) model.Batch {
	b.Items = slices.Clone(b.Items)
	b.Replies = slices.Clone(b.Replies)
	b.Cursors = slices.Clone(b.Cursors)
	for i := range b.Cursors {
		b.Cursors[i].Value = bytes.Clone(b.Cursors[i].Value)
	}
	return b
}

// Replies returns the user's replies the connector reported, in order.
func (s *Sink) Replies() []model.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []model.Reply
	for _, b := range s.batches {
		out = append(out, b.Replies...)
	}
	return out
}

// Items returns the stored items in the order they were first stored, as
// the gate would store them: with their ID and their text cleaned.
func (s *Sink) Items() []model.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]model.Item, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.items[id])
	}
	return out
}

// Len is the number of stored items.
func (s *Sink) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Item returns the stored item with the source ID.
func (s *Sink) Item(sourceID string) (model.Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.items {
		if it.SourceID == sourceID {
			return it, true
		}
	}
	return model.Item{}, false
}

// Find returns the stored items whose subject or snippet contains text.
func (s *Sink) Find(text string) []model.Item {
	var out []model.Item
	for _, it := range s.Items() {
		if strings.Contains(it.Subject, text) || strings.Contains(it.Snippet, text) {
			out = append(out, it)
		}
	}
	return out
}

// Offered counts the items handed over, duplicates included.
func (s *Sink) Offered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered
}

// Redelivered lists the items offered again after they were stored (each
// the same item, else the test has failed already).
func (s *Sink) Redelivered() []model.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.redelivered)
}

// Batches returns every batch applied, in order.
func (s *Sink) Batches() []model.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// BatchOf returns the applied batch that carried the item with sourceID.
func (s *Sink) BatchOf(sourceID string) (model.Batch, bool) {
	for _, b := range s.Batches() {
		for _, it := range b.Items {
			if it.SourceID == sourceID {
				return b, true
			}
		}
	}
	return model.Batch{}, false
}
