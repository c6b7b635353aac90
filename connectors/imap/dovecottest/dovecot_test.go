//go:build unix

package dovecottest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func greeting(t *testing.T, s *Server) string {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CAFile holds no certificate")
	}
	c, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS dial with the server's CA: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read greeting: %v", err)
	}
	return line
}

func TestServerLifecycle(t *testing.T) {
	s := New(t, Options{})
	if g := greeting(t, s); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting = %q, want * OK …", g)
	}
	if _, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{}); err == nil {
		t.Fatal("TLS dial without the CA succeeded; want an unknown-authority error")
	}

	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("From: a@example.org\r\nSubject: %d\r\nMessage-ID: <%d@t>\r\n\r\nhi\r\n", i, i)
		if _, err := s.Deliver("alice", "INBOX", []byte(msg), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v1, next, err := s.UIDValidity("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if next != 4 {
		t.Errorf("uidnext = %d, want 4", next)
	}
	v2, err := s.ChangeUIDValidity("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.UIDValidity("alice", "INBOX"); got != v2 || v2 == v1 {
		t.Errorf("uidvalidity after change = %d (reported %d), before %d", got, v2, v1)
	}

	if err := s.CreateFolder("alice", "Work/Projects"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Deliver("alice", "Work/Projects", []byte("Subject: x\r\n\r\ny\r\n"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, n, err := s.UIDValidity("alice", "Work/Projects"); err != nil || n != 2 {
		t.Errorf("Work/Projects uidnext = %d, %v; want 2", n, err)
	}
	if err := s.DeleteFolder("alice", "Work/Projects"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UIDValidity("alice", "Work/Projects"); err == nil {
		t.Error("deleted folder still has a status")
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if g := greeting(t, s); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting after restart = %q", g)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.accepts(s.IMAPSPort) {
		t.Fatal("server still accepts connections after Stop")
	}
}

func TestMissingBinary(t *testing.T) {
	_, err := Start(Options{Binary: "/nonexistent/dovecot"})
	if err == nil || !strings.Contains(err.Error(), "install dovecot-imapd (Debian)") {
		t.Fatalf("Start with a missing binary: %v, want an error naming dovecot-imapd", err)
	}
}

func TestSieveMode(t *testing.T) {
	s := New(t, Options{Sieve: &Sieve{}})
	c, err := net.DialTimeout("tcp", s.SieveAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	var caps []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read ManageSieve greeting: %v (so far %q)", err, caps)
		}
		if strings.HasPrefix(line, "OK") {
			break
		}
		caps = append(caps, strings.TrimSpace(line))
	}
	if !strings.Contains(strings.Join(caps, "\n"), `"SIEVE"`) || !strings.Contains(strings.Join(caps, "\n"), `"STARTTLS"`) {
		t.Errorf("ManageSieve capabilities %q lack SIEVE or STARTTLS", caps)
	}

	// A user script that files by subject, and one message through LMTP.
	if err := s.PutSieveScript("alice", "mine", "require \"fileinto\";\nif header :contains \"subject\" \"lists\" { fileinto \"Trash\"; }\n", true); err != nil {
		t.Fatal(err)
	}
	if name, err := s.ActiveSieveScript("alice"); err != nil || name != "mine" {
		t.Fatalf("active script = %q, %v; want mine", name, err)
	}
	for _, subj := range []string{"hello", "lists digest"} {
		msg := "From: bob@example.org\r\nTo: alice@example.net\r\nSubject: " + subj + "\r\nMessage-ID: <" + strings.ReplaceAll(subj, " ", ".") + "@t>\r\n\r\nhi\r\n"
		if err := s.DeliverLMTP("bob@example.org", []string{"alice@example.net"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(folder string) int {
		n := 0
		for _, d := range []string{"new", "cur"} {
			ents, _ := os.ReadDir(filepath.Join(s.MaildirPath("alice", folder), d))
			n += len(ents)
		}
		return n
	}
	if got := count("INBOX"); got != 1 {
		t.Errorf("INBOX holds %d messages, want 1 (the script files the other one)", got)
	}
	if got := count("Trash"); got != 1 {
		t.Errorf("Trash holds %d messages, want 1", got)
	}
	if out, err := s.Outbox(); err != nil || len(out) != 0 {
		t.Errorf("outbox = %d messages, %v; want none", len(out), err)
	}
}

func TestSieveModeNamesMissingPackages(t *testing.T) {
	// A dovecot binary in a tree without Pigeonhole, ManageSieve or LMTP.
	root := t.TempDir()
	for _, d := range []string{"sbin", "bin", "lib/dovecot/modules"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"sbin/dovecot", "bin/doveadm", "lib/dovecot/managesieve", "lib/dovecot/managesieve-login"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Start(Options{Binary: filepath.Join(root, "sbin", "dovecot"), Sieve: &Sieve{}})
	if !errors.Is(err, ErrSieveNotInstalled) || !strings.Contains(err.Error(), "install dovecot-lmtpd") {
		t.Fatalf("Start without lmtp: %v, want an error naming dovecot-lmtpd", err)
	}
}
