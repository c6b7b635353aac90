package main_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-app/sluice/app/model"
)

// `sluice held` pages: --limit gives a page and says how to get the next,
// following it visits every item once, and without --limit every item is
// listed (a page at a time underneath).
func TestHeldPages(t *testing.T) {
	in := newInstance(t, beforeCheckin)
	in.start()
	in.fill(25)

	if got := len(in.items("held")); got != 25 {
		t.Fatalf("held --json lists %d items, want 25", got)
	}
	next := regexp.MustCompile(`Older items: sluice held --limit 10 --before ([0-9a-f]{8})`)
	seen := map[string]bool{}
	args := []string{"held", "--limit", "10"}
	for pages := 1; ; pages++ {
		out := in.mustRun(args...)
		for _, l := range strings.Split(out, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 0 && len(f[0]) == 8 {
				if seen[f[0]] {
					t.Fatalf("page %d repeats %s:\n%s", pages, f[0], out)
				}
				seen[f[0]] = true
			}
		}
		m := next.FindStringSubmatch(out)
		if m == nil {
			if pages != 3 {
				t.Fatalf("%d pages of 10 for 25 items:\n%s", pages, out)
			}
			break
		}
		args = []string{"held", "--limit", "10", "--before", m[1]}
	}
	if len(seen) != 25 {
		t.Fatalf("the pages listed %d items, want 25", len(seen))
	}

	var page []model.Item
	if err := json.Unmarshal([]byte(in.mustRun("held", "--json", "--limit", "3", "--search", "Item 1")), &page); err != nil {
		t.Fatal(err)
	}
	// Items 19 … 10, then 1 match; the newest three are 19, 18, 17.
	if len(page) != 3 || page[0].Subject != "Item 19" || page[2].Subject != "Item 17" {
		t.Fatalf("a page of a search: %+v", page)
	}
	var newer []model.Item
	if err := json.Unmarshal([]byte(in.mustRun("held", "--json", "--limit", "2", "--after", page[2].ID)), &newer); err != nil {
		t.Fatal(err)
	}
	if len(newer) != 2 || newer[0].Subject != "Item 19" || newer[1].Subject != "Item 18" {
		t.Fatalf("the page after Item 17: %+v", newer)
	}
	if out := in.mustRun("export"); strings.Count(out, "\n") != 25 {
		t.Fatalf("export wrote %d lines, want 25", strings.Count(out, "\n"))
	}
}
