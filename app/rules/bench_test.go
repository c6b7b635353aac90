package rules

import (
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// benchRules is a plausible 20-rule configuration: mostly sender and
// channel rules, some keyword rules and two regexes.
func benchRules() []Rule {
	return []Rule{
		{Name: "Boss", From: []string{"boss@acme.com"}, Action: model.ActionUrgent},
		{Name: "Newsletters", From: []string{"news@*", "*@mailchimp.com", "noreply@*"}, Action: model.ActionQuiet},
		{Name: "GitHub", From: []string{"notifications@github.com"}, Keywords: []string{"review requested"}, Action: model.ActionUrgent},
		{Name: "GitHub rest", From: []string{"github.com"}, Action: model.ActionQuiet},
		{Name: "Eng channels", Accounts: []string{"Acme Slack"}, Channels: []string{"#eng-*"}, Mention: true, Action: model.ActionUrgent},
		{Name: "Random", Channels: []string{"#random", "#social"}, Action: model.ActionIgnore},
		{Name: "Lists", Channels: []string{"INBOX/Lists/*"}, Action: model.ActionQuiet},
		{Name: "Invoices", Regex: `(?i)invoice #\d+`, Action: model.ActionQuiet},
		{Name: "Partner", From: []string{"@partner.example"}, Direct: true, Action: model.ActionUrgent},
		{Name: "On-call", Keywords: []string{"pagerduty", "on-call handover"}, Accounts: []string{"Work mail"}, Action: model.ActionUrgent},
		{Name: "CI", Accounts: []string{"local"}, Channels: []string{"ci"}, Action: model.ActionQuiet},
		{Name: "Family", From: []string{"mom*", "dad*"}, Action: model.ActionUrgent},
		{Name: "Recruiters", Keywords: []string{"opportunity", "recruiter", "exciting role"}, Action: model.ActionIgnore},
		{Name: "Calendar", From: []string{"calendar-notification@google.com"}, Action: model.ActionQuiet},
		{Name: "Security", Regex: `(?i)\b(cve-\d{4}-\d+|security advisory)\b`, Action: model.ActionUrgent},
		{Name: "HR", From: []string{"hr.acme.com"}, Action: model.ActionHold},
		{Name: "Sales", Channels: []string{"#sales-*"}, Keywords: []string{"churn"}, Action: model.ActionUrgent},
		{Name: "Support DMs", Accounts: []string{"Support Slack"}, Direct: true, Action: model.ActionUrgent},
		{Name: "Jira", From: []string{"jira@*.atlassian.net"}, Action: model.ActionQuiet},
		{Name: "Team", From: []string{"*@acme.com"}, Channels: []string{"INBOX"}, Action: model.ActionHold},
	}
}

func benchBuiltins() Builtins {
	return Builtins{
		VIPs:           []string{"ceo@acme.com", "Dana Scully", "@board.acme.com"},
		UrgentKeywords: []string{"outage", "down", "urgent", "sev1"},
		UrgentChannel:  "#incidents",
	}
}

// BenchmarkEvaluate runs 20 rules plus built-ins against an item that
// matches none of them, the worst and most common case: every rule is tried,
// keyword and regex conditions included.
func BenchmarkEvaluate(b *testing.B) {
	s := mustCompile(b, benchRules(), benchBuiltins())
	it := item(accountIs("Other"), snippet(strings.Repeat("Some ordinary words of a plain message body. ", 5)))
	b.ReportAllocs()
	for b.Loop() {
		s.Evaluate(it)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluateMix cycles through items that stop at different rules.
func BenchmarkEvaluateMix(b *testing.B) {
	s := mustCompile(b, benchRules(), benchBuiltins())
	items := []*model.Item{
		item(from("", "boss@acme.com")),
		item(from("", "news@shop.example")),
		item(accountIs("Acme Slack"), channelIs("#eng-infra"), mentions),
		item(accountIs("local"), channelIs("ci"), subject("build 123 green")),
		item(from("", "x@acme.com"), subject("Team lunch")),
		item(snippet("The payment API is down for everyone")),
		item(),
		item(subject("Invoice #4411 from Acme Hosting")),
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Evaluate(items[i%len(items)])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluateNoText is BenchmarkEvaluate without keyword and regex
// conditions, so the item's text is never folded: the cost of the rule walk
// itself.
func BenchmarkEvaluateNoText(b *testing.B) {
	var list []Rule
	for _, r := range benchRules() {
		r.Keywords, r.Regex = nil, ""
		if r.Accounts == nil && r.Channels == nil && r.From == nil && !r.Direct && !r.Mention {
			r.From = []string{"nobody@example.net"}
		}
		list = append(list, r)
	}
	bi := benchBuiltins()
	bi.UrgentKeywords = nil
	s := mustCompile(b, list, bi)
	it := item(accountIs("Other"))
	b.ReportAllocs()
	for b.Loop() {
		s.Evaluate(it)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}
