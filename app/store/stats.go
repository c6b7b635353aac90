package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DayLayout is the format of the day strings that key daily stats: a civil
// date in the user's zone, which the caller computes.
const DayLayout = "2006-01-02"

// MaxWaits is how many wait samples a day keeps. Beyond that, AddWait keeps
// a uniform random sample of all the day's waits (reservoir sampling, with
// a deterministic generator), so the median and p90 stay unbiased while a
// busy day's record stays small (at most ~15 KB).
const MaxWaits = 5000

// DayStats are one day's numbers for the stats window.
type DayStats struct {
	Day string // "2006-01-02"

	FocusMinutes  int // minutes spent in focus blocks
	Held          int // items held on arrival
	Released      int // items released at check-ins
	Quiet         int // items released silently
	Breakthroughs int // urgent items delivered at once
	BudgetHeld    int // urgent items held because the hourly budget was used up
	Ignored       int // items dropped by an ignore rule
	Live          int // items delivered live (window, paused)

	CheckinsOnTime int
	CheckinsLate   int // e.g. done at wake-up after a missed check-in
	CheckinsEarly  int // "check in now"

	// RepliesOnTime and RepliesLate count the replies the user sent this
	// day (by the day of the reply) within the reply promise and after it.
	RepliesOnTime int
	RepliesLate   int
	// NoReplyNeeded counts the messages the user marked done this day
	// without replying, while they waited for a reply; a reply found later
	// takes one back.
	NoReplyNeeded int

	// Waits are seconds from ingest to release; a sample of at most
	// MaxWaits values (see AddWait).
	Waits []uint32
	// WaitsSeen counts every wait added, sampled or not.
	WaitsSeen uint64
	// ReplyWaits are seconds from a message's arrival to the user's reply,
	// for the replies sent this day; sampled like Waits (AddReplyWait).
	ReplyWaits []uint32
	// ReplyWaitsSeen counts every reply time added, sampled or not.
	ReplyWaitsSeen uint64
}

// counters lists the integer fields in their stored order. Append new
// fields at the end: the encoding stores the count, so older and newer
// builds read each other's records.
func (d *DayStats) counters() []*int {
	return []*int{
		&d.FocusMinutes, &d.Held, &d.Released, &d.Quiet, &d.Breakthroughs,
		&d.BudgetHeld, &d.Ignored, &d.Live,
		&d.CheckinsOnTime, &d.CheckinsLate, &d.CheckinsEarly,
		&d.RepliesOnTime, &d.RepliesLate,
		&d.NoReplyNeeded,
	}
}

// AddWait records how long an item waited, clamped to 0 and to what a
// uint32 of seconds holds.
func (d *DayStats) AddWait(w time.Duration) {
	d.Waits, d.WaitsSeen = addSample(d.Waits, d.WaitsSeen, d.Day, 0, w)
}

// AddReplyWait records how long the user took to answer a message (from
// its arrival to the reply), sampled like AddWait.
func (d *DayStats) AddReplyWait(w time.Duration) {
	d.ReplyWaits, d.ReplyWaitsSeen = addSample(d.ReplyWaits, d.ReplyWaitsSeen, d.Day, 1, w)
}

// addSample adds w to a reservoir of at most MaxWaits samples of which
// seen have been offered so far; salt tells the day's reservoirs apart.
func addSample(samples []uint32, seen uint64, day string, salt uint64, w time.Duration) ([]uint32, uint64) {
	secs := uint32(0)
	switch s := w / time.Second; {
	case s > math.MaxUint32:
		secs = math.MaxUint32
	case s > 0:
		secs = uint32(s)
	}
	seen = max(seen, uint64(len(samples))) + 1
	if len(samples) < MaxWaits {
		return append(samples, secs), seen
	}
	// Algorithm R: the n-th sample replaces a random slot with
	// probability MaxWaits/n.
	if j := sampleRand(day, seen, salt) % seen; j < MaxWaits {
		samples[j] = secs
	}
	return samples, seen
}

// sampleRand derives a pseudo-random number from the day and the sample
// count, so the sampling is reproducible and needs neither a clock nor
// global state.
func sampleRand(day string, seen, salt uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(day))
	x := h.Sum64() ^ seen ^ (salt << 56)
	// splitmix64 finaliser
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// MedianWait is the median of the day's wait samples (the mean of the two
// middle ones for an even count), or 0 without samples.
func (d DayStats) MedianWait() time.Duration { return median(d.Waits) }

// MedianReply is the median time to reply of the day's replies, or 0
// without any.
func (d DayStats) MedianReply() time.Duration { return median(d.ReplyWaits) }

// Replies is how many replies the day counts, within the promise or not.
func (d DayStats) Replies() int { return d.RepliesOnTime + d.RepliesLate }

