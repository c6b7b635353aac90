//go:build linux

package xvfbtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/rules"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/calendar/radicaletest"
)

// TestWindowsUnderXvfb runs the real programs: it builds sluice and
// sluice-ui, starts a seeded `sluice daemon` on temp dirs, starts Xvfb on a
// free display, opens every window of sluice-ui against the daemon and
// saves a PNG of each to out/screenshots/ (light and dark, 100% and 200%).
// Then it fills the store with 10,000 items and measures how long
// `sluice-ui digest` takes from start to the drawn window.
func TestWindowsUnderXvfb(t *testing.T) {
	for _, tool := range []struct{ bin, pkg string }{
		{"Xvfb", "xvfb"}, {"import", "imagemagick"}, {"convert", "imagemagick"}, {"dbus-run-session", "dbus"},
	} {
		if _, err := exec.LookPath(tool.bin); err != nil {
			t.Fatalf("%s is not installed: install the Debian package %s (apt-get install %s)", tool.bin, tool.pkg, tool.pkg)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, p := range []string{"sluice", "sluice-ui"} {
		// The flags packaging/build-linux.sh ships with, so these are the
		// windows people get and CI compiles Fyne's GL driver once for both.
		args := []string{"build", "-trimpath", "-o", filepath.Join(bin, p)}
		if p == "sluice-ui" {
			args = append(args, "-tags", "migrated_fynedo")
		}
		cmd := exec.Command("go", append(args, "./cmd/"+p)...)
		cmd.Dir = root
		if p == "sluice" {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", p, err, out)
		}
	}
	shots := filepath.Join(root, "out", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"XDG_RUNTIME_DIR="+runtimeDir,
		"LANG=en_US.UTF-8", "LC_ALL=",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_STATE_HOME="+filepath.Join(home, "state"),
		"DISPLAY="+startXvfb(t),
	)

	// A seeded Sluice, with a calendar on a real Radicale: this week's
	// meetings shape the timeline and the focus blocks are published.
	dir := t.TempDir()
	cfgPath, data := filepath.Join(dir, "config.toml"), filepath.Join(dir, "data")
	cal := radicaletest.Start(t, "work", "focus")
	seedCalendar(t, cal)
	pw := filepath.Join(dir, "calendar.pw")
	if err := os.WriteFile(pw, []byte(radicaletest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, cfgPath, cal.URL+"/", pw)
	seedStore(t, data)
	d := startDaemon(t, env, bin, cfgPath, data)
	c := control.NewClient(data)
	// The context covers every control call of the test, screenshots and
	// 10,000 sends included.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sc, err := c.Schedule(ctx, 7)
		if err == nil && len(sc.Busy) > 0 && len(sc.Publish.Blocks) > 0 {
			t.Logf("calendar: %d meetings, %d focus blocks published", len(sc.Busy), len(sc.Publish.Blocks))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not read the calendar or publish (err %v):\n%s", err, d.output())
		}
	}
	for i, m := range []control.SendRequest{
		{Title: "Nightly build failed", Body: "integration/imap: 2 tests failed (timeout after 30 s)", From: "ci <ci@build.local>", Channel: "ci", Link: "https://ci.example.com/runs/812"},
		{Title: "Disk usage above 80% on backup-1", Body: "/srv is at 83%; prune snapshots older than 90 days.", From: "monitoring", Channel: "alerts"},
		{Title: "Invoice 2026-031 paid", Body: "The payment from Acme GmbH arrived.", From: "billing@example.com"},
	} {
		m.ID = fmt.Sprint("seed-", i)
		if _, err := c.Send(ctx, m); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if _, err := c.Checkin(ctx); err != nil {
		t.Fatalf("checkin: %v", err)
	}
	for i, title := range []string{"Weekly report ready", "Backup finished"} {
		if _, err := c.Send(ctx, control.SendRequest{Title: title, From: "cron", ID: fmt.Sprint("later-", i)}); err != nil {
			t.Fatalf("send: %v", err)
		}
	}

	ui := filepath.Join(bin, "sluice-ui")
	for _, s := range []struct {
		name, window string
		env, args    []string
	}{
		{name: "digest", window: "digest", env: []string{"FYNE_THEME=light"}},
		{name: "digest-dark", window: "digest", env: []string{"FYNE_THEME=dark"}},
		{name: "digest-200", window: "digest", env: []string{"FYNE_SCALE=2"}},
		{name: "settings-schedule", window: "settings", env: []string{"FYNE_THEME=light"}},
		{name: "settings-schedule-dark", window: "settings", env: []string{"FYNE_THEME=dark"}},
		{name: "settings-accounts", window: "settings", args: []string{"--tab", "Accounts"}, env: []string{"FYNE_THEME=light"}},
		{name: "settings-rules", window: "settings", args: []string{"--tab", "Rules"}, env: []string{"FYNE_THEME=light"}},
		{name: "settings-notifications", window: "settings", args: []string{"--tab", "Notifications"}, env: []string{"FYNE_THEME=dark"}},
		{name: "settings-general", window: "settings", args: []string{"--tab", "General"}, env: []string{"FYNE_THEME=dark"}},
		{name: "settings-200", window: "settings", env: []string{"FYNE_SCALE=2"}},
		{name: "stats", window: "stats", env: []string{"FYNE_THEME=light"}},
		{name: "stats-dark", window: "stats", env: []string{"FYNE_THEME=dark"}},
		{name: "welcome", window: "welcome", env: []string{"FYNE_THEME=light"}},
		{name: "welcome-dark", window: "welcome", env: []string{"FYNE_THEME=dark"}},
	} {
		args := append(append([]string{"--trace", "--config", cfgPath, "--data", data}, s.args...), s.window)
		w := startWindow(t, append(slices.Clone(env), s.env...), ui, args...)
		w.waitFor(t, s.window+" loaded")
		time.Sleep(1500 * time.Millisecond) // let it paint
		w.screenshot(t, filepath.Join(shots, s.name+".png"))
		w.stop()
	}

	// No Sluice on a data directory: the window says so.
	empty := filepath.Join(t.TempDir(), "nothing")
	w := startWindow(t, env, ui, "--trace", "--config", cfgPath, "--data", empty, "digest")
	w.waitFor(t, "digest not running")
	time.Sleep(time.Second)
	w.screenshot(t, filepath.Join(shots, "not-running.png"))
	w.stop()

	// 10,000 released items: how fast does the digest appear?
	const n = 10000
	start := time.Now()
	sendMany(t, c, n)
	t.Logf("sent %d items through the control API in %s", n, time.Since(start).Round(time.Millisecond))
	// Its own deadline: the one above covers the screenshots before, and a
	// loaded machine may take a while to release 10,000 items (timed in
	// the store's benchmarks, not here).
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Minute)
	start = time.Now()
	_, err = c.Checkin(cctx)
	ccancel()
	if err != nil {
		t.Fatalf("checkin: %v", err)
	}
	t.Logf("released %d items in %s", n, time.Since(start).Round(time.Millisecond))
	var drawn, loaded []time.Duration
	for run := range 3 {
		t0 := time.Now()
		w := startWindow(t, env, ui, "--trace", "--config", cfgPath, "--data", data, "digest")
		mark := w.waitFor(t, "digest loaded")
		loaded = append(loaded, time.Since(t0))
		w.waitFor(t, "digest drawn")
		drawn = append(drawn, time.Since(t0))
		t.Logf("run %d: %s; loaded after %s, drawn after %s (measured from exec)", run+1, mark, loaded[run].Round(time.Millisecond), drawn[run].Round(time.Millisecond))
		if run == 2 {
			time.Sleep(time.Second)
			w.screenshot(t, filepath.Join(shots, "digest-10000.png"))
		}
		w.stop()
	}
	slices.Sort(drawn)
	t.Logf("`sluice-ui digest` with %d+ items: window drawn after %s (median of 3; min %s, max %s)",
		n, drawn[1].Round(time.Millisecond), drawn[0].Round(time.Millisecond), drawn[2].Round(time.Millisecond))
	d.stop()
}

// startXvfb starts Xvfb on a free display and returns ":N".
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 90; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		disp := fmt.Sprintf(":%d", n)
		cmd := exec.Command("Xvfb", disp, "-screen", "0", "2000x1500x24", "-nolisten", "tcp")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				t.Cleanup(func() {
					_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
					<-exited
				})
				return disp
			}
			select {
			case <-exited:
				deadline = time.Time{} // lost a race for this display; try the next
			case <-time.After(50 * time.Millisecond):
			}
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Fatal("no free X display between :90 and :199")
	return ""
}

