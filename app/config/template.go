package config

import (
	"fmt"
	"strings"
)

// Commented renders a commented config for `sluice init`: the given
// template's rhythm in the given zone, every other setting at its default
// and explained.
func Commented(template, zone string) []byte {
	if template == "" {
		template = "twice-a-day"
	}
	d := Default()
	s := fmt.Sprintf(`# Sluice settings. The settings window edits this file; editing it by hand
# is fine too (then run `+"`sluice config check`"+` and `+"`sluice config reload`"+`).
# Passwords and tokens are never stored here: they live in the OS keyring.
version = %d

[schedule]
# The rhythm: twice-a-day, three-times-a-day, makers-day, or custom.
# With no [schedule.days.*] tables the template's week is used as it is.
template = %q
# An IANA time zone such as "Europe/Berlin"; empty means the system's.
zone = %q

# To shape your own week, set template = "custom" and describe each working
# day; days not listed are days off. Times are wall-clock times in the zone.
# [schedule.days.monday]
# work = { start = "09:00", end = "17:30" }
# checkins = [ { at = "11:00", window = "30m" }, { at = "16:00", window = "30m" } ]
# focus = [ { start = "09:00", end = "11:00" }, { start = "13:30", end = "15:30" } ]

# Vacation: everything is held for the whole range (inclusive days).
# [[schedule.vacations]]
# from = "2026-12-24"
# to = "2027-01-01"

[urgent]
# Senders who always break through: addresses, domains ("acme.com") or globs.
vips = []
# Words in a subject or text that break through ("outage", "prod down").
keywords = []
# A channel whose every message breaks through ("#incidents").
channel = ""
# At most this many urgent items break through in any hour; more are held.
budget_per_hour = %d
# Outside working hours urgent items are held ("hold") or break through ("deliver").
off_hours = %q

# Your own rules, in order; the first that matches decides. Conditions in one
# rule must all match; within a list any entry may. Actions: urgent, hold,
# quiet (released without a notification), ignore (never stored).
# [[rules]]
# name = "Newsletters"
# from = ["*@news.example.com"]
# action = "quiet"

[notifications]
checkin = %t       # one summary at each check-in
urgent = %t        # one per urgent breakthrough
focus_start = %t   # when a focus block starts
focus_end = %t     # when it ends
attention = %t     # when an account needs you (e.g. a wrong password)
empty_checkin = %t # also when a check-in released nothing

[general]
retention = %q   # done items are deleted after this long
log_level = %q
start_at_login = false

[local]
# The local inbox: scripts push items with `+"`sluice send`"+` (always on) or over
# HTTP on loopback with the token from `+"`sluice token`"+` when http = true.
http = %t
listen = %q

[calendar]
# How the meetings on your calendars (accounts of kind caldav or ics) shape
# the day. Free, cancelled and declined events never count.
move_checkins = true     # a check-in inside a meeting moves to its end (within working hours)
hold_in_meetings = true  # hold during meetings like during focus; urgent items still come through
all_day_busy = true      # all-day events marked busy count as meetings
# Write the week's focus blocks as busy "Focus — Sluice" events into a
# calendar of a caldav account (and remove them when turned off).
publish_focus = false
# publish_account = "Work calendar"
# publish_calendar = "Work"

[desktop]
# Other apps' notifications wait for the check-in too: Sluice puts the
# desktop's notification server into do-not-disturb while it holds.
# "focus" (during focus blocks and meetings), "holding" (also between
# check-ins and off-hours) or "off". It never lifts a do-not-disturb you
# set yourself.
hold_other_apps = %q
# Linux: also record other apps' notifications as Sluice items while it
# holds (so check-ins and the digest count them). Off unless you agree;
# then list the apps, as the settings window shows them once seen.
capture = false
capture_apps = []
# macOS: the Shortcuts Sluice runs to turn a Focus on and off.
shortcut_on = %q
shortcut_off = %q

[promise]
# How soon you answer: "next-checkin" (by the end of the next check-in's
# window), a duration such as "24h" (every hour counts, weekends too) or
# "1 working day" / "2 working days" (days with working hours, outside
# vacations). The digest lists what waits for your reply by this, and
# `+"`sluice stats`"+` counts replies within it and late.
reply_within = %q

[autoreply]
# An auto-reply sent by your mail server (Sieve vacation over ManageSieve,
# where the server offers it), so it works while this computer sleeps:
# during vacations, and outside working hours with off_hours = true. Each
# sender gets it at most once in `+"`days`"+` days; lists, bulk mail and no-reply
# addresses never. Sluice never replaces a Sieve script of your own.
enabled = false
off_hours = false
# The text; empty means one made from your schedule, e.g. "I read mail at
# 11:00 and 16:00 (Europe/Berlin). Urgent? Put URGENT in the subject."
text = ""
days = %d

# Accounts are added with `+"`sluice account add`"+` or the settings window, e.g.
# [[accounts]]
# name = "Work mail"
# kind = "imap"
# preset = "fastmail"
# username = "me@example.com"
# sent_folder = "Sent"        # found by its \Sent flag when left out; "-" turns it off
#
# [[accounts]]
# name = "Work calendar"
# kind = "caldav"            # or "ics" for a calendar's secret address (`+"`sluice account set-url`"+`)
# url = "https://cal.example.com/dav/"
# username = "me@example.com"
#
# Gmail, Outlook.com and Microsoft 365 sign in with OAuth2 in the browser
# (`+"`sluice account login NAME`"+`); the refresh token goes to the keyring:
# [[accounts]]
# name = "Work"
# kind = "imap"
# preset = "office365"
# username = "me@corp.example"
# auth = "oauth2"
# oauth_provider = "microsoft"   # google, microsoft, or oidc with oauth_issuer
# oauth_tenant = "corp.example"  # Microsoft only; default "common"
`, Version, template, zone, d.Urgent.BudgetPerHour, d.Urgent.OffHours,
		d.Notifications.Checkin, d.Notifications.Urgent, d.Notifications.FocusStart, d.Notifications.FocusEnd,
		d.Notifications.Attention, d.Notifications.Empty, fmtDuration(d.General.Retention.Duration.String()),
		d.General.LogLevel, d.Local.HTTP, d.Local.Listen, d.Desktop.HoldOtherApps, d.Desktop.ShortcutOn, d.Desktop.ShortcutOff,
		d.Promise.ReplyWithin, d.AutoReply.Days)
	return []byte(s)
}

// fmtDuration trims Go's "720h0m0s" to "720h".
func fmtDuration(s string) string {
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
