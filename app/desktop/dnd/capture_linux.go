package dnd

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/godbus/dbus/v5"
)

// Monitor watches other apps' Notify calls on the session bus with a
// D-Bus monitor (org.freedesktop.DBus.Monitoring.BecomeMonitor) on a
// connection of its own: a monitor can only listen, so it never shares
// one with anything else.
type Monitor struct {
	// Connect opens a new private connection to the session bus.
	Connect func() (*dbus.Conn, error)
	// Skip reports notifications not to report (Sluice's own), by the
	// sender's unique bus name.
	Skip func(sender string) bool
}

// Watch implements Watcher: it reports every Notify call until ctx is done.
func (m *Monitor) Watch(ctx context.Context, ready func(), fn func(Notification)) error {
	conn, err := m.Connect()
	if err != nil {
		return fmt.Errorf("connect to the session bus: %w", err)
	}
	defer conn.Close()
	rules := []string{"type='method_call',interface='" + notifyName + "',member='Notify'"}
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, rules, uint32(0)).Err; err != nil {
		return fmt.Errorf("become a D-Bus monitor: %w", err)
	}
	// From here on the connection only receives; godbus must not answer
	// the calls it overhears.
	ch := make(chan *dbus.Message, 256)
	conn.Eavesdrop(ch)
	ready()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("the session bus closed the monitor connection")
			}
			n, ok := notification(msg)
			if !ok || (m.Skip != nil && m.Skip(n.Sender)) {
				continue
			}
			fn(n)
		}
	}
}

// notification reads a Notify call: (app_name s, replaces_id u, app_icon
// s, summary s, body s, actions as, hints a{sv}, expire_timeout i).
func notification(msg *dbus.Message) (Notification, bool) {
	if msg.Type != dbus.TypeMethodCall || len(msg.Body) < 7 {
		return Notification{}, false
	}
	if member, _ := msg.Headers[dbus.FieldMember].Value().(string); member != "Notify" {
		return Notification{}, false
	}
	if iface, _ := msg.Headers[dbus.FieldInterface].Value().(string); iface != notifyName {
		return Notification{}, false
	}
	app, _ := msg.Body[0].(string)
	summary, _ := msg.Body[3].(string)
	body, _ := msg.Body[4].(string)
	hints, _ := msg.Body[6].(map[string]dbus.Variant)
	sender, _ := msg.Headers[dbus.FieldSender].Value().(string)
	n := Notification{App: strings.TrimSpace(app), Summary: strings.TrimSpace(summary), Body: PlainText(body),
		Sender: sender, Serial: msg.Serial()}
	if n.App == "" {
		if v, ok := hints["desktop-entry"]; ok {
			n.App, _ = v.Value().(string)
		}
	}
	if v, ok := hints["urgency"]; ok {
		if u, ok := v.Value().(byte); ok && u == 2 {
			n.Urgent = true
		}
	}
	return n, true
}

// PlainText turns a notification body, which servers may read as a small
// subset of HTML (<b>, <i>, <u>, <a>, <img>, entities), into plain text. A
// "<" that does not start a tag ("x < 3") is kept.
func PlainText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && (isLetter(s[i+1]) || s[i+1] == '/') {
			if end := strings.IndexByte(s[i:], '>'); end > 0 {
				i += end
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.TrimSpace(html.UnescapeString(b.String()))
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
