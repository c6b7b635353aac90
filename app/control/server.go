package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/config"
	"github.com/sluice-app/sluice/app/gate"
	"github.com/sluice-app/sluice/app/model"
)

// maxBody bounds request bodies; a full config is the largest.
const maxBody = 1 << 20

// Server serves the control API for a Backend.
type Server struct {
	b      Backend
	log    *slog.Logger
	srv    *http.Server
	ln     net.Listener
	cancel context.CancelFunc
}

// Listen opens the control endpoint for dataDir: a Unix socket (0600), or
// on Windows a named pipe restricted to the current user.
func Listen(dataDir string, b Backend, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := listen(dataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{b: b, log: log.With("component", "control"), ln: ln}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	return s, nil
}

// Addr is where the server listens.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Close.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server, ending event streams, and removes the endpoint.
func (s *Server) Close() error {
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	cleanup(s.ln)
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			v, err := fn(r)
			if err != nil {
				s.writeError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, v)
		})
	}
	s.modeRoutes(h)
	s.itemRoutes(h)
	s.configRoutes(h)
	s.processRoutes(h)
	s.loginRoutes(h)
	s.accountRoutes(h)
	s.replyRoutes(h)
	mux.HandleFunc("GET /v1/events", s.events)
	return mux
}

// handle registers a control endpoint: fn's answer is sent as JSON, its
// error as an ErrorReply.
type handle func(pattern string, fn func(r *http.Request) (any, error))

// modeRoutes serve the status and the commands that change the mode: check in,
// focus, pause.
func (s *Server) modeRoutes(h handle) {
	h("GET /v1/status", func(*http.Request) (any, error) { return s.b.Status(), nil })
	h("POST /v1/checkin", func(*http.Request) (any, error) { return s.b.Checkin() })
	h("POST /v1/focus", func(r *http.Request) (any, error) {
		var req DurationRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Duration == "next" {
			return s.b.FocusNext()
		}
		d, err := parseDuration(req.Duration)
		if err != nil {
			return nil, err
		}
		return s.b.Focus(d)
	})
	h("POST /v1/focus/end", func(*http.Request) (any, error) { return s.b.EndFocus() })
	h("POST /v1/pause", func(r *http.Request) (any, error) {
		var req DurationRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		d, err := parseDuration(req.Duration)
		if err != nil {
			return nil, err
		}
		return s.b.Pause(d)
	})
	h("POST /v1/resume", func(*http.Request) (any, error) { return s.b.Resume() })
}

// itemRoutes serve the items: pages of them, one with its log, done,
// snooze, send, the rule tester, and the statistics.
func (s *Server) itemRoutes(h handle) {
	h("GET /v1/items", func(r *http.Request) (any, error) {
		st, lq, err := listQuery(r)
		if err != nil {
			return nil, err
		}
		page, err := s.b.List(st, lq)
		if page.Items == nil {
			page.Items = []model.Item{}
		}
		return page, err
	})
	h("GET /v1/items/{id}", func(r *http.Request) (any, error) { return s.b.Item(r.PathValue("id")) })
	h("POST /v1/done", func(r *http.Request) (any, error) {
		var req IDsRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		var n int
		var err error
		if req.All {
			n, err = s.b.DoneAll()
		} else {
			if len(req.IDs) == 0 {
				return nil, badRequest(errors.New("no item ids given"))
			}
			n, err = s.b.Done(req.IDs)
		}
		return CountReply{n}, err
	})
	h("POST /v1/snooze", func(r *http.Request) (any, error) {
		var req IDsRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		n, err := s.b.Snooze(req.IDs)
		return CountReply{n}, err
	})
	h("POST /v1/send", func(r *http.Request) (any, error) {
		var msg SendRequest
		if err := decode(r, &msg); err != nil {
			return nil, err
		}
		it, err := s.b.Send(msg)
		if err != nil {
			return nil, err
		}
		return SendReply{ID: it.ID}, nil
	})
	h("POST /v1/rules/test", func(r *http.Request) (any, error) {
		var req RuleTestRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return s.b.TestRule(req.Item()), nil
	})
	h("GET /v1/stats", func(r *http.Request) (any, error) {
		days, _ := strconv.Atoi(r.URL.Query().Get("days"))
		if days <= 0 || days > 366 {
			days = 7
		}
		st, err := s.b.Stats(days)
		if st == nil {
			st = []gate.DayStats{}
		}
		return st, err
	})
}

// listQuery reads the state and the page a GET /v1/items asks for.
func listQuery(r *http.Request) (model.State, gate.ListQuery, error) {
	q := r.URL.Query()
	var st model.State
	if err := st.UnmarshalText([]byte(q.Get("state"))); err != nil {
		return 0, gate.ListQuery{}, badRequest(err)
	}
	lq := gate.ListQuery{Query: q.Get("q")}
	var err error
	for _, p := range []struct {
		name string
		v    *uint64
	}{{"before", &lq.Before}, {"after", &lq.After}} {
		if v := q.Get(p.name); v != "" {
			if *p.v, err = strconv.ParseUint(v, 10, 64); err != nil {
				return 0, gate.ListQuery{}, badRequest(fmt.Errorf("%s: %q is not an item's seq", p.name, v))
			}
		}
	}
	if lq.Before != 0 && lq.After != 0 {
		return 0, gate.ListQuery{}, badRequest(errors.New("give before or after, not both"))
	}
	if v := q.Get("limit"); v != "" {
		if lq.Limit, err = strconv.Atoi(v); err != nil {
			return 0, gate.ListQuery{}, badRequest(fmt.Errorf("limit: %q is not a number", v))
		}
	}
	return st, lq, nil
}