// seedCalendar puts weekly meetings, in the local zone, on the work
// calendar: a standup on Monday, Wednesday and Friday across the 11:00
// check-in, a review on Tuesday afternoon, a customer call across the
// 16:00 check-in on Thursday, and a free lunch that does not count.
func seedCalendar(t *testing.T, cal *radicaletest.Server) {
	t.Helper()
	now := time.Now()
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	floating := func(days, h, m int) string {
		return monday.AddDate(0, 0, days).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).Format("20060102T150405")
	}
	event := func(uid, title, start, end, extra string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sluice tests//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:" + title + "\r\nDTSTART:" + start + "\r\nDTEND:" + end + "\r\n" + extra +
			"END:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	cal.Put(t, "work", "standup", event("standup", "Standup", floating(0, 10, 30), floating(0, 11, 15), "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR\r\n"))
	cal.Put(t, "work", "review", event("review", "Design review", floating(1, 14, 0), floating(1, 15, 0), "RRULE:FREQ=WEEKLY;BYDAY=TU\r\n"))
	cal.Put(t, "work", "customer", event("customer", "Customer call", floating(3, 15, 30), floating(3, 16, 40), "RRULE:FREQ=WEEKLY;BYDAY=TH\r\n"))
	cal.Put(t, "work", "lunch", event("lunch", "Lunch", floating(2, 12, 0), floating(2, 13, 0), "TRANSP:TRANSPARENT\r\n"))
}

