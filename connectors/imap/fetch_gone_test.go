//go:build unix

package imap

import (
	"context"
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// TestFetchOfMessagesChangedMeanwhile: another client on the account
// removes messages and changes flags while this connection has the folder
// in view. Dovecot then answers a FETCH of a removed message with its
// cached header, RFC822.SIZE 0 and an empty body (RFC 2180 allows it);
// built into an item, that answer had a made-up identity, and two Sluices
// on one account stored every message they had released twice.
func TestFetchOfMessagesChangedMeanwhile(t *testing.T) {
	s := startDovecot(t)
	id := func(i int) string { return fmt.Sprintf("gone%d@example.com", i) }
	for i := range 5 {
		s.DeliverNote(t, "alice", id(i))
	}
	c, err := New(dovecotOptions(s, "a"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pw, _ := c.opt.Password(ctx)
	k1, err := c.dial(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	defer k1.logout()
	k2, err := c.dial(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	defer k2.logout()
	f := &folder{c: c, name: "INBOX"}
	if _, err := k1.examine("INBOX"); err != nil {
		t.Fatal(err)
	}
	all := []imap.UID{1, 2, 3, 4, 5}
	first, err := f.fetchChunk(k1, all)
	if err != nil || len(first) != 5 {
		t.Fatalf("first fetch: %d messages, %v", len(first), err)
	}
	want := map[imap.UID]string{}
	for _, it := range f.items(epoch{validity: 1}, first) {
		want[first[len(want)].uid] = it.SourceID
	}

	// The other client removes 2 and 3 and flags 1 and 4.
	if _, err := k2.cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := k2.cl.Store(imap.UIDSetNum(2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := k2.cl.UIDExpunge(imap.UIDSetNum(2, 3)).Close(); err != nil {
		t.Fatal(err)
	}
	if err := k2.cl.Store(imap.UIDSetNum(1, 4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err := f.fetchChunk(k1, all)
	if err != nil {
		t.Fatal(err)
	}
	var got []imap.UID
	for i, it := range f.items(epoch{validity: 1}, msgs) {
		got = append(got, msgs[i].uid)
		if it.SourceID != want[msgs[i].uid] {
			t.Errorf("UID %d: source ID %q, want %q as before", msgs[i].uid, it.SourceID, want[msgs[i].uid])
		}
	}
	if fmt.Sprint(got) != "[1 4 5]" {
		t.Errorf("fetched UIDs %v, want [1 4 5] (2 and 3 are gone, each message once)", got)
	}

	// An answer that came back empty for a message that is still there
	// is fetched again, not dropped.
	msgs, err = f.dropVanished(k1, []*fetched{{uid: 4, header: []byte("\r\n")}, first[4]})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].uid != 4 || msgs[0].size != int64(len(dovecottest.Note(id(3)))) || string(msgs[0].part1) != "body of "+id(3)+"\r\n" {
		t.Errorf("after the refetch: %+v", msgs)
	}
}
