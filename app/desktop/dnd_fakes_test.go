//go:build linux

package desktop

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// fakeServer is an org.freedesktop.Notifications server that names itself
// as a given desktop's would, records every notification with its urgency
// and what the test's probe said at that moment, and, when it has the
// "inhibitions" capability, implements Inhibit/UnInhibit and the
// Inhibited property as KDE Plasma does: an inhibition ends when the
// connection that asked for it goes away.
type fakeServer struct {
	name, vendor, version string
	caps                  []string
	probe                 func() string // called at each Notify (e.g. GNOME's show-banners)

	conn *dbus.Conn
	mu   sync.Mutex
	got  []fakeNote
	inh  map[uint32]string // cookie → the caller's unique name
	next uint32
	// inhibits and uninhibits count the calls.
	inhibits, uninhibits int
}

type fakeNote struct {
	App, Summary, Body string
	Urgency            byte
	Probe              string // what probe said when it arrived
	ID                 uint32
}

func startFakeServer(t *testing.T, addr string, f *fakeServer) *fakeServer {
	t.Helper()
	f.inh = map[uint32]string{}
	conn := connect(t, addr)
	f.conn = conn
	if err := conn.Export(f, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(fakeProps{f}, notifyPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	// An inhibition ends with its owner's connection.
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 64)
	conn.Signal(sigs)
	go func() {
		for sig := range sigs {
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
				continue
			}
			name, _ := sig.Body[0].(string)
			if owner, _ := sig.Body[2].(string); owner != "" {
				continue
			}
			f.mu.Lock()
			for c, who := range f.inh {
				if who == name {
					delete(f.inh, c)
				}
			}
			f.mu.Unlock()
		}
	}()
	if r, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", notifyName, r, err)
	}
	t.Cleanup(func() { conn.ReleaseName(notifyName) })
	return f
}

// Notify records a notification.
func (f *fakeServer) Notify(app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	var urgency byte = 1
	if v, ok := hints["urgency"]; ok {
		urgency, _ = v.Value().(byte)
	}
	probe := ""
	if f.probe != nil {
		probe = f.probe()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.got = append(f.got, fakeNote{App: app, Summary: summary, Body: body, Urgency: urgency, Probe: probe, ID: f.next})
	return f.next, nil
}

// GetCapabilities tells what the server supports.
func (f *fakeServer) GetCapabilities() ([]string, *dbus.Error) { return f.caps, nil }

// GetServerInformation names the server.
func (f *fakeServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return f.name, f.vendor, f.version, "1.2", nil
}

// CloseNotification closes a notification as the user would.
func (f *fakeServer) CloseNotification(id uint32) *dbus.Error {
	f.conn.Emit(notifyPath, notifyName+".NotificationClosed", id, uint32(3))
	return nil
}

// Inhibit starts an inhibition for the caller.
func (f *fakeServer) Inhibit(sender dbus.Sender, entry, reason string, hints map[string]dbus.Variant) (uint32, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.inh[f.next] = string(sender)
	f.inhibits++
	return f.next, nil
}

// UnInhibit ends one.
func (f *fakeServer) UnInhibit(cookie uint32) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.inh, cookie)
	f.uninhibits++
	return nil
}

func (f *fakeServer) inhibited() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.inh) > 0
}

func (f *fakeServer) counts() (inhibits, uninhibits int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inhibits, f.uninhibits
}

func (f *fakeServer) notes() []fakeNote {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeNote(nil), f.got...)
}

// userCloses says the user closed notification id.
func (f *fakeServer) userCloses(id uint32) {
	f.conn.Emit(notifyPath, notifyName+".NotificationClosed", id, uint32(2))
}

// fakeProps serves the Inhibited property.
type fakeProps struct{ f *fakeServer }

func (p fakeProps) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	if iface == notifyName && prop == "Inhibited" {
		return dbus.MakeVariant(p.f.inhibited()), nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{prop})
}

func (p fakeProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	return map[string]dbus.Variant{"Inhibited": dbus.MakeVariant(p.f.inhibited())}, nil
}

func (p fakeProps) Set(iface, prop string, v dbus.Variant) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.PropertyReadOnly", []any{prop})
}

func findNote(ns []fakeNote, prefix string) (fakeNote, bool) {
	for _, n := range ns {
		if len(n.Summary) >= len(prefix) && n.Summary[:len(prefix)] == prefix {
			return n, true
		}
	}
	return fakeNote{}, false
}
