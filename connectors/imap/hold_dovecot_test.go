//go:build unix

package imap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// Holding on the server, against a real Dovecot: what moves where is
// checked on the server after each step, over a client of the test's own.

// Capability lists for Dovecots that lack MOVE, and MOVE and UIDPLUS
// (Dovecot's imap_capability replaces the list it announces after login).
const (
	capsNoMove        = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS CONDSTORE ESEARCH LITERAL+ SPECIAL-USE"
	capsNoMoveUIDPlus = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE CONDSTORE ESEARCH LITERAL+ SPECIAL-USE"
	// Courier and Cyrus put every folder under INBOX, with '.' between levels.
	nsCourier = "namespace inbox {\n  prefix = INBOX.\n  separator = .\n}\n"
)

// holdOptions is dovecotOptions with holding on the server.
func holdOptions(s *dovecottest.Server, account string) Options {
	opt := dovecotOptions(s, account)
	opt.Hold = HoldOptions{Enabled: true}
	return opt
}

// holding is the gate's state in these tests: holding since a minute ago,
// the next check-in an hour away.
func holding() model.HoldInfo {
	now := time.Now()
	return model.HoldInfo{Holding: true, Since: now.Add(-time.Minute), Until: now.Add(time.Hour)}
}

// startHold starts a connector that holds on the server, telling it the
// gate holds first, as the app does.
func startHold(t *testing.T, opt Options, sink model.Sink, info model.HoldInfo) *Connector {
	t.Helper()
	if testing.Verbose() && opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := c.SetHold(context.Background(), info); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of cancel")
		}
	})
	return c
}

// onServer is one message as the server shows it.
type onServer struct {
	UID   imap.UID
	Flags []string
	Raw   []byte
}

// client logs in to the test server as alice, for the test's own looks.
func client(t testing.TB, s *dovecottest.Server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", s.Password("alice")).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// contents lists a folder's messages by Message-ID (a folder that does not
// exist is empty). Flags are sorted; \Recent, which the server sets, is
// left out.
func contents(t *testing.T, c *imapclient.Client, folder string) map[string]onServer {
	t.Helper()
	out := map[string]onServer{}
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		if strings.Contains(err.Error(), "NONEXISTENT") || strings.Contains(err.Error(), "exist") {
			return out
		}
		t.Fatalf("select %s: %v", folder, err)
	}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", folder, err)
	}
	for _, m := range msgs {
		var raw []byte
		for _, b := range m.BodySection {
			raw = b.Bytes
		}
		var flags []string
		for _, f := range m.Flags {
			if f != "\\Recent" {
				flags = append(flags, string(f))
			}
		}
		slices.Sort(flags)
		id := firstMsgID(string(headerValue(raw, "Message-ID")))
		if _, dup := out[id]; dup {
			id += fmt.Sprintf("#dup%d", m.UID)
		}
		out[id] = onServer{UID: m.UID, Flags: flags, Raw: raw}
	}
	return out
}

