package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// Holding on the server: while the gate holds, new INBOX mail that the
// gate decided to hold is moved into the hold folder as soon as it is
// seen, and everything in the hold folder goes back to INBOX in one batch
// at every release (check-in, the gate leaving a holding mode, the user's
// `sluice account release`). The gate decides; the connector learns each
// item's placement from the sink (model.PlacingSink) and only moves.
//
// Safety rules, in the order they matter:
//
//   - A message is always in INBOX or in the hold folder, never both, never
//     neither. MOVE is atomic on the server. Where the server lacks MOVE,
//     UID COPY comes first; only once the server confirmed the copy
//     (COPYUID) are exactly the copied UIDs marked \Deleted and removed with
//     UID EXPUNGE (UIDPLUS). A plain EXPUNGE would also remove what another
//     client marked deleted: without MOVE and UIDPLUS nothing is held.
//     The intent of a copy is recorded first (cursor holdMovingKey), so a
//     crash in between is finished after the restart.
//   - Nothing else changes: flags and keywords travel with the message
//     (Sieve's $SluiceHeld, which only marks mail the server held at
//     delivery, is taken off as it leaves the hold folder).
//   - Only items that a batch stored (Placement.New) and the gate holds are
//     moved. Mail that comes back into INBOX (released, or moved by the user
//     on the phone) keeps its identity and is never held again, and mail
//     that reached the server before the last release (HoldInfo.Since)
//     stays in INBOX: another Sluice on the account may have released it.
//   - The candidates of a batch are recorded with the batch's items
//     (cursor holdPendingKey), so a crash before the move is finished after
//     the restart; the hold folder is compared with the store at every
//     start, reconnect and wake, and whatever the store no longer holds goes
//     back to INBOX.
//   - All moves of a connector run one at a time, and a hold move asks the
//     sink again just before it whether the items are still held: a
//     check-in that released them meanwhile wins.

// DefaultHoldFolder is the hold folder's name when HoldOptions.Folder is
// empty, with "/" between levels whatever the server's delimiter.
const DefaultHoldFolder = "Sluice/Held"

// DefaultSievePort is ManageSieve's port (RFC 5804).
const DefaultSievePort = sieve.DefaultPort

// HoldOptions configure holding mail on the server.
type HoldOptions struct {
	// Enabled moves new INBOX mail that the gate holds into Folder, and
	// everything in Folder back to INBOX at each release. It needs INBOX
	// among the watched folders, and MOVE or UIDPLUS on the server.
	Enabled bool
	// Folder is the hold folder with "/" between levels, whatever the
	// server's hierarchy delimiter; DefaultHoldFolder when empty. It is
	// created when missing, under the personal namespace's prefix where the
	// server has one ("INBOX.Sluice.Held" on Courier and Cyrus).
	Folder string
	// Sieve, when set, also holds at delivery where the server offers
	// ManageSieve: a Sieve script of Sluice's own files the mail the gate
	// would hold straight into Folder, so it never shows in INBOX.
	Sieve *SieveHold
}

// SieveHold configures holding at delivery with Sieve.
type SieveHold struct {
	// Host is the ManageSieve server; the IMAP host when empty.
	Host string
	// Port is the ManageSieve port; DefaultSievePort when 0.
	Port int
	// Rules returns the user's rules and built-ins as they are now, in
	// sieve's plain fields (the connector may not import the app's rules).
	Rules func() SieveRules
}

// SieveRules are the rules a hold-at-delivery script is made of.
type SieveRules struct {
	Rules          []sieve.Rule
	VIPs           []string
	UrgentKeywords []string
	UrgentChannel  string
}

// Errors of holding on the server, for callers that test for them.
var (
	// ErrHoldUnsupported: the server offers neither MOVE nor UIDPLUS, so
	// no message could be moved without risking others.
	ErrHoldUnsupported = errors.New("the server offers neither MOVE nor UIDPLUS: Sluice cannot move mail there without risking other messages, so it holds mail on this computer only")
	// ErrHoldFolder: the hold folder is one of the account's special-use
	// folders (Sent, Archive, …), whose mail a release would move to INBOX.
	ErrHoldFolder = errors.New("the hold folder must be a folder of Sluice's own")
	// ErrHoldOff: the account does not hold mail on the server.
	ErrHoldOff = errors.New("hold on server is off for this account")
)

