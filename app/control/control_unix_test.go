//go:build !windows

package control

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// nobody is the second local user the squatting tests play: the uid and
// gid of "nobody" on Debian.
const nobody = 65534

// helperEnv makes the test binary act as a helper process (see TestMain).
const helperEnv = "SLUICE_CONTROL_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		baseTemp = os.TempDir()
		code := m.Run()
		if helperOnce.path != "" {
			os.RemoveAll(filepath.Dir(helperOnce.path))
		}
		os.Exit(code)
	case "status":
		// A client of another user: print what Status says.
		_, err := NewClient(os.Getenv("SLUICE_DATA")).Status(context.Background())
		fmt.Println(err)
		os.Exit(0)
	case "squat":
		// A squatter: listen on the path and answer every request with an
		// invented status, reporting each request it receives.
		ln, err := net.Listen("unix", os.Getenv("SLUICE_SOCKET"))
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		os.Chmod(os.Getenv("SLUICE_SOCKET"), 0o777)
		fmt.Println("ready")
		go http.Serve(ln, squatter())
		io.Copy(io.Discard, os.Stdin) // until the test closes stdin
		os.Exit(0)
	}
	os.Exit(2)
}

// squatter answers like a Sluice that holds 99 items and says on stdout
// that it got a request.
func squatter() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("request", r.Method, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"held": 99, "version": "squatter"}`)
	})
}

// needRoot fails the test when it cannot play a second local user. CI runs
// the tests as root; a skip would hide that these checks are untested.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test creates files and processes of another user (uid %d) to play a squatter, "+
			"which needs root; CI runs the tests as root: run `sudo go test -run %s ./app/control`", nobody, t.Name())
	}
}

// baseTemp is the temp directory before any test changed TMPDIR.
var baseTemp string

var helperOnce struct {
	sync.Once
	path string
	err  error
}

// asNobody returns the test binary as a helper command that runs as
// nobody. The binary is copied to a directory nobody may enter.
func asNobody(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	helperOnce.Do(func() {
		dir, err := os.MkdirTemp(baseTemp, "sluice-control-helper")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			helperOnce.err = err
			return
		}
		self, err := os.Executable()
		if err != nil {
			helperOnce.err = err
			return
		}
		b, err := os.ReadFile(self)
		if err != nil {
			helperOnce.err = err
			return
		}
		helperOnce.path = filepath.Join(dir, "control.test")
		helperOnce.err = os.WriteFile(helperOnce.path, b, 0o755)
	})
	if helperOnce.err != nil {
		t.Fatal(helperOnce.err)
	}
	cmd := exec.Command(helperOnce.path)
	cmd.Env = append([]string{helperEnv + "=" + mode, "PATH=/usr/bin:/bin"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// startSquatter runs a squatting server as nobody on path and returns a
// function that stops it and reports the requests it received.
func startSquatter(t *testing.T, path string) (requests func() []string) {
	t.Helper()
	cmd := asNobody(t, "squat", "SLUICE_SOCKET="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("squatter did not start: %q", sc.Text())
	}
	var got []string
	done := make(chan struct{})
	go func() {
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		close(done)
	}()
	stopped := false
	stop := func() []string {
		if !stopped {
			stopped = true
			stdin.Close()
			cmd.Wait()
			<-done
		}
		return got
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestSocketIsPrivate(t *testing.T) {
	_, dir := serve(t, &fakeBackend{})
	fi, err := os.Stat(SocketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v, want mode 600", fi, err)
	}
}

// sharedDir is a directory anyone may enter and, with mode 01777, write
// in like /tmp (t.TempDir's parent is private to the test's user).
func sharedDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sluice-shared")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// longDataDir makes a data directory whose sluice.sock would not fit in a
// Unix socket address, with no XDG_RUNTIME_DIR and a temp dir of the
// test's that is shared like /tmp.
func longDataDir(t *testing.T) (data, tmp string) {
	t.Helper()
	tmp = sharedDir(t, 0o1777)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	data = filepath.Join(t.TempDir(), strings.Repeat("a-very-long-data-directory-name/", 4))
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	return data, tmp
}

// oldFallback is where Sluice used to put the socket of a long data
// directory: a name anyone could compute and create first.
func oldFallback(tmp, data string) string {
	h := sha256.Sum256([]byte(data))
	return filepath.Join(tmp, "sluice-"+hex.EncodeToString(h[:8])+".sock")
}

func TestLongDataDirGetsAPrivateSocket(t *testing.T) {
	data, tmp := longDataDir(t)
	s, err := Listen(data, &fakeBackend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	sock := SocketPath(data)
	if len(sock) >= maxSocketPath || !strings.HasPrefix(sock, tmp+"/sluice-") {
		t.Fatalf("socket path %q: want a short path in a directory of its own under %s", sock, tmp)
	}
	if sock == oldFallback(tmp, data) {
		t.Fatalf("socket path %q is the predictable old fallback", sock)
	}
	fi, err := os.Lstat(filepath.Dir(sock))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v %v, want a 0700 directory", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(data, pointerName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pointer file: %v %v, want mode 600", fi, err)
	}
	if st, err := NewClient(data).Status(context.Background()); err != nil || st.Held != 7 {
		t.Fatalf("status through the private socket: %+v %v", st, err)
	}
	// A restart reuses the directory (it is still private), and a clean
	// stop leaves nothing behind.
	s.Close()
	if _, err := os.Lstat(filepath.Dir(sock)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close the socket directory is still there: %v", err)
	}
	if _, err := NewClient(data).Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("after Close: got %v, want ErrNotRunning", err)
	}
}

// A squatter who put a socket where the old code would have looked, and
// one who left a directory in the pointer's place, neither stops Sluice
// nor hears from its clients.
func TestLongDataDirCannotBeSquatted(t *testing.T) {
	needRoot(t)
	data, tmp := longDataDir(t)
	requests := startSquatter(t, oldFallback(tmp, data))

	// The directory a previous run used now belongs to someone else.
	stale := filepath.Join(tmp, "sluice-stale")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(stale, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, pointerName), []byte(filepath.Join(stale, socketName)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// While Sluice is not running, the client refuses the stale directory.
	_, err := NewClient(data).Status(context.Background())
	var ee *EndpointError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Fatalf("client with a pointer to another user's directory: got %v, want a refusal naming the owner", err)
	}

	s, err := Listen(data, &fakeBackend{}, nil)
	if err != nil {
		t.Fatalf("a squatter kept Sluice from starting: %v", err)
	}
	go s.Serve()
	defer s.Close()
	if dir := filepath.Dir(SocketPath(data)); dir == stale {
		t.Fatalf("Sluice reused %s, which belongs to another user", stale)
	}
	st, err := NewClient(data).Status(context.Background())
	if err != nil || st.Version != "test" {
		t.Fatalf("status: got %+v %v, want the real Sluice's answer", st, err)
	}
	if got := requests(); len(got) > 0 {
		t.Fatalf("the squatter received %v", got)
	}
}

// A socket that is another user's is refused before anything is sent,
// whether the file says so or only the kernel knows who listens on it.
func TestClientRefusesAnotherUsersSocket(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		name, want string
		chownTo    int // the socket file's owner after the squatter made it
	}{
		{"file owned by another user", "belongs to uid 65534", nobody},
		{"another user listening on a file of ours", "runs as uid 65534", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := sharedDir(t, 0o755)
			if err := os.Chown(data, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			sock := filepath.Join(data, socketName)
			requests := startSquatter(t, sock)
			if err := os.Chown(sock, c.chownTo, c.chownTo); err != nil {
				t.Fatal(err)
			}
			_, err := NewClient(data).Status(context.Background())
			var ee *EndpointError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a refusal containing %q", err, c.want)
			}
			if got := requests(); len(got) > 0 {
				t.Fatalf("the client sent %v to another user's socket", got)
			}
		})
	}
}

func TestClientRefusesAnOpenSocketDirectory(t *testing.T) {
	data, tmp := longDataDir(t)
	open := filepath.Join(tmp, "sluice-open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o755) // whatever the umask
	if err := os.WriteFile(filepath.Join(data, pointerName), []byte(filepath.Join(open, socketName)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewClient(data).Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "mode 0755 lets others in") {
		t.Fatalf("got %v, want a refusal of the 0755 directory", err)
	}
	s, err := Listen(data, &fakeBackend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if filepath.Dir(SocketPath(data)) == open {
		t.Fatal("Sluice reused a directory others may enter")
	}
}

// Another user's client gets "permission denied", not "not running".
func TestPermissionDeniedIsNotNotRunning(t *testing.T) {
	needRoot(t)
	_, data := serve(t, &fakeBackend{})
	out, err := asNobody(t, "status", "SLUICE_DATA="+data).CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "permission denied") || !strings.Contains(got, data) {
		t.Fatalf("another user's status: got %q, want permission denied naming the socket", got)
	}
}

// TestOpenDataDirIsMadePrivate: a data directory others may enter (made
// by hand, 0755) becomes 0700 before the socket appears in it, and the
// socket answers; one that belongs to another user is refused.
func TestOpenDataDirIsMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(dir, &fakeBackend{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v %v, want mode 700", fi, err)
	}
	if _, err := NewClient(dir).Status(context.Background()); err != nil {
		t.Fatalf("status: %v", err)
	}
	if os.Geteuid() != 0 {
		return // only root can give a directory away
	}
	theirs := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(theirs, &fakeBackend{}, nil); err == nil || !strings.Contains(err.Error(), "belongs to uid") {
		t.Errorf("listen in another user's directory: %v, want a refusal", err)
	}
	if fi, _ := os.Stat(theirs); fi.Mode().Perm() != 0o755 {
		t.Errorf("another user's directory changed to %04o", fi.Mode().Perm())
	}
}

// TestListenLeavesTheUmaskAlone: files that other goroutines create while
// the control socket is opened get the process's usual mode. The socket
// was once bound under a narrowed umask (0177), which is the whole
// process's: a test Dovecot starting beside it got directories nobody
// could enter and failed with "Permission denied" on its certificate.
func TestListenLeavesTheUmaskAlone(t *testing.T) {
	base := t.TempDir()
	done := make(chan struct{})
	var modes []os.FileMode
	go func() {
		defer close(done)
		for i := 0; i < 5000; i++ {
			p := filepath.Join(base, fmt.Sprintf("f%d", i%50))
			os.Remove(p)
			if err := os.Mkdir(p, 0o755); err != nil {
				continue
			}
			if fi, err := os.Stat(p); err == nil && fi.Mode().Perm() != 0o755&^0o022 && fi.Mode().Perm() != 0o755 {
				modes = append(modes, fi.Mode().Perm())
			}
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			if len(modes) > 0 {
				t.Fatalf("%d directories made while the socket was opened got other modes: %04o …", len(modes), modes[0])
			}
			return
		default:
		}
		s, err := Listen(filepath.Join(base, fmt.Sprintf("data%d", i)), &fakeBackend{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
