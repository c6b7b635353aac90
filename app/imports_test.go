package app_test

import (
	"encoding/json"
	"io"
	"os/exec"
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

// TestImportDirection keeps the layout honest: imports point inward
// (cmd → app → gate → {schedule, rules, store, config} → model), Fyne stays
// in app/ui and cmd, bbolt in app/store, and connectors know only the model.
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
	under := func(p, dir string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	// Each protocol library belongs to its own connector (and its test
	// helpers below it).
	protocols := map[string]string{
		"github.com/emersion/go-webdav":  "connectors/calendar",
		"github.com/emersion/go-ical":    "connectors/calendar",
		"github.com/teambition/rrule-go": "connectors/calendar",
	}
	for _, p := range pkgs {
		name := p.ImportPath
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, "fyne.io/fyne/"):
				if !under(name, "app/ui") && !under(name, "cmd") {
					t.Errorf("%s imports %s: Fyne belongs in app/ui and cmd only", name, imp)
				}
			case strings.HasPrefix(imp, "go.etcd.io/bbolt"):
				if !under(name, "app/store") {
					t.Errorf("%s imports %s: bbolt belongs in app/store only", name, imp)
				}
			case strings.HasPrefix(imp, "golang.org/x/oauth2"):
				if !under(name, "app/oauth") {
					t.Errorf("%s imports %s: OAuth2 belongs in app/oauth only", name, imp)
				}
			case strings.HasPrefix(imp, "github.com/oauth2-proxy/mockoidc"):
				if name != module+"/app/oauth/oidctest" {
					t.Errorf("%s imports %s: the test provider belongs in app/oauth/oidctest only", name, imp)
				}
			}
			for lib, home := range protocols {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !under(name, home) {
					t.Errorf("%s imports %s: that protocol library belongs in %s only", name, imp, home)
				}
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if under(imp, "connectors/conntest") {
				t.Errorf("%s imports %s: the conformance suite is for connectors' tests only", name, imp)
			}
			switch {
			case under(name, "connectors"):
				// A connector knows the model, the one clock and its own
				// subpackages; the conformance suite is for tests only.
				own := module + "/" + strings.Join(strings.Split(strings.TrimPrefix(name, module+"/"), "/")[:2], "/")
				if imp != module+"/app/model" && imp != module+"/app/clock" && !under(imp, strings.TrimPrefix(own, module+"/")) {
					t.Errorf("%s imports %s: connectors may import only app/model and app/clock of the app", name, imp)
				}
			case name == module+"/app/model":
				t.Errorf("app/model imports %s: the model depends on the standard library only", imp)
			case under(name, "app/schedule"), under(name, "app/rules"), under(name, "app/store"):
				if imp != module+"/app/model" {
					t.Errorf("%s imports %s: the domain depends on app/model only", name, imp)
				}
			case under(name, "app/gate"):
				for _, bad := range []string{"app/control", "app/cli", "app/ui", "app/desktop", "connectors", "app/config"} {
					if under(imp, bad) {
						t.Errorf("%s imports %s: the gate must not know its clients or the config file", name, imp)
					}
				}
			}
		}
	}
}
