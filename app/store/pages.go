package store

// Reading a bbolt file without bbolt.
//
// bbolt trusts its file. A truncated file or a flipped byte in a page
// header sends it into an assertion or reading outside its memory map, and
// part of that happens in goroutines bbolt starts itself (the free-page
// scan at Open, Tx.Check), where no recover can catch it: the process dies
// with a stack trace. So before a file is handed to bbolt, Open walks every
// page bbolt could reach from the current meta page, reading through the
// file with every offset checked, and refuses a file that would take bbolt
// out of bounds (verify). The same reader, told to skip what it cannot
// read instead of stopping, salvages a damaged file for Recover.
//
// No library reads bbolt's format other than bbolt itself; the format is
// small and stable (file format version 2 since 2014): a page header, two
// meta pages, branch and leaf pages of fixed-size elements, buckets whose
// value is a root page id or an inline leaf page, and an optional freelist
// page. Values are in the machine's byte order, as bbolt maps them.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
)

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common).
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	metaSize         = 64 // magic, version, page size, flags, root bucket (16), freelist, pgid, txid, checksum
	elemSize         = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	bucketHeaderSize = 16 // root pgid u64, sequence u64
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01
	noFreelist       = ^uint64(0)
	defaultPageSize  = 4096
)

// Limits that keep a damaged header from making the reader allocate or
// recurse without bound. Sluice's values are a few KiB; a B+tree of a few
// million keys is five levels deep.
const (
	maxPageSpan   = 64 << 20
	maxTreeDepth  = 64
	maxProblems   = 20
	minPageSize   = 1024
	maxPageSize   = 1 << 24
	metaProbeLogs = 14 // bbolt looks for the second meta page at 1 KiB << 0..14
)

var ne = binary.NativeEndian

// boltMeta is a decoded meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64 // root bucket's root page
	rootSeq  uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages below it are in use or free
	txid     uint64
}

// parseMeta decodes the meta at b (the bytes after a page header) and
// checks it as bbolt does: magic, version, checksum.
func parseMeta(b []byte) (boltMeta, bool) {
	if len(b) < metaSize {
		return boltMeta{}, false
	}
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if h.Sum64() != ne.Uint64(b[56:]) {
		return boltMeta{}, false
	}
	return boltMeta{
		pageSize: ne.Uint32(b[8:]),
		root:     ne.Uint64(b[16:]),
		rootSeq:  ne.Uint64(b[24:]),
		freelist: ne.Uint64(b[32:]),
		pgid:     ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}, true
}

// pageFile reads pages of a bbolt file through io.ReaderAt.
type pageFile struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	hwm      uint64   // pages at or above it are never read
	free     [][]byte // page buffers to reuse (see release)
}

// release hands back a page from page once nothing points into it, so
// that walking a large file reuses a few buffers instead of leaving one
// per page to the garbage collector.
func (pf *pageFile) release(p []byte) {
	if len(p) == pf.pageSize && len(pf.free) < maxTreeDepth {
		pf.free = append(pf.free, p)
	}
}

func (pf *pageFile) buffer() []byte {
	if n := len(pf.free); n > 0 {
		b := pf.free[n-1]
		pf.free = pf.free[:n-1]
		return b
	}
	return make([]byte, pf.pageSize)
}

// errPage describes a page that cannot be read as what it claims to be.
type errPage struct {
	id  uint64
	msg string
}

func (e *errPage) Error() string { return fmt.Sprintf("page %d: %s", e.id, e.msg) }

