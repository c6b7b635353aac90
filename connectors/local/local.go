// Package local is the local inbox: an HTTP endpoint on the loopback
// interface through which scripts, CI jobs and automation tools push items
// into Sluice. It is the connector that works before any account is added.
//
// Every request needs "Authorization: Bearer <token>". The token is accepted
// in that header only, never in the URL, where it would end up in shell
// history and logs.
//
//	POST /v1/items   push an item (JSON Message, or ntfy-style plain text)
//	GET  /v1/health  {"ok":true}
//
// A JSON push has Content-Type application/json and a Message body; unknown
// fields are refused so that a typo ("titel") is not silently dropped. Any
// other content type (curl -d sends form encoding) is ntfy-style: the body
// is the text and headers carry the rest, each with or without "X-":
//
//	Title            the title (else the body's first line)
//	From, Sender     "Name <addr>", an address, or a name
//	Click            the link
//	Priority, Prio, P   urgent, max, 5, high or 4 make it urgent;
//	                    default, 3, low, 2, min, 1 do not; anything else is refused
//	Channel          the channel (default "inbox")
//	Idempotency-Key  (or X-ID) the same key twice stores one item
//	Tags             accepted and ignored
//
// Header values may be RFC 2047 encoded (=?UTF-8?B?…?=) for non-ASCII text.
//
// A push is answered 201 {"id": "…", "status": "stored"} only once the gate
// has stored it durably; errors are JSON {"error": "…"}.
//
// The inbox serves at most MaxConns connections at once (64 by default);
// the ones over that are answered 503 with a JSON error and Retry-After, so
// a flood of slow uploads costs bounded memory. Refused tokens and refused
// connections are each logged at most once a minute, with a count.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// Defaults for Options.
const (
	DefaultAccount = "local"
	DefaultAddr    = "127.0.0.1:8642"
)

// Errors New returns (wrapped).
var (
	ErrNoToken     = errors.New("local inbox: no token")
	ErrNotLoopback = errors.New("local inbox: address is not a loopback address")
	ErrRunning     = errors.New("local inbox: already running")
)

// Server limits.
const (
	maxBody         = 64 << 10
	maxHeader       = 16 << 10
	shutdownTimeout = 5 * time.Second
)

// Options configure a local inbox.
type Options struct {
	Account string       // account name; default "local"
	Addr    string       // listen address; default "127.0.0.1:8642"; must be loopback (127.0.0.0/8, ::1 or "localhost")
	Token   string       // bearer token required on every request; must not be empty
	Logger  *slog.Logger // nil discards
	Clock   clock.Clock  // nil → clock.Real; a fake one in tests
	// MaxConns caps the connections served at once; the others are
	// answered 503 with a JSON error. 0 means DefaultMaxConns.
	MaxConns int
}

// Connector is the local inbox. It implements model.Connector.
type Connector struct {
	account  string
	addr     string
	token    string
	log      *slog.Logger
	clk      clock.Clock
	maxConns int

	// Refusals are logged at most once a minute each, with a count.
	authWarn, connWarn logLimit

	mu      sync.Mutex
	bound   string // actual address once listening
	running bool
}

var _ model.Connector = (*Connector)(nil)

// New checks the options and returns a connector; it does not listen yet.
func New(opt Options) (*Connector, error) {
	if opt.Token == "" {
		return nil, ErrNoToken
	}
	if opt.Account == "" {
		opt.Account = DefaultAccount
	}
	if opt.Addr == "" {
		opt.Addr = DefaultAddr
	}
	addr, err := loopbackAddr(opt.Addr)
	if err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.MaxConns <= 0 {
		opt.MaxConns = DefaultMaxConns
	}
	return &Connector{
		account:  opt.Account,
		addr:     addr,
		token:    opt.Token,
		log:      opt.Logger.With("component", "local", "account", opt.Account),
		clk:      opt.Clock,
		maxConns: opt.MaxConns,
	}, nil
}

// loopbackAddr checks that addr is host:port on a loopback address and
// returns it normalised ("localhost" becomes 127.0.0.1, so that the
// listener does not depend on name resolution).
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("local inbox: address %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("local inbox: address %q: bad port %q", addr, port)
	}
	port = strconv.FormatUint(p, 10)
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() || ip.Zone() != "" {
		return "", fmt.Errorf("%w: %q (use 127.0.0.1:PORT or [::1]:PORT)", ErrNotLoopback, addr)
	}
	return net.JoinHostPort(ip.Unmap().String(), port), nil
}

