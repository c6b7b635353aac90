//go:build unix

package dovecottest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sieve configures the server's Pigeonhole mode (Options.Sieve).
type Sieve struct {
	// Extensions is Pigeonhole's sieve_extensions setting, to run a server
	// that lacks some extensions ("-body -regex -date"); empty keeps
	// Pigeonhole's defaults.
	Extensions string
}

// ErrSieveNotInstalled is returned by Start with Options.Sieve when a part
// of Pigeonhole or Dovecot's LMTP server is missing.
var ErrSieveNotInstalled = errors.New("dovecot sieve mode needs the Debian packages dovecot-sieve, dovecot-managesieved and dovecot-lmtpd")

// sieveInstalled checks the programs and the plugin the Sieve mode runs.
func sieveInstalled(bin string) error {
	lib := filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib", "dovecot")
	for _, p := range []struct{ file, pkg string }{
		{filepath.Join(lib, "managesieve"), "dovecot-managesieved"},
		{filepath.Join(lib, "managesieve-login"), "dovecot-managesieved"},
		{filepath.Join(lib, "lmtp"), "dovecot-lmtpd"},
		{filepath.Join(lib, "modules", "lib90_sieve_plugin.so"), "dovecot-sieve"},
	} {
		if _, err := os.Stat(p.file); err != nil {
			return fmt.Errorf("%w: install %s (%v)", ErrSieveNotInstalled, p.pkg, err)
		}
	}
	return nil
}

func (s *Server) sieveProtocols() string {
	if s.sieve == nil {
		return ""
	}
	return " sieve lmtp"
}

// sieveConf is the configuration the Sieve mode adds. LMTP recipients are
// full addresses (alice@example.net); for LMTP alone auth_username_format
// = %Ln makes the user "alice" of them, and logins stay what they were.
// Vacation replies and other mail Sieve sends go to sendmail_path, a script
// that writes each message into the outbox directory.
func (s *Server) sieveConf() string {
	if s.sieve == nil {
		return ""
	}
	ext := ""
	if s.sieve.Extensions != "" {
		ext = "  sieve_extensions = " + s.sieve.Extensions + "\n"
	}
	return fmt.Sprintf(`# Sieve mode: ManageSieve, LMTP delivery through Sieve, captured sendmail.
hostname = mail.example.net
postmaster_address = postmaster@example.net
sendmail_path = %[1]s/sendmail
service managesieve-login {
  chroot =
  inet_listener sieve {
    address = 127.0.0.1
    port = %[2]d
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[3]d
  }
  unix_listener lmtp {
    mode = 0600
  }
}
protocol lmtp {
  mail_plugins = $mail_plugins sieve
  auth_username_format = %%Ln
}
protocol sieve {
  mail_max_userip_connections = 200
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
%[4]s}
`, s.Dir, s.SievePort, s.LMTPPort, ext)
}

// prepareSieve writes the capturing sendmail script and the outbox.
func (s *Server) prepareSieve() error {
	if s.sieve == nil {
		return nil
	}
	out := filepath.Join(s.Dir, "outbox")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// Dovecot runs it as the mail user with a bare environment: absolute
	// paths only. A message is written under a dot name and renamed, so a
	// reader never sees half of one.
	script := fmt.Sprintf(`#!/bin/sh
# Captures what Dovecot would send (Sieve vacation replies) into the outbox.
n="$(/bin/date +%%s%%N)-$$"
{ printf 'X-Test-Sendmail-Args: %%s\n' "$*"; /bin/cat; } > "%[1]s/.$n" && /bin/mv "%[1]s/.$n" "%[1]s/$n.eml"
`, out)
	return os.WriteFile(filepath.Join(s.Dir, "sendmail"), []byte(script), 0o755)
}

// SieveAddr is host:port of the ManageSieve listener (STARTTLS offered).
func (s *Server) SieveAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.SievePort)) }

// LMTPAddr is host:port of the LMTP listener.
func (s *Server) LMTPAddr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.LMTPPort)) }

