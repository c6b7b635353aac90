// Package radicaletest runs a real Radicale CalDAV server on 127.0.0.1 for
// tests: htpasswd logins, one user with empty calendars, and helpers to put,
// list and read calendar objects over plain HTTP.
//
// Radicale comes from the Debian package radicale (3.1.8); without it the
// test fails and names the package.
package radicaletest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// User and Password are the login the server accepts.
const (
	User     = "alice"
	Password = "correct horse battery staple"
)

// Server is a running Radicale.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

// Start runs Radicale in a temporary directory with the calendars named
// (created empty for User, e.g. "work", "focus") and stops it when the test
// ends.
func Start(t testing.TB, calendars ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		t.Fatalf("radicale not found: install radicale (apt-get install radicale, see packaging/deps.sh): %v", err)
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(User+":"+Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[server]
hosts = %s
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = %s
[rights]
type = owner_only
[logging]
level = warning
mask_passwords = True
`, addr, users, filepath.Join(dir, "collections"))
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "http://" + addr, dir: dir, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "--config", cfg)
	s.cmd.Stdout, s.cmd.Stderr = &lockedWriter{s: s}, &lockedWriter{s: s}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start radicale: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.done:
			t.Fatalf("radicale exited at start:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("radicale did not listen on %s within 20s:\n%s", addr, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range calendars {
		s.MakeCalendar(t, name)
	}
	return s
}

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(b)
}

// Log is what Radicale printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *Server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// CalendarPath is the path of one of User's calendars ("/alice/work/").
func CalendarPath(name string) string { return "/" + User + "/" + name + "/" }

func (s *Server) do(t testing.TB, method, path, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(User, Password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// MakeCalendar creates one of User's calendars, with name as its display name.
func (s *Server) MakeCalendar(t testing.TB, name string) {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>` + name + `</D:displayname>
<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>`
	if code, _, out := s.do(t, "MKCALENDAR", CalendarPath(name), body, map[string]string{"Content-Type": "application/xml"}); code != http.StatusCreated {
		t.Fatalf("MKCALENDAR %s: %d %s", name, code, out)
	}
}

// Put stores an object (iCalendar text) at the calendar's name.ics.
func (s *Server) Put(t testing.TB, calendar, name, ics string) {
	t.Helper()
	p := CalendarPath(calendar) + name + ".ics"
	code, _, out := s.do(t, http.MethodPut, p, ics, map[string]string{"Content-Type": "text/calendar; charset=utf-8"})
	if code != http.StatusCreated && code != http.StatusNoContent && code != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", p, code, out)
	}
}

// Delete removes an object.
func (s *Server) Delete(t testing.TB, calendar, name string) {
	t.Helper()
	p := CalendarPath(calendar) + name + ".ics"
	if code, _, out := s.do(t, http.MethodDelete, p, "", nil); code/100 != 2 {
		t.Fatalf("DELETE %s: %d %s", p, code, out)
	}
}

// Object is one object of a calendar as the server has it.
type Object struct {
	Href, ETag, Data string
}

// Objects lists a calendar's objects with their ETags and text, by href.
func (s *Server) Objects(t testing.TB, calendar string) []Object {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	code, _, out := s.do(t, "REPORT", CalendarPath(calendar), body, map[string]string{"Content-Type": "application/xml", "Depth": "1"})
	if code != http.StatusMultiStatus {
		t.Fatalf("REPORT %s: %d %s", calendar, code, out)
	}
	var ms struct {
		Responses []struct {
			Href string `xml:"href"`
			ETag string `xml:"propstat>prop>getetag"`
			Data string `xml:"propstat>prop>calendar-data"`
		} `xml:"response"`
	}
	if err := xml.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("parse REPORT answer: %v", err)
	}
	var objs []Object
	for _, r := range ms.Responses {
		objs = append(objs, Object{Href: r.Href, ETag: r.ETag, Data: r.Data})
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Href < objs[j].Href })
	return objs
}

var uidRe = regexp.MustCompile(`(?m)^UID:(.*?)\r?$`)

// UIDs lists the UIDs of a calendar's objects, sorted.
func (s *Server) UIDs(t testing.TB, calendar string) []string {
	t.Helper()
	var out []string
	for _, o := range s.Objects(t, calendar) {
		for _, m := range uidRe.FindAllStringSubmatch(o.Data, -1) {
			out = append(out, strings.TrimSpace(m[1]))
		}
	}
	sort.Strings(out)
	return out
}

// SplitByUID cuts a calendar file (as .ics feeds carry them) into one object
// per UID, each with the file's VTIMEZONEs, as CalDAV stores events.
func SplitByUID(ics string) map[string]string {
	ics = strings.ReplaceAll(ics, "\r\n", "\n")
	var head, zones []string
	events := map[string][]string{}
	var order []string
	lines := strings.Split(ics, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "BEGIN:VTIMEZONE" || l == "BEGIN:VEVENT":
			end := "END:" + strings.TrimPrefix(l, "BEGIN:")
			var block []string
			uid := ""
			for ; i < len(lines); i++ {
				block = append(block, lines[i])
				if strings.HasPrefix(lines[i], "UID:") {
					uid = strings.TrimPrefix(lines[i], "UID:")
				}
				if lines[i] == end {
					break
				}
			}
			if l == "BEGIN:VTIMEZONE" {
				zones = append(zones, block...)
			} else {
				if _, ok := events[uid]; !ok {
					order = append(order, uid)
				}
				events[uid] = append(events[uid], block...)
			}
		case l == "END:VCALENDAR" || l == "":
		default:
			head = append(head, l)
		}
	}
	out := map[string]string{}
	for _, uid := range order {
		all := append(append(append(append([]string{}, head...), zones...), events[uid]...), "END:VCALENDAR")
		out[uid] = strings.Join(all, "\r\n") + "\r\n"
	}
	return out
}
