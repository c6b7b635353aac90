package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/sluice-app/sluice/app/clock"
)

// conn is one logged-in connection with its watchdog.
type conn struct {
	c        *Connector
	cl       *imapclient.Client
	caps     imap.CapSet
	newMail  chan struct{} // signalled when the server announces messages (EXISTS)
	timedOut atomic.Bool   // the watchdog closed the connection
	closing  sync.Once

	mu      sync.Mutex
	stopCtx func() bool // detaches the context watcher
}

// testHookAnnounce, when set (by a benchmark, before any connection), is
// called when the server announces new messages.
var testHookAnnounce func()

// errTimeout is reported when the watchdog closed a silent connection.
var errTimeout = errors.New("server stopped answering")

// authError is a login the server refused. It wraps ErrAuth.
type authError struct{ err error }

func (e *authError) Error() string { return "login failed: " + describe(e.err) }
func (e *authError) Is(target error) bool {
	return target == ErrAuth
}
func (e *authError) Unwrap() error { return e.err }

// describe words an IMAP error without go-imap's "imap: " prefix and
// without Dovecot's timing suffix ("(0.001 + 0.000 secs).").
func describe(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) {
		s := string(ie.Type)
		if ie.Code != "" {
			s += " [" + string(ie.Code) + "]"
		}
		if t := timing.ReplaceAllString(ie.Text, ""); t != "" {
			s += " " + t
		}
		return s
	}
	return err.Error()
}

var timing = regexp.MustCompile(`\s*\([0-9.]+( \+ [0-9.]+)* secs\)\.?$`)

// dialOnce connects, logs in and returns the connection. ctx cancels a
// dial in progress and, until close, closes the connection when it is done.
func (c *Connector) dialOnce(ctx context.Context, password string) (*conn, error) {
	k := &conn{c: c, newMail: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		TLSConfig:   c.tls,
		WordDecoder: wordDecoder,
		Dialer:      &net.Dialer{Timeout: c.opt.DialTimeout, KeepAlive: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					if testHookAnnounce != nil {
						testHookAnnounce()
					}
					select {
					case k.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	netConn, err := c.dialNet(ctx, opts)
	if err != nil {
		return nil, err
	}
	// The client is created only after the TCP (and TLS) connection exists,
	// so a dial is cancellable and bounded by DialTimeout.
	switch c.opt.Security {
	case SecurityStartTLS:
		// NewStartTLS reads the greeting and upgrades before it returns:
		// bound it by the watchdog and ctx too.
		t := k.watchdog(c.opt.CommandTimeout, func() {
			k.timedOut.Store(true)
			netConn.Close()
		})
		stopCtx := context.AfterFunc(ctx, func() { netConn.Close() })
		k.cl, err = imapclient.NewStartTLS(netConn, opts)
		t.stop()
		stopCtx()
		if err != nil {
			netConn.Close()
			if k.timedOut.Load() {
				err = fmt.Errorf("%w within %v: %v", errTimeout, c.opt.CommandTimeout, err)
			}
			return nil, fmt.Errorf("starttls: %w", tlsHint(err))
		}
	default:
		k.cl = imapclient.New(netConn, opts)
	}
	stop := context.AfterFunc(ctx, k.closeClient)
	k.mu.Lock()
	k.stopCtx = stop
	k.mu.Unlock()
	if err := k.guard(func() error { return k.cl.WaitGreeting() }); err != nil {
		k.close()
		return nil, fmt.Errorf("greeting: %w", tlsHint(err))
	}
	if err := k.login(password); err != nil {
		k.close()
		return nil, err
	}
	return k, nil
}

// dialNet opens the TCP connection, with TLS for SecurityTLS.
func (c *Connector) dialNet(ctx context.Context, opts *imapclient.Options) (net.Conn, error) {
	d := opts.Dialer
	dctx, cancel := context.WithTimeout(ctx, c.opt.DialTimeout)
	defer cancel()
	if c.opt.Security == SecurityTLS {
		cfg := c.tls.Clone()
		cfg.NextProtos = []string{"imap"}
		nc, err := (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(dctx, "tcp", c.addr)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", c.addr, tlsHint(err))
		}
		return nc, nil
	}
	nc, err := d.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", c.addr, err)
	}
	return nc, nil
}

// tlsHint adds what the user can do to certificate errors.
func tlsHint(err error) error {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("%w (set ca_file to trust the server's certificate authority)", err)
	case errors.As(err, &he):
		return fmt.Errorf("%w (the host name must match the server's certificate)", err)
	case errors.As(err, &ci):
		return fmt.Errorf("%w (check the server's certificate and this machine's clock)", err)
	}
	return err
}

// login authenticates with LOGIN, or AUTHENTICATE PLAIN where LOGIN is
// disabled; OAuth2 accounts present the access token instead (loginOAuth).
// A refusal becomes an authError.
func (k *conn) login(password string) error {
	if k.c.opt.Auth == AuthOAuth2 {
		return k.loginOAuth(password)
	}
	caps := k.capabilities()
	user := k.c.opt.Username
	var err error
	if caps.Has(imap.CapLoginDisabled) && caps.Has(imap.AuthCap(sasl.Plain)) {
		err = k.guard(func() error { return k.cl.Authenticate(sasl.NewPlainClient("", user, password)) })
	} else {
		err = k.guard(func() error { return k.cl.Login(user, password).Wait() })
	}
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && !transientCode(ie.Code) {
			return &authError{err: err}
		}
		return fmt.Errorf("login: %w", err)
	}
	k.caps = k.capabilities()
	return nil
}

