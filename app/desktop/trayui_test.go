//go:build linux

package desktop

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTrayFindsWindowsLater: started without sluice-ui anywhere, the tray
// offers "Open digest…" and "Settings…" greyed out with the reason; once
// sluice-ui is installed next to sluice, they come alive without a
// restart.
func TestTrayFindsWindowsLater(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	b, err := os.ReadFile(sluiceBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := privateBus(t)
	w := startWatcher(t, addr)
	conn := connect(t, addr)
	startSluiceBin(t, bin, "DBUS_SESSION_BUS_ADDRESS="+addr, "PATH=/usr/bin:/bin")
	waitFor(t, 10*time.Second, "the tray item to register", func() bool { return len(w.registrations()) > 0 })
	item := w.registrations()[0].Sender

	menu := waitMenu(t, conn, item, "Open digest")
	for _, label := range []string{"Open digest", "Settings"} {
		if e, _ := menu.find(label); e.Enabled {
			t.Errorf("%s is enabled although there is no sluice-ui", e.Label)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "sluice-ui"), []byte(fakeUI), 0o755); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "Open digest… and Settings… to be enabled", func() bool {
		menu = readMenu(t, conn, item)
		d, _ := menu.find("Open digest")
		s, _ := menu.find("Settings")
		return d.Enabled && s.Enabled
	})
}
