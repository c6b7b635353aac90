//go:build linux

package desktop

import (
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// xfce is a real xfconfd and xfce4-notifyd on the test's bus and display.
type xfce struct {
	t    *testing.T
	conn *dbus.Conn
}

func startXFCE(t *testing.T, addr, display string) *xfce {
	t.Helper()
	xfconfd := "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"
	notifyd := "/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd"
	if _, err := os.Stat(xfconfd); err != nil {
		t.Fatalf("%s not found: install the Debian package xfconf", xfconfd)
	}
	if _, err := os.Stat(notifyd); err != nil {
		t.Fatalf("%s not found: install the Debian package xfce4-notifyd", notifyd)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr, "DISPLAY="+display, "NO_AT_BRIDGE=1",
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	conn := connect(t, addr)
	has := func(name string) bool {
		var ok bool
		conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok)
		return ok
	}
	for _, p := range []struct{ bin, name string }{{xfconfd, "org.xfce.Xfconf"}, {notifyd, notifyName}} {
		cmd := exec.Command(p.bin)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
		waitFor(t, 15*time.Second, p.name+" on the bus", func() bool { return has(p.name) })
	}
	return &xfce{t: t, conn: conn}
}

func (x *xfce) dnd() bool {
	var v dbus.Variant
	err := x.conn.Object("org.xfce.Xfconf", "/org/xfce/Xfconf").Call("org.xfce.Xfconf.GetProperty", 0, "xfce4-notifyd", "/do-not-disturb").Store(&v)
	if err != nil {
		return false
	}
	on, _ := v.Value().(bool)
	return on
}

// litPixels counts the pixels of a screenshot that are not the black
// background: a notification on screen lights up thousands.
func litPixels(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r|g|bl > 0x0800 {
				n++
			}
		}
	}
	return n
}

// TestXFCEUrgentDuringDoNotDisturb: with a real xfce4-notifyd under Xvfb,
// focus turns on XFCE's do-not-disturb; another app's notification is not
// shown, but Sluice's urgent one is (critical urgency, which XFCE lets
// through: before, Sluice sent everything as normal and a breakthrough
// was hidden); the check-in turns do-not-disturb off.
func TestXFCEUrgentDuringDoNotDisturb(t *testing.T) {
	addr := sessionBus(t)
	display := startXvfb(t)
	x := startXFCE(t, addr, display)

	clk := clock.NewFake(at(t, 8, 59))
	a := newApp(t, clk)
	running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	if x.dnd() {
		t.Fatal("do-not-disturb on before focus")
	}
	clk.Set(at(t, 9, 0))
	waitFor(t, 20*time.Second, "XFCE's do-not-disturb for the focus block", x.dnd)
	time.Sleep(2 * time.Second) // Sluice's own focus notification is gone by now

	notifySend(t, addr, "-a", "TeamChat", "Alice", "are you there?")
	time.Sleep(time.Second)
	if n := litPixels(t, screenshot(t, display, "desktop-xfce-dnd-other-app.png")); n > 100 {
		t.Fatalf("another app's notification is on screen during do-not-disturb (%d lit pixels)", n)
	}

	send(t, a, control.SendRequest{Title: "Prod down", From: "Ops", Urgent: true})
	waitFor(t, 10*time.Second, "Sluice's urgent notification on screen", func() bool {
		return litPixels(t, screenshot(t, display, "desktop-xfce-dnd-urgent.png")) > 1000
	})
	if !x.dnd() {
		t.Error("do-not-disturb lifted for the urgent item; XFCE shows critical notifications anyway")
	}

	send(t, a, control.SendRequest{Title: "Lunch?", From: "Ann"})
	clk.Set(at(t, 11, 0))
	waitFor(t, 10*time.Second, "do-not-disturb off at the check-in", func() bool { return !x.dnd() })
	if got := a.Status().Desktop.Summary; !strings.HasPrefix(got, "XFCE (Xfce Notify Daemon 0.") {
		t.Errorf("status %q", got)
	}
}
