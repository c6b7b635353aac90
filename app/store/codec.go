package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// Values are encoded by hand: a version byte, then varints and
// length-prefixed strings. It is several times smaller and faster than
// encoding/json, and the version byte lets a later schema migration tell
// old values from new ones.
const (
	itemCodecV1  = 1
	itemCodecV2  = 2 // v1 and then the source's reason (Item.Reason)
	itemCodecV3  = 3 // v2 and then the reply key and when it was answered
	lifeCodecV1  = 1
	lifeCodecV2  = 2 // v1 and then when the item was answered
	statsCodecV1 = 1
	statsCodecV2 = 2 // v1 and then the reply-time samples
)

// Flag bits of an encoded item.
const (
	flagDirect = 1 << iota
	flagMentionsMe
	flagUrgentHint
	flagBreakthrough
)

var errShort = errors.New("truncated value")

// encodeItem appends the item's encoding to dst. Seq is not encoded: it is
// the item's key.
func encodeItem(dst []byte, it *model.Item) []byte {
	dst = append(dst, itemCodecV3)
	for _, s := range [...]string{
		it.ID, string(it.Kind), it.Account, it.SourceID, it.Channel, it.Thread,
		it.FromName, it.FromAddr, it.Subject, it.Snippet, it.Link, it.Rule,
	} {
		dst = appendString(dst, s)
	}
	var flags byte
	if it.Direct {
		flags |= flagDirect
	}
	if it.MentionsMe {
		flags |= flagMentionsMe
	}
	if it.UrgentHint {
		flags |= flagUrgentHint
	}
	if it.Breakthrough {
		flags |= flagBreakthrough
	}
	dst = append(dst, flags, byte(it.Action), byte(it.State))
	for _, t := range [...]time.Time{it.Received, it.Ingested, it.Released, it.Done} {
		dst = appendTime(dst, t)
	}
	dst = binary.AppendUvarint(dst, uint64(len(it.Log)))
	for _, e := range it.Log {
		dst = appendTime(dst, e.At)
		dst = appendString(dst, e.Text)
	}
	dst = appendString(dst, it.Reason)
	dst = appendString(dst, it.ReplyKey)
	return appendTime(dst, it.Answered)
}

// decodeItem decodes an item stored under seq. Every string is copied, so
// the result stays valid after the transaction that read b ends.
func decodeItem(seq uint64, b []byte) (model.Item, error) {
	var it model.Item
	d := decoder{b: b}
	v := d.byte()
	if d.err == nil && (v < itemCodecV1 || v > itemCodecV3) {
		return it, fmt.Errorf("item %d: unknown encoding version %d", seq, v)
	}
	it.Seq = seq
	it.ID = d.string()
	it.Kind = model.Kind(d.string())
	it.Account = d.string()
	it.SourceID = d.string()
	it.Channel = d.string()
	it.Thread = d.string()
	it.FromName = d.string()
	it.FromAddr = d.string()
	it.Subject = d.string()
	it.Snippet = d.string()
	it.Link = d.string()
	it.Rule = d.string()
	flags := d.byte()
	it.Direct = flags&flagDirect != 0
	it.MentionsMe = flags&flagMentionsMe != 0
	it.UrgentHint = flags&flagUrgentHint != 0
	it.Breakthrough = flags&flagBreakthrough != 0
	it.Action = model.Action(d.byte())
	it.State = model.State(d.byte())
	it.Received = d.time()
	it.Ingested = d.time()
	it.Released = d.time()
	it.Done = d.time()
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) { // every entry takes at least one byte
			return it, fmt.Errorf("item %d: %w", seq, errShort)
		}
		it.Log = make([]model.Entry, n)
		for i := range it.Log {
			it.Log[i].At = d.time()
			it.Log[i].Text = d.string()
		}
	}
	if v >= itemCodecV2 {
		it.Reason = d.string()
	}
	if v >= itemCodecV3 {
		it.ReplyKey = d.string()
		it.Answered = d.time()
	}
	if d.err != nil {
		return it, fmt.Errorf("item %d: %w", seq, d.err)
	}
	if len(d.b) != 0 {
		return it, fmt.Errorf("item %d: %d trailing bytes", seq, len(d.b))
	}
	return it, nil
}

// encodeLife encodes the part of an item that changes after ingest: its
// state, Released and Done, the log entries after the first bodyLog
// (those are in the item's body already), and when it was answered.
func encodeLife(it *model.Item, bodyLog int) []byte {
	extra := it.Log[bodyLog:]
	n := 3 + 3*15 + 1
	for _, e := range extra {
		n += 15 + 2 + len(e.Text)
	}
	b := make([]byte, 0, n)
	b = append(b, lifeCodecV2, byte(it.State))
	b = appendTime(b, it.Released)
	b = appendTime(b, it.Done)
	b = binary.AppendUvarint(b, uint64(len(extra)))
	for _, e := range extra {
		b = appendTime(b, e.At)
		b = appendString(b, e.Text)
	}
	return appendTime(b, it.Answered)
}

// applyLife decodes a life record onto the item read from its body.
func applyLife(it *model.Item, b []byte) error {
	d := decoder{b: b}
	v := d.byte()
	if d.err == nil && v != lifeCodecV1 && v != lifeCodecV2 {
		return fmt.Errorf("item %d state: unknown encoding version %d", it.Seq, v)
	}
	it.State = model.State(d.byte())
	it.Released = d.time()
	it.Done = d.time()
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) {
			return fmt.Errorf("item %d state: %w", it.Seq, errShort)
		}
		it.Log = slices.Grow(it.Log, int(n))
		for range n {
			it.Log = append(it.Log, model.Entry{At: d.time(), Text: d.string()})
		}
	}
	if v >= lifeCodecV2 {
		it.Answered = d.time()
	}
	if d.err != nil {
		return fmt.Errorf("item %d state: %w", it.Seq, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("item %d state: %d trailing bytes", it.Seq, len(d.b))
	}
	return nil
}