// page reads page id with its overflow pages and checks its header.
func (pf *pageFile) page(id uint64) ([]byte, error) {
	if id < 2 || id >= pf.hwm {
		return nil, &errPage{id, fmt.Sprintf("outside the pages in use (2 to %d)", pf.hwm-1)}
	}
	ps := uint64(pf.pageSize)
	off := id * ps
	if off/ps != id || off+ps > uint64(pf.size) {
		return nil, &errPage{id, "lies beyond the end of the file (the file was cut short)"}
	}
	buf := pf.buffer()
	if _, err := pf.r.ReadAt(buf, int64(off)); err != nil {
		pf.release(buf)
		return nil, &errPage{id, "unreadable: " + err.Error()}
	}
	if got := ne.Uint64(buf); got != id {
		pf.release(buf)
		return nil, &errPage{id, fmt.Sprintf("its header names page %d", got)}
	}
	overflow := uint64(ne.Uint32(buf[12:]))
	if overflow == 0 {
		return buf, nil
	}
	span := (overflow + 1) * ps
	switch {
	case id+overflow >= pf.hwm:
		return nil, &errPage{id, fmt.Sprintf("its %d overflow pages run past the pages in use", overflow)}
	case span > maxPageSpan:
		return nil, &errPage{id, fmt.Sprintf("claims %d overflow pages", overflow)}
	case off+span > uint64(pf.size):
		return nil, &errPage{id, "its overflow pages lie beyond the end of the file (the file was cut short)"}
	}
	all := make([]byte, span)
	copy(all, buf)
	pf.release(buf)
	if _, err := pf.r.ReadAt(all[ps:], int64(off+ps)); err != nil {
		return nil, &errPage{id, "unreadable: " + err.Error()}
	}
	return all, nil
}

// leafElem is one element of a leaf page.
type leafElem struct {
	bucket bool
	key    []byte
	value  []byte
}

// leafElems decodes the elements of a leaf page p (a page read from the
// file or an inline bucket's page). An element whose key or value lies
// outside p is reported and skipped.
func leafElems(p []byte, bad func(string)) []leafElem {
	count := int(ne.Uint16(p[10:]))
	if pageHeaderSize+count*elemSize > len(p) {
		bad(fmt.Sprintf("its %d elements do not fit in it", count))
		return nil
	}
	out := make([]leafElem, 0, count)
	for i := range count {
		at := pageHeaderSize + i*elemSize
		e := p[at:]
		flags := ne.Uint32(e[0:])
		start := uint64(at) + uint64(ne.Uint32(e[4:]))
		kend := start + uint64(ne.Uint32(e[8:]))
		vend := kend + uint64(ne.Uint32(e[12:]))
		if vend > uint64(len(p)) {
			bad(fmt.Sprintf("element %d points outside the page", i))
			continue
		}
		out = append(out, leafElem{bucket: flags&bucketLeafFlag != 0, key: p[start:kend], value: p[kend:vend]})
	}
	return out
}

// walker walks B+trees of a pageFile. It records every problem (the
// first maxProblems in words) and skips what it cannot read.
type walker struct {
	pf       *pageFile
	seen     map[uint64]bool // pages reached, to catch loops and shared pages
	problems []string
	nbad     int
}

func newWalker(pf *pageFile) *walker {
	return &walker{pf: pf, seen: map[uint64]bool{}}
}

func (w *walker) bad(msg string) {
	w.nbad++
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, msg)
	}
}

// tree calls leaf for every leaf element of the B+tree rooted at page id,
// in key order. It checks what bbolt's free-page scan at Open checks (and
// panics on): that every key lies in the range its parent gives it, in
// order, lo included and hi excluded (nil: unbounded). It returns the
// subtree's largest key.
func (w *walker) tree(id uint64, depth int, lo, hi []byte, leaf func(leafElem)) []byte {
	p := w.enter(id, depth)
	if p == nil {
		return nil
	}
	defer w.pf.release(p)
	pc := pageCheck{w: w, id: id, hi: hi}
	switch flags := ne.Uint16(p[8:]); flags {
	case branchPageFlag:
		return w.branch(p, pc, depth, lo, leaf)
	case leafPageFlag:
		running := lo
		for i, e := range leafElems(p, pc.bad) {
			pc.order(i, e.key, running)
			running = e.key
			leaf(e)
		}
		return bytes.Clone(running) // p goes back to the pool
	default:
		pc.bad(fmt.Sprintf("not a branch or leaf page (flags %#x)", flags))
		return nil
	}
}

// enter reads page id of a tree at depth and marks it and its overflow
// pages seen; it returns nil (and says why) for a page too deep, read
// before, unreadable or overlapping one in use.
func (w *walker) enter(id uint64, depth int) []byte {
	if depth > maxTreeDepth {
		w.bad(fmt.Sprintf("page %d: the tree is deeper than %d levels", id, maxTreeDepth))
		return nil
	}
	if w.seen[id] {
		w.bad(fmt.Sprintf("page %d: reached twice", id))
		return nil
	}
	p, err := w.pf.page(id)
	if err != nil {
		w.bad(err.Error())
		return nil
	}
	overflow := uint64(ne.Uint32(p[12:]))
	for i := uint64(0); i <= overflow; i++ {
		if w.seen[id+i] {
			w.bad(fmt.Sprintf("page %d: overlaps page %d, which is in use", id, id+i))
			w.pf.release(p)
			return nil
		}
		w.seen[id+i] = true
	}
	return p
}

