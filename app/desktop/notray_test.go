//go:build linux

package desktop

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/clock"
)

// fakeUIScript writes a stand-in for sluice-ui into dir: it records its
// arguments in log and stays open for sleep seconds (0: exits at once).
func fakeUIScript(t testing.TB, dir, log string, sleep int) string {
	t.Helper()
	p := filepath.Join(dir, "sluice-ui")
	script := "#!/bin/sh\necho \"$*\" >> " + log + "\n"
	if sleep > 0 {
		script += fmt.Sprintf("exec sleep %d\n", sleep)
	}
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func lines(t testing.TB, path string) []string {
	t.Helper()
	b, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}

// TestNoTrayHost runs the desktop face on a session bus where nothing
// provides a StatusNotifierWatcher (GNOME without the AppIndicator
// extension): Sluice keeps running, says so once in a notification and in
// `sluice status`, and opens the digest instead; asking again (a second
// `sluice`) does not open a second digest while the first is open.
func TestNoTrayHost(t *testing.T) {
	addr := sessionBus(t)
	notes := startFakeNotifications(t, addr)
	t.Setenv("DISPLAY", ":4242") // a display exists; the fake window draws nothing

	dir := t.TempDir()
	uiLog := filepath.Join(dir, "ui.log")
	l := NewLauncher("cfg.toml", "datadir", fakeUIScript(t, dir, uiLog, 30))
	a := newApp(t, clock.NewFake(monday12(t)))
	stop := running(t, a, Options{Logger: testLogger(t), Windows: l, TrayWait: 200 * time.Millisecond})

	waitFor(t, 10*time.Second, "the tray to be reported unavailable", func() bool {
		return strings.HasPrefix(a.Status().Tray, "unavailable: no system tray")
	})
	if n := a.Status().Notices; len(n) != 1 || !strings.Contains(n[0], "No tray icon") {
		t.Errorf("notices %q, want one saying there is no tray icon", n)
	}
	waitFor(t, 10*time.Second, "the digest to be opened instead", func() bool { return len(lines(t, uiLog)) == 1 })
	if got := lines(t, uiLog)[0]; got != "--config cfg.toml --data datadir digest" {
		t.Errorf("sluice-ui started with %q", got)
	}
	waitFor(t, 5*time.Second, "the no-tray notification", func() bool { return len(notes.all()) == 1 })
	if got := notes.all()[0].Summary; got != "Sluice is running without a tray icon" {
		t.Errorf("notification %q", got)
	}

	// A second launch forwards "open the digest" to this instance.
	if err := a.OpenWindow("digest"); err != nil {
		t.Fatal(err)
	}
	if got := l.Running(); !slices.Equal(got, []string{"digest"}) {
		t.Errorf("windows open: %q, want just the digest", got)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(lines(t, uiLog)); n != 1 {
		t.Errorf("sluice-ui started %d times, want once (one digest at a time)", n)
	}

	// Quitting closes the open window and reaps it.
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	if got := l.Running(); len(got) != 0 {
		t.Errorf("windows still open after quit: %q", got)
	}
	if n := len(notes.all()); n != 1 {
		t.Errorf("%d notifications, want exactly the one about the missing tray", n)
	}
}

// TestTrayHostAppearsLater checks the signal Sluice waits on when the panel
// starts after it (at login): the watcher name appearing and going.
func TestTrayHostAppearsLater(t *testing.T) {
	addr := privateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	s, err := openSession(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.trayHost() {
		t.Fatal("a tray host on an empty bus")
	}
	seen := make(chan bool, 4)
	stop := s.watchTrayHost(func(present bool) { seen <- present })
	defer stop()

	w := connect(t, addr)
	if r, err := w.RequestName(watcherName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the watcher name: %v %v", r, err)
	}
	select {
	case present := <-seen:
		if !present {
			t.Error("told the host went when it appeared")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no word of the tray host appearing")
	}
	if !s.trayHost() {
		t.Error("trayHost is false with a watcher on the bus")
	}
	w.ReleaseName(watcherName)
	select {
	case present := <-seen:
		if present {
			t.Error("told the host appeared when it went")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no word of the tray host going")
	}
}

// TestMarkupOnlyWhereRead sends through beeep, as Sluice does: a server
// without "body-markup" gets the body as written, one with it gets it
// escaped; the summary is plain text either way.
func TestMarkupOnlyWhereRead(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			addr := sessionBus(t)
			f := startFakeNotificationsWith(t, addr, &fakeNotifications{plain: plain})
			s, err := openSession(testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if err := s.notify(Note{Kind: NoteUrgent, Title: "Urgent: A & B", Body: "x < y & z > w"}); err != nil {
				t.Fatal(err)
			}
			want := "x &lt; y &amp; z &gt; w"
			if plain {
				want = "x < y & z > w"
			}
			got := f.all()
			if len(got) != 1 || got[0].Body != want || got[0].Summary != "Urgent: A & B" {
				t.Errorf("server got %+v, want summary %q and body %q", got, "Urgent: A & B", want)
			}
		})
	}
}