// holdGrace is how close to the next check-in a held message is left in
// INBOX instead of being moved: it would come back in a moment, and
// another Sluice on the account, whose clock may run a little ahead, may
// already have released the hold folder.
const holdGrace = 15 * time.Second

// checkHold validates and completes the hold options (New).
func checkHold(opt *Options) error {
	h := &opt.Hold
	if !h.Enabled {
		return nil
	}
	h.Folder = strings.Trim(strings.TrimSpace(h.Folder), "/")
	if h.Folder == "" {
		h.Folder = DefaultHoldFolder
	}
	if strings.EqualFold(h.Folder, "INBOX") {
		return errors.New("hold folder: INBOX cannot hold mail for itself")
	}
	for _, f := range opt.Folders {
		if strings.EqualFold(f, h.Folder) {
			return fmt.Errorf("hold folder %q is also a watched folder", h.Folder)
		}
	}
	if len(opt.Folders) > 0 && !hasInbox(opt.Folders) {
		return errors.New("hold on server moves mail out of INBOX: add INBOX to the watched folders")
	}
	if s := h.Sieve; s != nil {
		if s.Port == 0 {
			s.Port = DefaultSievePort
		}
		if s.Port < 0 || s.Port > 65535 {
			return fmt.Errorf("sieve port %d out of range", s.Port)
		}
	}
	return nil
}

func hasInbox(folders []string) bool {
	for _, f := range folders {
		if strings.EqualFold(f, "INBOX") {
			return true
		}
	}
	return false
}

// holder is one connector's hold on the server: what the gate said, the
// hold folder as the server names it, the moves (one at a time, on a
// connection of their own) and the words health shows.
type holder struct {
	c *Connector

	mu       sync.Mutex
	info     model.HoldInfo
	since    time.Time // the last release this connector made
	name     string    // the hold folder as the server names it; "" until known
	count    int       // messages in the hold folder; -1 until known
	problem  string    // why nothing is held on the server, "" when it works
	sieve    string    // how holding at delivery goes, in words
	run      *run      // the Run in progress, for logins; nil when none
	runCtx   context.Context
	publish  func() // re-reports health (the Run in progress)
	kick     chan struct{}
	notified bool // a refused hold was logged
	ended    bool // StopHolding: nothing more is held

	// pending are the candidates of committed INBOX batches not yet moved
	// (cursor holdPendingKey), guarded by pmu, which commit holds while
	// it writes them with a batch.
	pmu     sync.Mutex
	pending pendingSet
	loaded  bool

	// moveMu serialises every move of the account and guards what follows.
	moveMu  sync.Mutex
	mk      *conn               // the moves' connection; nil until needed
	used    time.Time           // when mk last served
	sel     string              // the folder selected (read-write) on mk
	selVal  uint32              // its UIDVALIDITY
	heldVal uint32              // the hold folder's UIDVALIDITY the map is for
	held    map[imap.UID]string // hold folder UID → its item's source ID, as far as known
}

func newHolder(c *Connector) *holder {
	return &holder{c: c, count: -1, kick: make(chan struct{}, 1), held: map[imap.UID]string{}}
}

var _ model.ServerHolder = (*Connector)(nil)

// SetHold implements model.ServerHolder: the connector remembers the
// gate's holding state and, where it holds at delivery, rewrites or takes
// off the Sieve script to match.
func (c *Connector) SetHold(ctx context.Context, info model.HoldInfo) error {
	h := c.hold
	if h == nil {
		return nil
	}
	h.mu.Lock()
	h.info = info
	h.mu.Unlock()
	select {
	case h.kick <- struct{}{}:
	default:
	}
	return nil
}

