// Package calendar reads the user's calendars as busy time and writes
// Sluice's focus blocks back as busy events. It is the only package that
// speaks CalDAV (github.com/emersion/go-webdav) and iCalendar
// (github.com/emersion/go-ical); like the connectors it imports only the
// model and the clock, and hands its results to the gate through
// model.BusySink.
//
// Two kinds of account: a CalDAV account (Radicale, Nextcloud, Fastmail,
// iCloud, any server), polled with a sync-token (RFC 6578) where the server
// offers one and with ETags otherwise; and a read-only iCalendar URL (the
// "secret address" Google and Outlook give), polled with If-None-Match and
// If-Modified-Since. Recurring events are expanded here (see Expand), and
// only the intervals that make the user busy leave the package.
//
// It lives under connectors/ although it brings no items: it is a source of
// the outside world with a protocol library of its own, and the connector
// rules (import only app/model and app/clock, keep the protocol inside)
// are exactly the ones it should follow.
package calendar
