package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluice-app/sluice/app/model"
)

// Knowing what was answered: an item whose connector can see the user's
// replies carries a ReplyKey (IMAP: its Message-ID; Slack: its DM or
// thread). The reply index maps account+key to the items that carry it,
// each marked waiting or answered, so a reply finds what it answers
// without decoding anything already answered. The user's replies are kept
// by account+key as well, so that an item stored after the reply that
// answers it (the Sent folder synced first, a catch-up after a week
// offline) is marked answered as it arrives.

// Ingested is what IngestReplies did.
type Ingested struct {
	// Added are the new items, in input order (answered ones with
	// Answered set).
	Added []model.Item
	// Answered are the items a reply answered for the first time, new or
	// stored before, oldest first.
	Answered []model.Item
}

// maxRepliesPerKey is how many replies a key keeps, newest first: enough
// for any item that may still arrive after them.
const maxRepliesPerKey = 16

// replyRecordV1 is the encoding version of a key's replies.
const replyRecordV1 = 1

// Values of the reply index.
var (
	idxWaiting  = []byte{}
	idxAnswered = []byte("a")
)

// replyKey is account \x00 key: one account's replies naming key.
func replyKey(account, key string) []byte { return cursorKey(account, key) }

// replyIdxPrefix is the start of every index entry of account and key.
func replyIdxPrefix(account, key string) []byte { return append(replyKey(account, key), 0) }

// replyIdxKey is the index entry of the item seq.
func replyIdxKey(account, key string, seq uint64) []byte {
	return append(replyIdxPrefix(account, key), seqKey(seq)...)
}

// indexReply enters a new item in the reply index (nothing for an item
// without a reply key).
func (w *wtx) indexReply(it *model.Item) error {
	if it.ReplyKey == "" || checkAccount(it.Account) != nil {
		return nil
	}
	v := idxWaiting
	if !it.Answered.IsZero() {
		v = idxAnswered
	}
	if err := w.tx.Bucket(bucketReplyIdx).Put(replyIdxKey(it.Account, it.ReplyKey, it.Seq), v); err != nil {
		return fmt.Errorf("index item %s by its reply key: %w", it.ID, err)
	}
	return nil
}

// unindexReply drops a pruned item's index entry, read from its body.
func (w *wtx) unindexReply(seq uint64) error {
	v := w.items.Get(seqKey(seq))
	if v == nil {
		return nil
	}
	it, err := decodeItem(seq, v)
	if err != nil || it.ReplyKey == "" || checkAccount(it.Account) != nil {
		return nil // a damaged body has no findable entry; Check reports it
	}
	return w.tx.Bucket(bucketReplyIdx).Delete(replyIdxKey(it.Account, it.ReplyKey, seq))
}

// applyReplies records in.Replies and marks every item they answer: items
// stored earlier and those just added, which also meet the replies stored
// before them.
func (w *wtx) applyReplies(in Batch, added []model.Item) ([]model.Item, error) {
	order, err := w.recordReplies(in)
	if err != nil {
		return nil, err
	}
	seen := map[replyRef]bool{}
	for _, k := range order {
		seen[k] = true
	}
	for _, it := range added {
		if k := (replyRef{it.Account, it.ReplyKey}); it.ReplyKey != "" && !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	var answered []model.Item
	var counts []StatsChange
	for _, k := range order {
		got, err := w.answerKey(in, k)
		if err != nil {
			return nil, err
		}
		answered = append(answered, got...)
		if in.Answered != nil {
			for _, it := range got {
				counts = append(counts, in.Answered(it)...)
			}
		}
	}
	if err := applyStats(w.tx, counts); err != nil {
		return nil, err
	}
	slices.SortFunc(answered, func(a, b model.Item) int { return cmp.Compare(a.Seq, b.Seq) })
	for i := range added {
		if j, ok := slices.BinarySearchFunc(answered, added[i].Seq, func(it model.Item, seq uint64) int { return cmp.Compare(it.Seq, seq) }); ok {
			added[i].Answered = answered[j].Answered
			added[i].Log = answered[j].Log
		}
	}
	return answered, nil
}

// replyRef names the replies to one thing: an account and a reply key.
type replyRef struct{ account, key string }

// recordReplies merges the batch's replies into the stored ones, by reply
// key, and returns the keys it touched in order.
func (w *wtx) recordReplies(in Batch) ([]replyRef, error) {
	byKey := map[string][]model.Reply{}
	for _, r := range in.Replies {
		r.Key = model.CleanKey(r.Key)
		if r.Key == "" || r.At.IsZero() {
			continue
		}
		byKey[r.Key] = append(byKey[r.Key], r)
	}
	rb := w.tx.Bucket(bucketReplies)
	var order []replyRef
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		stored, err := decodeReplies(rb.Get(replyKey(in.Account, k)))
		if err != nil {
			stored = nil // an unreadable record only costs old replies
		}
		merged := mergeReplies(stored, byKey[k])
		if err := rb.Put(replyKey(in.Account, k), encodeReplies(merged)); err != nil {
			return nil, fmt.Errorf("record replies: %w", err)
		}
		order = append(order, replyRef{in.Account, k})
	}
	return order, nil
}

