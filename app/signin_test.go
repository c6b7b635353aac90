package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/secrets"
)

// mockKeyring sets up the test keyring once for the package's tests.
var mockKeyring sync.Once

// TestDeviceSignInThroughControl: `sluice account login --device` asks the
// running Sluice, which shows the code through the control API and keeps
// the sign-in once the user entered it. The issuer is an RFC 8628 endpoint
// in the test (the test provider has no device flow).
func TestDeviceSignInThroughControl(t *testing.T) {
	mockKeyring.Do(secrets.MockForTests)
	var polls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": srv.URL + "/token", "device_authorization_endpoint": srv.URL + "/device"})
		case "/device":
			fmt.Fprint(w, `{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"https://id.example/device","expires_in":600,"interval":1}`)
		case "/token":
			if polls.Add(1) < 2 {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"authorization_pending"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"device-access-token-0123456789","refresh_token":"device-refresh-token-0123456789","token_type":"Bearer","expires_in":3600}`)
		}
	}))
	defer srv.Close()

	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Accounts = []config.Account{{Name: "Device", Kind: "imap", Host: "127.0.0.1", Port: 1, Username: "me@example.com",
		Auth: "oauth2", OAuthProvider: "oidc", OAuthIssuer: srv.URL, OAuthClientID: "cid"}}
	cfgPath := filepath.Join(dir, "config.toml")
	if err := config.Save(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{ConfigPath: cfgPath, DataDir: filepath.Join(dir, "d"),
		OpenURL: func(string) error { t.Error("a browser was opened for a device-code sign-in"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c := control.NewClient(filepath.Join(dir, "d"))
	for deadline := time.Now().Add(10 * time.Second); !control.Running(filepath.Join(dir, "d"), time.Second); {
		if time.Now().After(deadline) {
			t.Fatal("Sluice did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := c.AccountLogin(context.Background(), "Device", control.LoginRequest{Device: true, OpenBrowser: true})
	if err != nil || st.State != control.LoginWaiting || st.UserCode != "ABCD-EFGH" || st.VerificationURI != "https://id.example/device" || st.URL != "" {
		t.Fatalf("AccountLogin = %+v, %v", st, err)
	}
	st, err = c.WaitLogin(context.Background(), "Device", 50*time.Millisecond)
	if err != nil || st.State != control.LoginDone || st.UserCode != "" {
		t.Fatalf("after the code was entered: %+v, %v", st, err)
	}
	if rt, err := secrets.Get("Device", secrets.RefreshToken); err != nil || rt != "device-refresh-token-0123456789" {
		t.Errorf("keyring: %q, %v", rt, err)
	}
	if tok, err := a.tokens.get(a.Config().Accounts[0]).Token(context.Background()); err != nil || tok != "device-access-token-0123456789" {
		t.Errorf("the sign-in's access token is not in the account's token source: %v", err)
	}
}
