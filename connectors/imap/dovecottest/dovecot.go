//go:build unix

// Package dovecottest starts a real, self-contained Dovecot IMAP server on
// 127.0.0.1 for tests and benchmarks: its own configuration, users, a freshly
// generated self-signed certificate and Maildirs, all in one short temporary
// directory, and no system service touched.
//
// Tests use New, which fails the test (naming the Debian package to install)
// when Dovecot is missing and stops the server when the test ends. Benchmarks
// and tools use Start and Close.
//
// With Options.OAuth2 the server also takes OAuth2 access tokens
// (AUTHENTICATE XOAUTH2 and OAUTHBEARER) through Dovecot's oauth2 passdb,
// which asks an OIDC provider's userinfo endpoint about each token.
//
// With Options.Sieve the server also runs Pigeonhole: ManageSieve on its own
// port, and LMTP delivery (DeliverLMTP) that runs each user's active Sieve
// script, with whatever the scripts send (vacation replies) captured in the
// instance's outbox (Outbox) instead of sent.
//
// Dovecot refuses to run its login and mail processes as root, so when the
// caller is root every Dovecot process runs as "nobody"; the instance
// directory is therefore created world-executable directly under the system
// temporary directory (t.TempDir is 0700, and Unix socket paths inside it must
// stay under 108 bytes).
package dovecottest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

//go:embed dovecot.conf.tmpl
var confTemplate string

// ErrNotInstalled is returned by Start when the Dovecot binary is missing.
var ErrNotInstalled = errors.New("dovecot not found: install dovecot-imapd (Debian)")

// DefaultUsers are the users a server gets when Options.Users is empty.
var DefaultUsers = map[string]string{"alice": "alicepw", "bob": "bobpw"}

// Options configure a test server. The zero value is ready to use.
type Options struct {
	// Users maps user names to plaintext passwords; DefaultUsers when empty.
	Users map[string]string
	// LocalConf is appended to the configuration, e.g. "mail_fsync = never".
	LocalConf string
	// Binary is the dovecot executable; $DOVECOT or /usr/sbin/dovecot when empty.
	Binary string
	// OAuth2, when set, also lets users log in with an OAuth2 access token
	// (AUTHENTICATE XOAUTH2 and OAUTHBEARER); passwords keep working for
	// LOGIN and PLAIN.
	OAuth2 *OAuth2
	// Sieve, when set, adds ManageSieve and LMTP delivery through Sieve
	// (Debian packages dovecot-sieve, dovecot-managesieved, dovecot-lmtpd).
	Sieve *Sieve
}

// OAuth2 configures Dovecot's oauth2 passdb. Dovecot sends every token it
// is given to IntrospectionURL as "Authorization: Bearer <token>"
// (introspection mode "auth") and accepts the login when the JSON answer's
// UsernameAttribute equals the login name. An OIDC provider's userinfo
// endpoint answers exactly that way.
type OAuth2 struct {
	IntrospectionURL  string
	UsernameAttribute string // default "email"
}

// Server is one running (or stopped) Dovecot instance.
type Server struct {
	Dir       string // instance directory: config, cert, users, mail, logs, sockets
	Host      string // always 127.0.0.1
	IMAPPort  int    // plain IMAP with STARTTLS offered
	IMAPSPort int    // implicit TLS
	CAFile    string // PEM of the self-signed server certificate, to trust it
	SievePort int    // ManageSieve (STARTTLS offered); 0 without Options.Sieve
	LMTPPort  int    // LMTP delivery; 0 without Options.Sieve

	binary  string
	doveadm string
	users   map[string]string
	oauth2  *OAuth2
	sieve   *Sieve
	runUser string
	uid     int
	gid     int
	asRoot  bool // the caller is root: run processes as uid/gid

	seq atomic.Uint64

	mu  sync.Mutex
	cmd *exec.Cmd
	bye chan struct{} // closed when cmd has exited
}

// New starts a server for the test and stops it (removing its directory)
// when the test ends. It fails the test when Dovecot cannot start.
func New(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := Start(opt)
	if err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot log tail:\n%s", s.LogTail(40))
		}
		if err := s.Close(); err != nil {
			t.Errorf("stop dovecot: %v", err)
		}
	})
	return s
}

