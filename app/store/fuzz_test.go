package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// fuzzStore is the sound store every fuzz input damages: a few hundred
// items in every state, with a cursor, stats, a tombstone and gate state.
var fuzzStore struct {
	once  sync.Once
	bytes []byte
	ids   []string
	page  int
}

func fuzzTemplate(t testing.TB) ([]byte, []string) {
	fuzzStore.once.Do(func() {
		f := newDamageFixture(t, 150)
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		fuzzStore.bytes, fuzzStore.page = b, f.page
		for id := range f.items {
			fuzzStore.ids = append(fuzzStore.ids, id)
		}
	})
	if fuzzStore.bytes == nil {
		t.Fatal("no template store")
	}
	return fuzzStore.bytes, fuzzStore.ids
}

// damage applies a fuzz input to a copy of the template: flips is read as
// 5-byte records (a little-endian offset, taken modulo the size, and a
// byte to XOR there), then the file is cut to cut bytes (modulo its size)
// unless cut is 0.
func damage(tmpl []byte, cut uint32, flips []byte) []byte {
	b := append([]byte(nil), tmpl...)
	for ; len(flips) >= 5; flips = flips[5:] {
		off := binary.LittleEndian.Uint32(flips) % uint32(len(b))
		x := flips[4]
		if x == 0 {
			x = 0xFF
		}
		b[off] ^= x
	}
	if cut != 0 {
		b = b[:cut%uint32(len(b))]
	}
	return b
}

// flip is a fuzz record that XORs x at off.
func flip(off int, x byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(off)), x)
}

// FuzzOpenDamaged opens randomly damaged store files. Whatever the damage,
// Open returns a store or an error naming the file, never a panic; every
// call on a store that opened returns; Check reports; and Recover always
// leaves a sound store behind.
func FuzzOpenDamaged(f *testing.F) {
	tmpl, _ := fuzzTemplate(f)
	page := fuzzStore.page
	f.Add(uint32(0), []byte{})                                                           // sound
	f.Add(uint32(len(tmpl)/2), []byte{})                                                 // cut in half
	f.Add(uint32(page+100), []byte{})                                                    // one meta page left
	f.Add(uint32(0), flip(16, 1))                                                        // first meta page
	f.Add(uint32(0), append(flip(16, 1), flip(page+16, 1)...))                           // both meta pages
	f.Add(uint32(0), flip(2*page, 0x40))                                                 // a page header's id
	f.Add(uint32(0), flip(3*page+8, 0x03))                                               // a page header's flags
	f.Add(uint32(0), flip(4*page+10, 0x7f))                                              // a page's element count
	f.Add(uint32(0), flip(5*page+20, 0x80))                                              // an element's position
	f.Add(uint32(0), append(flip(len(tmpl)-page+600, 0x11), flip(len(tmpl)/3, 0x22)...)) // values
	f.Fuzz(func(t *testing.T, cut uint32, flips []byte) {
		tmpl, ids := fuzzTemplate(t)
		path := filepath.Join(t.TempDir(), "sluice.db")
		if err := os.WriteFile(path, damage(tmpl, cut, flips), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{NoSync: true, Timeout: 10 * time.Millisecond})
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
		} else {
			exercise(s, ids)
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
		if _, err := Check(path, Options{Timeout: 10 * time.Millisecond}); err != nil {
			t.Fatalf("check: %v", err)
		}
		rec, err := Recover(path, t0, Options{Timeout: 10 * time.Millisecond, NoSync: true})
		if err != nil {
			t.Fatalf("recover: %v", err)
		}
		r, err := Check(path, Options{Timeout: 10 * time.Millisecond})
		if err != nil || !r.OK() || r.Items() != rec.Items() {
			t.Fatalf("after recovery: %d items (recovered %d), problems %q, %v", r.Items(), rec.Items(), r.Problems, err)
		}
	})
}

// exercise calls every kind of read and write; errors are fine, panics
// are not.
func exercise(s *Store, ids []string) {
	for _, st := range states {
		_ = s.List(st, func(model.Item) bool { return true })
		_ = s.ListReverse(st, func(model.Item) bool { return true })
		_, _ = s.Count(st)
	}
	for _, id := range ids[:min(5, len(ids))] {
		_, _ = s.Get(id)
		_, _ = s.Has(id[:6])
	}
	_, _ = s.Cursor("mail", "INBOX")
	_, _ = s.Cursors("mail")
	_, _ = s.Stats("2025-03-01", "2025-03-31")
	_, _ = s.GateState()
	_, _ = s.Put([]model.Item{simpleItem("fuzz", 1)}, []model.Cursor{{Account: "fuzz", Key: "k", Value: []byte("1")}})
	_, _ = s.Release(t0, "", "2025-03-10")
	if len(ids) > 0 {
		_, _ = s.MarkDone(ids[:1], t0, nil)
		_, _ = s.Update(ids[len(ids)-1], func(it *model.Item) error { it.State = model.StateHeld; return nil })
	}
	_, _ = s.MarkAllDone(t0, nil)
	_, _ = s.Prune(t0.Add(time.Hour))
	_ = s.SetGateState([]byte("{}"))
	_ = s.DeleteAccount("mail")
}

// TestFuzzSeedsDamage makes sure the seed corpus damages what it says: the
// seeds other than the first make Open fail or Check complain.
func TestFuzzSeedsDamage(t *testing.T) {
	tmpl, _ := fuzzTemplate(t)
	path := filepath.Join(t.TempDir(), "sluice.db")
	if err := os.WriteFile(path, damage(tmpl, uint32(len(tmpl)/2), nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("the half store opened: %v", err)
	}
}