// pageCheck reports problems of one page of a tree whose keys must lie
// below hi (nil: unbounded).
type pageCheck struct {
	w  *walker
	id uint64
	hi []byte
}

func (c pageCheck) bad(msg string) { c.w.bad(fmt.Sprintf("page %d: %s", c.id, msg)) }

// order checks that key i comes after prev and below hi.
func (c pageCheck) order(i int, key, prev []byte) {
	switch {
	case prev != nil && bytes.Compare(prev, key) > 0, i > 0 && bytes.Equal(prev, key):
		c.bad(fmt.Sprintf("key %d is out of order", i))
	case c.hi != nil && bytes.Compare(key, c.hi) >= 0:
		c.bad(fmt.Sprintf("key %d lies outside the range its parent page gives", i))
	}
}

// branch walks the children of branch page p in order, each with the key
// range its neighbours give it, and returns the largest key found.
func (w *walker) branch(p []byte, pc pageCheck, depth int, lo []byte, leaf func(leafElem)) []byte {
	count := int(ne.Uint16(p[10:]))
	if count == 0 {
		pc.bad("a branch page without elements")
		return nil
	}
	if pageHeaderSize+count*elemSize > len(p) {
		pc.bad(fmt.Sprintf("its %d elements do not fit in it", count))
		return nil
	}
	keys := make([][]byte, count)
	for i := range count {
		at := pageHeaderSize + i*elemSize
		start := uint64(at) + uint64(ne.Uint32(p[at:]))
		end := start + uint64(ne.Uint32(p[at+4:]))
		if end > uint64(len(p)) {
			pc.bad(fmt.Sprintf("element %d points outside the page", i))
			return nil
		}
		keys[i] = p[start:end]
	}
	var maxKey []byte
	running := lo
	for i, key := range keys {
		pc.order(i, key, running)
		next := pc.hi
		if i < count-1 {
			next = keys[i+1]
		}
		at := pageHeaderSize + i*elemSize
		maxKey = w.tree(ne.Uint64(p[at+8:]), depth+1, key, next, leaf)
		running = maxKey
	}
	return maxKey
}

// bucket calls leaf for every element of the bucket whose header is v (a
// bucket element's value): its own tree, or its inline page.
func (w *walker) bucket(name string, v []byte, depth int, leaf func(leafElem)) {
	if len(v) < bucketHeaderSize {
		w.bad(fmt.Sprintf("bucket %q: header of %d bytes", name, len(v)))
		return
	}
	root := ne.Uint64(v)
	if root != 0 {
		w.tree(root, depth+1, nil, nil, leaf)
		return
	}
	inline := v[bucketHeaderSize:]
	bad := func(msg string) { w.bad(fmt.Sprintf("bucket %q (inline): %s", name, msg)) }
	if len(inline) < pageHeaderSize {
		bad("shorter than a page header")
		return
	}
	if flags := ne.Uint16(inline[8:]); flags != leafPageFlag {
		bad(fmt.Sprintf("not a leaf page (flags %#x)", flags))
		return
	}
	for _, e := range leafElems(inline, bad) {
		leaf(e)
	}
}

// all walks every bucket under the tree at root, to any depth, as bbolt's
// own check does.
func (w *walker) all(root uint64) {
	var visit func(path string, depth int) func(leafElem)
	visit = func(path string, depth int) func(leafElem) {
		return func(e leafElem) {
			if e.bucket {
				name := path + "/" + string(e.key)
				w.bucket(name, e.value, depth, visit(name, depth+1))
			}
		}
	}
	w.tree(root, 0, nil, nil, visit("", 0))
}

