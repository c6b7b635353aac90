package desktop

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/sluice-app/sluice/app/paths"
)

// Windows Sluice can open, each drawn by the windows binary (sluice-ui).
var windowNames = []string{"digest", "settings", "stats", "welcome"}

// ErrClosed is returned by Launcher.Open once Sluice is quitting.
var ErrClosed = errors.New("sluice is quitting")

// Launcher starts the windows binary as a child process, at most one per
// window name at a time, and reaps each when it exits. The resident process
// never draws a window itself: the windows link Fyne's OpenGL stack, which
// costs over a hundred megabytes and sixty wake-ups a second while idle.
type Launcher struct {
	config, data string
	find         func() (string, error)

	mu      sync.Mutex
	log     *slog.Logger
	running map[string]*exec.Cmd
	closed  bool
	onExit  func(name string)
	wg      sync.WaitGroup
}

// NewLauncher returns a launcher whose windows use the given config file
// and data directory. bin is the windows binary; empty means
// paths.UIBinary (next to sluice, else on PATH), looked up at each Open.
func NewLauncher(configPath, dataDir, bin string) *Launcher {
	find := paths.UIBinary
	if bin != "" {
		find = func() (string, error) { return bin, nil }
	}
	return &Launcher{config: configPath, data: dataDir, find: find,
		log: slog.New(slog.DiscardHandler), running: map[string]*exec.Cmd{}}
}

// SetLogger sets where the launcher and the windows' output are logged.
func (l *Launcher) SetLogger(log *slog.Logger) {
	if log == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = log.With("component", "windows")
}

// setOnExit sets what to call when a window process exits (the tray
// redraws: the digest count may have changed).
func (l *Launcher) setOnExit(fn func(name string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onExit = fn
}

// Available reports whether the windows binary can be found, and if not,
// why, in words for a tooltip.
func (l *Launcher) Available() (bool, string) {
	if _, err := l.find(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// Open shows the named window (digest, settings, stats or welcome). If that
// window is already open, it does nothing: one of each at a time.
func (l *Launcher) Open(name string) error {
	known := false
	for _, n := range windowNames {
		known = known || n == name
	}
	if !known {
		return fmt.Errorf("unknown window %q", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if _, ok := l.running[name]; ok {
		l.log.Debug("window already open", "window", name)
		return nil
	}
	bin, err := l.find()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--config", l.config, "--data", l.data, name)
	out := &lineLogger{log: l.log, window: name}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s %s: %w", bin, name, err)
	}
	l.running[name] = cmd
	l.log.Info("window opened", "window", name, "pid", cmd.Process.Pid)
	l.wg.Add(1)
	go l.reap(name, cmd)
	return nil
}

// reap waits for a window process to exit, so none is left a zombie, and
// frees its name for the next Open.
func (l *Launcher) reap(name string, cmd *exec.Cmd) {
	defer l.wg.Done()
	err := cmd.Wait()
	l.mu.Lock()
	delete(l.running, name)
	log, onExit := l.log, l.onExit
	l.mu.Unlock()
	if err != nil && !l.isClosed() {
		log.Warn("window exited with an error", "window", name, "err", err)
	} else {
		log.Info("window closed", "window", name)
	}
	if onExit != nil {
		onExit(name)
	}
}

func (l *Launcher) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Running lists the windows open now.
func (l *Launcher) Running() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.running))
	for _, n := range windowNames {
		if _, ok := l.running[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// Close closes every open window (asking first, then killing after
// grace) and waits until each process is reaped. Open fails afterwards.
func (l *Launcher) Close(grace time.Duration) {
	l.mu.Lock()
	l.closed = true
	cmds := make([]*exec.Cmd, 0, len(l.running))
	for _, c := range l.running {
		cmds = append(cmds, c)
	}
	l.mu.Unlock()
	for _, c := range cmds {
		terminate(c.Process)
	}
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	for _, c := range cmds {
		c.Process.Kill()
	}
	<-done
}

// lineLogger logs a window process's output line by line.
type lineLogger struct {
	log    *slog.Logger
	window string
	mu     sync.Mutex
	buf    []byte
}

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 4096 { // a very long line: log it in pieces
		w.emit(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *lineLogger) emit(line string) {
	if line == "" {
		return
	}
	w.log.Info("window says", "window", w.window, "line", line)
}
