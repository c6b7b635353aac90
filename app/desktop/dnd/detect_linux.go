package dnd

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of the notification specification.
const (
	notifyName  = "org.freedesktop.Notifications"
	notifyPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	propsIface  = "org.freedesktop.DBus.Properties"
	dunstIface  = "org.dunstproject.cmd0"
	xfconfName  = "org.xfce.Xfconf"
	xfconfPath  = dbus.ObjectPath("/org/xfce/Xfconf")
	xfconfIface = "org.xfce.Xfconf"
	// DesktopEntry is Sluice's desktop file name, as servers know it.
	DesktopEntry = "app.sluice.Sluice"
)

// ServerInfo is what GetServerInformation and GetCapabilities say.
type ServerInfo struct {
	Name, Vendor, Version, Spec string
	Caps                        []string
}

// String is "name version" ("dunst 1.9.0"; dunst's version carries a date too).
func (s ServerInfo) String() string {
	v, _, _ := strings.Cut(strings.TrimSpace(s.Version), " ")
	return strings.TrimSpace(s.Name + " " + v)
}

// AskServer asks the notification server on conn who it is.
func AskServer(ctx context.Context, conn *dbus.Conn) (ServerInfo, error) {
	var info ServerInfo
	obj := conn.Object(notifyName, notifyPath)
	err := obj.CallWithContext(ctx, notifyName+".GetServerInformation", 0).Store(&info.Name, &info.Vendor, &info.Version, &info.Spec)
	if err != nil {
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
			return info, ErrNoServer
		}
		return info, fmt.Errorf("ask the notification server who it is: %w", err)
	}
	_ = obj.CallWithContext(ctx, notifyName+".GetCapabilities", 0).Store(&info.Caps)
	return info, nil
}

// Detect finds the desktop's do-not-disturb on the session bus at conn,
// from who owns org.freedesktop.Notifications. An unknown server yields a
// backend that can do nothing and says so.
func Detect(ctx context.Context, conn *dbus.Conn, _ Settings) (Backend, error) {
	if conn == nil {
		return nil, ErrNoServer
	}
	info, err := AskServer(ctx, conn)
	if err != nil {
		return nil, err
	}
	name, vendor := strings.ToLower(info.Name), strings.ToLower(info.Vendor)
	switch {
	case name == "dunst":
		return &dunst{conn: conn, server: info.String()}, nil
	case slices.Contains(info.Caps, "inhibitions"):
		// Plasma's server, and any other that implements the
		// inhibition extension of the specification.
		label := info.Name
		if vendor == "kde" || name == "plasma" {
			label = "KDE Plasma"
		}
		return &inhibitor{conn: conn, label: label, server: info.String()}, nil
	case name == "gnome-shell":
		return newGNOME(ctx, info.String())
	case name == "xfce notify daemon" || vendor == "xfce":
		return &xfce{conn: conn, server: info.String()}, nil
	case name == "mako":
		return newMako(info.String())
	}
	return &unsupported{server: info.String()}, nil
}

// ---- dunst ----

// dunst pauses dunst through its paused property. dunst keeps what
// arrives while paused and shows it on resume. dunst 1.9 shows nothing at
// all while paused, critical notifications included (checked), and
// pausing also takes what is on screen back into the waiting queue.
type dunst struct {
	conn   *dbus.Conn
	server string
}

func (d *dunst) Name() string   { return "dunst" }
func (d *dunst) Server() string { return d.server }

func (d *dunst) Quiet(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := d.conn.Object(notifyName, notifyPath).CallWithContext(ctx, propsIface+".Get", 0, dunstIface, "paused").Store(&v)
	if err != nil {
		return false, fmt.Errorf("read dunst's paused property: %w", err)
	}
	on, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("dunst's paused property is a %s, not a boolean", v.Signature())
	}
	return on, nil
}

func (d *dunst) SetQuiet(ctx context.Context, on bool) error {
	err := d.conn.Object(notifyName, notifyPath).CallWithContext(ctx, propsIface+".Set", 0, dunstIface, "paused", dbus.MakeVariant(on)).Err
	if err != nil {
		return fmt.Errorf("set dunst's paused property: %w", err)
	}
	return nil
}

