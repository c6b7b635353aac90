package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/conntest"
)

// Unit tests against go-imap's in-memory server (no CONDSTORE, no ESEARCH):
// fast, and a second server implementation besides Dovecot.

func TestMemFirstSyncRecordsPositionThenIdlePush(t *testing.T) {
	ms := newMemServer(t)
	for i, s := range []string{"old 1", "old 2", "old 3"} {
		ms.add(t, "INBOX", mail(s+"@x", s, "archive"), time.Now().Add(time.Duration(i-10)*time.Hour))
	}
	sink := newSink(t)
	r := start(t, ms.options("work"), sink)
	h := waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	if !strings.Contains(h.Detail, "IDLE") {
		t.Errorf("health detail %q, want it to mention IDLE", h.Detail)
	}
	cur, ok := sink.cursor("work", "INBOX")
	if !ok || cur.next != 4 {
		t.Fatalf("cursor after first sync = %+v (%v), want next 4", cur, ok)
	}
	if n := sink.count(); n != 0 {
		t.Fatalf("first sync in mode none imported %d items, want 0", n)
	}

	ms.add(t, "INBOX", mail("new@x", "fresh", "Hello there"), time.Time{})
	waitFor(t, 5*time.Second, "pushed item", func() bool { return sink.count() == 1 })
	it, _ := sink.bySubject("fresh")
	if it.Kind != model.KindIMAP || it.Account != "work" || it.Channel != "INBOX" || it.Snippet != "Hello there" ||
		it.FromAddr != "alice@example.org" || it.FromName != "Alice Example" || !strings.HasPrefix(it.SourceID, "mid:new@x#") ||
		it.ID != model.ItemID("work", it.SourceID) || it.Link != "mid:new@x" || it.Thread != "new@x" {
		t.Errorf("item = %+v", it)
	}
	if r.c.Kind() != model.KindIMAP || r.c.Account() != "work" {
		t.Errorf("Kind, Account = %v, %v", r.c.Kind(), r.c.Account())
	}
}

func TestMemInitialModes(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		init InitialSync
		want []string
	}{
		{"all", InitialSync{Mode: InitialAll}, []string{"m1", "m2", "m3", "m4"}},
		{"newest", InitialSync{Mode: InitialNewest, Newest: 2}, []string{"m3", "m4"}},
		{"newest more than there are", InitialSync{Mode: InitialNewest, Newest: 10}, []string{"m1", "m2", "m3", "m4"}},
		{"since", InitialSync{Mode: InitialSince, Since: now.Add(-24 * time.Hour)}, []string{"m3", "m4"}},
		{"none", InitialSync{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := newMemServer(t)
			for i, s := range []string{"m1", "m2", "m3", "m4"} {
				ms.add(t, "INBOX", mail(s+"@x", s, "body of "+s), now.Add(time.Duration(i-3)*24*time.Hour))
			}
			sink := newSink(t)
			opt := ms.options("acct")
			opt.Initial = tt.init
			opt.FetchBatch = 3 // more than one batch for "all"
			start(t, opt, sink)
			waitHealth(t, sink, model.HealthConnected, 5*time.Second)
			if got := sortedSubjects(sink); !slices.Equal(got, tt.want) {
				t.Errorf("imported %v, want %v", got, tt.want)
			}
			if cur, _ := sink.cursor("acct", "INBOX"); cur.next != 5 {
				t.Errorf("cursor next = %d, want 5", cur.next)
			}
		})
	}
}

func TestMemPolling(t *testing.T) {
	ms := newMemServer(t)
	sink := newSink(t)
	opt := ms.options("acct")
	opt.DisableIdle = true
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	if !strings.Contains(h.Detail, "polling every 50ms") {
		t.Errorf("health detail %q, want polling", h.Detail)
	}
	ms.add(t, "INBOX", mail("p1@x", "polled", "body"), time.Time{})
	waitFor(t, 5*time.Second, "polled item", func() bool { return sink.count() == 1 })
	if strings.Contains(requests(ms.traffic.String()), " IDLE") {
		t.Error("client sent IDLE although DisableIdle is set")
	}
}

