package sieve

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
)

// The hold at delivery and the auto-reply are switched on their own (the
// gate's mode for the one, the vacation settings for the other), each by a
// part of Sluice that knows nothing of the other. ApplyHold and
// ApplyVacation write one of Sluice's scripts and keep the other as the
// server has it, and run one at a time per server within the process, so
// neither undoes what the other wrote.

// ApplyHold makes the server run hold as Sluice's hold script ("" takes
// it off) and keeps Sluice's auto-reply script as it is on the server.
// Everything Apply promises holds: no script of the user's is touched.
func (m *Manager) ApplyHold(ctx context.Context, hold string) (Result, error) {
	unlock := lockServer(m.c)
	defer unlock()
	vacation, err := m.ours(ctx, ScriptVacation)
	if err != nil {
		return Result{}, err
	}
	return m.Apply(ctx, Desired{Hold: hold, Vacation: vacation})
}

// ApplyVacation makes the server run vacation as Sluice's auto-reply
// script ("" takes it off) and keeps Sluice's hold script as it is on the
// server.
func (m *Manager) ApplyVacation(ctx context.Context, vacation string) (Result, error) {
	unlock := lockServer(m.c)
	defer unlock()
	hold, err := m.ours(ctx, ScriptHold)
	if err != nil {
		return Result{}, err
	}
	return m.Apply(ctx, Desired{Hold: hold, Vacation: vacation})
}

// ours returns the text of Sluice's script name as the server has it, ""
// when there is none (or it is not Sluice's: Apply then refuses the name).
func (m *Manager) ours(ctx context.Context, name string) (string, error) {
	list, err := m.c.ListScripts(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range list {
		if s.Name != name {
			continue
		}
		text, err := m.c.GetScript(ctx, name)
		if errors.Is(err, ErrNonexistent) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(text, Marker) {
			return "", nil
		}
		return text, nil
	}
	return "", nil
}

// serverLocks serialise ApplyHold and ApplyVacation per server.
var serverLocks sync.Map // host:port → *sync.Mutex

func lockServer(c *Client) func() {
	key := net.JoinHostPort(strings.ToLower(c.host), strconv.Itoa(c.opt.Port))
	v, _ := serverLocks.LoadOrStore(key, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
