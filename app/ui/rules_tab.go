package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/rules"
)

// actionLabels are the rule actions as the window offers them.
var actionLabels = []struct {
	a     model.Action
	label string
}{
	{model.ActionUrgent, "Let through at once (urgent)"},
	{model.ActionHold, "Hold until the next check-in"},
	{model.ActionQuiet, "Release quietly at the check-in"},
	{model.ActionIgnore, "Ignore (do not store)"},
}

func actionLabel(a model.Action) string {
	for _, l := range actionLabels {
		if l.a == a {
			return l.label
		}
	}
	return a.String()
}

// rulesTab edits the built-in urgent rules, the ordered rule list and
// tests an imaginary item against them.
type rulesTab struct {
	s         *settings
	listBox   *fyne.Container
	editing   int // index of the rule whose editor is open, -1 for none
	titles    []*widget.Label
	summaries []*widget.Label

	from, subject, channel *widget.Entry
	account                *widget.Select
	direct, mention        *widget.Check
	result                 *widget.Label
	detail                 *widget.Label
}

func newRulesTab(s *settings) *rulesTab { return &rulesTab{s: s, editing: -1} }

func (t *rulesTab) build() fyne.CanvasObject {
	s := t.s
	multi := func(path string, lines []string, set func([]string)) (*widget.Entry, *widget.Label) {
		e := widget.NewMultiLineEntry()
		e.SetMinRowsVisible(3)
		e.SetText(strings.Join(lines, "\n"))
		e.OnChanged = func(v string) {
			set(parseList(v))
			s.changed()
		}
		return e, s.fe.slot(path)
	}
	vips, vipsMsg := multi("urgent.vips", s.cfg.Urgent.VIPs, func(l []string) { s.cfg.Urgent.VIPs = l })
	vips.SetPlaceHolder("boss@acme.com\n@family.example\nAlice Smith")
	keywords, kwMsg := multi("urgent.keywords", s.cfg.Urgent.Keywords, func(l []string) { s.cfg.Urgent.Keywords = l })
	keywords.SetPlaceHolder("outage\nsev1\nurgent")
	channel := widget.NewEntry()
	channel.SetText(s.cfg.Urgent.Channel)
	channel.SetPlaceHolder("#incidents")
	channel.OnChanged = func(v string) {
		s.cfg.Urgent.Channel = strings.TrimSpace(v)
		s.changed()
	}
	builtins := section("Always let through", "One per line. These break through focus (within the hourly budget on the Schedule tab).",
		container.NewGridWithColumns(2,
			container.NewVBox(widget.NewLabel("VIP senders"), vips, vipsMsg),
			container.NewVBox(widget.NewLabel("Urgent keywords"), keywords, kwMsg)),
		labelled("Urgent channel", channel), s.fe.slot("urgent.channel"))

	t.listBox = container.NewVBox()
	t.buildList()
	add := widget.NewButtonWithIcon("Add rule", theme.ContentAddIcon(), t.add)
	list := section("Rules", "Tried in order before the built-ins; the first rule whose conditions all match decides. Anything no rule matches is held.",
		t.listBox, s.fe.slot("rules"), container.NewHBox(add))

	return container.NewVScroll(container.NewPadded(container.NewVBox(
		builtins, widget.NewSeparator(), list, widget.NewSeparator(), t.tester())))
}

// add appends a new rule and opens its editor.
func (t *rulesTab) add() {
	s := t.s
	s.cfg.Rules = append(s.cfg.Rules, rules.Rule{Action: model.ActionUrgent})
	t.editing = len(s.cfg.Rules) - 1
	t.buildList()
	s.changed()
}

// ruleTitle is "2. Boss".
func ruleTitle(i int, r rules.Rule) string {
	title := fmt.Sprintf("%d.", i+1)
	if r.Name != "" {
		title += " " + r.Name
	}
	return title
}

