package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

func TestPlainText(t *testing.T) {
	users := map[string]string{"U1": "Alice", "U2": "Bob Builder"}
	chans := map[string]string{"C1": "eng"}
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "just text", "just text"},
		{"user", "<@U1> hi", "@Alice hi"},
		{"user with label", "thanks <@U1|alice>", "thanks @alice"},
		{"unknown user", "cc <@U9>", "cc @U9"},
		{"two users", "<@U1> and <@U2>", "@Alice and @Bob Builder"},
		{"channel with label", "see <#C1|eng>", "see #eng"},
		{"channel without label", "see <#C1>", "see #eng"},
		{"unknown channel", "see <#C9>", "see #C9"},
		{"here", "<!here> standup", "@here standup"},
		{"channel broadcast", "<!channel>", "@channel"},
		{"everyone", "<!everyone>", "@everyone"},
		{"user group", "<!subteam^S1|@oncall> help", "@oncall help"},
		{"user group without @", "<!subteam^S1|oncall>", "@oncall"},
		{"user group unnamed", "<!subteam^S1>", "@S1"},
		{"date", "due <!date^1392734382^{date_short}|Feb 18, 2014>", "due Feb 18, 2014"},
		{"bare link", "<https://x.test/a>", "https://x.test/a"},
		{"labelled link", "read <https://x.test/doc|the doc>", "read the doc (https://x.test/doc)"},
		{"link labelled with itself", "<https://x.test|https://x.test>", "https://x.test"},
		{"link with escaped query", "<https://x.test/?a=1&amp;b=2|q>", "q (https://x.test/?a=1&b=2)"},
		{"mailto", "<mailto:a@b.test|a@b.test>", "a@b.test"},
		{"bare mailto", "<mailto:a@b.test>", "a@b.test"},
		{"entities", "a &amp; b &lt;c&gt;", "a & b <c>"},
		{"escaped markup is text", "type &lt;@U1&gt; to mention", "type <@U1> to mention"},
		{"double escape decoded once", "&amp;lt;", "&lt;"},
		{"emoji kept", ":tada: shipped :+1::skin-tone-2:", ":tada: shipped :+1::skin-tone-2:"},
		{"formatting kept", "*bold* _it_ ~gone~ `code`", "*bold* _it_ ~gone~ `code`"},
		{"unclosed", "broken <https://x.test", "broken <https://x.test"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plainText(tc.in, func(id string) string { return users[id] }, func(id string) string { return chans[id] })
			if got != tc.want {
				t.Errorf("plainText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMentionedUsersAndMentions(t *testing.T) {
	got := mentionedUsers("<@U1> <@U2|bob> <@U3|> &lt;@U4&gt; <#C1>")
	if strings.Join(got, ",") != "U1,U3" {
		t.Errorf("mentionedUsers = %v, want [U1 U3] (U2 is labelled)", got)
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"hi <@U0ME>", true},
		{"hi <@U0ME|me>", true},
		{"hi <@U0MEX>", false},
		{"hi @U0ME", false},
		{"<!here>", false},
	} {
		if got := mentions(tc.text, "U0ME"); got != tc.want {
			t.Errorf("mentions(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	now := time.Date(2024, 3, 5, 9, 10, 0, 0, time.UTC) // 10:10 CET, a Tuesday
	at := func(day, h, m int) time.Time { return time.Date(2024, 3, day, h, m, 0, 0, cet) }
	for _, tc := range []struct {
		name string
		tmpl string
		f    model.FocusInfo
		want string
	}{
		{"today", DefaultStatusText, model.FocusInfo{Until: at(5, 11, 0), ReplyAt: at(5, 14, 0), Zone: cet}, "Deep work — replies after 14:00"},
		{"tomorrow", DefaultStatusText, model.FocusInfo{Until: at(5, 11, 0), ReplyAt: at(6, 9, 0), Zone: cet}, "Deep work — replies after Wed 09:00"},
		{"next week", DefaultStatusText, model.FocusInfo{Until: at(5, 11, 0), ReplyAt: at(12, 9, 0), Zone: cet}, "Deep work — replies after Tue 12 Mar 09:00"},
		{"no check-in: the block's end", DefaultStatusText, model.FocusInfo{Until: at(5, 11, 30), Zone: cet}, "Deep work — replies after 11:30"},
		{"until", "Focusing until {until}, back at {reply}", model.FocusInfo{Until: at(5, 11, 30), ReplyAt: at(5, 14, 0), Zone: cet}, "Focusing until 11:30, back at 14:00"},
		{"zone decides the day", DefaultStatusText, model.FocusInfo{Until: at(5, 11, 0), ReplyAt: time.Date(2024, 3, 5, 23, 30, 0, 0, time.UTC), Zone: cet}, "Deep work — replies after Wed 00:30"},
		{"too long", strings.Repeat("x", 120), model.FocusInfo{Until: at(5, 11, 0), Zone: cet}, strings.Repeat("x", maxStatusRunes-1) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusText(tc.tmpl, tc.f, now); got != tc.want {
				t.Errorf("statusText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPermalink(t *testing.T) {
	for _, tc := range []struct{ team, ch, ts, thread, want string }{
		{"https://acme.slack.com/", "C123", "1700000000.000100", "", "https://acme.slack.com/archives/C123/p1700000000000100"},
		{"https://acme.slack.com", "C123", "1700000000.000100", "1700000000.000100", "https://acme.slack.com/archives/C123/p1700000000000100"},
		{"https://acme.slack.com/", "C123", "1700000001.000200", "1700000000.000100", "https://acme.slack.com/archives/C123/p1700000001000200?thread_ts=1700000000.000100&cid=C123"},
		{"", "C123", "1700000000.000100", "", ""},
	} {
		if got := permalink(tc.team, tc.ch, tc.ts, tc.thread); got != tc.want {
			t.Errorf("permalink(%q, %q, %q, %q) = %q, want %q", tc.team, tc.ch, tc.ts, tc.thread, got, tc.want)
		}
	}
}

func TestTimestamps(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1700000000.000200", "1700000000.000100", true},
		{"1700000000.000100", "1700000000.000100", false},
		{"1700000001.000000", "1700000000.999999", true},
		{"999999999.000000", "1700000000.000000", false}, // fewer digits, still numeric
		{"1700000000.5", "1700000000.400000", true},
		{"1700000000.000100", "", true},
		{"", "1700000000.000100", false},
		{"garbage", "", false},
	} {
		if got := tsAfter(tc.a, tc.b); got != tc.want {
			t.Errorf("tsAfter(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	at := time.Unix(1700000000, 123456000)
	if got := tsOf(at); got != "1700000000.123456" {
		t.Errorf("tsOf = %q", got)
	}
	if got := tsTime("1700000000.123456"); !got.Equal(at) {
		t.Errorf("tsTime = %v, want %v", got, at)
	}
}

func TestBackoffAndJitterBounds(t *testing.T) {
	for n := 1; n <= 12; n++ {
		want := min(backoffMin<<(n-1), backoffMax)
		for range 50 {
			if d := backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
	for range 200 {
		if d := jitter(2 * time.Minute); d < 108*time.Second || d > 132*time.Second {
			t.Fatalf("jitter(2m) = %s, want within ±10%%", d)
		}
	}
}

func TestChannelIDs(t *testing.T) {
	for in, want := range map[string]bool{
		"C0123ABCD": true, "G0123ABCD": true, "eng": false, "#eng": false,
		"CAPITALS": false, "c0123abcd": false, "C012": false,
	} {
		if got := isChannelID(in); got != want {
			t.Errorf("isChannelID(%q) = %v, want %v", in, got, want)
		}
	}
}
