package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/schedule"
)

// Response times in the windows: the promise and the auto-reply in the
// Schedule tab, "Waiting for your reply" at the top of the digest, and
// the replies charts in the Stats window.

// promiseChoices are the promises the Schedule tab offers; any other is
// typed.
var promiseChoices = []string{"next-checkin", "4h", "24h", "1 working day", "2 working days"}

// repliesSection edits the promise and the auto-reply.
func (t *scheduleTab) repliesSection() fyne.CanvasObject {
	s := t.s
	promise, choose, words := t.promiseField()
	details := t.autoReplyDetails()
	a := &s.cfg.AutoReply
	on := newCheck("Answer mail while I'm on vacation", a.Enabled, func(on bool) {
		s.cfg.AutoReply.Enabled = on
		if on {
			details.Show()
		} else {
			details.Hide()
		}
		s.changed()
	})
	if !a.Enabled {
		details.Hide()
	}
	return section("Replies", "Tell people when you answer, and keep your word.",
		labelled("I reply", container.NewBorder(nil, nil, nil, choose, promise)), words, s.fe.slot("promise.reply_within"),
		widget.NewSeparator(),
		on,
		note("Your mail server sends the auto-reply (a Sieve vacation script Sluice installs where the server offers ManageSieve), so it works while this computer sleeps. Never to mailing lists, bulk mail or no-reply addresses; a Sieve script of your own is never replaced."),
		details)
}

// promiseField is the reply promise's entry, its list of usual choices,
// and the promise said in words as it is typed.
func (t *scheduleTab) promiseField() (*widget.Entry, *widget.Select, *widget.Label) {
	s := t.s
	words := note("")
	showWords := func(v string) {
		if v == "" {
			v = schedule.DefaultPromise
		}
		if p, err := schedule.ParsePromise(v); err == nil {
			words.SetText("You answer " + p.Words() + ". The digest lists what waits for your reply by when it falls due; Stats count replies within it and late.")
		} else {
			words.SetText("Write next-checkin, a duration such as 24h (every hour counts, weekends too), or N working days.")
		}
	}
	promise := widget.NewEntry()
	promise.SetText(s.cfg.Promise.ReplyWithin)
	promise.SetPlaceHolder(schedule.DefaultPromise)
	promise.OnChanged = func(v string) {
		s.cfg.Promise.ReplyWithin = strings.TrimSpace(v)
		showWords(s.cfg.Promise.ReplyWithin)
		s.changed()
	}
	choose := widget.NewSelect(promiseChoices, func(v string) { promise.SetText(v) })
	choose.PlaceHolder = "Choose…"
	showWords(s.cfg.Promise.ReplyWithin)
	return promise, choose, words
}

// autoReplyDetails are the auto-reply's settings under its switch: off
// hours, how often per sender, the text (starting from the schedule's)
// and how each account's server stands.
func (t *scheduleTab) autoReplyDetails() *fyne.Container {
	s := t.s
	a := &s.cfg.AutoReply
	generated := ""
	if st := s.status.AutoReply; st != nil && strings.TrimSpace(s.saved.AutoReply.Text) == "" {
		generated = st.Text
	}
	text := widget.NewMultiLineEntry()
	text.Wrapping = fyne.TextWrapWord
	text.SetMinRowsVisible(3)
	text.SetText(a.Text)
	text.SetPlaceHolder(generated)
	text.OnChanged = func(v string) {
		s.cfg.AutoReply.Text = v
		s.changed()
	}
	useGenerated := widget.NewButtonWithIcon("Start from the schedule's text", theme.ContentCopyIcon(), func() { text.SetText(generated) })
	useGenerated.Importance = widget.LowImportance
	if generated == "" {
		useGenerated.Hide()
	}
	days := widget.NewEntry()
	if a.Days > 0 {
		days.SetText(strconv.Itoa(a.Days))
	}
	days.SetPlaceHolder(strconv.Itoa(config.DefaultAutoReplyDays))
	days.OnChanged = func(v string) {
		v = strings.TrimSpace(v)
		n, err := strconv.Atoi(v)
		switch {
		case v == "":
			s.setParse("autoreply.days", "")
			s.cfg.AutoReply.Days = 0
		case err != nil:
			s.setParse("autoreply.days", fmt.Sprintf("%q is not a number", v))
		default:
			s.setParse("autoreply.days", "")
			s.cfg.AutoReply.Days = n
		}
		s.changed()
	}
	offHours := newCheck("Also outside working hours", a.OffHours, func(on bool) {
		s.cfg.AutoReply.OffHours = on
		s.changed()
	})
	return container.NewVBox(offHours,
		labelled("Once per sender every", container.NewHBox(fixedWidth(60, days), widget.NewLabel("days"))), s.fe.slot("autoreply.days"),
		labelled("Text", text), container.NewHBox(useGenerated), s.fe.slot("autoreply.text", "autoreply.subject"),
		t.autoReplyAccounts())
}

// autoReplyAccounts says, per mail account, whether its server answers.
func (t *scheduleTab) autoReplyAccounts() fyne.CanvasObject {
	st := t.s.status.AutoReply
	box := container.NewVBox()
	if st == nil || len(st.Accounts) == 0 {
		return box
	}
	for _, acc := range st.Accounts {
		line := acc.Account + ": " + autoReplyStateWords(acc.State)
		l := note(line)
		if acc.State == "unavailable" || acc.State == "include-needed" {
			l.Importance = widget.WarningImportance
		}
		box.Add(l)
		if acc.Detail != "" {
			box.Add(note(plainArrows(acc.Detail)))
		}
	}
	return box
}

