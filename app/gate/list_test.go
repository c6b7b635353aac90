package gate

import (
	"fmt"
	"testing"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
)

// Paging through a large state visits every item once, newest first, in
// pages of the size asked, in either direction, with or without a search.
func TestListPages(t *testing.T) {
	f := newFixture(t, "2026-11-23 07:00:00", nil, rules.Builtins{})
	const n = 1050
	for i := 0; i < n; i += 350 {
		var batch []model.Item
		for j := i; j < i+350; j++ {
			batch = append(batch, item(fmt.Sprint("m", j), "ann@example.com", fmt.Sprintf("report %d", j)))
		}
		f.ingest(batch...)
	}
	walk := func(q ListQuery) []model.Item {
		t.Helper()
		var all []model.Item
		for pages := 0; ; pages++ {
			p, err := f.g.List(model.StateHeld, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > max(q.Limit, 0) && q.Limit > 0 || len(p.Items) > MaxPage {
				t.Fatalf("a page of %d items for limit %d", len(p.Items), q.Limit)
			}
			for i := 1; i < len(p.Items); i++ {
				if p.Items[i-1].Seq <= p.Items[i].Seq {
					t.Fatalf("page not newest first: %d then %d", p.Items[i-1].Seq, p.Items[i].Seq)
				}
			}
			if q.After == 0 {
				all = append(all, p.Items...)
				if p.Older == 0 {
					return all
				}
				q.Before = p.Older
			} else {
				all = append(p.Items, all...)
				if p.Newer == 0 {
					return all
				}
				q.After = p.Newer
			}
		}
	}
	check := func(name string, got []model.Item, want func(j int) bool) {
		t.Helper()
		var exp []string
		for j := n - 1; j >= 0; j-- {
			if want(j) {
				exp = append(exp, fmt.Sprintf("report %d", j))
			}
		}
		if len(got) != len(exp) {
			t.Fatalf("%s: %d items, want %d", name, len(got), len(exp))
		}
		for i := range got {
			if got[i].Subject != exp[i] {
				t.Fatalf("%s: item %d is %q, want %q", name, i, got[i].Subject, exp[i])
			}
		}
	}
	all := func(int) bool { return true }
	check("default pages", walk(ListQuery{}), all)
	check("pages of 100", walk(ListQuery{Limit: 100}), all)
	check("pages of 7, oldest to newest", walk(ListQuery{Limit: 7, After: 1}), func(j int) bool { return j > 0 })
	check("search in pages of 3", walk(ListQuery{Limit: 3, Query: "Report 10"}), func(j int) bool {
		s := fmt.Sprint(j)
		return len(s) >= 2 && s[:2] == "10"
	})
	p, err := f.g.List(model.StateHeld, ListQuery{Limit: 5000})
	if err != nil || len(p.Items) != MaxPage || p.Older == 0 {
		t.Fatalf("a page of 5000 asked: %d items, older %d, %v; want %d and more", len(p.Items), p.Older, err, MaxPage)
	}
}
