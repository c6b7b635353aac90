package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/control"
)

// TestStatusSaysHowOtherAppsAreHeld: `sluice status` has a line for the
// rest of the desktop, and one for capture when it is used.
func TestStatusSaysHowOtherAppsAreHeld(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    *control.Desktop
		want []string
	}{
		{"headless", nil, []string{"Desktop: other apps are not held (the headless daemon leaves the desktop alone)"}},
		{"dunst paused by Sluice", &control.Desktop{Backend: "dunst", State: "quiet", Summary: "dunst 1.9.0, paused by Sluice until 11:00"},
			[]string{"Desktop: dunst 1.9.0, paused by Sluice until 11:00"}},
		{"a problem and capture", &control.Desktop{Backend: "GNOME", State: "open", Summary: "GNOME (gnome-shell 44.0): Sluice could not hold other apps",
			Problem: "turn on do-not-disturb: gsettings: exit status 1", Capturing: true,
			Apps: []control.DesktopApp{{Name: "TeamChat", Captured: true, LastSeen: time.Now()}, {Name: "Firefox"}}},
			[]string{"Desktop: GNOME (gnome-shell 44.0): Sluice could not hold other apps",
				"  problem: turn on do-not-disturb: gsettings: exit status 1",
				"  capture: recording TeamChat as items while holding (1 app seen)"}},
	} {
		var b strings.Builder
		printDesktop(&b, tc.d)
		got := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
