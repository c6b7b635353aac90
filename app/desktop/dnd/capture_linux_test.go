package dnd

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain",
		"<b>Alice</b>: see <a href=\"x\">this</a>": "Alice: see this",
		"Tom &amp; Jerry &lt;3":                    "Tom & Jerry <3",
		"x < 3 and y > 2":                          "x < 3 and y > 2",
		"<img src=\"a.png\" alt=\"pic\"/> hi":      "hi",
		"  spaced  ":                               "spaced",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotificationFromMessage(t *testing.T) {
	msg := &dbus.Message{Type: dbus.TypeMethodCall, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldMember:    dbus.MakeVariant("Notify"),
		dbus.FieldInterface: dbus.MakeVariant(notifyName),
		dbus.FieldSender:    dbus.MakeVariant(":1.42"),
	}, Body: []any{"", uint32(0), "", "Alice", "<b>hi</b>", []string{},
		map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("org.example.Chat"), "urgency": dbus.MakeVariant(byte(2))}, int32(-1)}}
	n, ok := notification(msg)
	if !ok {
		t.Fatal("a Notify call was not read")
	}
	if n.App != "org.example.Chat" || n.Summary != "Alice" || n.Body != "hi" || !n.Urgent || n.Sender != ":1.42" {
		t.Errorf("read %+v", n)
	}
	msg.Headers[dbus.FieldMember] = dbus.MakeVariant("CloseNotification")
	if _, ok := notification(msg); ok {
		t.Error("a CloseNotification call was read as a notification")
	}
}
