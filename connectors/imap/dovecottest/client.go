//go:build unix

package dovecottest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// AppendOverTLS saves raw into user's folder as another mail client does
// (a phone saving what it sent): over IMAP with TLS checked against the
// server's CA, marked \Seen, with INTERNALDATE at (now when zero).
func (s *Server) AppendOverTLS(user, folder string, raw []byte, at time.Time) error {
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(s.TLSAddr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: s.Host}})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(user, s.Password(user)).Wait(); err != nil {
		return err
	}
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: at})
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("append to %s: %w", folder, err)
	}
	return c.Logout().Wait()
}
