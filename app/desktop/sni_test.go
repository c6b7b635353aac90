//go:build linux

package desktop

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// fakeWatcher is a minimal org.kde.StatusNotifierWatcher: it owns the
// name, records every item that registers, and so stands in for a panel.
type fakeWatcher struct {
	conn *dbus.Conn
	mu   sync.Mutex
	reg  []registration
}

type registration struct {
	Sender  string // the item's unique bus name
	Service string // what it passed: a bus name or an object path
}

// RegisterStatusNotifierItem is the watcher method items call.
func (w *fakeWatcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reg = append(w.reg, registration{Sender: string(sender), Service: service})
	return nil
}

// RegisterStatusNotifierHost is part of the interface; hosts are not faked.
func (w *fakeWatcher) RegisterStatusNotifierHost(dbus.Sender, string) *dbus.Error { return nil }

func (w *fakeWatcher) registrations() []registration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]registration(nil), w.reg...)
}

// startWatcher owns org.kde.StatusNotifierWatcher on the bus at addr until
// the test ends.
func startWatcher(t testing.TB, addr string) *fakeWatcher {
	t.Helper()
	w := &fakeWatcher{conn: connect(t, addr)}
	if err := w.conn.Export(w, "/StatusNotifierWatcher", watcherName); err != nil {
		t.Fatal(err)
	}
	r, err := w.conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", watcherName, r, err)
	}
	return w
}

// menuNode is one item of a com.canonical.dbusmenu layout.
type menuNode struct {
	ID       int32
	Label    string
	Enabled  bool
	Visible  bool
	Type     string // "separator" or ""
	Children []menuNode
}

// String draws the menu as indented lines, for failure messages.
func (n menuNode) String() string {
	var b strings.Builder
	var walk func(n menuNode, depth int)
	walk = func(n menuNode, depth int) {
		for _, c := range n.Children {
			line := c.Label
			if c.Type == "separator" {
				line = "----"
			}
			if !c.Enabled && c.Type != "separator" {
				line += " [disabled]"
			}
			if !c.Visible {
				line += " [hidden]"
			}
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), line)
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// find returns the first item whose label starts with prefix, searching
// submenus too.
func (n menuNode) find(prefix string) (menuNode, bool) {
	for _, c := range n.Children {
		if c.Type != "separator" && strings.HasPrefix(c.Label, prefix) {
			return c, true
		}
		if f, ok := c.find(prefix); ok {
			return f, true
		}
	}
	return menuNode{}, false
}

// labels lists the top-level labels, separators as "----".
func (n menuNode) labels() []string {
	var out []string
	for _, c := range n.Children {
		if c.Type == "separator" {
			out = append(out, "----")
			continue
		}
		out = append(out, c.Label)
	}
	return out
}

// readMenu reads the whole menu of the item at dest over dbusmenu.
// fyne.io/systray answers the first GetLayout after each rebuild one level
// deep (a workaround for libdbusmenu-gtk), so it asks until submenus come
// with their children, as a real panel does.
func readMenu(t testing.TB, conn *dbus.Conn, dest string) menuNode {
	t.Helper()
	obj := conn.Object(dest, "/StatusNotifierItem/menu")
	var root menuNode
	for range 3 {
		var rev uint32
		var layout struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		call := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
		if call.Err != nil {
			t.Fatalf("GetLayout: %v", call.Err)
		}
		if err := call.Store(&rev, &layout); err != nil {
			t.Fatalf("GetLayout reply: %v", err)
		}
		root = menuNode{ID: layout.ID, Enabled: true, Visible: true, Children: parseChildren(t, layout.Children)}
		complete := true
		for _, c := range root.Children {
			if c.Label == "Focus" && len(c.Children) == 0 {
				complete = false
			}
		}
		if complete {
			break
		}
	}
	return root
}

func parseChildren(t testing.TB, vs []dbus.Variant) []menuNode {
	var out []menuNode
	for _, v := range vs {
		fields, ok := v.Value().([]any)
		if !ok || len(fields) != 3 {
			t.Fatalf("menu item is %T %v, want (ia{sv}av)", v.Value(), v.Value())
		}
		n := menuNode{Enabled: true, Visible: true}
		n.ID, _ = fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		if l, ok := props["label"]; ok {
			n.Label, _ = l.Value().(string)
		}
		if e, ok := props["enabled"]; ok {
			n.Enabled, _ = e.Value().(bool)
		}
		if e, ok := props["visible"]; ok {
			n.Visible, _ = e.Value().(bool)
		}
		if e, ok := props["type"]; ok {
			n.Type, _ = e.Value().(string)
		}
		kids, _ := fields[2].([]dbus.Variant)
		n.Children = parseChildren(t, kids)
		out = append(out, n)
	}
	return out
}

// clickMenu sends the "clicked" event a panel sends when the user picks
// the item.
func clickMenu(t testing.TB, conn *dbus.Conn, dest string, id int32) {
	t.Helper()
	call := conn.Object(dest, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.Event", 0,
		id, "clicked", dbus.MakeVariant(""), uint32(0))
	if call.Err != nil {
		t.Fatalf("Event clicked %d: %v", id, call.Err)
	}
}

// itemProp reads a StatusNotifierItem property.
func itemProp(t testing.TB, conn *dbus.Conn, dest, name string) dbus.Variant {
	t.Helper()
	var v dbus.Variant
	err := conn.Object(dest, "/StatusNotifierItem").Call("org.freedesktop.DBus.Properties.Get", 0,
		"org.kde.StatusNotifierItem", name).Store(&v)
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return v
}
