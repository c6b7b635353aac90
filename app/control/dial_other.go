//go:build !windows

package control

import (
	"context"
	"net"
)

// dialContext connects to the control endpoint.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
