package imap

import (
	"strings"
	"testing"
	"time"
)

// TestPendingRecordRoundTrip: the record of messages that may still have
// to move names them by source ID, whatever characters it holds, and an
// unreadable record is refused rather than misread.
func TestPendingRecordRoundTrip(t *testing.T) {
	in := pendingSet{
		{validity: 7, uid: 42, src: "mid:<a b@x>#00ff", date: time.Unix(1_800_000_000, 0)},
		{validity: 7, uid: 43, src: "uid:My Folder/7/43", date: time.Unix(1_800_000_001, 0)},
	}
	out, err := decodePending(in.encode())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("decoded %d entries, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i].validity != in[i].validity || out[i].uid != in[i].uid || out[i].src != in[i].src || !out[i].date.Equal(in[i].date) {
			t.Errorf("entry %d = %+v, want %+v", i, out[i], in[i])
		}
	}
	for _, bad := range []string{"v1\n7 42 0123456789abcdef 1800000000\n", "v2\n7 42 1800000000\n", "v2\nx 42 a 1\n", "v2\n7 42 %zz 1\n"} {
		if _, err := decodePending([]byte(bad)); err == nil || !strings.Contains(err.Error(), "pending holds") {
			t.Errorf("decodePending(%q) = %v, want an error", bad, err)
		}
	}
}
