//go:build measure

// Command flood measures what a flood on the local inbox costs the daemon
// (issue 11): the resident memory of `sluice daemon` while N slow
// authenticated uploads are open at once (each sends its headers, declares
// a 60,000-byte body and sends 1 KB of it a second), and how many log lines
// M requests with a wrong token write. Linux only (it reads /proc).
//
//	go run -tags measure ./packaging/measure/flood -sluice bin/sluice [-conns 2000] [-hold 20s] [-refused 2000]
//
// Give it the binary of the commit to measure; run it on two builds for a
// before/after comparison.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("sluice", "bin/sluice", "the sluice binary to measure")
	conns := flag.Int("conns", 2000, "slow uploads open at once")
	hold := flag.Duration("hold", 20*time.Second, "how long the slow uploads stay open")
	refused := flag.Int("refused", 2000, "requests with a wrong token")
	flag.Parse()

	d := startDaemon(*bin)
	defer d.stop()
	time.Sleep(2 * time.Second)
	base := rss(d.pid)
	fmt.Printf("binary:   %s\n", *bin)
	fmt.Printf("idle:     %6.1f MB resident\n", mb(base))
	slowUploads(d, base, *conns, *hold)
	time.Sleep(3 * time.Second)
	fmt.Printf("after:    %6.1f MB resident 3 s later\n", mb(rss(d.pid)))
	refusedTokens(d, *refused)
	fmt.Printf("log:      %d lines in all\n", countLines(d.log, ""))
}

// daemon is the `sluice daemon` under measurement.
type daemon struct {
	dir, addr, token, log string
	pid                   int
	cmd                   *exec.Cmd
}

// startDaemon runs bin as a daemon with only the local inbox, in a
// temporary directory, and waits for its inbox.
func startDaemon(bin string) *daemon {
	dir, err := os.MkdirTemp("", "sluice-flood")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "config.toml")
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[local]\nhttp = true\nlisten = %q\n", addr)), 0o600); err != nil {
		log.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(bin, "daemon")
	cmd.Env = append(os.Environ(), "SLUICE_CONFIG="+cfg, "SLUICE_DATA="+data)
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	d := &daemon{dir: dir, addr: addr, log: logf.Name(), pid: cmd.Process.Pid, cmd: cmd}
	d.token = waitToken(data, addr)
	return d
}

// stop ends the daemon and removes its directory.
func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
	os.RemoveAll(d.dir)
}

// slowUploads keeps n slow authenticated uploads open for hold and prints
// the daemon's peak resident memory meanwhile.
func slowUploads(d *daemon, base int64, n int, hold time.Duration) {
	var answered503, answeredOther, dialErrs atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", d.addr)
		if err != nil {
			dialErrs.Add(1)
			continue
		}
		wg.Go(func() {
			defer c.Close()
			fmt.Fprintf(c, "POST /v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nTitle: slow\r\nContent-Length: 60000\r\n\r\n", d.token)
			go func() {
				if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
					if resp.StatusCode == http.StatusServiceUnavailable {
						answered503.Add(1)
					} else {
						answeredOther.Add(1)
					}
				}
			}()
			trickle(c, stop)
		})
	}
	peak := base
	end := time.Now().Add(hold)
	for time.Now().Before(end) {
		peak = max(peak, rss(d.pid))
		time.Sleep(250 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	fmt.Printf("flood:    %6.1f MB resident at most, with %d slow uploads open for %v (%d answered 503 at once, %d otherwise, %d not connected)\n",
		mb(peak), n, hold, answered503.Load(), answeredOther.Load(), dialErrs.Load())
}

// trickle sends a 60,000-byte body 1 KB a second until stop.
func trickle(c net.Conn, stop <-chan struct{}) {
	chunk := bytes.Repeat([]byte("x"), 1000)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for sent := 0; sent < 60000; sent += len(chunk) {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// refusedTokens sends n requests with a wrong token and prints how many
// log lines they wrote.
func refusedTokens(d *daemon, n int) {
	before := countLines(d.log, "unauthorized request")
	client := &http.Client{Timeout: 10 * time.Second}
	var codes sync.Map
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Go(func() {
			for range jobs {
				req, _ := http.NewRequest("POST", "http://"+d.addr+"/v1/items", strings.NewReader(`{"title":"x"}`))
				req.Header.Set("Authorization", "Bearer wrong")
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				code := -1
				if err == nil {
					resp.Body.Close()
					code = resp.StatusCode
				}
				c, _ := codes.LoadOrStore(code, new(atomic.Int64))
				c.(*atomic.Int64).Add(1)
			}
		})
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	time.Sleep(time.Second)
	var answers []string
	codes.Range(func(k, v any) bool {
		answers = append(answers, fmt.Sprintf("%d×%d", v.(*atomic.Int64).Load(), k))
		return true
	})
	fmt.Printf("refused:  %d requests with a wrong token (answers %s) wrote %d log lines\n",
		n, strings.Join(answers, ", "), countLines(d.log, "unauthorized request")-before)
}

// waitToken waits for the daemon's local inbox and returns its token.
func waitToken(data, addr string) string {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(data, "local-token"))
		if err == nil {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return strings.TrimSpace(string(b))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log.Fatal("the daemon did not start")
	return ""
}

// rss is the process's resident memory in bytes (VmRSS).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func countLines(path, substr string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
