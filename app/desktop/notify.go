package desktop

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/assets"
)

// Note is one desktop notification. Title and Body are plain text; the
// sender escapes them for servers that read markup.
type Note struct {
	Kind   NoteKind
	Title  string
	Body   string
	Urgent bool // shown as critical where the server knows urgency
}

// noteTimeout is how long Sluice's notifications stay on screen where the
// server lets the sender choose; an urgent one stays until closed.
const noteTimeout = 5 * time.Second

// NoteKind names why a notification was sent.
type NoteKind string

// The only notifications Sluice sends (DESIGN.md, "Desktop shell").
const (
	NoteCheckin    NoteKind = "checkin"
	NoteUrgent     NoteKind = "urgent"
	NoteFocusStart NoteKind = "focus-start"
	NoteFocusEnd   NoteKind = "focus-end"
	NoteAttention  NoteKind = "attention"
	NoteNoTray     NoteKind = "no-tray"
)

// notes turns gate events into notifications: one per check-in, one per
// urgent breakthrough, one when a focus block starts and when it ends, one
// when a connector needs the user. Nothing else, and each kind can be
// switched off in the config. It is used from one goroutine.
type notes struct {
	lastCheckin time.Time       // guards against a repeated check-in event
	attention   map[string]bool // accounts already reported, until they recover
}

func newNotes() *notes { return &notes{attention: map[string]bool{}} }

// For returns the notification for e, if any, under the switches in sw;
// times are shown in zone (the schedule's).
func (n *notes) For(e gate.Event, sw config.Notifications, zone *time.Location) (Note, bool) {
	switch e.Kind {
	case gate.EventCheckin:
		c := e.Checkin
		if c == nil || c.At.Equal(n.lastCheckin) {
			return Note{}, false
		}
		n.lastCheckin = c.At
		if !sw.Checkin || (c.Count == 0 && !sw.Empty) {
			return Note{}, false
		}
		return Note{Kind: NoteCheckin, Title: checkinText(*c, zone)}, true
	case gate.EventBreakthrough:
		if !sw.Urgent || e.Item == nil {
			return Note{}, false
		}
		return urgentNote(*e.Item), true
	case gate.EventMode:
		st := e.Status
		switch {
		case st.Mode == model.ModeFocus && e.From != model.ModeFocus:
			if !sw.FocusStart {
				return Note{}, false
			}
			return Note{Kind: NoteFocusStart, Title: focusStartText(st, e.At, zone)}, true
		case e.From == model.ModeFocus && st.Mode != model.ModeFocus:
			// A block that ends at a check-in is announced by the
			// check-in's own summary: never two notifications at once.
			// Nor is a block that ends in a meeting: no pop-ups while
			// the user presents.
			if !sw.FocusEnd || st.Mode == model.ModeWindow || st.Mode == model.ModeMeeting {
				return Note{}, false
			}
			return Note{Kind: NoteFocusEnd, Title: focusEndText(st, e.At, zone)}, true
		}
	case gate.EventHealth:
		h := e.Health
		if h == nil {
			return Note{}, false
		}
		if !h.NeedsAttention() {
			if h.State == model.HealthConnected || h.State == model.HealthDisabled || h.State == model.HealthStopped {
				delete(n.attention, h.Account)
			}
			return Note{}, false
		}
		if n.attention[h.Account] || !sw.Attention {
			return Note{}, false
		}
		n.attention[h.Account] = true
		if h.State == model.HealthSignInNeeded {
			return Note{Kind: NoteAttention, Title: cut("Sign in to "+oneLine(h.Account), 120),
				Body: cut("Choose “Sign in to "+oneLine(h.Account)+"…” in Sluice's menu, or run `sluice account login "+oneLine(h.Account)+"`.", 200)}, true
		}
		return Note{Kind: NoteAttention, Title: cut(attentionText(*h), 120),
			Body: "Open Settings ▸ Accounts in Sluice to fix it."}, true
	}
	return Note{}, false
}