// TestMemUIDValidityChange recreates INBOX (a new UIDVALIDITY) with old and
// new mail: nothing stored is duplicated, the new mail arrives, and the
// archive older than the cursor's mark is not imported.
func TestMemUIDValidityChange(t *testing.T) {
	ms := newMemServer(t)
	old := time.Now().Add(-10 * 24 * time.Hour)
	archive := []string{mail("a@x", "archive A", "a"), mail("b@x", "archive B", "b")}
	for _, m := range archive {
		ms.add(t, "INBOX", m, old)
	}
	sink := newSink(t)
	r := start(t, ms.options("acct"), sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)

	seen := time.Now().Add(-time.Minute)
	c := mail("c@x", "C", "c")
	noID := mail("", "no id", "without message-id")
	ms.add(t, "INBOX", c, seen)
	ms.add(t, "INBOX", noID, seen)
	waitFor(t, 5*time.Second, "C", func() bool { return sink.count() == 2 })
	before, _ := sink.cursor("acct", "INBOX")

	if err := ms.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := ms.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range archive {
		ms.add(t, "INBOX", m, old)
	}
	ms.add(t, "INBOX", c, seen)
	ms.add(t, "INBOX", noID, seen)
	ms.add(t, "INBOX", mail("d@x", "D", "d"), time.Time{})
	r.c.Wake() // the IDLE session watches the deleted mailbox object

	waitFor(t, 5*time.Second, "cursor with the new UIDVALIDITY", func() bool {
		cur, _ := sink.cursor("acct", "INBOX")
		return cur.validity != before.validity && cur.next == 6
	})
	if got, want := sortedSubjects(sink), []string{"C", "D", "no id"}; !slices.Equal(got, want) {
		t.Errorf("items after UIDVALIDITY change = %v, want %v", got, want)
	}
}

// TestMemWrongPassword: a refused login is reported once, is not retried
// (one attempt for two folders), and Wake with a fixed password recovers.
func TestMemWrongPassword(t *testing.T) {
	ms := newMemServer(t, "Work")
	var pw atomic.Value
	pw.Store("wrong")
	var asked atomic.Int32
	opt := ms.options("acct")
	opt.Folders = []string{"INBOX", "Work"}
	opt.Password = func(context.Context) (string, error) { asked.Add(1); return pw.Load().(string), nil }
	sink := newSink(t)
	r := start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthAuthFailed, 5*time.Second)
	if !strings.Contains(h.Detail, "login failed") || !strings.Contains(h.Detail, "AUTHENTICATIONFAILED") || !h.NeedsAttention() {
		t.Errorf("health = %+v", h)
	}
	time.Sleep(300 * time.Millisecond) // ~10 backoff periods
	if n := ms.logins.Load(); n != 1 {
		t.Fatalf("%d login attempts with a wrong password, want 1 (no retry loop, one for all folders)", n)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("password asked %d times, want 1", n)
	}

	pw.Store(memPass)
	r.c.Wake()
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	if n := asked.Load(); n != 2 {
		t.Errorf("password asked %d times after Wake, want 2", n)
	}
}

func TestMemTest(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options("acct")
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Test(context.Background()); err != nil {
		t.Errorf("Test() = %v", err)
	}

	opt.Password = func(context.Context) (string, error) { return "nope", nil }
	c, _ = New(opt)
	err = c.Test(context.Background())
	if !errors.Is(err, ErrAuth) || !strings.HasPrefix(err.Error(), "login failed: NO [AUTHENTICATIONFAILED]") {
		t.Errorf("Test() with a wrong password = %v, want login failed wrapping ErrAuth", err)
	}

	opt = ms.options("acct")
	opt.Folders = []string{"INBOX", "Missing"}
	c, _ = New(opt)
	if err := c.Test(context.Background()); !errors.Is(err, ErrFolderNotFound) || !strings.Contains(err.Error(), `"Missing"`) {
		t.Errorf("Test() with a missing folder = %v, want ErrFolderNotFound naming it", err)
	}
}

