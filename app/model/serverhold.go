package model

import (
	"context"
	"strings"
	"time"
)

// Holding on the server: a connector that can (IMAP) moves the mail the
// gate holds out of the user's inbox on the server, so that the phone and
// webmail are batched too, and moves it back at each check-in. The gate
// alone decides; the connector learns each item's decision from the sink
// (PlacingSink) and the gate's mode from the app (ServerHolder), and only
// performs the moves.

// Placement is where the gate put one item of a batch.
type Placement struct {
	ID string // the item's ID, as the gate gave it
	// State is the item's state in the store: held, released or done; 0
	// when it is not stored (a rule ignores it, or it was pruned long ago).
	State State
	// New reports that this batch stored the item. An item seen before (mail
	// moved back into the inbox gets a new UID but keeps its identity) is
	// never moved again because of it.
	New bool
}

// PlacingSink is implemented by sinks (the gate) that tell a connector
// where the items it hands over stand, for connectors that mirror the
// gate's decisions on the server. A connector uses it when the sink it was
// given offers it, and holds nothing on the server otherwise.
type PlacingSink interface {
	Sink
	// IngestPlaced is Ingest that also reports, for each item of the batch
	// in order, its placement after the batch was stored.
	IngestPlaced(ctx context.Context, b Batch) ([]Placement, error)
	// Placements reports where the account's items with these source IDs
	// stand now, in order (New is false). The connector names items by
	// their source IDs: the sink alone gives items their IDs.
	Placements(ctx context.Context, account string, sourceIDs []string) ([]Placement, error)
	// Note appends text to the decision log of the account's items with
	// these source IDs (where their mail is: "mail moved to
	// Sluice/Held"). Items not stored are skipped.
	Note(ctx context.Context, account string, sourceIDs []string, text string) error
}

// HoldInfo is what a connector that holds on the server knows of the
// gate: whether it holds, since and until when.
type HoldInfo struct {
	// Holding reports that the gate holds new items now (off-hours,
	// between check-ins, focus, a meeting, a vacation), as opposed to a
	// check-in window or a pause, when everything arrives live.
	Holding bool
	// HoldUrgent reports that urgent items are held as well (a vacation;
	// off-hours when urgent items wait for working hours).
	HoldUrgent bool
	// Since is the last release: a check-in, or the gate leaving a holding
	// mode. Mail that reached the server before it was due at that release
	// and is never moved into the hold folder again (another Sluice on the
	// same account may have released it already).
	Since time.Time
	// Until is the next check-in, when holding ends at the latest; zero
	// when none is scheduled.
	Until time.Time
}

// ServerHolder is implemented by connectors that hold mail on the server.
// The app calls it as the gate's mode changes and at every check-in; each
// call may come again and is then harmless.
type ServerHolder interface {
	// SetHold tells the connector the gate's holding state, before Run and
	// on every change.
	SetHold(ctx context.Context, h HoldInfo) error
	// Release moves everything the account holds on the server back to
	// the inbox in one batch and reports how many messages moved. why is
	// written into the items' decision logs' context ("check-in 11:00").
	Release(ctx context.Context, why string) (int, error)
	// StopHolding ends holding on the server for this connector's life
	// (the user switched it off, removes the account, or quits with
	// release on quit): server-side rules come off, nothing more is moved
	// into the hold folder, and everything in it goes back to the inbox.
	// It reports how many messages moved.
	StopHolding(ctx context.Context) (int, error)
}

// Prefixes of the decision-log entries a connector writes about an item's
// mail on the server (PlacingSink.Note), so that faces can sum them up
// (MailTrail).
const (
	MailMovedPrefix    = "mail moved to "
	MailHeldPrefix     = "mail held at delivery in "
	MailReleasedPrefix = "mail back in "
)

// MailTrail sums up where an item's mail went on the server, from its
// decision log: "moved to Sluice/Held 10:02 · back in INBOX 11:00", times
// in zone; "" when its mail never moved.
func MailTrail(log []Entry, zone *time.Location) string {
	if zone == nil {
		zone = time.Local
	}
	var parts []string
	for _, e := range log {
		for _, p := range []string{MailMovedPrefix, MailHeldPrefix, MailReleasedPrefix} {
			if rest, ok := strings.CutPrefix(e.Text, p); ok {
				what := strings.TrimPrefix(p, "mail ") + rest
				parts = append(parts, what+" "+e.At.In(zone).Format("15:04"))
				break
			}
		}
	}
	return strings.Join(parts, " · ")
}