// Start creates an instance directory and starts Dovecot in it.
func Start(opt Options) (*Server, error) {
	bin := opt.Binary
	if bin == "" {
		bin = os.Getenv("DOVECOT")
	}
	if bin == "" {
		bin = "/usr/sbin/dovecot"
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	doveadm := filepath.Join(filepath.Dir(filepath.Dir(bin)), "bin", "doveadm")
	if _, err := os.Stat(doveadm); err != nil {
		if p, lerr := exec.LookPath("doveadm"); lerr == nil {
			doveadm = p
		} else {
			return nil, fmt.Errorf("%w (doveadm: %v)", ErrNotInstalled, err)
		}
	}
	users := opt.Users
	if len(users) == 0 {
		users = DefaultUsers
	}
	s := &Server{Host: "127.0.0.1", binary: bin, doveadm: doveadm, users: users, oauth2: opt.OAuth2, sieve: opt.Sieve}
	if s.sieve != nil {
		if err := sieveInstalled(bin); err != nil {
			return nil, err
		}
	}
	if err := s.pickRunUser(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(os.TempDir(), "dc")
	if err != nil {
		return nil, fmt.Errorf("create instance dir: %w", err)
	}
	s.Dir = dir
	if len(dir)+40 > 107 {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("instance dir %s too long for dovecot's unix sockets", dir)
	}
	if err := s.prepare(opt.LocalConf); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Ports are picked free and then released, so another process may take
	// one before Dovecot binds it: try a few times.
	for attempt := 0; ; attempt++ {
		if err := s.pickPorts(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := s.writeConf(opt.LocalConf); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		err := s.Start()
		if err == nil {
			return s, nil
		}
		if attempt == 2 || !strings.Contains(err.Error(), "in use") {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

func (s *Server) pickRunUser() error {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return fmt.Errorf("current user: %w", err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return fmt.Errorf("current group: %w", err)
		}
		s.runUser = u.Username + ":" + g.Name
		s.uid, s.gid = os.Getuid(), os.Getgid()
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("running as root needs a user \"nobody\" to run dovecot as: %w", err)
	}
	s.uid, _ = strconv.Atoi(u.Uid)
	s.gid, _ = strconv.Atoi(u.Gid)
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return fmt.Errorf("group of nobody: %w", err)
	}
	s.runUser = "nobody:" + g.Name
	s.asRoot = true
	return nil
}

func (s *Server) prepare(local string) error {
	for _, d := range []string{"run", "state", "log", "mail", "ssl"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return fmt.Errorf("generate certificate: %w", err)
	}
	s.CAFile = filepath.Join(s.Dir, "ssl", "cert.pem")
	if err := os.WriteFile(s.CAFile, certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "ssl", "key.pem"), keyPEM, 0o600); err != nil {
		return err
	}
	var names []string
	for u := range s.users {
		names = append(names, u)
	}
	sort.Strings(names)
	var ub strings.Builder
	for _, u := range names {
		fmt.Fprintf(&ub, "%s:%s\n", u, s.users[u])
		for _, d := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(s.Dir, "mail", u, "Maildir", d), 0o755); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "users"), []byte(ub.String()), 0o600); err != nil {
		return err
	}
	if o := s.oauth2; o != nil {
		attr := o.UsernameAttribute
		if attr == "" {
			attr = "email"
		}
		// Dovecot 2.3.19 quirk: an active_attribute with an empty
		// active_value rejects every token, so neither is set.
		args := fmt.Sprintf("introspection_mode = auth\nintrospection_url = %s\nusername_attribute = %s\n", o.IntrospectionURL, attr)
		if err := os.WriteFile(filepath.Join(s.Dir, "oauth2.conf"), []byte(args), 0o644); err != nil {
			return err
		}
	}
	if err := s.prepareSieve(); err != nil {
		return err
	}
	return s.chownAll(s.Dir)
}

func (s *Server) writeConf(local string) error {
	name, group, _ := strings.Cut(s.runUser, ":")
	var oauthMechs, oauthPassdb string
	if s.oauth2 != nil {
		oauthMechs = " xoauth2 oauthbearer"
		// No fixed delay after a refused token. Dovecot still delays the
		// next login from the same IP after a failure (its auth penalty:
		// 4 s after one failure, doubling up to 15 s, not configurable in
		// 2.3), so a test that wants several refusals starts its own server.
		oauthPassdb = "auth_failure_delay = 0\nauth_verbose = yes\npassdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = " +
			filepath.Join(s.Dir, "oauth2.conf") + "\n}\n"
	}
	conf := strings.NewReplacer(
		"@DIR@", s.Dir,
		"@RUN_USER@", name, "@RUN_GROUP@", group,
		"@RUN_UID@", strconv.Itoa(s.uid), "@RUN_GID@", strconv.Itoa(s.gid),
		"@IMAP_PORT@", strconv.Itoa(s.IMAPPort), "@IMAPS_PORT@", strconv.Itoa(s.IMAPSPort),
		"@LOCAL@", local,
		"@OAUTH_MECHS@", oauthMechs, "@OAUTH_PASSDB@", oauthPassdb,
		"@PROTOCOLS@", s.sieveProtocols(), "@SIEVE@", s.sieveConf(),
	).Replace(confTemplate)
	p := filepath.Join(s.Dir, "dovecot.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		return err
	}
	return s.chown(p)
}

func (s *Server) pickPorts() error {
	ports := make([]int, 2, 4)
	if s.sieve != nil {
		ports = ports[:4]
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("pick a free port: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	s.IMAPPort, s.IMAPSPort = ports[0], ports[1]
	if s.sieve != nil {
		s.SievePort, s.LMTPPort = ports[2], ports[3]
	}
	return nil
}

// Start starts the server again after Stop, on the same ports and with the
// same mail. Start on a running server is an error.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("dovecot already running")
	}
	out, err := os.Create(filepath.Join(s.Dir, "log", "startup.out"))
	if err != nil {
		return err
	}
	defer out.Close()
	// -F keeps the master in the foreground, so the harness owns it; its own
	// process group lets Stop signal every login and mail process at once.
	cmd := exec.Command(s.binary, "-F", "-c", filepath.Join(s.Dir, "dovecot.conf"))
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = s.sysProcAttr()
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.binary, err)
	}
	bye := make(chan struct{})
	go func() { cmd.Wait(); close(bye) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s.accepts(s.IMAPPort) && s.accepts(s.IMAPSPort) && (s.sieve == nil || s.accepts(s.SievePort) && s.accepts(s.LMTPPort)) {
			s.cmd, s.bye = cmd, bye
			return nil
		}
		select {
		case <-bye:
			b, _ := os.ReadFile(out.Name())
			return fmt.Errorf("dovecot exited at start: %s%s", bytes.TrimSpace(b), s.LogTail(10))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-bye
			return fmt.Errorf("dovecot did not accept connections within 10s%s", s.LogTail(10))
		}
	}
}

