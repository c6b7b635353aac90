package secrets

import (
	"context"
	"errors"
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

func TestPasswordCommand(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, cmd, want, wantErr string
	}{
		{"first line only", "printf 'pw1\\nsecond\\n'", "pw1", ""},
		{"crlf trimmed", "printf 'pw2\\r\\n'", "pw2", ""},
		{"failure shows stderr, not stdout", "echo leaked; echo 'no such entry' >&2; exit 3", "", "password command failed (exit status 3): no such entry"},
		{"empty output", "true", "", "printed nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RunCommand(ctx, c.cmd)
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
		name, cmd, want string
	}{
		{"stderr echoes the password from stdout",
			"echo 'hunter2 horse battery'; echo 'unlock failed: wrong key hunter2 horse battery (try again)' >&2; exit 3",
			"password command failed (exit status 3): unlock failed: wrong key … (try again)"},
		{"a word of stdout",
			"echo 'pw=Tr0ub4dor&3'; echo 'rejected pw=Tr0ub4dor&3' >&2; exit 1",
			"password command failed (exit status 1): rejected …"},
		{"first line only",
			"echo 'gpg: decryption failed: No secret key' >&2; echo 'line two with more' >&2; exit 2",
			"password command failed (exit status 2): gpg: decryption failed: No secret key"},
		{"control and bidi characters dropped",
			"printf 'bad\\033[31m red\\342\\200\\256txt\\n' >&2; exit 1",
			"password command failed (exit status 1): bad[31m redtxt"},
		{"no stderr", "exit 4", "password command failed (exit status 4)"},
		{"killed", "kill -9 $$", "password command failed (signal: killed)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := RunCommand(ctx, c.cmd)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %q\nwant  %q", err, c.want)
			}
		})
	}
	long := strings.Repeat("é", 300)
	_, err := RunCommand(ctx, "echo "+long+" >&2; exit 1")
	if err == nil || utf8.RuneCountInString(err.Error()) > 200 || !strings.HasSuffix(err.Error(), "…") {
		t.Fatalf("long stderr: %q, want it cut to %d runes", err, maxErrRunes)
	}
}
