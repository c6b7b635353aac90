package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
)

// TestCompileKeepsWhatCompiled: a config with a bad part still gives the
// parts that compiled (the settings window previews the schedule while
// an account is incomplete), and a bad schedule or rule gives none of
// that part.
func TestCompileKeepsWhatCompiled(t *testing.T) {
	fields := func(err error) string {
		var es Errors
		if !errors.As(err, &es) {
			return "not Errors: " + err.Error()
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Field)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name              string
		edit              func(*Config)
		field             string
		wantPlan, wantSet bool
	}{
		{"valid", func(*Config) {}, "", true, true},
		{"bad account", func(c *Config) { c.Accounts = []Account{{Name: "Work", Kind: "imap"}} }, "accounts[1].host,accounts[1].username", true, true},
		{"bad zone", func(c *Config) { c.Schedule.Zone = "Mars/Olympus" }, "schedule.zone", false, true},
		{"bad rule", func(c *Config) {
			c.Rules = []rules.Rule{{Name: "x", Regex: "(", Action: model.ActionUrgent}}
		}, "rules", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(&c)
			cc, err := Compile(c)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tc.field != "" && (err == nil || fields(err) != tc.field):
				t.Fatalf("error fields %q, want %q (%v)", fields(err), tc.field, err)
			}
			if (cc.Plan != nil) != tc.wantPlan || (cc.Rules != nil) != tc.wantSet {
				t.Errorf("plan %v, rules %v; want plan %v, rules %v", cc.Plan != nil, cc.Rules != nil, tc.wantPlan, tc.wantSet)
			}
		})
	}
}

// TestLoadCompiledMissingFile: a first start without a file runs on the
// compiled defaults.
func TestLoadCompiledMissingFile(t *testing.T) {
	cc, err := LoadCompiled(t.TempDir() + "/none.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Plan == nil || cc.Rules == nil || cc.Config.Schedule.Template != "twice-a-day" {
		t.Errorf("got %+v, want the compiled defaults", cc)
	}
	if _, err := LoadFileCompiled(t.TempDir() + "/none.toml"); !errors.Is(err, ErrNoFile) {
		t.Errorf("LoadFileCompiled of a missing file: %v, want ErrNoFile", err)
	}
}
