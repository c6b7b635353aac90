package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestKeyringRoundTrip(t *testing.T) {
	MockForTests()
	if _, err := Get("work", Password); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "sluice account set-password work") {
		t.Fatalf("missing secret: got %v", err)
	}
	if err := Set("work", Password, ""); err == nil {
		t.Fatal("stored an empty secret")
	}
	if err := Set("work", Password, "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, err := Get("work", Password); err != nil || got != "s3cret" {
		t.Fatalf("got %q %v", got, err)
	}
	if _, err := Get("work", Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kinds are separate: got %v", err)
	}
	if err := DeleteAll("work"); err != nil {
		t.Fatal(err)
	}
	if _, err := Get("work", Password); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// helperEnv makes the test binary act as a password command (see
// TestMain), so the cases run the same through sh and cmd.exe.
const helperEnv = "SLUICE_SECRETS_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "lines":
		fmt.Print("pw1\nsecond\n")
	case "crlf":
		fmt.Print("pw2\r\n")
	case "fail":
		fmt.Println("leaked")
		fmt.Fprintln(os.Stderr, "no such entry")
		os.Exit(3)
	case "empty":
	}
	os.Exit(0)
}

// self is the command line that runs this test binary, quoted for the
// shell RunCommand uses (the path may have spaces).
func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		return `"` + exe + `"`
	}
	return "'" + strings.ReplaceAll(exe, "'", `'\''`) + "'"
}

func TestPasswordCommand(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, helper, want, wantErr string
	}{
		{"first line only", "lines", "pw1", ""},
		{"crlf trimmed", "crlf", "pw2", ""},
		{"failure shows stderr, not stdout", "fail", "", "no such entry"},
		{"empty output", "empty", "", "printed nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(helperEnv, c.helper)
			got, err := RunCommand(ctx, self(t))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "leaked") {
					t.Fatalf("got %q, %v; want an error with %q and no stdout", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	src := Source("acct", Password, "echo frompw")
	if got, err := src(ctx); err != nil || got != "frompw" {
		t.Fatalf("Source with a command: %q %v", got, err)
	}
}
