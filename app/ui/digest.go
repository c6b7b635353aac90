package ui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// digest is the window of released items: grouped by source and
// conversation, newest first, with what is still held and the next
// check-in in the header.
type digest struct {
	u *UI
	w *window

	all    []model.Item // the released items loaded so far (matching the search), newest first
	older  uint64       // where the next page of older items starts (0: all are loaded)
	shown  []model.Item // those of all matching the search as typed
	rows   []row
	query  string
	status control.Status
	loaded bool

	fetching bool // a page of older items is on its way
	searchID int  // the latest search typed, to drop answers to earlier ones

	counts   *widget.Label
	next     *widget.Label
	search   *searchEntry
	doneAll  *widget.Button
	listBox  *fyne.Container
	list     *rowList
	empty    *widget.Label
	emptyBox fyne.CanvasObject
	msg      *widget.Label
	probe    *paintProbe
	waiting  *waitingPanel // what waits for the user's reply (replies.go)

	selected  int // row index, -1 for none
	headerH   float32
	reloading bool
	unsub     func()
	reading   dialog.Dialog // the detail view last opened
}

func newDigest(u *UI) *digest { return &digest{u: u, selected: -1} }

func (d *digest) title() string   { return "Digest — " + AppName }
func (d *digest) size() fyne.Size { return fyne.NewSize(860, 640) }

func (d *digest) build(w *window) fyne.CanvasObject {
	d.w = w
	d.counts = widget.NewLabelWithStyle("Loading…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.counts.SizeName = theme.SizeNameSubHeadingText
	d.next = oneLine("")

	d.search = newSearchEntry(d)
	d.search.SetPlaceHolder("Search sender, subject or text   ( / )")
	d.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	d.search.OnChanged = func(s string) { d.setQuery(s) }

	d.doneAll = widget.NewButtonWithIcon("Done all", theme.ConfirmIcon(), d.confirmDoneAll)
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { d.load() })

	header := container.NewBorder(nil, nil, nil,
		container.NewCenter(container.NewHBox(refresh, d.doneAll)),
		container.NewVBox(d.counts, d.next))

	// at least three items tall, so the smallest window still shows some
	d.listBox = container.New(&minSize{fyne.NewSize(0, 240)})
	d.empty = widget.NewLabel("")
	d.empty.Alignment = fyne.TextAlignCenter
	d.empty.Wrapping = fyne.TextWrapWord
	d.emptyBox = container.NewCenter(fixedWidth(420, d.empty))
	d.emptyBox.Hide()

	d.msg = statusLabel()
	hint := note("Keys: arrows move · Space reads · Enter opens · d done · s snooze · / search")
	d.probe = newPaintProbe(func() { d.u.trace("digest drawn") })

	d.waiting = newWaitingPanel(d)
	top := container.NewVBox(header, d.waiting.box, d.search)
	bottom := container.NewVBox(d.msg, container.NewHBox(hint, d.probe))
	d.headerH = newRowView(d).headerHeight()

	c := w.win.Canvas()
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { d.key(e) })
	c.SetOnTypedRune(func(r rune) { d.char(r) })
	d.unsub = d.u.onEvent(d.event)
	d.rebuild()
	return container.NewBorder(container.NewPadded(top), container.NewPadded(bottom), nil, nil,
		container.NewStack(d.listBox, d.emptyBox))
}

func (d *digest) closed() {
	if d.unsub != nil {
		d.unsub()
	}
}

// digestPage is how many items the digest asks for at a time: it loads the
// newest first and older pages as the list is scrolled towards its end,
// so a digest of 20,000 items costs neither side 20,000 items at once.
const digestPage = 200

// load fetches the status and the newest released items (matching the
// search): as many as are loaded now, so a reload keeps the scrolled-to
// part, and at least a page.
func (d *digest) load() {
	d.waiting.load()
	d.loadAtLeast(max(len(d.all), digestPage))
}