func autoReplyStateWords(state string) string {
	switch state {
	case "active", "included":
		return "the server answers for you"
	case "off":
		return "nothing installed now"
	case "pending":
		return "not installed yet"
	case "include-needed":
		return "your own Sieve script must include Sluice's (see below)"
	case "unavailable":
		return "the server cannot answer for you"
	}
	return state
}

// waitingPanel is "Waiting for your reply" at the top of the digest: the
// released items not yet answered, soonest due first, overdue marked.
type waitingPanel struct {
	d       *digest
	box     *fyne.Container
	title   *widget.Label
	rows    *fyne.Container
	replies gate.Replies
}

// waitingShown is how many waiting items the digest lists (`sluice
// replies` lists them all).
const waitingShown = 5

func newWaitingPanel(d *digest) *waitingPanel {
	p := &waitingPanel{d: d}
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.rows = container.NewVBox()
	p.box = container.NewVBox(container.NewHBox(widget.NewIcon(theme.MailReplyIcon()), p.title), p.rows)
	p.box.Hide()
	return p
}

// load asks the running Sluice what waits for a reply.
func (p *waitingPanel) load() {
	var r gate.Replies
	p.d.w.call(func(ctx context.Context) (err error) {
		r, err = p.d.u.c.Replies(ctx)
		return err
	}, func(err error) {
		if err != nil {
			p.d.u.log.Warn("replies not loaded", "err", err)
			return
		}
		p.replies = r
		p.show()
	})
}

func (p *waitingPanel) show() {
	r := p.replies
	if len(r.Items) == 0 {
		p.box.Hide()
		return
	}
	title := fmt.Sprintf("Waiting for your reply · %d", len(r.Items))
	if r.Overdue > 0 {
		title += fmt.Sprintf(" (%d overdue)", r.Overdue)
	}
	p.title.SetText(title + " — you answer " + r.Words)
	now, loc := p.d.u.now(), statusZone(p.d.status)
	var rows []fyne.CanvasObject
	for i, w := range r.Items {
		if i == waitingShown {
			rows = append(rows, note(fmt.Sprintf("… and %d more (`sluice replies` lists them all).", len(r.Items)-waitingShown)))
			break
		}
		rows = append(rows, waitingRow(p.d, w, now, loc))
	}
	p.rows.Objects = rows
	p.rows.Refresh()
	p.box.Show()
}

// waitingRow is one waiting item: who and what, and when it falls due;
// tapping it selects the item in the list.
func waitingRow(d *digest, w gate.WaitingReply, now time.Time, loc *time.Location) fyne.CanvasObject {
	what := w.Sender
	if i := strings.Index(what, " <"); i > 0 {
		what = what[:i] // the name is enough here
	}
	if w.Subject != "" {
		what += " — " + w.Subject
	}
	due := widget.NewLabel("")
	switch {
	case w.Due.IsZero():
	case w.Overdue:
		due.SetText("overdue since " + inSentence(whenText(w.Due, now, loc)))
		due.Importance = widget.DangerImportance
	default:
		due.SetText("due " + inSentence(whenText(w.Due, now, loc)))
	}
	id := w.ID
	open := widget.NewButton(what, func() { d.selectItem(id) })
	open.Alignment = widget.ButtonAlignLeading
	open.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, due, open)
}

// selectItem selects the item with id in the list, when it is loaded.
func (d *digest) selectItem(id string) {
	for i, r := range d.rows {
		if r.kind == rowItem && d.shown[r.item].ID == id {
			d.selectRow(i)
			d.w.win.Canvas().Focus(d.list)
			return
		}
	}
	setError(d.msg, "That item is further down the list (or hidden by the search).")
}

// replyStats are the Stats window's two replies charts and its tile.
type replyStats struct {
	share  *barChart
	median *barChart
}

func newReplyStats() *replyStats {
	r := &replyStats{
		share:  newBarChart("Replies within your promise", true, trimFloat),
		median: newBarChart("Median time to reply", false, axisMinutes),
	}
	r.share.ceil = niceCount
	r.median.ceil = niceMinutes
	return r
}

// replyTileCaption is the caption of the stats tile of replies.
const replyTileCaption = "Replies in time"

// set charts the days and returns the tile's value, the share of replies
// within the promise over the period, and its caption, which adds the
// median time to reply.
func (r *replyStats) set(labels []string, days []gate.DayStats) (share, caption string) {
	n := len(days)
	onTime, late, none, median := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	var all gate.DayStats
	for i, d := range days {
		onTime[i], late[i], none[i] = float64(d.RepliesOnTime), float64(d.RepliesLate), float64(d.NoReplyNeeded)
		median[i] = d.MedianReply().Minutes()
		all.RepliesOnTime += d.RepliesOnTime
		all.RepliesLate += d.RepliesLate
		all.ReplyWaits = append(all.ReplyWaits, d.ReplyWaits...)
	}
	r.share.set(labels, series{"Within", onTime}, series{"Late", late}, series{"No reply needed", none})
	r.median.set(labels, series{"Median", median})
	if all.Replies() == 0 {
		return "–", replyTileCaption
	}
	return fmt.Sprintf("%d%%", 100*all.RepliesOnTime/all.Replies()),
		fmt.Sprintf("%s\nmedian reply %s", replyTileCaption, durationText(all.MedianReply()))
}

func (r *replyStats) refresh() {
	r.share.Refresh()
	r.median.Refresh()
}

// inSentence lowers whenText's "Yesterday" and "Tomorrow" for the middle
// of a phrase ("due tomorrow 09:55").
func inSentence(when string) string {
	for _, w := range []string{"Yesterday ", "Tomorrow "} {
		if strings.HasPrefix(when, w) {
			return strings.ToLower(w) + when[len(w):]
		}
	}
	return when
}
