package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-app/sluice/app"
	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/oauth"
)

// accountLogin signs an OAuth2 account in: through the running Sluice when
// there is one (it keeps the new access token and connects at once), else
// in this process. Either way this process opens the browser, so the
// user's $BROWSER counts, and prints the address for machines without one.
func accountLogin(e *Env, args []string) error {
	fs := newFlags(e, "account")
	device := fs.Bool("device", false, "sign in with a code on any device instead of a browser here (Microsoft; not Google)")
	noBrowser := fs.Bool("no-browser", false, "only print the sign-in address, do not open a browser")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("account login: give one account name")
	}
	cfg, err := config.Load(e.ConfigPath)
	if err != nil {
		return err
	}
	var acc *config.Account
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == pos[0] {
			acc = &cfg.Accounts[i]
		}
	}
	switch {
	case acc == nil:
		return fmt.Errorf("no account named %q (see `sluice account list`)", pos[0])
	case acc.Kind == "github":
		return githubLogin(e, *acc)
	case acc.Kind == "ics":
		return fmt.Errorf("account %q is a calendar's address, with no sign-in: store the address with `sluice account set-url %s`", acc.Name, quoteArg(acc.Name))
	case !acc.OAuth2():
		return fmt.Errorf("account %q signs in with a password: use `sluice account set-password %s`, or set auth = \"oauth2\" and oauth_provider in the config", acc.Name, quoteArg(acc.Name))
	case acc.PasswordCommand != "":
		return fmt.Errorf("account %q gets its access token from its password_command; sign in with that tool", acc.Name)
	}
	show := loginPrompt(e, acc.Name, *noBrowser)
	ctx, cancel := context.WithTimeout(context.Background(), oauth.DefaultTimeout+time.Minute)
	defer cancel()
	if control.Running(e.DataDir, 2*time.Second) {
		return loginThroughSluice(ctx, e, acc.Name, *device, show)
	}
	if err := app.SignIn(ctx, *acc, *device, show, nil); err != nil {
		return fmt.Errorf("account %q: %w", acc.Name, err)
	}
	fmt.Fprintf(e.Stdout, "Signed in %s; the refresh token is in the OS keyring. Sluice uses it when it starts.\n", acc.Name)
	return nil
}

// loginPrompt tells the user what to do to sign account in: open the
// address (which it opens in the browser unless noBrowser), or enter the
// code on any device.
func loginPrompt(e *Env, account string, noBrowser bool) func(p oauth.Prompt) {
	return func(p oauth.Prompt) {
		wait := ""
		if !p.Expires.IsZero() {
			wait = fmt.Sprintf(" (within %s)", roughDuration(time.Until(p.Expires)))
		}
		if p.UserCode != "" {
			fmt.Fprintf(e.Stdout, "To sign in %s, open %s on any device and enter the code %s%s.\n", account, p.VerificationURI, p.UserCode, wait)
			return
		}
		fmt.Fprintf(e.Stdout, "To sign in %s, open this address in a browser on this computer%s:\n\n  %s\n\n", account, wait, p.URL)
		if noBrowser {
			return
		}
		open := e.OpenURL
		if open == nil {
			open = oauth.OpenBrowser
		}
		if err := open(p.URL); err != nil {
			fmt.Fprintf(e.Stdout, "(No browser opened: %v. Open the address yourself.)\n", err)
		} else {
			fmt.Fprintln(e.Stdout, "Your browser should show the sign-in page now.")
		}
		fmt.Fprintln(e.Stdout, "Waiting for you to finish there…")
	}
}

// loginThroughSluice has the running Sluice sign the account in, so that
// it keeps the access token, and waits until the user has finished.
func loginThroughSluice(ctx context.Context, e *Env, account string, device bool, show func(oauth.Prompt)) error {
	c := e.client()
	st, err := c.AccountLogin(ctx, account, control.LoginRequest{Device: device})
	if err != nil {
		return err
	}
	if st.State == control.LoginWaiting {
		show(oauth.Prompt{URL: st.URL, UserCode: st.UserCode, VerificationURI: st.VerificationURI, Expires: st.Expires})
		st, err = c.WaitLogin(ctx, account, 500*time.Millisecond)
		if err != nil {
			return err
		}
	}
	if err := st.Err(); err != nil {
		return fmt.Errorf("account %q: %w", account, err)
	}
	fmt.Fprintf(e.Stdout, "Signed in %s with %s. The running Sluice connects now.\n", account, st.Provider)
	return nil
}
