package store

import (
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

func TestItemCodecRoundTrip(t *testing.T) {
	full := realisticItem("work", 42, model.StateDone)
	full.Seq = 9
	full.Direct, full.MentionsMe, full.UrgentHint, full.Breakthrough = true, true, true, true
	full.Action = model.ActionQuiet
	full.Done = time.Date(2025, 3, 10, 17, 0, 0, 123456789, time.UTC)
	for name, it := range map[string]model.Item{
		"empty":     {Seq: 1},
		"full":      full,
		"pre-1970":  {Seq: 2, Received: time.Date(1969, 7, 20, 20, 17, 0, 5, time.UTC)},
		"non-ascii": {Seq: 3, Subject: "Grüße — 会議 🚀", Log: []model.Entry{{Text: ""}}},
		"reason":    {Seq: 4, Kind: model.KindGitHub, Reason: "ci_activity"},
	} {
		got, err := decodeItem(it.Seq, encodeItem(nil, &it))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, it) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, it)
		}
	}
	// Zones are not kept; the instant is.
	ny, _ := time.LoadLocation("America/New_York")
	it := model.Item{Received: time.Date(2025, 3, 9, 3, 30, 0, 0, ny)}
	got, _ := decodeItem(0, encodeItem(nil, &it))
	if !got.Received.Equal(it.Received) {
		t.Errorf("instant changed: %v vs %v", got.Received, it.Received)
	}
}

func TestItemEncodingIsCompact(t *testing.T) {
	it := realisticItem("work", 1, model.StateHeld)
	b := encodeItem(nil, &it)
	payload := 0
	for _, s := range []string{it.ID, it.Account, it.SourceID, it.Channel, it.Thread, it.FromName,
		it.FromAddr, it.Subject, it.Snippet, it.Link, it.Rule, string(it.Kind)} {
		payload += len(s)
	}
	for _, e := range it.Log {
		payload += len(e.Text)
	}
	if overhead := len(b) - payload; overhead > 80 {
		t.Errorf("encoding of a realistic item: %d bytes for %d bytes of text (%d overhead)", len(b), payload, overhead)
	}
}

// The byte layouts are fixed: an item encoded by any build must decode in
// every later one. testdata/item_v1.hex pins v1 (written before items had
// a reason), testdata/item_v2.hex v2 (before reply keys), and
// testdata/item_v3.hex the current v3.
func TestItemCodecGolden(t *testing.T) {
	it := goldenItems()[1]
	v1 := readHex(t, "testdata/item_v1.hex")
	got, err := decodeItem(0, v1)
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Errorf("v1 golden decode = %+v, %v", got, err)
	}
	it.Reason = "review_requested"
	got, err = decodeItem(0, readHex(t, "testdata/item_v2.hex"))
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Errorf("v2 golden decode = %+v, %v", got, err)
	}
	it.ReplyKey = "CAF3+x@mail.example.com"
	it.Answered = time.Date(2025, 3, 10, 15, 4, 5, 600, time.UTC)
	enc := encodeItem(nil, &it)
	const path = "testdata/item_v3.hex"
	if *update {
		if err := os.WriteFile(path, []byte(hex.EncodeToString(enc)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readHex(t, path)
	if !bytes.Equal(enc, want) {
		t.Errorf("item v3 encoding changed (a change needs a new codec version and a migration)")
	}
	got, err = decodeItem(0, want)
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Errorf("v3 golden decode = %+v, %v", got, err)
	}
}

// An item's life record of v1 (before answers were recorded) still
// applies; v2 carries Answered.
func TestLifeCodecVersions(t *testing.T) {
	it := realisticItem("work", 1, model.StateReleased)
	it.Released = time.Date(2025, 3, 10, 11, 0, 0, 0, time.UTC)
	it.Answered = time.Date(2025, 3, 10, 12, 30, 0, 0, time.UTC)
	it.Log = append(it.Log, model.Entry{At: it.Released, Text: "released"})
	body := len(it.Log) - 1
	v2 := encodeLife(&it, body)
	if v2[0] != lifeCodecV2 {
		t.Fatalf("life record version %d, want %d", v2[0], lifeCodecV2)
	}
	got := realisticItem("work", 1, model.StateReleased)
	got.Log = got.Log[:body]
	if err := applyLife(&got, v2); err != nil || !reflect.DeepEqual(got, it) {
		t.Errorf("v2 life = %+v, %v", got, err)
	}
	// v1 is v2 without the answer at the end.
	v1 := append([]byte{lifeCodecV1}, v2[1:len(v2)-len(appendTime(nil, it.Answered))]...)
	got = realisticItem("work", 1, model.StateReleased)
	got.Log = got.Log[:body]
	want := it
	want.Answered = time.Time{}
	if err := applyLife(&got, v1); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("v1 life = %+v, %v", got, err)
	}
}

