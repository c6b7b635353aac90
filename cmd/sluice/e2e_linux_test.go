//go:build linux

package main_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envMountNS marks the process that runs TestFullDisk inside its own mount
// namespace.
const envMountNS = "SLUICE_E2E_MOUNT_NS"

// inMountNamespace re-runs the calling test alone in a private mount
// namespace, where it may mount a file system that no one else sees and
// that goes away with it, and reports whether the caller is that re-run.
// As root (CI runs the tests as root) a mount namespace is enough; any
// other user gets a user namespace in which it is root. Where neither is
// possible the test fails and says why: it is never skipped.
func inMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(envMountNS) != "" {
		// Nothing mounted here may propagate back to the machine.
		if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
			t.Fatalf("make / private in the test's mount namespace: %v", err)
		}
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envMountNS+"=1", envBinary+"="+binary)
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s mounts a small tmpfs in a mount namespace of its own, which needs root (CI runs the tests as root) "+
			"or unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1): %v", t.Name(), err)
	}
	t.Logf("in a private mount namespace (uid %d outside):\n%s", os.Geteuid(), out)
	if err != nil {
		t.Fatalf("%s failed in its mount namespace: %v", t.Name(), err)
	}
	return false
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			break
		}
	}
	f.Sync()
}

// TestFullDisk runs the daemon with its data directory on a small tmpfs
// and fills it: every push that was acknowledged is kept, every other one
// gets a clean 503 with a JSON error, the daemon stays up, and pushes are
// stored again once there is room.
func TestFullDisk(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	in := newInstance(t, "2026-11-23T09:30:00+01:00") // focus: every push is held
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v", disk, err)
	}
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) })
	in.data = filepath.Join(disk, "data")
	in.env = append(in.env, "SLUICE_DATA="+in.data)
	in.start()

	body := strings.Repeat("a line of a build log that fills the disk\n", 100) // 4.3 KB
	acked := map[string]string{}                                               // id → title
	post := func(n int) (int, string) {
		title := fmt.Sprintf("push %d", n)
		msg, _ := json.Marshal(map[string]string{"title": title, "body": body})
		code, reply := in.post(in.token(), "application/json", string(msg))
		if code == http.StatusCreated {
			var r struct{ ID string }
			if err := json.Unmarshal([]byte(reply), &r); err != nil || r.ID == "" {
				t.Fatalf("201 without an id: %s", reply)
			}
			acked[r.ID] = title
		}
		return code, reply
	}
	for n := range 20 {
		if code, reply := post(n); code != http.StatusCreated {
			t.Fatalf("push %d with room to spare: %d %s", n, code, reply)
		}
	}

	filler := filepath.Join(disk, "filler")
	fill(t, filler)
	refused := 0
	for n := 20; n < 220; n++ {
		switch code, reply := post(n); code {
		case http.StatusCreated:
		case http.StatusServiceUnavailable:
			refused++
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(reply), &e); err != nil || !strings.Contains(e.Error, "not stored") {
				t.Errorf("503 on a full disk: %q, want a JSON error saying the push was not stored", reply)
			}
		default:
			t.Errorf("push %d on a full disk: %d %s, want 201 or 503", n, code, reply)
		}
	}
	if refused == 0 {
		t.Fatalf("200 pushes of 4 KB on a full 4 MB disk were all stored: the disk never filled")
	}
	if out := in.mustRun("status"); !strings.Contains(out, "Focus") {
		t.Errorf("status on a full disk:\n%s", out)
	}

	// Room again: pushes are stored again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := 220; ; n++ {
		code, reply := post(n)
		if code == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with room again, a push still gets %d %s", code, reply)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// After a restart every acknowledged push is there, once.
	in.stop()
	in.start()
	seen := map[string]bool{}
	for _, it := range in.items("held") {
		if seen[it.ID] {
			t.Errorf("item %s stored twice", it.ID)
		}
		seen[it.ID] = true
		if _, ok := acked[it.ID]; !ok {
			t.Errorf("item %q was stored but its push was refused", it.Subject)
		}
	}
	for id, title := range acked {
		if !seen[id] {
			t.Errorf("acknowledged push %q (%s) is lost", title, id)
		}
	}
	t.Logf("full disk: %d pushes acknowledged and kept, %d refused with 503", len(acked), refused)
}
