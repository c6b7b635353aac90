//go:build linux

package desktop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/control"
)

// gsettings is the real GSettings of a test: the gsettings command over
// a dconf-service on the test's private bus, with its own dconf database.
type gsettings struct{ t *testing.T }

// startGSettings points GSettings at a fresh dconf database served by a
// real dconf-service on the bus at addr (the environment is the test's,
// so Sluice's own gsettings calls use it too).
func startGSettings(t *testing.T, addr string) *gsettings {
	t.Helper()
	needProgram(t, "gsettings", "libglib2.0-bin")
	service := "/usr/libexec/dconf-service"
	if _, err := os.Stat(service); err != nil {
		t.Fatalf("%s not found: install the Debian package dconf-service", service)
	}
	if _, err := os.Stat("/usr/share/glib-2.0/schemas/org.gnome.desktop.notifications.gschema.xml"); err != nil {
		t.Fatal("GNOME's notification schema not found: install the Debian package gsettings-desktop-schemas")
	}
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	t.Setenv("GSETTINGS_BACKEND", "dconf")
	for _, d := range []string{"config", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(service)
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	conn := connect(t, addr)
	waitFor(t, 10*time.Second, "dconf-service on the bus", func() bool {
		var has bool
		conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "ca.desrt.dconf").Store(&has)
		return has
	})
	return &gsettings{t: t}
}

func (g *gsettings) run(args ...string) string {
	g.t.Helper()
	out, err := exec.Command("gsettings", args...).CombinedOutput()
	if err != nil {
		g.t.Fatalf("gsettings %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (g *gsettings) banners() string {
	return g.run("get", "org.gnome.desktop.notifications", "show-banners")
}

// TestGNOMEBanners: with real GSettings, show-banners is false during a
// focus block and true after; an urgent item turns banners on while its
// notification is on screen (GNOME may hide even critical banners
// otherwise) and off again once the user closed it; the check-in turns
// them on before Sluice's summary is sent; a false set by the user before
// the block is kept.
func TestGNOMEBanners(t *testing.T) {
	addr := sessionBus(t)
	gs := startGSettings(t, addr)
	srv := &fakeServer{name: "gnome-shell", vendor: "GNOME", version: "43.9", caps: []string{"body", "body-markup", "actions"}}
	srv.probe = gs.banners
	startFakeServer(t, addr, srv)

	clk := clock.NewFake(at(t, 8, 59))
	a := newApp(t, clk)
	stop := running(t, a, Options{Logger: testLogger(t), Now: clk.Now, TrayWait: time.Hour})
	if b := gs.banners(); b != "true" {
		t.Fatalf("show-banners %s before focus", b)
	}
	clk.Set(at(t, 9, 0))
	waitFor(t, 20*time.Second, "banners off for the focus block", func() bool { return gs.banners() == "false" })
	if f, ok := findNote(srv.notes(), "Focus until"); !ok || f.Probe != "true" {
		t.Errorf("Sluice's focus notification %+v: want it sent while banners were still on", f)
	}
	waitFor(t, 5*time.Second, "the status", func() bool { return a.Status().Desktop.State == "quiet" })
	if got := a.Status().Desktop.Summary; got != "GNOME (gnome-shell 43.9), banners off by Sluice until 11:00" {
		t.Errorf("status %q", got)
	}

	send(t, a, control.SendRequest{Title: "Prod down", From: "Ops", Urgent: true})
	waitFor(t, 10*time.Second, "the urgent notification", func() bool { _, ok := findNote(srv.notes(), "Urgent: Ops"); return ok })
	u, _ := findNote(srv.notes(), "Urgent: Ops")
	if u.Urgency != 2 || u.Probe != "true" {
		t.Errorf("urgent notification with urgency %d while show-banners was %s; want critical, with banners on", u.Urgency, u.Probe)
	}
	time.Sleep(300 * time.Millisecond)
	if b := gs.banners(); b != "true" {
		t.Errorf("banners %s while the urgent notification is on screen", b)
	}
	srv.userCloses(u.ID)
	waitFor(t, 10*time.Second, "banners off again once the urgent notification was closed", func() bool { return gs.banners() == "false" })

	send(t, a, control.SendRequest{Title: "Lunch?", From: "Ann"})
	clk.Set(at(t, 11, 0))
	waitFor(t, 10*time.Second, "the check-in summary", func() bool { _, ok := findNote(srv.notes(), "Check-in 11:00"); return ok })
	if c, _ := findNote(srv.notes(), "Check-in 11:00"); c.Probe != "true" {
		t.Errorf("the check-in summary was sent while show-banners was %s: it would not pop up", c.Probe)
	}
	if b := gs.banners(); b != "true" {
		t.Errorf("show-banners %s after the block", b)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// The user's own "false" from before a block stays.
	gs.run("set", "org.gnome.desktop.notifications", "show-banners", "false")
	clk2 := clock.NewFake(at(t, 8, 59))
	b := newApp(t, clk2)
	stop = running(t, b, Options{Logger: testLogger(t), Now: clk2.Now, TrayWait: time.Hour})
	clk2.Set(at(t, 9, 0))
	waitFor(t, 20*time.Second, "Sluice to find the user's setting", func() bool { return b.Status().Desktop.State == "yours" })
	clk2.Set(at(t, 11, 0))
	waitFor(t, 10*time.Second, "the check-in window", func() bool { return b.Status().Mode.String() == "window" })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if v := gs.banners(); v != "false" {
		t.Errorf("the user's show-banners false became %s", v)
	}
}
