package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
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
	case "set": // TestNoSessionBusLeavesNoDaemon: store a password with no bus
		fmt.Println(Set("work", Password, "s3cret"))
	case "script": // prints what the test put in the environment
		fmt.Print(os.Getenv(helperEnv + "_OUT"))
		fmt.Fprint(os.Stderr, os.Getenv(helperEnv+"_ERR"))
		code, _ := strconv.Atoi(os.Getenv(helperEnv + "_CODE"))
		os.Exit(code)
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
		{"failure shows stderr, not stdout", "fail", "", "password command failed (exit status 3): no such entry"},
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

// TestPasswordCommandErrorKeepsTheSecret: a failing command's error (which
// goes to the log and `sluice status`) is its exit status and the cleaned
// first line of its standard error, without anything it printed on
// standard output, where the password goes. Named after what leaked: the
// whole of stderr was copied, the password with it.
func TestPasswordCommandErrorKeepsTheSecret(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, stdout, stderr string
		code                 int
		want                 string
	}{
		{"stderr echoes the password from stdout",
			"hunter2 horse battery\n", "unlock failed: wrong key hunter2 horse battery (try again)\n", 3,
			"password command failed (exit status 3): unlock failed: wrong key … (try again)"},
		{"a word of stdout",
			"pw=Tr0ub4dor&3\n", "rejected pw=Tr0ub4dor&3\n", 1,
			"password command failed (exit status 1): rejected …"},
		{"first line only",
			"", "gpg: decryption failed: No secret key\nline two with more\n", 2,
			"password command failed (exit status 2): gpg: decryption failed: No secret key"},
		{"control and bidi characters dropped",
			"", "bad\033[31m red\u202etxt\n", 1,
			"password command failed (exit status 1): bad[31m redtxt"},
		{"no stderr", "", "", 4, "password command failed (exit status 4)"},
		{"long stderr cut", "", strings.Repeat("é", 300) + "\n", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(helperEnv, "script")
			t.Setenv(helperEnv+"_OUT", c.stdout)
			t.Setenv(helperEnv+"_ERR", c.stderr)
			t.Setenv(helperEnv+"_CODE", strconv.Itoa(c.code))
			_, err := RunCommand(ctx, self(t))
			if c.want == "" {
				if err == nil || utf8.RuneCountInString(err.Error()) > 200 || !strings.HasSuffix(err.Error(), "…") {
					t.Fatalf("long stderr: %q, want it cut to %d runes", err, maxErrRunes)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %q\nwant  %q", err, c.want)
			}
		})
	}
}
