package app

import (
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// Replies implements control.RepliesBackend: the released items that
// wait for the user's reply, by when the promise falls due.
func (a *App) Replies() (gate.Replies, error) { return a.gate.Replies() }

// repliesStatus is the promise and the counts under it for `sluice
// status`; nil when the store could not be read.
func (a *App) repliesStatus() *control.RepliesStatus {
	r, err := a.gate.Replies()
	if err != nil {
		a.log.Warn("replies not counted for the status", "err", err)
		return nil
	}
	return &control.RepliesStatus{Promise: r.Promise, Words: r.Words, Waiting: len(r.Items), Overdue: r.Overdue, DueToday: r.DueToday}
}

// mirrored reports whether services that show the user's focus (Slack's
// status) show this mode: focus, meetings and vacations, each saying when
// replies come.
func mirrored(m model.Mode) bool {
	return m == model.ModeFocus || m == model.ModeMeeting || m == model.ModeVacation
}
