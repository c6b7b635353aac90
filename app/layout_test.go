package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeLayoutListsEveryPackage keeps the README's layout table true:
// every package of the module is in it, and everything it names exists.
func TestReadmeLayoutListsEveryPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := layoutPaths(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		dir := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if dir == "" {
			dir = "."
		}
		if !listed[dir] {
			t.Errorf("the README's layout table does not list package %s: add a row for `%s`", p, dir)
		}
	}
	for dir := range listed {
		if fi, err := os.Stat(filepath.Join("..", filepath.FromSlash(dir))); err != nil || !fi.IsDir() {
			t.Errorf("the README's layout table lists %s, which is not a directory of the repository", dir)
		}
	}
}

// TestLayoutPaths: the table is read as its author meant it.
func TestLayoutPaths(t *testing.T) {
	got, err := layoutPaths("# X\n\n## Layout\n\nintro\n\n| path | what |\n|---|---|\n" +
		"| `cmd/a` | one |\n| `app/b`, `app/c` | two, `not/a/path` here |\n| `packaging/` | files |\n\n## Next\n\n| `app/d` | elsewhere |\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cmd/a", "app/b", "app/c", "packaging"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("%s not read from the table (got %v)", w, got)
		}
	}
	if _, err := layoutPaths("# X\n\nno table\n"); err == nil {
		t.Error("a README without a layout section passed")
	}
}

var layoutCell = regexp.MustCompile("`([^`]+)`")

// layoutPaths reads the paths in the first column of the table under
// "## Layout".
func layoutPaths(readme string) (map[string]bool, error) {
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		return nil, os.ErrNotExist
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	paths := map[string]bool{}
	for line := range strings.Lines(section) {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		for _, m := range layoutCell.FindAllStringSubmatch(cells[1], -1) {
			paths[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	if len(paths) == 0 {
		return nil, os.ErrNotExist
	}
	return paths, nil
}
