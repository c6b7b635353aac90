package imap

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL mechanisms for OAuth2 access tokens.
const (
	// MechXOAUTH2 is Google's and Microsoft's mechanism (no RFC; go-sasl
	// dropped its client).
	MechXOAUTH2 = "XOAUTH2"
	// MechOAuthBearer is RFC 7628's OAUTHBEARER.
	MechOAuthBearer = "OAUTHBEARER"
)

// saslError is what a server says in its error challenge when it refuses
// a token (RFC 7628 section 3.2.2; XOAUTH2 sends the same JSON).
type saslError struct {
	Status  string `json:"status"`
	Scope   string `json:"scope"`
	Schemes string `json:"schemes"`
}

// String words the server's reason for the error message, without the
// token and without anything but the three known fields.
func (e saslError) String() string {
	var parts []string
	if e.Status != "" {
		parts = append(parts, "status "+e.Status)
	}
	if e.Scope != "" {
		parts = append(parts, "scope "+e.Scope)
	}
	return strings.Join(parts, ", ")
}

// bearerClient is a SASL client that presents an OAuth2 access token with
// XOAUTH2 or OAUTHBEARER. When the server refuses the token it sends an
// error challenge; the client must still answer it so that the exchange
// ends with a tagged NO rather than a protocol error. RFC 7628 asks for a
// single 0x01 byte; an empty response would be written "=" by go-imap
// v2.0.0-beta.8, which Dovecot rejects as invalid base64, and Gmail and
// Outlook accept 0x01 too.
type bearerClient struct {
	mech  string
	user  string
	token string
	host  string
	port  int

	refused *saslError // the server's error challenge, once seen
}

var _ sasl.Client = (*bearerClient)(nil)

// Start implements sasl.Client: the whole credential goes in the initial
// response.
func (b *bearerClient) Start() (string, []byte, error) {
	switch b.mech {
	case MechXOAUTH2:
		return b.mech, []byte("user=" + b.user + "\x01auth=Bearer " + b.token + "\x01\x01"), nil
	case MechOAuthBearer:
		// gs2-header "n,a=user," then key=value pairs separated by 0x01
		// (RFC 7628 section 3.1). Commas and '=' in the authzid are escaped
		// as RFC 5801 says.
		ir := "n,a=" + escapeSASLName(b.user) + ","
		if b.host != "" {
			ir += "\x01host=" + b.host
		}
		if b.port != 0 {
			ir += "\x01port=" + strconv.Itoa(b.port)
		}
		ir += "\x01auth=Bearer " + b.token + "\x01\x01"
		return b.mech, []byte(ir), nil
	}
	return "", nil, errors.New("unknown SASL mechanism " + b.mech)
}

// Next implements sasl.Client. Any challenge after the initial response is
// the server refusing the token: remember why, and answer with 0x01 to let
// it finish with NO. A second challenge is a server out of protocol.
func (b *bearerClient) Next(challenge []byte) ([]byte, error) {
	if b.refused != nil {
		return nil, errors.New("server sent a second SASL challenge after refusing the token")
	}
	var e saslError
	if err := json.Unmarshal(challenge, &e); err != nil {
		e = saslError{}
	}
	b.refused = &e
	return []byte{0x01}, nil
}

// escapeSASLName escapes a SASL authzid (RFC 5801 saslname).
func escapeSASLName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}
