package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockChild opens the store, says so, and holds it until stdin closes.
func lockChild(path string) {
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = s.Close()
	os.Exit(0)
}

func checkLockedError(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	want := "Sluice is already running (the store " + path + " is locked by another process)"
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
}

// Another process holds the store: the second launch must fail after the
// timeout with ErrLocked rather than wait forever.
func TestSecondProcessGetsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=lock", "SLUICE_STORE_TEST_PATH="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("child said %q (%v), want locked", line, err)
	}

	_, err = Open(path, Options{Timeout: 200 * time.Millisecond})
	checkLockedError(t, err, path)

	// Once the first instance exits, the store opens.
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open after the holder exited: %v", err)
	}
	_ = s.Close()
}

// flock(2) locks belong to the open file description, so even a second
// Open in the same process is refused.
func TestSecondOpenInProcessGetsErrLocked(t *testing.T) {
	s := openTest(t)
	_, err := Open(s.Path(), Options{Timeout: 100 * time.Millisecond})
	checkLockedError(t, err, s.Path())
}