func (d *digest) loadAtLeast(want int) {
	var st control.Status
	var items []model.Item
	var older uint64
	query := d.query
	d.w.call(func(ctx context.Context) error {
		var err error
		if st, err = d.u.c.Status(ctx); err != nil {
			return err
		}
		q := gate.ListQuery{Query: query, Limit: min(want, gate.MaxPage)}
		for {
			p, err := d.u.c.List(ctx, model.StateReleased, q)
			if err != nil {
				return err
			}
			items, older = append(items, p.Items...), p.Older
			if older == 0 || len(items) >= want {
				break
			}
			q.Before = older
		}
		sortNewest(items)
		return nil
	}, func(err error) {
		if err != nil {
			setError(d.msg, "Could not load the digest: "+err.Error())
			return
		}
		if query != d.query {
			return // the search changed meanwhile; its own load follows
		}
		setError(d.msg, "")
		d.status, d.all, d.older, d.loaded = st, items, older, true
		d.apply(d.selectedID())
		d.u.trace(fmt.Sprintf("digest loaded (%d items)", len(items)))
		d.probe.arm()
		if d.w.win.Canvas().Focused() == nil {
			// First load: the keys work at once, on the newest item.
			d.w.win.Canvas().Focus(d.list)
			if d.selected < 0 {
				d.selectRow(d.itemAtOrAfter(0))
			}
		}
	})
}

// event reacts to the running Sluice: items released, done or snoozed
// elsewhere (the tray, the CLI) reload the list; a mode change or a minute
// passing updates the header.
func (d *digest) event(e gate.Event) {
	switch e.Kind {
	case gate.EventCheckin, gate.EventLive, gate.EventBreakthrough, gate.EventDone, gate.EventSnoozed, gate.EventAnswered, eventReconnect:
		d.scheduleReload()
	case gate.EventHeld, gate.EventMode:
		d.refreshStatus()
	case eventTick:
		d.showHeader()
	case eventTheme:
		d.rebuild()
	}
}

// loadOlder fetches the next page of older items, when the list is
// scrolled near its end.
func (d *digest) loadOlder() {
	if d.older == 0 || d.fetching || !d.loaded {
		return
	}
	d.fetching = true
	before, query := d.older, d.query
	var p gate.Page
	d.w.call(func(ctx context.Context) (err error) {
		p, err = d.u.c.List(ctx, model.StateReleased, gate.ListQuery{Query: query, Limit: digestPage, Before: before})
		return err
	}, func(err error) {
		d.fetching = false
		if err != nil {
			setError(d.msg, "Could not load older items: "+err.Error())
			return
		}
		if query != d.query || before != d.older {
			return // reloaded meanwhile
		}
		d.all = append(d.all, p.Items...)
		sortNewest(d.all)
		d.older = p.Older
		d.apply(d.selectedID())
		d.u.trace(fmt.Sprintf("digest loaded older items (%d in all)", len(d.all)))
	})
}

// scheduleReload coalesces bursts of events into one reload.
func (d *digest) scheduleReload() {
	if d.u.opt.Inline {
		d.load()
		return
	}
	if d.reloading {
		return
	}
	d.reloading = true
	time.AfterFunc(400*time.Millisecond, func() {
		fyne.Do(func() {
			d.reloading = false
			d.load()
		})
	})
}

func (d *digest) refreshStatus() {
	var st control.Status
	d.w.call(func(ctx context.Context) (err error) {
		st, err = d.u.c.Status(ctx)
		return err
	}, func(err error) {
		if err == nil {
			d.status = st
			d.showHeader()
		}
	})
}

// setQuery shows at once the loaded items that match, then asks the
// running Sluice, which searches every item, a moment after the typing
// stops.
func (d *digest) setQuery(q string) {
	if q == d.query {
		return
	}
	d.query = q
	d.selected = -1
	d.apply("")
	d.searchID++
	if d.u.opt.Inline {
		d.loadAtLeast(digestPage)
		return
	}
	id := d.searchID
	time.AfterFunc(250*time.Millisecond, func() {
		fyne.Do(func() {
			if id == d.searchID {
				d.loadAtLeast(digestPage)
			}
		})
	})
}

