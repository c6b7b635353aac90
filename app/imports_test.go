package app_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sluice-app/sluice"

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// protocols maps each protocol library to the connector it belongs in
// (with that connector's subpackages and test helpers below it).
var protocols = map[string]string{
	"github.com/emersion/go-imap":    "connectors/imap",
	"github.com/emersion/go-message": "connectors/imap",
	"github.com/emersion/go-sasl":    "connectors/imap", // connectors/imap/sieve signs in to ManageSieve with it too
	"github.com/slack-go/slack":      "connectors/slack",
	"maunium.net/go/mautrix":         "connectors/matrix",
	"github.com/emersion/go-webdav":  "connectors/calendar",
	"github.com/emersion/go-ical":    "connectors/calendar",
	"github.com/teambition/rrule-go": "connectors/calendar",
}

// TestImportDirection keeps the layout honest: imports point inward
// (cmd → app → gate → {schedule, rules, store, config} → model), Fyne stays
// in app/ui and cmd, bbolt in app/store, each protocol library in its
// connector, and connectors know only the model.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if msg := importRule(p.ImportPath, imp); msg != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, msg)
			}
		}
	}
}

// TestImportRules checks the rules themselves on imports that must pass
// and imports that must not, so that a rule that never fires is noticed.
func TestImportRules(t *testing.T) {
	for _, tc := range []struct {
		pkg, imp string
		bad      bool
	}{
		{"app/ui", "fyne.io/fyne/v2/widget", false},
		{"app/desktop", "fyne.io/fyne/v2", true},
		{"app/gate", "go.etcd.io/bbolt", true},
		{"app/store", "go.etcd.io/bbolt", false},
		{"connectors/imap", "github.com/emersion/go-imap/v2/imapclient", false},
		{"connectors/imap", "github.com/emersion/go-message/charset", false},
		{"connectors/imap/sieve", "github.com/emersion/go-sasl", false},
		{"connectors/matrix", "github.com/emersion/go-sasl", true},
		{"app", "github.com/emersion/go-imap/v2", true},
		{"app/cli", "github.com/emersion/go-message/mail", true},
		{"connectors/slack", "github.com/slack-go/slack/socketmode", false},
		{"app/desktop", "github.com/slack-go/slack", true},
		{"connectors/matrix/dendritetest", "maunium.net/go/mautrix/id", false},
		{"connectors/github", "maunium.net/go/mautrix", true},
		{"connectors/calendar", "github.com/emersion/go-webdav/caldav", false},
		{"connectors/imap", "github.com/emersion/go-ical", true},
		{"app/ui", "github.com/emersion/go-webdav", true},
		{"connectors/imap", module + "/app/model", false},
		{"connectors/imap", module + "/app/clock", false},
		{"connectors/imap", module + "/app/config", true},
		{"connectors/imap/sieve", module + "/connectors/imap", false},
		{"connectors/slack", module + "/connectors/imap", true},
		{"app/gate", module + "/app/control", true},
		{"app/schedule", module + "/app/clock", true},
		{"app/model", module + "/app/clock", true},
		{"app", module + "/connectors/conntest", true},
		{"app/desktop", module + "/app/cli", true},
		{"app/ui", module + "/app", true},
		{"app/ui", module + "/app/store", true},
		{"app/ui", module + "/app/secrets", true},
		{"app/ui", module + "/connectors/imap", true},
		{"app/control", module + "/connectors/local", true},
		{"app/control", module + "/app/store", true},
		{"app/ui", module + "/app/control", false},
		{"app/ui", module + "/app/config", false},
		{"app/control", module + "/app/gate", false},
		{"cmd/sluice", module + "/app/desktop", false},
	} {
		got := importRule(module+"/"+tc.pkg, tc.imp) != ""
		if got != tc.bad {
			t.Errorf("%s importing %s: refused %v, want %v", tc.pkg, tc.imp, got, tc.bad)
		}
	}
}

// importRule says why package name must not import imp, or "" when it may.
func importRule(name, imp string) string {
	under := func(p, dir string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	switch {
	case strings.HasPrefix(imp, "fyne.io/fyne/"):
		if !under(name, "app/ui") && !under(name, "cmd") {
			return "Fyne belongs in app/ui and cmd only"
		}
	case strings.HasPrefix(imp, "go.etcd.io/bbolt"):
		if !under(name, "app/store") {
			return "bbolt belongs in app/store only"
		}
	case strings.HasPrefix(imp, "golang.org/x/oauth2"):
		if !under(name, "app/oauth") {
			return "OAuth2 belongs in app/oauth only"
		}
	case strings.HasPrefix(imp, "github.com/oauth2-proxy/mockoidc"):
		if name != module+"/app/oauth/oidctest" {
			return "the test provider belongs in app/oauth/oidctest only"
		}
	}
	libs := make([]string, 0, len(protocols))
	for lib := range protocols {
		libs = append(libs, lib)
	}
	slices.Sort(libs)
	for _, lib := range libs {
		if home := protocols[lib]; (imp == lib || strings.HasPrefix(imp, lib+"/")) && !under(name, home) {
			return "that protocol library belongs in " + home + " only"
		}
	}
	if !strings.HasPrefix(imp, module+"/") {
		return ""
	}
	if under(imp, "connectors/conntest") {
		return "the conformance suite is for connectors' tests only"
	}
	switch {
	case under(name, "connectors"):
		// A connector knows the model, the one clock and its own
		// subpackages; the conformance suite is for tests only.
		own := strings.Join(strings.Split(strings.TrimPrefix(name, module+"/"), "/")[:2], "/")
		if imp != module+"/app/model" && imp != module+"/app/clock" && !under(imp, own) {
			return "connectors may import only app/model and app/clock of the app"
		}
	case name == module+"/app/model":
		return "the model depends on the standard library only"
	case under(name, "app/schedule"), under(name, "app/rules"), under(name, "app/store"):
		if imp != module+"/app/model" {
			return "the domain depends on app/model only"
		}
	case under(name, "app/ui"), under(name, "app/control"):
		// The windows are clients of the running Sluice, and the control
		// API is all they reach it by: neither builds the app, opens the
		// store, runs a connector or reads the keyring.
		if imp == module+"/app" || under(imp, "app/store") || under(imp, "app/secrets") || under(imp, "connectors") {
			return "the windows and the control API reach the running Sluice only through the control API"
		}
	case under(name, "app/desktop"):
		if under(imp, "app/cli") {
			return "cmd/sluice gives the desktop face to the command line; the desktop does not know the command line"
		}
	case under(name, "app/gate"):
		for _, bad := range []string{"app/control", "app/cli", "app/ui", "app/desktop", "connectors", "app/config"} {
			if under(imp, bad) {
				return "the gate must not know its clients or the config file"
			}
		}
	}
	return ""
}
