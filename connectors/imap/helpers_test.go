package imap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
)

// testSink is the conformance suite's recording sink (it enforces the
// model.Sink contract and stores items as the gate would) with the
// look-ups these tests use.
type testSink struct{ *conntest.Sink }

func newSink(t testing.TB) *testSink { return &testSink{conntest.NewSink(t)} }

func (s *testSink) count() int { return s.Len() }

func (s *testSink) subjects() []string {
	var out []string
	for _, it := range s.Items() {
		out = append(out, it.Subject)
	}
	return out
}

func (s *testSink) bySubject(subj string) (model.Item, bool) {
	for _, it := range s.Items() {
		if it.Subject == subj {
			return it, true
		}
	}
	return model.Item{}, false
}

func (s *testSink) cursor(account, folder string) (cursor, bool) {
	b := s.CursorValue(account, cursorKey(folder))
	if b == "" {
		return cursor{}, false
	}
	c, err := decodeCursor([]byte(b))
	return c, err == nil
}

func (s *testSink) lastHealth() model.Health { return s.Health() }

func (s *testSink) healthStates() []model.HealthState {
	var out []model.HealthState
	for _, h := range s.Healths() {
		out = append(out, h.State)
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHealth waits until the last reported health is in state.
func waitHealth(t *testing.T, s *testSink, state model.HealthState, timeout time.Duration) model.Health {
	t.Helper()
	waitFor(t, timeout, "health "+string(state), func() bool { return s.lastHealth().State == state })
	return s.lastHealth()
}

// running is a connector running in the background for a test.
type running struct {
	c      *Connector
	sink   *testSink
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, opt Options, sink *testSink) *running {
	t.Helper()
	if testing.Verbose() && opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, sink: sink, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx, sink) }()
	t.Cleanup(r.stop)
	return r
}

// stop cancels Run and checks that it returns promptly.
func (r *running) stop() {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			panic(fmt.Sprintf("Run returned %v", err))
		}
		r.done <- nil
	case <-time.After(10 * time.Second):
		panic("Run did not return within 10s of cancel")
	}
}

// memServer is go-imap's in-memory IMAP server on 127.0.0.1 (plaintext,
// allowed for loopback), recording the commands it receives.
type memServer struct {
	addr    string
	user    *imapmemserver.User
	srv     *imapserver.Server
	logins  atomic.Int32
	traffic *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// countingSession counts LOGIN attempts.
type countingSession struct {
	imapserver.Session
	n *atomic.Int32
}

func (s *countingSession) Login(user, pass string) error {
	s.n.Add(1)
	return s.Session.Login(user, pass)
}

const (
	memUser = "alice"
	memPass = "secret"
)

func newMemServer(t *testing.T, folders ...string) *memServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveMem(t, ln, folders...)
}

func serveMem(t *testing.T, ln net.Listener, folders ...string) *memServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(memUser, memPass)
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	ms := &memServer{addr: ln.Addr().String(), user: user, traffic: &syncBuffer{}}
	ms.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &countingSession{Session: mem.NewSession(), n: &ms.logins}, nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		DebugWriter:  ms.traffic,
		Logger:       discardLogger{},
	})
	go ms.srv.Serve(ln)
	t.Cleanup(func() { ms.srv.Close() })
	return ms
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// memOptions are options for a connector talking to ms.
func (ms *memServer) options(account string) Options {
	host, port, _ := net.SplitHostPort(ms.addr)
	var p int
	fmt.Sscan(port, &p)
	return Options{
		Account: account, Host: host, Port: p,
		Security: SecurityInsecure, AllowInsecure: true,
		Username: memUser, Password: func(context.Context) (string, error) { return memPass, nil },
		BackoffBase: 20 * time.Millisecond, BackoffCap: 200 * time.Millisecond,
		CommandTimeout: 5 * time.Second, DialTimeout: 2 * time.Second,
		PollInterval: 50 * time.Millisecond,
	}
}

type literal struct {
	*bytes.Reader
}

func (l literal) Size() int64 { return int64(l.Len()) }

var _ imap.LiteralReader = literal{}
var _ io.Reader = literal{}

// add appends a message to a folder, with an INTERNALDATE of at (now when zero).
func (ms *memServer) add(t *testing.T, folder string, raw string, at time.Time) {
	t.Helper()
	if _, err := ms.user.Append(folder, literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{Time: at}); err != nil {
		t.Fatalf("append to %s: %v", folder, err)
	}
}

// mail builds a small message.
func mail(id, subject, body string) string {
	var b strings.Builder
	b.WriteString("From: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\n")
	b.WriteString("Subject: " + subject + "\r\nDate: Mon, 03 Mar 2025 10:15:00 +0100\r\n")
	if id != "" {
		b.WriteString("Message-ID: <" + id + ">\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return b.String()
}

func sortedSubjects(s *testSink) []string {
	out := s.subjects()
	slices.Sort(out)
	return out
}

// blackholeProxy forwards TCP connections to a server until told to turn the
// current ones into black holes: they stay open but carry nothing either
// way, like a connection whose peer vanished while the laptop slept. New
// connections work normally.
type blackholeProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []*proxied
}

type proxied struct {
	dead atomic.Bool
	a, b net.Conn
}

func newBlackholeProxy(t *testing.T, target string) *blackholeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{ln: ln, target: target}
	go func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				a.Close()
				continue
			}
			c := &proxied{a: a, b: b}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			go c.pipe(a, b)
			go c.pipe(b, a)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.a.Close()
			c.b.Close()
		}
	})
	return p
}

func (c *proxied) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			if !c.dead.Load() {
				dst.Close()
			}
			return
		}
		if c.dead.Load() {
			continue // swallowed
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// blackhole silences every connection open now.
func (p *blackholeProxy) blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.dead.Store(true)
	}
}

func (p *blackholeProxy) addr() string { return p.ln.Addr().String() }
