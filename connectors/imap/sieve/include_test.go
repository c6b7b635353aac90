package sieve

import "testing"

func TestFindInclude(t *testing.T) {
	tests := []struct {
		name        string
		src         string
		found, last bool
	}{
		{"none", "require \"fileinto\";\nkeep;\n", false, false},
		{"plain, last", "require [\"include\"];\nkeep;\ninclude :personal \"sluice\";\n", true, true},
		{"default location", "require \"include\";\ninclude \"sluice\";", true, true},
		{"tags in any order, list", "require \"include\";\ninclude :once :optional :personal [\"other\", \"sluice\"];\n", true, true},
		{"upper case command", "REQUIRE \"include\";\nINCLUDE :PERSONAL \"sluice\";\n", true, true},
		{"followed by a command", "require \"include\";\ninclude \"sluice\";\nif true { keep; }\n", true, false},
		{"global", "require \"include\";\ninclude :global \"sluice\";\n", false, false},
		{"other name", "require \"include\";\ninclude \"sluice-hold\";\ninclude \"Sluice\";\n", false, false},
		{"inside a block", "require \"include\";\nif true { include \"sluice\"; }\n", false, false},
		{"in a comment", "# include \"sluice\";\nkeep;\n", false, false},
		{"in a bracket comment", "/* include \"sluice\"; */ keep;\n", false, false},
		{"in a string", "require \"vacation\";\nvacation \"include \\\"sluice\\\";\";\n", false, false},
		{"in a multi-line string", "require \"vacation\";\nvacation text:\ninclude \"sluice\";\n..dot\n.\n;\n", false, false},
		{"after a multi-line string", "require [\"vacation\", \"include\"];\nvacation text:\nbye\n.\n;\ninclude \"sluice\";\n", true, true},
		{"argument, not command", "require \"fileinto\";\nfileinto \"include\";\n", false, false},
		{"unterminated comment", "/* include \"sluice\";\n", false, false},
		{"unterminated string", "include \"sluice", false, false},
		{"stop after", "require \"include\";\ninclude \"sluice\";\nstop;\n", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findInclude(tt.src, ScriptMain)
			if got.found != tt.found || got.last != tt.last {
				t.Errorf("findInclude = %+v, want found %v last %v", got, tt.found, tt.last)
			}
		})
	}
}

func FuzzFindInclude(f *testing.F) {
	f.Add("require \"include\";\ninclude :personal \"sluice\";\n")
	f.Add("vacation text:\na\n.\n;")
	f.Fuzz(func(t *testing.T, src string) {
		findInclude(src, ScriptMain) // must not panic or hang
	})
}
