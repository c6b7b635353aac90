//go:build unix

package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/store"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// Benchmarks against a real Dovecot. connectors/imap/bench/bench.sh runs each
// in its own process (for peak RSS) against one server it prepared with
// IMAPBENCH_MESSAGES generated messages and passes in IMAPBENCH_* variables;
// without them a benchmark starts its own server with 2,000 messages.

type benchEnv struct {
	opt      Options // connector options for alice over TLS
	addr     string
	tls      *tls.Config
	maildir  string
	messages int
	srv      *dovecottest.Server // when started here
}

func benchServer(b *testing.B) benchEnv {
	b.Helper()
	if port := os.Getenv("IMAPBENCH_PORT"); port != "" {
		p, _ := strconv.Atoi(port)
		n, _ := strconv.Atoi(os.Getenv("IMAPBENCH_MESSAGES"))
		host, ca := os.Getenv("IMAPBENCH_HOST"), os.Getenv("IMAPBENCH_CA")
		user, pass := os.Getenv("IMAPBENCH_USER"), os.Getenv("IMAPBENCH_PASS")
		return newBenchEnv(b, host, p, ca, user, pass, os.Getenv("IMAPBENCH_MAILDIR"), n, nil)
	}
	s := dovecottest.New(b, dovecottest.Options{LocalConf: "mail_fsync = never"})
	const n = 2000
	if err := s.Fill("alice", "INBOX", 0, n); err != nil {
		b.Fatal(err)
	}
	return newBenchEnv(b, s.Host, s.IMAPSPort, s.CAFile, "alice", s.Password("alice"), s.MaildirPath("alice", "INBOX"), n, s)
}

func newBenchEnv(b *testing.B, host string, port int, ca, user, pass, maildir string, n int, s *dovecottest.Server) benchEnv {
	pem, err := os.ReadFile(ca)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return benchEnv{
		opt: Options{
			Account: "bench", Host: host, Port: port, Security: SecurityTLS, CAFile: ca, Username: user,
			Password: func(context.Context) (string, error) { return pass, nil },
		},
		addr:     net.JoinHostPort(host, strconv.Itoa(port)),
		tls:      &tls.Config{RootCAs: pool, ServerName: host},
		maildir:  maildir,
		messages: n,
		srv:      s,
	}
}

// storeSink hands batches to the real bbolt store, as the gate does, and
// tells waiters when the INBOX cursor reaches a UID.
type storeSink struct {
	st      *store.Store
	account string
	mu      sync.Mutex
	next    imap.UID
	changed chan struct{}
}

func openStoreSink(b *testing.B, account string, so store.Options) *storeSink {
	st, err := store.Open(filepath.Join(b.TempDir(), "sluice.db"), so)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return &storeSink{st: st, account: account, changed: make(chan struct{}, 1)}
}

func (s *storeSink) Ingest(_ context.Context, b model.Batch) error {
	now := time.Now()
	for i := range b.Items {
		it := &b.Items[i]
		it.Clean()
		it.ID = model.ItemID(b.Account, it.SourceID)
		it.State, it.Ingested = model.StateHeld, now
	}
	if _, err := s.st.Put(b.Items, b.Cursors); err != nil {
		return err
	}
	for _, c := range b.Cursors {
		if cur, err := decodeCursor(c.Value); err == nil && c.Key == cursorKey("INBOX") {
			s.mu.Lock()
			s.next = cur.next
			s.mu.Unlock()
		}
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (s *storeSink) Cursor(account, key string) ([]byte, error) { return s.st.Cursor(account, key) }
func (s *storeSink) ReportHealth(model.Health)                  {}

func (s *storeSink) count() int {
	n, _ := s.st.Count(model.StateHeld)
	return n
}

// waitNext waits until the INBOX cursor has reached next.
func (s *storeSink) waitNext(b *testing.B, next imap.UID, timeout time.Duration) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got := s.next
		s.mu.Unlock()
		if got >= next {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			b.Fatalf("cursor at %d after %v, want %d", got, timeout, next)
		}
	}
}

