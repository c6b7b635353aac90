package calendar

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// BenchmarkExpandWeek expands the test week's objects (a recurring series
// with overrides, zones by IANA, Windows and VTIMEZONE rules) over the
// window a poll reads.
func BenchmarkExpandWeek(b *testing.B) {
	berlin := loadZone(b, "Europe/Berlin")
	cal := readCal(b, "testdata/week.ics")
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, berlin)
	f := Filter{Addresses: []string{"alice@example.com"}, Local: berlin}
	for b.Loop() {
		if _, err := Expand(cal, now.Add(-Behind), now.Add(Ahead), f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpandBusyCalendar is a year of history: 1,000 single events
// and 50 weekly series started a year ago, expanded over a poll's window.
func BenchmarkExpandBusyCalendar(b *testing.B) {
	berlin := loadZone(b, "Europe/Berlin")
	var sb strings.Builder
	sb.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:b\r\n")
	base := time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		t := base.Add(time.Duration(i) * 9 * time.Hour)
		fmt.Fprintf(&sb, "BEGIN:VEVENT\r\nUID:s%d\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:one %d\r\nDTSTART:%s\r\nDURATION:PT30M\r\nEND:VEVENT\r\n", i, i, t.Format("20060102T150405Z"))
	}
	for i := range 50 {
		fmt.Fprintf(&sb, "BEGIN:VEVENT\r\nUID:w%d\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:weekly %d\r\nDTSTART;TZID=Europe/Berlin:20250303T%02d0000\r\nDURATION:PT45M\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\nEXDATE;TZID=Europe/Berlin:20260304T%02d0000\r\nEND:VEVENT\r\n", i, i, 8+i%9, 8+i%9)
	}
	sb.WriteString("END:VCALENDAR\r\n")
	cal, err := ical.NewDecoder(strings.NewReader(sb.String())).Decode()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, berlin)
	f := Filter{Local: berlin}
	for b.Loop() {
		if _, err := Expand(cal, now.Add(-Behind), now.Add(Ahead), f); err != nil {
			b.Fatal(err)
		}
	}
}
