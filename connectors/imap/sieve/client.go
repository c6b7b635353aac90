package sieve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
)

// Security is how the ManageSieve connection is protected.
type Security string

// Connection security modes.
const (
	// SecurityStartTLS upgrades the plain connection with STARTTLS before
	// anything else and refuses to go on when the server does not offer
	// it. The default, and what RFC 5804 servers do on port 4190.
	SecurityStartTLS Security = "starttls"
	// SecurityTLS is TLS from the first byte (a few hosts put ManageSieve
	// behind a TLS proxy).
	SecurityTLS Security = "tls"
	// SecurityInsecure sends everything in clear text; Dial accepts it only
	// with AllowInsecure and a loopback host.
	SecurityInsecure Security = "insecure"
)

// DefaultPort is ManageSieve's port (RFC 5804).
const DefaultPort = 4190

// Defaults for Options.
const (
	DefaultDialTimeout   = 30 * time.Second
	DefaultMaxScriptSize = 1 << 20
)

// Options configure a connection. Host is required.
type Options struct {
	Host     string
	Port     int      // default DefaultPort
	Security Security // default SecurityStartTLS
	// AllowInsecure permits SecurityInsecure, and only to a loopback host.
	AllowInsecure bool
	// CAFile is a PEM file of extra certificate authorities to trust
	// besides the system's, as for the account's IMAP connection.
	// Certificates are always verified.
	CAFile string
	// DialTimeout bounds connecting when ctx has no earlier deadline;
	// default 30 s.
	DialTimeout time.Duration
	// MaxScriptSize is the largest script (or other literal) the client
	// accepts from the server; default 1 MiB.
	MaxScriptSize int
	// Logger receives connection events; nil discards them. Credentials and
	// scripts are never logged.
	Logger *slog.Logger
}

// Capabilities is what the server says about itself.
type Capabilities struct {
	Implementation string   // e.g. "Dovecot Pigeonhole"
	Sieve          []string // Sieve extensions, lower case: "fileinto", "vacation", "body", …
	SASL           []string // login mechanisms, upper case
	StartTLS       bool
	Version        string // "1.0" for RFC 5804 servers (CHECKSCRIPT, NOOP); "" for older ones
	MaxRedirects   int
	Other          map[string]string // any other capability, upper-case name → value
}

// HasExtension reports whether the server's Sieve offers the extension.
func (c Capabilities) HasExtension(name string) bool {
	for _, e := range c.Sieve {
		if strings.EqualFold(e, name) {
			return true
		}
	}
	return false
}

