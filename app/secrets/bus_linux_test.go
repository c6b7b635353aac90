//go:build linux

package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoSessionBusLeavesNoDaemon: storing a password with no session bus
// (a CLI call over SSH, from cron, in a container) fails with an error that
// says what to do, and leaves no process behind. Named after what broke:
// three `sluice account set-password` calls left three dbus-daemons (six
// processes with gnome-keyring), autolaunched by godbus under go-keyring.
func TestNoSessionBusLeavesNoDaemon(t *testing.T) {
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		t.Fatal("dbus-launch not found: install dbus-x11 (Debian); without it this test cannot see an autolaunched bus")
	}
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Logf("this user has a session bus at /run/user/%d/bus: nothing is autolaunched either way", os.Getuid())
	}
	mark := make([]byte, 8)
	rand.Read(mark)
	marker := "SLUICE_TEST_MARK=" + hex.EncodeToString(mark)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			env = append(env, kv)
		}
	}
	env = append(env, helperEnv+"=set", marker, "HOME="+t.TempDir())
	for i := 0; i < 3; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("helper: %v\n%s", err, out.String())
		}
		if got := out.String(); !strings.Contains(got, "no D-Bus session bus") || !strings.Contains(got, "password_command") {
			t.Errorf("Set without a session bus said %q, want it to name the missing bus and the password_command way", got)
		}
	}
	time.Sleep(300 * time.Millisecond) // a forked daemon settles
	left := marked(marker)
	for pid, cmdline := range left {
		t.Errorf("left behind: pid %d %s", pid, cmdline)
		syscall.Kill(pid, syscall.SIGTERM)
	}
	t.Logf("%d processes left behind by 3 calls", len(left))
}

// marked finds the processes whose environment holds marker: everything the
// helper started, directly or through a bus it launched.
func marked(marker string) map[int]string {
	out := map[int]string{}
	paths, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(marker)) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if pid == os.Getpid() {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		out[pid] = string(bytes.ReplaceAll(bytes.TrimRight(cmd, "\x00"), []byte{0}, []byte(" ")))
	}
	return out
}

// TestBusReachable: a session bus named in the environment or found where
// godbus looks is used; none is ErrNoKeyring, and nothing is started.
func TestBusReachable(t *testing.T) {
	run := t.TempDir()
	defer func(f func() string) { userRunDir = f }(userRunDir)
	userRunDir = func() string { return run }
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	if err := busReachable(); err != nil {
		t.Errorf("with DBUS_SESSION_BUS_ADDRESS set: %v", err)
	}
	for _, v := range []string{"", "autolaunch:"} {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", v)
		if err := busReachable(); !errors.Is(err, ErrNoKeyring) {
			t.Errorf("DBUS_SESSION_BUS_ADDRESS=%q: %v, want ErrNoKeyring", v, err)
		}
	}
	if err := os.WriteFile(filepath.Join(run, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := busReachable(); err != nil {
		t.Errorf("with %s/bus: %v", run, err)
	}
}
