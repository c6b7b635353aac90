package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
)

// runReplies lists what waits for the user's reply: `sluice replies`.
func runReplies(e *Env, args []string) error {
	fs := newFlags(e, "replies")
	asJSON := fs.Bool("json", false, "print JSON (an array of {id, sender, subject, received, due, overdue, …})")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	cl := e.client()
	r, err := cl.Replies(c)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, r.Items)
	}
	now, zone := r.At, "Local"
	if st, err := cl.Status(c); err == nil {
		now, zone = serverNow(st), st.Zone
	}
	printReplies(e.Stdout, r, now, zone)
	return nil
}

// printReplies prints the waiting list under a line that says the promise
// and the counts.
func printReplies(w io.Writer, r gate.Replies, now time.Time, zone string) {
	fmt.Fprintf(w, "You answer %s (promise.reply_within = %q): %s\n", r.Words, r.Promise, replyCounts(len(r.Items), r.Overdue, r.DueToday))
	if len(r.Items) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tDUE\tFROM\tSUBJECT")
	for _, it := range r.Items {
		due := "–"
		if !it.Due.IsZero() {
			due = clockIn(it.Due, zone, now)
		}
		if it.Overdue {
			due += " OVERDUE"
		}
		subject := it.Subject
		if subject == "" {
			subject = it.Channel
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.ID[:min(8, len(it.ID))], clockIn(it.Received, zone, now), due,
			cut(it.Sender, 30), cut(subject, 60))
	}
	tw.Flush()
}

// replyCounts words the counts: "3 waiting for your reply (1 overdue,
// 2 due today)" or "nothing waits for your reply".
func replyCounts(waiting, overdue, dueToday int) string {
	if waiting == 0 {
		return "nothing waits for your reply"
	}
	s := fmt.Sprintf("%d waiting for your reply", waiting)
	var parts []string
	if overdue > 0 {
		parts = append(parts, fmt.Sprintf("%d overdue", overdue))
	}
	if dueToday > 0 {
		parts = append(parts, fmt.Sprintf("%d due today", dueToday))
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// printReplyStatus is `sluice status`'s lines on the promise and the
// auto-reply.
func printReplyStatus(w io.Writer, st control.Status) {
	if r := st.Replies; r != nil {
		fmt.Fprintf(w, "Replies: you answer %s; %s\n", r.Words, replyCounts(r.Waiting, r.Overdue, r.DueToday))
	}
	a := st.AutoReply
	switch {
	case a == nil:
	case !a.On:
		fmt.Fprintln(w, "Auto-reply: off (turn it on with [autoreply] enabled = true, or in Settings ▸ Schedule)")
	default:
		when := "during vacations"
		if a.OffHours {
			when = "during vacations and outside working hours"
		}
		fmt.Fprintf(w, "Auto-reply: on %s, once per sender every %d days: %q\n", when, a.Days, cut(oneLineText(a.Text), 100))
		if len(a.Accounts) == 0 {
			fmt.Fprintln(w, "  no mail account to answer from (add an IMAP account whose server offers ManageSieve)")
		}
		for _, acc := range a.Accounts {
			line := "  " + acc.Account + ": " + autoReplyWords(acc.State)
			if acc.Detail != "" {
				line += " — " + strings.ReplaceAll(acc.Detail, "\n", "\n    ")
			}
			fmt.Fprintln(w, line)
		}
	}
}

func autoReplyWords(state string) string {
	switch state {
	case "active":
		return "installed on the server (Sluice's Sieve script is active)"
	case "included":
		return "installed on the server (your own Sieve script includes Sluice's)"
	case "off":
		return "nothing installed"
	case "pending":
		return "not installed yet"
	case "unavailable":
		return "not possible on this server"
	case "include-needed":
		return "not installed: your own active Sieve script must include Sluice's"
	}
	return state
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }
