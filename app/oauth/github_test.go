package oauth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/connectors/github/githubtest"
)

// The device flow against a GitHub that follows the documented API: the
// code is shown, the token comes once the user approved, and an unknown
// client ID is refused.
func TestGitHubDeviceLogin(t *testing.T) {
	fs := githubtest.New(time.Now)
	t.Cleanup(fs.Close)
	var shown []string
	var once sync.Once
	tok, err := GitHubDeviceLogin(context.Background(), GitHubDevice{ClientID: fs.ClientID, WebURL: fs.WebURL()}, func(uri, code string) {
		shown = append(shown, uri, code)
		once.Do(func() { time.AfterFunc(1500*time.Millisecond, fs.Approve) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if tok != fs.Token || len(shown) != 2 || shown[1] != "WDJB-MJHT" || !strings.HasSuffix(shown[0], "/login/device") {
		t.Fatalf("token %q, shown %q", tok, shown)
	}
	if _, err := GitHubDeviceLogin(context.Background(), GitHubDevice{ClientID: "wrong", WebURL: fs.WebURL()}, func(string, string) {}); err == nil {
		t.Errorf("a device login with an unknown client ID succeeded")
	}
}
