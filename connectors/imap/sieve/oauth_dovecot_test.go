//go:build unix

package sieve

import (
	"errors"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/sluice-app/sluice/app/oauth/oidctest"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// ManageSieve takes the same OAuth2 access tokens as IMAP, through any
// go-sasl client (the IMAP connector passes its XOAUTH2/OAUTHBEARER one).
func TestAuthenticateOAuthBearer(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{})
	user := oidctest.User{Email: "alice@example.com"}
	s := dovecottest.New(t, dovecottest.Options{
		Users:  map[string]string{user.Email: "alicepw"},
		OAuth2: &dovecottest.OAuth2{IntrospectionURL: p.UserinfoURL()},
		Sieve:  &dovecottest.Sieve{},
	})
	dial := func() *Client {
		c, err := Dial(ctx(t), Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial()
	if !c.Capabilities().HasSASL("OAUTHBEARER") {
		t.Fatalf("SASL %q lacks OAUTHBEARER", c.Capabilities().SASL)
	}
	tok := p.Token(t, user).AccessToken
	err := c.Authenticate(ctx(t), sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user.Email, Token: tok, Host: s.Host, Port: s.SievePort}))
	if err != nil {
		t.Fatalf("authenticate: %v%s", err, s.LogTail(10))
	}
	if _, err := c.ListScripts(ctx(t)); err != nil {
		t.Fatal(err)
	}

	// A token the provider never issued is refused. (Dovecot calls it a
	// temporary failure, TRYLATER, since the provider answers with an
	// error: only the refusal is asserted.)
	err = dial().Authenticate(ctx(t), sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user.Email, Token: "bogus"}))
	var se *Error
	if !errors.As(err, &se) || se.Command != "AUTHENTICATE" || se.Status != "NO" {
		t.Errorf("bogus token: %v, want a NO to AUTHENTICATE", err)
	}
}