// HasSASL reports whether the server offers the login mechanism.
func (c Capabilities) HasSASL(mech string) bool {
	for _, m := range c.SASL {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// Script is one entry of LISTSCRIPTS.
type Script struct {
	Name   string
	Active bool
}

// Client is one ManageSieve connection. Its methods may be called from
// several goroutines; commands run one at a time. Every command takes a
// context: its deadline bounds the command, and when it ends in the middle
// of a command the connection is closed (the protocol cannot resume a
// half-read answer) and the command returns ErrClosed wrapped with the
// context's error.
type Client struct {
	opt  Options
	tls  *tls.Config
	log  *slog.Logger
	host string

	mu     sync.Mutex
	nc     net.Conn
	r      *reader
	caps   Capabilities
	closed bool
	authed bool
}

// longAgo is a deadline in the past, which makes blocked I/O return.
var longAgo = time.Unix(1, 0)

// Dial connects, reads the server's capabilities and, unless the security
// is SecurityInsecure, upgrades to verified TLS before it returns. Log in
// next with Login or Authenticate.
func Dial(ctx context.Context, opt Options) (*Client, error) {
	opt.Host = strings.TrimSpace(opt.Host)
	if opt.Host == "" {
		return nil, errors.New("managesieve: host is required")
	}
	if opt.Port == 0 {
		opt.Port = DefaultPort
	}
	if opt.Port < 0 || opt.Port > 65535 {
		return nil, fmt.Errorf("managesieve: port %d out of range", opt.Port)
	}
	switch opt.Security {
	case "":
		opt.Security = SecurityStartTLS
	case SecurityStartTLS, SecurityTLS:
	case SecurityInsecure:
		if !opt.AllowInsecure || !isLoopback(opt.Host) {
			return nil, fmt.Errorf("managesieve: plaintext is allowed only to a loopback host with allow_insecure (host %q)", opt.Host)
		}
	default:
		return nil, fmt.Errorf("managesieve: security %q: want starttls, tls or insecure", opt.Security)
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = DefaultDialTimeout
	}
	if opt.MaxScriptSize <= 0 {
		opt.MaxScriptSize = DefaultMaxScriptSize
	}
	tc, err := tlsConfig(opt.Host, opt.CAFile)
	if err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{opt: opt, tls: tc, log: log.With("component", "managesieve", "host", opt.Host), host: opt.Host}

	addr := net.JoinHostPort(opt.Host, strconv.Itoa(opt.Port))
	dctx, cancel := context.WithTimeout(ctx, opt.DialTimeout)
	defer cancel()
	var nc net.Conn
	d := &net.Dialer{KeepAlive: 30 * time.Second}
	if opt.Security == SecurityTLS {
		nc, err = (&tls.Dialer{NetDialer: d, Config: c.tls}).DialContext(dctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to managesieve %s: %w", addr, tlsHint(err))
	}
	c.setConn(nc)
	// The greeting is the capability list and OK; it is bounded by the
	// dial timeout too.
	err = c.run(dctx, "greeting", func() error {
		data, resp, err := c.r.readResponse()
		if err != nil {
			return err
		}
		if resp.status != "OK" {
			return &Error{Command: "greeting", Status: resp.status, Code: resp.code, Args: resp.args, Text: resp.text}
		}
		c.caps = parseCapabilities(data)
		return nil
	})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("managesieve greeting: %w", err)
	}
	if opt.Security == SecurityStartTLS {
		if err := c.startTLS(dctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func tlsConfig(host, caFile string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("managesieve: ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("managesieve: ca file %s: no PEM certificate in it", caFile)
	}
	tc.RootCAs = pool
	return tc, nil
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

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (c *Client) setConn(nc net.Conn) {
	c.nc = nc
	c.r = newReader(nc)
	c.r.maxLiteral = c.opt.MaxScriptSize
}

// startTLS upgrades the connection; RFC 5804 has the server send its
// capabilities again afterwards, and only those count.
func (c *Client) startTLS(ctx context.Context) error {
	if !c.caps.StartTLS {
		return errors.New("managesieve: the server does not offer STARTTLS; refusing to send the password in clear text")
	}
	if _, err := c.command(ctx, "STARTTLS", "STARTTLS"); err != nil {
		return fmt.Errorf("starttls: %w", err)
	}
	return c.run(ctx, "STARTTLS", func() error {
		tc := tls.Client(c.nc, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("starttls: %w", tlsHint(err))
		}
		c.setConn(tc)
		data, resp, err := c.r.readResponse()
		if err != nil {
			return fmt.Errorf("capabilities after starttls: %w", err)
		}
		if resp.status != "OK" {
			return &Error{Command: "STARTTLS", Status: resp.status, Code: resp.code, Args: resp.args, Text: resp.text}
		}
		c.caps = parseCapabilities(data)
		return nil
	})
}

// run runs fn, which does I/O on the connection, bounded by ctx. The caller
// holds no lock; run takes it.
func (c *Client) run(ctx context.Context, what string, fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runLocked(ctx, what, fn)
}

func (c *Client) runLocked(ctx context.Context, what string, fn func() error) error {
	if c.closed {
		return fmt.Errorf("%s: %w", what, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	nc := c.nc
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(longAgo) })
	err := fn()
	if !stop() {
		// The context ended while fn ran and its watcher cut the I/O (or
		// is about to): the stream is out of step, or will be.
		c.closeLocked()
		if err == nil {
			return nil // the answer was complete; later commands see ErrClosed
		}
		return fmt.Errorf("%s: %w: %w", what, ErrClosed, context.Cause(ctx))
	}
	var ne net.Error
	if err != nil && (ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
		// The only deadline on the connection is the context's: a timeout
		// is the context ending, seen by the connection first.
		c.closeLocked()
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("%s: %w: %w", what, ErrClosed, cause)
	}
	c.nc.SetDeadline(time.Time{})
	var se *Error
	switch {
	case err == nil:
	case errors.As(err, &se):
		if se.Status == "BYE" {
			c.closeLocked()
		}
	default:
		// Network and protocol errors leave the stream out of step.
		c.closeLocked()
	}
	return err
}

// command sends a command line and reads its response. A NO or BYE is an
// *Error.
func (c *Client) command(ctx context.Context, name, line string) ([][]token, error) {
	var data [][]token
	err := c.run(ctx, name, func() error {
		var err error
		data, err = c.roundTrip(name, line)
		return err
	})
	return data, err
}

func (c *Client) roundTrip(name, line string) ([][]token, error) {
	if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
		return nil, err
	}
	data, resp, err := c.r.readResponse()
	if err != nil {
		return nil, err
	}
	if resp.status != "OK" {
		return nil, &Error{Command: name, Status: resp.status, Code: resp.code, Args: resp.args, Text: resp.text}
	}
	return data, nil
}

// okText is like command but returns the OK line's response code and text
// (PUTSCRIPT and CHECKSCRIPT report warnings there).
func (c *Client) okText(ctx context.Context, name, line string) (string, error) {
	var warn string
	err := c.run(ctx, name, func() error {
		if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
			return err
		}
		_, resp, err := c.r.readResponse()
		if err != nil {
			return err
		}
		if resp.status != "OK" {
			return &Error{Command: name, Status: resp.status, Code: resp.code, Args: resp.args, Text: resp.text}
		}
		if resp.code == "WARNINGS" {
			warn = sanitize(resp.text, 1000)
		}
		return nil
	})
	return warn, err
}

// Capabilities returns what the server said about itself last (after
// STARTTLS and after login).
func (c *Client) Capabilities() Capabilities {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caps
}

// Capability asks the server for its capabilities again.
func (c *Client) Capability(ctx context.Context) (Capabilities, error) {
	data, err := c.command(ctx, "CAPABILITY", "CAPABILITY")
	if err != nil {
		return Capabilities{}, err
	}
	caps := parseCapabilities(data)
	c.mu.Lock()
	c.caps = caps
	c.mu.Unlock()
	return caps, nil
}

func parseCapabilities(data [][]token) Capabilities {
	var caps Capabilities
	for _, line := range data {
		if len(line) == 0 || line[0].kind != tokString {
			continue
		}
		name := strings.ToUpper(line[0].val)
		val := ""
		if len(line) > 1 && line[1].kind == tokString {
			val = line[1].val
		}
		switch name {
		case "IMPLEMENTATION":
			caps.Implementation = sanitize(val, 200)
		case "SIEVE":
			for _, f := range strings.Fields(val) {
				caps.Sieve = append(caps.Sieve, strings.ToLower(f))
			}
		case "SASL":
			for _, f := range strings.Fields(val) {
				caps.SASL = append(caps.SASL, strings.ToUpper(f))
			}
		case "STARTTLS":
			caps.StartTLS = true
		case "VERSION":
			caps.Version = val
		case "MAXREDIRECTS":
			caps.MaxRedirects, _ = strconv.Atoi(val)
		default:
			if caps.Other == nil {
				caps.Other = map[string]string{}
			}
			caps.Other[name] = val
		}
	}
	return caps
}

// Login authenticates with SASL PLAIN, which the connection's TLS protects.
func (c *Client) Login(ctx context.Context, username, password string) error {
	return c.Authenticate(ctx, sasl.NewPlainClient("", username, password))
}

// Authenticate logs in with a SASL client: PLAIN (Login), or the OAuth2
// bearer-token clients the IMAP connector uses (XOAUTH2, OAUTHBEARER). A
// refusal wraps ErrAuth. The server's capabilities are read again
// afterwards, since some servers tell more after login.
func (c *Client) Authenticate(ctx context.Context, cl sasl.Client) error {
	mech, ir, err := cl.Start()
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	c.mu.Lock()
	if c.authed {
		c.mu.Unlock()
		return errors.New("authenticate: already logged in")
	}
	if len(c.caps.SASL) > 0 && !c.caps.HasSASL(mech) {
		offered := strings.Join(c.caps.SASL, " ")
		c.mu.Unlock()
		return fmt.Errorf("authenticate: the server does not offer %s (it offers %s): %w", mech, offered, ErrAuth)
	}
	c.mu.Unlock()
	line := "AUTHENTICATE " + quote(mech)
	if ir != nil {
		line += " " + quote(base64.StdEncoding.EncodeToString(ir))
	}
	err = c.run(ctx, "AUTHENTICATE", func() error {
		if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
			return err
		}
		for step := 0; ; step++ {
			toks, err := c.r.readLine()
			if err != nil {
				return err
			}
			if isStatus(toks) {
				resp, err := parseStatus(toks)
				if err != nil {
					return err
				}
				if resp.status != "OK" {
					return &Error{Command: "AUTHENTICATE", Status: resp.status, Code: resp.code, Args: resp.args, Text: resp.text}
				}
				return nil
			}
			if step > 10 || len(toks) != 1 || toks[0].kind != tokString {
				return protoErr("unexpected line during AUTHENTICATE")
			}
			challenge, err := base64.StdEncoding.DecodeString(toks[0].val)
			if err != nil {
				return protoErr("SASL challenge is not base64")
			}
			resp, nerr := cl.Next(challenge)
			out := `"*"` // abort the exchange; the server answers NO
			if nerr == nil {
				out = quote(base64.StdEncoding.EncodeToString(resp))
			}
			if _, err := io.WriteString(c.nc, out+"\r\n"); err != nil {
				return err
			}
		}
	})
	if err != nil {
		var se *Error
		if errors.As(err, &se) && se.Status == "NO" {
			return fmt.Errorf("login as %s: %w", mech, err)
		}
		return fmt.Errorf("authenticate: %w", err)
	}
	c.mu.Lock()
	c.authed = true
	c.mu.Unlock()
	c.log.Debug("logged in", "mechanism", mech)
	if _, err := c.Capability(ctx); err != nil {
		return fmt.Errorf("capabilities after login: %w", err)
	}
	return nil
}

// validName checks a script name as RFC 5804 section 1.6 defines it: not
// empty, UTF-8, no control characters, no line or paragraph separators.
func validName(name string) error {
	if name == "" {
		return errors.New("empty script name")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("script name %q is not UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("script name %q has a control character", name)
		}
	}
	return nil
}

// ListScripts lists the user's scripts; at most one is active.
func (c *Client) ListScripts(ctx context.Context) ([]Script, error) {
	data, err := c.command(ctx, "LISTSCRIPTS", "LISTSCRIPTS")
	if err != nil {
		return nil, err
	}
	var out []Script
	for _, line := range data {
		if len(line) == 0 || line[0].kind != tokString {
			return nil, fmt.Errorf("listscripts: %w", protoErr("a line without a script name"))
		}
		s := Script{Name: line[0].val}
		for _, t := range line[1:] {
			if t.kind == tokAtom && strings.EqualFold(t.val, "ACTIVE") {
				s.Active = true
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// GetScript returns a script's text exactly as the server stores it.
func (c *Client) GetScript(ctx context.Context, name string) (string, error) {
	if err := validName(name); err != nil {
		return "", fmt.Errorf("getscript: %w", err)
	}
	data, err := c.command(ctx, "GETSCRIPT", "GETSCRIPT "+quote(name))
	if err != nil {
		return "", err
	}
	if len(data) != 1 || len(data[0]) != 1 || data[0][0].kind != tokString {
		return "", fmt.Errorf("getscript: %w", protoErr("expected one string"))
	}
	return data[0][0].val, nil
}

// PutScript stores a script under name, replacing a script of that name
// in one step (an active one stays active). The server compiles it first
// and refuses a script with errors; warnings come back as text.
func (c *Client) PutScript(ctx context.Context, name, content string) (warnings string, err error) {
	if err := validName(name); err != nil {
		return "", fmt.Errorf("putscript: %w", err)
	}
	return c.okText(ctx, "PUTSCRIPT", "PUTSCRIPT "+quote(name)+" "+literal(content))
}

// CheckScript has the server compile a script without storing it
// (RFC 5804 servers, Capabilities.Version "1.0").
func (c *Client) CheckScript(ctx context.Context, content string) (warnings string, err error) {
	return c.okText(ctx, "CHECKSCRIPT", "CHECKSCRIPT "+literal(content))
}

// SetActive makes the named script the active one; "" deactivates all.
func (c *Client) SetActive(ctx context.Context, name string) error {
	if name != "" {
		if err := validName(name); err != nil {
			return fmt.Errorf("setactive: %w", err)
		}
	}
	_, err := c.command(ctx, "SETACTIVE", "SETACTIVE "+quote(name))
	return err
}

// DeleteScript deletes a script; the server refuses to delete the active
// one (ErrActive).
func (c *Client) DeleteScript(ctx context.Context, name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("deletescript: %w", err)
	}
	_, err := c.command(ctx, "DELETESCRIPT", "DELETESCRIPT "+quote(name))
	return err
}

// HaveSpace asks whether a script of size octets may be stored under name;
// a refusal wraps ErrQuota.
func (c *Client) HaveSpace(ctx context.Context, name string, size int) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("havespace: %w", err)
	}
	_, err := c.command(ctx, "HAVESPACE", "HAVESPACE "+quote(name)+" "+strconv.Itoa(size))
	return err
}

// Noop checks that the connection is alive (RFC 5804 servers).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.command(ctx, "NOOP", "NOOP")
	return err
}

// Logout ends the session politely and closes the connection.
func (c *Client) Logout(ctx context.Context) error {
	err := c.run(ctx, "LOGOUT", func() error {
		if _, err := io.WriteString(c.nc, "LOGOUT\r\n"); err != nil {
			return err
		}
		_, resp, err := c.r.readResponse()
		if err != nil {
			return err
		}
		if resp.status == "NO" {
			return &Error{Command: "LOGOUT", Status: resp.status, Code: resp.code, Text: resp.text}
		}
		return nil
	})
	c.Close()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // the server may close without a word
	}
	return err
}

// Close closes the connection without a word to the server.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeLocked()
}

func (c *Client) closeLocked() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.nc.Close()
}
