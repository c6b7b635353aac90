package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/store"
)

// damagedHint is what to do about a damaged store, after the error.
func damagedHint(path string) string {
	return "Sluice cannot start on a damaged store. `sluice store check` lists the damage; `sluice store recover` keeps the file as " +
		filepath.Base(path) + ".damaged-DATE and copies every readable item, cursor and statistic into a fresh store."
}

// errStoreDamaged is the exit status of `store check` on a damaged store.
var errStoreDamaged = errors.New("the store is damaged; `sluice store recover` saves what is readable")

func runStore(e *Env, args []string) error {
	fs := newFlags(e, "store")
	force := fs.Bool("force", false, "recover: copy the store into a fresh one even when the check finds it sound")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "check" && pos[0] != "recover") {
		return usagef("store: want check or recover")
	}
	path := paths.Store(e.DataDir)
	opt := store.Options{Timeout: time.Second}
	r, err := store.Check(path, opt)
	if err != nil {
		return storeErr(err, path)
	}
	if pos[0] == "check" {
		if *asJSON {
			if err := printJSON(e.Stdout, r); err != nil {
				return err
			}
		} else {
			printCheck(e.Stdout, r)
		}
		if !r.OK() {
			return errStoreDamaged
		}
		return nil
	}
	if r.OK() && !*force {
		fmt.Fprintf(e.Stdout, "%s is sound (%s); nothing to recover. (--force copies it into a fresh store anyway.)\n", path, holds(r.Held, r.Released, r.Done))
		return nil
	}
	rec, err := store.Recover(path, time.Now(), opt)
	if err != nil {
		return storeErr(err, path)
	}
	if *asJSON {
		return printJSON(e.Stdout, rec)
	}
	printRecovered(e.Stdout, rec)
	return nil
}

// storeErr words the errors of the store commands.
func storeErr(err error, path string) error {
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w and holds the store %s; quit it first (Quit in its tray menu, or stop `sluice daemon`), then run this again",
			errAlreadyRunning, path)
	}
	return err
}

func holds(held, released, done int) string {
	return fmt.Sprintf("%d items: %d held, %d released, %d done", held+released+done, held, released, done)
}

// calendars words the calendars whose busy time a store holds, if any.
func calendars(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", busy time of 1 calendar"
	}
	return fmt.Sprintf(", busy time of %d calendars", n)
}

func printCheck(w io.Writer, r *store.Report) {
	if r.OK() {
		fmt.Fprintf(w, "%s is sound: %s; %d cursors, %d days of stats, %d tombstones%s; %.1f MB.\n",
			r.Path, holds(r.Held, r.Released, r.Done), r.Cursors, r.Days, r.Tombstones, calendars(r.Calendars), float64(r.Size)/1e6)
		return
	}
	fmt.Fprintf(w, "%s is damaged:\n", r.Path)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  "+p)
	}
	if r.More > 0 {
		fmt.Fprintf(w, "  (and %d more problems)\n", r.More)
	}
	fmt.Fprintf(w, "`sluice store recover` keeps this file as %s.damaged-DATE and copies every readable item into a fresh store.\n",
		filepath.Base(r.Path))
}

func printRecovered(w io.Writer, r *store.Recovered) {
	fmt.Fprintf(w, "Kept the damaged store as %s.\n", r.Damaged)
	var extra []string
	if r.Found > 0 {
		extra = append(extra, fmt.Sprintf("%d of them found outside the damaged tree", r.Found))
	}
	line := fmt.Sprintf("Saved %s", holds(r.Held, r.Released, r.Done))
	if len(extra) > 0 {
		line += " (" + strings.Join(extra, ", ") + ")"
	}
	fmt.Fprintf(w, "%s; %d whole texts, %d cursors, %d days of stats, %d tombstones%s.\n", line, r.Bodies, r.Cursors, r.Days, r.Tombstones, calendars(r.Calendars))
	switch {
	case r.Expected < 0:
		fmt.Fprintln(w, "The damaged store's item counters were unreadable, so how many items it held is unknown.")
	case r.Expected > r.Items():
		fmt.Fprintf(w, "The damaged store counted %d items: %d could not be read (they stay in the kept file).\n", r.Expected, r.Expected-r.Items())
	}
	if r.Unreadable > 0 {
		fmt.Fprintf(w, "Skipped %d damaged pages or values:\n", r.Unreadable)
		for _, p := range r.Problems {
			fmt.Fprintln(w, "  "+p)
		}
	}
	if r.Found > 0 {
		fmt.Fprintln(w, "Items found outside the tree come back in the state they were stored with: held ones wait for the next check-in.")
	}
	fmt.Fprintf(w, "The fresh store is %s; start Sluice again.\n", r.Path)
}