// ruleSummary describes a rule in one line: "from boss@acme.com — let through".
func ruleSummary(r rules.Rule) string {
	var conds []string
	add := func(what string, l []string) {
		if len(l) > 0 {
			conds = append(conds, what+" "+strings.Join(l, " or "))
		}
	}
	add("from", r.From)
	add("in account", r.Accounts)
	add("in", r.Channels)
	add("containing", r.Keywords)
	if r.Regex != "" {
		conds = append(conds, "matching /"+r.Regex+"/")
	}
	if r.Direct {
		conds = append(conds, "direct messages")
	}
	if r.Mention {
		conds = append(conds, "mentioning me")
	}
	then := map[model.Action]string{
		model.ActionUrgent: "let through", model.ActionHold: "hold", model.ActionQuiet: "release quietly", model.ActionIgnore: "ignore",
	}[r.Action]
	if len(conds) == 0 {
		return "no condition yet — " + then
	}
	return strings.Join(conds, ", ") + " — " + then
}

// buildList lays out the rule rows (and the open editor).
func (t *rulesTab) buildList() {
	s := t.s
	s.dropParse("rules[")
	t.titles, t.summaries = nil, nil
	var rows []fyne.CanvasObject
	if len(s.cfg.Rules) == 0 {
		rows = append(rows, note("No rules yet: everything that is not urgent by the lists above is held."))
	}
	for i, r := range s.cfg.Rules {
		path := fmt.Sprintf("rules[%d]", i+1)
		name := widget.NewLabelWithStyle(ruleTitle(i, r), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		summary := oneLine(ruleSummary(r))
		t.titles = append(t.titles, name)
		t.summaries = append(t.summaries, summary)
		btn := func(icon fyne.Resource, fn func()) *widget.Button {
			b := widget.NewButtonWithIcon("", icon, fn)
			b.Importance = widget.LowImportance
			return b
		}
		up := btn(theme.MoveUpIcon(), func() { t.move(i, -1) })
		down := btn(theme.MoveDownIcon(), func() { t.move(i, 1) })
		if i == 0 {
			up.Disable()
		}
		if i == len(s.cfg.Rules)-1 {
			down.Disable()
		}
		editIcon := theme.DocumentCreateIcon()
		if t.editing == i {
			editIcon = theme.MenuDropUpIcon()
		}
		edit := btn(editIcon, func() {
			if t.editing == i {
				t.editing = -1
			} else {
				t.editing = i
			}
			t.buildList()
			s.changed()
		})
		del := btn(theme.DeleteIcon(), func() {
			s.cfg.Rules = slices.Delete(s.cfg.Rules, i, i+1)
			if len(s.cfg.Rules) == 0 {
				s.cfg.Rules = nil
			}
			t.editing = -1
			t.buildList()
			s.changed()
		})
		rows = append(rows,
			container.NewBorder(nil, nil, name, container.NewHBox(up, down, edit, del), summary),
			s.fe.slot(path))
		if t.editing == i {
			rows = append(rows, container.NewPadded(t.editor(i)))
		}
	}
	t.listBox.Objects = rows
	t.listBox.Refresh()
}

// move swaps rule i with its neighbour.
func (t *rulesTab) move(i, by int) {
	s := t.s
	j := i + by
	if j < 0 || j >= len(s.cfg.Rules) {
		return
	}
	s.cfg.Rules[i], s.cfg.Rules[j] = s.cfg.Rules[j], s.cfg.Rules[i]
	switch t.editing {
	case i:
		t.editing = j
	case j:
		t.editing = i
	}
	t.buildList()
	s.changed()
}

// editor edits rule i in place; every change is validated at once.
func (t *rulesTab) editor(i int) fyne.CanvasObject {
	s := t.s
	r := s.cfg.Rules[i]
	changed := func() {
		if i < len(t.summaries) {
			t.titles[i].SetText(ruleTitle(i, s.cfg.Rules[i]))
			t.summaries[i].SetText(ruleSummary(s.cfg.Rules[i]))
		}
		s.changed()
	}
	text := func(value, placeholder string, set func(v string)) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(value)
		e.SetPlaceHolder(placeholder)
		e.OnChanged = func(v string) {
			set(v)
			changed()
		}
		return e
	}
	name := text(r.Name, "e.g. Boss", func(v string) { s.cfg.Rules[i].Name = strings.TrimSpace(v) })
	from := text(listText(r.From), "alice@acme.com, @acme.com, boss*", func(v string) { s.cfg.Rules[i].From = parseList(v) })
	accounts := text(listText(r.Accounts), "Work mail", func(v string) { s.cfg.Rules[i].Accounts = parseList(v) })
	channels := text(listText(r.Channels), "#eng-*, INBOX/Lists/*", func(v string) { s.cfg.Rules[i].Channels = parseList(v) })
	keywords := text(listText(r.Keywords), "invoice, deploy failed", func(v string) { s.cfg.Rules[i].Keywords = parseList(v) })
	regex := text(r.Regex, "(?i)^\\[alert\\]", func(v string) { s.cfg.Rules[i].Regex = v })
	direct := newCheck("Direct messages only", r.Direct, func(on bool) { s.cfg.Rules[i].Direct = on; changed() })
	mention := newCheck("Mentions of me only", r.Mention, func(on bool) { s.cfg.Rules[i].Mention = on; changed() })
	var opts []string
	for _, l := range actionLabels {
		opts = append(opts, l.label)
	}
	action := newSelect(opts, actionLabel(r.Action), func(v string) {
		for _, l := range actionLabels {
			if l.label == v {
				s.cfg.Rules[i].Action = l.a
			}
		}
		changed()
	})
	done := widget.NewButtonWithIcon("Done", theme.ConfirmIcon(), func() {
		t.editing = -1
		t.buildList()
		s.changed()
	})
	form := widget.NewForm(
		widget.NewFormItem("Name", name),
		widget.NewFormItem("From", from),
		widget.NewFormItem("Accounts", accounts),
		widget.NewFormItem("Channels / folders", channels),
		widget.NewFormItem("Keywords", keywords),
		widget.NewFormItem("Regex", regex),
		widget.NewFormItem("", container.NewHBox(direct, mention)),
		widget.NewFormItem("Then", action),
	)
	return container.NewVBox(
		note("Set at least one condition. All conditions set must match; in a list, any entry may match."),
		form, container.NewHBox(done))
}

