//go:build unix

package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClientAgainstDovecot(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	caps := c.Capabilities()
	for _, ext := range []string{"fileinto", "vacation", "body", "date", "include", "imap4flags", "mailbox", "relational"} {
		if !caps.HasExtension(ext) {
			t.Errorf("server lacks %q; capabilities %+v", ext, caps)
		}
	}
	if caps.Version != "1.0" || !strings.Contains(caps.Implementation, "Pigeonhole") {
		t.Errorf("version %q implementation %q", caps.Version, caps.Implementation)
	}

	list, err := c.ListScripts(ctx(t))
	if err != nil || len(list) != 0 {
		t.Fatalf("fresh account lists %v, %v; want none", list, err)
	}
	// A script with a CRLF, quotes, a backslash and non-ASCII text goes as
	// a literal and comes back byte-identical.
	script := "# \"quoted\" \\ und Grüße\r\nrequire \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"Trash\"; }\r\n"
	if warn, err := c.CheckScript(ctx(t), script); err != nil || warn != "" {
		t.Fatalf("checkscript: %q, %v", warn, err)
	}
	if err := c.HaveSpace(ctx(t), "mine", len(script)); err != nil {
		t.Fatalf("havespace: %v", err)
	}
	if _, err := c.PutScript(ctx(t), "mine", script); err != nil {
		t.Fatalf("putscript: %v", err)
	}
	got, err := c.GetScript(ctx(t), "mine")
	if err != nil || got != script {
		t.Fatalf("getscript = %q, %v; want %q", got, err, script)
	}
	if err := c.SetActive(ctx(t), "mine"); err != nil {
		t.Fatal(err)
	}
	list, err = c.ListScripts(ctx(t))
	if err != nil || len(list) != 1 || list[0] != (Script{Name: "mine", Active: true}) {
		t.Fatalf("listscripts = %v, %v", list, err)
	}
	if name, _ := s.ActiveSieveScript("alice"); name != "mine" {
		t.Errorf("on disk the active script is %q", name)
	}

	// Refusals come back as words with their response codes.
	_, err = c.CheckScript(ctx(t), "require \"nosuchext\";\nkeep;\n")
	var se *Error
	if !errors.As(err, &se) || se.Command != "CHECKSCRIPT" || !strings.Contains(err.Error(), "nosuchext") {
		t.Errorf("bad script: %v", err)
	}
	if err := c.DeleteScript(ctx(t), "mine"); !errors.Is(err, ErrActive) {
		t.Errorf("delete active script: %v, want ErrActive", err)
	}
	if _, err := c.GetScript(ctx(t), "nope"); !errors.Is(err, ErrNonexistent) || !strings.Contains(err.Error(), "no such script (NONEXISTENT)") {
		t.Errorf("get missing script: %v", err)
	}
	if err := c.SetActive(ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteScript(ctx(t), "mine"); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListScripts(ctx(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("after logout: %v, want ErrClosed", err)
	}
}

func TestClientRefusals(t *testing.T) {
	s := sieveServer(t, "")
	ctx := ctx(t)

	// TLS is verified: without the CA file the server's certificate is
	// unknown, and the error says what to do.
	if _, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort}); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("dial without the CA: %v", err)
	}
	// Plaintext only to loopback and only when allowed.
	if _, err := Dial(ctx, Options{Host: "mail.example.net", Security: SecurityInsecure, AllowInsecure: true}); err == nil {
		t.Error("plaintext to a remote host was accepted")
	}

	c, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(ctx, "alice", "wrong")
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	t.Logf("wrong password: %v", err)

	// A context that ends mid-command closes the connection.
	c2 := login(t, s, "bob")
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c2.ListScripts(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer dcancel()
	<-dctx.Done()
	if _, err := c2.ListScripts(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: %v", err)
	}
}
