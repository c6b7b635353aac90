package local

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/sluice-app/sluice/app/model"
)

// errUnknownPriority is a plain-text push's Priority header that is neither
// urgent nor normal.
var errUnknownPriority = errors.New("unknown priority")

// handler serves the inbox's API. Every request is authenticated first, so
// nothing (not even which paths exist) is visible without the token.
func (c *Connector) handler(sink model.Sink) http.Handler {
	want := sha256.Sum256([]byte(c.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.authorized(w, r, want) {
			return
		}
		switch r.URL.Path {
		case "/v1/items":
			if r.Method != http.MethodPost {
				methodNotAllowed(w, "POST")
				return
			}
			c.postItem(w, r, sink)
		case "/v1/health":
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				methodNotAllowed(w, "GET, HEAD")
				return
			}
			writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		default:
			writeError(w, http.StatusNotFound, "not found (endpoints: POST /v1/items, GET /v1/health)")
		}
	})
}

// authorized checks the bearer token, answering 401 itself when it is
// missing or wrong. Both sides are hashed before the constant-time compare
// so that not even the token's length leaks through timing.
func (c *Connector) authorized(w http.ResponseWriter, r *http.Request, want [sha256.Size]byte) bool {
	fail := func(msg string) bool {
		if ok, n := c.authWarn.allow(c.clk.Now()); ok {
			c.log.Warn("unauthorized request", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "why", msg,
				"refused_since_last_warning", n)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
		writeError(w, http.StatusUnauthorized, msg)
		return false
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.URL.Query().Has("auth") {
			return fail("missing bearer token (send it in the Authorization header; tokens in URLs are not accepted)")
		}
		return fail("missing bearer token")
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return fail("authorization must be a bearer token")
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fail("invalid token")
	}
	return true
}

// postItem reads a push, stores it through the sink and answers 201 only
// once the sink has made it durable.
func (c *Connector) postItem(w http.ResponseWriter, r *http.Request, sink model.Sink) {
	if r.ContentLength > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var (
		msg Message
		err error
	)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		msg, err = jsonMessage(r.Body)
	} else {
		msg, err = plainMessage(r)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	it, err := ToItem(c.account, msg, c.clk.Now())
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	id, err := accept(r.Context(), sink, model.Batch{Account: c.account, Items: []model.Item{it}})
	if err != nil {
		c.log.Error("store failed", "source_id", it.SourceID, "err", err)
		writeError(w, http.StatusServiceUnavailable, "not stored: "+err.Error())
		return
	}
	c.log.Debug("stored", "id", id, "urgent", it.UrgentHint)
	writeJSON(w, http.StatusCreated, struct {
		ID     string `json:"id,omitempty"`
		Status string `json:"status"`
	}{id, "stored"})
}

// accept hands the batch of one item to the sink and returns the ID the
// gate gave it: the one `sluice explain` and the digest know it by. A sink
// that does not say (not a model.AcceptSink) leaves the ID empty; the
// connector never derives it itself.
func accept(ctx context.Context, sink model.Sink, b model.Batch) (id string, err error) {
	as, ok := sink.(model.AcceptSink)
	if !ok {
		return "", sink.Ingest(ctx, b)
	}
	got, err := as.Accept(ctx, b)
	if err != nil {
		return "", err
	}
	if len(got) != len(b.Items) {
		return "", fmt.Errorf("the gate answered %d items for %d", len(got), len(b.Items))
	}
	return got[0].ID, nil
}

// jsonMessage decodes exactly one Message object, refusing unknown fields
// (a misspelt field would otherwise vanish without a word).
func jsonMessage(body io.Reader) (Message, error) {
	var msg Message
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		if errors.Is(err, io.EOF) {
			return msg, errors.New("bad JSON: empty body")
		}
		return msg, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return msg, err
		}
		return msg, errors.New("bad JSON: unexpected data after the object")
	}
	return msg, nil
}

// plainMessage reads an ntfy-style push: the body is the text, headers
// carry the rest (see the package documentation).
func plainMessage(r *http.Request) (Message, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return Message{}, err
	}
	urgent, err := parsePriority(header(r, "Priority", "Prio", "P"))
	if err != nil {
		return Message{}, err
	}
	return Message{
		Title:   header(r, "Title"),
		Body:    string(body),
		From:    header(r, "From", "Sender"),
		Link:    header(r, "Click"),
		Urgent:  urgent,
		Channel: header(r, "Channel"),
		ID:      header(r, "Idempotency-Key", "ID"),
	}, nil
}

var wordDecoder mime.WordDecoder

// header returns the first of the named headers that is set, trying each
// name with and without the "X-" prefix, RFC 2047 words decoded.
func header(r *http.Request, names ...string) string {
	for _, n := range names {
		for _, k := range [...]string{"X-" + n, n} {
			if v := strings.TrimSpace(r.Header.Get(k)); v != "" {
				if d, err := wordDecoder.DecodeHeader(v); err == nil {
					return d
				}
				return v
			}
		}
	}
	return ""
}

// parsePriority maps ntfy's priorities onto Sluice's one flag: 4 and 5
// (high, urgent, max) ask to break through, 1 to 3 do not.
func parsePriority(p string) (urgent bool, err error) {
	switch strings.ToLower(p) {
	case "urgent", "max", "5", "high", "4":
		return true, nil
	case "", "default", "3", "low", "2", "min", "1":
		return false, nil
	}
	return false, fmt.Errorf("%w %q (want urgent, high, default, low, min or 1-5)", errUnknownPriority, p)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed (allowed: "+allow+")")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