func (d *dunst) Traits() Traits {
	return Traits{
		CanSet: true, CanRead: true, Word: "paused",
		Waiting: "dunst keeps them and shows them when Sluice resumes it at the check-in.",
		Urgent: "dunst shows nothing while paused, not even critical notifications: for an urgent item Sluice resumes dunst " +
			"while its notification is on screen (what other apps sent shows with it) and pauses it again when you close it.",
		Advice: "Nothing to set up. `dunstctl is-paused` shows the state; a pause you set yourself is left alone.",
	}
}

// ---- KDE Plasma (and other servers with inhibitions) ----

// inhibitor holds an inhibition (Plasma's do-not-disturb) for as long as
// Sluice holds: it is bound to Sluice's connection, so it ends by itself
// if Sluice dies.
type inhibitor struct {
	conn          *dbus.Conn
	label, server string

	mu     sync.Mutex
	cookie uint32
	held   bool
}

func (k *inhibitor) Name() string   { return k.label }
func (k *inhibitor) Server() string { return k.server }

func (k *inhibitor) Quiet(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := k.conn.Object(notifyName, notifyPath).CallWithContext(ctx, propsIface+".Get", 0, notifyName, "Inhibited").Store(&v)
	if err != nil {
		return false, fmt.Errorf("read the Inhibited property: %w", err)
	}
	on, _ := v.Value().(bool)
	return on, nil
}

func (k *inhibitor) SetQuiet(ctx context.Context, on bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	obj := k.conn.Object(notifyName, notifyPath)
	if on {
		if k.held {
			return nil
		}
		var cookie uint32
		err := obj.CallWithContext(ctx, notifyName+".Inhibit", 0, DesktopEntry,
			"Focus: Sluice holds notifications until the check-in", map[string]dbus.Variant{}).Store(&cookie)
		if err != nil {
			return fmt.Errorf("inhibit notifications: %w", err)
		}
		k.cookie, k.held = cookie, true
		return nil
	}
	if !k.held {
		return nil
	}
	if err := obj.CallWithContext(ctx, notifyName+".UnInhibit", 0, k.cookie).Err; err != nil {
		return fmt.Errorf("end the inhibition: %w", err)
	}
	k.held = false
	return nil
}

func (k *inhibitor) Traits() Traits {
	return Traits{
		CanSet: true, CanRead: true, CriticalShown: true, EndsWithConnection: true, Word: "in do-not-disturb",
		Waiting: "Plasma keeps them in its notification history and says how many arrived when do-not-disturb ends.",
		Urgent:  "Sluice's urgent notifications are critical, which Plasma shows during do-not-disturb (System Settings ▸ Notifications ▸ “Show critical notifications”).",
		Advice:  "Nothing to set up. The do-not-disturb is Sluice's own (it shows in the notification applet) and ends if Sluice stops.",
	}
}

// ---- GNOME ----

// gnome turns GNOME's notification banners off through GSettings (the
// gsettings command, which writes through dconf). GNOME keeps what
// arrives in its message list; it does not pop it up later.
type gnome struct {
	bin    string
	server string
}

const gnomeSchema = "org.gnome.desktop.notifications"

func newGNOME(ctx context.Context, server string) (Backend, error) {
	bin, err := exec.LookPath("gsettings")
	if err != nil {
		return &unsupported{server: server, why: "the gsettings command is missing (Debian package libglib2.0-bin)"}, nil
	}
	if out, err := exec.CommandContext(ctx, bin, "get", gnomeSchema, "show-banners").CombinedOutput(); err != nil {
		return &unsupported{server: server, why: "GSettings has no " + gnomeSchema + " (" + strings.TrimSpace(string(out)) + ")"}, nil
	}
	return &gnome{bin: bin, server: server}, nil
}

func (g *gnome) Name() string   { return "GNOME" }
func (g *gnome) Server() string { return g.server }

