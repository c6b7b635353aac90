package local

import (
	"sync"
	"time"
)

// warnEvery is the shortest gap between two log lines of one kind of
// refusal: 2,000 requests with a wrong token once wrote 2,007 lines.
const warnEvery = time.Minute

// logLimit lets one kind of warning through at most once per warnEvery
// and counts the ones it held back, so the next line can say how many.
type logLimit struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a warning at now may be logged and, if so, how
// many were held back since the last one that was.
func (l *logLimit) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < warnEvery && !now.Before(l.last) {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
