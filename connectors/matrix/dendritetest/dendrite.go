// Package dendritetest runs a real Matrix homeserver for tests: Dendrite
// (github.com/matrix-org/dendrite, Apache-2.0; not the AGPL fork), built
// from the module proxy at a pinned version into the user's cache directory
// once, and started on 127.0.0.1 with SQLite in a temporary directory.
//
// Dendrite is never a dependency of Sluice's module: it is built with
// `go install module@version` outside the module, so Sluice's go.mod and
// binaries do not pull its tree in. The build needs cgo (gcc, for SQLite);
// it takes a few minutes cold and is reused afterwards. `go run
// ./connectors/matrix/dendritetest/build` builds it ahead of the tests (CI
// does, so the first test does not pay for it).
//
// A Server sits behind a recording reverse proxy, so tests can see every
// client request (no read receipts, set_presence), take the homeserver
// away (an outage) and answer M_LIMIT_EXCEEDED.
package dendritetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Module and Version pin the Dendrite the tests run.
const (
	Module  = "github.com/matrix-org/dendrite"
	Version = "v0.13.8"
)

// ServerName is the homeserver's name: users are @name:localhost.
const ServerName = "localhost"

// Binary returns the path of the Dendrite binary, building it into the
// cache on first use. SLUICE_DENDRITE names a binary to use instead.
func Binary() (string, error) {
	if p := os.Getenv("SLUICE_DENDRITE"); p != "" {
		return p, nil
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dendrite")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	unlock, err := lock(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another test process built it meanwhile
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		return "", errors.New("dendritetest: building Dendrite needs a C compiler for SQLite: apt-get install gcc")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("dendritetest: building Dendrite needs the go command on PATH")
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goBin, "install", Module+"/cmd/dendrite@"+Version)
	cmd.Dir = tmp // outside any module: Sluice's go.mod is not touched
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=1", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("dendritetest: build %s@%s: %w\n%s", Module, Version, err, out.String())
	}
	built := filepath.Join(tmp, filepath.Base(bin))
	if err := os.Rename(built, bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "dendritetest: built Dendrite %s in %s into %s\n", Version, time.Since(start).Round(time.Second), bin)
	return bin, nil
}

// cacheDir is where the binary is kept: the user's cache directory, per
// version (SLUICE_TEST_CACHE overrides it).
func cacheDir() (string, error) {
	base := os.Getenv("SLUICE_TEST_CACHE")
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("dendritetest: no cache directory: %w", err)
		}
		base = filepath.Join(c, "sluice-test")
	}
	dir := filepath.Join(base, "dendrite-"+Version+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// lock takes a lock file so parallel test processes build once.
func lock(path string) (func(), error) {
	deadline := time.Now().Add(20 * time.Minute)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > 30*time.Minute {
			os.Remove(path) // left by a killed build
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("dendritetest: %s held for 20 minutes", path)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Server is a running Dendrite behind a recording proxy.
type Server struct {
	// URL is the proxy's base URL, what clients use.
	URL string
	// Direct is Dendrite's own address, bypassing the proxy.
	Direct string
	dir    string
	cmd    *exec.Cmd
	proxy  *httptest.Server
	done   chan struct{}
	log    *lockedWriter

	mu       sync.Mutex
	requests []Request
	down     bool
	limit    []int // retry_after_ms for the next matching requests
	limitOn  string
}

// Request is one client request the proxy passed or refused.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Auth   bool   // carried an access token
	Token  string // the access token it carried
}

// Start builds (if needed) and starts Dendrite in a temporary directory,
// waits until it answers, and stops it when the test ends. It fails the
// test when Dendrite cannot be built or started.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKey(filepath.Join(dir, "matrix_key.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dendrite.yaml"), []byte(config(dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{Direct: fmt.Sprintf("http://127.0.0.1:%d", port), dir: dir, done: make(chan struct{}), log: &lockedWriter{w: &bytes.Buffer{}}}
	s.cmd = exec.Command(bin, "-config", filepath.Join(dir, "dendrite.yaml"),
		"-http-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "-really-enable-open-registration")
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start dendrite: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	if err := s.waitReady(60 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	target, _ := url.Parse(s.Direct)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0) // a cancelled long poll is not news
	s.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.intercept(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(s.proxy.Close)
	s.URL = s.proxy.URL
	return s
}

func (s *Server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Log is Dendrite's output so far.
func (s *Server) Log() string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.w.String()
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("dendrite exited during start")
		default:
		}
		resp, err := http.Get(s.Direct + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("dendrite did not answer within %s", timeout)
}

// intercept records the request and answers it itself during an outage
// or a rate limit.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.URL.Query().Get("access_token")
	}
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Auth: tok != "", Token: tok})
	if s.down {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	if len(s.limit) > 0 && strings.Contains(r.URL.Path, s.limitOn) {
		ms := s.limit[0]
		s.limit = s.limit[1:]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": ms})
		return true
	}
	return false
}

