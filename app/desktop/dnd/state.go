package dnd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/sluice-app/sluice/app/atomicfile"
)

// StateFile is the name of the Guard's state file in the data directory.
const StateFile = "desktop.json"

// state is what the Guard keeps on disk: what it changed on the desktop
// (so quit, a restart after a crash or the setting turned off can undo
// it) and the apps it has seen sending notifications while it held.
type state struct {
	// Changed is set from just before Sluice turns do-not-disturb on
	// until it has turned it off again.
	Changed *change            `json:"changed,omitempty"`
	Apps    map[string]appSeen `json:"apps,omitempty"`
}

// change records one do-not-disturb that Sluice switched on.
type change struct {
	Backend string    `json:"backend"`
	Server  string    `json:"server,omitempty"`
	Since   time.Time `json:"since"`
}

// appSeen is one app seen sending notifications while Sluice held.
type appSeen struct {
	LastSeen time.Time `json:"last_seen"`
	Count    int       `json:"count"`
}

// loadState reads the state file; a missing file is an empty state.
func loadState(path string) (state, error) {
	var s state
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read desktop state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("desktop state %s unreadable: %w", path, err)
	}
	return s, nil
}

// save writes the state atomically, readable by the user only.
func (s state) save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save desktop state: %w", err)
	}
	return nil
}
