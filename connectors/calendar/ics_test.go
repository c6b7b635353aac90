package calendar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
)

// TestICSFeed reads the same events as the CalDAV test from an .ics URL,
// as Google's and Outlook's "secret address" serve them.
func TestICSFeed(t *testing.T) {
	feed, err := os.ReadFile("testdata/week.ics")
	if err != nil {
		t.Fatal(err)
	}
	var body atomic.Value
	body.Store(feed)
	var gets, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/calendar/ical/secret-token/basic.ics" {
			http.NotFound(w, r)
			return
		}
		b := body.Load().([]byte)
		etag := `"` + time.Unix(int64(len(b)), 0).UTC().Format("150405") + `"`
		gets.Add(1)
		if r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		_, _ = w.Write(b)
	}))
	defer srv.Close()

	berlin := loadZone(t, "Europe/Berlin")
	secretURL := srv.URL + "/calendar/ical/secret-token/basic.ics"
	src, err := New(Options{
		Account: "Google", Kind: model.KindICS,
		// The address is a credential: it comes from the keyring, not the config.
		Secret:    func(context.Context) (string, error) { return secretURL, nil },
		Addresses: []string{"alice@example.com"}, Local: berlin,
		Clock: clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, berlin)),
	})
	if err != nil {
		t.Fatal(err)
	}
	sink := conntest.NewBusySink(t)
	ctx := context.Background()
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	busy, sets := heldBusy(sink, "Google")
	sameLines(t, "busy from the feed", thisWeek(busy, berlin), weekWant)
	if cur := string(cursorOf(t, sink, "Google")); strings.Contains(cur, "secret-token") {
		t.Errorf("the feed's secret address reached the cursor")
	}

	// Unchanged: a conditional GET answered 304, the gate not bothered.
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	if notModified.Load() != 1 {
		t.Errorf("%d of %d GETs answered 304, want the second", notModified.Load(), gets.Load())
	}
	if _, n := heldBusy(sink, "Google"); n != sets {
		t.Errorf("an unchanged feed called SetBusy")
	}

	// The feed changes: the declined meeting is gone from it anyway, the
	// offsite too.
	body.Store([]byte(strings.Replace(string(feed), "SUMMARY:Offsite", "SUMMARY:Offsite\r\nSTATUS:CANCELLED", 1)))
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	busy, _ = heldBusy(sink, "Google")
	sameLines(t, "after the feed changed", thisWeek(busy, berlin), weekWant[:4])

	msg, err := src.Test(ctx)
	if err != nil || !strings.Contains(msg, "4 meetings") && !strings.Contains(msg, "meetings in the next two weeks") {
		t.Errorf("Test: %q, %v", msg, err)
	}
	// A failing server is an error that does not show the secret address.
	srv.Close()
	err = src.Poll(ctx, sink)
	if err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("poll of a closed server: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://cal.example.com/dav/": true, "webcal://example.com/a.ics": true,
		"http://127.0.0.1:5232/": true, "http://localhost/x.ics": true,
		"http://cal.example.com/": false, "ftp://example.com/": false, "not a url": false,
	} {
		if _, err := checkURL(raw); (err == nil) != ok {
			t.Errorf("checkURL(%q): %v, want ok=%v", raw, err, ok)
		}
	}
}
