package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/schedule"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatalf("empty file: %v", err)
	}
	if c.Schedule.Template != "twice-a-day" || c.Urgent.BudgetPerHour != 3 || c.Version != Version {
		t.Fatalf("got %+v, want the defaults", c)
	}
	if c.Desktop.HoldOtherApps != HoldFocus || c.Desktop.Capture {
		t.Errorf("desktop %+v, want other apps held during focus and nothing captured", c.Desktop)
	}
	p, err := c.plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.Zone != time.Local {
		t.Errorf("zone %v, want the system's", p.Zone)
	}
	if _, _, ok := p.NextCheckin(time.Now()); !ok {
		t.Error("the default plan has no check-in")
	}
}

func TestCommentedTemplateParses(t *testing.T) {
	for _, tmpl := range []string{"twice-a-day", "three-times-a-day", "makers-day"} {
		c, err := Parse(Commented(tmpl, "Europe/Berlin"))
		if err != nil {
			t.Fatalf("%s: %v", tmpl, err)
		}
		if c.Schedule.Template != tmpl || c.Schedule.Zone != "Europe/Berlin" {
			t.Fatalf("%s: got %+v", tmpl, c.Schedule)
		}
	}
}

func TestErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name, toml, want string
	}{
		{"syntax", "version = 1\n[schedule\n", "to end table name"},
		{"unknown key", "[schedule]\ntemplat = \"x\"\n", "schedule.templat: unknown setting"},
		{"wrong type", "[urgent]\nbudget_per_hour = \"three\"\n", "budget_per_hour"},
		{"bad template", "[schedule]\ntemplate = \"thrice\"\n", `schedule.template: "thrice"`},
		{"bad zone", "[schedule]\nzone = \"Europe/Berlim\"\n", `schedule.zone: "Europe/Berlim": not a known IANA time zone`},
		{"bad clock", "[schedule]\ntemplate = \"custom\"\n[schedule.days.monday]\nwork = { start = \"25:00\", end = \"17:00\" }\n", "25:00"},
		{"check-in outside work", "[schedule]\ntemplate = \"custom\"\n[schedule.days.monday]\nwork = { start = \"09:00\", end = \"17:00\" }\ncheckins = [ { at = \"20:00\" } ]\n", "schedule.days.monday.checkins[1].at: 20:00 is outside working hours"},
		{"bad weekday", "[schedule]\ntemplate = \"custom\"\n[schedule.days.funday]\nwork = { start = \"09:00\", end = \"17:00\" }\n", "schedule.days.funday"},
		{"budget range", "[urgent]\nbudget_per_hour = 99\n", "urgent.budget_per_hour: 99"},
		{"off hours", "[urgent]\noff_hours = \"maybe\"\n", `urgent.off_hours: "maybe"`},
		{"bad regex", "[[rules]]\nname = \"x\"\nregex = \"(\"\naction = \"quiet\"\n", "rules[1]"},
		{"bad action", "[[rules]]\nname = \"x\"\nfrom = [\"a@b\"]\naction = \"explode\"\n", "explode"},
		{"retention", "[general]\nretention = \"1h\"\n", `general.retention: "1h"`},
		{"log level", "[general]\nlog_level = \"loud\"\n", "general.log_level"},
		{"listen not loopback", "[local]\nlisten = \"0.0.0.0:8642\"\n", "local.listen: \"0.0.0.0:8642\": must be a loopback address"},
		{"account kind", "[[accounts]]\nname = \"x\"\nkind = \"fax\"\n", `accounts[1].kind: "fax"`},
		{"account no host", "[[accounts]]\nname = \"x\"\nkind = \"imap\"\nusername = \"u\"\n", "accounts[1].host: required"},
		{"account port", "[[accounts]]\nname = \"x\"\nkind = \"imap\"\nhost = \"h\"\nport = 70000\nusername = \"u\"\n", "accounts[1].port: 70000"},
		{"insecure to remote", "[[accounts]]\nname = \"x\"\nkind = \"imap\"\nhost = \"mail.example.com\"\nsecurity = \"insecure\"\nallow_insecure = true\nusername = \"u\"\n", "only allowed to a loopback host"},
		{"insecure without allow", "[[accounts]]\nname = \"x\"\nkind = \"imap\"\nhost = \"127.0.0.1\"\nsecurity = \"insecure\"\nusername = \"u\"\n", "needs allow_insecure"},
		{"duplicate account", "[[accounts]]\nname = \"x\"\nkind = \"slack\"\n[[accounts]]\nname = \"X\"\nkind = \"slack\"\n", `accounts[2].name: "X": already used`},
		{"newer version", "version = 7\n", "newer version of Sluice"},
		// Paths and messages count from 1 alike: the second block overlaps the first.
		{"focus overlap counts from 1", "[schedule]\ntemplate = \"custom\"\n[schedule.days.monday]\nwork = { start = \"09:00\", end = \"17:00\" }\nfocus = [ { start = \"09:00\", end = \"11:00\" }, { start = \"10:00\", end = \"12:00\" } ]\n",
			"schedule.days.monday.focus[2]: 10:00–12:00 overlaps focus[1] 09:00–11:00"},
		{"duplicate check-in counts from 1", "[schedule]\ntemplate = \"custom\"\n[schedule.days.monday]\nwork = { start = \"09:00\", end = \"17:00\" }\ncheckins = [ { at = \"11:00\" }, { at = \"11:00\" } ]\n",
			"schedule.days.monday.checkins[2].at: 11:00 is already checkins[1]"},
		{"vacation counts from 1", "[schedule]\nvacations = [ { from = \"2026-12-31\", to = \"2026-12-24\" } ]\n",
			"schedule.vacations[1]: from 2026-12-31 is after to 2026-12-24"},
		{"auth", imapAcc + "auth = \"kerberos\"\n", `accounts[1].auth: "kerberos": must be password or oauth2`},
		{"oauth without provider", imapAcc + "auth = \"oauth2\"\n", `accounts[1].oauth_provider: required with auth = "oauth2"`},
		{"oauth provider", imapAcc + "auth = \"oauth2\"\noauth_provider = \"yahoo\"\n", `accounts[1].oauth_provider: "yahoo": must be google, microsoft or oidc`},
		{"oidc without issuer", imapAcc + "auth = \"oauth2\"\noauth_provider = \"oidc\"\n", "accounts[1].oauth_issuer: required"},
		{"oidc over http", imapAcc + "auth = \"oauth2\"\noauth_provider = \"oidc\"\noauth_issuer = \"http://id.example.com\"\n", `accounts[1].oauth_issuer: "http://id.example.com": must be an https URL`},
		{"tenant for google", imapAcc + "auth = \"oauth2\"\noauth_provider = \"google\"\noauth_tenant = \"x\"\n", "accounts[1].oauth_tenant: \"x\": only used with oauth_provider = \"microsoft\""},
		{"bad tenant", imapAcc + "auth = \"oauth2\"\noauth_provider = \"microsoft\"\noauth_tenant = \"a/b\"\n", "accounts[1].oauth_tenant: \"a/b\": must be common"},
		{"mechanism", imapAcc + "auth = \"oauth2\"\noauth_provider = \"google\"\noauth_mechanism = \"plain\"\n", "accounts[1].oauth_mechanism: \"plain\""},
		{"scope with space", imapAcc + "auth = \"oauth2\"\noauth_provider = \"google\"\noauth_scopes = [\"a b\"]\n", "accounts[1].oauth_scopes[1]"},
		{"oauth fields with a password", imapAcc + "oauth_provider = \"google\"\n", `accounts[1].oauth_provider: only used with auth = "oauth2"`},
		{"hold other apps", "[desktop]\nhold_other_apps = \"always\"\n", `desktop.hold_other_apps: "always": must be "focus", "holding" or "off"`},
		{"empty capture app", "[desktop]\ncapture_apps = [\"TeamChat\", \" \"]\n", `desktop.capture_apps[2]`},
		{"desktop account name", "[[accounts]]\nname = \"desktop\"\nkind = \"slack\"\n", `accounts[1].name: "desktop": reserved`},
		{"matrix no homeserver", "[[accounts]]\nname = \"m\"\nkind = \"matrix\"\n", "accounts[1].homeserver: required"},
		{"matrix http remote", "[[accounts]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"http://matrix.example.org\"\n", "accounts[1].homeserver: \"http://matrix.example.org\": plain http"},
		{"matrix user", "[[accounts]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"example.org\"\nuser_id = \"me@example.org\"\n", "accounts[1].user_id: \"me@example.org\": not a Matrix user ID"},
		{"matrix room", "[[accounts]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"example.org\"\nrooms = [\"#ok:example.org\", \"team\"]\n", "accounts[1].rooms[2]: \"team\""},
		{"matrix link base", "[[accounts]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"example.org\"\nlink_base = \"element\"\n", "accounts[1].link_base"},
		{"github api url", "[[accounts]]\nname = \"g\"\nkind = \"github\"\napi_url = \"ftp://x\"\n", "accounts[1].api_url: \"ftp://x\""},
		{"github poll", "[[accounts]]\nname = \"g\"\nkind = \"github\"\npoll_interval = \"10s\"\n", "accounts[1].poll_interval: \"10s\": must be between 60s and 24h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.toml))
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q, want it to contain %q", err, c.want)
			}
		})
	}
}