// headerValue is a header field of a raw message.
func headerValue(raw []byte, name string) []byte {
	for _, l := range bytes.Split(raw, []byte("\r\n")) {
		if len(l) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(l, []byte(":")); ok && strings.EqualFold(string(k), name) {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}

// appendWith appends a message with flags.
func appendWith(t *testing.T, c *imapclient.Client, folder, raw string, flags []imap.Flag) {
	t.Helper()
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// sent is what the test appended: the raw message and its flags.
type sent struct {
	raw   string
	flags []string
}

// mixedFlags are the flags message i is appended with: none, \Seen,
// \Flagged and \Answered, keywords, and \Seen with $Forwarded.
func mixedFlags(i int) []imap.Flag {
	switch i % 5 {
	case 1:
		return []imap.Flag{imap.FlagSeen}
	case 2:
		return []imap.Flag{imap.FlagFlagged, imap.FlagAnswered}
	case 3:
		return []imap.Flag{"$Label1", "project-x"}
	case 4:
		return []imap.Flag{imap.FlagSeen, "$Forwarded"}
	}
	return nil
}

// checkPlaces checks that every sent message is in exactly one of INBOX
// and the hold folder, where want says, with its flags and bytes as sent.
func checkPlaces(t *testing.T, c *imapclient.Client, held string, msgs map[string]sent, where func(id string) string) {
	t.Helper()
	inbox, hold := contents(t, c, "INBOX"), contents(t, c, held)
	if len(inbox)+len(hold) != len(msgs) {
		t.Errorf("INBOX has %d and %s has %d messages, want %d in all", len(inbox), held, len(hold), len(msgs))
	}
	for id, m := range msgs {
		a, inA := inbox[id]
		b, inB := hold[id]
		switch {
		case inA && inB:
			t.Errorf("%s is in INBOX and in %s", id, held)
			continue
		case !inA && !inB:
			t.Errorf("%s is in neither INBOX nor %s", id, held)
			continue
		}
		got, folder := a, "INBOX"
		if inB {
			got, folder = b, held
		}
		if want := where(id); folder != want {
			t.Errorf("%s is in %s, want %s", id, folder, want)
		}
		if !slices.Equal(got.Flags, m.flags) {
			t.Errorf("%s in %s has flags %v, want %v", id, folder, got.Flags, m.flags)
		}
		if string(got.Raw) != m.raw {
			t.Errorf("%s in %s is not byte-identical to what was delivered", id, folder)
		}
	}
}

// testHoldAndRelease holds 50 messages with mixed flags and keywords as
// they arrive (five of them urgent, which stay in INBOX), releases them,
// and checks both folders on the server after each step.
func testHoldAndRelease(t *testing.T, local, held string, copies bool) {
	s := dovecottest.New(t, dovecottest.Options{LocalConf: local})
	sink := newPlacingSink(t)
	sink.decide = urgentBySubject
	c := startHold(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "connected and holding", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthConnected && strings.Contains(h.Detail, "holding on server: 0 in "+held)
	})
	cl := client(t, s)
	msgs := map[string]sent{}
	urgent := map[string]bool{}
	for i := range 50 {
		id := fmt.Sprintf("m%02d@example.org", i)
		subject := fmt.Sprintf("message %d", i)
		if i%10 == 3 {
			subject = "URGENT " + subject
			urgent[id] = true
		}
		raw := mail(id, subject, fmt.Sprintf("body %d\r\nsecond line", i))
		flags := mixedFlags(i)
		appendWith(t, cl, "INBOX", raw, flags)
		var fs []string
		for _, f := range flags {
			fs = append(fs, string(f))
		}
		slices.Sort(fs)
		msgs[id] = sent{raw: raw, flags: fs}
	}
	// Without MOVE a message is in both folders between the COPY and the
	// EXPUNGE (a crash there is what the copy record is for): wait until
	// the last move is over.
	waitFor(t, 20*time.Second, "45 held messages in the hold folder and 5 in INBOX", func() bool {
		return len(contents(t, cl, held)) == 45 && len(contents(t, cl, "INBOX")) == 5 && sink.count() == 50
	})
	checkPlaces(t, cl, held, msgs, func(id string) string {
		if urgent[id] {
			return "INBOX"
		}
		return held
	})
	waitFor(t, 5*time.Second, "the notes of held items", func() bool {
		return slices.Equal(sink.notesOf("message 0"), []string{model.MailMovedPrefix + held}) &&
			slices.Equal(sink.notesOf("message 49"), []string{model.MailMovedPrefix + held})
	})
	if notes := sink.notesOf("URGENT message 3"); len(notes) != 0 {
		t.Errorf("notes of an urgent item = %q, want none", notes)
	}
	waitFor(t, 5*time.Second, "the health to count the hold folder", func() bool {
		return strings.Contains(sink.lastHealth().Detail, "holding on server: 45 in "+held)
	})

	sink.checkin()
	n, err := c.Release(ctx(t), "check-in")
	if err != nil || n != 45 {
		t.Fatalf("Release = %d, %v; want 45", n, err)
	}
	checkPlaces(t, cl, held, msgs, func(string) string { return "INBOX" })
	if notes := sink.notesOf("message 0"); !slices.Equal(notes, []string{model.MailMovedPrefix + held, model.MailReleasedPrefix + "INBOX"}) {
		t.Errorf("notes after the release = %q", notes)
	}
	// Back in INBOX with new UIDs, the messages are the same items, seen
	// before: nothing is held again, nothing is ingested twice.
	time.Sleep(1500 * time.Millisecond) // Dovecot tells IDLE clients after ~0.5 s
	checkPlaces(t, cl, held, msgs, func(string) string { return "INBOX" })
	if sink.count() != 50 {
		t.Errorf("%d items after the release, want 50", sink.count())
	}
	if n, err := c.Release(ctx(t), "again"); err != nil || n != 0 {
		t.Errorf("a second release = %d, %v; want 0", n, err)
	}
	// Without MOVE each move records its copy before it, and clears the
	// record after: two writes a move.
	if n := sink.wrote(holdMovingKey); copies != (n > 0) || n%2 != 0 {
		t.Errorf("the copy record was written %d times; copies %v", n, copies)
	}
}

// waitServer polls cond every 100 ms (each look at the server is a whole
// fetch) until it holds, or fails saying what state says.
func waitServer(t *testing.T, timeout time.Duration, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, state())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestDovecotHoldAndRelease(t *testing.T) {
	t.Parallel()
	testHoldAndRelease(t, "", "Sluice/Held", false)
}

// TestDovecotHoldWithoutMove: the same against a server without MOVE
// (Courier has UIDPLUS but neither MOVE nor SPECIAL-USE): COPY, then
// \Deleted and UID EXPUNGE of exactly the confirmed copies.
func TestDovecotHoldWithoutMove(t *testing.T) {
	t.Parallel()
	testHoldAndRelease(t, capsNoMove, "Sluice/Held", true)
}

// TestDovecotHoldUnderNamespacePrefix: a Courier-style namespace gets
// INBOX.Sluice.Held.
func TestDovecotHoldUnderNamespacePrefix(t *testing.T) {
	t.Parallel()
	testHoldAndRelease(t, nsCourier+capsNoMove, "INBOX.Sluice.Held", true)
}

// TestDovecotHoldRefusedWithoutUIDPlus: without MOVE and UIDPLUS nothing
// is moved (a plain EXPUNGE could remove what another client marked
// deleted), and health says why.
func TestDovecotHoldRefusedWithoutUIDPlus(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{LocalConf: capsNoMoveUIDPlus})
	sink := newPlacingSink(t)
	c := startHold(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "connected, with the refusal in health", func() bool {
		h := sink.lastHealth()
		return h.State == model.HealthConnected && strings.Contains(h.Detail, "not holding on server: the server offers neither MOVE nor UIDPLUS")
	})
	cl := client(t, s)
	// A message marked deleted by another client must survive, too.
	appendWith(t, cl, "INBOX", mail("deleted@x", "marked deleted elsewhere", "x"), []imap.Flag{imap.FlagDeleted})
	appendWith(t, cl, "INBOX", mail("new@x", "new", "x"), nil)
	waitFor(t, 15*time.Second, "both items", func() bool { return sink.count() == 2 })
	time.Sleep(500 * time.Millisecond)
	if got := contents(t, cl, "INBOX"); len(got) != 2 {
		t.Errorf("INBOX has %d messages, want both", len(got))
	}
	if got := contents(t, cl, "Sluice/Held"); len(got) != 0 {
		t.Errorf("the hold folder has %d messages", len(got))
	}
	if _, err := c.Release(ctx(t), "check-in"); err == nil || !strings.Contains(err.Error(), "neither MOVE nor UIDPLUS") {
		t.Errorf("Release = %v, want the refusal", err)
	}
}

// runFor runs a connector until stop is called (a daemon's life, for
// tests that restart it).
func runFor(t *testing.T, opt Options, sink model.Sink, info model.HoldInfo) (c *Connector, stop func()) {
	t.Helper()
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	c.SetHold(context.Background(), info)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx, sink); close(done) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return c, stop
}