// fileMetas finds the page size and the meta pages as bbolt does: the
// first meta page names the page size; if it is unreadable the second is
// looked for at every page size bbolt supports.
func fileMetas(r io.ReaderAt, size int64) (pageSize int, metas []boltMeta) {
	read := func(off int64) (boltMeta, bool) {
		b := make([]byte, pageHeaderSize+metaSize)
		if off+int64(len(b)) > size {
			return boltMeta{}, false
		}
		if _, err := r.ReadAt(b, off); err != nil {
			return boltMeta{}, false
		}
		if ne.Uint16(b[8:]) != metaPageFlag {
			return boltMeta{}, false
		}
		return parseMeta(b[pageHeaderSize:])
	}
	if m, ok := read(0); ok {
		pageSize = int(m.pageSize)
	} else {
		for i := 0; i <= metaProbeLogs; i++ {
			if m, ok := read(int64(minPageSize) << i); ok && int(m.pageSize) == minPageSize<<i {
				pageSize = int(m.pageSize)
				break
			}
		}
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return 0, nil
	}
	for i := int64(0); i < 2; i++ {
		if m, ok := read(i * int64(pageSize)); ok && int(m.pageSize) == pageSize {
			metas = append(metas, m)
		}
	}
	// The current meta first: bbolt uses the valid one with the higher txid.
	sort.SliceStable(metas, func(i, j int) bool { return metas[i].txid > metas[j].txid })
	return pageSize, metas
}

// errNoMeta means neither meta page of the file is readable.
var errNoMeta = errors.New("neither of its two header (meta) pages is valid: the file is not a Sluice store, or its start was overwritten")

// checkMeta checks the numbers in a meta page that bbolt takes on trust.
func checkMeta(m boltMeta) error {
	switch {
	case m.pgid < 3:
		return fmt.Errorf("meta page: %d pages in use", m.pgid)
	case m.root < 2 || m.root >= m.pgid:
		return fmt.Errorf("meta page: root page %d outside the pages in use (2 to %d)", m.root, m.pgid-1)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return fmt.Errorf("meta page: freelist page %d outside the pages in use", m.freelist)
	}
	return nil
}

// verify reports every reason why bbolt could not safely use the file: a
// missing or inconsistent meta page, and any page it could reach that is
// out of bounds, of the wrong kind, reached twice or also listed as free.
// An empty result means bbolt can open the file and read all of it without
// leaving its pages. The second result counts the problems (verify lists
// only the first maxProblems).
func verify(r io.ReaderAt, size int64) ([]string, int) {
	pageSize, metas := fileMetas(r, size)
	if len(metas) == 0 {
		return []string{errNoMeta.Error()}, 1
	}
	m := metas[0]
	if err := checkMeta(m); err != nil {
		return []string{err.Error()}, 1
	}
	w := newWalker(&pageFile{r: r, size: size, pageSize: pageSize, hwm: m.pgid})
	w.all(m.root)
	if m.freelist != noFreelist {
		w.freelist(m.freelist)
	}
	return w.problems, w.nbad
}

// freelist checks a freelist page: bbolt reads it at Open, and hands its
// pages out for new data, so a page both free and in use would be
// overwritten while still in use.
func (w *walker) freelist(id uint64) {
	p, err := w.pf.page(id)
	if err != nil {
		w.bad("freelist " + err.Error())
		return
	}
	if flags := ne.Uint16(p[8:]); flags != freelistPageFlag {
		w.bad(fmt.Sprintf("page %d: the freelist page has flags %#x", id, flags))
		return
	}
	overflow := uint64(ne.Uint32(p[12:]))
	for i := uint64(0); i <= overflow; i++ {
		if w.seen[id+i] {
			w.bad(fmt.Sprintf("page %d: the freelist overlaps a page in use", id))
			return
		}
		w.seen[id+i] = true
	}
	start, count := pageHeaderSize, uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			w.bad(fmt.Sprintf("page %d: a freelist page too short for its count", id))
			return
		}
		count = ne.Uint64(p[pageHeaderSize:])
		start += 8
	}
	if count > uint64(len(p)-start)/8 {
		w.bad(fmt.Sprintf("page %d: the freelist's %d entries do not fit in it", id, count))
		return
	}
	free := make(map[uint64]bool, count)
	for i := range count {
		f := ne.Uint64(p[start+int(i)*8:])
		switch {
		case f < 2 || f >= w.pf.hwm:
			w.bad(fmt.Sprintf("page %d: the freelist names page %d, outside the pages in use", id, f))
		case free[f]:
			w.bad(fmt.Sprintf("page %d: the freelist names page %d twice", id, f))
		case w.seen[f]:
			w.bad(fmt.Sprintf("page %d: the freelist names page %d, which is in use", id, f))
		}
		free[f] = true
	}
}