// answerKey marks answered the items waiting under k that one of its
// stored replies answers (a reply after the item arrived) and returns
// them, for applyReplies to count.
func (w *wtx) answerKey(in Batch, k replyRef) ([]model.Item, error) {
	if checkAccount(k.account) != nil {
		return nil, nil
	}
	replies, err := decodeReplies(w.tx.Bucket(bucketReplies).Get(replyKey(k.account, k.key)))
	if err != nil || len(replies) == 0 {
		return nil, nil
	}
	idx := w.tx.Bucket(bucketReplyIdx)
	prefix := replyIdxPrefix(k.account, k.key)
	var seqs []uint64
	c := idx.Cursor()
	for ik, v := c.Seek(prefix); ik != nil && bytes.HasPrefix(ik, prefix); ik, v = c.Next() {
		if len(ik) == len(prefix)+8 && len(v) == 0 {
			seqs = append(seqs, keySeq(ik[len(prefix):]))
		}
	}
	var answered []model.Item
	for _, seq := range seqs {
		it, bodyLog, err := w.get(seq)
		if err != nil {
			if err := w.s.skipCorrupt(err); err != nil {
				return nil, err
			}
			continue
		}
		at, ok := firstAnswer(replies, it.Received)
		if !ok || !it.Answered.IsZero() {
			continue
		}
		it.Answered = at
		it.Log = append(it.Log, model.Entry{At: at, Text: "answered: you replied"})
		if err := w.putLife(&it, bodyLog, it.State); err != nil {
			return nil, err
		}
		if err := idx.Put(replyIdxKey(k.account, k.key, seq), idxAnswered); err != nil {
			return nil, err
		}
		answered = append(answered, it)
	}
	return answered, nil
}

// firstAnswer is the earliest reply that answers an item received at
// received: one that names it, or any sent after it arrived.
func firstAnswer(replies []model.Reply, received time.Time) (time.Time, bool) {
	var best time.Time
	for _, r := range replies {
		if !r.Named && r.At.Before(received) {
			continue
		}
		if best.IsZero() || r.At.Before(best) {
			best = r.At
		}
	}
	return best, !best.IsZero()
}

// mergeReplies adds replies to those stored, without repeats, keeping the
// newest maxRepliesPerKey, oldest first.
func mergeReplies(stored, add []model.Reply) []model.Reply {
	all := append(slices.Clone(stored), add...)
	slices.SortFunc(all, func(a, b model.Reply) int { return a.At.Compare(b.At) })
	all = slices.CompactFunc(all, func(a, b model.Reply) bool { return a.At.Equal(b.At) && a.Named == b.Named })
	if len(all) > maxRepliesPerKey {
		all = all[len(all)-maxRepliesPerKey:]
	}
	return all
}

// encodeReplies writes a key's replies: a version, a count, then each
// reply's time and whether it names the item.
func encodeReplies(rs []model.Reply) []byte {
	b := make([]byte, 0, 2+len(rs)*16)
	b = append(b, replyRecordV1)
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = appendTime(b, r.At)
		named := byte(0)
		if r.Named {
			named = 1
		}
		b = append(b, named)
	}
	return b
}

func decodeReplies(b []byte) ([]model.Reply, error) {
	if b == nil {
		return nil, nil
	}
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != replyRecordV1 {
		return nil, fmt.Errorf("replies: unknown encoding version %d", v)
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, fmt.Errorf("replies: %w", errShort)
	}
	out := make([]model.Reply, 0, n)
	for range n {
		at := d.time()
		named := d.byte()
		if named > 1 {
			d.fail(fmt.Errorf("named flag %d", named))
		}
		out = append(out, model.Reply{At: at, Named: named == 1})
	}
	if d.err != nil {
		return nil, fmt.Errorf("replies: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("replies: %d trailing bytes", len(d.b))
	}
	return out, nil
}

// pruneReplies drops the reply records whose newest reply is older than
// cutoff (unix nanos): no item arriving now can be answered by them.
func (w *wtx) pruneReplies(cutoff uint64) error {
	rb := w.tx.Bucket(bucketReplies)
	var expired [][]byte
	c := rb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rs, err := decodeReplies(v)
		if err != nil || len(rs) == 0 || unixNanos(rs[len(rs)-1].At) < cutoff {
			expired = append(expired, bytes.Clone(k))
		}
	}
	for _, k := range expired {
		if err := rb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Replies returns the replies stored for account and key, oldest first
// (for Check, tests and `sluice explain`).
func (s *Store) Replies(account, key string) ([]model.Reply, error) {
	if err := checkAccount(account); err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	var out []model.Reply
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		out, err = decodeReplies(tx.Bucket(bucketReplies).Get(replyKey(account, key)))
		for i := range out {
			out[i].Key = key
		}
		return err
	})
	return out, err
}
