package control

import "testing"

// TestPresetServes: an address picks the preset that serves its domain,
// exactly or by a prefix entry, whatever its case and spaces, and nothing
// else does.
func TestPresetServes(t *testing.T) {
	gmail := Preset{Key: "gmail", Domains: []string{"gmail.com", "googlemail.com"}}
	yahoo := Preset{Key: "yahoo", Domains: []string{"yahoo.", "ymail.com"}}
	work := Preset{Key: "office365"}
	for _, c := range []struct {
		p       Preset
		address string
		want    bool
	}{
		{gmail, "me@gmail.com", true},
		{gmail, "  Me@GoogleMail.COM ", true},
		{gmail, "me@gmail.com.evil.example", false},
		{gmail, "me@notgmail.com", false},
		{gmail, "gmail.com", false}, // no @ yet
		{gmail, "me@", false},
		{yahoo, "me@yahoo.co.uk", true},
		{yahoo, "me@yahoo.com", true},
		{yahoo, "me@ymail.com", true},
		{yahoo, "me@yahoo", false},
		{work, "me@example.com", false},
	} {
		if got := c.p.Serves(c.address); got != c.want {
			t.Errorf("%s serves %q = %v, want %v", c.p.Key, c.address, got, c.want)
		}
	}
}
