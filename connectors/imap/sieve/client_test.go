package sieve

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/sluice-app/sluice/app/clock"
)

// fakeServer serves one connection on 127.0.0.1 with serve, after the
// greeting, and returns a client connected to it in plaintext.
func fakeServer(t *testing.T, caps string, serve func(r *bufio.Reader, w net.Conn)) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write([]byte(caps + "OK \"ready\"\r\n"))
		serve(bufio.NewReader(nc), nc)
	}()
	t.Cleanup(func() { <-done })
	port := ln.Addr().(*net.TCPAddr).Port
	c, err := Dial(context.Background(), Options{Host: "127.0.0.1", Port: port, Security: SecurityInsecure, AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const fakeCaps = "\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN OAUTHBEARER\"\r\n\"SIEVE\" \"fileinto vacation\"\r\n\"VERSION\" \"1.0\"\r\n"

func TestContextEndsMidCommand(t *testing.T) {
	got := make(chan string, 1)
	c := fakeServer(t, fakeCaps, func(r *bufio.Reader, w net.Conn) {
		line, _ := r.ReadString('\n')
		got <- line
		// Never answer; wait for the client to hang up.
		r.ReadString('\n')
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := clock.Real{}.Now()
	_, err := c.ListScripts(ctx)
	if !errors.Is(err, ErrClosed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrClosed and DeadlineExceeded", err)
	}
	if d := (clock.Real{}).Now().Sub(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if l := <-got; l != "LISTSCRIPTS\r\n" {
		t.Errorf("server read %q", l)
	}
	if _, err := c.ListScripts(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("after a cut command: %v, want ErrClosed", err)
	}
}

func TestByeClosesClient(t *testing.T) {
	c := fakeServer(t, fakeCaps, func(r *bufio.Reader, w net.Conn) {
		r.ReadString('\n')
		w.Write([]byte("BYE (TRYLATER) \"shutting down\"\r\n"))
	})
	_, err := c.GetScript(context.Background(), "main")
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrTryLater) || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("err = %v", err)
	}
	if err := c.Noop(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("after BYE: %v", err)
	}
}

// An OAuth2 bearer client gets the server's error challenge and the
// exchange ends with a NO that wraps ErrAuth.
func TestAuthenticateChallenge(t *testing.T) {
	lines := make(chan []string, 1)
	c := fakeServer(t, fakeCaps, func(r *bufio.Reader, w net.Conn) {
		var seen []string
		l, _ := r.ReadString('\n')
		seen = append(seen, l)
		challenge := base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token"}`))
		w.Write([]byte("{" + strconv.Itoa(len(challenge)) + "}\r\n" + challenge + "\r\n"))
		l, _ = r.ReadString('\n')
		seen = append(seen, l)
		w.Write([]byte("NO \"Authentication failed\"\r\n"))
		lines <- seen
	})
	cl := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "alice@example.net", Token: "tok"})
	err := c.Authenticate(context.Background(), cl)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	seen := <-lines
	if !strings.HasPrefix(seen[0], `AUTHENTICATE "OAUTHBEARER" "`) {
		t.Errorf("first line %q", seen[0])
	}
	// go-sasl's OAUTHBEARER client answers an error challenge with an
	// error; the client aborts the exchange with "*".
	if seen[1] != "\"*\"\r\n" && seen[1] != "\"AQ==\"\r\n" {
		t.Errorf("answer to the challenge %q", seen[1])
	}
}

func TestAuthenticateRefusesUnofferedMechanism(t *testing.T) {
	c := fakeServer(t, "\"SASL\" \"PLAIN\"\r\n", func(r *bufio.Reader, w net.Conn) {})
	err := c.Authenticate(context.Background(), sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "a", Token: "t"}))
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "offers PLAIN") {
		t.Errorf("err = %v", err)
	}
}

func TestPutScriptWarningsAndNames(t *testing.T) {
	c := fakeServer(t, fakeCaps, func(r *bufio.Reader, w net.Conn) {
		l, _ := r.ReadString('\n') // PUTSCRIPT "a" {n+}
		n, _ := strconv.Atoi(l[strings.Index(l, "{")+1 : strings.Index(l, "+}")])
		buf := make([]byte, n+2)
		r.Read(buf)
		w.Write([]byte("OK (WARNINGS) \"line 1: unused\"\r\n"))
	})
	warn, err := c.PutScript(context.Background(), "a", "keep;\r\n")
	if err != nil || warn != "line 1: unused" {
		t.Errorf("warnings %q, %v", warn, err)
	}
	for _, bad := range []string{"", "a\nb", "x\x7f"} {
		if _, err := c.PutScript(context.Background(), bad, "keep;"); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

func TestCancelMidCommand(t *testing.T) {
	c := fakeServer(t, fakeCaps, func(r *bufio.Reader, w net.Conn) {
		r.ReadString('\n')
		r.ReadString('\n') // never answers
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		timer := clock.Real{}.NewTimer(100 * time.Millisecond)
		<-timer.C()
		cancel()
	}()
	if _, err := c.GetScript(ctx, "main"); !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrClosed and Canceled", err)
	}
}
