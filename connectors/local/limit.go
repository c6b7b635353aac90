package local

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxConns is how many connections the inbox serves at once. Each
// may carry a 64 KiB body: without a cap, 2,000 slow uploads took the
// daemon from 40 MB to 260 MB resident.
const DefaultMaxConns = 64

// maxRejecting is how many connections over the cap are answered 503 at
// once; beyond that they are closed unanswered, so that a flood costs a
// bounded amount of memory whatever its size.
const maxRejecting = 128

// limitListener hands at most max connections at a time to the inbox's
// server. The next maxRejecting go to a second listener, whose server
// answers each request 503 with a JSON error; the rest are closed.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	reject *queueListener
	over   func() // called for each connection over the cap
}

func newLimitListener(ln net.Listener, max int, over func()) *limitListener {
	return &limitListener{
		Listener: ln,
		slots:    make(chan struct{}, max),
		reject:   &queueListener{addr: ln.Addr(), conns: make(chan net.Conn, maxRejecting), done: make(chan struct{})},
		over:     over,
	}
}

// Accept returns the next connection there is a slot for.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
		}
		l.over()
		if !l.reject.push(c) {
			c.Close()
		}
	}
}

// Close stops accepting, here and for the 503 server.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.reject.Close()
	return err
}

// queueListener is the listener of the 503 server: it yields the
// connections pushed to it, at most maxRejecting open at once.
type queueListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}

	mu     sync.Mutex
	open   int
	closed bool
}

// push queues c for the 503 server, or reports false when it has its hands
// full or is closed.
func (q *queueListener) push(c net.Conn) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.open >= cap(q.conns) {
		return false
	}
	q.open++
	q.conns <- &slotConn{Conn: c, release: func() {
		q.mu.Lock()
		q.open--
		q.mu.Unlock()
	}}
	return true
}

func (q *queueListener) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *queueListener) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.done)
		for len(q.conns) > 0 {
			(<-q.conns).Close()
		}
	}
	return nil
}

func (q *queueListener) Addr() net.Addr { return q.addr }

// tooBusy answers every request 503 and closes the connection. It reads
// nothing of the body, and a read deadline in the past keeps the server
// from reading it after the answer either (it would wait for a slow
// uploader), so each answer holds a connection for a moment only.
func tooBusy(max int) http.Handler {
	msg := fmt.Sprintf("too many connections (at most %d at once); try again", max)
	past := time.Unix(1, 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetReadDeadline(past)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusServiceUnavailable, msg)
	})
}

// slotConn gives its slot back when the server closes it.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
