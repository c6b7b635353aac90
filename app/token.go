package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/connectors/local"
)

// localToken reads the local inbox token, generating it on first start. It
// lives in a 0600 file in the data directory rather than the keyring so that
// scripts on a headless machine can read it (`sluice token`).
func localToken(dataDir string) (string, error) {
	p := paths.LocalToken(dataDir)
	b, err := os.ReadFile(p)
	if err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			_ = os.Chmod(p, 0o600)
			return tok, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("local inbox token: %w", err)
	}
	tok, err := local.GenerateToken()
	if err != nil {
		return "", fmt.Errorf("local inbox token: %w", err)
	}
	if err := config.WriteFileAtomic(p, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("local inbox token: %w", err)
	}
	return tok, nil
}

// ReadLocalToken returns the token of the data directory, if one was made.
func ReadLocalToken(dataDir string) (string, error) {
	b, err := os.ReadFile(paths.LocalToken(dataDir))
	if err != nil {
		return "", fmt.Errorf("no local inbox token yet (start Sluice once): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
