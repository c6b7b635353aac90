package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
)

var binary string

// envBinary passes the built binary on to a test that re-runs itself in
// another process (see TestFullDisk), which then need not build it again.
const envBinary = "SLUICE_E2E_BINARY"

func TestMain(m *testing.M) {
	actAsBrowser()
	if binary = os.Getenv(envBinary); binary != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "sluice-e2e-bin")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755) // a test may run it as another user
	binary = filepath.Join(dir, "sluice")
	// The sluicetest tag adds the hooks a release build lacks (moving the
	// daemon's clock: app/cli/testclock.go).
	out, err := exec.Command("go", "build", "-tags", "sluicetest", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// instance is a sluice daemon on temp dirs.
type instance struct {
	t      *testing.T
	config string
	data   string
	listen string
	cmd    *exec.Cmd
	logs   *syncBuffer
	env    []string
}

// syncBuffer is the daemon's stderr: written by exec's copying goroutine
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newInstance writes a config whose zone is Berlin, with the local inbox's
// HTTP endpoint on a free loopback port, and a test clock that starts 3
// seconds before Monday's 11:00 check-in.
func newInstance(t *testing.T, now string) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{t: t, config: filepath.Join(dir, "config.toml"), data: filepath.Join(dir, "data"), listen: freePort(t)}
	cfg := fmt.Sprintf("version = 1\n[schedule]\ntemplate = \"twice-a-day\"\nzone = \"Europe/Berlin\"\n[urgent]\nvips = [\"boss@acme.com\"]\n[local]\nhttp = true\nlisten = %q\n", in.listen)
	if err := os.WriteFile(in.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	in.env = append(os.Environ(), "SLUICE_CONFIG="+in.config, "SLUICE_DATA="+in.data, "SLUICE_TEST_NOW="+now)
	return in
}

func (in *instance) start() {
	in.t.Helper()
	in.logs = &syncBuffer{}
	in.cmd = exec.Command(binary, "daemon")
	in.cmd.Env = in.env
	in.cmd.Stderr = in.logs
	if err := in.cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { in.stop() })
	deadline := time.Now().Add(15 * time.Second)
	for !control.Running(in.data, time.Second) {
		if time.Now().After(deadline) {
			in.t.Fatalf("daemon did not come up:\n%s", in.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The local inbox starts with the connectors, just after the control
	// API: wait for it too, so tests that post find it listening.
	cfg, _ := os.ReadFile(in.config)
	for in.listen != "" && strings.Contains(string(cfg), "http = true") {
		c, err := net.DialTimeout("tcp", in.listen, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("the local inbox did not listen on %s:\n%s", in.listen, in.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (in *instance) stop() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-done
	}
	in.cmd = nil
}

// run runs a CLI command against the instance.
func (in *instance) run(args ...string) (stdout, stderr string, code int) {
	in.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = in.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func (in *instance) mustRun(args ...string) string {
	in.t.Helper()
	out, errOut, code := in.run(args...)
	if code != 0 {
		in.t.Fatalf("sluice %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (in *instance) items(cmd string) []model.Item {
	in.t.Helper()
	var items []model.Item
	if err := json.Unmarshal([]byte(in.mustRun(cmd, "--json")), &items); err != nil {
		in.t.Fatalf("%s --json: %v", cmd, err)
	}
	return items
}

func (in *instance) token() string {
	in.t.Helper()
	b, err := os.ReadFile(filepath.Join(in.data, "local-token"))
	if err != nil {
		in.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (in *instance) post(token, contentType, body string, headers ...string) (int, string) {
	in.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+in.listen+"/v1/items", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// Monday 2026-11-23, 10:59:57 in Berlin: three seconds before a check-in,
// inside the 09:00–11:00 focus block.
const beforeCheckin = "2026-11-23T10:59:57+01:00"

func TestEndToEnd(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()

	// Files holding user data are private.
	for _, f := range []string{"sluice.db", "local-token", "sluice.sock"} {
		fi, err := os.Stat(filepath.Join(in.data, f))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, perm)
		}
	}

	// Items from the CLI and over HTTP, held during focus.
	id := strings.TrimSpace(in.mustRun("send", "--title", "Deploy finished", "--body", "all green", "--from", "CI <ci@example.com>"))
	if len(id) != model.IDLen {
		t.Fatalf("send printed %q, want an item id", id)
	}
	code, body := in.post(in.token(), "application/json", `{"title":"Review please","body":"PR 12","from":"ann@example.com","link":"https://example.com/pr/12"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST with token: %d %s", code, body)
	}
	code, body = in.post(in.token(), "", "main is red", "Title", "Build failed")
	if code != http.StatusCreated {
		t.Fatalf("ntfy-style POST: %d %s", code, body)
	}
	if code, body := in.post("", "application/json", `{"title":"x"}`); code != http.StatusUnauthorized {
		t.Fatalf("POST without token: %d %s, want 401", code, body)
	}
	if code, body := in.post("wrong", "application/json", `{"title":"x"}`); code != http.StatusUnauthorized {
		t.Fatalf("POST with a wrong token: %d %s, want 401", code, body)
	}
	if code, body := in.post(in.token(), "application/json", `{"title":`); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
		t.Fatalf("bad JSON: %d %s, want 400 with a JSON error", code, body)
	}
	if code, _ := in.post(in.token(), "text/plain", strings.Repeat("x", 65*1024), "Title", "big"); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize body: %d, want 413", code)
	}
	held := in.items("held")
	if len(held) != 3 {
		t.Fatalf("held: got %d items, want 3", len(held))
	}

	// The 11:00 check-in releases them all.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if d := in.items("digest"); len(d) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check-in did not release the items:\n%s", in.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if h := in.items("held"); len(h) != 0 {
		t.Fatalf("after the check-in %d are still held", len(h))
	}

	explain := in.mustRun("explain", id[:8])
	for _, want := range []string{"Deploy finished", "held: focus block", "released: check-in 11:00"} {
		if !strings.Contains(explain, want) {
			t.Errorf("explain lacks %q:\n%s", want, explain)
		}
	}

	// Forced check-in and done.
	in.mustRun("send", "--title", "late one")
	if out := in.mustRun("checkin"); !strings.Contains(out, "Checked in") {
		t.Errorf("checkin said %q", out)
	}
	if out := in.mustRun("done", id); !strings.Contains(out, "1 marked done") {
		t.Errorf("done said %q", out)
	}
	if out := in.mustRun("done", "--all"); !strings.Contains(out, "3 marked done") {
		t.Errorf("done --all said %q", out)
	}
	if d := in.items("digest"); len(d) != 0 {
		t.Fatalf("digest after done --all: %d items", len(d))
	}

	var st control.Status
	if err := json.Unmarshal([]byte(in.mustRun("status", "--json")), &st); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	if st.Mode != model.ModeWindow || st.Held != 0 || st.Zone != "Europe/Berlin" {
		t.Errorf("status: got mode %s held %d zone %s", st.Mode, st.Held, st.Zone)
	}
	if out := in.mustRun("status"); !strings.Contains(out, "Check-in window open") {
		t.Errorf("status:\n%s", out)
	}

	// Rules test, focus and pause commands.
	if out := in.mustRun("rules", "test", "--from", "boss@acme.com", "--subject", "hi"); !strings.Contains(out, "VIP") {
		t.Errorf("rules test:\n%s", out)
	}
	if out := in.mustRun("focus", "50m"); !strings.Contains(out, "Focus") {
		t.Errorf("focus 50m: %q", out)
	}
	in.mustRun("focus", "end")
	if _, errOut, code := in.run("focus", "end"); code != 1 || !strings.Contains(errOut, "not in a focus block") {
		t.Errorf("focus end twice: exit %d %q", code, errOut)
	}
	in.mustRun("pause", "1h")
	in.mustRun("resume")

	// Config reload: a new VIP applies without a restart; a broken file is
	// refused and the running config stays.
	cfg, _ := os.ReadFile(in.config)
	os.WriteFile(in.config, []byte(strings.Replace(string(cfg), `vips = ["boss@acme.com"]`, `vips = ["boss@acme.com", "ceo@acme.com"]`, 1)), 0o600)
	in.mustRun("config", "reload")
	if out := in.mustRun("rules", "test", "--from", "ceo@acme.com", "--subject", "hi"); !strings.Contains(out, "VIP") {
		t.Errorf("after reload the new VIP is not urgent:\n%s", out)
	}
	os.WriteFile(in.config, []byte("[urgent]\nbudget_per_hour = 1000\n"), 0o600)
	if _, errOut, code := in.run("config", "reload"); code != 1 || !strings.Contains(errOut, "urgent.budget_per_hour") {
		t.Errorf("reload of a bad config: exit %d %q", code, errOut)
	}
	if out := in.mustRun("rules", "test", "--from", "ceo@acme.com", "--subject", "hi"); !strings.Contains(out, "VIP") {
		t.Errorf("a refused reload changed the running config:\n%s", out)
	}
	os.WriteFile(in.config, cfg, 0o600)
	in.cmd.Process.Signal(syscall.SIGHUP) // reload: ceo@ is no longer a VIP
	for i := 0; ; i++ {
		out := in.mustRun("rules", "test", "--from", "ceo@acme.com", "--subject", "hi")
		if !strings.Contains(out, "VIP") {
			break
		}
		if i == 50 {
			t.Fatalf("SIGHUP did not reload the config:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A second daemon on the same data directory.
	_, errOut, code := in.run("daemon")
	if code != 3 || !strings.Contains(errOut, "Sluice is already running") {
		t.Fatalf("second daemon: exit %d, %q; want 3 and 'Sluice is already running'", code, errOut)
	}
	// A plain second `sluice` forwards instead of failing.
	if out, errOut, code := in.run(); code != 0 {
		t.Fatalf("second sluice: exit %d %s %s", code, out, errOut)
	}

	// `sluice quit` stops the daemon and returns once it has exited (and
	// been reaped by its parent, here this test), with its socket gone.
	exited := make(chan error, 1)
	go func() { exited <- in.cmd.Wait() }()
	if out := in.mustRun("quit"); !strings.Contains(out, "Sluice has quit") {
		t.Errorf("quit said %q", out)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the daemon exited with %v after quit:\n%s", err, in.logs)
		}
	case <-time.After(2 * time.Second):
		t.Error("quit returned, but the daemon has not exited")
		<-exited
	}
	in.cmd = nil
	if _, err := os.Stat(filepath.Join(in.data, "sluice.sock")); !os.IsNotExist(err) {
		t.Errorf("the control socket is left after quit: %v", err)
	}
	if _, errOut, code := in.run("quit"); code != 4 || !strings.Contains(errOut, "not running") {
		t.Errorf("quit with nothing running: exit %d %q, want 4", code, errOut)
	}
}

func TestInitWritesAValidConfig(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	if err := os.Remove(in.config); err != nil {
		t.Fatal(err)
	}
	if out := in.mustRun("config", "path"); strings.TrimSpace(out) != in.config {
		t.Errorf("config path: %q, want %q", out, in.config)
	}
	in.mustRun("init", "--template", "makers-day", "--zone", "Asia/Tokyo")
	fi, err := os.Stat(in.config)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("init: %v mode %v", err, fi.Mode())
	}
	if out := in.mustRun("config", "check"); !strings.Contains(out, "is valid") {
		t.Errorf("config check: %q", out)
	}
	if _, errOut, code := in.run("init"); code != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("init over an existing file: exit %d %q", code, errOut)
	}
	if out := in.mustRun("version"); !strings.HasPrefix(out, "sluice ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %q", out)
	}
}

func TestBadInput(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	if _, errOut, code := in.run("frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %q", code, errOut)
	}
	if _, errOut, code := in.run("status"); code != 4 || !strings.Contains(errOut, "not running") {
		t.Errorf("status with no daemon: exit %d %q", code, errOut)
	}
	if _, _, code := in.run("focus"); code != 2 {
		t.Errorf("focus without a duration: exit %d, want 2", code)
	}
	if out, _, code := in.run("send", "--help"); code != 0 || !strings.Contains(out, "--title") || strings.Count(out, "Usage:") != 1 {
		t.Errorf("send --help: exit %d %q (want the usage once)", code, out)
	}
	for _, c := range []struct{ name, cfg, want string }{
		{"syntax", "version = 1\n[schedule\n", "table name"},
		{"unknown key", "[urgent]\nvip = [\"a@b\"]\n", "urgent.vip: unknown setting"},
		{"bad value", "[urgent]\nbudget_per_hour = -2\n", "urgent.budget_per_hour: -2"},
		{"bad zone", "[schedule]\nzone = \"Mars/Olympus\"\n", "schedule.zone"},
		{"bad rule", "[[rules]]\nname = \"r\"\nregex = \"[\"\naction = \"urgent\"\n", "rules[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(in.config, []byte(c.cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := in.run("config", "check")
			if code != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("config check: exit %d %q, want 1 and %q", code, errOut, c.want)
			}
			_, errOut, code = in.run("daemon")
			if code != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("daemon: exit %d %q, want 1 and %q", code, errOut, c.want)
			}
		})
	}
}

// TestKillDuringBurst kills the daemon with SIGKILL in the middle of 1,000
// sends; after a restart every send that was answered with success is in
// the store exactly once.
func TestKillDuringBurst(t *testing.T) {
	in := newInstance(t, "2026-11-23T09:30:00+01:00")
	in.start()
	tok := in.token()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	jobs := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+in.listen+"/v1/items",
					strings.NewReader(fmt.Sprintf(`{"title":"burst %d"}`, n)))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				var r struct{ ID string }
				json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated && r.ID != "" {
					mu.Lock()
					acked = append(acked, r.ID)
					mu.Unlock()
				}
			}
		}()
	}
	for n := range 1000 {
		if n == 400 {
			in.cmd.Process.Kill() // SIGKILL mid-burst
			in.cmd.Wait()
			in.cmd = nil
		}
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	if len(acked) < 300 {
		t.Fatalf("only %d sends were acknowledged before the kill; the test did not exercise a burst", len(acked))
	}
	in.start()
	held := in.items("held")
	count := map[string]int{}
	for _, it := range held {
		count[it.ID]++
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("item %s stored %d times", id, n)
		}
	}
	for _, id := range acked {
		if count[id] != 1 {
			t.Errorf("acknowledged send %s is missing after the restart", id)
		}
	}
	t.Logf("%d acknowledged before SIGKILL, %d items after restart", len(acked), len(held))
}

// TestHostileInput: what a hostile sender or a careless edit used to do,
// end to end.
func TestHostileInput(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()

	// A sender disguised with a bidi override and terminal escapes is shown
	// as what it is.
	code, body := in.post(in.token(), "application/json",
		`{"title":"Invoice \u001b[2J\u202efdp.exe","from":"Bank \u202eknab <support@bank.example>","id":"k\u0000ey"}`)
	if code != http.StatusCreated {
		t.Fatalf("push: %d %s", code, body)
	}
	var r struct{ ID string }
	json.Unmarshal([]byte(body), &r)
	if r.ID != model.ItemID("local", "key") {
		t.Errorf("the 201 answer names %s, want the id of the cleaned key", r.ID)
	}
	explain := in.mustRun("explain", r.ID)
	if strings.ContainsAny(explain, "\u202e\x1b\x00") || !strings.Contains(explain, "Bank knab <support@bank.example>") ||
		!strings.Contains(explain, "Invoice [2Jfdp.exe") {
		t.Errorf("explain shows control or bidi characters:\n%q", explain)
	}

	// An accepted body is kept whole: explain shows all of it, lists none.
	long := strings.Repeat("step 7 failed: see the log above\n", 1900) + "END OF LOG"
	code, body = in.post(in.token(), "text/plain", long, "Title", "nightly")
	if code != http.StatusCreated {
		t.Fatalf("push of %d bytes: %d %s", len(long), code, body)
	}
	json.Unmarshal([]byte(body), &r)
	explain = in.mustRun("explain", r.ID)
	if strings.Count(explain, "step 7 failed") != 1900 || !strings.Contains(explain, "END OF LOG") {
		t.Errorf("explain shows %d of 1900 lines of the body", strings.Count(explain, "step 7 failed"))
	}
	if held := in.mustRun("held", "--json"); strings.Contains(held, "END OF LOG") || strings.Contains(held, `"body"`) {
		t.Errorf("the held list carries bodies (%d bytes)", len(held))
	}

	// A deleted config file is not a reason to drop every account and the
	// local inbox: the reload is refused and the running config stays.
	if err := os.Remove(in.config); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := in.run("config", "reload")
	if code != 1 || !strings.Contains(errOut, "does not exist") || !strings.Contains(errOut, "the running config stays") {
		t.Errorf("reload without a file: exit %d %q, want 1 and a refusal", code, errOut)
	}
	if code, body := in.post(in.token(), "application/json", `{"title":"still here"}`); code != http.StatusCreated {
		t.Errorf("the local inbox after the refused reload: %d %s", code, body)
	}
	if out := in.mustRun("rules", "test", "--from", "boss@acme.com", "--subject", "hi"); !strings.Contains(out, "VIP") {
		t.Errorf("the VIP is gone after the refused reload:\n%s", out)
	}
}
