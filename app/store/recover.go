package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Recovered is what Recover saved.
type Recovered struct {
	Path    string // the fresh store, where the damaged one was
	Damaged string // where the damaged file now is

	Held, Released, Done int // items saved, by state
	Cursors, Days        int
	Tombstones           int
	Bodies               int // whole texts (Item.Body) saved with their items
	Calendars            int // calendar accounts whose busy time was saved
	GateState            bool

	// Found is how many of the saved items were found outside the
	// store's tree (on pages a damaged page cut off, or via the older of
	// the two meta pages); they come back in the state their body last
	// recorded.
	Found int
	// Expected is how many items the damaged store's counters said it
	// held, or -1 when the counters were unreadable.
	Expected int
	// Unreadable counts damaged pages and undecodable values skipped;
	// Problems names the first of them.
	Unreadable int
	Problems   []string
}

// Items is how many items were saved.
func (r *Recovered) Items() int { return r.Held + r.Released + r.Done }

// Recover moves the damaged store at path aside, to path.damaged-DATE
// (DATE from now), and copies everything readable from it into a fresh
// store at path: items with their state and decision log, the id log and
// the state indices (rebuilt from the items, so they agree), cursors,
// tombstones, daily stats, the calendars' busy time and the gate's state.
// Items are looked for in the tree of the current meta page, then of the
// older one, then on every leaf page no tree reaches, so a damaged branch
// page does not lose the items below it. It refuses with ErrLocked while a running Sluice holds
// the file (after opt.Timeout), and leaves the file as it was when anything
// fails before the fresh store is complete. opt.NoSync is for tests.
//
// A cursor is kept even when items it produced were lost: dropping it would
// make the connector skip (or import afresh) what arrived meanwhile.
func Recover(path string, now time.Time, opt Options) (*Recovered, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	ok, err := waitLock(f, true, opt.Timeout)
	if err != nil {
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	if !ok {
		return nil, &lockedError{path: path}
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	var sv *salvaged
	err = guarded(func() error { sv = salvage(f, fi.Size()); return nil })
	if err != nil {
		return nil, err
	}

	tmp := path + ".recovering"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove an earlier attempt: %w", err)
	}
	rec, err := sv.write(tmp, now, opt.NoSync)
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("write the fresh store: %w", err)
	}
	rec.Path = path
	if rec.Damaged, err = keepAside(f, path, now); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	// Close (and unlock) before the rename: Windows renames only files
	// nobody has open.
	_ = f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("put the fresh store in place (the damaged file is kept as %s): %w", rec.Damaged, err)
	}
	return rec, nil
}

// keepAside keeps a copy of the damaged file next to it, as a hard link
// when the file system has them, and returns its name. The original stays
// where it is until the fresh store replaces it in one rename, so that a
// Sluice starting meanwhile never finds the path empty.
func keepAside(f *os.File, path string, now time.Time) (string, error) {
	base := path + ".damaged-" + now.Format("2006-01-02T150405")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Link(path, name); err == nil {
		return name, nil
	}
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("keep the damaged file: %w", err)
	}
	_, err = io.Copy(out, io.NewSectionReader(f, 0, 1<<62))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("keep the damaged file as %s: %w", name, err)
	}
	return name, nil
}

// salvaged is what could be read from a damaged file.
type salvaged struct {
	items      map[uint64]model.Item
	orphan     map[uint64]bool // items not from the current tree
	cursors    map[string][]byte
	stats      map[string][]byte
	tombs      map[string][]byte
	bodies     map[string][]byte // seq key → Item.Body, kept for the items that are kept
	busy       map[string][]byte // calendar account → its busy time
	replies    map[string][]byte // account \x00 reply key → the user's replies
	gate       []byte
	sequence   uint64 // the items bucket's sequence
	expected   int
	unreadable int
	problems   []string
}

func (sv *salvaged) bad(msg string) {
	sv.unreadable++
	if len(sv.problems) < maxProblems {
		sv.problems = append(sv.problems, msg)
	}
}

// bucketData is one bucket's entries as read from one tree.
type bucketData struct {
	entries map[string][]byte
	seq     uint64 // the bucket's sequence
	clean   bool   // read without a problem
}

