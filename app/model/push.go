package model

// Push is one notification pushed into the local inbox: the JSON that
// POST /v1/items of the local inbox takes, and what `sluice send` passes
// over the control API. One type for both, so the two stay the same.
type Push struct {
	Title   string `json:"title"`
	Body    string `json:"body,omitempty"`
	From    string `json:"from,omitempty"`    // "Name <addr>", an address, or a name
	Link    string `json:"link,omitempty"`    // opened from the digest
	Urgent  bool   `json:"urgent,omitempty"`  // the sender asks to break through
	Channel string `json:"channel,omitempty"` // default "inbox"
	ID      string `json:"id,omitempty"`      // optional idempotency key: the same id twice is one item
}
