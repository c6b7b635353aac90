package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTimeComesFromTheClock keeps the rule that the domain and the
// connectors never read the machine's clock or make real timers
// themselves: they take an app/clock.Clock, which tests replace with a
// fake one. Test harnesses (packages named *test) are exempt.
func TestTimeComesFromTheClock(t *testing.T) {
	forbidden := map[string]bool{
		"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true,
	}
	// Deliberate exceptions, each with its reason.
	allowed := map[string]string{
		"app/store/lock.go": "polls the OS file lock at open, as bbolt does, before any clock exists",
	}
	harness := regexp.MustCompile(`(^|/)[a-z]*test(/|$)`)
	root := ".."
	var checked int
	for _, dir := range []string{"app/gate", "app/store", "app/schedule", "app/rules", "app/model", "connectors"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if d.Name() == "testdata" || harness.MatchString(rel) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			checked++
			name := ""
			for _, imp := range f.Imports {
				if imp.Path.Value == `"time"` {
					name = "time"
					if imp.Name != nil {
						name = imp.Name.Name
					}
				}
			}
			if name == "" {
				return nil
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == name && forbidden[sel.Sel.Name] {
					if _, ok := allowed[rel]; !ok {
						t.Errorf("%s calls time.%s: take an app/clock.Clock instead", rel, sel.Sel.Name)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d files", checked)
	}
}
