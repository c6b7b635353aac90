package app

import (
	"fmt"

	"github.com/sluice-app/sluice/app/control"
	"github.com/sluice-app/sluice/app/secrets"
)

// The windows keep no secret and never reach the keyring: what the user
// types into them is stored here, in the resident process, through the
// control API (control.AccountBackend).

// windowSecrets are the kinds of secret a window may store, by the control
// API's names.
var windowSecrets = map[string]secrets.Kind{
	control.SecretPassword: secrets.Password,
	control.SecretToken:    secrets.Token,
	control.SecretAppToken: secrets.AppToken,
	control.SecretURL:      secrets.URL,
}

// accountSecrets are the kinds of secret each kind of account may keep,
// as its editor in the settings asks about them.
var accountSecrets = map[string][]secrets.Kind{
	"imap":   {secrets.Password},
	"slack":  {secrets.Token, secrets.AppToken},
	"matrix": {secrets.Password, secrets.Token},
	"github": {secrets.Token},
	"caldav": {secrets.Password},
	"ics":    {secrets.URL},
}

// secretKinds turns secrets named by the control API into the keyring's
// kinds, refusing a kind a window may not store.
func secretKinds(in map[string]string) (map[secrets.Kind]string, error) {
	out := make(map[secrets.Kind]string, len(in))
	for name, v := range in {
		k, ok := windowSecrets[name]
		if !ok {
			return nil, fmt.Errorf("%w: unknown kind of secret %q", control.ErrInvalid, name)
		}
		if v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// StoredSecrets implements control.AccountBackend: which secrets the
// keyring holds for each account in force. A secret that cannot be read
// counts as not stored, as the settings then ask for it.
func (a *App) StoredSecrets() (control.StoredSecrets, error) {
	out := control.StoredSecrets{}
	for _, acc := range a.Config().Accounts {
		for _, k := range accountSecrets[acc.Kind] {
			if _, err := secrets.Get(acc.Name, k); err == nil {
				out[acc.Name] = append(out[acc.Name], string(k))
			}
		}
	}
	return out, nil
}

// SetSecret implements control.AccountBackend: it stores a secret typed in
// a window. The account need not be saved yet: the settings store an
// account's secrets before they save the account.
func (a *App) SetSecret(req control.SecretRequest) error {
	k, ok := windowSecrets[req.Kind]
	switch {
	case !ok:
		return fmt.Errorf("%w: unknown kind of secret %q", control.ErrInvalid, req.Kind)
	case req.Account == "":
		return fmt.Errorf("%w: no account named", control.ErrInvalid)
	case req.Secret == "":
		return fmt.Errorf("%w: an empty %s is not stored", control.ErrInvalid, req.Kind)
	}
	if err := secrets.Set(req.Account, k, req.Secret); err != nil {
		return err
	}
	a.log.Info("secret stored", "account", req.Account, "kind", req.Kind)
	return nil
}

// MoveSecrets implements control.AccountBackend: a renamed account's
// secrets follow it. Kinds that are not stored are skipped.
func (a *App) MoveSecrets(req control.SecretMove) error {
	if req.From == "" || req.To == "" {
		return fmt.Errorf("%w: move secrets from %q to %q", control.ErrInvalid, req.From, req.To)
	}
	for _, k := range []secrets.Kind{secrets.Password, secrets.Token, secrets.AppToken, secrets.URL, secrets.RefreshToken} {
		v, err := secrets.Get(req.From, k)
		if err != nil {
			continue
		}
		if secrets.Set(req.To, k, v) == nil {
			_ = secrets.Delete(req.From, k)
		}
	}
	return nil
}

// DeleteSecrets implements control.AccountBackend: a removed account's
// secrets leave the keyring.
func (a *App) DeleteSecrets(account string) error {
	if account == "" {
		return fmt.Errorf("%w: no account named", control.ErrInvalid)
	}
	return secrets.DeleteAll(account)
}

// The running app serves the windows' account endpoints.
var _ control.AccountBackend = (*App)(nil)
