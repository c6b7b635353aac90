package autostart

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestLaunchAgentXML parses the LaunchAgent back and checks that awkward
// program paths survive XML escaping and that the agent runs once at load.
func TestLaunchAgentXML(t *testing.T) {
	for _, exe := range []string{
		"/Applications/Sluice.app/Contents/MacOS/sluice",
		"/Users/Ann Lee/Apps/R&D <test>/Sluice.app/Contents/MacOS/sluice",
		`/Users/o'brien/"quoted"/100%/sluice`,
	} {
		t.Run(exe, func(t *testing.T) {
			var doc struct {
				Dict struct {
					Keys    []string `xml:"key"`
					Strings []string `xml:"string"`
					Array   struct {
						Strings []string `xml:"string"`
					} `xml:"array"`
					True []struct{} `xml:"true"`
				} `xml:"dict"`
			}
			b := launchAgent(exe)
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("not XML: %v\n%s", err, b)
			}
			d := doc.Dict
			if got := d.Array.Strings; len(got) != 1 || got[0] != exe {
				t.Errorf("ProgramArguments = %q, want [%q]", got, exe)
			}
			if strings.Join(d.Keys, ",") != "Label,ProgramArguments,RunAtLoad,ProcessType,LimitLoadToSessionType" {
				t.Errorf("keys = %v", d.Keys)
			}
			if len(d.Strings) != 3 || d.Strings[0] != ID || d.Strings[2] != "Aqua" || len(d.True) != 1 {
				t.Errorf("Label/ProcessType/LimitLoadToSessionType/RunAtLoad wrong: %q, %d true", d.Strings, len(d.True))
			}
		})
	}
}
