//go:build linux

package desktop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/control"
)

// fakeNotifications is a minimal org.freedesktop.Notifications server that
// records what it is asked to show and says it reads body markup, as most
// servers do.
type fakeNotifications struct {
	plain bool // say the body is plain text (no "body-markup")
	mu    sync.Mutex
	shown []shown
}

type shown struct {
	Summary, Body string
	Image         bool // carried an image-data hint (the app icon)
}

// Notify is the method clients call to show a notification.
func (f *fakeNotifications) Notify(app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, img := hints["image-data"]
	f.shown = append(f.shown, shown{summary, body, img})
	return uint32(len(f.shown)), nil
}

// GetCapabilities tells clients what the server supports.
func (f *fakeNotifications) GetCapabilities() ([]string, *dbus.Error) {
	if f.plain {
		return []string{"body"}, nil
	}
	return []string{"body", "body-markup"}, nil
}

// GetServerInformation names the server.
func (f *fakeNotifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "sluice-tests", "1", "1.2", nil
}

// CloseNotification is part of the interface.
func (f *fakeNotifications) CloseNotification(uint32) *dbus.Error { return nil }

func (f *fakeNotifications) all() []shown {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]shown(nil), f.shown...)
}

func startFakeNotifications(t testing.TB, addr string) *fakeNotifications {
	t.Helper()
	return startFakeNotificationsWith(t, addr, &fakeNotifications{})
}

func startFakeNotificationsWith(t testing.TB, addr string, f *fakeNotifications) *fakeNotifications {
	t.Helper()
	conn := connect(t, addr)
	if err := conn.Export(f, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", notifyName, r, err)
	}
	return f
}

// The real sluice binary, built once for the tests that run it.
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// sluiceBinary builds cmd/sluice (without the race detector: the tray
// library it links has a data race of its own, in code Sluice cannot
// change) and returns its path. A fake sluice-ui sits next to it and
// appends its arguments to $SLUICE_FAKE_UI_LOG.
func sluiceBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "sluice-desktop-bin")
		if binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "sluice"),
			"github.com/sluice-app/sluice/cmd/sluice").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("build sluice: %v\n%s", err, out)
			return
		}
		binErr = os.WriteFile(filepath.Join(binDir, "sluice-ui"), []byte(fakeUI), 0o755)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "sluice")
}

// fakeUI stands in for the windows binary: it records how it was started
// and exits, as a window the user closed at once would.
const fakeUI = `#!/bin/sh
[ -n "$SLUICE_FAKE_UI_LOG" ] && echo "$*" >> "$SLUICE_FAKE_UI_LOG"
[ -n "$SLUICE_FAKE_UI_SLEEP" ] && exec sleep "$SLUICE_FAKE_UI_SLEEP"
exit 0
`

// proc is a running sluice desktop process on temp directories.
type proc struct {
	t      testing.TB
	bin    string
	dir    string
	env    []string
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan struct{}
	uiLog  string
}

// startSluice runs `sluice` (the desktop face) with env added to a clean
// environment: no display, no session bus unless env gives one.
func startSluice(t testing.TB, env ...string) *proc {
	t.Helper()
	return startSluiceBin(t, sluiceBinary(t), env...)
}

// startSluiceBin is startSluice with the sluice binary at bin.
func startSluiceBin(t testing.TB, bin string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, bin: bin, dir: t.TempDir(), exited: make(chan struct{})}
	cfg := filepath.Join(p.dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	p.uiLog = filepath.Join(p.dir, "ui.log")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "SLUICE_CONFIG", "SLUICE_DATA":
			continue
		}
		p.env = append(p.env, kv)
	}
	p.env = append(p.env, "SLUICE_CONFIG="+cfg, "SLUICE_DATA="+filepath.Join(p.dir, "data"),
		"XDG_STATE_HOME="+filepath.Join(p.dir, "state"), "SLUICE_FAKE_UI_LOG="+p.uiLog,
		"SLUICE_TEST_NOW="+monday12(t).Format(time.RFC3339), "LANG=en_US.UTF-8")
	p.env = append(p.env, env...)
	p.cmd = exec.Command(p.bin)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	waitFor(t, 15*time.Second, "sluice to serve its control API", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("sluice exited early: %v\n%s\n%s", p.cmd.ProcessState, p.out.String(), p.logs())
		default:
		}
		return control.Running(filepath.Join(p.dir, "data"), time.Second)
	})
	return p
}

// run runs a sluice CLI command against the process.
func (p *proc) run(args ...string) (string, int) {
	p.t.Helper()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return string(out), code
}

func (p *proc) mustRun(args ...string) string {
	p.t.Helper()
	out, code := p.run(args...)
	if code != 0 {
		p.t.Fatalf("sluice %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (p *proc) status() control.Status {
	p.t.Helper()
	var st control.Status
	if err := json.Unmarshal([]byte(p.mustRun("status", "--json")), &st); err != nil {
		p.t.Fatalf("status --json: %v", err)
	}
	return st
}

// logs is the desktop process's log file (it logs to a file when started
// without a terminal, as from a launcher).
func (p *proc) logs() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "state", "sluice", "sluice.log"))
	return string(b)
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop() int {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait()
}

func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.t.Fatalf("sluice did not exit\n%s", p.logs())
	}
	return p.cmd.ProcessState.ExitCode()
}

// uiStarts lists the argument lines the fake windows binary was started
// with.
func (p *proc) uiStarts() []string {
	b, _ := os.ReadFile(p.uiLog)
	if s := strings.TrimSpace(string(b)); s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}
