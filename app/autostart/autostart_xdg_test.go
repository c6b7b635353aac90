//go:build !darwin && !windows

package autostart

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// useConfigHome points XDG_CONFIG_HOME at a fresh temp dir and returns
// the path the entry must be written to.
func useConfigHome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	return filepath.Join(dir, "autostart", "app.sluice.Sluice.desktop")
}

// execLine returns the Exec= value of the [Desktop Entry] group.
func execLine(t *testing.T, entry string) string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(entry, "\n") {
		if v, ok := strings.CutPrefix(line, "Exec="); ok {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Exec= line, got %d in:\n%s", len(found), entry)
	}
	return found[0]
}

// unquoteExec undoes what a desktop launcher undoes, in the spec's order:
// the string escapes (\\ → \), then %% → %, then the argument quoting. It is
// written from the spec independently of desktopExec so that the test
// catches a wrong encoder, and it returns the argv the launcher would run.
func unquoteExec(t *testing.T, v string) []string {
	t.Helper()
	var s strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case '\\':
				s.WriteByte('\\')
			case 's':
				s.WriteByte(' ')
			case 'n':
				s.WriteByte('\n')
			case 't':
				s.WriteByte('\t')
			case 'r':
				s.WriteByte('\r')
			default:
				t.Fatalf("Exec %q: unknown string escape \\%c", v, v[i])
			}
			continue
		}
		s.WriteByte(v[i])
	}
	str := s.String()
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(str); i++ {
		c := str[i]
		switch {
		case c == '%':
			if i+1 >= len(str) || str[i+1] != '%' {
				t.Fatalf("Exec %q: field code or lone %% at %d", v, i)
			}
			i++
			cur.WriteByte('%')
			inArg = true
		case quoted && c == '\\':
			if i+1 >= len(str) || !strings.ContainsRune("\"`$\\", rune(str[i+1])) {
				t.Fatalf("Exec %q: bad quoting escape at %d", v, i)
			}
			i++
			cur.WriteByte(str[i])
		case c == '"':
			quoted = !quoted
			inArg = true
		case !quoted && c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case !quoted && strings.IndexByte(desktopReserved, c) >= 0:
			t.Fatalf("Exec %q: reserved character %q outside quotes", v, c)
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		t.Fatalf("Exec %q: unterminated quote", v)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

func TestEnableDisableXDG(t *testing.T) {
	cases := []struct {
		name, exe, wantExec string
	}{
		{"plain", "/usr/local/bin/sluice", `/usr/local/bin/sluice`},
		{"space", "/home/Ann Lee/.local/bin/sluice", `"/home/Ann Lee/.local/bin/sluice"`},
		{"double quote", `/opt/say "hi"/sluice`, `"/opt/say \\"hi\\"/sluice"`},
		{"single quote", "/home/o'brien/bin/sluice", `"/home/o'brien/bin/sluice"`},
		{"percent", "/opt/100%/sluice", `/opt/100%%/sluice`},
		{"percent field code lookalike", "/opt/%u/sluice", `/opt/%%u/sluice`},
		{"percent and space", "/opt/50% off/sluice", `"/opt/50%% off/sluice"`},
		{"dollar and backtick", "/opt/$HOME/`id`/sluice", "\"/opt/\\\\$HOME/\\\\`id\\\\`/sluice\""},
		{"backslash", `/opt/back\slash/sluice`, `"/opt/back\\\\slash/sluice"`},
		{"hash semicolon ampersand", "/opt/a#b;c&d/sluice", `"/opt/a#b;c&d/sluice"`},
		{"tilde and glob", "/opt/~x/*?/sluice", `"/opt/~x/*?/sluice"`},
		{"unicode", "/home/zoë/Programme/sluice", `/home/zoë/Programme/sluice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := useConfigHome(t)
			if on, err := Enabled(); err != nil || on {
				t.Fatalf("before Enable: Enabled() = %v, %v; want false, nil", on, err)
			}
			if loc, err := Location(); err != nil || loc != path {
				t.Fatalf("Location() = %q, %v; want %q", loc, err, path)
			}
			if err := Enable(c.exe); err != nil {
				t.Fatalf("Enable(%q): %v", c.exe, err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("Enable wrote no entry: %v", err)
			}
			entry := string(b)
			if got := execLine(t, entry); got != c.wantExec {
				t.Errorf("Exec=%s\nwant Exec=%s", got, c.wantExec)
			}
			if argv := unquoteExec(t, execLine(t, entry)); len(argv) != 1 || argv[0] != c.exe {
				t.Errorf("a launcher would run %q, want [%q]", argv, c.exe)
			}
			for _, want := range []string{"[Desktop Entry]\n", "Type=Application\n", "X-GNOME-Autostart-enabled=true\n"} {
				if !strings.Contains(entry, want) {
					t.Errorf("entry lacks %q:\n%s", want, entry)
				}
			}
			validateDesktopFile(t, path)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("entry mode: %v %v, want 0644", fi.Mode(), err)
			}
			if on, err := Enabled(); err != nil || !on {
				t.Fatalf("after Enable: Enabled() = %v, %v; want true, nil", on, err)
			}

			if err := Disable(); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("after Disable the entry is still there: %v", err)
			}
			if on, err := Enabled(); err != nil || on {
				t.Fatalf("after Disable: Enabled() = %v, %v; want false, nil", on, err)
			}
			if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 0 {
				t.Errorf("autostart dir not empty after Disable: %v", left)
			}
		})
	}
}

func validateDesktopFile(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("desktop-file-validate"); err != nil {
		t.Fatal("desktop-file-validate not found: install the Debian package desktop-file-utils")
	}
	out, err := exec.Command("desktop-file-validate", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
}

func TestEnableRejects(t *testing.T) {
	for _, c := range []struct {
		name, exe string
		want      error
	}{
		{"relative", "bin/sluice", ErrNotAbsolute},
		{"bare name", "sluice", ErrNotAbsolute},
		{"newline", "/opt/a\nb/sluice", ErrUnrepresentable},
		{"tab", "/opt/a\tb/sluice", ErrUnrepresentable},
		{"equals sign", "/opt/a=b/sluice", ErrUnrepresentable},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := useConfigHome(t)
			if err := Enable(c.exe); !errors.Is(err, c.want) {
				t.Fatalf("Enable(%q) = %v, want %v", c.exe, err, c.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a rejected Enable left an entry: %v", err)
			}
		})
	}
}

func TestDisableWithoutEntry(t *testing.T) {
	useConfigHome(t)
	if err := Disable(); err != nil {
		t.Fatalf("Disable with nothing enabled: %v", err)
	}
}

// TestEnabledHonoursDesktopSwitch: desktops switch an autostart entry off
// by editing it, not deleting it; Sluice must then report "off", and a
// later Enable must switch it back on.
func TestEnabledHonoursDesktopSwitch(t *testing.T) {
	for _, c := range []struct{ name, from, to string }{
		{"GNOME", "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"},
		{"Hidden", "Terminal=false", "Terminal=false\nHidden=true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := useConfigHome(t)
			if err := Enable("/usr/bin/sluice"); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), c.from, c.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); err != nil || on {
				t.Fatalf("switched off by the desktop: Enabled() = %v, %v; want false", on, err)
			}
			if err := Enable("/usr/bin/sluice"); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); err != nil || !on {
				t.Fatalf("Enable again: Enabled() = %v, %v; want true", on, err)
			}
		})
	}
}

// TestLocationIgnoresRelativeConfigHome follows the base directory spec:
// a relative XDG_CONFIG_HOME is invalid and ~/.config is used instead.
func TestLocationIgnoresRelativeConfigHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "relative/dir")
	got, err := Location()
	want := filepath.Join(home, ".config", "autostart", "app.sluice.Sluice.desktop")
	if err != nil || got != want {
		t.Fatalf("Location() = %q, %v; want %q", got, err, want)
	}
}

// TestEnableReplaces: enabling again (say after moving the install) points
// the entry at the new program instead of adding a second one.
func TestEnableReplaces(t *testing.T) {
	path := useConfigHome(t)
	for _, exe := range []string{"/old/bin/sluice", "/new place/bin/sluice"} {
		if err := Enable(exe); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	if got := execLine(t, string(b)); got != `"/new place/bin/sluice"` {
		t.Fatalf("Exec=%s, want the new program", got)
	}
}

func TestExecutableFindsSibling(t *testing.T) {
	// The test binary is not called sluice, and no sluice sits next to it.
	if _, err := Executable(); !errors.Is(err, ErrNoResident) {
		t.Fatalf("Executable() next to the test binary: %v, want ErrNoResident", err)
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sluice"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findResident(dir); !errors.Is(err, ErrNoResident) {
		t.Fatalf("a directory called sluice: got %q, %v; want ErrNoResident", got, err)
	}
	dir = t.TempDir()
	want := filepath.Join(dir, "sluice")
	for _, name := range []string{"sluice", "sluice-ui"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := findResident(dir); err != nil || got != want {
		t.Fatalf("findResident = %q, %v; want %q", got, err, want)
	}
}