// apply regroups the items and redraws, keeping the selection on the item
// with id keep (or near where it was).
func (d *digest) apply(keep string) {
	old := d.selected
	d.shown = filterItems(d.all, d.query)
	d.rows = groupRows(d.shown)
	d.selected = -1
	if keep != "" {
		for i, r := range d.rows {
			if r.kind == rowItem && d.shown[r.item].ID == keep {
				d.selected = i
				break
			}
		}
	}
	if d.selected < 0 && old >= 0 {
		d.selected = d.itemAtOrAfter(min(old, len(d.rows)-1))
	}
	d.rebuild()
	d.showHeader()
}

// itemAtOrAfter is the first item row at or after i (or before it, at the end).
func (d *digest) itemAtOrAfter(i int) int {
	for j := max(i, 0); j < len(d.rows); j++ {
		if d.rows[j].kind == rowItem {
			return j
		}
	}
	for j := min(i, len(d.rows)-1); j >= 0; j-- {
		if d.rows[j].kind == rowItem {
			return j
		}
	}
	return -1
}

func (d *digest) selectedID() string {
	if d.selected >= 0 && d.selected < len(d.rows) && d.rows[d.selected].kind == rowItem {
		return d.shown[d.rows[d.selected].item].ID
	}
	return ""
}

func (d *digest) showHeader() {
	if !d.loaded {
		return
	}
	st := d.status
	counts := plural(max(st.Released, len(d.all)), "item to read", "items to read")
	if st.Held > 0 {
		counts += " · " + fmt.Sprint(st.Held) + " still held"
	} else {
		counts += " · nothing held"
	}
	d.counts.SetText(counts)
	d.next.SetText(nextCheckinText(st, d.u.now()) + " · " + modeText(st))
	d.waiting.show() // its times in the zone the status names
	d.doneAll.SetText("Done all")
	if d.query != "" {
		d.doneAll.SetText("Done all shown")
	}
	if len(d.shown) == 0 {
		d.doneAll.Disable()
	} else {
		d.doneAll.Enable()
	}
	switch {
	case len(d.shown) > 0:
		d.emptyBox.Hide()
	case d.query != "":
		d.empty.SetText(fmt.Sprintf("No item matches “%s”.", d.query))
		d.emptyBox.Show()
	default:
		text := "Nothing to read. "
		if st.Held > 0 {
			text += fmt.Sprintf("%s wait for the next check-in", plural(st.Held, "held item", "held items"))
			if !st.NextCheckin.IsZero() {
				text += " at " + whenText(st.NextCheckin, d.u.now(), statusZone(st))
			}
			text += "."
		} else {
			text += "New messages are held until the next check-in."
		}
		d.empty.SetText(text)
		d.emptyBox.Show()
	}
}

// rebuild puts a fresh list in place. Rows differ in height (headers are
// short), and widget.List redraws completely for every height it is told
// after it is shown, so a new list gets all heights before it is drawn.
func (d *digest) rebuild() {
	old := d.list
	focused := old != nil && d.w.win.Canvas().Focused() == old
	l := newRowList(d)
	for i, r := range d.rows {
		if r.kind != rowItem {
			l.SetItemHeight(i, d.headerH)
		}
	}
	if old != nil {
		l.Resize(old.Size())
	}
	l.MinSize() // creates the renderer, so that selecting can scroll
	d.listBox.Objects = []fyne.CanvasObject{l}
	d.list = l
	d.listBox.Refresh()
	if d.selected >= 0 {
		l.Select(d.selected)
	} else if old != nil {
		l.ScrollToOffset(old.GetScrollOffset())
	}
	if focused {
		d.w.win.Canvas().Focus(l)
	}
}