// tester is the "what would happen to …" panel.
func (t *rulesTab) tester() fyne.CanvasObject {
	s := t.s
	t.from = widget.NewEntry()
	t.from.SetPlaceHolder("Alice <alice@acme.com>")
	t.subject = widget.NewEntry()
	t.subject.SetPlaceHolder("Prod outage in eu-west")
	t.channel = widget.NewEntry()
	t.channel.SetPlaceHolder("INBOX or #channel (optional)")
	accOpts := []string{"Any mail account"}
	for _, a := range s.cfg.Accounts {
		accOpts = append(accOpts, a.Name)
	}
	accOpts = append(accOpts, "Local inbox")
	t.account = widget.NewSelect(accOpts, nil)
	t.account.SetSelected(accOpts[0])
	t.direct = widget.NewCheck("Direct message", nil)
	t.mention = widget.NewCheck("Mentions me", nil)
	t.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.result.Wrapping = fyne.TextWrapWord
	t.detail = note("")
	run := widget.NewButtonWithIcon("Test", theme.MediaPlayIcon(), t.test)
	run.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("From", t.from),
		widget.NewFormItem("Subject", t.subject),
		widget.NewFormItem("Account", t.account),
		widget.NewFormItem("Channel", t.channel),
		widget.NewFormItem("", container.NewHBox(t.direct, t.mention)),
	)
	return section("Test the rules", "What would Sluice do with such an item, right now?",
		form, container.NewHBox(run), t.result, t.detail)
}

