package conntest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// recorder is what Sink and BusySink keep alike: the cursors, the health
// reports and refusals on demand. Its mutex guards the embedding sink's
// own fields too.
type recorder struct {
	t testing.TB

	mu       sync.Mutex
	cursors  map[string][]byte // account + "\x00" + key
	health   []model.Health
	reads    int // Cursor calls
	failNext int
	refused  int
}

func cursorKey(account, key string) string { return account + "\x00" + key }

// refuseLocked reports whether FailNext refuses this batch, and counts it.
func (r *recorder) refuseLocked() bool {
	if r.failNext == 0 {
		return false
	}
	r.failNext--
	r.refused++
	return true
}

// putCursorsLocked stores cs; a nil value deletes a cursor.
func (r *recorder) putCursorsLocked(cs []model.Cursor) {
	for _, c := range cs {
		if c.Value == nil {
			delete(r.cursors, cursorKey(c.Account, c.Key))
		} else {
			r.cursors[cursorKey(c.Account, c.Key)] = bytes.Clone(c.Value)
		}
	}
}

// Cursor implements model.Sink and model.BusySink.
func (r *recorder) Cursor(account, key string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	v, ok := r.cursors[cursorKey(account, key)]
	if !ok {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// ReportHealth implements model.Sink and model.BusySink. A report must
// name the account and kind and say since when.
func (r *recorder) ReportHealth(h model.Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.Account == "" || h.Kind == "" || h.State == "" || h.Since.IsZero() {
		r.t.Errorf("conntest: incomplete health report %+v (want account, kind, state and since)", h)
	}
	r.health = append(r.health, h)
}

// FailNext makes the next n batches (Ingest, SetBusy) fail with
// ErrRefused, as a store that cannot write would.
func (r *recorder) FailNext(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext = n
}

// Refused is how many batches FailNext refused so far.
func (r *recorder) Refused() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// CursorReads counts the Cursor calls.
func (r *recorder) CursorReads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

// CursorValue is a stored cursor as a string ("" when absent).
func (r *recorder) CursorValue(account, key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.cursors[cursorKey(account, key)])
}

// Cursors lists the stored cursors' keys for account, sorted.
func (r *recorder) Cursors(account string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k := range r.cursors {
		if a, key, _ := strings.Cut(k, "\x00"); a == account {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// Health returns the last health report (zero if none).
func (r *recorder) Health() model.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.health) == 0 {
		return model.Health{}
	}
	return r.health[len(r.health)-1]
}

// Healths returns every health report in order.
func (r *recorder) Healths() []model.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.health)
}

// States lists the reported health states in order, repeats collapsed.
func (r *recorder) States() []model.HealthState {
	var out []model.HealthState
	for _, h := range r.Healths() {
		if len(out) == 0 || out[len(out)-1] != h.State {
			out = append(out, h.State)
		}
	}
	return out
}