// TestDovecotHoldFinishesInterruptedCopy: a crash after UID COPY (and
// after \Deleted) but before UID EXPUNGE left originals and copies; the
// recorded intent finishes the move at the next start: each message once,
// in the hold folder, and nothing else touched.
func TestDovecotHoldFinishesInterruptedCopy(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{LocalConf: capsNoMove})
	cl := client(t, s)
	for i := range 4 {
		appendWith(t, cl, "INBOX", mail(fmt.Sprintf("c%d@x", i), fmt.Sprintf("copy %d", i), "x"), mixedFlags(i))
	}
	// Another client's message marked deleted must survive the expunge.
	appendWith(t, cl, "INBOX", mail("other@x", "deleted by another client", "x"), []imap.Flag{imap.FlagDeleted})
	if err := cl.Create("Sluice/Held", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status("Sluice/Held", &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	sel, err := cl.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	// The crash: c1 to c3 (UIDs 2 to 4) copied, c2 and c3 already marked
	// deleted.
	if _, err := cl.Copy(imap.UIDSetNum(2, 3, 4), "Sluice/Held").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Store(imap.UIDSetNum(3, 4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(moving{From: "INBOX", FromValidity: sel.UIDValidity, UIDs: []imap.UID{2, 3, 4}, To: "Sluice/Held", ToValidity: st.UIDValidity, ToNext: uint32(st.UIDNext)})
	sink := newPlacingSink(t)
	if err := sink.Sink.Ingest(ctx(t), model.Batch{Account: "work", Cursors: []model.Cursor{{Account: "work", Key: holdMovingKey, Value: in}}}); err != nil {
		t.Fatal(err)
	}

	startHold(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "the interrupted copy finished", func() bool {
		b, _ := sink.Cursor("work", holdMovingKey)
		return len(b) == 0 && len(contents(t, cl, "INBOX")) == 2
	})
	inbox, held := contents(t, cl, "INBOX"), contents(t, cl, "Sluice/Held")
	for _, id := range []string{"c0@x", "other@x"} {
		if _, ok := inbox[id]; !ok {
			t.Errorf("%s left INBOX", id)
		}
	}
	if got := inbox["other@x"].Flags; !slices.Equal(got, []string{`\Deleted`}) {
		t.Errorf("the other client's deleted message has flags %v", got)
	}
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("c%d@x", i)
		m, ok := held[id]
		if !ok {
			t.Errorf("%s is not in the hold folder", id)
			continue
		}
		var want []string
		for _, f := range mixedFlags(i) {
			want = append(want, string(f))
		}
		slices.Sort(want)
		if !slices.Equal(m.Flags, want) {
			t.Errorf("%s in the hold folder has flags %v, want %v", id, m.Flags, want)
		}
	}
	if len(held) != 3 {
		t.Errorf("the hold folder has %d messages, want 3: %v", len(held), slices.Collect(maps.Keys(held)))
	}
}

// TestDovecotHoldSettlesAfterFailedMove: the store could not say where the
// items stand when they arrived, so nothing moved; the candidates recorded
// with the batch are moved after the restart.
func TestDovecotHoldSettlesAfterFailedMove(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{})
	sink := newPlacingSink(t)
	sink.failPlacements = errors.New("store busy")
	_, stop := runFor(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "connected", func() bool { return sink.lastHealth().State == model.HealthConnected })
	cl := client(t, s)
	for i := range 3 {
		appendWith(t, cl, "INBOX", mail(fmt.Sprintf("p%d@x", i), fmt.Sprintf("pending %d", i), "x"), nil)
	}
	waitFor(t, 15*time.Second, "3 items", func() bool { return sink.count() == 3 })
	time.Sleep(300 * time.Millisecond)
	stop()
	if got := contents(t, cl, "Sluice/Held"); len(got) != 0 {
		t.Fatalf("moved %d messages though the store could not be asked", len(got))
	}
	b, _ := sink.Cursor("work", holdPendingKey)
	if p, err := decodePending(b); err != nil || len(p) != 3 {
		t.Fatalf("pending record = %v, %v; want 3 entries", p, err)
	}

	sink.pmu.Lock()
	sink.failPlacements = nil
	sink.pmu.Unlock()
	runFor(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "the pending messages moved", func() bool {
		return len(contents(t, cl, "Sluice/Held")) == 3 && len(contents(t, cl, "INBOX")) == 0
	})
	waitFor(t, 5*time.Second, "the pending record emptied", func() bool {
		b, _ := sink.Cursor("work", holdPendingKey)
		p, err := decodePending(b)
		return err == nil && len(p) == 0
	})
}

// TestDovecotHoldReconcilesAfterCheckinWhileAway: a check-in released the
// items while the connector was not running (or its connection was down);
// at the next start the hold folder is compared with the store and
// everything overdue goes back to INBOX.
func TestDovecotHoldReconcilesAfterCheckinWhileAway(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{})
	sink := newPlacingSink(t)
	_, stop := runFor(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "connected", func() bool { return sink.lastHealth().State == model.HealthConnected })
	cl := client(t, s)
	for i := range 5 {
		appendWith(t, cl, "INBOX", mail(fmt.Sprintf("r%d@x", i), fmt.Sprintf("away %d", i), "x"), mixedFlags(i))
	}
	waitFor(t, 15*time.Second, "5 held", func() bool { return len(contents(t, cl, "Sluice/Held")) == 5 })
	stop()
	sink.checkin() // while the connector was down
	appendWith(t, cl, "Sluice/Held", mail("sieve@x", "held at delivery meanwhile", "x"), nil)

	runFor(t, holdOptions(s, "work"), sink, holding())
	waitFor(t, 15*time.Second, "the released mail back in INBOX", func() bool {
		return len(contents(t, cl, "INBOX")) == 5
	})
	held := contents(t, cl, "Sluice/Held")
	if _, ok := held["sieve@x"]; !ok || len(held) != 1 {
		t.Errorf("the hold folder has %v, want only the message held meanwhile", slices.Collect(maps.Keys(held)))
	}
	// The notes follow the moves.
	waitFor(t, 5*time.Second, "the notes of the release", func() bool {
		return slices.Equal(sink.notesOf("away 0"), []string{model.MailMovedPrefix + "Sluice/Held", model.MailReleasedPrefix + "INBOX"}) &&
			slices.Equal(sink.notesOf("held at delivery meanwhile"), []string{model.MailMovedPrefix + "Sluice/Held (by another Sluice on this account)"})
	})
}