// TestMemReadOnly checks the wire: only EXAMINE, never SELECT, STORE,
// EXPUNGE, MOVE, COPY, DELETE or APPEND, and bodies only with BODY.PEEK.
func TestMemReadOnly(t *testing.T) {
	ms := newMemServer(t)
	for _, s := range []string{"r1", "r2"} {
		ms.add(t, "INBOX", mail(s+"@x", s, "body"), time.Time{})
	}
	sink := newSink(t)
	opt := ms.options("acct")
	opt.Initial.Mode = InitialAll
	start(t, opt, sink)
	waitFor(t, 5*time.Second, "items", func() bool { return sink.count() == 2 })
	// Add r3 once the folder waits in IDLE: go-imap's memory server queues
	// an update that arrives between a command and IDLE and sends it only
	// with the next one (Dovecot sends it when IDLE starts).
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	ms.add(t, "INBOX", mail("r3@x", "r3", "body"), time.Time{})
	waitFor(t, 5*time.Second, "item r3", func() bool { return sink.count() == 3 })

	cmd := regexp.MustCompile(`(?m)^T\d+ (UID )?([A-Z]+)`)
	var names []string
	for _, m := range cmd.FindAllStringSubmatch(requests(ms.traffic.String()), -1) {
		names = append(names, m[2])
	}
	for _, n := range names {
		switch n {
		case "LOGIN", "CAPABILITY", "EXAMINE", "FETCH", "SEARCH", "IDLE", "NOOP", "LOGOUT":
		default:
			t.Errorf("client sent %s; the connector must stay read-only", n)
		}
	}
	if !slices.Contains(names, "EXAMINE") || !slices.Contains(names, "FETCH") {
		t.Errorf("commands %v, want EXAMINE and FETCH among them", names)
	}
	if regexp.MustCompile(`BODY\[`).MatchString(requests(ms.traffic.String())) {
		t.Error("a FETCH asked for BODY[...] without .PEEK, which sets \\Seen")
	}
}

// requests keeps the client's lines of a server debug log: tagged commands,
// not the server's tagged OK/NO/BAD answers.
func requests(log string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); regexp.MustCompile(`^T\d+ `).MatchString(l) && !regexp.MustCompile(`^T\d+ (OK|NO|BAD)\b`).MatchString(l) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestMemFolderMissing: a folder that does not exist is reported, the others
// keep working.
func TestMemFolderMissing(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options("acct")
	opt.Folders = []string{"INBOX", "Gone"}
	sink := newSink(t)
	start(t, opt, sink)
	// INBOX may still be connecting when Gone first fails.
	waitFor(t, 5*time.Second, "health naming the missing folder and the working one", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthBackingOff && strings.Contains(h.Detail, `folder "Gone" not found`) && strings.Contains(h.Detail, "watching INBOX")
	})
	// Add the message once INBOX waits in IDLE (see TestMemReadOnly: the
	// memory server holds back an update that comes before IDLE).
	waitFor(t, 5*time.Second, "INBOX to wait in IDLE", func() bool { return strings.Contains(ms.traffic.String(), "+ idling") })
	ms.add(t, "INBOX", mail("i@x", "still here", "b"), time.Time{})
	waitFor(t, 5*time.Second, "INBOX item", func() bool { return sink.count() == 1 })
}

// TestMemHungServer: a server that greets and then never answers is cut off
// by the watchdog and retried, not waited on forever.
func TestMemHungServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Write([]byte("* OK [CAPABILITY IMAP4rev1 IDLE] hung server ready\r\n"))
			go func() { defer c.Close(); bufio.NewReader(c).ReadString(0) }()
		}
	}()
	ms := &memServer{addr: ln.Addr().String()}
	opt := ms.options("acct")
	opt.CommandTimeout = 150 * time.Millisecond
	sink := newSink(t)
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthBackingOff, 5*time.Second)
	if !strings.Contains(h.Detail, "stopped answering") || h.Until.IsZero() {
		t.Errorf("health = %+v, want backing off because the server stopped answering", h)
	}
	waitFor(t, 5*time.Second, "a second attempt", func() bool { return conns.Load() >= 2 })
}

// TestMemWakeReconnectsAtOnce: while backing off for an hour, Wake retries
// now.
func TestMemWakeReconnectsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Until healthy is set, connections are closed at once (a server that is
	// down); then they are handed to the in-memory server.
	var healthy atomic.Bool
	cl := &chanListener{Listener: ln, conns: make(chan net.Conn)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(cl.conns)
				return
			}
			if !healthy.Load() {
				c.Close()
				continue
			}
			cl.conns <- c
		}
	}()
	ms := serveMem(t, cl)
	opt := ms.options("acct")
	opt.BackoffBase, opt.BackoffCap = time.Hour, time.Hour
	sink := newSink(t)
	r := start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthBackingOff, 5*time.Second)
	if time.Until(h.Until) < 30*time.Minute {
		t.Errorf("Until = %v, want about an hour away", h.Until)
	}
	healthy.Store(true)
	r.c.Wake()
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
}