// salvage reads what it can of a store file.
func salvage(r io.ReaderAt, size int64) *salvaged {
	sv := &salvaged{items: map[uint64]model.Item{}, orphan: map[uint64]bool{}, cursors: map[string][]byte{}, stats: map[string][]byte{},
		tombs: map[string][]byte{}, bodies: map[string][]byte{}, busy: map[string][]byte{}, replies: map[string][]byte{}, expected: -1}
	pageSize, metas := fileMetas(r, size)
	if pageSize == 0 {
		pageSize = defaultPageSize
		sv.bad(errNoMeta.Error())
	}
	f := sv.readTrees(r, size, pageSize, metas)
	sv.takeRecords(f.trees)
	// Items of the current tree.
	if f.cur != nil {
		if b := f.cur[string(bucketItems)]; b != nil {
			for k, v := range b.entries {
				sv.addItem([]byte(k), v)
			}
		}
	}
	life := map[string][]byte{}
	for _, t := range f.trees {
		fill(life, t[string(bucketLife)])
	}
	sv.findLost(r, size, pageSize, f)
	sv.settle(life)
	return sv
}

// forest is what salvage read of a file's trees, one per readable meta
// page.
type forest struct {
	trees []map[string]*bucketData // by meta, the current first
	cur   map[string]*bucketData   // the current meta's, if it is usable
	older []map[string]*bucketData // the trees but the current one
	seen  map[uint64]bool          // pages the trees reach
	hwm   uint64                   // the highest page any meta or the size knows
}

// readTrees reads the bucket tree of every meta page; the current one's
// problems are the file's.
func (sv *salvaged) readTrees(r io.ReaderAt, size int64, pageSize int, metas []boltMeta) forest {
	f := forest{hwm: uint64(size) / uint64(pageSize), seen: map[uint64]bool{}}
	for i, m := range metas {
		if err := checkMeta(m); err != nil {
			sv.bad(err.Error())
			continue
		}
		w := newWalker(&pageFile{r: r, size: size, pageSize: pageSize, hwm: m.pgid})
		t := readBuckets(w, m.root)
		f.trees = append(f.trees, t)
		if i == 0 {
			f.cur = t
			for _, p := range w.problems {
				sv.bad(p)
			}
			sv.unreadable += w.nbad - len(w.problems)
		}
		for id := range w.seen {
			f.seen[id] = true
		}
		f.hwm = max(f.hwm, m.pgid)
	}
	f.older = f.trees
	if f.cur != nil {
		f.older = f.trees[1:]
	}
	return f
}

// takeRecords keeps everything but items: the current tree first, the
// older ones fill gaps.
func (sv *salvaged) takeRecords(trees []map[string]*bucketData) {
	for _, t := range trees {
		fill(sv.cursors, t[string(bucketCursors)])
		fill(sv.stats, t[string(bucketStats)])
		fill(sv.tombs, t[string(bucketTombs)])
		fill(sv.bodies, t[string(bucketBodies)])
		fill(sv.busy, t[string(bucketBusy)])
		fill(sv.replies, t[string(bucketReplies)])
		if g := t[string(bucketGate)]; g != nil && sv.gate == nil {
			sv.gate = g.entries[string(keyGateState)]
		}
		if b := t[string(bucketItems)]; b != nil {
			sv.sequence = max(sv.sequence, b.seq)
		}
		if m := t[string(bucketMeta)]; m != nil && sv.expected < 0 {
			n, ok := 0, true
			for _, st := range states {
				v, has := m.entries[string(countKey(st))]
				ok = ok && has && len(v) == 8
				if ok {
					n += int(binary.BigEndian.Uint64(v))
				}
			}
			if ok {
				sv.expected = n
			}
		}
	}
}

