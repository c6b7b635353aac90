package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// The digest is one virtualised list of rows: a header per source
// (account), a header per conversation that has more than one item, and the
// items themselves, newest first at every level.

type rowKind uint8

const (
	rowSource rowKind = iota // an account's header
	rowThread                // a conversation's header (two or more items)
	rowItem                  // one item
)

type row struct {
	kind    rowKind
	account string
	kindOf  model.Kind // the source's connector kind
	thread  string     // the conversation key
	item    int        // rowItem: index into the shown items
	count   int        // headers: how many items the group holds
	nested  bool       // rowItem: inside a conversation header
	title   string     // rowThread: the conversation's subject
}

// itemTime is when an item was sent, or stored when the source did not say.
func itemTime(it *model.Item) time.Time {
	if !it.Received.IsZero() {
		return it.Received
	}
	return it.Ingested
}

// sortNewest orders items newest first (ties: the later stored first).
func sortNewest(items []model.Item) {
	slices.SortStableFunc(items, func(a, b model.Item) int {
		if c := itemTime(&b).Compare(itemTime(&a)); c != 0 {
			return c
		}
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return 0
	})
}

// threadKey groups an item with its conversation; an item without one is a
// conversation of its own.
func threadKey(it *model.Item) string {
	if it.Thread != "" {
		return "t\x00" + it.Thread
	}
	return "i\x00" + it.ID
}

// matchItem reports whether an item contains the lower-cased query in any
// of the fields a person would search (the same fields as `sluice digest --search`).
func matchItem(it *model.Item, q string) bool {
	if q == "" {
		return true
	}
	for _, s := range []string{it.Subject, it.Snippet, it.FromName, it.FromAddr, it.Channel, it.Account} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// filterItems returns the items matching query (all when it is empty).
func filterItems(items []model.Item, query string) []model.Item {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return items
	}
	out := make([]model.Item, 0, len(items)/4)
	for i := range items {
		if matchItem(&items[i], q) {
			out = append(out, items[i])
		}
	}
	return out
}

// groupRows lays out items, which must be sorted newest first, as rows:
// sources in the order of their newest item, conversations likewise within
// a source, items newest first within a conversation.
func groupRows(items []model.Item) []row {
	type thread struct {
		key string
		idx []int
	}
	type source struct {
		name    string
		kind    model.Kind
		threads []*thread
		byKey   map[string]*thread
		n       int
	}
	var sources []*source
	bySource := map[string]*source{}
	for i := range items {
		it := &items[i]
		s := bySource[it.Account]
		if s == nil {
			s = &source{name: it.Account, kind: it.Kind, byKey: map[string]*thread{}}
			bySource[it.Account] = s
			sources = append(sources, s)
		}
		k := threadKey(it)
		t := s.byKey[k]
		if t == nil {
			t = &thread{key: k}
			s.byKey[k] = t
			s.threads = append(s.threads, t)
		}
		t.idx = append(t.idx, i)
		s.n++
	}
	rows := make([]row, 0, len(items)+len(sources)*2)
	for _, s := range sources {
		rows = append(rows, row{kind: rowSource, account: s.name, kindOf: s.kind, count: s.n})
		for _, t := range s.threads {
			nested := len(t.idx) > 1
			if nested {
				rows = append(rows, row{kind: rowThread, account: s.name, kindOf: s.kind, thread: t.key,
					count: len(t.idx), title: conversationTitle(&items[t.idx[len(t.idx)-1]])})
			}
			for _, i := range t.idx {
				rows = append(rows, row{kind: rowItem, account: s.name, kindOf: s.kind, thread: t.key, item: i, nested: nested})
			}
		}
	}
	return rows
}

// conversationTitle names a conversation by its first item's subject
// without reply and forward prefixes.
func conversationTitle(it *model.Item) string {
	s := strings.TrimSpace(it.Subject)
	for {
		l := strings.ToLower(s)
		cut := false
		for _, p := range []string{"re:", "fwd:", "fw:", "aw:", "wg:"} {
			if strings.HasPrefix(l, p) {
				s = strings.TrimSpace(s[len(p):])
				cut = true
			}
		}
		if !cut {
			break
		}
	}
	if s == "" {
		if it.Channel != "" {
			return "Thread in " + it.Channel
		}
		return "Conversation"
	}
	return s
}

// groupItems returns the indices (into the shown items) of every item
// under the header at rows[at]: a whole source or one conversation.
func groupItems(rows []row, at int) []int {
	if at < 0 || at >= len(rows) {
		return nil
	}
	h := rows[at]
	var out []int
	for i := at + 1; i < len(rows); i++ {
		r := rows[i]
		if r.kind == rowSource || (h.kind == rowThread && (r.account != h.account || r.thread != h.thread)) {
			break
		}
		if r.kind == rowItem {
			out = append(out, r.item)
		}
	}
	return out
}

// whyHeld is the decision a person wants to see in the digest: why the item
// was held (or let through) and when it was released, from its log.
func whyHeld(it *model.Item) string {
	var held, live, released string
	for i := len(it.Log) - 1; i >= 0; i-- {
		t := it.Log[i].Text
		switch {
		case held == "" && strings.HasPrefix(t, "held: "):
			held = "Held: " + dropRepeatedUntil(strings.TrimPrefix(t, "held: "))
		case live == "" && (strings.HasPrefix(t, "breakthrough: ") || strings.HasPrefix(t, "delivered live: ")):
			live = upperFirst(t)
		case released == "" && strings.HasPrefix(t, "released: "):
			released = strings.TrimPrefix(t, "released: ")
		}
	}
	switch {
	case held != "" && released != "":
		return held + " · released: " + released
	case held != "":
		return held
	case live != "":
		return live
	case len(it.Log) > 0:
		return upperFirst(it.Log[len(it.Log)-1].Text)
	case it.Rule != "":
		return "Classified " + it.Action.String() + " by " + it.Rule
	}
	return ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// dropRepeatedUntil removes an "until …" the gate's log repeats when the
// mode's own words already end in it: "off-hours until Mon 09:00 until
// Mon 09:00 (next check-in …)" reads "off-hours until Mon 09:00 (next …)".
func dropRepeatedUntil(s string) string {
	parts := strings.Split(s, " until ")
	out := parts[:1]
	for _, p := range parts[1:] {
		if last := out[len(out)-1]; len(out) > 1 && strings.HasPrefix(p, last) {
			out[len(out)-1] = p
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, " until ")
}
