package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runStatus(e *Env, args []string) error {
	fs := newFlags(e, "status")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	st, err := e.client().Status(c)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, st)
	}
	printStatus(e.Stdout, st, serverNow(st))
	return nil
}

// serverNow is the daemon's clock (a test clock may differ from ours).
func serverNow(st control.Status) time.Time {
	if st.Now.IsZero() {
		return time.Now()
	}
	return st.Now
}

// clockIn words t in the named zone as every face of Sluice does.
func clockIn(t time.Time, zone string, now time.Time) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.Local
	}
	return model.When(t, now, loc)
}

func printStatus(w io.Writer, st control.Status, now time.Time) {
	line := st.Mode.Title()
	if st.Reason != "" {
		line += " — " + st.Reason
	}
	fmt.Fprintln(w, line)
	parts := []string{fmt.Sprintf("%d held", st.Held), fmt.Sprintf("%d in the digest", st.Released)}
	if !st.NextCheckin.IsZero() {
		parts = append(parts, fmt.Sprintf("next check-in %s (in %s)", clockIn(st.NextCheckin, st.Zone, now), roughDuration(st.NextCheckin.Sub(now))))
	} else {
		parts = append(parts, "no check-in scheduled")
	}
	fmt.Fprintln(w, strings.Join(parts, " · "))
	fmt.Fprintf(w, "Urgent breakthroughs left this hour: %d\n", st.UrgentLeft)
	printReplyStatus(w, st)
	printToday(w, st)
	if len(st.Health) > 0 {
		fmt.Fprintln(w, "Connectors:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, h := range st.Health {
			detail := h.Detail
			if !h.Until.IsZero() {
				detail += " (retry " + clockIn(h.Until, st.Zone, now) + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", h.Account, h.Kind, h.State.Words(), detail)
		}
		tw.Flush()
	} else {
		fmt.Fprintln(w, "Connectors: none running (add one with `sluice account add`; `sluice send` always works)")
	}
	fmt.Fprintf(w, "Tray: %s\n", st.Tray)
	printDesktop(w, st.Desktop)
	for _, n := range st.Notices {
		fmt.Fprintln(w, "Note:", n)
	}
}

// printDesktop says how other apps' notifications are held: "Desktop:
// dunst 1.9.0, paused by Sluice until 11:00".
func printDesktop(w io.Writer, d *control.Desktop) {
	if d == nil {
		fmt.Fprintln(w, "Desktop: other apps are not held (the headless daemon leaves the desktop alone)")
		return
	}
	fmt.Fprintf(w, "Desktop: %s\n", d.Summary)
	if d.Problem != "" {
		fmt.Fprintf(w, "  problem: %s\n", d.Problem)
	}
	if d.Capturing || len(d.Apps) > 0 {
		var names []string
		for _, a := range d.Apps {
			if a.Captured {
				names = append(names, a.Name)
			}
		}
		line := "  capture: "
		switch {
		case d.Capturing && len(names) > 0:
			line += "recording " + strings.Join(names, ", ") + " as items while holding"
		case d.Capturing:
			line += "watching, no app chosen yet (Settings ▸ Notifications)"
		case len(names) > 0:
			line += "will record " + strings.Join(names, ", ") + " while holding"
		default:
			line += "off"
		}
		seen := 0
		for _, a := range d.Apps {
			if !a.LastSeen.IsZero() {
				seen++
			}
		}
		switch seen {
		case 0:
			fmt.Fprintf(w, "%s (no app seen yet)\n", line)
		case 1:
			fmt.Fprintf(w, "%s (1 app seen)\n", line)
		default:
			fmt.Fprintf(w, "%s (%d apps seen)\n", line, seen)
		}
	}
}

func roughDuration(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	default:
		return fmt.Sprintf("%d h %02d min", h, m)
	}
}

func runCheckin(e *Env, args []string) error {
	fs := newFlags(e, "checkin")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	r, err := e.client().Checkin(c)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, r)
	}
	fmt.Fprintln(e.Stdout, checkinWords(r))
	return nil
}

// checkinWords is the one-line summary a check-in shows.
func checkinWords(c gate.Checkin) string {
	if c.Count == 0 && c.Quiet == 0 {
		return "Checked in: nothing was held."
	}
	s := fmt.Sprintf("Checked in: %d released", c.Count)
	var kinds []string
	for _, k := range sortedKeys(kindCounts(c.ByKind)) {
		kinds = append(kinds, fmt.Sprintf("%d %s", c.ByKind[model.Kind(k)], k))
	}
	if len(kinds) > 0 {
		s += " (" + strings.Join(kinds, ", ") + ")"
	}
	if c.Quiet > 0 {
		s += fmt.Sprintf(", %d quietly", c.Quiet)
	}
	return s + ". See them with `sluice digest`."
}