const imapAcc = "[[accounts]]\nname = \"x\"\nkind = \"imap\"\nhost = \"h\"\nusername = \"u\"\n"

func TestOAuthAccountValid(t *testing.T) {
	for _, acc := range []string{
		"auth = \"oauth2\"\noauth_provider = \"microsoft\"\noauth_tenant = \"corp.example\"\n",
		"auth = \"oauth2\"\noauth_provider = \"google\"\noauth_client_id = \"id\"\noauth_client_secret = \"public\"\noauth_mechanism = \"XOAUTH2\"\n",
		"auth = \"oauth2\"\noauth_provider = \"oidc\"\noauth_issuer = \"http://127.0.0.1:9/oidc\"\noauth_scopes = [\"openid\", \"email\"]\n",
		"auth = \"password\"\n",
	} {
		c, err := Parse([]byte(imapAcc + acc))
		if err != nil {
			t.Errorf("%q: %v", acc, err)
			continue
		}
		if got := c.Accounts[0].OAuth2(); got != strings.Contains(acc, "oauth2") {
			t.Errorf("%q: OAuth2() = %v", acc, got)
		}
	}
}

func TestMatrixAndGitHubAccounts(t *testing.T) {
	c, err := Parse([]byte(`
[[accounts]]
name = "Element"
kind = "matrix"
homeserver = "example.org"
user_id = "@me:example.org"
rooms = ["#team:example.org", "!abc:example.org"]
link_base = "https://app.element.io/#/room/"
set_presence = false
status_text = "Heads down until {until}"

[[accounts]]
name = "GitHub"
kind = "github"
participating = true
mark_read_on_done = true
api_url = "https://ghe.example.com/api/v3/"
poll_interval = "2m"
`))
	if err != nil {
		t.Fatal(err)
	}
	m, g := c.Accounts[0], c.Accounts[1]
	if m.Homeserver != "example.org" || m.UserID != "@me:example.org" || len(m.Rooms) != 2 || Flag(m.SetPresence, true) ||
		m.LinkBase != "https://app.element.io/#/room/" || m.StatusText != "Heads down until {until}" {
		t.Errorf("matrix account %+v", m)
	}
	if !g.Participating || !g.MarkReadOnDone || g.APIURL != "https://ghe.example.com/api/v3/" || g.PollInterval.Duration != 2*time.Minute {
		t.Errorf("github account %+v", g)
	}
	// A loopback homeserver may be plain http (tests, a local Dendrite).
	if _, err := Parse([]byte("[[accounts]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"http://127.0.0.1:8008\"\n")); err != nil {
		t.Errorf("loopback homeserver: %v", err)
	}
}

func TestCustomWeek(t *testing.T) {
	c, err := Parse([]byte(`
[schedule]
template = "custom"
zone = "America/New_York"
[schedule.days.saturday]
focus = [ { start = "22:00", end = "02:00" } ]
[schedule.days.monday]
work = { start = "08:00", end = "16:00" }
checkins = [ { at = "12:00", window = "45m" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.Week[time.Monday].Work == nil || p.Week[time.Tuesday].Work != nil {
		t.Fatalf("got %+v", p.Week)
	}
	if got := p.Week[time.Monday].Checkins[0].Window.Duration; got != 45*time.Minute {
		t.Fatalf("window %v, want 45m", got)
	}
	loc, _ := time.LoadLocation("America/New_York")
	sat := time.Date(2026, 11, 28, 23, 0, 0, 0, loc)
	if m := p.Mode(sat, scheduleOverrides()).Mode; m != model.ModeFocus {
		t.Fatalf("saturday 23:00: mode %s, want focus", m)
	}
}

func TestSaveIsAtomicAndRoundTrips(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config.toml")
	c := Default()
	c.Urgent.VIPs = []string{"boss@acme.com"}
	c.Schedule.Zone = "Asia/Tokyo"
	if err := Save(path, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || !modeOK(fi, 0o600) {
		t.Fatalf("mode %v %v, want 0600", fi.Mode(), err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Urgent.VIPs[0] != "boss@acme.com" || got.Schedule.Zone != "Asia/Tokyo" {
		t.Fatalf("round trip: got %+v", got)
	}
	// An invalid change leaves the file as it was.
	before, _ := os.ReadFile(path)
	_, err = Modify(path, func(c *Config) error { c.Urgent.BudgetPerHour = -1; return nil })
	var fe Errors
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want field errors", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("an invalid Modify changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

func TestNoSecretFields(t *testing.T) {
	// A config can never hold a password: there is no field for one.
	_, err := Parse([]byte("[[accounts]]\nname = \"x\"\nkind = \"imap\"\nhost = \"h\"\nusername = \"u\"\npassword = \"hunter2\"\n"))
	if err == nil || !strings.Contains(err.Error(), "accounts.password: unknown setting") {
		t.Fatalf("got %v, want password refused as an unknown setting", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Commented("twice-a-day", "")))
	f.Add([]byte("[schedule]\ntemplate = \"custom\"\n[schedule.days.monday]\nwork = { start = \"09:00\", end = \"17:00\" }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		// What parses must encode and parse again.
		b, err := c.Encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := Parse(b); err != nil {
			t.Fatalf("re-parse of %q: %v", b, err)
		}
	})
}

func scheduleOverrides() (o schedule.Overrides) { return o }

// A running Sluice re-reads its file with LoadFile: a missing file is an
// error there, never the defaults (which would drop every account).
func TestLoadFileRefusesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if _, err := LoadFile(path); !errors.Is(err, ErrNoFile) || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadFile of a missing file: got %v, want ErrNoFile naming the path", err)
	}
	if c, err := Load(path); err != nil || c.Schedule.Template != "twice-a-day" {
		t.Fatalf("Load of a missing file: got %+v %v, want the defaults", c.Schedule, err)
	}
	if err := os.WriteFile(path, []byte("[[accounts]]\nname = \"x\"\nkind = \"slack\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadFile(path); err != nil || len(c.Accounts) != 1 {
		t.Fatalf("LoadFile: got %+v %v, want the file's one account", c.Accounts, err)
	}
	// A path that cannot be read (here a directory, which even root cannot
	// read as a file) is an error too, and not ErrNoFile.
	dir := filepath.Join(t.TempDir(), "config.toml")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(dir); err == nil || errors.Is(err, ErrNoFile) {
		t.Fatalf("LoadFile of an unreadable path: got %v, want a read error", err)
	}
}

func TestCapturesApp(t *testing.T) {
	d := Desktop{CaptureApps: []string{"TeamChat", " Element "}}
	if d.CapturesApp("TeamChat") {
		t.Error("capture is off, yet TeamChat would be captured")
	}
	d.Capture = true
	for app, want := range map[string]bool{"TeamChat": true, "teamchat": true, "Element": true, "Firefox": false, "": false} {
		if got := d.CapturesApp(app); got != want {
			t.Errorf("CapturesApp(%q) = %v, want %v", app, got, want)
		}
	}
}