// BenchmarkInitialSync imports the whole INBOX ("all") into a bbolt store
// with fsync on, through the connector.
func BenchmarkInitialSync(b *testing.B) {
	initialSync(b, func() benchSink { return openStoreSink(b, "bench", store.Options{}) })
}

// BenchmarkInitialSyncNoSync is BenchmarkInitialSync with the store's fsync
// off, to tell the connector's own cost from the disk's.
func BenchmarkInitialSyncNoSync(b *testing.B) {
	initialSync(b, func() benchSink { return openStoreSink(b, "bench", store.Options{NoSync: true}) })
}

// BenchmarkInitialSyncDiscard hands the items to a sink that keeps only
// the cursor: the connector's own time and memory, no store at all.
func BenchmarkInitialSyncDiscard(b *testing.B) {
	initialSync(b, func() benchSink { return &discardSink{changed: make(chan struct{}, 1)} })
}

// benchSink is a sink that can wait for the INBOX cursor.
type benchSink interface {
	model.Sink
	waitNext(b *testing.B, next imap.UID, timeout time.Duration)
	count() int
}

func initialSync(b *testing.B, newSink func() benchSink) {
	env := benchServer(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sink := newSink()
		opt := env.opt
		opt.Initial.Mode = InitialAll
		c, err := New(opt)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		b.StartTimer()
		go func() { c.Run(ctx, sink); close(done) }()
		sink.waitNext(b, imap.UID(env.messages+1), 10*time.Minute)
		b.StopTimer()
		cancel()
		<-done
		if n := sink.count(); n != env.messages {
			b.Fatalf("sink got %d items, want %d", n, env.messages)
		}
	}
	b.ReportMetric(float64(env.messages), "msgs/op")
}

// discardSink counts items and keeps the INBOX cursor, nothing else.
type discardSink struct {
	mu      sync.Mutex
	n       int
	next    imap.UID
	cursor  []byte
	changed chan struct{}
}

func (s *discardSink) Ingest(_ context.Context, b model.Batch) error {
	s.mu.Lock()
	s.n += len(b.Items)
	for _, c := range b.Cursors {
		if cur, err := decodeCursor(c.Value); err == nil {
			s.next, s.cursor = cur.next, c.Value
		}
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (s *discardSink) Cursor(string, string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor, nil
}

func (s *discardSink) ReportHealth(model.Health) {}

func (s *discardSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *discardSink) waitNext(b *testing.B, next imap.UID, timeout time.Duration) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got := s.next
		s.mu.Unlock()
		if got >= next {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			b.Fatalf("cursor at %d after %v, want %d", got, timeout, next)
		}
	}
}

// bareFetch is what a minimal go-imap client does: one UID FETCH of every
// message, streamed.
func bareFetch(b *testing.B, env benchEnv, opts *imap.FetchOptions) int {
	cl, err := imapclient.DialTLS(env.addr, &imapclient.Options{TLSConfig: env.tls})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	pw, _ := env.opt.Password(context.Background())
	if err := cl.Login(env.opt.Username, pw).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := cl.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	cmd := cl.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, opts)
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if _, err := msg.Collect(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := cmd.Close(); err != nil {
		b.Fatal(err)
	}
	cl.Logout().Wait()
	return n
}

// BenchmarkBareFetch: ENVELOPE, INTERNALDATE and a 512-byte prefix of
// BODY[TEXT] (raw MIME for multipart mail), as the issue measured.
func BenchmarkBareFetch(b *testing.B) {
	env := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := bareFetch(b, env, &imap.FetchOptions{
			UID: true, Envelope: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierText, Peek: true, Partial: &imap.SectionPartial{Size: 512}}},
		})
		if n != env.messages {
			b.Fatalf("fetched %d, want %d", n, env.messages)
		}
	}
	b.ReportMetric(float64(env.messages), "msgs/op")
}

