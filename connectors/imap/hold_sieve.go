package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Holding at delivery: where the account's server offers ManageSieve, a
// Sieve script of Sluice's own ("sluice-hold", included by "sluice") files
// the mail the gate would hold straight into the hold folder while the
// gate holds, so it never shows in INBOX and no phone buzzes. The IMAP
// path keeps running beside it: it moves what the script let through but
// the gate holds, and brings back what the script filed but the gate lets
// through. The script stops holding by itself at the next check-in
// (HoldSpec.Until), in case the laptop sleeps through it.
//
// The user's own active script is never overwritten: when it does not
// include Sluice's, nothing is installed and the account's health says
// which line to add (sieve.IncludeError). Whatever makes the server path
// impossible leaves the IMAP path in charge and is said in words.

// sieveRetry is how long a failed attempt waits before the next, unless
// the gate's mode changes first.
const sieveRetry = 10 * time.Minute

// sieveLoop keeps Sluice's hold script on the server in step with the
// gate: written (with the next check-in as its end) while the gate holds,
// taken off when it does not.
func (h *holder) sieveLoop(ctx context.Context) {
	var applied *sieveWant
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-retry:
		}
		retry = nil
		want, err := h.sieveApply(ctx, applied)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			h.c.log.Warn("hold at delivery: not in force; holding over IMAP", "err", err)
			h.setSieve("Sieve: " + sieveWords(err) + "; holding over IMAP")
			retry = h.timer(sieveRetry).C()
			applied = nil
			continue
		}
		applied = want
	}
}

// sieveWant is the state Sluice's scripts were left in.
type sieveWant struct {
	holding bool
	script  string
	exts    []string // the server's Sieve extensions
}

// sieveApply writes or takes off the hold script as the gate's state
// says, unless the server is so already (applied).
func (h *holder) sieveApply(ctx context.Context, applied *sieveWant) (*sieveWant, error) {
	info := h.holdInfo()
	name := h.folderName()
	holding := info.Holding && name != ""
	if applied != nil {
		if !holding && !applied.holding {
			return applied, nil
		}
		if holding && applied.holding {
			if g, err := h.holdScript(info, name, applied.exts); err == nil && g.Script == applied.script {
				return applied, nil
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cl, err := h.sieveLogin(ctx)
	if err != nil {
		return nil, err
	}
	defer cl.Logout(ctx)
	want := &sieveWant{holding: holding, exts: cl.Capabilities().Sieve}
	m := sieve.NewManager(cl, h.c.log)
	if holding {
		g, err := h.holdScript(info, name, want.exts)
		if err != nil {
			// No script of an earlier state may keep holding.
			if _, rerr := m.ApplyHold(ctx, ""); rerr != nil {
				return nil, errors.Join(err, rerr)
			}
			return nil, err
		}
		for _, n := range g.Notes {
			h.c.log.Info("hold at delivery: the script approximates a rule", "note", n)
		}
		want.script = g.Script
	}
	// The auto-reply, if Sluice has one on the server, stays as it is.
	res, err := m.ApplyHold(ctx, want.script)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		h.c.log.Info("hold at delivery: server warning", "warning", w)
	}
	if holding {
		h.setSieve("held at delivery by Sieve")
	} else {
		h.setSieve("Sieve holds at delivery while holding")
	}
	return want, nil
}

// holdScript makes the hold script for the gate's state.
func (h *holder) holdScript(info model.HoldInfo, folder string, exts []string) (sieve.Generated, error) {
	var rs SieveRules
	if f := h.c.opt.Hold.Sieve.Rules; f != nil {
		rs = f()
	}
	return sieve.HoldScript(sieve.HoldSpec{
		Account: h.c.opt.Account, Folder: folder, Keyword: sieve.HeldKeyword,
		HoldUrgent: info.HoldUrgent, Until: info.Until,
		Rules: rs.Rules, VIPs: rs.VIPs, UrgentKeywords: rs.UrgentKeywords, UrgentChannel: rs.UrgentChannel,
		Extensions: exts,
	})
}

// sieveLogin connects to the account's ManageSieve server and logs in as
// the IMAP connection does (password, or the OAuth2 access token).
func (h *holder) sieveLogin(ctx context.Context) (*sieve.Client, error) {
	// One way to a server's ManageSieve for the hold and the auto-reply
	// (autoreply.go), whose scripts sieve.Manager keeps apart.
	return h.c.dialSieve(ctx, SieveTarget{Host: h.c.opt.Hold.Sieve.Host, Port: h.c.opt.Hold.Sieve.Port})
}

// removeSieve takes Sluice's hold script off the server (hold on server
// switched off); the user's own scripts, and Sluice's auto-reply, stay.
func (h *holder) removeSieve(ctx context.Context) error {
	cl, err := h.sieveLogin(ctx)
	if err != nil {
		return err
	}
	defer cl.Logout(ctx)
	if _, err := sieve.NewManager(cl, h.c.log).ApplyHold(ctx, ""); err != nil {
		return fmt.Errorf("take Sluice's hold script off: %w", err)
	}
	return nil
}

// sieveWords says in one line why holding at delivery is not in force.
func sieveWords(err error) string {
	var inc *sieve.IncludeError
	switch {
	case errors.As(err, &inc):
		return fmt.Sprintf("your active script %q does not include Sluice's; add `include :personal %q;` at its end (and require \"include\")", inc.Active, sieve.ScriptMain)
	case errors.Is(err, sieve.ErrNameTaken), errors.Is(err, sieve.ErrNothingHeld), errors.Is(err, sieve.ErrMissingExtension):
		return err.Error()
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// StopSieve takes Sluice's Sieve scripts off the server (holding at
// delivery switched off); holding over IMAP goes on.
func (c *Connector) StopSieve(ctx context.Context) error {
	if c.hold == nil || c.opt.Hold.Sieve == nil {
		return ErrHoldOff
	}
	return c.hold.removeSieve(ctx)
}