// TestDovecotHoldTwoConnectorsOneAccount: two Sluices (two stores) on one
// account: each message is moved once, released once, and mail released
// by one is never held again by the other, even one that first sees it
// after the release.
func TestDovecotHoldTwoConnectorsOneAccount(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{})
	a, b := newPlacingSink(t), newPlacingSink(t)
	ca := startHold(t, holdOptions(s, "work"), a, holding())
	cb := startHold(t, holdOptions(s, "work"), b, holding())
	for _, sk := range []*placingSink{a, b} {
		waitFor(t, 15*time.Second, "connected", func() bool { return sk.lastHealth().State == model.HealthConnected })
	}
	cl := client(t, s)
	msgs := map[string]sent{}
	for i := range 20 {
		id := fmt.Sprintf("t%02d@x", i)
		raw := mail(id, fmt.Sprintf("two %d", i), "x")
		appendWith(t, cl, "INBOX", raw, mixedFlags(i))
		var fs []string
		for _, f := range mixedFlags(i) {
			fs = append(fs, string(f))
		}
		slices.Sort(fs)
		msgs[id] = sent{raw: raw, flags: fs}
	}
	// Both may move the same message at the same moment: the hold folder
	// then has it twice until the later mover removed its copy. Wait until
	// that settled (the same count twice, a second apart).
	settled := func() bool {
		if len(contents(t, cl, "Sluice/Held")) != 20 || len(contents(t, cl, "INBOX")) != 0 || a.count() != 20 || b.count() != 20 {
			return false
		}
		time.Sleep(time.Second)
		return len(contents(t, cl, "Sluice/Held")) == 20
	}
	waitServer(t, 20*time.Second, "20 held by both", settled, func() string {
		return fmt.Sprintf("INBOX %d, held %d, items %d and %d", len(contents(t, cl, "INBOX")), len(contents(t, cl, "Sluice/Held")), a.count(), b.count())
	})
	checkPlaces(t, cl, "Sluice/Held", msgs, func(string) string { return "Sluice/Held" })

	// Both check in at once: one release moves everything, the other none.
	a.checkin()
	b.checkin()
	var na, nb int
	var ea, eb error
	done := make(chan struct{})
	go func() { na, ea = ca.Release(ctx(t), "check-in"); close(done) }()
	nb, eb = cb.Release(ctx(t), "check-in")
	<-done
	if ea != nil || eb != nil || na+nb != 20 {
		t.Fatalf("releases moved %d and %d (%v, %v); want 20 in all", na, nb, ea, eb)
	}
	time.Sleep(1500 * time.Millisecond)
	checkPlaces(t, cl, "Sluice/Held", msgs, func(string) string { return "INBOX" })

	// A third Sluice that first sees the mail now, while holding, leaves
	// it in INBOX: it reached the server before the last release.
	c3 := newPlacingSink(t)
	info := holding()
	info.Since = time.Now()
	startHold(t, func() Options { o := holdOptions(s, "work"); o.Initial = InitialSync{Mode: InitialAll}; return o }(), c3, info)
	waitFor(t, 15*time.Second, "the third one's import", func() bool { return c3.count() == 20 })
	// Its first sync imports what is there; new mail is held by all three,
	// and moved once.
	appendWith(t, cl, "INBOX", mail("late@x", "after the release", "x"), nil)
	waitFor(t, 15*time.Second, "the new message held", func() bool {
		_, ok := contents(t, cl, "Sluice/Held")["late@x"]
		return ok
	})
	time.Sleep(1500 * time.Millisecond)
	if n := len(contents(t, cl, "INBOX")); n != 20 {
		t.Errorf("INBOX has %d messages, want the 20 released", n)
	}
	if n := len(contents(t, cl, "Sluice/Held")); n != 1 {
		t.Errorf("the hold folder has %d messages, want 1", n)
	}
}