func kindCounts(m map[model.Kind]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func runFocus(e *Env, args []string) error {
	fs := newFlags(e, "focus")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("focus: want one argument: a duration (25m, 50m, 1h30m), next, or end")
	}
	c, cancel := ctx()
	defer cancel()
	var st gate.Status
	switch pos[0] {
	case "end", "stop":
		st, err = e.client().EndFocus(c)
	default:
		if pos[0] != "next" {
			if _, perr := control.ParseDuration(pos[0]); perr != nil {
				return usagef("focus: %v", perr)
			}
		}
		st, err = e.client().Focus(c, pos[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, modeLine(st))
	return nil
}

func modeLine(st gate.Status) string {
	s := st.Mode.Title()
	if st.Reason != "" {
		s += " — " + st.Reason
	}
	return s
}

func runPause(e *Env, args []string) error {
	fs := newFlags(e, "pause")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("pause: want one argument: a duration such as 1h")
	}
	if _, err := control.ParseDuration(pos[0]); err != nil {
		return usagef("pause: %v", err)
	}
	c, cancel := ctx()
	defer cancel()
	st, err := e.client().Pause(c, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, modeLine(st))
	return nil
}

func runResume(e *Env, args []string) error {
	fs := newFlags(e, "resume")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	st, err := e.client().Resume(c)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, modeLine(st))
	return nil
}

func runHeld(e *Env, args []string) error { return listItems(e, "held", model.StateHeld, args) }

func runDigest(e *Env, args []string) error {
	return listItems(e, "digest", model.StateReleased, args)
}

func listItems(e *Env, name string, state model.State, args []string) error {
	fs := newFlags(e, name)
	asJSON := fs.Bool("json", false, "print JSON (an array of items)")
	search := fs.String("search", "", "only items whose sender, subject or text contains this")
	limit := fs.Int("limit", 0, "at most this many, newest first (0: all); the last line says how to get the next ones")
	before := fs.String("before", "", "only items stored before the item with this ID (the next page of older items)")
	after := fs.String("after", "", "only items stored after the item with this ID (the page of newer items)")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	if *before != "" && *after != "" {
		return usagef("%s: give --before or --after, not both", name)
	}
	c, cancel := ctx()
	defer cancel()
	cl := e.client()
	q := gate.ListQuery{Query: *search, Limit: *limit}
	for _, cur := range []struct {
		id  string
		seq *uint64
	}{{*before, &q.Before}, {*after, &q.After}} {
		if cur.id == "" {
			continue
		}
		it, err := cl.Item(c, cur.id)
		if err != nil {
			return fmt.Errorf("%s: %w", cur.id, err)
		}
		*cur.seq = it.Seq
	}
	paged := *limit > 0 || q.Before != 0 || q.After != 0
	out := &itemPrinter{w: e.Stdout, json: *asJSON}
	if !*asJSON {
		// Times are worded in the user's zone, relative to the daemon's clock.
		out.now, out.zone = time.Now(), "Local"
		if st, err := cl.Status(c); err == nil {
			out.now, out.zone = serverNow(st), st.Zone
		}
	}
	if !paged {
		// Every item, a page at a time: the daemon never holds them all.
		err := cl.Each(c, state, *search, func(it model.Item) error { return out.item(it) })
		if err != nil {
			return err
		}
		return out.end(fmt.Sprintf("No %s items.", state), "")
	}
	p, err := cl.List(c, state, q)
	if err != nil {
		return err
	}
	for _, it := range p.Items {
		if err := out.item(it); err != nil {
			return err
		}
	}
	next := ""
	switch {
	case p.Older != 0:
		next = fmt.Sprintf("Older items: sluice %s --limit %d --before %s", name, len(p.Items), p.Items[len(p.Items)-1].ID[:8])
	case p.Newer != 0:
		next = fmt.Sprintf("Newer items: sluice %s --limit %d --after %s", name, len(p.Items), p.Items[0].ID[:8])
	}
	if next != "" && *search != "" {
		next += fmt.Sprintf(" --search %q", *search)
	}
	return out.end(fmt.Sprintf("No %s items here.", state), next)
}

// itemPrinter prints items as they come: a JSON array, or a table that is
// aligned a page at a time.
type itemPrinter struct {
	w     io.Writer
	json  bool
	now   time.Time
	zone  string
	n     int
	table *tabwriter.Writer
}

