//go:build linux

package desktop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// The helpers below start real desktop parts for the tests: a private
// dbus-daemon, Xvfb, dunst, and a fake StatusNotifierWatcher. Each is a
// child of the test and is stopped when the test (or the package) ends. A
// missing program fails the test and names the Debian package to install.

// needProgram fails the test unless name is on PATH.
func needProgram(t testing.TB, name, debianPkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s", name, debianPkg)
	}
	return p
}

// busConfig is a session bus with no service activation, so nothing (a
// notification daemon, a portal) is started behind a test's back, and no
// fd-limit games.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
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

// bus is a private dbus-daemon.
type bus struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
}

// startBus starts a private dbus-daemon (dbus-daemon --session semantics,
// from our own config) and returns its address.
func startBus() (*bus, error) {
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("dbus-daemon not found: install the Debian package dbus")
	}
	dir, err := os.MkdirTemp("", "sluice-bus")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, dir), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	b := &bus{cmd: cmd, dir: dir}
	select {
	case b.Addr = <-addr:
	case <-time.After(10 * time.Second):
		b.stop()
		return nil, fmt.Errorf("dbus-daemon printed no address")
	}
	if b.Addr == "" {
		b.stop()
		return nil, fmt.Errorf("dbus-daemon exited without an address")
	}
	return b, nil
}

func (b *bus) stop() {
	if b == nil || b.cmd == nil {
		return
	}
	b.cmd.Process.Kill()
	b.cmd.Wait()
	os.RemoveAll(b.dir)
	b.cmd = nil
}

// testBus is the package's session bus. fyne.io/systray and beeep use
// godbus's process-wide session connection, which reads
// DBUS_SESSION_BUS_ADDRESS, so one private bus serves every test in the
// process and TestMain stops it.
var (
	testBusOnce sync.Once
	testBusVal  *bus
	testBusErr  error
)

func sessionBus(t testing.TB) string {
	t.Helper()
	testBusOnce.Do(func() {
		testBusVal, testBusErr = startBus()
		if testBusErr == nil {
			os.Setenv("DBUS_SESSION_BUS_ADDRESS", testBusVal.Addr)
		}
	})
	if testBusErr != nil {
		t.Fatal(testBusErr)
	}
	return testBusVal.Addr
}

func TestMain(m *testing.M) {
	if os.Getenv(childDir) != "" {
		os.Exit(runChild())
	}
	// Never let a test reach the developer's own session bus or display.
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/sluice-test-no-bus")
	os.Unsetenv("DISPLAY")
	os.Unsetenv("WAYLAND_DISPLAY")
	os.Setenv(envPanel, "")
	code := m.Run()
	testBusVal.stop()
	os.Exit(code)
}

// connect opens a test's own connection to the bus at addr.
func connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startXvfb starts a virtual X display and returns its name (":N").
func startXvfb(t testing.TB) string {
	t.Helper()
	bin := needProgram(t, "Xvfb", "xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "800x600x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb printed no display number")
		}
		return ":" + n
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return ""
}

// dunstConfig shows notifications long enough for a test to count them and
// reads markup in bodies, as most servers do.
const dunstConfig = `[global]
    markup = full
    history_length = 50
    format = "<b>%s</b>\n%b"
[urgency_low]
    timeout = 60
[urgency_normal]
    timeout = 60
[urgency_critical]
    timeout = 60
`

// dunst is a real notification daemon on the test bus.
type dunst struct {
	t    testing.TB
	addr string
}

// startDunst runs dunst on display for the bus at addr until the test ends.
func startDunst(t testing.TB, addr, display string) *dunst {
	t.Helper()
	bin := needProgram(t, "dunst", "dunst")
	needProgram(t, "dunstctl", "dunst")
	conf := filepath.Join(t.TempDir(), "dunstrc")
	if err := os.WriteFile(conf, []byte(dunstConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", conf)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	conn := connect(t, addr)
	waitFor(t, 10*time.Second, "dunst to own "+notifyName, func() bool {
		var has bool
		conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, notifyName).Store(&has)
		select {
		case <-exited:
			t.Fatalf("dunst exited:\n%s", logs.String())
		default:
		}
		return has
	})
	return &dunst{t: t, addr: addr}
}

func (d *dunst) ctl(args ...string) string {
	d.t.Helper()
	cmd := exec.Command("dunstctl", args...)
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+d.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("dunstctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// count is how many notifications dunst has seen: waiting, shown, and in
// its history.
func (d *dunst) count() int {
	d.t.Helper()
	n := 0
	for _, which := range []string{"waiting", "displayed", "history"} {
		var k int
		fmt.Sscan(strings.TrimSpace(d.ctl("count", which)), &k)
		n += k
	}
	return n
}

// waitFor polls cond until it holds or the limit passes. Tests poll real
// processes with a generous limit; they never assert on how fast.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testConfig is a twice-a-day plan in Berlin (check-ins 11:00 and 16:00,
// focus 09:00–11:00 and 13:30–15:30 on weekdays) with everything notified.
const testConfig = `version = 1
[schedule]
template = "twice-a-day"
zone = "Europe/Berlin"
[notifications]
checkin = true
urgent = true
focus_start = true
focus_end = true
attention = true
`

// monday12 is Monday 23 November 2026, 12:00 in Berlin: working hours,
// between check-ins (the next is 16:00), no focus block.
func monday12(t testing.TB) time.Time {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2026, 11, 23, 12, 0, 0, 0, berlin)
}

// newApp builds a real App on temp directories with a fake clock. It
// opens windows once the desktop runs it with a Launcher.
func newApp(t testing.TB, clk clock.Clock) *app.App {
	t.Helper()
	return newAppIn(t, t.TempDir(), testConfig, clk)
}

// newAppIn builds a real App with config text in dir (config.toml and
// data/), so that a test can start a second one on the same files.
func newAppIn(t testing.TB, dir, config string, clk clock.Clock) *app.App {
	t.Helper()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: cfg, DataDir: filepath.Join(dir, "data"), Clock: clk, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testLogger logs to the test's output, shown when it fails.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// send pushes an item through the local inbox, as `sluice send` does.
func send(t testing.TB, a *app.App, m control.SendRequest) {
	t.Helper()
	if _, err := a.Send(m); err != nil {
		t.Fatalf("send %q: %v", m.Title, err)
	}
}

// running starts the desktop face on a and returns a function that stops
// it and returns what Run returned.
func running(t testing.TB, a *app.App, opt Options) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, a, opt) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("desktop did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	// The desktop has subscribed to the gate once it reports a tray state.
	waitFor(t, 10*time.Second, "the desktop to start", func() bool { return a.Status().Tray != "off" })
	return stop
}