func (g *gnome) Quiet(ctx context.Context) (bool, error) {
	out, err := exec.CommandContext(ctx, g.bin, "get", gnomeSchema, "show-banners").CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("gsettings get show-banners: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)) == "false", nil
}

func (g *gnome) SetQuiet(ctx context.Context, on bool) error {
	v := "true"
	if on {
		v = "false"
	}
	out, err := exec.CommandContext(ctx, g.bin, "set", gnomeSchema, "show-banners", v).CombinedOutput()
	if err != nil {
		return fmt.Errorf("gsettings set show-banners %s: %v: %s", v, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (g *gnome) Traits() Traits {
	return Traits{
		CanSet: true, CanRead: true, Settle: 300 * time.Millisecond, Word: "banners off",
		Waiting: "GNOME keeps them in the message list (click the clock); it does not pop them up later.",
		Urgent: "Whether GNOME shows a critical banner with banners off depends on its version, so Sluice turns banners " +
			"on while its urgent notification is on screen and off again when you close it.",
		Advice: "Nothing to set up: this is GNOME's own Do Not Disturb switch (Settings ▸ Notifications).",
	}
}

// ---- XFCE ----

// xfce switches xfce4-notifyd's do-not-disturb through xfconf. During it
// xfce4-notifyd shows only critical notifications (checked); what else
// arrives is not shown later (it is in the log if the log is on).
type xfce struct {
	conn   *dbus.Conn
	server string
}

func (x *xfce) Name() string   { return "XFCE" }
func (x *xfce) Server() string { return x.server }

func (x *xfce) Quiet(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := x.conn.Object(xfconfName, xfconfPath).CallWithContext(ctx, xfconfIface+".GetProperty", 0, "xfce4-notifyd", "/do-not-disturb").Store(&v)
	if err != nil {
		var de dbus.Error
		if errors.As(err, &de) && strings.Contains(de.Name, "PropertyNotFound") {
			return false, nil // never set: off
		}
		return false, fmt.Errorf("read xfconf xfce4-notifyd /do-not-disturb: %w", err)
	}
	on, _ := v.Value().(bool)
	return on, nil
}

func (x *xfce) SetQuiet(ctx context.Context, on bool) error {
	err := x.conn.Object(xfconfName, xfconfPath).CallWithContext(ctx, xfconfIface+".SetProperty", 0, "xfce4-notifyd", "/do-not-disturb", dbus.MakeVariant(on)).Err
	if err != nil {
		return fmt.Errorf("set xfconf xfce4-notifyd /do-not-disturb: %w", err)
	}
	return nil
}

func (x *xfce) Traits() Traits {
	return Traits{
		CanSet: true, CanRead: true, CriticalShown: true, Word: "in do-not-disturb",
		Waiting: "XFCE does not show them later; turn on the notification log (Notifications settings ▸ Log) to find them.",
		Urgent:  "Sluice's urgent notifications are critical, which XFCE shows during do-not-disturb.",
		Advice:  "Nothing to set up: this is the Do not disturb switch of XFCE's Notifications settings.",
	}
}

// ---- mako ----

// mako switches mako's do-not-disturb mode with makoctl. The mode does
// what the user's mako config says; with `invisible=1` in a
// [mode=do-not-disturb] section, what arrives stays hidden until the mode
// ends, then shows.
type mako struct {
	bin    string
	server string
}

const makoMode = "do-not-disturb"

func newMako(server string) (Backend, error) {
	bin, err := exec.LookPath("makoctl")
	if err != nil {
		return &unsupported{server: server, why: "the makoctl command is missing"}, nil
	}
	return &mako{bin: bin, server: server}, nil
}

func (m *mako) Name() string   { return "mako" }
func (m *mako) Server() string { return m.server }

func (m *mako) Quiet(ctx context.Context) (bool, error) {
	out, err := exec.CommandContext(ctx, m.bin, "mode").CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("makoctl mode: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return slices.Contains(strings.Fields(string(out)), makoMode), nil
}

func (m *mako) SetQuiet(ctx context.Context, on bool) error {
	flag := "-r"
	if on {
		flag = "-a"
	}
	out, err := exec.CommandContext(ctx, m.bin, "mode", flag, makoMode).CombinedOutput()
	if err != nil {
		return fmt.Errorf("makoctl mode %s %s: %v: %s", flag, makoMode, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (m *mako) Traits() Traits {
	return Traits{
		CanSet: true, CanRead: true, Word: "in do-not-disturb mode",
		Waiting: "With invisible=1 in your [mode=do-not-disturb] section, mako keeps them hidden and shows them when the mode ends.",
		Urgent: "Sluice takes mako out of do-not-disturb mode while its urgent notification is on screen " +
			"(what other apps sent shows with it) and puts it back when you close it.",
		Advice: "Add to ~/.config/mako/config:\n[mode=do-not-disturb]\ninvisible=1",
	}
}
