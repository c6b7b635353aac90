package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/calendar/radicaletest"
	"github.com/sluice-app/sluice/connectors/conntest"
)

// outage is an HTTP transport that counts requests and, while down,
// fails them as an unreachable server would.
type outage struct {
	down     atomic.Bool
	requests atomic.Int32
}

func (o *outage) RoundTrip(req *http.Request) (*http.Response, error) {
	if o.down.Load() {
		return nil, errors.New("dial tcp: connection refused")
	}
	o.requests.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// TestConformance runs the checks of the conformance suite that apply to
// a calendar source, against a real CalDAV server (Radicale): a source
// hands over busy time, not items, so "no duplicates" is "each meeting
// once in the busy time"; the rest (cursor with the busy time, restart
// from the stored cursor, prompt cancel, health through an outage, one try
// of a refused login, a refused hand-over made again) is as for items.
func TestConformance(t *testing.T) {
	srv := radicaletest.Start(t, "work")
	clk := clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	tr := &outage{}
	var mu sync.Mutex
	n := 0
	conntest.RunCalendar(t, conntest.CalendarSuite{
		Account: "Work calendar",
		New: func(t *testing.T, bad bool) model.Calendar {
			pw := radicaletest.Password
			if bad {
				pw = "wrong"
			}
			src, err := New(Options{
				Account: "Work calendar", Kind: model.KindCalDAV, URL: srv.URL + "/", Username: radicaletest.User,
				Secret:    func(context.Context) (string, error) { return pw, nil },
				Calendars: []string{"work"}, Local: time.UTC, Clock: clk, PollInterval: time.Minute,
				HTTPClient: &http.Client{Transport: tr},
			})
			if err != nil {
				t.Fatal(err)
			}
			return src
		},
		Add: func(t *testing.T, mark string) {
			mu.Lock()
			n++
			uid := fmt.Sprintf("ct-%d", n)
			mu.Unlock()
			at := clk.Now().Add(2 * time.Hour).UTC()
			srv.Put(t, "work", uid, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:conntest\r\nBEGIN:VEVENT\r\nUID:"+uid+
				"\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Meeting "+mark+
				"\r\nDTSTART:"+at.Format("20060102T150405Z")+"\r\nDTEND:"+at.Add(time.Hour).Format("20060102T150405Z")+
				"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		},
		// Every request carries the password (HTTP Basic).
		Attempts: func() int { return int(tr.requests.Load()) },
		Outage: func(t *testing.T) func() {
			tr.down.Store(true)
			return func() { tr.down.Store(false) }
		},
		// Polls and backoff run on the fake clock; ten seconds a tick keeps
		// a refused login's half-hour wait out of the quiet period.
		Tick: func() { clk.Advance(10 * time.Second) },
	})
}
