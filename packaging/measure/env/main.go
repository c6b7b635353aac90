//go:build measure

// Command env sets up what packaging/measure/idle.sh measures against: a
// real Dovecot on 127.0.0.1 with two users (connectors/imap/dovecottest) and a
// fake StatusNotifierWatcher on the session bus in DBUS_SESSION_BUS_ADDRESS,
// standing in for a panel so the tray registers. It prints shell
// assignments (IMAPS_PORT=…, CA_FILE=…, ALICE_PW=…, BOB_PW=…), then runs
// until SIGTERM or SIGINT and stops Dovecot.
//
//	go run -tags measure ./packaging/measure/env
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// watcher records nothing: registering is all an item needs.
type watcher struct{}

func (watcher) RegisterStatusNotifierItem(dbus.Sender, string) *dbus.Error { return nil }
func (watcher) RegisterStatusNotifierHost(dbus.Sender, string) *dbus.Error { return nil }

func main() {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		log.Fatalf("session bus: %v", err)
	}
	defer conn.Close()
	if err := conn.Export(watcher{}, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		log.Fatal(err)
	}
	if r, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		log.Fatalf("own the watcher name: %v %v", r, err)
	}

	srv, err := dovecottest.Start(dovecottest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	fmt.Printf("IMAPS_PORT=%d\nCA_FILE=%s\nALICE_PW=%s\nBOB_PW=%s\nREADY=1\n",
		srv.IMAPSPort, srv.CAFile, srv.Password("alice"), srv.Password("bob"))
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
