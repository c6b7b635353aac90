//go:build unix

package sieve

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
)

// holdSpec is a hold script's spec for alice's account on the server.
func holdSpec(c *Client) HoldSpec {
	return HoldSpec{
		Account:        "Mail",
		Folder:         "Sluice/Held",
		Keyword:        HeldKeyword,
		VIPs:           []string{"boss@acme.com"},
		UrgentKeywords: []string{"urgent"},
		Rules:          []Rule{{Name: "Slack mentions", Accounts: []string{"Slack"}, Mention: true, Action: model.ActionUrgent}},
		Extensions:     c.Capabilities().Sieve,
	}
}

func mustHold(t *testing.T, spec HoldSpec) string {
	t.Helper()
	g, err := HoldScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	return g.Script
}

func scriptNames(t *testing.T, c *Client) (names []string, active string) {
	t.Helper()
	list, err := c.ListScripts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		names = append(names, s.Name)
		if s.Active {
			active = s.Name
		}
	}
	slices.Sort(names)
	return names, active
}

func TestManagerOwnScripts(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	hold := mustHold(t, holdSpec(c))

	res, err := m.Apply(ctx(t), Desired{Hold: hold})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != StateActive || res.Active != ScriptMain {
		t.Errorf("apply hold: %+v", res)
	}
	names, active := scriptNames(t, c)
	if !slices.Equal(names, []string{ScriptMain, ScriptHold}) || active != ScriptMain {
		t.Fatalf("scripts %v active %q", names, active)
	}
	if got, _ := c.GetScript(ctx(t), ScriptHold); got != hold {
		t.Errorf("hold script on the server differs from the one applied")
	}

	// Adding the auto-reply updates the main script; applying again
	// changes nothing.
	vac := mustVacation(t, c, []Period{{clock.Real{}.Now().Add(-time.Hour), clock.Real{}.Now().Add(time.Hour)}})
	for i := 0; i < 2; i++ {
		if _, err := m.Apply(ctx(t), Desired{Hold: hold, Vacation: vac}); err != nil {
			t.Fatal(err)
		}
	}
	names, active = scriptNames(t, c)
	if !slices.Equal(names, []string{ScriptMain, ScriptHold, ScriptVacation}) || active != ScriptMain {
		t.Fatalf("scripts %v active %q", names, active)
	}
	main, _ := c.GetScript(ctx(t), ScriptMain)
	if !strings.Contains(main, `include :personal "sluice-vacation";`) || !strings.Contains(main, `include :personal "sluice-hold";`) {
		t.Errorf("main script:\n%s", main)
	}

	// Hold off: its script goes, the auto-reply stays.
	if _, err := m.Apply(ctx(t), Desired{Vacation: vac}); err != nil {
		t.Fatal(err)
	}
	names, active = scriptNames(t, c)
	if !slices.Equal(names, []string{ScriptMain, ScriptVacation}) || active != ScriptMain {
		t.Fatalf("scripts %v active %q", names, active)
	}

	// Remove: nothing of Sluice's is left, nothing is active.
	res, err = m.Remove(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	names, active = scriptNames(t, c)
	if len(names) != 0 || active != "" || res.State != StateOff {
		t.Fatalf("after remove: scripts %v active %q, %+v", names, active, res)
	}
}

const userScript = "# my filters\r\nrequire [\"fileinto\"];\r\nif header :contains \"subject\" \"[list]\" {\r\n  fileinto \"Trash\";\r\n  stop;\r\n}\r\n"

func TestManagerLeavesUserScriptAlone(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	if err := s.PutSieveScript("alice", "mine", userScript, true); err != nil {
		t.Fatal(err)
	}
	_, err := m.Apply(ctx(t), Desired{Hold: mustHold(t, holdSpec(c))})
	var ie *IncludeError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIncludeNeeded) || ie.Active != "mine" {
		t.Fatalf("apply over a user's script: %v, want an IncludeError", err)
	}
	for _, want := range []string{`"mine"`, `require ["include"];`, `include :personal "sluice";`, "IMAP"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, err)
		}
	}
	names, active := scriptNames(t, c)
	if !slices.Equal(names, []string{"mine"}) || active != "mine" {
		t.Errorf("scripts %v active %q; want only mine, active", names, active)
	}
	if got, _ := s.SieveScript("alice", "mine"); string(got) != userScript {
		t.Errorf("user script changed:\n%q", got)
	}

	// A script of Sluice's name that Sluice did not write is not replaced.
	if err := s.PutSieveScript("alice", ScriptHold, "keep;\n", false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ctx(t), Desired{Hold: mustHold(t, holdSpec(c))}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("apply over a foreign %s: %v, want ErrNameTaken", ScriptHold, err)
	}
	if got, _ := s.SieveScript("alice", ScriptHold); string(got) != "keep;\n" {
		t.Errorf("foreign script replaced: %q", got)
	}
}

