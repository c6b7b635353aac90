package oauth

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// OpenBrowser opens url in the user's browser: the commands in $BROWSER
// first (separated like PATH; "%s" in one stands for the URL, else the URL
// goes last), else the desktop's handler (xdg-open, open, or the Windows
// URL handler). It does not wait for the browser; the URL is passed as
// one argument, never through a shell.
func OpenBrowser(url string) error {
	if b := strings.TrimSpace(os.Getenv("BROWSER")); b != "" {
		var errs []error
		for _, cmd := range strings.Split(b, string(os.PathListSeparator)) {
			args := strings.Fields(cmd)
			if len(args) == 0 {
				continue
			}
			replaced := false
			for i, a := range args {
				if strings.Contains(a, "%s") {
					args[i] = strings.ReplaceAll(a, "%s", url)
					replaced = true
				}
			}
			if !replaced {
				args = append(args, url)
			}
			if err := start(args); err != nil {
				errs = append(errs, err)
				continue
			}
			return nil
		}
		return fmt.Errorf("open the browser from $BROWSER: %w", errors.Join(errs...))
	}
	var args []string
	switch runtime.GOOS {
	case "darwin":
		args = []string{"open", url}
	case "windows":
		args = []string{"rundll32", "url.dll,FileProtocolHandler", url}
	default:
		args = []string{"xdg-open", url}
	}
	if err := start(args); err != nil {
		return fmt.Errorf("open the browser: %w", err)
	}
	return nil
}

// start runs a program without waiting for it, and reaps it when it ends.
func start(args []string) error {
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
