// Command build builds the Dendrite the Matrix tests run into the test
// cache (see dendritetest), so CI pays for the cold build once, before the
// tests, and prints where it is.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/sluice-app/sluice/connectors/matrix/dendritetest"
)

func main() {
	start := time.Now()
	bin, err := dendritetest.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Dendrite %s: %s (%s)\n", dendritetest.Version, bin, time.Since(start).Round(time.Second))
}
