//go:build linux

package desktop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSessionBus runs the real sluice desktop app with no session bus at
// all and no display, as on a server or in a bare container: it starts,
// serves the CLI, says in `sluice status` that there is no tray, lets a
// second `sluice` open the digest, and quits cleanly on SIGTERM (the known
// fyne.io/systray crash on quit without a bus is never reached). It never
// auto-launches a bus (godbus would, through dbus-launch) either.
func TestNoSessionBus(t *testing.T) {
	perUserBus := fmt.Sprintf("/run/user/%d/bus", os.Getuid())
	_, err := os.Stat(perUserBus)
	hasPerUserBus := err == nil
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"address points nowhere", func(t *testing.T) []string {
			return []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus")}
		}},
		{"address unset", func(t *testing.T) []string { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A dbus-launch that only records being called, first on PATH.
			bin := t.TempDir()
			marker := filepath.Join(bin, "dbus-launch-was-called")
			if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte("#!/bin/sh\ntr \"\\\\0\" \" \" < /proc/$PPID/cmdline >> "+marker+"\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			env := append(tc.env(t), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			p := startSluice(t, env...)

			st := p.status()
			if tc.name == "address points nowhere" || !hasPerUserBus {
				if !strings.HasPrefix(st.Tray, "unavailable: no session D-Bus") {
					t.Errorf("tray state %q, want it unavailable for lack of a session bus", st.Tray)
				}
				if len(st.Notices) != 1 || !strings.Contains(st.Notices[0], "No tray icon") {
					t.Errorf("notices %q", st.Notices)
				}
			}
			p.mustRun("send", "--title", "Deploy finished")
			if out := p.mustRun("checkin"); !strings.Contains(out, "1") {
				t.Errorf("checkin: %s", out)
			}
			// No display: the digest is not opened at start-up.
			if got := p.uiStarts(); len(got) != 0 {
				t.Errorf("sluice-ui started without a display: %q", got)
			}
			// A second sluice forwards "open the digest" and exits 0.
			if out, code := p.run(); code != 0 {
				t.Errorf("second sluice: exit %d\n%s", code, out)
			}
			waitFor(t, 10e9, "the digest to be opened", func() bool { return len(p.uiStarts()) == 1 })
			if got := p.uiStarts()[0]; !strings.HasSuffix(got, " digest") {
				t.Errorf("sluice-ui started with %q", got)
			}

			if code := p.stop(); code != 0 {
				t.Errorf("exit code %d on SIGTERM\n%s\n%s", code, p.out.String(), p.logs())
			}
			logs := p.logs()
			if strings.Contains(logs, "panic") || strings.Contains(p.out.String(), "panic") {
				t.Errorf("panic while running without a bus:\n%s\n%s", p.out.String(), logs)
			}
			if !strings.Contains(logs, "desktop stopped") || !strings.Contains(logs, "sluice stopping") {
				t.Errorf("no clean shutdown in the log:\n%s", logs)
			}
			if _, err := os.Stat(marker); err == nil {
				b, _ := os.ReadFile(marker)
				t.Errorf("dbus-launch was run (by %s): sluice must never auto-launch a session bus", b)
			}
		})
	}
}
