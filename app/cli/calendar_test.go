package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/secrets"
)

// runIn runs the command line with stdin.
func (c *cliEnv) runIn(stdin string, args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = Run(Env{
		Args: append([]string{"--config", c.cfg, "--data", c.dat}, args...), Stdin: strings.NewReader(stdin), Stdout: &o, Stderr: &e,
	})
	return o.String(), e.String(), code
}

// TestCalendarAccounts: a calendar feed's secret address goes to the
// keyring with set-url (only an address, only for a feed), login points
// there, and removing the account removes the address.
func TestCalendarAccounts(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("account", "add", "ics", "Google"); !strings.Contains(out, "Next: sluice account set-url Google") {
		t.Errorf("account add ics: %q", out)
	}
	if out := c.mustRun("account", "add", "caldav", "Work calendar", "--url", "https://cal.example.com/dav/", "--user", "me@example.com"); !strings.Contains(out, `Next: sluice account set-password "Work calendar"`) {
		t.Errorf("account add caldav: %q", out)
	}
	if _, errOut, code := c.runIn("not an address\n", "account", "set-url", "Google"); code == 0 || !strings.Contains(errOut, "not a calendar address") {
		t.Errorf("set-url with no address: %d %q", code, errOut)
	}
	if _, err := secrets.Get("Google", secrets.URL); !errors.Is(err, secrets.ErrNotFound) || !strings.Contains(err.Error(), "sluice account set-url Google") {
		t.Errorf("a refused address was stored, or the hint is wrong: %v", err)
	}
	const feed = "https://calendar.example.com/ical/me/private-0123/basic.ics"
	if _, errOut, code := c.runIn(feed+"\n", "account", "set-url", "Google"); code != 0 {
		t.Fatalf("set-url: %d %q", code, errOut)
	}
	if got, err := secrets.Get("Google", secrets.URL); err != nil || got != feed {
		t.Errorf("stored address %q, %v", got, err)
	}
	if _, errOut, code := c.runIn(feed+"\n", "account", "set-url", "Work calendar"); code == 0 || !strings.Contains(errOut, "set-url is for calendar feeds") {
		t.Errorf("set-url of a caldav account: %d %q", code, errOut)
	}
	if _, errOut, code := c.run("account", "login", "Google"); code == 0 || !strings.Contains(errOut, "sluice account set-url Google") {
		t.Errorf("login of a feed: %d %q", code, errOut)
	}
	c.mustRun("account", "remove", "Google")
	if _, err := secrets.Get("Google", secrets.URL); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the address outlived its account: %v", err)
	}
}
