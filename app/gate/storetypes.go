package gate

import "github.com/sluice-app/sluice/app/store"

// What the gate's clients see of the store: the control API and the
// windows name these through the gate, and never import the store.

// DayStats is one day's statistics, as Stats returns them.
type DayStats = store.DayStats

// ErrAmbiguousItem is returned for an item ID prefix that matches more
// than one item.
var ErrAmbiguousItem = store.ErrAmbiguous