// findLost looks for items the current tree lost, in the older trees and
// in pages no tree reaches. Items found elsewhere count only if the
// current tree lost some: an older copy of an item the tree holds is
// stale, and one the tree does not hold was deleted, unless the tree is
// damaged. When the id log is intact it says which items were lost;
// otherwise a tombstone says which were pruned.
func (sv *salvaged) findLost(r io.ReaderAt, size int64, pageSize int, f forest) {
	cur := f.cur
	complete := cur != nil && cur[string(bucketItems)] != nil && cur[string(bucketItems)].clean
	if complete {
		return
	}
	var idLog map[string][]byte
	if cur != nil && cur[string(bucketIDs)] != nil && cur[string(bucketIDs)].clean {
		idLog = cur[string(bucketIDs)].entries
	}
	accept := func(it model.Item) bool {
		if idLog != nil {
			k, _ := parseID(it.ID)
			return bytes.Equal(idLog[string(seqKey(it.Seq))], k[:])
		}
		return sv.tombs[it.ID] == nil
	}
	for _, t := range f.older {
		if b := t[string(bucketItems)]; b != nil {
			for k, v := range b.entries {
				sv.addOrphan([]byte(k), v, accept)
			}
		}
	}
	pf := &pageFile{r: r, size: size, pageSize: pageSize, hwm: f.hwm}
	for id := uint64(2); id < f.hwm; id++ {
		if f.seen[id] {
			continue
		}
		p, err := pf.page(id)
		if err != nil {
			continue
		}
		if ne.Uint16(p[8:]) != leafPageFlag {
			pf.release(p)
			continue
		}
		for _, e := range leafElems(p, func(string) {}) {
			if !e.bucket && len(e.key) == 8 {
				sv.addOrphan(e.key, e.value, accept)
			}
		}
		id += uint64(ne.Uint32(p[12:]))
		pf.release(p)
	}
}

// settle keeps one item per id and applies the state records.
func (sv *salvaged) settle(life map[string][]byte) {
	byID := map[string]uint64{}
	for _, seq := range slices.Sorted(mapsKeys(sv.items)) {
		it := sv.items[seq]
		if other, dup := byID[it.ID]; dup {
			sv.bad(fmt.Sprintf("item %d repeats the id of item %d; kept the first", seq, other))
			delete(sv.items, seq)
			continue
		}
		byID[it.ID] = seq
		if l := life[string(seqKey(seq))]; l != nil {
			withLife := it
			withLife.Log = slices.Clone(it.Log)
			if err := applyLife(&withLife, l); err != nil || !validState(withLife.State) {
				sv.bad(fmt.Sprintf("item %d: its state record is unreadable; it keeps the state it was stored with", seq))
			} else {
				it = withLife
			}
		}
		sv.items[seq] = it
	}
}