// configRoutes serve the config and the schedule it makes.
func (s *Server) configRoutes(h handle) {
	h("GET /v1/config", func(*http.Request) (any, error) { return s.b.Config(), nil })
	h("PUT /v1/config", func(r *http.Request) (any, error) {
		var c config.Config
		if err := decode(r, &c); err != nil {
			return nil, err
		}
		if err := s.b.SetConfig(c); err != nil {
			return nil, err
		}
		return MessageReply{"saved"}, nil
	})
	h("POST /v1/config/reload", func(*http.Request) (any, error) {
		if err := s.b.Reload(); err != nil {
			return nil, err
		}
		return MessageReply{"reloaded"}, nil
	})
	h("GET /v1/schedule", func(r *http.Request) (any, error) {
		days, _ := strconv.Atoi(r.URL.Query().Get("days"))
		if days <= 0 || days > 31 {
			days = 7
		}
		return s.b.Schedule(days)
	})
}

// processRoutes serve what the running process does for its clients:
// windows, testing and retrying configured accounts, quitting.
func (s *Server) processRoutes(h handle) {
	h("POST /v1/window", func(r *http.Request) (any, error) {
		var req WindowRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if err := s.b.OpenWindow(req.Window); err != nil {
			return nil, err
		}
		return MessageReply{"opening " + req.Window}, nil
	})
	h("POST /v1/accounts/{name}/test", func(r *http.Request) (any, error) {
		msg, err := s.b.AccountTest(r.PathValue("name"))
		if err != nil {
			return nil, err
		}
		return MessageReply{msg}, nil
	})
	h("POST /v1/accounts/{name}/retry", func(r *http.Request) (any, error) {
		ok, err := s.b.RetryAccount(r.PathValue("name"))
		return RetryReply{ok}, err
	})
	h("POST /v1/accounts/{name}/release", func(r *http.Request) (any, error) {
		return s.b.ReleaseAccount(r.PathValue("name"))
	})
	h("POST /v1/quit", func(*http.Request) (any, error) {
		msg := "quitting"
		if q, ok := s.b.(Quitter); ok {
			if said := q.PrepareQuit(); said != "" {
				msg = said
			}
		}
		go s.b.Quit()
		return MessageReply{msg}, nil
	})
}

// Item turns the request into an item for rule testing.
func (req RuleTestRequest) Item() model.Item {
	name, addr := parseFrom(req.From)
	kind := model.Kind(req.Kind)
	if kind == "" {
		kind = model.KindIMAP
	}
	return model.Item{
		Kind: kind, Account: req.Account, Channel: req.Channel,
		FromName: name, FromAddr: addr, Subject: req.Subject, Snippet: model.CleanSnippet(req.Body),
		Direct: req.Direct, MentionsMe: req.Mention,
	}
}

// parseFrom splits "Name <addr>", "addr" or a bare name.
func parseFrom(s string) (name, addr string) {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Name, strings.ToLower(a.Address)
	}
	if strings.Contains(s, "@") && !strings.ContainsAny(s, " <>") {
		return "", strings.ToLower(s)
	}
	return s, ""
}

// events streams gate events as newline-delimited JSON until the client
// goes away or the server closes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ch, stop := s.b.Subscribe(256)
	defer stop()
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			if err := enc.Encode(e); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	}
}

type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(err error) error { return &httpError{http.StatusBadRequest, err} }

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return badRequest(fmt.Errorf("bad request body: %w", err))
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return 0, badRequest(err)
	}
	return d, nil
}

// ParseDuration accepts Go durations ("50m", "1h30m") and plain minutes ("50").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (try 25m, 50m, 1h30m)", s)
	}
	return d, nil
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	var ce config.Errors
	reply := ErrorReply{Error: err.Error()}
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.As(err, &ce):
		code = http.StatusUnprocessableEntity
		for _, e := range ce {
			reply.Fields = append(reply.Fields, e.Error())
		}
	case errors.Is(err, config.ErrNoFile), errors.Is(err, fs.ErrPermission):
		code = http.StatusConflict
	case errors.Is(err, gate.ErrUnknownItem), errors.Is(err, gate.ErrAmbiguousItem), errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, gate.ErrBadDuration), errors.Is(err, gate.ErrNotInFocus),
		errors.Is(err, gate.ErrNotPaused), errors.Is(err, gate.ErrNoCheckin), errors.Is(err, ErrInvalid):
		code = http.StatusConflict
	}
	if code == http.StatusInternalServerError {
		s.log.Error("control request failed", "err", err)
	}
	writeJSON(w, code, reply)
}

// ErrInvalid marks a request the backend refused as invalid.
var ErrInvalid = errors.New("invalid request")

// ErrNotFound marks a request for something the backend does not have (an
// account of another name); it is answered 404 like an unknown item.
var ErrNotFound = errors.New("not found")

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