// key handles the digest's keys, whether the list has focus or nothing has.
func (d *digest) key(e *fyne.KeyEvent) bool {
	switch e.Name {
	case fyne.KeyDown:
		d.move(1)
	case fyne.KeyUp:
		d.move(-1)
	case fyne.KeyPageDown:
		d.move(10)
	case fyne.KeyPageUp:
		d.move(-10)
	case fyne.KeyHome:
		d.selectRow(d.itemAtOrAfter(0))
	case fyne.KeyEnd:
		d.selectRow(d.itemAtOrAfter(len(d.rows)))
	case fyne.KeyReturn, fyne.KeyEnter:
		d.openRow(d.selected)
	case fyne.KeyDelete:
		d.doneRow(d.selected)
	default:
		return false
	}
	return true
}

func (d *digest) char(r rune) {
	switch r {
	case 'd':
		d.doneRow(d.selected)
	case 's':
		d.snoozeRow(d.selected)
	case 'o':
		d.openRow(d.selected)
	case ' ', 'r':
		d.readRow(d.selected)
	case 'j':
		d.move(1)
	case 'k':
		d.move(-1)
	case '/':
		d.w.win.Canvas().Focus(d.search)
	}
}

// move selects the item n items below (or above) the selected one;
// arrows skip the headers.
func (d *digest) move(n int) {
	if len(d.rows) == 0 {
		return
	}
	i := d.selected
	if i < 0 {
		d.selectRow(d.itemAtOrAfter(0))
		return
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	target := i
	for j := i + step; j >= 0 && j < len(d.rows) && n > 0; j += step {
		if d.rows[j].kind == rowItem {
			target = j
			n--
		}
	}
	d.selectRow(target)
}

func (d *digest) selectRow(i int) {
	if i < 0 || i >= len(d.rows) {
		return
	}
	d.selected = i
	d.list.Select(i)
}

// idsAt returns the item ids a row stands for: one item, or a whole group.
func (d *digest) idsAt(i int) []string {
	if i < 0 || i >= len(d.rows) {
		return nil
	}
	if d.rows[i].kind == rowItem {
		return []string{d.shown[d.rows[i].item].ID}
	}
	var ids []string
	for _, k := range groupItems(d.rows, i) {
		ids = append(ids, d.shown[k].ID)
	}
	return ids
}

func (d *digest) openRow(i int) {
	if i < 0 || i >= len(d.rows) || d.rows[i].kind != rowItem {
		return
	}
	it := d.shown[d.rows[i].item]
	if it.Link == "" {
		setError(d.msg, "This item has no link to open.")
		return
	}
	if err := d.u.openURL(it.Link); err != nil {
		setError(d.msg, err.Error())
		return
	}
	setError(d.msg, "")
}

func (d *digest) doneRow(i int) {
	if ids := d.idsAt(i); len(ids) > 0 {
		d.done(ids)
	}
}

func (d *digest) snoozeRow(i int) {
	ids := d.idsAt(i)
	if len(ids) == 0 {
		return
	}
	var n int
	d.w.call(func(ctx context.Context) (err error) {
		n, err = d.u.c.Snooze(ctx, ids)
		return err
	}, func(err error) {
		if err != nil {
			setError(d.msg, "Could not snooze: "+err.Error())
			return
		}
		d.status.Held += n
		d.remove(ids)
	})
}

// done marks items done through the running Sluice and drops them here.
func (d *digest) done(ids []string) {
	d.w.call(func(ctx context.Context) error {
		_, err := d.u.c.Done(ctx, ids)
		return err
	}, func(err error) {
		if err != nil {
			setError(d.msg, "Could not mark done: "+err.Error())
			return
		}
		setError(d.msg, "")
		d.remove(ids)
	})
}

func (d *digest) confirmDoneAll() {
	n := len(d.shown)
	if n == 0 {
		return
	}
	what := plural(max(n, d.status.Released), "item", "items")
	if d.query != "" {
		what = plural(n, "item", "items") + " matching “" + d.query + "”"
		if d.older != 0 {
			what = "every item matching “" + d.query + "” (" + plural(n, "is", "are") + " loaded)"
		}
	}
	dialog.ShowConfirm("Done all", "Mark "+what+" done?", func(ok bool) {
		if ok {
			d.doneAllNow()
		}
	}, d.w.win)
}

// doneAllNow marks every released item done, or, while searching, every
// item that matches, loaded or not.
func (d *digest) doneAllNow() {
	if d.query != "" {
		query := d.query
		var ids []string
		d.w.call(func(ctx context.Context) error {
			err := d.u.c.Each(ctx, model.StateReleased, query, func(it model.Item) error {
				ids = append(ids, it.ID)
				return nil
			})
			if err != nil || len(ids) == 0 {
				return err
			}
			_, err = d.u.c.Done(ctx, ids)
			return err
		}, func(err error) {
			if err != nil {
				setError(d.msg, "Could not mark done: "+err.Error())
				return
			}
			setError(d.msg, "")
			d.remove(ids)
		})
		return
	}
	d.w.call(func(ctx context.Context) error {
		_, err := d.u.c.DoneAll(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setError(d.msg, "Could not mark done: "+err.Error())
			return
		}
		d.all, d.older = nil, 0
		d.status.Released = 0
		d.selected = -1
		d.apply("")
		d.waiting.load()
	})
}

// remove drops items from the list and selects the next one.
func (d *digest) remove(ids []string) {
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
	}
	// The selection moves to the next item still there (or the one before).
	keep := ""
	if d.selected >= 0 {
		for i := d.selected; i < len(d.rows) && keep == ""; i++ {
			if r := d.rows[i]; r.kind == rowItem && !gone[d.shown[r.item].ID] {
				keep = d.shown[r.item].ID
			}
		}
		for i := min(d.selected, len(d.rows)-1); i >= 0 && keep == ""; i-- {
			if r := d.rows[i]; r.kind == rowItem && !gone[d.shown[r.item].ID] {
				keep = d.shown[r.item].ID
			}
		}
	}
	n := len(d.all)
	d.all = slices.DeleteFunc(d.all, func(it model.Item) bool { return gone[it.ID] })
	d.status.Released = max(0, d.status.Released-(n-len(d.all)))
	d.apply(keep)
	d.waiting.load() // done without a reply: no reply needed
}