// TestDovecotMoveCountsOnlyItsOwn: messages another client moved away
// before this connector's MOVE reached them are gone from INBOX, but not
// by this move: Dovecot answers "OK No messages found." without COPYUID,
// and the move counts none of them (two Sluices releasing at once logged
// 60 moved for 30 messages). A message it did move counts.
func TestDovecotMoveCountsOnlyItsOwn(t *testing.T) {
	t.Parallel()
	s := dovecottest.New(t, dovecottest.Options{})
	sink := newPlacingSink(t)
	c, _ := runFor(t, holdOptions(s, "work"), sink, model.HoldInfo{}) // not holding: it moves nothing by itself
	waitFor(t, 15*time.Second, "connected", func() bool { return sink.lastHealth().State == model.HealthConnected })
	cl := client(t, s)
	for i := range 3 {
		appendWith(t, cl, "INBOX", mail(fmt.Sprintf("m%d@x", i), fmt.Sprintf("mine %d", i), "x"), nil)
	}
	if err := cl.Create("Elsewhere", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Move(imap.UIDSetNum(1, 2), "Elsewhere").Wait(); err != nil {
		t.Fatal(err)
	}

	h := c.hold
	h.moveMu.Lock()
	defer h.moveMu.Unlock()
	k, done, err := h.conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	mb, err := h.selectRW(k, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := h.move(ctx(t), k, "INBOX", mb.validity, []imap.UID{1, 2}, "Sluice/Held", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(out); n != 0 || len(out) != 2 {
		t.Errorf("moving two messages another client had moved: %d counted of %d gone (%+v), want 0 of 2", n, len(out), out)
	}
	out, _, err = h.move(ctx(t), k, "INBOX", mb.validity, []imap.UID{3}, "Sluice/Held", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(out); n != 1 {
		t.Errorf("moving a message still there: %d counted (%+v), want 1", n, out)
	}
	if got := contents(t, cl, "Sluice/Held"); len(got) != 1 {
		t.Errorf("the hold folder has %d messages, want 1", len(got))
	}
}