func TestManagerThroughUserInclude(t *testing.T) {
	s := sieveServer(t, "")
	c := login(t, s, "alice")
	m := NewManager(c, nil)
	mine := "require [\"include\", \"fileinto\", \"imap4flags\"];\n# mine\nif header :contains \"subject\" \"[list]\" { fileinto \"Trash\"; stop; }\n" +
		"if header :contains \"subject\" \"flag me\" { addflag \"\\\\Flagged\"; }\ninclude :personal \"sluice\";\n"
	if err := s.PutSieveScript("alice", "mine", mine, true); err != nil {
		t.Fatal(err)
	}
	res, err := m.Apply(ctx(t), Desired{Hold: mustHold(t, holdSpec(c))})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != StateIncluded || res.Active != "mine" || len(res.Warnings) != 0 {
		t.Errorf("apply: %+v", res)
	}
	names, active := scriptNames(t, c)
	if !slices.Equal(names, []string{"mine", ScriptMain, ScriptHold}) || active != "mine" {
		t.Fatalf("scripts %v active %q", names, active)
	}

	// Delivery runs the user's rules first, then Sluice's: list mail goes
	// where the user files it, other mail is held with the user's flags
	// kept and Sluice's keyword added, the VIP stays in INBOX.
	deliver(t, s, "list@lists.example", mail("list@lists.example", "[list] weekly", "hi"))
	deliver(t, s, "bob@example.org", mail("bob@example.org", "flag me please", "hi"))
	deliver(t, s, "boss@acme.com", mail("Boss <boss@acme.com>", "call me", "hi"))
	if got := subjects(folder(t, s, "alice", "Trash")); !slices.Equal(got, []string{"[list] weekly"}) {
		t.Errorf("Trash = %q", got)
	}
	held := folder(t, s, "alice", "Sluice/Held")
	if len(held) != 1 || held[0].Subject != "flag me please" || !held[0].hasFlag(`\Flagged`) || !held[0].hasFlag(HeldKeyword) {
		t.Errorf("held = %+v; want the flagged message with %s and \\Flagged", held, HeldKeyword)
	}
	if got := subjects(folder(t, s, "alice", "INBOX")); !slices.Equal(got, []string{"call me"}) {
		t.Errorf("INBOX = %q", got)
	}

	// Off: the user's script stays byte-identical and active; Sluice's
	// main script stays (empty) for the include, the hold script goes.
	res, err = m.Remove(ctx(t))
	if err != nil || res.State != StateOff {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	names, active = scriptNames(t, c)
	if !slices.Equal(names, []string{"mine", ScriptMain}) || active != "mine" {
		t.Fatalf("scripts %v active %q", names, active)
	}
	if got, _ := s.SieveScript("alice", "mine"); string(got) != mine {
		t.Errorf("user script changed:\n%q", got)
	}
	deliver(t, s, "bob@example.org", mail("bob@example.org", "after", "hi"))
	if got := subjects(folder(t, s, "alice", "INBOX")); !slices.Equal(got, []string{"after", "call me"}) {
		t.Errorf("INBOX after switching off = %q", got)
	}

	// An include that is not the last command is used, with a warning.
	mine2 := "require [\"include\"];\ninclude :personal \"sluice\";\nkeep;\n"
	if err := s.PutSieveScript("alice", "mine", mine2, true); err != nil {
		t.Fatal(err)
	}
	res, err = m.Apply(ctx(t), Desired{Hold: mustHold(t, holdSpec(c))})
	if err != nil || res.State != StateIncluded || len(res.Warnings) != 1 {
		t.Errorf("apply with include first: %+v, %v", res, err)
	}
}