// loadAhead is how many rows before the end of the list drawing a row
// fetches the next page of older items.
const loadAhead = 40

// rowList is the digest's virtualised list with the digest's keys.
type rowList struct {
	widget.List
	d *digest
}

func newRowList(d *digest) *rowList {
	l := &rowList{d: d}
	l.Length = func() int { return len(d.rows) }
	l.CreateItem = func() fyne.CanvasObject { return newRowView(d) }
	l.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		o.(*rowView).set(id)
		if id >= len(d.rows)-loadAhead {
			d.loadOlder()
		}
	}
	l.OnSelected = func(id widget.ListItemID) { d.selected = id }
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey implements fyne.Focusable.
func (l *rowList) TypedKey(e *fyne.KeyEvent) {
	if !l.d.key(e) {
		l.List.TypedKey(e)
	}
}

// TypedRune implements fyne.Focusable.
func (l *rowList) TypedRune(r rune) { l.d.char(r) }

// searchEntry is the search field; Escape clears it or goes back to the
// list, Down and Enter go to the first result.
type searchEntry struct {
	widget.Entry
	d *digest
}

func newSearchEntry(d *digest) *searchEntry {
	e := &searchEntry{d: d}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		if e.Text != "" {
			e.SetText("")
			return
		}
		e.d.w.win.Canvas().Focus(e.d.list)
	case fyne.KeyDown, fyne.KeyReturn, fyne.KeyEnter:
		e.d.w.win.Canvas().Focus(e.d.list)
		e.d.selectRow(e.d.itemAtOrAfter(0))
	default:
		e.Entry.TypedKey(k)
	}
}

