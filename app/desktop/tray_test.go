//go:build linux

package desktop

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/model"
)

// privateBus starts a bus for one test.
func privateBus(t testing.TB) string {
	t.Helper()
	b, err := startBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	return b.Addr
}

// TestTrayOverDBus runs the real sluice binary's desktop face against a
// private session bus with a fake StatusNotifierWatcher (standing in for a
// panel) and a fake notification server: the item registers, the menu
// read back over com.canonical.dbusmenu matches the gate's state, and
// clicking items through dbusmenu's Event method drives the gate. The
// process runs on temp directories with the clock at Monday 12:00 in
// Berlin (between check-ins; the next is 16:00).
func TestTrayOverDBus(t *testing.T) {
	addr := privateBus(t)
	w := startWatcher(t, addr)
	notes := startFakeNotifications(t, addr)
	conn := connect(t, addr)
	p := startSluice(t, "DBUS_SESSION_BUS_ADDRESS="+addr)

	// The item registers with the watcher under its object path; its bus
	// name is the sender.
	waitFor(t, 10*time.Second, "the tray item to register", func() bool { return len(w.registrations()) > 0 })
	reg := w.registrations()[0]
	if reg.Service != "/StatusNotifierItem" {
		t.Errorf("registered service %q, want the object path /StatusNotifierItem", reg.Service)
	}
	item := reg.Sender
	waitFor(t, 10*time.Second, `sluice status to say the tray is "shown"`, func() bool { return p.status().Tray == "shown" })

	p.mustRun("send", "--title", "Lunch on Friday?", "--from", "Ann <ann@example.com>")
	p.mustRun("send", "--title", "Build green", "--from", "CI")
	menu := waitMenu(t, conn, item, "Check in now (2)")
	want := []string{
		"Holding · 2 held · next check-in 16:00",
		"----",
		"Check in now (2)",
		"Focus",
		"Pause for 1 hour",
		"----",
		"Open digest…",
		"Settings…",
		"----",
		"Quit Sluice",
	}
	if got := menu.labels(); !slices.Equal(got, want) {
		t.Fatalf("menu:\n%s\nwant labels %q", menu, want)
	}
	focus, _ := menu.find("Focus")
	var sub []string
	for _, c := range focus.Children {
		sub = append(sub, c.Label)
	}
	if want := []string{"25 minutes", "50 minutes", "90 minutes", "Until next check-in (16:00)"}; !slices.Equal(sub, want) {
		t.Errorf("Focus submenu %q, want %q", sub, want)
	}
	if status, _ := menu.find("Holding"); status.Enabled {
		t.Error("the status line is clickable; it should be plain text")
	}
	if d, _ := menu.find("Open digest"); !d.Enabled {
		t.Error("Open digest… is disabled although sluice-ui is next to sluice")
	}
	if _, ok := menu.find("End focus"); ok {
		t.Error("End focus shown outside a focus block")
	}

	// The icon, the tooltip and, once the item is on the bus, the title.
	if px := itemProp(t, conn, item, "IconPixmap"); !hasPixmap(px) {
		t.Errorf("IconPixmap is empty: %v", px)
	}
	waitFor(t, 10*time.Second, "the title to carry the held count", func() bool {
		return itemProp(t, conn, item, "Title").Value() == "Sluice · 2 held"
	})
	if id := itemProp(t, conn, item, "Id").Value(); id != "Sluice" {
		t.Errorf("item Id %q, want the stable %q (panels remember items by it)", id, "Sluice")
	}
	if tip := tooltipText(itemProp(t, conn, item, "ToolTip")); !strings.Contains(tip, "2 held") {
		t.Errorf("tooltip %q does not show the held count", tip)
	}

	// Click "Check in now (2)": the held items are released, one
	// notification sums them up, the menu follows the new state.
	checkin, _ := menu.find("Check in now")
	clickMenu(t, conn, item, checkin.ID)
	waitFor(t, 10*time.Second, "the held items to be released", func() bool { return p.status().Held == 0 })
	var digest []model.Item
	if err := json.Unmarshal([]byte(p.mustRun("digest", "--json")), &digest); err != nil || len(digest) != 2 {
		t.Fatalf("digest after the click: %d items (%v), want 2", len(digest), err)
	}
	menu = waitMenu(t, conn, item, "Check-in window open")
	if c, ok := menu.find("Check in now"); !ok || c.Label != "Check in now" || c.Enabled {
		t.Errorf("after the check-in: %+v; want a disabled plain \"Check in now\" (nothing held, window open)\n%s", c, menu)
	}
	if d, ok := menu.find("Open digest"); !ok || d.Label != "Open digest (2)…" {
		t.Errorf("digest item %q, want the released count", d.Label)
	}
	waitFor(t, 5*time.Second, "the check-in notification", func() bool { return len(notes.all()) == 1 })
	if got := notes.all()[0]; got.Summary != "Check-in 12:00 — 2 new: 2 local" || !got.Image {
		t.Errorf("check-in notification %+v, want the summary with the app icon", got)
	}

	// Open digest…: the windows binary starts with the same config and
	// data directory.
	d, _ := menu.find("Open digest")
	clickMenu(t, conn, item, d.ID)
	waitFor(t, 10*time.Second, "the digest window to be started", func() bool { return len(p.uiStarts()) == 1 })
	if got := p.uiStarts()[0]; !strings.HasSuffix(got, " digest") || !strings.Contains(got, "--config ") || !strings.Contains(got, "--data ") {
		t.Errorf("sluice-ui started with %q", got)
	}

	// Focus ▸ 25 minutes: focus starts, End focus appears.
	f25, _ := menu.find("25 minutes")
	clickMenu(t, conn, item, f25.ID)
	menu = waitMenu(t, conn, item, "End focus")
	if line := menu.labels()[0]; line != "Focus until 12:25 · 0 held · next check-in 16:00" {
		t.Errorf("status line in focus: %q", line)
	}
	waitFor(t, 5*time.Second, "the focus-start notification", func() bool { return len(notes.all()) == 2 })
	if got := notes.all()[1].Summary; got != "Focus until 12:25 — next check-in 16:00" {
		t.Errorf("focus notification %q", got)
	}

	// Pause for 1 hour: the pause outranks focus, Resume replaces Pause,
	// and focus can no longer be started.
	pause, _ := menu.find("Pause for 1 hour")
	clickMenu(t, conn, item, pause.ID)
	menu = waitMenu(t, conn, item, "Resume")
	if f, _ := menu.find("Focus"); f.Enabled {
		t.Error("Focus is offered while paused")
	}
	if !p.status().Paused {
		t.Error("the gate is not paused after the click")
	}
	waitFor(t, 5*time.Second, "the focus-end notification", func() bool { return len(notes.all()) == 3 })
	if got := notes.all()[2].Summary; !strings.HasPrefix(got, "Focus ended — paused") {
		t.Errorf("focus-end notification %q", got)
	}

	// An urgent item breaks through with the sender in the title and the
	// subject, escaped for a server that reads markup, in the body.
	p.mustRun("send", "--urgent", "--title", "Prod down <db-1> & failing", "--from", "Ops & Co <ops@example.com>")
	waitFor(t, 5*time.Second, "the urgent notification", func() bool { return len(notes.all()) == 4 })
	if got := notes.all()[3]; got.Summary != "Urgent: Ops & Co" || got.Body != "Prod down &lt;db-1&gt; &amp; failing" {
		t.Errorf("urgent notification %+v", got)
	}

	// Quit Sluice: the process exits 0 and the item leaves the bus. The
	// urgent item rebuilt the menu (three to read now), so click the Quit
	// of the new one: a click on an item a rebuild removed is lost.
	menu = waitMenu(t, conn, item, "Open digest (3)")
	quit, _ := menu.find("Quit Sluice")
	clickMenu(t, conn, item, quit.ID)
	if code := p.wait(); code != 0 {
		t.Errorf("exit code %d after Quit\n%s", code, p.logs())
	}
	var has bool
	conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, item).Store(&has)
	if has {
		t.Error("the tray item is still on the bus after Quit")
	}
	if n := len(notes.all()); n != 4 {
		t.Errorf("%d notifications in all, want 4: %+v", n, notes.all())
	}
	if l := p.logs(); strings.Contains(l, "panic") || !strings.Contains(l, "desktop stopped") {
		t.Errorf("log after Quit:\n%s", l)
	}
}

// waitMenu reads the menu until an item starting with label is in it and
// the menu is complete (a rebuild is not atomic: a panel may read it half
// built, then reads again on LayoutUpdated).
func waitMenu(t *testing.T, conn *dbus.Conn, item, label string) menuNode {
	t.Helper()
	var m menuNode
	waitFor(t, 10*time.Second, "a menu item "+label, func() bool {
		m = readMenu(t, conn, item)
		_, ok := m.find(label)
		_, done := m.find("Quit Sluice")
		return ok && done
	})
	return m
}

func hasPixmap(v dbus.Variant) bool {
	if arr, ok := v.Value().([][]any); ok && len(arr) > 0 && len(arr[0]) == 3 {
		data, _ := arr[0][2].([]byte)
		return len(data) > 0
	}
	return false
}

func tooltipText(v dbus.Variant) string {
	if f, ok := v.Value().([]any); ok && len(f) == 4 {
		s, _ := f[2].(string)
		return s
	}
	return ""
}
