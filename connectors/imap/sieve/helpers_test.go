//go:build unix

package sieve

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// sieveServer starts a Dovecot with Pigeonhole, ManageSieve and LMTP.
func sieveServer(t *testing.T, ext string) *dovecottest.Server {
	t.Helper()
	return dovecottest.New(t, dovecottest.Options{Sieve: &dovecottest.Sieve{Extensions: ext}})
}

// login connects to the server's ManageSieve over verified STARTTLS and
// logs in as user.
func login(t *testing.T, s *dovecottest.Server, user string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
	if err != nil {
		t.Fatalf("dial: %v%s", err, s.LogTail(10))
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(ctx, user, s.Password(user)); err != nil {
		t.Fatalf("login: %v%s", err, s.LogTail(10))
	}
	return c
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}
