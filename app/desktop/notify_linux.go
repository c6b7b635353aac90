package desktop

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/png"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-app/sluice/app/desktop/dnd"
)

// An urgent notification stays as long as the server keeps critical ones
// (usually until the user closes it); the rest go after noteTimeout.
const (
	urgentTimeout = -1 // the server's default for critical notifications
	// appName is how Sluice names itself to the notification server.
	appName = "Sluice"
)

// urgency levels of the notification specification.
const (
	urgencyNormal   byte = 1
	urgencyCritical byte = 2
)

// imageData is the specification's image-data hint, (iiibiiay).
type imageData struct {
	Width, Height, RowStride int32
	HasAlpha                 bool
	BitsPerSample, Channels  int32
	Data                     []byte
}

var (
	iconOnce sync.Once
	iconHint *imageData
)

// appIcon is Sluice's icon as an image-data hint (nil if it cannot be read).
func appIcon() *imageData {
	iconOnce.Do(func() {
		b, ok := noteIcon().([]byte) // the same icon as on other systems
		if !ok {
			return
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		iconHint = &imageData{Width: int32(rgba.Rect.Dx()), Height: int32(rgba.Rect.Dy()), RowStride: int32(rgba.Stride),
			HasAlpha: true, BitsPerSample: 8, Channels: 4, Data: rgba.Pix}
	})
	return iconHint
}

// send shows n through the notification server on the session bus and
// returns the server's id for it. An urgent note carries critical urgency
// (which XFCE and KDE show during do-not-disturb); the rest are normal.
// beeep is not used here: it sends every notification with normal urgency.
func (s *session) send(n Note) (uint32, error) {
	if s == nil {
		return 0, errNoBus
	}
	body := n.Body
	if s.readsMarkup() {
		body = escapeMarkup(body)
	}
	hints := map[string]dbus.Variant{
		"urgency":       dbus.MakeVariant(urgencyNormal),
		"desktop-entry": dbus.MakeVariant(dnd.DesktopEntry),
	}
	timeout := int32(noteTimeout / time.Millisecond)
	if n.Urgent {
		hints["urgency"] = dbus.MakeVariant(urgencyCritical)
		timeout = urgentTimeout
	}
	if img := appIcon(); img != nil {
		hints["image-data"] = dbus.MakeVariant(*img)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var id uint32
	err := s.conn.Object(notifyName, notifyPath).CallWithContext(ctx, notifyName+".Notify", 0,
		appName, uint32(0), "", n.Title, body, []string{}, hints, timeout).Store(&id)
	return id, err
}

// maxUrgentLift bounds how long the desktop stays open for one urgent
// notification whose closing the server never reports.
const maxUrgentLift = 30 * time.Minute

// whenClosed calls fn once the server reports notification id closed (by
// the user, or expired), or after maxUrgentLift, or when ctx ends.
func (s *session) whenClosed(ctx context.Context, id uint32, fn func()) {
	if s == nil || id == 0 {
		fn()
		return
	}
	opts := []dbus.MatchOption{
		dbus.WithMatchInterface(notifyName),
		dbus.WithMatchMember("NotificationClosed"),
	}
	if err := s.conn.AddMatchSignal(opts...); err != nil {
		s.log.Warn("cannot watch for the urgent notification to close", "err", err)
		fn()
		return
	}
	ch := make(chan *dbus.Signal, 16)
	s.conn.Signal(ch)
	go func() {
		defer fn()
		defer s.conn.RemoveMatchSignal(opts...)
		defer s.conn.RemoveSignal(ch)
		limit := time.NewTimer(maxUrgentLift)
		defer limit.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-limit.C:
				return
			case sig, ok := <-ch:
				if !ok {
					return
				}
				if sig.Name != notifyName+".NotificationClosed" || len(sig.Body) < 1 {
					continue
				}
				if got, _ := sig.Body[0].(uint32); got == id {
					return
				}
			}
		}
	}()
}

// watchServer calls fn when another process takes over the notification
// server's name (dunst restarted, another server started), until stop.
func (s *session) watchServer(fn func()) (stop func()) {
	if s == nil {
		return func() {}
	}
	opts := []dbus.MatchOption{
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, notifyName),
	}
	if err := s.conn.AddMatchSignal(opts...); err != nil {
		s.log.Warn("cannot watch the notification server", "err", err)
		return func() {}
	}
	ch := make(chan *dbus.Signal, 8)
	s.conn.Signal(ch)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig, ok := <-ch:
				if !ok {
					return
				}
				if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
					continue
				}
				if name, _ := sig.Body[0].(string); name == notifyName {
					fn()
				}
			}
		}
	}()
	return func() {
		close(done)
		s.conn.RemoveSignal(ch)
		s.conn.RemoveMatchSignal(opts...)
	}
}

// dndDetect finds the desktop's do-not-disturb on this session bus.
func (s *session) dndDetect() func(context.Context, dnd.Settings) (dnd.Backend, error) {
	return func(ctx context.Context, set dnd.Settings) (dnd.Backend, error) {
		if s == nil {
			return nil, dnd.ErrNoServer
		}
		return dnd.Detect(ctx, s.conn, set)
	}
}

// dndWatcher watches other apps' notifications on a connection of its
// own, leaving out Sluice's own (sent on this session's connection).
func (s *session) dndWatcher() dnd.Watcher {
	if s == nil {
		return nil
	}
	var own string
	if names := s.conn.Names(); len(names) > 0 {
		own = names[0]
	}
	return &dnd.Monitor{Connect: dialSession, Skip: func(sender string) bool { return sender == own }}
}