// mapsKeys is maps.Keys for a map keyed by seq.
func mapsKeys(m map[uint64]model.Item) func(func(uint64) bool) {
	return func(yield func(uint64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func fill(dst map[string][]byte, b *bucketData) {
	if b == nil {
		return
	}
	for k, v := range b.entries {
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
}

// decodeStored decodes an items-bucket entry, or reports why not.
func decodeStored(k, v []byte) (model.Item, error) {
	if len(k) != 8 {
		return model.Item{}, fmt.Errorf("items: key of %d bytes", len(k))
	}
	it, err := decodeItem(keySeq(k), v)
	if err != nil {
		return it, err
	}
	if _, ok := parseID(it.ID); !ok || !validState(it.State) || it.Seq == 0 {
		return it, fmt.Errorf("item %d: not an item Sluice wrote", it.Seq)
	}
	return it, nil
}

func (sv *salvaged) addItem(k, v []byte) {
	it, err := decodeStored(k, v)
	if err != nil {
		sv.bad(err.Error())
		return
	}
	sv.items[it.Seq] = it
}

// addOrphan adds an item found outside the current tree, unless the tree
// has it; of two copies the one with the longer log is the newer.
func (sv *salvaged) addOrphan(k, v []byte, accept func(model.Item) bool) {
	it, err := decodeStored(k, v)
	if err != nil {
		return // not an item: index entries, id log, state records share the key shape
	}
	if have, ok := sv.items[it.Seq]; ok {
		if sv.orphan[it.Seq] && have.ID == it.ID && len(it.Log) > len(have.Log) {
			sv.items[it.Seq] = it
		}
		return
	}
	if !accept(it) {
		return
	}
	sv.items[it.Seq] = it
	sv.orphan[it.Seq] = true
}

// readBuckets reads Sluice's buckets from the tree at root.
func readBuckets(w *walker, root uint64) map[string]*bucketData {
	known := map[string]bool{}
	for _, b := range allBuckets {
		known[string(b)] = true
	}
	out := map[string]*bucketData{}
	w.tree(root, 0, nil, nil, func(e leafElem) {
		name := string(e.key)
		if !e.bucket || !known[name] {
			return
		}
		b := &bucketData{entries: map[string][]byte{}}
		if len(e.value) >= bucketHeaderSize {
			b.seq = ne.Uint64(e.value[8:])
		}
		before := w.nbad
		w.bucket(name, e.value, 0, func(e leafElem) {
			if !e.bucket {
				b.entries[string(e.key)] = bytes.Clone(e.value)
			}
		})
		b.clean = w.nbad == before
		out[name] = b
	})
	return out
}

// write makes a fresh store at path from what was salvaged.
func (sv *salvaged) write(path string, now time.Time, noSync bool) (*Recovered, error) {
	rec := &Recovered{Expected: sv.expected, Unreadable: sv.unreadable, Problems: sv.problems}
	s, err := Open(path, Options{NoSync: noSync})
	if err != nil {
		return nil, err
	}
	err = s.update(func(w *wtx) error {
		if err := sv.writeItems(w, rec, now); err != nil {
			return err
		}
		return sv.writeRecords(w, rec)
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// writeItems writes the salvaged items with their id log entries and
// bodies, counting them by state, and the items bucket's sequence.
func (sv *salvaged) writeItems(w *wtx, rec *Recovered, now time.Time) error {
	seqs := slices.Sorted(mapsKeys(sv.items))
	for _, seq := range seqs {
		it := sv.items[seq]
		if sv.orphan[seq] {
			rec.Found++
			it.Logf(now, "recovered from a damaged store: found outside its tree, in the state it was stored with")
		}
		if err := w.put(&it, 0); err != nil {
			return err
		}
		k, _ := parseID(it.ID)
		if err := w.idLog.Put(seqKey(seq), bytes.Clone(k[:])); err != nil {
			return err
		}
		if body, ok := sv.bodies[string(seqKey(seq))]; ok {
			if err := w.tx.Bucket(bucketBodies).Put(seqKey(seq), bytes.Clone(body)); err != nil {
				return err
			}
			rec.Bodies++
		}
		switch it.State {
		case model.StateHeld:
			rec.Held++
		case model.StateReleased:
			rec.Released++
		case model.StateDone:
			rec.Done++
		}
	}
	if len(seqs) > 0 {
		sv.sequence = max(sv.sequence, seqs[len(seqs)-1])
	}
	return w.items.SetSequence(sv.sequence)
}

// writeRecords writes everything but items that reads back: cursors,
// stats, busy time, tombstones and the gate's state.
func (sv *salvaged) writeRecords(w *wtx, rec *Recovered) error {
	put := func(bucket []byte, k string, v []byte) error {
		return w.tx.Bucket(bucket).Put([]byte(k), bytes.Clone(v))
	}
	for k, v := range sv.cursors {
		if i := strings.IndexByte(k, 0); i <= 0 {
			continue
		}
		if err := put(bucketCursors, k, v); err != nil {
			return err
		}
		rec.Cursors++
	}
	for k, v := range sv.stats {
		if checkDay(k) != nil {
			continue
		}
		if _, err := decodeStats(k, v); err != nil {
			continue
		}
		if err := put(bucketStats, k, v); err != nil {
			return err
		}
		rec.Days++
	}
	// The calendars' busy time is copied, so a meeting under way keeps
	// holding from the first minute. It is a cache of what the account's
	// "calendar" cursor (copied above) holds: the source's first
	// successful poll after start recomputes it from that cursor and
	// writes it again, so a copy from the older tree, or one that
	// disagrees with the cursor, lasts until then. An unreadable one is
	// dropped: that poll refills it.
	for k, v := range sv.busy {
		if checkAccount(k) != nil {
			continue
		}
		if _, err := decodeBusy(v); err != nil {
			continue
		}
		if err := put(bucketBusy, k, v); err != nil {
			return err
		}
		rec.Calendars++
	}
	// The user's replies are copied so an item still to arrive meets the
	// reply sent before it; the reply index is rebuilt by put.
	for k, v := range sv.replies {
		if i := strings.IndexByte(k, 0); i <= 0 {
			continue
		}
		if _, err := decodeReplies(v); err != nil {
			continue
		}
		if err := put(bucketReplies, k, v); err != nil {
			return err
		}
	}
	for k, v := range sv.tombs {
		if _, ok := parseID(k); !ok || len(v) != 8 {
			continue
		}
		if err := put(bucketTombs, k, v); err != nil {
			return err
		}
		rec.Tombstones++
	}
	if sv.gate != nil {
		rec.GateState = true
		return put(bucketGate, string(keyGateState), sv.gate)
	}
	return nil
}
