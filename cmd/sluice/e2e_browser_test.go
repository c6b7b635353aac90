package main_test

import (
	"fmt"
	"os"

	"github.com/sluice-app/sluice/app/oauth/oidctest"
)

// envBrowser makes the test binary act as the user's browser when Sluice
// runs it through $BROWSER: it follows the sign-in URL through the provider
// to Sluice's loopback listener, like a browser whose user clicks "allow".
const envBrowser = "SLUICE_E2E_BROWSER"

// actAsBrowser is called first in TestMain.
func actAsBrowser() {
	if os.Getenv(envBrowser) == "" {
		return
	}
	if _, err := oidctest.Visit(os.Args[len(os.Args)-1], nil, true); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
