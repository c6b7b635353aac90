package desktop

import "sync"

// maxWaiting is how many notifications other than urgent ones may wait
// to be shown; a burst beyond it is coalesced (see noteQueue.push).
const maxWaiting = 16

// noteQueue holds the notifications waiting to be shown, in order. An
// urgent one is never dropped: it is what breaks a focus block, and the
// gate already bounds how many there are (the urgent budget). The rest
// is noise in a burst: when maxWaiting of them wait, the oldest waiting
// one of the new one's kind gives way to it (a later check-in summary or
// focus change says more than an earlier one; `sluice status` and the
// tray still list every account problem), or else the oldest of them.
type noteQueue struct {
	mu    sync.Mutex
	notes []Note
	ready chan struct{} // has a value while notes is not empty
}

func newNoteQueue() *noteQueue { return &noteQueue{ready: make(chan struct{}, 1)} }

// push adds n; it returns the note that gave way to it, if one did.
func (q *noteQueue) push(n Note) (dropped Note, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer q.signal()
	if n.Kind == NoteUrgent {
		q.notes = append(q.notes, n)
		return Note{}, false
	}
	waiting, sameKind, oldest := 0, -1, -1
	for i, w := range q.notes {
		if w.Kind == NoteUrgent {
			continue
		}
		waiting++
		if oldest < 0 {
			oldest = i
		}
		if w.Kind == n.Kind && sameKind < 0 {
			sameKind = i
		}
	}
	if waiting < maxWaiting {
		q.notes = append(q.notes, n)
		return Note{}, false
	}
	gone := oldest
	if sameKind >= 0 {
		gone = sameKind
	}
	dropped = q.notes[gone]
	q.notes = append(append(q.notes[:gone:gone], q.notes[gone+1:]...), n)
	return dropped, true
}

// pop takes the first waiting note.
func (q *noteQueue) pop() (Note, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.notes) == 0 {
		return Note{}, false
	}
	n := q.notes[0]
	q.notes = q.notes[1:]
	q.signal()
	return n, true
}

// signal keeps ready in step with notes; q.mu is held.
func (q *noteQueue) signal() {
	if len(q.notes) == 0 {
		select {
		case <-q.ready:
		default:
		}
		return
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