func (p *itemPrinter) item(it model.Item) error {
	p.n++
	if p.json {
		b, err := json.MarshalIndent(it, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if p.n == 1 {
			sep = "[\n  "
		}
		_, err = fmt.Fprintf(p.w, "%s%s", sep, b)
		return err
	}
	if p.table == nil {
		p.table = tabwriter.NewWriter(p.w, 2, 4, 2, ' ', 0)
		if p.n == 1 {
			fmt.Fprintln(p.table, "ID\tRECEIVED\tACCOUNT\tFROM\tSUBJECT")
		}
	}
	mark := ""
	if it.Breakthrough {
		mark = "! "
	}
	fmt.Fprintf(p.table, "%s\t%s\t%s\t%s\t%s%s\n", it.ID[:8], clockIn(it.Received, p.zone, p.now), it.Account,
		cut(it.From(), 30), mark, cut(it.Subject, 60))
	if p.n%gate.MaxPage == 0 {
		return p.flush()
	}
	return nil
}

func (p *itemPrinter) flush() error {
	if p.table == nil {
		return nil
	}
	err := p.table.Flush()
	p.table = nil
	return err
}

// end closes the output: none says there were no items; next, when not
// empty, how to get the next page.
func (p *itemPrinter) end(none, next string) error {
	if p.json {
		if p.n == 0 {
			_, err := fmt.Fprintln(p.w, "[]")
			return err
		}
		_, err := fmt.Fprintln(p.w, "\n]")
		return err
	}
	if err := p.flush(); err != nil {
		return err
	}
	if p.n == 0 {
		fmt.Fprintln(p.w, none)
	}
	if next != "" {
		fmt.Fprintln(p.w, next)
	}
	return nil
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func runDone(e *Env, args []string) error {
	fs := newFlags(e, "done")
	all := fs.Bool("all", false, "mark every item in the digest done")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *all == (len(ids) > 0) {
		return usagef("done: give item IDs or --all (not both)")
	}
	c, cancel := ctx()
	defer cancel()
	var n int
	if *all {
		n, err = e.client().DoneAll(c)
	} else {
		n, err = e.client().Done(c, ids)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%d marked done.\n", n)
	return nil
}

func runSnooze(e *Env, args []string) error {
	fs := newFlags(e, "snooze")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usagef("snooze: give item IDs")
	}
	c, cancel := ctx()
	defer cancel()
	n, err := e.client().Snooze(c, ids)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%d snoozed until the next check-in.\n", n)
	return nil
}

func runExplain(e *Env, args []string) error {
	fs := newFlags(e, "explain")
	asJSON := fs.Bool("json", false, "print JSON")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usagef("explain: give one item ID (or a unique prefix of it)")
	}
	c, cancel := ctx()
	defer cancel()
	it, err := e.client().Item(c, ids[0])
	if err != nil {
		var ce *control.Error
		if errors.As(err, &ce) && ce.NotFound() {
			return fmt.Errorf("no item %q: %s", ids[0], ce.Msg)
		}
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, it)
	}
	loc := time.Local
	if st, err := e.client().Status(c); err == nil {
		if l, err := time.LoadLocation(st.Zone); err == nil {
			loc = l
		}
	}
	w := e.Stdout
	fmt.Fprintf(w, "Item %s (%s)\n", it.ID, it.State)
	fmt.Fprintf(w, "  From:     %s\n", it.From())
	fmt.Fprintf(w, "  Subject:  %s\n", it.Subject)
	fmt.Fprintf(w, "  Account:  %s (%s)", it.Account, it.Kind)
	if it.Channel != "" {
		fmt.Fprintf(w, ", %s", it.Channel)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Received: %s\n", it.Received.In(loc).Format("Mon 2 Jan 2006 15:04:05 MST"))
	if it.Link != "" {
		fmt.Fprintf(w, "  Open:     %s\n", it.Link)
	}
	if it.Body == "" && it.Snippet != "" {
		fmt.Fprintf(w, "  Text:     %s\n", it.Snippet)
	}
	if trail := model.MailTrail(it.Log, loc); trail != "" {
		fmt.Fprintf(w, "  Mail:     %s\n", trail)
	}
	fmt.Fprintln(w, "Decisions:")
	for _, l := range it.Log {
		fmt.Fprintf(w, "  %s  %s\n", l.At.In(loc).Format("Mon 15:04:05"), l.Text)
	}
	if it.Body != "" {
		// The whole text, as stored: the gate removed control characters.
		fmt.Fprintln(w, "Text:")
		for line := range strings.Lines(it.Body) {
			fmt.Fprintf(w, "  %s", line)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func runSend(e *Env, args []string) error {
	fs := newFlags(e, "send")
	var m control.SendRequest
	fs.StringVar(&m.Title, "title", "", "title (required unless --body is given)")
	fs.StringVar(&m.Body, "body", "", "text; - reads it from stdin")
	fs.StringVar(&m.From, "from", "", `sender: "Name <addr>", an address, or a name`)
	fs.StringVar(&m.Link, "link", "", "URL to open the item")
	fs.StringVar(&m.Channel, "channel", "", "channel name (default inbox)")
	fs.StringVar(&m.ID, "id", "", "idempotency key: sending the same id twice stores one item")
	fs.BoolVar(&m.Urgent, "urgent", false, "flag it urgent (it may break through)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	if m.Body == "-" {
		b, err := io.ReadAll(io.LimitReader(e.Stdin, 64<<10+1))
		if err != nil {
			return err
		}
		if len(b) > 64<<10 {
			return usagef("send: body over 64 KiB")
		}
		m.Body = string(b)
	}
	if strings.TrimSpace(m.Title) == "" && strings.TrimSpace(m.Body) == "" {
		return usagef("send: --title (or --body) is required")
	}
	c, cancel := ctx()
	defer cancel()
	id, err := e.client().Send(c, m)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, control.SendReply{ID: id})
	}
	fmt.Fprintln(e.Stdout, id)
	return nil
}

func runRules(e *Env, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fs := newFlags(e, "rules")
			fs.Usage()
			return nil
		}
		return usagef("rules: the only subcommand is `rules test`")
	}
	fs := newFlags(e, "rules")
	var r control.RuleTestRequest
	fs.StringVar(&r.From, "from", "", "sender address or \"Name <addr>\"")
	fs.StringVar(&r.Subject, "subject", "", "subject or title")
	fs.StringVar(&r.Body, "body", "", "text")
	fs.StringVar(&r.Account, "account", "", "account name")
	fs.StringVar(&r.Channel, "channel", "", "folder or channel")
	fs.StringVar(&r.Kind, "kind", "imap", "imap, slack or local")
	fs.BoolVar(&r.Direct, "direct", false, "a direct message")
	fs.BoolVar(&r.Mention, "mention", false, "mentions me")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args[1:]); err != nil {
		return err
	}
	if r.From == "" && r.Subject == "" {
		return usagef("rules test: give at least --from or --subject")
	}
	c, cancel := ctx()
	defer cancel()
	v, err := e.client().TestRule(c, r)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, v)
	}
	fmt.Fprintf(e.Stdout, "Rule:    %s → %s (%s)\n", v.Rule.Rule, v.Rule.Action, v.Rule.Reason)
	fmt.Fprintf(e.Stdout, "Now:     %s (mode %s)\n", v.Outcome, v.Mode)
	fmt.Fprintf(e.Stdout, "Because: %s\n", v.Decision)
	return nil
}

