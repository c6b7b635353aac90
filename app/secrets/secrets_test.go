package secrets

import (
	"context"
	"errors"
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

func TestPasswordCommand(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, cmd, want, wantErr string
	}{
		{"first line only", "printf 'pw1\\nsecond\\n'", "pw1", ""},
		{"crlf trimmed", "printf 'pw2\\r\\n'", "pw2", ""},
		{"failure shows stderr, not stdout", "echo leaked; echo 'no such entry' >&2; exit 3", "", "no such entry"},
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
