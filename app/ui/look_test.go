package ui

import (
	"testing"

	"fyne.io/fyne/v2"
)

// TestLookAtWindows renders every window and tab for people to look at
// (out/screenshots/test-driver) and compares each with its golden file.
func TestLookAtWindows(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	for _, name := range []string{WindowSettings, WindowStats, WindowWelcome} {
		w, err := f.ui.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Resize(fyne.NewSize(960, 720))
		if name == WindowSettings {
			s := f.ui.windows[name].page.(*settings)
			for _, tab := range []string{TabSchedule, TabAccounts, TabRules, TabNotifications, TabGeneral} {
				s.showTab(tab)
				golden(t, "settings-"+tab, w)
			}
			continue
		}
		golden(t, name, w)
	}
}