// MarshalJSON adds what the numbers say to the stored fields, for
// `sluice stats --json`: the medians in seconds and the share of replies
// sent within the promise (null on a day without replies).
func (d DayStats) MarshalJSON() ([]byte, error) {
	type plain DayStats
	var share *float64
	if n := d.Replies(); n > 0 {
		v := float64(d.RepliesOnTime) / float64(n)
		share = &v
	}
	return json.Marshal(struct {
		plain
		MedianWaitSeconds  float64  `json:"MedianWaitSeconds"`
		MedianReplySeconds float64  `json:"MedianReplySeconds"`
		WithinPromiseShare *float64 `json:"WithinPromiseShare"`
	}{plain(d), d.MedianWait().Seconds(), d.MedianReply().Seconds(), share})
}

func median(samples []uint32) time.Duration {
	w := sortedWaits(samples)
	n := len(w)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return seconds(float64(w[n/2]))
	}
	return seconds((float64(w[n/2-1]) + float64(w[n/2])) / 2)
}

// P90Wait is the 90th percentile of the day's wait samples by the
// nearest-rank method (the smallest sample at or above 90% of them), or 0
// without samples.
func (d DayStats) P90Wait() time.Duration {
	w := sortedWaits(d.Waits)
	if len(w) == 0 {
		return 0
	}
	rank := int(math.Ceil(0.9 * float64(len(w))))
	return seconds(float64(w[rank-1]))
}

func sortedWaits(w []uint32) []uint32 {
	w = slices.Clone(w)
	slices.Sort(w)
	return w
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func checkDay(day string) error {
	t, err := time.Parse(DayLayout, day)
	if err != nil || t.Format(DayLayout) != day {
		return fmt.Errorf("day %q is not a date like %s", day, DayLayout)
	}
	return nil
}

// UpdateStats applies fn to day's stats in a write transaction. fn must not
// call the Store.
func (s *Store) UpdateStats(day string, fn func(*DayStats)) error {
	if err := checkDay(day); err != nil {
		return err
	}
	return s.updateTx(func(tx *bolt.Tx) error { return updateStats(tx, day, fn) })
}

func updateStats(tx *bolt.Tx, day string, fn func(*DayStats)) error {
	b := tx.Bucket(bucketStats)
	ds := DayStats{Day: day}
	if v := b.Get([]byte(day)); v != nil {
		var err error
		if ds, err = decodeStats(day, v); err != nil {
			return err
		}
	}
	fn(&ds)
	ds.Day = day
	if len(ds.Waits) > MaxWaits { // only if fn appended by hand
		ds.Waits = ds.Waits[:MaxWaits]
	}
	if len(ds.ReplyWaits) > MaxWaits {
		ds.ReplyWaits = ds.ReplyWaits[:MaxWaits]
	}
	if err := b.Put([]byte(day), encodeStats(&ds)); err != nil {
		return fmt.Errorf("stats %s: %w", day, err)
	}
	return nil
}

// maxStatsDays bounds a Stats range, so a typo cannot ask for millions of days.
const maxStatsDays = 3700

// Stats returns the stats of every day from fromDay to toDay inclusive, in
// order. Days with nothing recorded are included with zero values, so a
// chart gets one entry per day. fromDay after toDay gives none.
func (s *Store) Stats(fromDay, toDay string) ([]DayStats, error) {
	if err := checkDay(fromDay); err != nil {
		return nil, err
	}
	if err := checkDay(toDay); err != nil {
		return nil, err
	}
	if fromDay > toDay {
		return nil, nil
	}
	from, _ := time.Parse(DayLayout, fromDay)
	to, _ := time.Parse(DayLayout, toDay)
	if to.Sub(from) > maxStatsDays*24*time.Hour {
		return nil, fmt.Errorf("stats range %s to %s is longer than %d days", fromDay, toDay, maxStatsDays)
	}
	stored := map[string]DayStats{}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStats).Cursor()
		// Day keys sort as dates, so the range is one seek.
		for k, v := c.Seek([]byte(fromDay)); k != nil && bytes.Compare(k, []byte(toDay)) <= 0; k, v = c.Next() {
			ds, err := decodeStats(string(k), v)
			if err != nil {
				return err
			}
			stored[ds.Day] = ds
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	var out []DayStats
	// Days are dates at UTC midnight: adding a calendar day never hits DST.
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day := d.Format(DayLayout)
		ds, ok := stored[day]
		if !ok {
			ds = DayStats{Day: day}
		}
		out = append(out, ds)
	}
	return out, nil
}

// GateState returns the gate's saved state blob, or nil if none was saved.
func (s *Store) GateState() ([]byte, error) {
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketGate).Get(keyGateState); b != nil {
			v = append([]byte{}, b...)
		}
		return nil
	})
	return v, err
}

// SetGateState saves the gate's state blob; nil deletes it.
func (s *Store) SetGateState(b []byte) error {
	err := s.updateTx(func(tx *bolt.Tx) error {
		g := tx.Bucket(bucketGate)
		if b == nil {
			return g.Delete(keyGateState)
		}
		return g.Put(keyGateState, bytes.Clone(b))
	})
	if err != nil {
		return fmt.Errorf("save gate state: %w", err)
	}
	return nil
}