// holdInfo returns what the gate said, with the later of its last release
// and this connector's own.
func (h *holder) holdInfo() model.HoldInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	info := h.info
	if h.since.After(info.Since) {
		info.Since = h.since
	}
	if h.ended {
		info.Holding = false
	}
	return info
}

// Release implements model.ServerHolder: everything in the hold folder
// goes back to INBOX in one UID MOVE (or one copy where MOVE is missing),
// and the items' decision logs say so. Without a Run in progress it
// connects on its own.
func (c *Connector) Release(ctx context.Context, why string) (int, error) {
	h := c.hold
	if h == nil {
		return 0, ErrHoldOff
	}
	n, err := h.release(ctx, nil, 0, why)
	if err != nil {
		return n, fmt.Errorf("release %s: %w", c.opt.Hold.Folder, err)
	}
	return n, nil
}

// StopHolding implements model.ServerHolder: from now on nothing more is
// moved into the hold folder, Sluice's Sieve script comes off the server,
// and everything in the hold folder goes back to INBOX.
func (c *Connector) StopHolding(ctx context.Context) (int, error) {
	h := c.hold
	if h == nil {
		return 0, ErrHoldOff
	}
	h.mu.Lock()
	h.ended = true
	h.mu.Unlock()
	var errs []error
	if c.opt.Hold.Sieve != nil {
		if err := h.removeSieve(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	n, err := c.Release(ctx, "hold on server turned off")
	if err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// HoldFolder is the hold folder as the server names it once known, else
// as configured; "" when the account does not hold on the server.
func (c *Connector) HoldFolder() string {
	h := c.hold
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.name != "" {
		return h.name
	}
	return c.opt.Hold.Folder
}

// words says how holding on the server goes, for the account's health:
// "holding on server: 12 in Sluice/Held".
func (h *holder) words() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.problem != "" {
		return "not holding on server: " + h.problem
	}
	name := h.name
	if name == "" {
		name = h.c.opt.Hold.Folder
	}
	s := "holding on server: "
	if h.count < 0 {
		s += "checking " + name
	} else {
		s += fmt.Sprintf("%d in %s", h.count, name)
	}
	if h.sieve != "" {
		s += " (" + h.sieve + ")"
	}
	return s
}

// setCount records how many messages the hold folder has.
func (h *holder) setCount(n int) { setReported(h, &h.count, n) }

// setProblem records why nothing is held ("" when it works again).
func (h *holder) setProblem(p string) { setReported(h, &h.problem, p) }

// setSieve records how holding at delivery goes.
func (h *holder) setSieve(s string) { setReported(h, &h.sieve, s) }

// setReported sets one of the holder's reported fields and re-reports
// health when it changed.
func setReported[T comparable](h *holder, field *T, v T) {
	h.mu.Lock()
	changed := *field != v
	*field = v
	pub := h.publish
	h.mu.Unlock()
	if changed && pub != nil {
		pub()
	}
}

// attach binds the holder to a Run: logins go through its gate, health
// through its publish, and a connection of its own lives as long as ctx.
func (h *holder) attach(ctx context.Context, r *run) {
	h.mu.Lock()
	h.run, h.runCtx, h.publish = r, ctx, r.publish
	h.mu.Unlock()
}

// start runs the hold folder's watcher and, where asked, the Sieve loop,
// until ctx is done.
func (h *holder) start(ctx context.Context, r *run, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.watch(ctx, r)
	}()
	if h.c.opt.Hold.Sieve != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.sieveLoop(ctx)
		}()
	}
}

// detach ends the binding to a Run and closes the moves' connection.
func (h *holder) detach() {
	h.mu.Lock()
	h.run, h.runCtx, h.publish = nil, nil, nil
	h.mu.Unlock()
	h.moveMu.Lock()
	h.dropConn()
	h.moveMu.Unlock()
}

// timer is a timer on the connector's clock.
func (h *holder) timer(d time.Duration) clock.Timer { return h.c.clk.NewTimer(d) }

// placing is the sink as a PlacingSink, when it is one.
func placing(s model.Sink) (model.PlacingSink, bool) {
	ps, ok := s.(model.PlacingSink)
	return ps, ok
}