func (s *Server) accepts(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (s *Server) sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{}
	if s.asRoot {
		a.Credential = &syscall.Credential{Uid: uint32(s.uid), Gid: uint32(s.gid), Groups: []uint32{}}
	}
	return a
}

// Stop stops every process of the instance (master, login and mail
// processes, so connected clients see their connection close) and keeps the
// directory for a later Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	var err error
	select {
	case <-s.bye:
	case <-time.After(10 * time.Second):
		err = errors.New("dovecot did not stop within 10s; killed")
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.bye
	}
	// Mail processes may outlive the master for a moment.
	for i := 0; i < 200 && syscall.Kill(-pgid, 0) == nil; i++ {
		if i == 100 {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd, s.bye = nil, nil
	return err
}

// Restart stops and starts the server.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop()
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

// Addr is host:port of the plain (STARTTLS) listener.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.IMAPPort)) }

// TLSAddr is host:port of the implicit-TLS listener.
func (s *Server) TLSAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.IMAPSPort)) }

// Password returns a user's password.
func (s *Server) Password(user string) string { return s.users[user] }

// LogTail returns the last n lines of Dovecot's log, prefixed with a newline,
// or "" when there is none.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n" + strings.Join(lines, "\n")
}

// MaildirPath is the directory that holds a folder's cur/new/tmp. Folders use
// Dovecot's default Maildir++ layout: "INBOX" is the Maildir itself, "A/B" is
// Maildir/.A.B.
func (s *Server) MaildirPath(user, folder string) string {
	root := filepath.Join(s.Dir, "mail", user, "Maildir")
	if strings.EqualFold(folder, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+strings.ReplaceAll(folder, "/", "."))
}

// CreateFolder creates an empty folder.
func (s *Server) CreateFolder(user, folder string) error {
	p := s.MaildirPath(user, folder)
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(p, d), 0o755); err != nil {
			return err
		}
	}
	if f, err := os.OpenFile(filepath.Join(p, "maildirfolder"), os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.Close()
	}
	return s.chownAll(p)
}