// testRequest is the imaginary item of the tester.
func (t *rulesTab) testRequest() control.RuleTestRequest {
	req := control.RuleTestRequest{
		From: strings.TrimSpace(t.from.Text), Subject: strings.TrimSpace(t.subject.Text),
		Channel: strings.TrimSpace(t.channel.Text), Direct: t.direct.Checked, Mention: t.mention.Checked,
		Kind: string(model.KindIMAP),
	}
	switch sel := t.account.Selected; {
	case sel == "Local inbox":
		req.Account, req.Kind = "local", string(model.KindLocal)
	case strings.HasPrefix(sel, "Any "):
	default:
		req.Account = sel
		for _, a := range t.s.cfg.Accounts {
			if a.Name == sel && a.Kind == "slack" {
				req.Kind = string(model.KindSlack)
			}
		}
	}
	return req
}

// test asks the running Sluice what it would do now. The rules in the
// working copy may not be saved yet: then the rule that decides is found
// here, with the same rules package the gate uses, and the outcome comes
// from the running Sluice only when the saved rules decide alike.
func (t *rulesTab) test() {
	s := t.s
	req := t.testRequest()
	if req.From == "" && req.Subject == "" {
		t.result.SetText("Give a sender or a subject to test.")
		t.detail.SetText("")
		return
	}
	item := req.Item()
	// The working copy's rules, compiled at the last edit (nil: they
	// have problems).
	set := s.compiled.Rules
	var local rules.Result
	if set != nil {
		local = set.Evaluate(&item)
	}
	unsaved := !sameRules(s.cfg, s.saved)
	var v gate.Verdict
	var st control.Status
	s.w.call(func(ctx context.Context) (err error) {
		if v, err = s.u.c.TestRule(ctx, req); err != nil {
			return err
		}
		st, err = s.u.c.Status(ctx)
		return err
	}, func(err error) {
		what := describeItem(req)
		switch {
		case err != nil:
			t.result.SetText("Could not test: " + err.Error())
			t.detail.SetText("")
		case unsaved && set == nil:
			t.result.SetText("Fix the rules marked in red to test them.")
			t.detail.SetText("")
		case unsaved && (local.Action != v.Rule.Action || local.Rule != v.Rule.Rule):
			t.result.SetText(fmt.Sprintf("%s would be classified %s — %s (unsaved).", what, local.Action, ruleWords(local)))
			t.detail.SetText(local.Reason + ". Save to see what the running Sluice would do with it right now.")
		default:
			t.result.SetText(fmt.Sprintf("%s, right now, would be: %s — %s.", what, outcomeWords(v, st, s.u), ruleWords(v.Rule)))
			t.detail.SetText(upperFirst(v.Decision))
		}
	})
}

// sameRules reports whether two configs have the same rules and built-ins.
func sameRules(a, b config.Config) bool {
	return sameJSON(a.Rules, b.Rules) && sameJSON(a.Urgent, b.Urgent)
}

// describeItem is "A mail from alice@acme.com with subject “Outage”".
func describeItem(req control.RuleTestRequest) string {
	s := upperFirst(kindWords(model.Kind(req.Kind)))
	if req.From != "" {
		s += " from " + req.From
	}
	if req.Subject != "" {
		s += " with subject “" + req.Subject + "”"
	}
	return s
}

// ruleWords names what decided: "rule 3 "Boss"", "VIP", "no rule matched".
func ruleWords(r rules.Result) string {
	if r.Rule == rules.RuleDefault || r.Rule == "" {
		return "no rule matched"
	}
	return r.Rule
}

// outcomeWords is the verdict for people: "held until 14:00".
func outcomeWords(v gate.Verdict, st control.Status, u *UI) string {
	switch v.Outcome {
	case "held":
		if st.NextCheckin.IsZero() {
			return "held (no check-in is scheduled)"
		}
		return "held until " + whenText(st.NextCheckin, u.now(), statusZone(st))
	case "breakthrough":
		if v.Mode == model.ModeWindow || v.Mode == model.ModePaused {
			return "delivered now, marked urgent"
		}
		return "let through at once (urgent)"
	case "delivered live":
		if v.Mode == model.ModePaused {
			return "delivered now (Sluice is paused)"
		}
		return "delivered now (a check-in window is open)"
	case "ignored":
		return "ignored (not stored)"
	}
	return v.Outcome
}