// rowView draws one row: a source header, a conversation header or an item.
type rowView struct {
	widget.BaseWidget
	d  *digest
	id int

	srcBox   *fyne.Container
	srcBg    *canvas.Rectangle
	srcIcon  *widget.Icon
	srcName  *widget.Label
	srcDone  *widget.Button
	thrBox   *fyne.Container
	thrTitle *widget.Label
	thrDone  *widget.Button
	itemBox  *fyne.Container
	indent   *canvas.Rectangle
	line1    *widget.RichText
	snippet  *widget.Label
	why      *widget.Label
	when     *widget.Label
	open     *widget.Button
	root     *fyne.Container
}

func newRowView(d *digest) *rowView {
	r := &rowView{d: d}
	r.srcBg = canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	r.srcBg.CornerRadius = 4
	r.srcIcon = widget.NewIcon(theme.MailComposeIcon())
	r.srcName = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.srcName.Truncation = fyne.TextTruncateEllipsis
	r.srcDone = widget.NewButtonWithIcon("Done all", theme.ConfirmIcon(), func() { r.d.doneRow(r.id) })
	r.srcDone.Importance = widget.LowImportance
	r.srcBox = container.NewStack(r.srcBg,
		container.NewBorder(nil, nil, r.srcIcon, r.srcDone, r.srcName))

	r.thrTitle = oneLine("")
	r.thrTitle.TextStyle = fyne.TextStyle{Italic: true}
	r.thrDone = widget.NewButtonWithIcon("Done", theme.ConfirmIcon(), func() { r.d.doneRow(r.id) })
	r.thrDone.Importance = widget.LowImportance
	thrIcon := widget.NewIcon(theme.MailReplyAllIcon())
	r.thrBox = container.NewBorder(nil, nil, container.NewHBox(spacer(12), thrIcon), r.thrDone, r.thrTitle)

	r.line1 = widget.NewRichText(
		&widget.TextSegment{Style: widget.RichTextStyleStrong},
		&widget.TextSegment{Style: widget.RichTextStyleInline},
	)
	r.line1.Truncation = fyne.TextTruncateEllipsis
	r.snippet = oneLine("")
	r.why = oneLine("")
	r.why.SizeName = theme.SizeNameCaptionText
	r.why.TextStyle = fyne.TextStyle{Italic: true}
	r.when = widget.NewLabel("")
	r.when.Alignment = fyne.TextAlignTrailing
	r.open = widget.NewButtonWithIcon("", theme.ComputerIcon(), func() { r.d.openRow(r.id) })
	read := widget.NewButtonWithIcon("", theme.DocumentIcon(), func() { r.d.readRow(r.id) })
	snooze := widget.NewButtonWithIcon("", theme.HistoryIcon(), func() { r.d.snoozeRow(r.id) })
	done := widget.NewButtonWithIcon("", theme.ConfirmIcon(), func() { r.d.doneRow(r.id) })
	for _, b := range []*widget.Button{read, r.open, snooze, done} {
		b.Importance = widget.LowImportance
	}
	r.indent = canvas.NewRectangle(color.Transparent)
	text := container.NewThemeOverride(container.NewVBox(r.line1, r.snippet, r.why), compactTheme{})
	right := container.NewVBox(r.when, container.NewHBox(read, r.open, snooze, done))
	r.itemBox = container.NewBorder(nil, nil, r.indent, right, text)

	r.root = container.NewStack(r.srcBox, r.thrBox, r.itemBox)
	r.show(rowItem)
	r.ExtendBaseWidget(r)
	return r
}

func spacer(w float32) fyne.CanvasObject {
	s := canvas.NewRectangle(color.Transparent)
	s.SetMinSize(fyne.NewSize(w, 1))
	return s
}

// headerHeight is the height of a header row.
func (r *rowView) headerHeight() float32 {
	return max(r.srcBox.MinSize().Height, r.thrBox.MinSize().Height)
}

// CreateRenderer implements fyne.Widget.
func (r *rowView) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.root) }

// Refresh re-reads the theme colours.
func (r *rowView) Refresh() {
	r.srcBg.FillColor = theme.Color(theme.ColorNameHeaderBackground)
	r.BaseWidget.Refresh()
}

