package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/model"
)

// readRow shows the whole text of the item at row i. The list carries
// only each item's snippet; the body (up to 64 KiB) is read from the
// running Sluice for this one item.
func (d *digest) readRow(i int) {
	if i < 0 || i >= len(d.rows) || d.rows[i].kind != rowItem {
		return
	}
	id := d.shown[d.rows[i].item].ID
	var it model.Item
	d.w.call(func(ctx context.Context) (err error) {
		it, err = d.u.c.Item(ctx, id)
		return err
	}, func(err error) {
		if err != nil {
			setError(d.msg, "Could not read the item: "+err.Error())
			return
		}
		setError(d.msg, "")
		d.showItem(it)
	})
}

// showItem opens the detail view of one item: sender, subject and the
// whole text, scrollable and selectable for copying.
func (d *digest) showItem(it model.Item) {
	text := it.Body
	if text == "" {
		text = it.Snippet
	}
	body := widget.NewLabel(text)
	body.Wrapping = fyne.TextWrapWord
	body.Selectable = true
	from := widget.NewLabelWithStyle(it.From(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	from.Truncation = fyne.TextTruncateEllipsis
	subject := widget.NewLabel(it.Subject)
	subject.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(body)
	scroll.SetMinSize(fyne.NewSize(560, 360))
	title := sourceName(it.Account)
	if it.Channel != "" {
		title += " · " + it.Channel
	}
	d.reading = dialog.NewCustom(title, "Close",
		container.NewBorder(container.NewVBox(from, subject, widget.NewSeparator()), nil, nil, nil, scroll), d.w.win)
	d.reading.Show()
}