// chanListener hands out connections accepted elsewhere.
type chanListener struct {
	net.Listener
	conns chan net.Conn
}

func (l *chanListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}

// TestMemIngestFailureRetries: a sink that cannot store makes the folder
// back off without advancing its cursor; once it can, the items arrive.
func TestMemIngestFailureRetries(t *testing.T) {
	ms := newMemServer(t)
	ms.add(t, "INBOX", mail("f@x", "first", "b"), time.Time{})
	sink := newSink(t)
	sink.FailNext(math.MaxInt) // a full disk, say
	opt := ms.options("acct")
	opt.Initial.Mode = InitialAll
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthBackingOff, 5*time.Second)
	if !strings.Contains(h.Detail, conntest.ErrRefused.Error()) {
		t.Errorf("health detail %q, want the sink's error", h.Detail)
	}
	if c, ok := sink.cursor("acct", "INBOX"); ok {
		t.Errorf("cursor moved to %+v while the sink refused the items", c)
	}
	sink.FailNext(0)
	waitFor(t, 5*time.Second, "item after the sink recovered", func() bool { return sink.count() == 1 })
}

// TestMemWakeDetectsDeadConnection: after sleep the IDLE connection looks
// open but is dead; Wake checks it at once (NOOP, short timeout) and
// reconnects, and mail that arrived meanwhile is fetched.
func TestMemWakeDetectsDeadConnection(t *testing.T) {
	ms := newMemServer(t)
	p := newBlackholeProxy(t, ms.addr)
	opt := (&memServer{addr: p.addr()}).options("acct")
	opt.CommandTimeout = 300 * time.Millisecond
	sink := newSink(t)
	r := start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)

	p.blackhole()
	ms.add(t, "INBOX", mail("z@x", "while asleep", "b"), time.Time{})
	time.Sleep(100 * time.Millisecond)
	if sink.count() != 0 {
		t.Fatal("item arrived through a dead connection")
	}
	// Without Wake nothing would happen before IdleRefresh (25 minutes).
	r.c.Wake()
	waitFor(t, 5*time.Second, "item after wake", func() bool { return sink.count() == 1 })
}

// TestMemIdleRefreshAndWatchdog: IDLE is re-issued every IdleRefresh; when a
// re-issue meets a dead connection, the watchdog cuts it and the connector
// reconnects on its own, without Wake.
func TestMemIdleRefreshAndWatchdog(t *testing.T) {
	ms := newMemServer(t)
	p := newBlackholeProxy(t, ms.addr)
	opt := (&memServer{addr: p.addr()}).options("acct")
	opt.IdleRefresh = 50 * time.Millisecond
	opt.CommandTimeout = 300 * time.Millisecond
	sink := newSink(t)
	start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	waitFor(t, 5*time.Second, "IDLE re-issued", func() bool {
		return strings.Count(requests(ms.traffic.String()), " IDLE") >= 3
	})

	p.blackhole()
	ms.add(t, "INBOX", mail("y@x", "behind a dead connection", "b"), time.Time{})
	h := waitHealth(t, sink, model.HealthBackingOff, 5*time.Second)
	if !strings.Contains(h.Detail, "stopped answering") {
		t.Errorf("health detail %q, want the watchdog's", h.Detail)
	}
	waitFor(t, 5*time.Second, "item after the reconnect", func() bool { return sink.count() == 1 })
}

// TestMemExpungedBeforeSeen: UIDNEXT moved past messages that were deleted
// before the connector saw them; the cursor follows and nothing breaks.
func TestMemExpungedBeforeSeen(t *testing.T) {
	ms := newMemServer(t)
	sink := newSink(t)
	opt := ms.options("acct")
	opt.DisableIdle = true
	opt.PollInterval = time.Hour // checks happen on Wake only
	opt.FetchBatch = 1           // so the gap is searched, not listed
	r := start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)

	// Another client deletes a message before the connector looks.
	cl, err := imapclient.DialInsecure(ms.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Login(memUser, memPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ms.add(t, "INBOX", mail(fmt.Sprintf("gone%d@x", i), "gone", "b"), time.Time{})
	}
	if err := cl.Noop().Wait(); err != nil { // learn about the new messages
		t.Fatal(err)
	}
	if err := cl.Store(imap.SeqSet{{Start: 1, Stop: 3}}, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	r.c.Wake()
	waitFor(t, 5*time.Second, "cursor past the expunged UID", func() bool {
		cur, _ := sink.cursor("acct", "INBOX")
		return cur.next == 4
	})
	ms.add(t, "INBOX", mail("kept@x", "kept", "b"), time.Time{})
	r.c.Wake()
	waitFor(t, 5*time.Second, "the next message", func() bool { return sink.count() == 1 })
	if got := sortedSubjects(sink); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("items %v, want [kept]", got)
	}
}

