//go:build windows

package control

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// endpointFile holds the loopback address and token of the running Sluice.
func endpointFile(dataDir string) string { return filepath.Join(dataDir, "control.json") }

type endpoint struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

// listen opens a loopback port and writes its address and a fresh token to
// a file only the user can read.
func listen(dataDir string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("control endpoint: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		ln.Close()
		return nil, "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	data, _ := json.Marshal(endpoint{Addr: ln.Addr().String(), Token: tok})
	if err := os.WriteFile(endpointFile(dataDir), data, 0o600); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("control endpoint: %w", err)
	}
	return ln, tok, nil
}

func cleanup(ln net.Listener) {}

func dialer(dataDir string) (network, addr, token string, err error) {
	data, err := os.ReadFile(endpointFile(dataDir))
	if err != nil {
		return "", "", "", ErrNotRunning
	}
	var ep endpoint
	if err := json.Unmarshal(data, &ep); err != nil {
		return "", "", "", ErrNotRunning
	}
	return "tcp", ep.Addr, ep.Token, nil
}