func writeConfig(t *testing.T, path, calendarURL, passwordFile string) {
	t.Helper()
	off := false
	cfg := config.Default()
	cfg.Urgent.VIPs = []string{"boss@acme.com", "@family.example"}
	cfg.Urgent.Keywords = []string{"outage", "sev1"}
	cfg.Urgent.Channel = "#incidents"
	cfg.Rules = []rules.Rule{
		{Name: "Newsletters", From: []string{"*@news.example.com"}, Action: model.ActionQuiet},
		{Name: "Deploys", Accounts: []string{"Work mail"}, Keywords: []string{"deploy failed"}, Action: model.ActionUrgent},
	}
	// The accounts are off: the test uses no network beyond loopback.
	cfg.Accounts = []config.Account{
		{Name: "Work mail", Kind: "imap", Enabled: &off, Preset: "fastmail", Username: "me@fastmail.com"},
		{Name: "Acme Slack", Kind: "slack", Enabled: &off, Channels: []string{"#incidents", "#eng"}},
		// On, but to the Radicale on loopback the test started.
		{Name: "Work calendar", Kind: "caldav", URL: calendarURL, Username: radicaletest.User,
			PasswordCommand: "cat " + passwordFile, Calendars: []string{"work"}},
	}
	cfg.Calendar.PublishFocus = true
	cfg.Calendar.PublishAccount, cfg.Calendar.PublishCalendar = "Work calendar", "focus"
	if err := config.Save(path, cfg); err != nil {
		t.Fatalf("write config: %v", err)
	}
}