// TestMemPasswordFailureLoggedOnce: a password source that keeps failing is
// retried with backoff, but its error is logged once per failure streak, not
// on every retry (it may come from the user's password command). Named after
// what broke: five log lines a minute, each with the command's stderr.
func TestMemPasswordFailureLoggedOnce(t *testing.T) {
	ms := newMemServer(t, "Work")
	var failing atomic.Bool
	failing.Store(true)
	var asked atomic.Int32
	opt := ms.options("acct")
	opt.Folders = []string{"INBOX", "Work"}
	opt.Password = func(context.Context) (string, error) {
		asked.Add(1)
		if failing.Load() {
			return "", errors.New("password command failed (exit status 1): vault is sealed")
		}
		return memPass, nil
	}
	logs := &syncBuffer{}
	opt.Logger = slog.New(slog.NewTextHandler(logs, nil))
	sink := newSink(t)
	start(t, opt, sink)
	waitFor(t, 5*time.Second, "six attempts", func() bool { return asked.Load() >= 6 })
	h := sink.lastHealth()
	if h.State != model.HealthBackingOff || h.Detail != "get password: password command failed (exit status 1): vault is sealed" {
		t.Errorf("health = %+v", h)
	}
	if n := strings.Count(logs.String(), "vault is sealed"); n != 1 {
		t.Errorf("the password error was logged %d times in %d attempts, want once:\n%s", n, asked.Load(), logs)
	}
	failing.Store(false)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	if n := strings.Count(logs.String(), "the password is available again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, logs)
	}
}

// TestMemPollsOnTheInjectedClock: the poll interval runs on Options.Clock,
// so a test moves time instead of waiting for it.
func TestMemPollsOnTheInjectedClock(t *testing.T) {
	ms := newMemServer(t)
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sink := newSink(t)
	opt := ms.options("acct")
	opt.PollInterval = 2 * time.Minute
	opt.DisableIdle = true
	opt.Clock = clk
	start(t, opt, sink)
	waitHealth(t, sink, model.HealthConnected, 5*time.Second)
	waitFor(t, 5*time.Second, "the poll's timer", func() bool { return clk.Pending() > 0 })
	ms.add(t, "INBOX", mail("p@x", "polled", "b"), time.Time{})
	time.Sleep(200 * time.Millisecond)
	if sink.count() != 0 {
		t.Fatal("polled before the interval passed on the connector's clock")
	}
	clk.Advance(2*time.Minute + 13*time.Second) // past the interval and its 10% jitter
	waitFor(t, 5*time.Second, "the item after the poll", func() bool { return sink.count() == 1 })
	if h := sink.lastHealth(); !h.Since.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("connected since %v, want the connector's clock's time then", h.Since)
	}
}

// TestMemBackoffOnTheInjectedClock: after a failed connection the folder
// waits its backoff on Options.Clock, says until when, and retries once
// the clock passed it.
func TestMemBackoffOnTheInjectedClock(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepts atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close() // no greeting: the connection is lost
		}
	}()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sink := newSink(t)
	opt := (&memServer{addr: ln.Addr().String()}).options("acct")
	opt.BackoffBase, opt.BackoffCap = time.Minute, 10*time.Minute
	opt.Clock = clk
	start(t, opt, sink)
	h := waitHealth(t, sink, model.HealthBackingOff, 5*time.Second)
	if d := h.Until.Sub(clk.Now()); d < 48*time.Second || d > 72*time.Second {
		t.Errorf("backing off until %v, %v from now; want the first backoff, 1 min ±20%%", h.Until, d)
	}
	time.Sleep(200 * time.Millisecond)
	if n := accepts.Load(); n != 1 {
		t.Fatalf("%d connections before the backoff passed on the connector's clock, want 1", n)
	}
	clk.Set(h.Until)
	waitFor(t, 5*time.Second, "the retry", func() bool { return accepts.Load() == 2 })
}
