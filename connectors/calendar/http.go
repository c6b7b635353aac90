package calendar

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// ErrAuth means the server refused the credentials.
var ErrAuth = errors.New("the calendar server refused the login")

// StatusError is a non-2xx answer from a calendar server.
type StatusError struct {
	Method, URL string
	Code        int
	Body        string // the start of a text body, if any
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Is makes a 401 match ErrAuth.
func (e *StatusError) Is(target error) bool {
	return target == ErrAuth && e.Code == http.StatusUnauthorized
}

// statusOf is the HTTP status an error carries, or 0.
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// doer is the HTTP client the protocol code uses: basic auth when a user
// is set, and every non-2xx answer turned into a *StatusError so callers
// can tell "log in again" from "try later" from "this server cannot sync".
type doer struct {
	hc         *http.Client
	user, pass string
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	if d.user != "" || d.pass != "" {
		req.SetBasicAuth(d.user, d.pass)
	}
	req.Header.Set("User-Agent", "Sluice")
	resp, err := d.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// url.Error quotes the whole URL, a feed's secret address too.
			return nil, fmt.Errorf("%s %s: %w", req.Method, redact(req.URL), ue.Err)
		}
		return nil, err
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	defer resp.Body.Close()
	se := &StatusError{Method: req.Method, URL: redact(req.URL), Code: resp.StatusCode}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		se.Body = strings.TrimSpace(string(b))
	}
	return nil, se
}

// redact drops what may be secret from a URL before it reaches an error
// or a log: user info, query and, for the secret addresses of calendar
// feeds, the path.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// newHTTPClient is a client that verifies TLS (trusting caFile too, when
// given) and gives up on a stuck server.
func newHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, nil
}

// checkURL accepts https URLs, and http ones only to a loopback host:
// credentials and calendars never cross the network in the clear.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, errors.New("not a URL (want https://…)")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "webcal", "webcals":
		u.Scheme = "https" // what calendar apps mean by webcal://
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, errors.New("plain http is only allowed to a loopback host (use https)")
		}
	default:
		return nil, fmt.Errorf("unsupported scheme %q (want https)", u.Scheme)
	}
	return u, nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