// DeleteFolder removes a folder and its mail behind Dovecot's back, the way
// another client or the provider deleting it looks to a connected client.
func (s *Server) DeleteFolder(user, folder string) error {
	if strings.EqualFold(folder, "INBOX") {
		return errors.New("cannot delete INBOX")
	}
	// Rename first, so the folder vanishes at once even while Dovecot is
	// writing index files into it; then remove it.
	gone := filepath.Join(s.Dir, fmt.Sprintf("deleted-%d", s.seq.Add(1)))
	if err := os.Rename(s.MaildirPath(user, folder), gone); err != nil {
		return err
	}
	var err error
	for i := 0; i < 50; i++ {
		if err = os.RemoveAll(gone); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Deliver writes a message into the folder's Maildir (tmp, then new), which is
// how a local delivery agent hands mail to Dovecot and ~10× faster than
// APPEND. A non-zero at sets the file time, which Dovecot reports as the
// message's INTERNALDATE. It returns the file's path.
func (s *Server) Deliver(user, folder string, raw []byte, at time.Time) (string, error) {
	dir := s.MaildirPath(user, folder)
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		return "", fmt.Errorf("folder %q of %s: %w", folder, user, err)
	}
	now := time.Now()
	name := fmt.Sprintf("%d.M%dP%dQ%d.sluice,S=%d", now.Unix(), now.Nanosecond()/1000, os.Getpid(), s.seq.Add(1), len(raw))
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return "", err
	}
	if err := s.chown(tmp); err != nil {
		return "", err
	}
	if !at.IsZero() {
		if err := os.Chtimes(tmp, at, at); err != nil {
			return "", err
		}
	}
	dst := filepath.Join(dir, "new", name)
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// Note is a small message from Ann known by its Message-ID <id>: subject
// "note <id>", body "body of <id>".
func Note(id string) []byte {
	return fmt.Appendf(nil, "From: Ann <ann@example.com>\r\nTo: alice@example.net\r\nSubject: note %s\r\nMessage-ID: <%s>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\nbody of %s\r\n", id, id, id)
}

// DeliverNote delivers Note(id) to user's INBOX now, failing t if it cannot.
func (s *Server) DeliverNote(t testing.TB, user, id string) {
	t.Helper()
	if _, err := s.Deliver(user, "INBOX", Note(id), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// UIDValidity returns a folder's current UIDVALIDITY (and UIDNEXT), asking
// Dovecot through doveadm.
func (s *Server) UIDValidity(user, folder string) (validity, next uint32, err error) {
	out, err := s.doveadmRun("mailbox", "status", "-u", user, "uidvalidity uidnext", folder)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range strings.Fields(out) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseUint(v, 10, 32)
		switch k {
		case "uidvalidity":
			validity = uint32(n)
		case "uidnext":
			next = uint32(n)
		}
	}
	if validity == 0 {
		return 0, 0, fmt.Errorf("doveadm mailbox status: no uidvalidity in %q", out)
	}
	return validity, next, nil
}

// ChangeUIDValidity gives a folder a new, higher UIDVALIDITY while the server
// runs (doveadm mailbox update), as a server does after its index was rebuilt
// or the mailbox was migrated: every UID a client remembered becomes invalid.
// It returns the new value.
func (s *Server) ChangeUIDValidity(user, folder string) (uint32, error) {
	old, _, err := s.UIDValidity(user, folder)
	if err != nil {
		return 0, err
	}
	nv := old + 1000
	if _, err := s.doveadmRun("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(uint64(nv), 10), folder); err != nil {
		return 0, err
	}
	return nv, nil
}

func (s *Server) doveadmRun(args ...string) (string, error) {
	cmd := exec.Command(s.doveadm, append([]string{"-c", filepath.Join(s.Dir, "dovecot.conf")}, args...)...)
	cmd.Dir = s.Dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = s.sysProcAttr()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("doveadm %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func (s *Server) chown(p string) error {
	if !s.asRoot {
		return nil
	}
	return os.Lchown(p, s.uid, s.gid)
}

func (s *Server) chownAll(root string) error {
	if !s.asRoot {
		return nil
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, s.uid, s.gid)
	})
}

// selfSigned makes a certificate for localhost and 127.0.0.1 that is its own
// CA, so a client trusts it exactly when told to (CAFile).
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"Sluice test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}
