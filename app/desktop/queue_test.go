package desktop

import (
	"fmt"
	"testing"
)

// TestBurstKeepsEveryBreakthrough: while the notification server is slow
// (nothing taken from the queue), a burst of check-in summaries, focus
// changes and account problems is coalesced, and every urgent
// notification still waits, in order.
func TestBurstKeepsEveryBreakthrough(t *testing.T) {
	q := newNoteQueue()
	var dropped []Note
	push := func(n Note) {
		if gone, ok := q.push(n); ok {
			dropped = append(dropped, gone)
		}
	}
	for i := range 40 {
		push(Note{Kind: NoteUrgent, Title: fmt.Sprintf("urgent %d", i)})
		push(Note{Kind: NoteAttention, Title: fmt.Sprintf("account %d", i)})
		if i%10 == 0 {
			push(Note{Kind: NoteCheckin, Title: fmt.Sprintf("check-in %d", i)})
		}
	}
	var urgent, other []Note
	for {
		n, ok := q.pop()
		if !ok {
			break
		}
		if n.Kind == NoteUrgent {
			urgent = append(urgent, n)
		} else {
			other = append(other, n)
		}
	}
	if len(urgent) != 40 {
		t.Fatalf("%d urgent notifications waited, want all 40", len(urgent))
	}
	for i, n := range urgent {
		if want := fmt.Sprintf("urgent %d", i); n.Title != want {
			t.Fatalf("urgent notification %d is %q, want %q (in order)", i, n.Title, want)
		}
	}
	for _, n := range dropped {
		if n.Kind == NoteUrgent {
			t.Fatalf("an urgent notification was dropped: %q", n.Title)
		}
	}
	if len(other) != maxWaiting {
		t.Errorf("%d other notifications waited, want at most %d", len(other), maxWaiting)
	}
	if last := other[len(other)-1]; last.Title != "account 39" {
		t.Errorf("the newest account problem is not kept: last is %q", last.Title)
	}
	checkins := 0
	for _, n := range other {
		if n.Kind == NoteCheckin {
			checkins++
		}
	}
	if checkins == 0 {
		t.Errorf("every check-in summary gave way to account problems: %v", other)
	}
}

// TestQueueReady: ready has a value exactly while notes wait.
func TestQueueReady(t *testing.T) {
	q := newNoteQueue()
	ready := func() bool {
		select {
		case <-q.ready:
			q.mu.Lock()
			q.signal() // put it back as it was
			q.mu.Unlock()
			return true
		default:
			return false
		}
	}
	if ready() {
		t.Fatal("ready with nothing waiting")
	}
	q.push(Note{Kind: NoteCheckin})
	q.push(Note{Kind: NoteUrgent})
	if !ready() {
		t.Fatal("not ready with two waiting")
	}
	q.pop()
	if !ready() {
		t.Fatal("not ready with one waiting")
	}
	q.pop()
	if ready() {
		t.Fatal("ready after the last was taken")
	}
}
