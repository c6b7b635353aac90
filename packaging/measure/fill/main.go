//go:build measure

// Command fill writes a store with N held items of the size Sluice really
// stores (a 60-character subject, a 500-rune snippet, the gate's decision
// log), as an IMAP import during a focus block leaves it, for
// packaging/measure/held.sh.
//
//	go run -tags measure ./packaging/measure/fill DATA_DIR N
package main

import (
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
	"github.com/sluice-app/sluice/app/paths"
	"github.com/sluice-app/sluice/app/store"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: fill DATA_DIR N")
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.Open(paths.Store(os.Args[1]), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	text := strings.Repeat("We went through the draft roadmap and there are a few open questions about staffing and scope. ", 6)
	for i := 0; i < n; i += 500 {
		var batch []model.Item
		for j := i; j < min(i+500, n); j++ {
			src := fmt.Sprintf("<%d.import@mail.example.com>", j)
			it := model.Item{
				ID: model.ItemID("Work mail", src), Kind: model.KindIMAP, Account: "Work mail", SourceID: src, Channel: "INBOX",
				Thread: fmt.Sprintf("thread-%d", j/4), FromName: "Alice Example", FromAddr: "alice@example.com",
				Subject:  fmt.Sprintf("Re: quarterly planning review for the platform team #%06d", j),
				Snippet:  model.CleanSnippet(fmt.Sprintf("Hi all, following up on item %d. %s", j, text)),
				Link:     "https://mail.example.com/#inbox/" + src,
				Received: at.Add(time.Duration(j) * time.Second), Ingested: at.Add(time.Duration(j) * time.Second),
				Action: model.ActionHold, Rule: "default", State: model.StateHeld,
			}
			it.Logf(it.Ingested, "classified hold: no rule matched (default)")
			it.Logf(it.Ingested, "held: focus block 09:00–11:00 (next check-in Mon 11:00)")
			batch = append(batch, it)
		}
		if _, err := st.Put(batch, nil); err != nil {
			log.Fatal(err)
		}
	}
	size, _ := st.Size()
	fmt.Printf("%d held items, %.1f MB\n", n, float64(size)/1e6)
}