// SetDown makes the proxy answer 502 to everything (true) or pass again.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// RateLimit makes the next request whose path contains pathPart answer
// M_LIMIT_EXCEEDED with retry_after_ms.
func (s *Server) RateLimit(pathPart string, retryAfterMS int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitOn = pathPart
	s.limit = append(s.limit, retryAfterMS)
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Register creates a user with a password and returns its access token,
// talking to Dendrite directly.
func (s *Server) Register(t testing.TB, name, password string) (userID, token string) {
	t.Helper()
	body := map[string]any{"username": name, "password": password, "auth": map[string]string{"type": "m.login.dummy"}, "inhibit_login": false}
	var out struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
	}
	if err := s.call(context.Background(), "", http.MethodPost, "/_matrix/client/v3/register", body, &out); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return out.UserID, out.AccessToken
}

// Call makes a client-server API call as the holder of token, directly to
// Dendrite, and decodes the answer into out (when not nil).
func (s *Server) Call(t testing.TB, token, method, path string, body, out any) {
	t.Helper()
	if err := s.call(context.Background(), token, method, path, body, out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

func (s *Server) call(ctx context.Context, token, method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Direct+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeKey writes a server signing key in Dendrite's PEM format.
func writeKey(path string) error {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	kid := strings.NewReplacer("-", "", "_", "").Replace(base64.RawURLEncoding.EncodeToString(seed))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	return pem.Encode(f, &pem.Block{Type: "MATRIX PRIVATE KEY", Headers: map[string]string{"Key-ID": "ed25519:" + kid[:6]}, Bytes: seed})
}

// config is a monolith on SQLite with open registration, presence on,
// federation and rate limiting off (the proxy imposes limits when a test
// wants one).
func config(dir string) string {
	db := func(name string) string { return "file:" + filepath.ToSlash(filepath.Join(dir, name+".db")) }
	return fmt.Sprintf(`version: 2
global:
  server_name: %s
  private_key: %s
  key_validity_period: 168h0m0s
  cache:
    max_size_estimated: 64mb
    max_age: 1h
  disable_federation: true
  presence:
    enable_inbound: true
    enable_outbound: true
  report_stats:
    enabled: false
  jetstream:
    storage_path: %s
  dns_cache:
    enabled: false
app_service_api:
  database:
    connection_string: %s
client_api:
  registration_disabled: false
  guests_disabled: true
  enable_registration_captcha: false
  rate_limiting:
    enabled: false
federation_api:
  database:
    connection_string: %s
key_server:
  database:
    connection_string: %s
media_api:
  base_path: %s
  database:
    connection_string: %s
mscs:
  database:
    connection_string: %s
relay_api:
  database:
    connection_string: %s
room_server:
  database:
    connection_string: %s
sync_api:
  database:
    connection_string: %s
  search:
    enabled: false
user_api:
  bcrypt_cost: 4
  account_database:
    connection_string: %s
tracing:
  enabled: false
logging:
  - type: std
    level: warn
`, ServerName, filepath.Join(dir, "matrix_key.pem"), filepath.Join(dir, "jetstream"),
		db("appservice"), db("federation"), db("keys"), filepath.Join(dir, "media"), db("media"),
		db("mscs"), db("relay"), db("roomserver"), db("sync"), db("userapi"))
}
