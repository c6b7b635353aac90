package config

import (
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/schedule"
)

func TestPromiseAndAutoReply(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Promise.Parsed(); err != nil || p.Kind != schedule.PromiseDuration || p.String() != "24h" {
		t.Errorf("default promise = %v, %v; want 24h", p, err)
	}
	if c.AutoReply.Enabled || c.AutoReply.Days != DefaultAutoReplyDays {
		t.Errorf("default auto-reply = %+v; want off, every %d days", c.AutoReply, DefaultAutoReplyDays)
	}
	c, err = Parse([]byte(`
[promise]
reply_within = "2 working days"
[autoreply]
enabled = true
off_hours = true
text = "Back on Monday."
days = 7
[[accounts]]
name = "Work"
kind = "imap"
host = "mail.example.com"
username = "me@example.com"
sent_folder = "Gesendet"
sieve_port = 2000
`))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Promise.Parsed(); p.Kind != schedule.PromiseWorkingDays || p.Days != 2 {
		t.Errorf("promise = %+v", p)
	}
	if a := c.AutoReply; !a.Enabled || !a.OffHours || a.Text != "Back on Monday." || a.Days != 7 {
		t.Errorf("auto-reply = %+v", a)
	}
	if a := c.Accounts[0]; a.SentFolder != "Gesendet" || a.SievePort != 2000 {
		t.Errorf("account = %+v", a)
	}
	for _, tc := range []struct{ toml, want string }{
		{"[promise]\nreply_within = \"soon\"\n", `promise.reply_within: "soon" is not a promise`},
		{"[promise]\nreply_within = \"0 working days\"\n", `promise.reply_within: "0 working days"`},
		{"[autoreply]\ndays = 400\n", "autoreply.days: 400: must be between 1 and 365"},
		{"[autoreply]\nsubject = \"a\\nb\"\n", "autoreply.subject"},
		{"[autoreply]\ntext = \"" + strings.Repeat("x", MaxAutoReplyText+1) + "\"\n", "autoreply.text: is 4001 bytes long"},
		{"[[accounts]]\nname = \"W\"\nkind = \"imap\"\nhost = \"h\"\nusername = \"u\"\nsent_folder = \" \"\n", "accounts[1].sent_folder"},
		{"[[accounts]]\nname = \"W\"\nkind = \"imap\"\nhost = \"h\"\nusername = \"u\"\nsieve_port = 70000\n", "accounts[1].sieve_port: 70000"},
	} {
		_, err := Parse([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tc.toml, err, tc.want)
		}
	}
}
