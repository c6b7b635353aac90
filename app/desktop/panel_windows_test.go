package desktop

import (
	"context"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/sluice-app/sluice/assets"
)

// TestTaskbarTheme: the icon follows the user's light or dark taskbar
// setting, and a switch is noticed without polling. It changes the
// current user's registry and puts it back.
func TestTaskbarTheme(t *testing.T) {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, personalizeKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	old, _, oldErr := k.GetIntegerValue("SystemUsesLightTheme")
	t.Cleanup(func() {
		if oldErr == nil {
			k.SetDWordValue("SystemUsesLightTheme", uint32(old))
		} else {
			k.DeleteValue("SystemUsesLightTheme")
		}
	})

	k.SetDWordValue("SystemUsesLightTheme", 1)
	if p := systemPanel(); p != assets.LightPanel {
		t.Errorf("light taskbar: got the %s-panel icon", p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 8)
	go watchPanel(ctx, func() { changed <- struct{}{} })
	time.Sleep(200 * time.Millisecond) // let the watch start
	k.SetDWordValue("SystemUsesLightTheme", 0)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("switching the taskbar to dark went unnoticed")
	}
	if p := systemPanel(); p != assets.DarkPanel {
		t.Errorf("dark taskbar: got the %s-panel icon", p)
	}
}

func TestPanelForColour(t *testing.T) {
	for c, want := range map[uint32]assets.Panel{0xf0f0f0: assets.LightPanel, 0xc8d0d4: assets.LightPanel, 0x202020: assets.DarkPanel, 0x800000: assets.DarkPanel} {
		if got := panelFor(c); got != want {
			t.Errorf("%06x: got %s, want %s", c, got, want)
		}
	}
}

// TestToastIdentity: before the first toast Sluice registers its name and
// icon for its AppUserModelID, keeping what the installer wrote.
func TestToastIdentity(t *testing.T) {
	t.Setenv("LOCALAPPDATA", t.TempDir())
	registry.DeleteKey(registry.CURRENT_USER, aumidKey)
	t.Cleanup(func() { registry.DeleteKey(registry.CURRENT_USER, aumidKey) })
	icon := registerApp()
	if fi, err := os.Stat(icon); err != nil || fi.Size() == 0 {
		t.Fatalf("icon file %q: %v", icon, err)
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, aumidKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if v, _, _ := k.GetStringValue("DisplayName"); v != "Sluice" {
		t.Errorf("DisplayName %q", v)
	}
	if v, _, _ := k.GetStringValue("IconUri"); v != icon {
		t.Errorf("IconUri %q, want %q", v, icon)
	}
	k.SetStringValue("DisplayName", "Sluice (installed)")
	registerApp()
	if v, _, _ := k.GetStringValue("DisplayName"); v != "Sluice (installed)" {
		t.Errorf("the installer's DisplayName was overwritten with %q", v)
	}
}
