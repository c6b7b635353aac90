//go:build unix

package dovecottest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
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
