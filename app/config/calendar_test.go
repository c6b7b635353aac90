package config

import (
	"strings"
	"testing"
)

func TestCalendarAccounts(t *testing.T) {
	c, err := Parse([]byte(`
[calendar]
move_checkins = true
hold_in_meetings = false
publish_focus = true
publish_account = "Work calendar"
publish_calendar = "Focus"

[[accounts]]
name = "Work calendar"
kind = "caldav"
url = "https://cal.example.com/dav/"
username = "me@example.com"
calendars = ["Work"]

[[accounts]]
name = "Google"
kind = "ics"
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.plan()
	if err != nil {
		t.Fatal(err)
	}
	if !p.Meetings.MoveCheckins || p.Meetings.Hold || !p.Meetings.AllDay {
		t.Errorf("meetings: %+v (all_day_busy defaults to true)", p.Meetings)
	}
	if !c.Accounts[0].IsCalendar() || !c.Accounts[1].IsCalendar() {
		t.Errorf("calendar kinds not recognised")
	}
	// A default config without a [calendar] table keeps every rule on.
	if d := Default().Calendar; !d.MoveCheckins || !d.HoldInMeetings || !d.AllDayBusy || d.PublishFocus {
		t.Errorf("defaults: %+v", d)
	}
	// Round trip through the file.
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(b); err != nil {
		t.Errorf("re-parse: %v\n%s", err, b)
	}
}

func TestCalendarErrorsNameTheField(t *testing.T) {
	_, err := Parse([]byte(`
[calendar]
publish_focus = true
publish_account = "Feed"

[[accounts]]
name = "Work calendar"
kind = "caldav"
url = "http://cal.example.com/dav/"
poll_interval = "10s"

[[accounts]]
name = "Feed"
kind = "ics"
addresses = ["me"]
`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`accounts[1].url: "http://cal.example.com/dav/": plain http is only allowed to a loopback host`,
		`accounts[1].username: required`,
		`accounts[1].poll_interval: "10s": must be between 1m and 24h`,
		`accounts[2].addresses[1]: "me": not an address`,
		`calendar.publish_account: "Feed": focus blocks can be published to a caldav account only`,
		`calendar.publish_calendar: required`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if _, err := Parse(Commented("twice-a-day", "Europe/Berlin")); err != nil {
		t.Errorf("the commented template does not parse: %v", err)
	}
}