func (r *rowView) show(k rowKind) {
	for kind, box := range map[rowKind]*fyne.Container{rowSource: r.srcBox, rowThread: r.thrBox, rowItem: r.itemBox} {
		if kind == k {
			box.Show()
		} else {
			box.Hide()
		}
	}
}

func (r *rowView) set(id int) {
	d := r.d
	if id < 0 || id >= len(d.rows) {
		return
	}
	r.id = id
	rw := d.rows[id]
	r.show(rw.kind)
	switch rw.kind {
	case rowSource:
		r.srcIcon.SetResource(kindIcon(rw.kindOf))
		r.srcName.SetText(fmt.Sprintf("%s · %d", sourceName(rw.account), rw.count))
		r.srcDone.SetText(fmt.Sprintf("Done all %d", rw.count))
	case rowThread:
		r.thrTitle.SetText(fmt.Sprintf("%s · %d messages", rw.title, rw.count))
	case rowItem:
		it := &d.shown[rw.item]
		w := float32(0)
		if rw.nested {
			w = 28
		}
		r.indent.SetMinSize(fyne.NewSize(w, 1))
		from := it.FromName
		if from == "" {
			from = it.FromAddr
		}
		if from == "" {
			from = sourceName(it.Account)
		}
		subject := it.Subject
		if it.Channel != "" && it.Kind == model.KindSlack {
			subject = it.Channel + " · " + subject
		}
		if it.Kind == model.KindDesktop && (subject == from || subject == "") {
			// Another app's notification: its summary names the sender.
			subject = it.Channel
		}
		r.line1.Segments[0].(*widget.TextSegment).Text = from
		r.line1.Segments[1].(*widget.TextSegment).Text = "  " + subject
		r.line1.Refresh()
		r.snippet.SetText(it.Snippet)
		r.why.SetText(whyHeld(it))
		r.when.SetText(whenText(itemTime(it), d.u.now(), statusZone(d.status)))
		if it.Link == "" {
			r.open.Disable()
		} else {
			r.open.Enable()
		}
		r.itemBox.Refresh()
	}
}

// kindIcon is the icon of a source kind.
func kindIcon(k model.Kind) fyne.Resource {
	switch k {
	case model.KindIMAP:
		return theme.MailComposeIcon()
	case model.KindSlack, model.KindMatrix:
		return theme.AccountIcon()
	case model.KindCalDAV, model.KindICS:
		return theme.CalendarIcon()
	case model.KindGitHub:
		return theme.InfoIcon()
	default:
		return theme.ComputerIcon()
	}
}

// paintProbe reports the first time the canvas walks it after arm: the
// frame that shows what was applied just before. It measures how long the
// digest takes to appear.
type paintProbe struct {
	widget.BaseWidget
	armed bool
	fire  func()
}

func newPaintProbe(fire func()) *paintProbe {
	p := &paintProbe{fire: fire}
	p.ExtendBaseWidget(p)
	return p
}

func (p *paintProbe) arm() {
	p.armed = true
	p.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (p *paintProbe) CreateRenderer() fyne.WidgetRenderer { return &probeRenderer{p: p} }

type probeRenderer struct{ p *paintProbe }

// Destroy implements fyne.WidgetRenderer.
func (r *probeRenderer) Destroy() {}

// Layout implements fyne.WidgetRenderer.
func (r *probeRenderer) Layout(fyne.Size) {}

// MinSize implements fyne.WidgetRenderer.
func (r *probeRenderer) MinSize() fyne.Size { return fyne.NewSize(1, 1) }

// Refresh implements fyne.WidgetRenderer.
func (r *probeRenderer) Refresh() {}

// Objects implements fyne.WidgetRenderer; the canvas asks for them when it
// draws, which is what the probe reports.
func (r *probeRenderer) Objects() []fyne.CanvasObject { r.fired(); return nil }

func (r *probeRenderer) fired() {
	if r.p.armed {
		r.p.armed = false
		if r.p.fire != nil {
			r.p.fire()
		}
	}
}
