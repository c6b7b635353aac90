package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

func TestBusyAndCursorsTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	busy := []model.Busy{{Start: start, End: start.Add(time.Hour), Title: "Planning", Account: "Work"}}
	if err := st.SetBusy("Work", busy, []model.Cursor{{Account: "Work", Key: "calendar", Value: []byte(`{"sync":"1"}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetBusy("Feed", nil, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Busy()
	if err != nil {
		t.Fatal(err)
	}
	if got := all["Work"]; len(got) != 1 || got[0].Title != "Planning" || !got[0].Start.Equal(start) {
		t.Errorf("busy after reopen: %+v", all)
	}
	if _, ok := all["Feed"]; !ok || len(all) != 2 {
		t.Errorf("accounts after reopen: %v", all)
	}
	if c, _ := st.Cursor("Work", "calendar"); string(c) != `{"sync":"1"}` {
		t.Errorf("cursor: %q", c)
	}
	if err := st.DeleteBusy("Work"); err != nil {
		t.Fatal(err)
	}
	all, _ = st.Busy()
	c, _ := st.Cursor("Work", "calendar")
	if _, ok := all["Work"]; ok || c != nil {
		t.Errorf("after delete: busy %v, cursor %q", all, c)
	}
	if err := st.SetCursor("Work", "publish", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Cursor("Work", "publish"); string(c) != "x" {
		t.Errorf("SetCursor: %q", c)
	}
	if err := st.SetCursor("Work", "publish", nil); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Cursor("Work", "publish"); c != nil {
		t.Errorf("SetCursor(nil) left %q", c)
	}
	if err := st.SetBusy("", nil, nil); err == nil {
		t.Errorf("an empty account name was accepted")
	}
}
