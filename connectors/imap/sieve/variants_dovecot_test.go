//go:build unix

package sieve

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// TestGoldenScriptsCompile has a real Pigeonhole compile every golden
// script (CHECKSCRIPT), and checks that the extension list the goldens are
// written for is what the server offers.
func TestGoldenScriptsCompile(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	if got := c.Capabilities().Sieve; !slices.Equal(got, pigeonhole) {
		t.Errorf("server extensions %q, goldens written for %q", got, pigeonhole)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.sieve"))
	if err != nil || len(files) < 5 {
		t.Fatalf("golden scripts: %v, %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if warn, err := c.CheckScript(ctx(t), string(b)); err != nil || warn != "" {
			t.Errorf("%s: %v %s", f, err, warn)
		}
	}
}

// A server whose Sieve lacks body, date, imap4flags and mailbox: the hold
// script does without them where it safely can, and says why not where it
// cannot.
func TestServerWithFewerExtensions(t *testing.T) {
	s := sieveServer(t, "-body -date -imap4flags -mailbox -regex")
	c := login(t, s, "alice")
	exts := c.Capabilities().Sieve
	for _, gone := range []string{"body", "date", "imap4flags", "mailbox"} {
		if slices.Contains(exts, gone) {
			t.Fatalf("server still offers %s: %q", gone, exts)
		}
	}
	spec := holdSpec(c)
	_, err := HoldScript(spec)
	if !errors.Is(err, ErrNothingHeld) || !strings.Contains(err.Error(), "no body extension") {
		t.Errorf("urgent keywords without body: %v", err)
	}
	_, err = VacationScript(vacationSpec(c, nil))
	if !errors.Is(err, ErrMissingExtension) {
		t.Errorf("vacation without date: %v", err)
	}

	// Without keywords the VIP rule is enough; the folder must exist
	// (no :create) and held mail gets no keyword.
	spec.UrgentKeywords = nil
	spec.Rules = append(spec.Rules, Rule{Keywords: []string{"invoice"}, Action: model.ActionQuiet})
	spec.Until = clock.Real{}.Now().Add(time.Hour) // date extension missing: only a note
	g, err := HoldScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Notes) < 2 {
		t.Errorf("notes %q; want the keyword and the missing date said", g.Notes)
	}
	if err := s.CreateFolder("alice", "Sluice/Held"); err != nil {
		t.Fatal(err)
	}
	m := NewManager(c, nil)
	if _, err := m.Apply(ctx(t), Desired{Hold: g.Script}); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "bob@example.org", mail("bob@example.org", "your invoice", "hi"))
	deliver(t, s, "boss@acme.com", mail("boss@acme.com", "hello", "hi"))
	held := folder(t, s, "alice", "Sluice/Held")
	if got := subjects(held); !slices.Equal(got, []string{"your invoice"}) || held[0].hasFlag(HeldKeyword) {
		t.Errorf("held %+v", held)
	}
	if got := subjects(folder(t, s, "alice", "INBOX")); !slices.Equal(got, []string{"hello"}) {
		t.Errorf("INBOX %q", got)
	}
}
