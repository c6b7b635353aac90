package slack

import (
	"regexp"
	"strings"
)

// plainText turns Slack's message markup into text a person reads in a
// digest: <@U123> becomes @name, <#C123|eng> #eng, <https://x|label>
// "label (https://x)", <!here> @here; emoji codes (:tada:) stay as typed,
// and &amp; &lt; &gt; are decoded last, because Slack escapes exactly
// those three so that a literal "<" never starts a token. Bold, italics
// and code marks are left alone: they read fine as they are.
//
// user and channel name IDs without a label; they return "" when unknown,
// and the ID is shown instead.
func plainText(s string, user, channel func(id string) string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(unescape(s[:i]))
		b.WriteString(token(s[i+1:i+j], user, channel))
		s = s[i+j+1:]
	}
	b.WriteString(unescape(s))
	return b.String()
}

// token renders the inside of one <…> token.
func token(t string, user, channel func(string) string) string {
	ref, label, hasLabel := strings.Cut(t, "|")
	label = unescape(label)
	switch {
	case strings.HasPrefix(ref, "@"): // user: <@U123> or <@U123|bob>
		id := ref[1:]
		if hasLabel && label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		if n := callName(user, id); n != "" {
			return "@" + n
		}
		return "@" + id
	case strings.HasPrefix(ref, "#"): // channel: <#C123|eng> or <#C123>
		id := ref[1:]
		if hasLabel && label != "" {
			return "#" + strings.TrimPrefix(label, "#")
		}
		if n := callName(channel, id); n != "" {
			return "#" + n
		}
		return "#" + id
	case strings.HasPrefix(ref, "!"): // special: <!here>, <!subteam^S1|@team>, <!date^…|fallback>
		cmd := ref[1:]
		if hasLabel && label != "" {
			if strings.HasPrefix(cmd, "subteam^") && !strings.HasPrefix(label, "@") {
				return "@" + label
			}
			return label
		}
		name, arg, _ := strings.Cut(cmd, "^")
		if name == "subteam" && arg != "" {
			return "@" + arg // a user group Slack did not name
		}
		return "@" + name
	}
	// A link: <https://x>, <https://x|label>, <mailto:a@b|a@b>.
	ref = unescape(ref)
	if !hasLabel || label == "" || label == ref {
		return strings.TrimPrefix(ref, "mailto:")
	}
	if strings.TrimPrefix(ref, "mailto:") == label || strings.TrimPrefix(ref, "tel:") == label {
		return label
	}
	return label + " (" + ref + ")"
}

func callName(f func(string) string, id string) string {
	if f == nil {
		return ""
	}
	return f(id)
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}

var userRef = regexp.MustCompile(`<@([A-Z0-9]+)(\|[^>]*)?>`)

// mentionedUsers lists the user IDs in s that carry no label, i.e. the
// ones whose names must be looked up.
func mentionedUsers(s string) []string {
	var ids []string
	for _, m := range userRef.FindAllStringSubmatch(s, -1) {
		if m[2] == "" || m[2] == "|" {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// mentions reports whether text mentions the user with ID uid.
func mentions(text, uid string) bool {
	if uid == "" {
		return false
	}
	return strings.Contains(text, "<@"+uid+">") || strings.Contains(text, "<@"+uid+"|")
}
