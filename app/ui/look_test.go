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

// TestWindowsFitSmallScreens: every window can shrink to fit a 1024×700
// screen at 100% (its smallest size), where nothing is cut off but shortened
// with an ellipsis. The renderings at that size are saved for people to
// look at.
func TestWindowsFitSmallScreens(t *testing.T) {
	f := newFixture(t, testConfig())
	f.seedDigest()
	for _, name := range WindowNames() {
		w, err := f.ui.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		min := w.Content().MinSize()
		t.Logf("%s: smallest content %v", name, min)
		if min.Width > 1024 || min.Height > 700 {
			t.Errorf("%s needs at least %v, more than a 1024×700 screen", name, min)
		}
		w.Resize(min)
		saveLook(t, name+"-smallest", w)
	}
}

func TestChartAxisTops(t *testing.T) {
	for _, c := range []struct {
		f        func(float64) float64
		in, want float64
	}{
		{niceCount, 0, 2}, {niceCount, 3, 4}, {niceCount, 9, 10}, {niceCount, 11, 20}, {niceCount, 55, 100},
		{niceMinutes, 7, 10}, {niceMinutes, 45, 60}, {niceMinutes, 200, 240}, {niceMinutes, 315, 360}, {niceMinutes, 2000, 2880},
	} {
		if got := c.f(c.in); got != c.want {
			t.Errorf("axis top for %v = %v, want %v", c.in, got, c.want)
		}
	}
}