func runStats(e *Env, args []string) error {
	fs := newFlags(e, "stats")
	days := fs.Int("days", 7, "how many days back")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	st, err := e.client().Stats(c, *days)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, st)
	}
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DAY\tFOCUS MIN\tHELD\tRELEASED\tLIVE\tBREAKTHROUGHS\tBUDGET-HELD\tMEDIAN WAIT\tP90 WAIT\tREPLIES ON TIME\tLATE\tMEDIAN REPLY\tNO REPLY NEEDED\t")
	for _, d := range st {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%d\t\n", d.Day, d.FocusMinutes, d.Held, d.Released, d.Live,
			d.Breakthroughs, d.BudgetHeld, d.MedianWait().Round(time.Minute), d.P90Wait().Round(time.Minute),
			d.RepliesOnTime, d.RepliesLate, d.MedianReply().Round(time.Minute), d.NoReplyNeeded)
	}
	return tw.Flush()
}

func runExport(e *Env, args []string) error {
	fs := newFlags(e, "export")
	state := fs.String("state", "all", "held, released, done or all")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	var states []model.State
	if *state == "all" {
		states = []model.State{model.StateHeld, model.StateReleased, model.StateDone}
	} else {
		var s model.State
		if err := s.UnmarshalText([]byte(*state)); err != nil {
			return usagef("export: --state: %v", err)
		}
		states = []model.State{s}
	}
	c, cancel := ctx()
	defer cancel()
	enc := json.NewEncoder(e.Stdout)
	for _, s := range states {
		if err := e.client().Each(c, s, "", func(it model.Item) error { return enc.Encode(it) }); err != nil {
			return err
		}
	}
	return nil
}

func runUI(e *Env, args []string) error {
	fs := newFlags(e, "ui")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("ui: name a window: digest, settings, stats or welcome")
	}
	switch pos[0] {
	case "digest", "settings", "stats", "welcome":
	default:
		return usagef("ui: unknown window %q (want digest, settings, stats or welcome)", pos[0])
	}
	bin, err := paths.UIBinary()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--config", e.ConfigPath, "--data", e.DataDir, pos[0])
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	return cmd.Run()
}
