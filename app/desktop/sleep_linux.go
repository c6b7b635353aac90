package desktop

import (
	"context"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

const (
	logindName  = "org.freedesktop.login1"
	logindPath  = "/org/freedesktop/login1"
	logindIface = "org.freedesktop.login1.Manager"
)

// watchSleep listens for logind's PrepareForSleep signal on the system bus
// (or on the bus at address, for tests) and calls wake when the machine
// resumes, so the gate fires a check-in it slept through and connectors
// reconnect at once instead of within a minute. Without a system bus (a
// container, no systemd) it returns quietly: the gate's minute re-check
// still catches up.
func watchSleep(ctx context.Context, address string, log *slog.Logger, wake func()) {
	var conn *dbus.Conn
	var err error
	if address == "" {
		conn, err = dbus.ConnectSystemBus()
	} else {
		conn, err = dbus.Connect(address)
	}
	if err != nil {
		log.Info("no system bus; resume is noticed by the once-a-minute clock check", "err", err)
		return
	}
	defer conn.Close()
	opts := []dbus.MatchOption{
		dbus.WithMatchSender(logindName),
		dbus.WithMatchObjectPath(logindPath),
		dbus.WithMatchInterface(logindIface),
		dbus.WithMatchMember("PrepareForSleep"),
	}
	if err := conn.AddMatchSignalContext(ctx, opts...); err != nil {
		log.Info("cannot listen for sleep and resume", "err", err)
		return
	}
	ch := make(chan *dbus.Signal, 4)
	conn.Signal(ch)
	log.Debug("listening for sleep and resume (logind)")
	for {
		select {
		case <-ctx.Done():
			return
		case sig, ok := <-ch:
			if !ok {
				return
			}
			if sig.Name != logindIface+".PrepareForSleep" || len(sig.Body) < 1 {
				continue
			}
			if going, _ := sig.Body[0].(bool); going {
				log.Info("going to sleep")
				continue
			}
			log.Info("resumed from sleep; re-reading the clock and reconnecting")
			wake()
		}
	}
}
