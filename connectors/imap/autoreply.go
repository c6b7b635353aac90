package imap

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-app/sluice/connectors/imap/sieve"
)

// ErrNoManageSieve is wrapped when the account's server cannot be reached
// over ManageSieve (RFC 5804): nothing answers on its port, or what does
// is not a ManageSieve server. The server then cannot run Sluice's scripts.
var ErrNoManageSieve = errors.New("the mail server offers no ManageSieve")

// SieveTarget says where an account's ManageSieve server is.
type SieveTarget struct {
	Host string // default: the IMAP host
	Port int    // default: sieve.DefaultPort (4190)
}

// ApplyVacation connects to the account's ManageSieve server with the
// account's own credentials (the password over PLAIN, or the OAuth2 access
// token over OAUTHBEARER or XOAUTH2), and makes the server run the
// auto-reply script script returns for the server's capabilities ("" takes
// Sluice's auto-reply off). It goes through sieve.Manager.ApplyVacation:
// Sluice's hold script, if the server has one, stays as it is, and a
// script the user has is never replaced. The connection is verified TLS
// (STARTTLS) with the account's CA file, as for IMAP; plaintext only where
// the IMAP account itself is allowed it.
//
// An unreachable server wraps ErrNoManageSieve; a refused login
// sieve.ErrAuth; the user's own active script that does not include
// Sluice's is a *sieve.IncludeError, whose text says what to add.
func (c *Connector) ApplyVacation(ctx context.Context, t SieveTarget, script func(sieve.Capabilities) (string, error)) (sieve.Result, error) {
	client, err := c.dialSieve(ctx, t)
	if err != nil {
		return sieve.Result{}, err
	}
	defer client.Close()
	defer client.Logout(ctx)
	text, err := script(client.Capabilities())
	if err != nil {
		return sieve.Result{}, err
	}
	return sieve.NewManager(client, c.log).ApplyVacation(ctx, text)
}

// dialSieve connects and logs in.
func (c *Connector) dialSieve(ctx context.Context, t SieveTarget) (*sieve.Client, error) {
	host := t.Host
	if host == "" {
		host = c.opt.Host
	}
	opt := sieve.Options{Host: host, Port: t.Port, CAFile: c.opt.CAFile, Logger: c.log, DialTimeout: c.opt.DialTimeout}
	if c.opt.Security == SecurityInsecure {
		opt.Security, opt.AllowInsecure = sieve.SecurityInsecure, c.opt.AllowInsecure
	}
	client, err := sieve.Dial(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		port := opt.Port
		if port == 0 {
			port = sieve.DefaultPort
		}
		return nil, fmt.Errorf("%w on port %d: %w", ErrNoManageSieve, port, err)
	}
	secret, err := c.credential(ctx)
	if err != nil {
		client.Close()
		return nil, err
	}
	if c.opt.Auth == AuthOAuth2 {
		mech := c.opt.Mechanism
		if mech == "" {
			mech = MechOAuthBearer
			if caps := client.Capabilities(); !caps.HasSASL(MechOAuthBearer) && caps.HasSASL(MechXOAUTH2) {
				mech = MechXOAUTH2
			}
		}
		err = client.Authenticate(ctx, &bearerClient{mech: mech, user: c.opt.Username, token: secret, host: host, port: opt.Port})
	} else {
		err = client.Login(ctx, c.opt.Username, secret)
	}
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("managesieve login: %w", err)
	}
	return client, nil
}