// itemSize is an upper bound of an item's encoded size, so encodeItem
// allocates once.
func itemSize(it *model.Item) int {
	n := 1 + 12*binary.MaxVarintLen32 + 3 + 4*15 + binary.MaxVarintLen32 +
		len(it.ID) + len(it.Kind) + len(it.Account) + len(it.SourceID) + len(it.Channel) + len(it.Thread) +
		len(it.FromName) + len(it.FromAddr) + len(it.Subject) + len(it.Snippet) + len(it.Link) + len(it.Rule) +
		binary.MaxVarintLen32 + len(it.Reason) + binary.MaxVarintLen32 + len(it.ReplyKey) + 15
	for _, e := range it.Log {
		n += 15 + binary.MaxVarintLen32 + len(e.Text)
	}
	return n
}

// encodeStats encodes a day's stats; the day itself is the key.
func encodeStats(d *DayStats) []byte {
	b := make([]byte, 0, 64+3*len(d.Waits)+3*len(d.ReplyWaits))
	b = append(b, statsCodecV2)
	counters := d.counters()
	b = binary.AppendUvarint(b, uint64(len(counters)))
	for _, v := range counters {
		b = binary.AppendVarint(b, int64(*v))
	}
	b = binary.AppendUvarint(b, d.WaitsSeen)
	b = binary.AppendUvarint(b, uint64(len(d.Waits)))
	for _, w := range d.Waits {
		b = binary.AppendUvarint(b, uint64(w))
	}
	b = binary.AppendUvarint(b, d.ReplyWaitsSeen)
	b = binary.AppendUvarint(b, uint64(len(d.ReplyWaits)))
	for _, w := range d.ReplyWaits {
		b = binary.AppendUvarint(b, uint64(w))
	}
	return b
}

func decodeStats(day string, b []byte) (DayStats, error) {
	ds := DayStats{Day: day}
	d := decoder{b: b}
	v := d.byte()
	if d.err == nil && v != statsCodecV1 && v != statsCodecV2 {
		return ds, fmt.Errorf("stats %s: unknown encoding version %d", day, v)
	}
	// A newer build may store more counters: unknown ones are skipped,
	// missing ones stay zero.
	counters := ds.counters()
	for i, n := 0, d.uvarint(); uint64(i) < n && d.err == nil; i++ {
		v := d.varint()
		if i < len(counters) {
			*counters[i] = int(v)
		}
	}
	ds.WaitsSeen = d.uvarint()
	ds.Waits = d.samples()
	if v >= statsCodecV2 {
		ds.ReplyWaitsSeen = d.uvarint()
		ds.ReplyWaits = d.samples()
	}
	if d.err != nil {
		return ds, fmt.Errorf("stats %s: %w", day, d.err)
	}
	if len(d.b) != 0 {
		return ds, fmt.Errorf("stats %s: %d trailing bytes", day, len(d.b))
	}
	return ds, nil
}

// samples reads a count and that many uint32 values (nil for none).
func (d *decoder) samples() []uint32 {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		w := d.uvarint()
		if w > math.MaxUint32 {
			d.fail(errors.New("wait out of range"))
		}
		out[i] = uint32(w)
	}
	return out
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendTime stores seconds and nanoseconds since the Unix epoch. The zero
// time encodes like any other instant and decodes back to time.Time{}.
// The zone is not kept: times come back in UTC.
func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// decoder reads a value front to back and remembers the first error, so
// decode functions read like the encoders and check once at the end.
// Strings are cut from one copy of the whole value (str), made on the first
// string read: one allocation per item instead of one per field, and
// nothing points into bbolt's memory map after the transaction.
type decoder struct {
	b    []byte
	err  error
	all  []byte // the whole value, to find offsets in str
	str  string // copy of all, made lazily
	init bool
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	if !d.init {
		d.init = true
		d.all = d.b
		d.str = string(d.b) // copies out of the mmap
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	off := len(d.all) - len(d.b)
	d.b = d.b[n:]
	return d.str[off : off+int(n)]
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail(errors.New("nanoseconds out of range"))
		return time.Time{}
	}
	// UTC() of the zero instant is exactly time.Time{}, so IsZero and ==
	// both hold after a round trip.
	return time.Unix(sec, int64(nsec)).UTC()
}

// Keys.

func seqKey(seq uint64) []byte { return be64(seq) }

// keySeq is the seq of a key; a key of another length (only in a damaged
// file) is seq 0, which no item has.
func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// idKey is an item id in raw bytes, the key of the in-memory id index.
type idKey [model.IDLen / 2]byte

// parseID converts an item id (model.IDLen lowercase hex characters).
func parseID(id string) (idKey, bool) {
	var k idKey
	if len(id) != model.IDLen || !isHex(id) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(id))
	return k, err == nil
}

func (k idKey) String() string { return hex.EncodeToString(k[:]) }

var (
	epoch   = time.Unix(0, 0)
	maxNano = time.Unix(0, math.MaxInt64)
)

// unixNanos maps t to a sortable uint64: nanoseconds since 1970, clamped to
// the range UnixNano can express, so the zero time sorts first.
func unixNanos(t time.Time) uint64 {
	switch {
	case t.Before(epoch):
		return 0
	case t.After(maxNano):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// cursorKey joins account and key with a NUL, which no account name may
// contain; so an account's cursors are one contiguous, seekable range.
func cursorKey(account, key string) []byte {
	b := make([]byte, 0, len(account)+1+len(key))
	b = append(b, account...)
	b = append(b, 0)
	return append(b, key...)
}
