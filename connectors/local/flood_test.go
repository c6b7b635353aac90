package local

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
)

// slowUpload opens a connection and sends a push's headers and the start
// of its body, then stalls, as a slow (or hostile) uploader does.
func slowUpload(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n\r\n", testToken)
	c.Write(bytes.Repeat([]byte("x"), 1000))
	return c
}

func TestConnectionCap(t *testing.T) {
	const max = 4
	in := startInboxWith(t, newFakeSink(), Options{MaxConns: max})
	addr := strings.TrimPrefix(in.url, "http://")
	var slow []net.Conn
	for range max {
		slow = append(slow, slowUpload(t, addr))
	}
	// The server takes the slow ones first; wait until all four hold a slot.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := in.do(t, http.MethodGet, "/v1/health", testToken, "", "")
		if r.status == http.StatusServiceUnavailable {
			if msg, _ := r.body["error"].(string); !strings.Contains(msg, "too many connections") {
				t.Fatalf("503 body %q, want a JSON error saying too many connections", r.raw)
			}
			if r.header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with %d slow uploads open, a new request got %d, want 503", max, r.status)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Many more at once: every one is answered 503 with JSON, none hangs.
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, in.url+"/v1/items", strings.NewReader(`{"title":"flood"}`))
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				codes <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusServiceUnavailable {
			t.Errorf("a request over the cap got %d, want 503", code)
		}
	}

	// Slots come back when the slow uploads go away.
	for _, c := range slow {
		c.Close()
	}
	for {
		r := in.postJSON(t, `{"title":"after the flood"}`)
		if r.status == http.StatusCreated {
			break
		}
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("after the slow uploads closed: %d %s, want 201", r.status, r.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A connection over the cap is answered 503 even when it sent a whole
// request the server never reads: the answer must not be lost to a reset.
func TestConnectionCapAnswersBeforeReading(t *testing.T) {
	in := startInboxWith(t, newFakeSink(), Options{MaxConns: 1})
	addr := strings.TrimPrefix(in.url, "http://")
	slowUpload(t, addr)
	time.Sleep(50 * time.Millisecond)
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 30000\r\n\r\n%s", strings.Repeat("y", 30000))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("over the cap: %v, want a 503 answer", err)
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("over the cap: %d %s, want 503 with a JSON error", resp.StatusCode, body)
		}
	}
}

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(substr string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// 2,000 requests with a wrong token once wrote 2,007 log lines.
func TestRefusedTokensAreLoggedOnceAMinute(t *testing.T) {
	var logs lockedBuffer
	clk := clock.NewFake(testNow)
	in := startInboxWith(t, newFakeSink(), Options{
		Clock: clk, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	for range 500 {
		if r := in.do(t, http.MethodPost, "/v1/items", "wrong", "application/json", `{"title":"x"}`); r.status != 401 {
			t.Fatalf("wrong token: %d", r.status)
		}
	}
	if got := logs.lines("unauthorized request"); len(got) != 1 {
		t.Fatalf("500 refusals within a minute wrote %d warnings, want 1:\n%s", len(got), strings.Join(got, ""))
	}
	clk.Advance(61 * time.Second)
	in.do(t, http.MethodPost, "/v1/items", "wrong", "application/json", `{"title":"x"}`)
	got := logs.lines("unauthorized request")
	if len(got) != 2 || !strings.Contains(got[1], "refused_since_last_warning=499") {
		t.Fatalf("a minute later: got %d warnings, want a second one counting the 499 held back:\n%s", len(got), strings.Join(got, ""))
	}
}