// checkinText is the one summary of a check-in: "Check-in 11:00 — 23 new:
// 5 mail, 18 Slack · 2 from VIPs".
func checkinText(c gate.Checkin, zone *time.Location) string {
	at := c.At
	if !c.Scheduled.IsZero() {
		at = c.Scheduled
	}
	head := "Check-in " + at.In(zone).Format("15:04")
	if c.Late {
		head += " (late)"
	}
	if c.Count == 0 {
		return head + " — nothing new" + repliesDue(c.RepliesDue)
	}
	s := fmt.Sprintf("%s — %d new", head, c.Count)
	if parts := kindParts(c.ByKind); len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if c.VIPs > 0 {
		s += fmt.Sprintf(" · %d from VIPs", c.VIPs)
	}
	if other := c.Urgent - c.VIPs; other > 0 {
		s += fmt.Sprintf(" · %d urgent", other)
	}
	return s + repliesDue(c.RepliesDue)
}

// repliesDue is the check-in summary's reminder of the promise: " · 3
// replies due today" (overdue ones included), or nothing.
func repliesDue(n int) string {
	switch {
	case n == 1:
		return " · 1 reply due today"
	case n > 1:
		return fmt.Sprintf(" · %d replies due today", n)
	}
	return ""
}

// kindParts words the count per kind of source, mail first, then chat,
// then the rest by name.
func kindParts(by map[model.Kind]int) []string {
	order := map[model.Kind]int{model.KindIMAP: 0, model.KindSlack: 1, model.KindLocal: 2, model.KindDesktop: 3}
	kinds := make([]model.Kind, 0, len(by))
	for k, n := range by {
		if n > 0 {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(kinds, func(i, j int) bool {
		oi, iok := order[kinds[i]]
		oj, jok := order[kinds[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", by[k], kindWord(k)))
	}
	return parts
}

func kindWord(k model.Kind) string {
	switch k {
	case model.KindIMAP:
		return "mail"
	case model.KindSlack:
		return "Slack"
	case model.KindLocal:
		return "local"
	case model.KindDesktop:
		return "from other apps"
	}
	return string(k)
}

// urgentNote announces a breakthrough: the sender in the title, the
// subject (or the start of the text) in the body.
func urgentNote(it model.Item) Note {
	from := it.FromName
	if from == "" {
		from = it.FromAddr
	}
	if from == "" {
		from = it.Account
	}
	body := it.Subject
	if body == "" || body == from {
		// Another app's notification names the sender in its summary.
		body = it.Snippet
	}
	if it.Kind == model.KindDesktop && it.Channel != "" {
		from += " (" + it.Channel + ")"
	}
	return Note{Kind: NoteUrgent, Title: "Urgent: " + cut(oneLine(from), 80), Body: cut(oneLine(body), 200), Urgent: true}
}

// focusStartText: "Focus until 12:00 — next check-in 14:00".
func focusStartText(st gate.Status, now time.Time, zone *time.Location) string {
	s := "Focus"
	if !st.Until.IsZero() {
		s += " until " + model.When(st.Until, now, zone)
	}
	if !st.NextCheckin.IsZero() {
		s += " — next check-in " + model.When(st.NextCheckin, now, zone)
	}
	return s
}

// focusEndText: "Focus ended — 14 held · next check-in 14:00".
func focusEndText(st gate.Status, now time.Time, zone *time.Location) string {
	s := "Focus ended"
	var parts []string
	if st.Mode == model.ModePaused {
		parts = append(parts, "paused, everything live")
	} else if st.Held > 0 {
		parts = append(parts, fmt.Sprintf("%d held", st.Held))
	}
	if !st.NextCheckin.IsZero() {
		parts = append(parts, "next check-in "+model.When(st.NextCheckin, now, zone))
	}
	if len(parts) > 0 {
		s += " — " + strings.Join(parts, " · ")
	}
	return s
}

// attentionText: "Work mail needs you: login failed".
func attentionText(h model.Health) string {
	d := h.Detail
	if d == "" {
		d = strings.ReplaceAll(string(h.State), "-", " ")
	}
	return h.Account + " needs you: " + oneLine(d)
}

// oneLine folds white space runs (new lines included) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// noteIcon is the icon notifications carry: the app icon, or none.
func noteIcon() any {
	if b := assets.AppPNG(64); b != nil {
		return b
	}
	return ""
}

// escapeMarkup makes text safe for notification servers that read the
// body as markup (the freedesktop "body-markup" capability), where a bare
// "<" or "&" would hide text or break the whole notification.
func escapeMarkup(s string) string {
	return markupEscaper.Replace(s)
}

var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
