package cli

import (
	"strings"
	"testing"

	"github.com/sluice-app/sluice/connectors/imap"
)

// TestPresetsComeFromTheConnector: the help of `account add` names every
// preset of the IMAP connector, and no other.
func TestPresetsComeFromTheConnector(t *testing.T) {
	c := newCLI(t)
	help := c.mustRun("account", "--help")
	usage, _, _ := strings.Cut(strings.SplitN(help, "--preset ", 2)[1], " ")
	names := strings.Split(usage, "|")
	if len(names) != len(imap.Presets) {
		t.Errorf("help lists presets %q, want the connector's %d", names, len(imap.Presets))
	}
	for _, n := range names {
		if _, ok := imap.Presets[n]; !ok {
			t.Errorf("help lists %q, which the connector does not know", n)
		}
	}
	flags := c.mustRun("account", "add", "imap", "x", "--help")
	for k := range imap.Presets {
		if !strings.Contains(flags, k) {
			t.Errorf("the --preset flag's help does not name %q:\n%s", k, flags)
		}
	}
}