// Kind implements model.Connector.
func (c *Connector) Kind() model.Kind { return model.KindLocal }

// Account implements model.Connector.
func (c *Connector) Account() string { return c.account }

// Addr returns the address the inbox listens on: the actual one while Run
// is listening (port 0 resolved), the configured one otherwise.
func (c *Connector) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bound != "" {
		return c.bound
	}
	return c.addr
}

// Run listens and serves until ctx is done, then shuts down gracefully:
// pushes in flight finish (for up to five seconds) and get their answer.
// It returns nil after a clean shutdown; an address already in use is
// reported as health and returned as an error naming the address.
func (c *Connector) Run(ctx context.Context, sink model.Sink) error {
	if err := c.claim(); err != nil {
		return err
	}
	defer c.release()

	c.health(sink, model.HealthStarting, "starting on "+c.addr)
	limited, err := c.listen(ctx)
	if err != nil {
		c.log.Error("cannot listen", "addr", c.addr, "err", err)
		c.health(sink, model.HealthStopped, err.Error())
		return err
	}
	bound := limited.Addr().String()
	c.mu.Lock()
	c.bound = bound
	c.mu.Unlock()

	srv, busy := c.servers(ctx, sink)
	go busy.Serve(limited.reject)
	defer busy.Close()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(limited) }()
	c.log.Info("listening", "addr", bound)
	c.health(sink, model.HealthConnected, "listening on "+bound)

	select {
	case err = <-served:
		// Serve failed on its own (the listener broke).
		err = fmt.Errorf("local inbox: serve on %s: %w", bound, err)
		c.health(sink, model.HealthStopped, err.Error())
		return err
	case <-ctx.Done():
	}
	c.shutdown(srv, served)
	c.health(sink, model.HealthStopped, "stopped")
	c.log.Info("stopped", "addr", bound)
	return nil
}

// claim marks the inbox running; one Run at a time.
func (c *Connector) claim() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return ErrRunning
	}
	c.running = true
	return nil
}

// release marks the inbox stopped.
func (c *Connector) release() {
	c.mu.Lock()
	c.running, c.bound = false, ""
	c.mu.Unlock()
}

// listen opens the loopback listener, capped at MaxConns connections.
func (c *Connector) listen(ctx context.Context) (*limitListener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.addr)
	if err != nil {
		if addrInUse(err) && !strings.Contains(err.Error(), "address already in use") {
			// Say it in the same words on every system.
			err = fmt.Errorf("address already in use: %w", err)
		}
		return nil, fmt.Errorf("local inbox: listen on %s: %w", c.addr, err)
	}
	return newLimitListener(ln, c.maxConns, c.tooMany), nil
}

// servers are the inbox's HTTP server and the one that answers the
// connections over the cap.
func (c *Connector) servers(ctx context.Context, sink model.Sink) (srv, busy *http.Server) {
	srv = &http.Server{
		Handler:           c.handler(sink),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
		// Requests must outlive ctx so that a shutdown lets pushes in
		// flight finish storing instead of failing them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Connections over the cap get a server of their own that answers 503
	// at once, with the same timeouts, so a flood is answered, not queued.
	busy = &http.Server{
		Handler:           tooBusy(c.maxConns),
		ReadHeaderTimeout: srv.ReadHeaderTimeout,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          srv.ErrorLog,
	}
	busy.SetKeepAlivesEnabled(false)
	return srv, busy
}

// shutdown lets the pushes in flight finish (for up to shutdownTimeout),
// then closes what is left and waits for Serve to return.
func (c *Connector) shutdown(srv *http.Server, served <-chan error) {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		c.log.Warn("shutdown timed out; closing connections", "err", err)
		_ = srv.Close()
	}
	<-served
}

func (c *Connector) health(sink model.Sink, st model.HealthState, detail string) {
	sink.ReportHealth(model.Health{
		Account: c.account, Kind: model.KindLocal, State: st, Detail: detail, Since: c.clk.Now(),
	})
}

// tooMany logs a connection refused over the cap, at most once a minute.
func (c *Connector) tooMany() {
	if ok, n := c.connWarn.allow(c.clk.Now()); ok {
		c.log.Warn("too many connections; answering 503", "max", c.maxConns, "refused_since_last_warning", n)
	}
}
