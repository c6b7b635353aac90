//go:build unix

package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// TestFixedPasswordBringsTheAccountBack: an account whose login a real
// Dovecot refused stays "auth failed" (it never retries by itself), and each
// way a user fixes the password brings it back to connected at once, with no
// restart: `sluice account set-password`, `sluice config reload`, SIGHUP,
// `sluice account test` succeeding, and Save in the settings (SetConfig over
// the control API, which is all the Accounts tab uses). Named after what
// broke: only a resume from sleep retried; a reload restarted an account
// only when its settings changed.
func TestFixedPasswordBringsTheAccountBack(t *testing.T) {
	secrets.MockForTests()
	srv := dovecottest.New(t, dovecottest.Options{LocalConf: "auth_failure_delay = 0"})
	triggers := []struct {
		name    string
		keyring bool // the password lives in the keyring, not a password command
		fire    func(t *testing.T, h *retryHarness)
	}{
		{"account set-password", true, func(t *testing.T, h *retryHarness) {
			h.cli(t, srv.Password("alice")+"\n", "account", "set-password", "Work")
		}},
		{"config reload", false, func(t *testing.T, h *retryHarness) {
			h.cli(t, "", "config", "reload")
		}},
		{"SIGHUP", false, func(t *testing.T, h *retryHarness) {
			// Catch SIGHUP here too, so that a signal sent before
			// reloadOnHangup listens does not end the test process.
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, syscall.SIGHUP)
			t.Cleanup(func() { signal.Stop(ch) })
			go reloadOnHangup(h.ctx, h.app, slog.New(slog.DiscardHandler))
			for i := 0; i < 50 && h.state() != model.HealthConnected; i++ {
				syscall.Kill(os.Getpid(), syscall.SIGHUP)
				time.Sleep(200 * time.Millisecond)
			}
		}},
		{"account test", false, func(t *testing.T, h *retryHarness) {
			out := h.cli(t, "", "account", "test", "Work")
			if !strings.Contains(out, "Connected to 127.0.0.1 as alice") || !strings.Contains(out, `connecting "Work" again`) {
				t.Errorf("account test said %q", out)
			}
		}},
		{"settings Save", false, func(t *testing.T, h *retryHarness) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := control.NewClient(h.data)
			cfg, err := c.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SetConfig(ctx, cfg); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tr := range triggers {
		t.Run(tr.name, func(t *testing.T) {
			h := startRetryHarness(t, srv, tr.keyring)
			h.waitState(t, model.HealthAuthFailed, 15*time.Second)
			h.fix(t)
			// Fixing the password alone changes nothing: no retry loop.
			time.Sleep(time.Second)
			if st := h.state(); st != model.HealthAuthFailed {
				t.Fatalf("state %q after the password was fixed, before any trigger; want auth failed", st)
			}
			tr.fire(t, h)
			h.waitState(t, model.HealthConnected, 15*time.Second)
		})
	}
}

// retryHarness is a Sluice running in this process on temp dirs, with one
// IMAP account ("Work") for alice on the test Dovecot.
type retryHarness struct {
	app    *app.App
	ctx    context.Context
	cfg    string
	data   string
	pwFile string
	right  string
	keyrng bool
}

func startRetryHarness(t *testing.T, srv *dovecottest.Server, keyring bool) *retryHarness {
	t.Helper()
	// Short, so the control socket's path stays within the Unix limit.
	dir, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &retryHarness{cfg: filepath.Join(dir, "config.toml"), data: filepath.Join(dir, "data"),
		pwFile: filepath.Join(dir, "pw"), right: srv.Password("alice"), keyrng: keyring}
	acc := config.Account{Name: "Work", Kind: "imap", Host: srv.Host, Port: srv.IMAPSPort, Security: "tls",
		Username: "alice", CAFile: srv.CAFile}
	if keyring {
		if err := secrets.Set("Work", secrets.Password, "wrong"); err != nil {
			t.Fatal(err)
		}
	} else {
		acc.PasswordCommand = "cat " + h.pwFile
		if err := os.WriteFile(h.pwFile, []byte("wrong\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Accounts = []config.Account{acc}
	if err := config.Save(h.cfg, cfg); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: h.cfg, DataDir: h.data})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("app.Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("app.Run did not return")
		}
	})
	h.app, h.ctx = a, ctx
	deadline := time.Now().Add(10 * time.Second)
	for !control.Running(h.data, time.Second) {
		if time.Now().After(deadline) {
			t.Fatal("sluice did not answer on its control socket")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

// fix puts the right password where the account reads it. For the keyring
// that is set-password's own job, so nothing happens here.
func (h *retryHarness) fix(t *testing.T) {
	t.Helper()
	if h.keyrng {
		return
	}
	if err := os.WriteFile(h.pwFile, []byte(h.right+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (h *retryHarness) state() model.HealthState {
	for _, hl := range h.app.Gate().Health() {
		if hl.Account == "Work" {
			return hl.State
		}
	}
	return ""
}

func (h *retryHarness) waitState(t *testing.T, want model.HealthState, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for h.state() != want {
		if time.Now().After(deadline) {
			t.Fatalf("account state %q after %v, want %q", h.state(), timeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cli runs a sluice command in this process against the harness's files.
func (h *retryHarness) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(Env{
		Args:  append([]string{"--config", h.cfg, "--data", h.data}, args...),
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
	})
	if code != ExitOK {
		t.Fatalf("sluice %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return fmt.Sprint(out.String(), errOut.String())
}