func readHex(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRejectsDamage(t *testing.T) {
	it := realisticItem("work", 1, model.StateHeld)
	enc := encodeItem(nil, &it)
	// The reason's length: before the (empty) reply key and the answer time.
	reason := len(enc) - len(appendTime(nil, time.Time{})) - 2
	for name, b := range map[string][]byte{
		"empty":      nil,
		"version":    append([]byte{9}, enc[1:]...),
		"truncated":  enc[:len(enc)-3],
		"trailing":   append(bytes.Clone(enc), 0),
		"huge count": append(bytes.Clone(enc[:reason]), 0xff, 0xff, 0xff, 0x7f),
	} {
		if _, err := decodeItem(1, b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestStatsCodec(t *testing.T) {
	d := DayStats{Day: "2025-03-10", FocusMinutes: 50, Held: 40, Released: 38, Quiet: 3, Breakthroughs: 2,
		BudgetHeld: 1, Ignored: 9, Live: 5, CheckinsOnTime: 2, CheckinsLate: 1, CheckinsEarly: 1,
		RepliesOnTime: 4, RepliesLate: 1,
		Waits: []uint32{0, 60, 1<<32 - 1}, WaitsSeen: 3, ReplyWaits: []uint32{3600, 7200}, ReplyWaitsSeen: 2}
	got, err := decodeStats(d.Day, encodeStats(&d))
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("round trip = %+v, %v", got, err)
	}
	// A newer build with one more counter: the known ones still read.
	b := encodeStats(&d)
	counters := d.counters()
	newer := []byte{statsCodecV2, byte(len(counters) + 1)}
	for _, v := range counters {
		newer = append(newer, byte(*v*2)) // zig-zag varint of values below 64: one byte each
	}
	newer = append(newer, 14) // the unknown counter = 7
	newer = append(newer, b[2+len(counters):]...)
	got, err = decodeStats(d.Day, newer)
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("newer record = %+v, %v", got, err)
	}
	// A record of v1 (before replies) reads with no replies.
	old := DayStats{Day: d.Day, Held: 3, Waits: []uint32{5}, WaitsSeen: 1}
	v1 := []byte{statsCodecV1, 11}
	for _, v := range old.counters()[:11] {
		v1 = append(v1, byte(*v*2))
	}
	v1 = append(v1, 1, 1, 5)
	got, err = decodeStats(d.Day, v1)
	if err != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("v1 record = %+v, %v", got, err)
	}
}

func FuzzDecodeItem(f *testing.F) {
	it := realisticItem("work", 1, model.StateReleased)
	f.Add(encodeItem(nil, &it))
	f.Add([]byte{itemCodecV1})
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(1, b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a re-encode unchanged.
		again, err := decodeItem(1, encodeItem(nil, &it))
		if err != nil || !reflect.DeepEqual(again, it) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func TestRealisticItemSize(t *testing.T) {
	it := realisticItem("work", 12345, model.StateHeld)
	t.Logf("realistic item: %d bytes encoded (subject %d, snippet %d, %d log entries)",
		len(encodeItem(nil, &it)), len(it.Subject), len(it.Snippet), len(it.Log))
}
