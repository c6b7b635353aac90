package imap

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// placingSink is a testSink that places items as the gate does: a new
// item gets the state decide gives it (held unless told otherwise), an
// item seen before keeps its state, and notes pile up in order.
type placingSink struct {
	*testSink
	pmu    sync.Mutex
	states map[string]model.State
	notes  map[string][]string
	decide func(model.Item) model.State
	placed int            // IngestPlaced calls
	writes map[string]int // cursor writes by key
	// failPlacements makes Placements fail while set (a store that cannot
	// be read).
	failPlacements error
}

// Ingest records which cursors are written, then stores like testSink.
func (s *placingSink) Ingest(ctx context.Context, b model.Batch) error {
	s.pmu.Lock()
	for _, c := range b.Cursors {
		s.writes[c.Key]++
	}
	s.pmu.Unlock()
	return s.testSink.Ingest(ctx, b)
}

// wrote is how often a cursor was written.
func (s *placingSink) wrote(key string) int {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return s.writes[key]
}

func newPlacingSink(t testing.TB) *placingSink {
	return &placingSink{testSink: newSink(t), states: map[string]model.State{}, notes: map[string][]string{}, writes: map[string]int{}}
}

var _ model.PlacingSink = (*placingSink)(nil)

func (s *placingSink) IngestPlaced(ctx context.Context, b model.Batch) ([]model.Placement, error) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	// The gate gives each item its ID.
	ids := make([]string, len(b.Items))
	known := map[string]bool{}
	for i, it := range b.Items {
		ids[i] = model.ItemID(b.Account, it.SourceID)
		if _, ok := s.states[ids[i]]; ok {
			known[ids[i]] = true
		}
	}
	for _, c := range b.Cursors {
		s.writes[c.Key]++
	}
	if err := s.testSink.Ingest(ctx, b); err != nil {
		return nil, err
	}
	s.placed++
	out := make([]model.Placement, len(b.Items))
	for i, it := range b.Items {
		id := ids[i]
		st, ok := s.states[id]
		isNew := !ok && !known[id]
		if !ok {
			st = model.StateHeld
			if s.decide != nil {
				st = s.decide(it)
			}
			s.states[id] = st
		}
		out[i] = model.Placement{ID: id, State: st, New: isNew}
		known[id] = true
	}
	return out, nil
}

func (s *placingSink) Placements(ctx context.Context, account string, srcs []string) ([]model.Placement, error) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.failPlacements != nil {
		return nil, s.failPlacements
	}
	out := make([]model.Placement, len(srcs))
	for i, src := range srcs {
		id := model.ItemID(account, src)
		out[i] = model.Placement{ID: id, State: s.states[id]}
	}
	return out, nil
}

func (s *placingSink) Note(ctx context.Context, account string, srcs []string, text string) error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for _, src := range srcs {
		id := model.ItemID(account, src)
		if _, ok := s.states[id]; ok {
			s.notes[id] = append(s.notes[id], text)
		}
	}
	return nil
}

// checkin releases every held item, as the gate's check-in does.
func (s *placingSink) checkin() {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for id, st := range s.states {
		if st == model.StateHeld {
			s.states[id] = model.StateReleased
		}
	}
}

// notesOf returns the notes of an item by subject.
func (s *placingSink) notesOf(subject string) []string {
	it, ok := s.bySubject(subject)
	if !ok {
		return nil
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return slices.Clone(s.notes[it.ID])
}

// urgentBySubject holds everything but mail whose subject says URGENT.
func urgentBySubject(it model.Item) model.State {
	if strings.Contains(it.Subject, "URGENT") {
		return model.StateReleased
	}
	return model.StateHeld
}