// DeliverLMTP delivers raw to each recipient over LMTP, the way a mail
// server's MTA hands mail to Dovecot, so that each recipient's active Sieve
// script runs. from is the envelope sender ("" for the null sender <>);
// recipients are addresses such as "alice@example.net". It returns an error
// when the server refuses the message for any recipient.
func (s *Server) DeliverLMTP(from string, to []string, raw []byte) error {
	nc, err := net.DialTimeout("tcp", s.LMTPAddr(), 5*time.Second)
	if err != nil {
		return fmt.Errorf("lmtp connect: %w", err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := textproto.NewConn(nc)
	if _, _, err := c.ReadResponse(220); err != nil {
		return fmt.Errorf("lmtp greeting: %w", err)
	}
	cmd := func(code int, format string, args ...any) error {
		id, err := c.Cmd(format, args...)
		if err != nil {
			return err
		}
		c.StartResponse(id)
		defer c.EndResponse(id)
		if _, msg, err := c.ReadResponse(code); err != nil {
			return fmt.Errorf("lmtp %s: %w (%s)", strings.Fields(format)[0], err, msg)
		}
		return nil
	}
	if err := cmd(250, "LHLO client.example.org"); err != nil {
		return err
	}
	if err := cmd(250, "MAIL FROM:<%s>", from); err != nil {
		return err
	}
	for _, r := range to {
		if err := cmd(250, "RCPT TO:<%s>", r); err != nil {
			return err
		}
	}
	if err := cmd(354, "DATA"); err != nil {
		return err
	}
	w := c.DotWriter()
	if _, err := w.Write(bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// LMTP answers once per recipient.
	for _, r := range to {
		if _, msg, err := c.ReadResponse(250); err != nil {
			return fmt.Errorf("lmtp delivery to %s: %w (%s)", r, err, msg)
		}
	}
	c.Cmd("QUIT")
	return nil
}

// Sent is one message the server sent while in Sieve mode (a vacation
// reply), as the capturing sendmail received it.
type Sent struct {
	Args string // sendmail's arguments: "-f <sender> -- <recipient>" or alike
	Raw  []byte // the message
}

// Header returns the first value of a header field of the message, "" if
// it has none.
func (m Sent) Header(name string) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(m.Raw)))
	h, _ := r.ReadMIMEHeader()
	return h.Get(name)
}

// Outbox returns every message the server has sent so far, oldest first.
func (s *Server) Outbox() ([]Sent, error) {
	dir := filepath.Join(s.Dir, "outbox")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".eml") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []Sent
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		first, rest, _ := bytes.Cut(b, []byte("\n"))
		out = append(out, Sent{Args: strings.TrimPrefix(string(first), "X-Test-Sendmail-Args: "), Raw: rest})
	}
	return out, nil
}

// sieveDir is where Pigeonhole keeps a user's scripts (name.sieve), with
// the active one linked from ~/.dovecot.sieve.
func (s *Server) sieveDir(user string) string { return filepath.Join(s.Dir, "mail", user, "sieve") }

// PutSieveScript stores a Sieve script for the user behind the server's
// back, the way a user's earlier client or the provider's webmail left it,
// and makes it the active one when active is true.
func (s *Server) PutSieveScript(user, name, text string, active bool) error {
	dir := s.sieveDir(user)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dir, name+".sieve")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		return err
	}
	if active {
		link := filepath.Join(s.Dir, "mail", user, ".dovecot.sieve")
		os.Remove(link)
		if err := os.Symlink(filepath.Join("sieve", name+".sieve"), link); err != nil {
			return err
		}
	}
	return s.chownAll(filepath.Join(s.Dir, "mail", user))
}

// SieveScript returns a stored script's bytes as they are on disk.
func (s *Server) SieveScript(user, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.sieveDir(user), name+".sieve"))
}

// ActiveSieveScript returns the name of the user's active script, "" when
// none is active.
func (s *Server) ActiveSieveScript(user string) (string, error) {
	dst, err := os.Readlink(filepath.Join(s.Dir, "mail", user, ".dovecot.sieve"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(filepath.Base(dst), ".sieve"), nil
}
