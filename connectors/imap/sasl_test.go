package imap

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestBearerClient(t *testing.T) {
	cases := []struct {
		name string
		b    bearerClient
		want string
	}{
		{"XOAUTH2", bearerClient{mech: MechXOAUTH2, user: "me@corp.example", token: "tok"},
			"user=me@corp.example\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER", bearerClient{mech: MechOAuthBearer, user: "me@corp.example", token: "tok", host: "imap.corp.example", port: 993},
			"n,a=me@corp.example,\x01host=imap.corp.example\x01port=993\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER escapes the authzid", bearerClient{mech: MechOAuthBearer, user: "a,b=c", token: "tok"},
			"n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mech, ir, err := c.b.Start()
			if err != nil || mech != c.b.mech || string(ir) != c.want {
				t.Fatalf("Start = %q, %q, %v; want %q, %q", mech, ir, err, c.b.mech, c.want)
			}
			// The server's error challenge is answered with 0x01 (RFC 7628
			// 3.2.3), never with an empty response.
			resp, err := c.b.Next([]byte(`{"status":"invalid_token","scope":"mail","schemes":"bearer"}`))
			if err != nil || !bytes.Equal(resp, []byte{1}) {
				t.Fatalf("Next = %q, %v; want 0x01", resp, err)
			}
			if got := c.b.refused.String(); got != "status invalid_token, scope mail" {
				t.Errorf("refusal words %q", got)
			}
			if _, err := c.b.Next([]byte("again")); err == nil {
				t.Error("a second challenge was answered")
			}
		})
	}
	// A challenge that is not JSON is still answered so the exchange ends.
	b := bearerClient{mech: MechXOAUTH2, user: "u", token: "t"}
	if resp, err := b.Next([]byte("not json")); err != nil || !bytes.Equal(resp, []byte{1}) {
		t.Fatalf("Next on garbage = %q, %v", resp, err)
	}
}

func TestOAuthOptions(t *testing.T) {
	tok := func(context.Context) (string, error) { return "t", nil }
	base := Options{Account: "a", Host: "imap.example.com", Username: "u"}
	cases := []struct {
		name    string
		edit    func(*Options)
		wantErr string
	}{
		{"password needs a password source", func(o *Options) {}, "password source is required"},
		{"oauth2 needs a token source", func(o *Options) { o.Auth = AuthOAuth2 }, "oauth2 needs a token source"},
		{"oauth2 without a password", func(o *Options) { o.Auth, o.Token = AuthOAuth2, tok }, ""},
		{"mechanism in any case", func(o *Options) { o.Auth, o.Token, o.Mechanism = AuthOAuth2, tok, "xoauth2" }, ""},
		{"unknown mechanism", func(o *Options) { o.Auth, o.Token, o.Mechanism = AuthOAuth2, tok, "PLAIN" }, `mechanism "PLAIN"`},
		{"unknown auth", func(o *Options) { o.Auth = "kerberos" }, `auth "kerberos"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			conn, err := New(o)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if o.Mechanism != "" && conn.Options().Mechanism != strings.ToUpper(o.Mechanism) {
					t.Errorf("mechanism %q", conn.Options().Mechanism)
				}
				return
			}
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("New: %v, want %q", err, c.wantErr)
			}
		})
	}
}
