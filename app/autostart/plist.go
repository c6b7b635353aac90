package autostart

import (
	"bytes"
	"encoding/xml"
)

// launchAgent renders the macOS LaunchAgent property list that starts exe
// once at login in the user's graphical (Aqua) session. It lives outside
// the darwin file so that its XML can be tested on every OS.
//
// KeepAlive is left out on purpose: when the user quits Sluice from the
// tray, launchd must not start it again.
func launchAgent(exe string) []byte {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(exe)) // writes to a buffer: cannot fail
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + ID + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + esc.String() + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
</dict>
</plist>
`)
}
