package ui

import (
	"errors"
	"regexp"
	"sort"
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
)

// Validation messages are shown next to the field they are about. Every
// field (or row of fields) registers a message slot under its config path
// ("schedule.days.monday.checkins[1].at"); an error is shown in the slot
// whose path matches it best, and errors that match no slot are listed
// by the Save button, so nothing is ever silently dropped.

// slot is the message label under one field or row.
type slot struct {
	label *widget.Label
	paths []string
}

// fieldErrors maps config paths to message slots.
type fieldErrors struct {
	slots  []*slot
	byPath map[string]*slot
}

func newFieldErrors() *fieldErrors { return &fieldErrors{byPath: map[string]*slot{}} }

// reset forgets every slot (the tabs are being rebuilt).
func (f *fieldErrors) reset() {
	f.slots = nil
	f.byPath = map[string]*slot{}
}

// drop forgets the slots whose first path starts with prefix (a part of a
// tab is being rebuilt).
func (f *fieldErrors) drop(prefix string) {
	keep := f.slots[:0]
	for _, s := range f.slots {
		if len(s.paths) > 0 && strings.HasPrefix(s.paths[0], prefix) {
			for _, p := range s.paths {
				if f.byPath[p] == s {
					delete(f.byPath, p)
				}
			}
			continue
		}
		keep = append(keep, s)
	}
	f.slots = keep
}

// slot returns a new message label registered under paths.
func (f *fieldErrors) slot(paths ...string) *widget.Label {
	s := &slot{label: errorLabel(), paths: paths}
	f.slots = append(f.slots, s)
	for _, p := range paths {
		f.byPath[p] = s
	}
	return s.label
}

// find returns the slot that best matches field: the registered path equal
// to it, else the longest registered path it lies under, else a registered
// path that lies under it (an error about a whole row shown at its first field).
func (f *fieldErrors) find(field string) *slot {
	if s, ok := f.byPath[field]; ok {
		return s
	}
	var best *slot
	bestLen := -1
	for p, s := range f.byPath {
		if under(field, p) && len(p) > bestLen {
			best, bestLen = s, len(p)
		}
	}
	if best != nil {
		return best
	}
	var keys []string
	for p := range f.byPath {
		if under(p, field) {
			keys = append(keys, p)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		return f.byPath[keys[0]]
	}
	return nil
}

// under reports whether path p lies inside path parent.
func under(p, parent string) bool {
	return strings.HasPrefix(p, parent+".") || strings.HasPrefix(p, parent+"[")
}

// fieldMsg is one validation problem: where, and what to say.
type fieldMsg struct {
	field string
	msg   string
}

// show puts each message in its slot and returns those that found none.
func (f *fieldErrors) show(msgs []fieldMsg) []fieldMsg {
	text := map[*slot][]string{}
	var rest []fieldMsg
	for _, m := range msgs {
		if s := f.find(m.field); s != nil {
			text[s] = append(text[s], m.msg)
			continue
		}
		rest = append(rest, m)
	}
	for _, s := range f.slots {
		setError(s.label, strings.Join(dedupe(text[s]), "\n"))
	}
	return rest
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

var ruleRef = regexp.MustCompile(`^rules\[(\d+)\](?: \("(?:[^"\\]|\\.)*"\))?: `)

// configMsgs turns a config validation error into field messages. A rule's
// error ("rules: rules[2] ("Boss"): regex: …") is placed at "rules[2]".
func configMsgs(err error) []fieldMsg {
	if err == nil {
		return nil
	}
	var es config.Errors
	if errors.As(err, &es) {
		out := make([]fieldMsg, 0, len(es))
		for _, e := range es {
			msg := e.Msg
			if e.Value != "" {
				msg = e.Value + ": " + e.Msg
			}
			out = append(out, placeRule(fieldMsg{field: e.Field, msg: msg}))
		}
		return out
	}
	var fe *config.FieldError
	if errors.As(err, &fe) {
		msg := fe.Msg
		if fe.Value != "" {
			msg = fe.Value + ": " + fe.Msg
		}
		return []fieldMsg{{field: fe.Field, msg: msg}}
	}
	var ce *control.Error
	if errors.As(err, &ce) && len(ce.Fields) > 0 {
		out := make([]fieldMsg, 0, len(ce.Fields))
		for _, line := range ce.Fields {
			field, msg, ok := strings.Cut(line, ": ")
			if !ok {
				field, msg = "", line
			}
			out = append(out, placeRule(fieldMsg{field: field, msg: msg}))
		}
		return out
	}
	return []fieldMsg{{msg: err.Error()}}
}

func placeRule(m fieldMsg) fieldMsg {
	if m.field != "rules" {
		return m
	}
	if sm := ruleRef.FindStringSubmatch(m.msg); sm != nil {
		return fieldMsg{field: "rules[" + sm[1] + "]", msg: strings.TrimPrefix(m.msg, sm[0])}
	}
	for prefix, field := range map[string]string{
		"builtins.vips": "urgent.vips", "builtins.urgent_keywords": "urgent.keywords", "builtins.urgent_channel": "urgent.channel",
	} {
		if strings.HasPrefix(m.msg, prefix) {
			rest := strings.TrimPrefix(m.msg, prefix)
			if i := strings.Index(rest, ": "); i >= 0 {
				return fieldMsg{field: field + rest[:i], msg: rest[i+2:]}
			}
		}
	}
	return m
}
