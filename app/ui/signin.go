package ui

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/model"
)

// How a mail account signs in: a password, or the provider's sign-in in
// the browser (OAuth2). The sign-in itself runs in the resident Sluice,
// reached through the control API like everything else the window does;
// the window only starts it and watches it.

// signInMethods are the choices of the "Sign in" select, in order.
var signInMethods = []struct{ label, provider string }{
	{"Password", ""},
	{"Google", "google"},
	{"Microsoft", "microsoft"},
	{"OpenID Connect provider", "oidc"},
}

func signInLabel(acc config.Account) string {
	if acc.OAuth2() {
		for _, m := range signInMethods {
			if m.provider == acc.OAuthProvider {
				return m.label
			}
		}
	}
	return signInMethods[0].label
}

// setSignIn switches an account to a sign-in method, dropping the
// settings of the other methods so none is left behind unused.
func setSignIn(acc *config.Account, provider string) {
	tenant, issuer := acc.OAuthTenant, acc.OAuthIssuer
	if provider != acc.OAuthProvider {
		acc.OAuthClientID, acc.OAuthClientSecret, acc.OAuthScopes, acc.OAuthMechanism = "", "", nil, ""
	}
	acc.Auth, acc.OAuthProvider, acc.OAuthTenant, acc.OAuthIssuer = "", "", "", ""
	if provider == "" {
		return
	}
	acc.Auth, acc.OAuthProvider = "oauth2", provider
	switch provider {
	case "microsoft":
		acc.OAuthTenant = tenant
	case "oidc":
		acc.OAuthIssuer = issuer
	}
}

// presetSignIn follows a change of provider preset: presets whose servers
// want OAuth2 choose it, and leaving such a preset goes back to a password.
func (u *UI) presetSignIn(acc *config.Account, oldPreset string) {
	if p, ok := u.preset(acc.Preset); ok && p.OAuth != "" {
		setSignIn(acc, p.OAuth)
		return
	}
	if p, ok := u.preset(oldPreset); ok && p.OAuth != "" && acc.OAuthProvider == p.OAuth {
		setSignIn(acc, "")
	}
}

// providerTitle names an account's sign-in provider on its button.
func providerTitle(acc config.Account) string {
	switch acc.OAuthProvider {
	case "google":
		return "Google"
	case "microsoft":
		return "Microsoft"
	}
	if u, err := url.Parse(acc.OAuthIssuer); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "your provider"
}

// signInFields are the rows of an imap account that say how it signs in.
func (t *accountsTab) signInFields(i int) []fyne.CanvasObject {
	s := t.s
	f := fmt.Sprintf("accounts[%d]", i+1)
	acc := &s.cfg.Accounts[i]
	labels := make([]string, len(signInMethods))
	for j, m := range signInMethods {
		labels[j] = m.label
	}
	method := newSelect(labels, signInLabel(*acc), func(v string) {
		for _, m := range signInMethods {
			if m.label == v {
				setSignIn(&s.cfg.Accounts[i], m.provider)
			}
		}
		t.buildEditor()
	})
	objs := []fyne.CanvasObject{labelled("Sign in", method), s.fe.slot(f+".auth", f+".oauth_provider")}
	if !acc.OAuth2() {
		return append(objs, t.passwordFields(i)...)
	}
	switch acc.OAuthProvider {
	case "microsoft":
		tenant, msg := entryFor(s, f+".oauth_tenant", acc.OAuthTenant, "common (work, school and personal accounts)", func(v string) { s.cfg.Accounts[i].OAuthTenant = v })
		objs = append(objs, labelled("Tenant", tenant), msg,
			note("Leave empty unless your organisation asks for its own tenant (its domain or ID)."))
	case "oidc":
		issuer, msg := entryFor(s, f+".oauth_issuer", acc.OAuthIssuer, "https://id.example.com/realms/mail", func(v string) { s.cfg.Accounts[i].OAuthIssuer = v })
		objs = append(objs, labelled("Issuer", issuer), msg)
	}
	clientID, idMsg := entryFor(s, f+".oauth_client_id", acc.OAuthClientID, "built into this Sluice", func(v string) { s.cfg.Accounts[i].OAuthClientID = v })
	objs = append(objs, labelled("Client ID", clientID), idMsg)
	return append(objs, t.signInButton(i)...)
}

