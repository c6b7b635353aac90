package control

import (
	"context"
	"net/http"

	"github.com/sluice-app/sluice/app/gate"
)

// RepliesBackend is implemented by backends that know what waits for the
// user's reply (the running app does).
type RepliesBackend interface {
	Replies() (gate.Replies, error)
}

// RepliesStatus is the reply promise and what waits under it, in short,
// for `sluice status`.
type RepliesStatus struct {
	Promise  string `json:"promise"` // as the config writes it: "24h"
	Words    string `json:"words"`   // as a person says it: "within 24 hours"
	Waiting  int    `json:"waiting"`
	Overdue  int    `json:"overdue"`
	DueToday int    `json:"due_today"`
}

// AutoReplyStatus says whether and where the mail server answers for
// Sluice (the Sieve vacation auto-reply).
type AutoReplyStatus struct {
	// On is the setting; OffHours whether it answers outside working
	// hours too (it always does during vacations).
	On       bool   `json:"on"`
	OffHours bool   `json:"off_hours"`
	Days     int    `json:"days"`
	Text     string `json:"text"` // the text in force (the generated one when none is set)
	// Accounts says, per IMAP account, how the auto-reply stands.
	Accounts []AutoReplyAccount `json:"accounts,omitempty"`
}

// AutoReplyAccount is the auto-reply on one account's server.
type AutoReplyAccount struct {
	Account string `json:"account"`
	// State is "active" (Sluice's script is the active one), "included"
	// (the user's own active script includes it), "off" (nothing of
	// Sluice's runs), "pending" (not applied yet), "include-needed" (the
	// user's own active script does not include Sluice's: Detail says
	// the lines to add) or "unavailable" (the server offers no
	// ManageSieve, or refused: see Detail).
	State string `json:"state"`
	// Detail is what the user should know: the lines to add to their own
	// script, or why the server could not be used.
	Detail string `json:"detail,omitempty"`
}

func (s *Server) replyRoutes(h func(pattern string, fn func(r *http.Request) (any, error))) {
	rb, ok := s.b.(RepliesBackend)
	if !ok {
		return
	}
	h("GET /v1/replies", func(*http.Request) (any, error) { return rb.Replies() })
}

// Replies lists the released items that wait for the user's reply.
func (c *Client) Replies(ctx context.Context) (gate.Replies, error) {
	var r gate.Replies
	return r, c.do(ctx, "GET", "/v1/replies", nil, &r)
}
