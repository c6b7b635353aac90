//go:build linux

package main_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// TestOAuthAccountEndToEnd: a real binary, a real Secret Service keyring
// (gnome-keyring on a private session bus), a real OIDC provider and a
// real Dovecot. `sluice account add` with an OIDC provider, `status` says
// "sign-in needed", `sluice account login` opens $BROWSER (this test
// binary, following the redirect to the loopback listener), the running
// daemon connects and stores new mail; after a restart the sign-in is
// still there, read from the keyring. No token in the config, the store,
// the log or anything the CLI printed.
func TestOAuthAccountEndToEnd(t *testing.T) {
	bus := privateKeyring(t)
	p := oidctest.New(t, oidctest.Options{})
	srv := dovecottest.New(t, dovecottest.Options{
		Users:  map[string]string{"alice@example.com": "pw"},
		OAuth2: &dovecottest.OAuth2{IntrospectionURL: p.UserinfoURL()},
	})
	in := newInstance(t, beforeCheckin)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in.env = append(in.env, "DBUS_SESSION_BUS_ADDRESS="+bus, "BROWSER=env "+envBrowser+"=1 "+self)

	var printed strings.Builder
	run := func(args ...string) string {
		out := in.mustRun(args...)
		printed.WriteString(out)
		return out
	}
	out := run("account", "add", "imap", "Work", "--host", srv.Host, "--port", fmt.Sprint(srv.IMAPSPort), "--security", "tls",
		"--ca-file", srv.CAFile, "--user", "alice@example.com", "--provider", "oidc", "--issuer", p.Issuer,
		"--client-id", p.ClientID, "--client-secret", p.ClientSecret)
	if !strings.Contains(out, "Next: sluice account login Work") {
		t.Fatalf("account add: %q", out)
	}
	in.start()
	waitStatus(t, in, "sign-in needed")

	p.SignInAs(oidctest.User{Email: "alice@example.com"})
	out = run("account", "login", "Work")
	for _, want := range []string{"open this address in a browser", "Your browser should show the sign-in page now.", "Signed in Work with 127.0.0.1. The running Sluice connects now."} {
		if !strings.Contains(out, want) {
			t.Errorf("account login output lacks %q:\n%s", want, out)
		}
	}
	waitStatus(t, in, "connected")
	deliverAndWait(t, in, srv, "Signed in for real")

	// A restart reads the refresh token from the keyring and refreshes.
	in.stop()
	before := p.Refreshes()
	in.start()
	waitStatus(t, in, "connected")
	if p.Refreshes() != before+1 {
		t.Errorf("%d refreshes after the restart, want 1", p.Refreshes()-before)
	}
	deliverAndWait(t, in, srv, "After a restart")
	if out := run("account", "test", "Work"); !strings.Contains(out, "signed in with 127.0.0.1") {
		t.Errorf("account test: %q", out)
	}
	in.stop()

	// The grep test: the tokens the provider handed out (it records them
	// at its token endpoint) appear nowhere Sluice writes.
	files := map[string]string{"config": in.config, "store": filepath.Join(in.data, "sluice.db")}
	for _, tok := range p.Issued() {
		sig := tok[len(tok)-24:]
		for name, path := range files {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), sig) {
				t.Errorf("a token is in the %s", name)
			}
		}
		if strings.Contains(in.logs.String(), sig) {
			t.Error("a token is in the daemon's log")
		}
		if strings.Contains(printed.String(), sig) {
			t.Error("a token was printed")
		}
	}
	if len(p.Issued()) < 3 {
		t.Errorf("the provider issued %d tokens; the grep test needs them", len(p.Issued()))
	}
}

func waitStatus(t *testing.T, in *instance, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := in.mustRun("status")
		for _, l := range strings.Split(st, "\n") {
			if strings.Contains(l, "Work") && strings.Contains(l, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never said %q:\n%s\n%s", want, st, in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func deliverAndWait(t *testing.T, in *instance, srv *dovecottest.Server, subject string) {
	t.Helper()
	raw := "From: Ann <ann@example.com>\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" +
		strings.ReplaceAll(subject, " ", ".") + "@example.com>\r\nDate: Mon, 23 Nov 2026 10:59:58 +0100\r\n\r\nHello.\r\n"
	if _, err := srv.Deliver("alice@example.com", "INBOX", []byte(raw), time.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, it := range append(in.items("held"), in.items("digest")...) {
			if it.Subject == subject && it.Account == "Work" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not arrive:\n%s", subject, in.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keyringBusConfig is a session bus with no service activation, so the
// only Secret Service on it is the one the test starts.
const keyringBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// privateKeyring starts a private session bus and an unlocked
// gnome-keyring on it (its files in a temp dir), and returns the bus
// address. Both stop when the test ends.
func privateKeyring(t *testing.T) string {
	t.Helper()
	for prog, pkg := range map[string]string{"dbus-daemon": "dbus", "gnome-keyring-daemon": "gnome-keyring"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s not found: install the Debian package %s", prog, pkg)
		}
	}
	dir, err := os.MkdirTemp("", "skr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, keyringBusConfig, dir), 0o600); err != nil {
		t.Fatal(err)
	}
	busCmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	stdout, _ := busCmd.StdoutPipe()
	if err := busCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busCmd.Process.Kill(); busCmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	addr := strings.TrimSpace(line)
	go io.Copy(io.Discard, stdout)

	for _, d := range []string{"data", "run", "home"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	kr := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	kr.Env = []string{"DBUS_SESSION_BUS_ADDRESS=" + addr, "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"), "HOME=" + filepath.Join(dir, "home"), "PATH=" + os.Getenv("PATH")}
	kr.Stdin = strings.NewReader("test keyring password")
	krLog, err := os.Create(filepath.Join(dir, "keyring.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer krLog.Close()
	kr.Stdout, kr.Stderr = krLog, krLog
	if err := kr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Process.Kill(); kr.Wait() })

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has); err == nil && has {
			return addr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(krLog.Name())
			t.Fatalf("gnome-keyring did not take org.freedesktop.secrets: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