// capabilities asks for the capabilities under the watchdog.
func (k *conn) capabilities() imap.CapSet {
	var caps imap.CapSet
	k.guard(func() error { caps = k.cl.Caps(); return nil })
	if caps == nil {
		caps = imap.CapSet{}
	}
	return caps
}

// transientCode says whether a NO to LOGIN is a passing server condition
// rather than a refusal of the credentials.
func transientCode(code imap.ResponseCode) bool {
	switch code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug, imap.ResponseCodeInUse, imap.ResponseCodeLimit:
		return true
	}
	return false
}

// guard runs one blocking exchange under the watchdog: if it does not finish
// within the command timeout the connection is closed, which unblocks it.
func (k *conn) guard(f func() error) error {
	return k.guardFor(k.c.opt.CommandTimeout, f)
}

// guardFor is guard with its own timeout.
func (k *conn) guardFor(d time.Duration, f func() error) error {
	t := k.watchdog(d, k.expire)
	err := f()
	t.stop()
	if err != nil && k.timedOut.Load() {
		return fmt.Errorf("%w within %v: %v", errTimeout, d, err)
	}
	return k.wrap(err)
}

// expire is the watchdog firing.
func (k *conn) expire() {
	k.timedOut.Store(true)
	k.close()
}

// wrap turns the error of a command that died with its connection into words.
func (k *conn) wrap(err error) error {
	if err == nil {
		return nil
	}
	if k.timedOut.Load() {
		return fmt.Errorf("%w within %v: %v", errTimeout, k.c.opt.CommandTimeout, err)
	}
	if isClosed(err) {
		return fmt.Errorf("connection lost: %w", err)
	}
	return err
}

// isClosed recognises the many faces of a connection the server (or a
// restart) closed: go-imap reports most of them as "use of closed network
// connection" or an unexpected EOF.
func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "use of closed network connection") ||
		strings.Contains(err.Error(), "connection reset")
}

// close detaches the context watcher and closes the connection.
func (k *conn) close() {
	k.mu.Lock()
	stop := k.stopCtx
	k.mu.Unlock()
	if stop != nil {
		stop()
	}
	k.closeClient()
}

// closeClient closes the connection once, from any goroutine.
func (k *conn) closeClient() {
	k.closing.Do(func() {
		if k.cl != nil {
			k.cl.Close()
		}
	})
}

// logout says goodbye politely but briefly, then closes.
func (k *conn) logout() {
	done := make(chan struct{})
	go func() {
		k.cl.Logout().Wait()
		close(done)
	}()
	t := k.c.clk.NewTimer(2 * time.Second)
	select {
	case <-done:
	case <-t.C():
	}
	t.Stop()
	k.close()
}

// watchdog calls expire unless it is stopped, or fed, within d on the
// connector's clock (a fake one in tests).
type watchdog struct {
	clk    clock.Clock
	d      time.Duration
	expire func()
	cancel func() bool
}

func (k *conn) watchdog(d time.Duration, expire func()) *watchdog {
	w := &watchdog{clk: k.c.clk, d: d, expire: expire}
	w.cancel = clock.AfterFunc(w.clk, d, expire)
	return w
}

// feed restarts the countdown: the command is making progress.
func (w *watchdog) feed() {
	w.cancel()
	w.cancel = clock.AfterFunc(w.clk, w.d, w.expire)
}

func (w *watchdog) stop() { w.cancel() }

// mailbox is what EXAMINE says about a folder.
type mailbox struct {
	validity uint32
	next     imap.UID // 0 when the server did not say
	modseq   uint64
	count    uint32
}

// examine selects a folder read-only (EXAMINE: nothing in it can change
// through this connection), with CONDSTORE where offered to learn
// HIGHESTMODSEQ.
func (k *conn) examine(folder string) (mailbox, error) {
	var d *imap.SelectData
	err := k.guard(func() error {
		var err error
		d, err = k.cl.Select(folder, &imap.SelectOptions{ReadOnly: true, CondStore: k.caps.Has(imap.CapCondStore)}).Wait()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo &&
			(ie.Code == imap.ResponseCodeNonExistent || strings.Contains(strings.ToLower(ie.Text), "exist")) {
			return mailbox{}, fmt.Errorf("folder %q not found on the server: %w (%s)", folder, ErrFolderNotFound, describe(err))
		}
		return mailbox{}, fmt.Errorf("examine %q: %w", folder, err)
	}
	return mailbox{validity: d.UIDValidity, next: d.UIDNext, modseq: d.HighestModSeq, count: d.NumMessages}, nil
}

// Test connects, logs in, examines each folder and logs out: the check behind
// `sluice account test` and the settings window's "Test connection". Its
// error says what went wrong in words (a refused login wraps ErrAuth, a
// missing folder ErrFolderNotFound).
func (c *Connector) Test(ctx context.Context) error {
	pw, err := c.credential(ctx)
	if err != nil {
		return err
	}
	k, err := c.dial(ctx, pw)
	if err != nil {
		return err
	}
	defer k.logout()
	for _, f := range c.opt.Folders {
		if _, err := k.examine(f); err != nil {
			return err
		}
	}
	return nil
}
