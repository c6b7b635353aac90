package app

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/secrets"
	"github.com/sluice-app/sluice/connectors/github/githubtest"
	"github.com/sluice-app/sluice/connectors/imap"
)

// The windows reach accounts only through the control API: these tests
// drive a running Sluice through a real control client, as a window does.

func windowClient(t *testing.T, cfg string) (*App, *control.Client) {
	t.Helper()
	dir := t.TempDir()
	a, _ := runApp(t, dir, cfg, clock.NewFake(focusTime))
	data := filepath.Join(dir, "data")
	deadline := time.Now().Add(10 * time.Second)
	for !control.Running(data, time.Second) {
		if time.Now().After(deadline) {
			t.Fatal("the control API does not answer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return a, control.NewClient(data)
}

// TestPresetsComeFromTheConnector: the providers a window offers are the
// IMAP connector's own table, ordered by name, with its hints, sign-in and
// the domains an address picks it by.
func TestPresetsComeFromTheConnector(t *testing.T) {
	_, c := windowClient(t, rhythm)
	got, err := c.Presets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(imap.Presets) {
		t.Fatalf("%d presets, want the connector's %d", len(got), len(imap.Presets))
	}
	if !slices.IsSortedFunc(got, func(a, b control.Preset) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("presets not ordered by name: %+v", got)
	}
	for _, p := range got {
		want, ok := imap.Presets[p.Key]
		if !ok || p.Name != want.Name || p.Host != want.Host || p.Port != want.Port || p.Hint != want.Hint || p.OAuth != want.OAuth || !slices.Equal(p.Domains, want.Domains) {
			t.Errorf("preset %q: got %+v, want the connector's %+v", p.Key, p, want)
		}
	}
}

// TestWindowSecrets: a window stores, moves and deletes secrets through
// the running Sluice, and learns which are stored, never their values.
func TestWindowSecrets(t *testing.T) {
	secrets.MockForTests()
	_, c := windowClient(t, rhythm+`
[[accounts]]
name = "Chat"
kind = "slack"
`)
	ctx := context.Background()
	if err := c.SetSecret(ctx, control.SecretRequest{Account: "Chat", Kind: control.SecretToken, Secret: "xoxp-1"}); err != nil {
		t.Fatal(err)
	}
	if v, err := secrets.Get("Chat", secrets.Token); err != nil || v != "xoxp-1" {
		t.Fatalf("keyring has %q, %v; want the token stored", v, err)
	}
	st, err := c.StoredSecrets(ctx)
	if err != nil || !st.Has("Chat", control.SecretToken) || st.Has("Chat", control.SecretAppToken) {
		t.Fatalf("stored %v, %v; want Chat's token and no app token", st, err)
	}
	for _, bad := range []control.SecretRequest{
		{Account: "Chat", Kind: "oauth-refresh-token", Secret: "x"}, // not a window's to set
		{Account: "Chat", Kind: control.SecretToken},                // empty
		{Kind: control.SecretToken, Secret: "x"},                    // no account
	} {
		var ce *control.Error
		if err := c.SetSecret(ctx, bad); !errors.As(err, &ce) || ce.Code != http.StatusConflict {
			t.Errorf("SetSecret(%+v): %v, want a refusal", bad, err)
		}
	}
	if err := c.MoveSecrets(ctx, control.SecretMove{From: "Chat", To: "Team chat"}); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get("Chat", secrets.Token); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the old name keeps its token: %v", err)
	}
	if v, _ := secrets.Get("Team chat", secrets.Token); v != "xoxp-1" {
		t.Errorf("the new name has %q, want the moved token", v)
	}
	// A calendar feed's secret address follows a rename too.
	if err := c.SetSecret(ctx, control.SecretRequest{Account: "Feed", Kind: control.SecretURL, Secret: "https://cal.example/secret.ics"}); err != nil {
		t.Fatal(err)
	}
	if err := c.MoveSecrets(ctx, control.SecretMove{From: "Feed", To: "Team feed"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := secrets.Get("Team feed", secrets.URL); v != "https://cal.example/secret.ics" {
		t.Errorf("the renamed feed's address is %q, want it moved", v)
	}
	if err := c.DeleteSecrets(ctx, "Team chat"); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get("Team chat", secrets.Token); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("deleted, but the keyring still has the token: %v", err)
	}
}

// TestTestUnsavedAccount: the settings test an account they are editing
// in the running Sluice with the token typed into them; it is stored only
// when asked and the test passes.
func TestTestUnsavedAccount(t *testing.T) {
	secrets.MockForTests()
	fs := githubtest.New(clock.NewFake(focusTime).Now)
	defer fs.Close()
	_, c := windowClient(t, rhythm)
	ctx := context.Background()
	acc := config.Account{Name: "New GitHub", Kind: "github", APIURL: fs.APIURL(), WebURL: fs.WebURL()}
	test := func(tok string, store bool) (string, error) {
		return c.TestAccountSettings(ctx, control.AccountTestRequest{Account: acc, Secrets: map[string]string{control.SecretToken: tok}, Store: store})
	}
	stored := func() string {
		v, _ := secrets.Get(acc.Name, secrets.Token)
		return v
	}

	if msg, err := test(fs.Token, false); err != nil || !strings.Contains(msg, "Connected to GitHub as @me") {
		t.Fatalf("test with the typed token: %q, %v", msg, err)
	}
	if v := stored(); v != "" {
		t.Fatalf("a test that was not asked to store stored %q", v)
	}
	if _, err := test("ghp_wrong", true); err == nil {
		t.Fatal("a wrong token passed the test")
	}
	if v := stored(); v != "" {
		t.Fatalf("a failed test stored %q", v)
	}
	if _, err := test(fs.Token, true); err != nil {
		t.Fatal(err)
	}
	if v := stored(); v != fs.Token {
		t.Fatalf("keyring has %q after a passed test asked to store, want the token", v)
	}
	var ce *control.Error
	_, err := c.TestAccountSettings(ctx, control.AccountTestRequest{Account: acc, Secrets: map[string]string{"oauth-refresh-token": "x"}})
	if !errors.As(err, &ce) || ce.Code != http.StatusConflict {
		t.Errorf("a secret a window may not give: %v, want a refusal", err)
	}
}