// BenchmarkBareFetchSameItems: the items the connector's first FETCH asks
// for (header fields, RFC822.SIZE, BODYSTRUCTURE, 2 KB of part 1), without parsing or
// storing anything.
func BenchmarkBareFetchSameItems(b *testing.B) {
	env := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := bareFetch(b, env, &imap.FetchOptions{
			UID: true, InternalDate: true, RFC822Size: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
			BodySection: []*imap.FetchItemBodySection{
				{Specifier: imap.PartSpecifierHeader, HeaderFields: headerFields, Peek: true, Partial: &imap.SectionPartial{Size: maxHeaderBytes}},
				{Part: []int{1}, Peek: true, Partial: &imap.SectionPartial{Size: DefaultSnippetBytes}},
			},
		})
		if n != env.messages {
			b.Fatalf("fetched %d, want %d", n, env.messages)
		}
	}
	b.ReportMetric(float64(env.messages), "msgs/op")
}

// BenchmarkIncrementalCheck: a folder in sync, nothing new: the whole check
// (what a poll or a wake-up costs).
func BenchmarkIncrementalCheck(b *testing.B) {
	env := benchServer(b)
	c, err := New(env.opt)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	pw, _ := env.opt.Password(ctx)
	k, err := c.dial(ctx, pw)
	if err != nil {
		b.Fatal(err)
	}
	defer k.logout()
	f := &folder{c: c, sink: openStoreSink(b, "bench", store.Options{}), name: "INBOX"}
	if err := f.load(); err != nil {
		b.Fatal(err)
	}
	if err := f.sync(ctx, k); err != nil { // first sync: records the position
		b.Fatal(err)
	}
	before := f.cur.next
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.sync(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if f.cur.next != before {
		b.Fatalf("cursor moved from %d to %d with nothing new", before, f.cur.next)
	}
}

// BenchmarkIdleLatency delivers one message per iteration while the
// connector idles and reports how long until the item is in the store: from
// the delivery (the Maildir file appearing) and from the server's
// announcement (EXISTS in IDLE).
func BenchmarkIdleLatency(b *testing.B) {
	env := benchServer(b)
	var announced atomic.Int64
	testHookAnnounce = func() { announced.Store(time.Now().UnixNano()) }
	defer func() { testHookAnnounce = nil }()
	sink := openStoreSink(b, "bench", store.Options{})
	c, err := New(env.opt)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx, sink); close(done) }()
	defer func() { cancel(); <-done }()
	sink.waitNext(b, imap.UID(env.messages+1), time.Minute)
	time.Sleep(100 * time.Millisecond) // let IDLE start
	var fromDelivery, fromAnnounce []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		uid := imap.UID(env.messages + i + 2)
		raw := dovecottest.Generated(1_000_000 + i)
		announced.Store(0)
		t0 := time.Now()
		if err := deliverFile(env, raw); err != nil {
			b.Fatal(err)
		}
		sink.waitNext(b, uid, 30*time.Second)
		t1 := time.Now()
		// Pairs only: an item fetched by a sync already under way has no
		// announcement of its own.
		if a := announced.Load(); a != 0 {
			fromDelivery = append(fromDelivery, t1.Sub(t0))
			fromAnnounce = append(fromAnnounce, t1.Sub(time.Unix(0, a)))
		}
	}
	b.StopTimer()
	b.ReportMetric(median(fromDelivery).Seconds()*1000, "ms-delivery-to-store")
	b.ReportMetric(median(fromAnnounce).Seconds()*1000, "ms-announce-to-store")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

// deliverFile writes a message into the Maildir the way the harness does,
// owned like the Maildir (Dovecot runs as nobody when the caller is root).
func deliverFile(env benchEnv, raw []byte) error {
	if env.srv != nil {
		_, err := env.srv.Deliver("alice", "INBOX", raw, time.Time{})
		return err
	}
	st, err := os.Stat(env.maildir)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%d.B%d.bench", time.Now().UnixNano(), os.Getpid())
	tmp := filepath.Join(env.maildir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
		os.Chown(tmp, int(sys.Uid), int(sys.Gid))
	}
	return os.Rename(tmp, filepath.Join(env.maildir, "new", name))
}

// BenchmarkParse is the connector's own work per message, without a
// server: header fields and the first text part of generated mail.
func BenchmarkParse(b *testing.B) {
	var raws [][]byte
	for i := 0; i < 100; i++ {
		raws = append(raws, dovecottest.Generated(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ParseMessage(raws[i%len(raws)])
	}
}
