//go:build unix

// Command testdovecot starts a throw-away Dovecot on 127.0.0.1 (see package
// dovecot), optionally fills alice's INBOX with generated mail, prints how to
// reach it as shell variable assignments followed by "READY", and stops it
// (removing everything) on SIGINT, SIGTERM or when its standard input closes.
// The IMAP benchmark script uses it; it is handy for trying a client by hand.
//
//	testdovecot -messages 10000 > env & . ./env
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

func main() {
	n := flag.Int("messages", 0, "generated messages to put in alice's INBOX")
	waitStdin := flag.Bool("stdin", false, "also stop when standard input closes")
	flag.Parse()
	log.SetFlags(0)

	s, err := dovecottest.Start(dovecottest.Options{LocalConf: "mail_fsync = never"})
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Now()
	if err := s.Fill("alice", "INBOX", 0, *n); err != nil {
		s.Close()
		log.Fatal(err)
	}
	fmt.Printf("IMAPBENCH_HOST=%s\nIMAPBENCH_PORT=%d\nIMAPBENCH_PLAIN_PORT=%d\nIMAPBENCH_CA=%s\n", s.Host, s.IMAPSPort, s.IMAPPort, s.CAFile)
	fmt.Printf("IMAPBENCH_USER=alice\nIMAPBENCH_PASS=%s\nIMAPBENCH_MAILDIR=%s\nIMAPBENCH_DIR=%s\nIMAPBENCH_MESSAGES=%d\n",
		s.Password("alice"), s.MaildirPath("alice", "INBOX"), s.Dir, *n)
	fmt.Printf("# filled %d messages in %v\nREADY\n", *n, time.Since(t0).Round(time.Millisecond))
	os.Stdout.Sync()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if *waitStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	<-stop
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}
}
