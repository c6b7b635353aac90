package calendar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/calendar/radicaletest"
	"github.com/sluice-app/sluice/connectors/conntest"
)

// heldBusy is the account's busy time in the sink and how many hand-overs
// the sink took so far.
func heldBusy(s *conntest.BusySink, account string) ([]model.Busy, int) {
	return s.Busy(account), s.Sets()
}

// cursorOf is the account's stored calendar cursor.
func cursorOf(t *testing.T, s *conntest.BusySink, account string) []byte {
	t.Helper()
	v, err := s.Cursor(account, CursorKey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// recorder is an HTTP transport that logs each request's method and body,
// and can refuse sync-collection like a server without RFC 6578.
type recorder struct {
	mu     sync.Mutex
	reqs   []string
	noSync bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+" "+string(body))
	noSync := r.noSync
	r.mu.Unlock()
	if noSync && req.Method == "REPORT" && bytes.Contains(body, []byte("sync-collection")) {
		return &http.Response{StatusCode: http.StatusNotImplemented, Status: "501 Not Implemented", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func weekObjects(t *testing.T) map[string]string {
	b, err := os.ReadFile("testdata/week.ics")
	if err != nil {
		t.Fatal(err)
	}
	return radicaletest.SplitByUID(string(b))
}

// thisWeek keeps the busy intervals of the week of Monday 2 March.
func thisWeek(bs []model.Busy, loc *time.Location) []string {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
	var in []model.Busy
	for _, b := range bs {
		if b.Start.Before(from.AddDate(0, 0, 7)) && b.End.After(from) {
			in = append(in, b)
		}
	}
	return describe(in, loc)
}

func TestCalDAVAgainstRadicale(t *testing.T) {
	srv := radicaletest.Start(t, "work", "personal")
	for uid, ics := range weekObjects(t) {
		srv.Put(t, "work", strings.TrimSuffix(uid, "@example.com"), ics)
	}
	// A calendar the account is not told to read.
	srv.Put(t, "personal", "dentist", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Dentist\r\nDTSTART:20260303T080000Z\r\nDTEND:20260303T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

	berlin := loadZone(t, "Europe/Berlin")
	clk := clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, berlin))
	rec := &recorder{}
	opt := Options{
		Account: "Work calendar", Kind: model.KindCalDAV, URL: srv.URL + "/", Username: radicaletest.User,
		Secret:    func(context.Context) (string, error) { return radicaletest.Password, nil },
		Calendars: []string{"work"}, Addresses: []string{"alice@example.com"}, Local: berlin, Clock: clk,
		HTTPClient: &http.Client{Transport: rec},
	}
	src, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	sink := conntest.NewBusySink(t)
	ctx := context.Background()
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatalf("first poll: %v\n%s", err, srv.Log())
	}
	busy, sets := heldBusy(sink, "Work calendar")
	sameLines(t, "busy from Radicale", thisWeek(busy, berlin), weekWant)
	var st state
	if err := json.Unmarshal(cursorOf(t, sink, "Work calendar"), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Calendars) != 1 {
		t.Fatalf("cursor has %d calendars, want only work", len(st.Calendars))
	}
	for _, cs := range st.Calendars {
		if cs.SyncToken == "" || len(cs.Objects) != 10 {
			t.Errorf("cursor: sync token %q, %d objects; want a token and 10 objects", cs.SyncToken, len(cs.Objects))
		}
	}
	rec.take()

	// Nothing changed: one sync REPORT with the token, no event data, and
	// the gate is not bothered.
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	if _, n := heldBusy(sink, "Work calendar"); n != sets {
		t.Errorf("an unchanged poll called SetBusy")
	}
	assertIncremental(t, rec.take())

	// A new meeting and a removed one arrive with the next sync.
	srv.Put(t, "work", "incident", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:incident\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Incident review\r\nDTSTART;TZID=Europe/Berlin:20260303T100000\r\nDTEND;TZID=Europe/Berlin:20260303T103000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	srv.Delete(t, "work", "us-sync")
	if err := src.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	busy, _ = heldBusy(sink, "Work calendar")
	want := []string{weekWant[0], "Tue 10:00–10:30 Incident review", weekWant[2], weekWant[3], weekWant[4]}
	sameLines(t, "after changes", thisWeek(busy, berlin), want)
	assertIncremental(t, rec.take())

	// A restart resumes from the stored cursor: still incremental.
	src2, _ := New(opt)
	src2.mu.Lock()
	_ = json.Unmarshal(cursorOf(t, sink, "Work calendar"), src2.st)
	src2.mu.Unlock()
	if err := src2.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	assertIncremental(t, rec.take())
	busy, _ = heldBusy(sink, "Work calendar")
	sameLines(t, "after a restart", thisWeek(busy, berlin), want)

	// A server without sync-collection: ETags and a multiget.
	rec.noSync = true
	src3, _ := New(opt)
	sink3 := conntest.NewBusySink(t)
	if err := src3.Poll(ctx, sink3); err != nil {
		t.Fatalf("poll without sync-collection: %v", err)
	}
	busy, _ = heldBusy(sink3, "Work calendar")
	sameLines(t, "by ETags", thisWeek(busy, berlin), want)
	rec.take()
	if err := src3.Poll(ctx, sink3); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.take() {
		if strings.Contains(r, "calendar-multiget") {
			t.Errorf("unchanged ETags fetched events again: %.120s", r)
		}
	}

	// A wrong password is ErrAuth, which the loop reports as auth-failed.
	bad := opt
	bad.Secret = func(context.Context) (string, error) { return "wrong", nil }
	src4, _ := New(bad)
	if err := src4.Poll(ctx, conntest.NewBusySink(t)); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong password: got %v, want ErrAuth", err)
	}
	msg, err := src.Test(ctx)
	if err != nil || !strings.Contains(msg, "reading work") {
		t.Errorf("Test: %q, %v", msg, err)
	}
}

// assertIncremental checks that a poll sent its sync token and fetched no
// event it already had.
func assertIncremental(t *testing.T, reqs []string) {
	t.Helper()
	syncs := 0
	for _, r := range reqs {
		if strings.Contains(r, "sync-collection") {
			syncs++
			if !strings.Contains(r, "/ns/sync/") {
				t.Errorf("sync-collection without the stored token: %.300s", r)
			}
		}
		if strings.Contains(r, "calendar-multiget") {
			t.Errorf("events fetched again: %.200s", r)
		}
	}
	if syncs != 1 {
		t.Errorf("%d sync-collection requests, want 1 (%d requests in all)", syncs, len(reqs))
	}
	t.Logf("an incremental poll: %d requests (discovery and one sync-collection)", len(reqs))
}

func TestPublishFocusBlocksToRadicale(t *testing.T) {
	srv := radicaletest.Start(t, "work", "focus")
	others := map[string]string{
		"dentist": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:dentist\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Dentist\r\nDTSTART:20260303T080000Z\r\nDTEND:20260303T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		// Not Sluice's: the prefix is inside the UID, not at its start.
		"lookalike": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:my-sluice-focus-notes\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Notes\r\nDTSTART:20260304T080000Z\r\nDTEND:20260304T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	}
	for name, ics := range others {
		srv.Put(t, "focus", name, ics)
	}
	before := srv.Objects(t, "focus")

	berlin := loadZone(t, "Europe/Berlin")
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)) // inside Monday's first block
	src, err := New(Options{Account: "Work calendar", Kind: model.KindCalDAV, URL: srv.URL + "/" + radicaletest.User + "/",
		Username: radicaletest.User, Secret: func(context.Context) (string, error) { return radicaletest.Password, nil },
		Local: berlin, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := src.Publisher("focus")
	if err != nil {
		t.Fatal(err)
	}
	block := func(day, from, to int) model.Busy {
		return model.Busy{Start: time.Date(2026, 3, day, from, 0, 0, 0, berlin), End: time.Date(2026, 3, day, to, 0, 0, 0, berlin)}
	}
	week := []model.Busy{block(2, 9, 11), block(2, 13, 15), block(3, 9, 11), block(3, 13, 15), block(4, 9, 11)}
	ctx := context.Background()
	res, err := pub.Publish(ctx, week)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, srv.Log())
	}
	if res.Written != 5 || len(res.Blocks) != 5 || res.Calendar != radicaletest.CalendarPath("focus") {
		t.Errorf("publish: %+v", res)
	}
	uids := func() []string {
		var out []string
		for _, u := range srv.UIDs(t, "focus") {
			if strings.HasPrefix(u, FocusUIDPrefix) {
				out = append(out, u)
			}
		}
		return out
	}
	var want []string
	for _, b := range week {
		want = append(want, FocusUID(b.Start, b.End))
	}
	slices.Sort(want)
	sameLines(t, "published", uids(), want)
	for _, o := range srv.Objects(t, "focus") {
		if strings.Contains(o.Data, FocusUIDPrefix+"20260302T080000Z") &&
			(!strings.Contains(o.Data, "SUMMARY:Focus — Sluice") || !strings.Contains(o.Data, "TRANSP:OPAQUE")) {
			t.Errorf("a published block is not a busy \"Focus — Sluice\":\n%s", o.Data)
		}
	}
	// Publishing the same again writes nothing.
	if res, err := pub.Publish(ctx, week); err != nil || res.Written != 0 || res.Removed != 0 {
		t.Errorf("publishing again: %+v, %v", res, err)
	}

	// The schedule changed: Tuesday afternoon's block is gone, Thursday
	// has one. Monday's first block is running, Monday's second is not
	// wanted any more either, but the first stays because it is wanted.
	changed := []model.Busy{block(2, 9, 11), block(3, 9, 11), block(4, 9, 11), block(5, 12, 13)}
	res, err = pub.Publish(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 1 || res.Removed != 2 {
		t.Errorf("update: written %d, removed %d; want 1 and 2", res.Written, res.Removed)
	}
	want = nil
	for _, b := range changed {
		want = append(want, FocusUID(b.Start, b.End))
	}
	slices.Sort(want)
	sameLines(t, "updated", uids(), want)

	// A block that is over stays as a record when it is no longer wanted.
	clk.Set(time.Date(2026, 3, 3, 12, 0, 0, 0, berlin))
	res, err = pub.Publish(ctx, []model.Busy{block(4, 9, 11), block(5, 12, 13)})
	if err != nil || res.Removed != 0 {
		t.Errorf("past blocks: %+v, %v", res, err)
	}

	// Turned off: all of Sluice's events go, nothing else.
	res, err = pub.Unpublish(ctx)
	if err != nil || res.Removed != 4 || len(res.Blocks) != 0 {
		t.Errorf("unpublish: %+v, %v", res, err)
	}
	after := srv.Objects(t, "focus")
	if len(after) != len(before) {
		t.Fatalf("after unpublish: %d objects, want the %d that were there", len(after), len(before))
	}
	for i := range before {
		if after[i] != before[i] {
			t.Errorf("%s changed: etag %s → %s", before[i].Href, before[i].ETag, after[i].ETag)
		}
	}
	if objs := srv.Objects(t, "work"); len(objs) != 0 {
		t.Errorf("the work calendar got %d objects", len(objs))
	}
}