// seedStore writes released mail and Slack items and 30 days of stats
// into the store before the daemon opens it.
func seedStore(t *testing.T, data string) {
	t.Helper()
	st, err := store.Open(paths.Store(data), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	now := time.Now()
	at := func(h time.Duration) time.Time { return now.Add(-h) }
	item := func(acc string, kind model.Kind, id, thread, from, addr, subject, snippet string, age time.Duration, broke bool) model.Item {
		it := model.Item{ID: model.ItemID(acc, id), Kind: kind, Account: acc, SourceID: id, Thread: thread, FromName: from, FromAddr: addr,
			Subject: subject, Snippet: snippet, Received: at(age), Ingested: at(age), State: model.StateReleased,
			Released: at(age - 10*time.Minute), Action: model.ActionHold, Rule: rules.RuleDefault, Link: "https://example.com/" + id}
		if kind == model.KindSlack {
			it.Channel = "#eng"
			it.ReplyKey = "C0ENG/" + thread
		} else {
			it.Channel = "INBOX"
			it.ReplyKey = id + "@acme.com"
		}
		it.Logf(it.Ingested, "classified hold: no rule matched")
		it.Logf(it.Ingested, "held: focus block 09:00–11:00 until 11:00 (next check-in 11:00)")
		it.Logf(it.Released, "released: check-in 11:00")
		if broke {
			it.Action, it.Rule, it.Breakthrough, it.Released, it.Log = model.ActionUrgent, "VIP", true, it.Ingested, nil
			it.Logf(it.Ingested, "classified urgent: VIP boss@acme.com")
			it.Logf(it.Ingested, "breakthrough: VIP boss@acme.com (during focus block 13:30–15:30; 1 of 3 urgent this hour)")
		}
		return it
	}
	items := []model.Item{
		item("Work mail", model.KindIMAP, "m1", "budget", "Alice Martin", "alice@acme.com", "Q3 budget review", "Here is the draft for Thursday; the travel line is still open.", 50*time.Hour, false),
		item("Work mail", model.KindIMAP, "m2", "budget", "Bob Stein", "bob@acme.com", "Re: Q3 budget review", "Travel looks fine to me, but hardware needs another pass.", 3*time.Hour, false),
		item("Work mail", model.KindIMAP, "m3", "budget", "Alice Martin", "alice@acme.com", "Re: Q3 budget review", "Updated the sheet. Can we close this by Wednesday?", 2*time.Hour, false),
		item("Work mail", model.KindIMAP, "m4", "", "Boss", "boss@acme.com", "Customer call moved to 15:00", "Please join if you can; Anna has the notes.", 26*time.Hour, true),
		item("Acme Slack", model.KindSlack, "s1", "eng-1", "Carol", "", "Flaky test in payments", "It fails one run in ten since Friday; anyone seen this?", 4*time.Hour, false),
		item("Acme Slack", model.KindSlack, "s2", "eng-1", "Dan", "", "Flaky test in payments", "Yes, the clock mock leaks between tests. Fix coming.", 90*time.Minute, false),
	}
	// Bob's mail is answered; the rest wait for a reply (Alice's first one
	// and the boss's overdue under the default promise of 24 hours).
	items[1].Answered = at(time.Hour)
	if _, err := st.Put(items, nil); err != nil {
		t.Fatalf("seed items: %v", err)
	}
	for i := range 30 {
		day := now.AddDate(0, 0, -i)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		k := 30 - i
		err := st.UpdateStats(day.Format(time.DateOnly), func(s *store.DayStats) {
			s.FocusMinutes = 180 + (k*37)%150
			s.Held = 20 + (k*13)%35
			s.Released = s.Held
			s.Breakthroughs = (k * 7) % 4
			s.CheckinsOnTime = 2
			if k%9 == 0 {
				s.CheckinsOnTime, s.CheckinsLate = 1, 1
			}
			if k%5 == 0 {
				s.CheckinsEarly = 1
			}
			for j := range 12 {
				s.AddWait(time.Duration(20+(k*j*17)%200) * time.Minute)
			}
			s.RepliesOnTime, s.RepliesLate = 4+(k*5)%6, (k*3)%4/2
			s.NoReplyNeeded = (k * 7) % 3
			for j := range s.RepliesOnTime + s.RepliesLate {
				s.AddReplyWait(time.Duration(40+(k*j*29)%600) * time.Minute)
			}
		})
		if err != nil {
			t.Fatalf("seed stats: %v", err)
		}
	}
}

type proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	lines  []string
	notify chan struct{}
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// start runs a program in its own process group inside a private D-Bus
// session (so no bus daemon is left behind), collecting its stderr.
func start(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command("dbus-run-session", append([]string{"--", name}, args...)...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

func startDaemon(t *testing.T, env []string, bin, cfgPath, data string) *proc {
	t.Helper()
	p := start(t, env, filepath.Join(bin, "sluice"), "daemon", "--config", cfgPath, "--data", data)
	deadline := time.Now().Add(20 * time.Second)
	for !control.Running(data, time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("sluice daemon did not answer; its output:\n%s", p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

func startWindow(t *testing.T, env []string, ui string, args ...string) *proc {
	return start(t, env, ui, args...)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitFor waits for a line containing mark on stderr and returns it.
func (p *proc) waitFor(t *testing.T, mark string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if strings.Contains(l, mark) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-p.done:
			t.Fatalf("the program exited before %q; its output:\n%s", mark, p.output())
		case <-deadline:
			t.Fatalf("no %q within a minute; output:\n%s", mark, p.output())
		}
	}
}

// screenshot saves the window: the whole screen, cut to the window (it is
// alone on the screen, at the top left, on black).
func (p *proc) screenshot(t *testing.T, path string) {
	t.Helper()
	disp := ""
	for _, e := range p.cmd.Env {
		if v, ok := strings.CutPrefix(e, "DISPLAY="); ok {
			disp = v
		}
	}
	raw := path + ".raw.png"
	if out, err := exec.Command("import", "-display", disp, "-window", "root", raw).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	defer os.Remove(raw)
	if out, err := exec.Command("convert", raw, "-bordercolor", "black", "-border", "1", "-trim", "+repage", path).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", path, err)
	}
	t.Logf("screenshot: %s", path)
}

// sendMany pushes n items through the control API (the local inbox), a few
// at a time.
func sendMany(t *testing.T, c *control.Client, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				_, err := c.Send(ctx, control.SendRequest{
					ID: "bulk-" + strconv.Itoa(i), Title: fmt.Sprintf("Build %d finished", i),
					Body: "All checks passed on branch main; artefacts uploaded.", From: fmt.Sprintf("ci-%d <ci@build.local>", i%7),
					Channel: fmt.Sprintf("builds-%d", i%5), Link: fmt.Sprintf("https://ci.example.com/runs/%d", i),
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("send: %v", err)
	}
}
