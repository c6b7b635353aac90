package cli

import (
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/config"
)

// TestAccountAddHoldOnServer: --hold-on-server and its companions land in
// the account's config table; the companions alone are refused and add
// nothing.
func TestAccountAddHoldOnServer(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("account", "add", "imap", "Work", "--host", "127.0.0.1", "--user", "me",
		"--hold-on-server", "--hold-folder", "Later/Mail", "--release-on-quit")
	if !strings.Contains(out, "new mail moves from INBOX to Later/Mail and back at each check-in") {
		t.Errorf("account add --hold-on-server: %q", out)
	}
	if _, errOut, code := c.run("account", "add", "imap", "Home", "--host", "127.0.0.1", "--user", "me", "--hold-at-delivery"); code == 0 ||
		!strings.Contains(errOut, "go with --hold-on-server") {
		t.Errorf("--hold-at-delivery alone: exit %d %q", code, errOut)
	}
	cfg, err := config.Load(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 {
		t.Fatalf("accounts after a refused add: %d, want 1", len(cfg.Accounts))
	}
	a := cfg.Accounts[0]
	if !a.HoldOnServer || a.HoldFolder != "Later/Mail" || !a.ReleaseOnQuit || a.HoldAtDelivery {
		t.Errorf("account: hold %v folder %q release on quit %v at delivery %v", a.HoldOnServer, a.HoldFolder, a.ReleaseOnQuit, a.HoldAtDelivery)
	}
	if _, errOut, code := c.run("account", "release", "Nobody"); code == 0 || !strings.Contains(errOut, `no account named "Nobody"`) {
		t.Errorf("release of an unknown account: exit %d %q", code, errOut)
	}
}