// passwordFields are the password rows of an account that uses one.
func (t *accountsTab) passwordFields(i int) []fyne.CanvasObject {
	s := t.s
	acc := &s.cfg.Accounts[i]
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder(t.secretPlaceholder(i, control.SecretPassword, "Password or app password"))
	pass.SetText(s.pending[acc.Name][control.SecretPassword])
	pass.OnChanged = func(v string) {
		t.setPending(s.cfg.Accounts[i].Name, control.SecretPassword, v)
		s.changed()
	}
	return []fyne.CanvasObject{
		labelled("Password", pass),
		note("The password is kept in the system keyring, never in the settings file."),
	}
}

// signInButton is "Sign in with Google" (or "Sign in again" when the
// provider stopped accepting the account's sign-in), and what happens.
func (t *accountsTab) signInButton(i int) []fyne.CanvasObject {
	s := t.s
	acc := s.cfg.Accounts[i]
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	result.Hide()
	label := "Sign in with " + providerTitle(acc)
	if h, ok := t.healths[acc.Name]; ok && h.State == model.HealthSignInNeeded {
		label = "Sign in again"
		result.Importance = widget.WarningImportance
		result.SetText(providerTitle(acc) + " needs you to sign in.")
		result.Show()
	}
	var btn *widget.Button
	btn = widget.NewButtonWithIcon(label, theme.LoginIcon(), func() {
		if i >= len(s.cfg.Accounts) {
			return
		}
		acc := s.cfg.Accounts[i]
		if !(i < len(s.origNames) && s.origNames[i] == acc.Name && i < len(s.saved.Accounts) && sameAccount(acc, s.saved.Accounts[i])) {
			result.Importance = widget.WarningImportance
			result.SetText("Save first: Sluice signs in with the saved settings.")
			result.Show()
			return
		}
		btn.Disable()
		result.Importance = widget.MediumImportance
		result.SetText("Opening the sign-in page in your browser…")
		result.Show()
		var st control.LoginStatus
		s.w.call(func(ctx context.Context) (err error) {
			st, err = s.u.c.AccountLogin(ctx, acc.Name, control.LoginRequest{OpenBrowser: true})
			return err
		}, func(err error) {
			if err != nil {
				btn.Enable()
				result.Importance = widget.DangerImportance
				result.SetText("Could not start the sign-in: " + err.Error())
				return
			}
			t.showLogin(result, st)
			t.waitLogin(acc.Name, result, btn)
		})
	})
	btn.Importance = widget.HighImportance
	return []fyne.CanvasObject{
		container.NewHBox(btn), result,
		note("Sluice opens " + providerTitle(acc) + "'s sign-in page in your browser and keeps only a refresh token, in the system keyring; your password never reaches Sluice."),
	}
}

// showLogin says what the user has to do now.
func (t *accountsTab) showLogin(result *widget.Label, st control.LoginStatus) {
	switch {
	case st.State == control.LoginWaiting && st.UserCode != "":
		result.SetText(fmt.Sprintf("Open %s on any device and enter the code %s.", st.VerificationURI, st.UserCode))
	case st.State == control.LoginWaiting && st.Opened:
		result.SetText("Finish signing in in your browser. Sluice connects as soon as you have.")
	case st.State == control.LoginWaiting:
		result.SetText("No browser opened. Open this address to sign in:\n" + st.URL)
	}
}

// waitLogin watches the sign-in until it ends, then says how it went.
func (t *accountsTab) waitLogin(account string, result *widget.Label, btn *widget.Button) {
	s := t.s
	var st control.LoginStatus
	s.w.call(func(context.Context) error {
		// A sign-in waits for the user far longer than one control call.
		ctx, cancel := context.WithTimeout(s.u.ctx, 6*time.Minute)
		defer cancel()
		for {
			var err error
			st, err = s.u.c.LoginStatus(ctx, account)
			if err != nil || st.State != control.LoginWaiting {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}, func(err error) {
		btn.Enable()
		switch {
		case err != nil:
			result.Importance = widget.DangerImportance
			result.SetText("Lost track of the sign-in: " + err.Error())
		case st.State == control.LoginDone:
			result.Importance = widget.SuccessImportance
			result.SetText("Signed in with " + st.Provider + ". Sluice connects now.")
		default:
			result.Importance = widget.DangerImportance
			result.SetText("Not signed in: " + st.Error)
		}
	})
}
