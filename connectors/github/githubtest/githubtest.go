// Package githubtest is a GitHub API on httptest that follows the
// documented behaviour of the parts Sluice uses: the notifications list
// (all, participating, since, per_page, page; Last-Modified and
// If-Modified-Since answered with 304; X-Poll-Interval; Link pagination;
// rate-limit headers), marking a thread read, the subjects notifications
// point at, GET /user, secondary rate limits (403 with Retry-After) and
// the OAuth device flow. Tests drive it: add notifications, expire the
// token, impose a limit, take it down.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notification is one thread as the test sets it up.
type Notification struct {
	ID            string
	Repo          string // "octo/app"
	Title         string
	Type          string // PullRequest, Issue, CheckSuite, Release, Commit, …
	Number        int    // issue or pull request number (0: none)
	Reason        string // review_requested, mention, ci_activity, …
	Updated       time.Time
	Unread        bool
	Author        string // who opened the subject
	Body          string // the subject's text
	Comment       string // the latest comment's text ("": none)
	Commenter     string
	Private       bool // the subject answers 404 (a token without the repo scope)
	Participating bool
}

// Call is one request the server received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Status int
	At     time.Time // the server's clock when it answered
}

// Server is the fake. Its exported fields may be set before the first
// request; use the methods afterwards.
type Server struct {
	*httptest.Server
	// Token is the access token the server accepts.
	Token string
	// ClientID is the OAuth app's client ID for the device flow.
	ClientID string
	// Login is the user the token belongs to.
	Login string

	mu           sync.Mutex
	now          func() time.Time
	threads      map[string]*Notification
	lastModified time.Time
	pollInterval int
	remaining    int
	reset        time.Time
	secondary    []int // Retry-After seconds for the next requests (-1: no header)
	down         bool
	calls        []Call
	attempts     int
	devicePolls  int
	approved     bool
	deviceCode   string
}

// New starts a server whose clock is now (a fake clock's Now in tests).
func New(now func() time.Time) *Server {
	s := &Server{
		Token: "ghp_test0123456789", ClientID: "Iv1.sluicetest", Login: "me",
		now: now, threads: map[string]*Notification{}, pollInterval: 60, remaining: 5000,
		deviceCode: "dev-code-1",
	}
	s.lastModified = now().Truncate(time.Second)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// APIURL is the base URL to give the connector.
func (s *Server) APIURL() string { return s.URL + "/api/v3/" }

// WebURL is the web base pages live under.
func (s *Server) WebURL() string { return s.URL + "/" }

// Add adds or updates a thread (Updated defaults to the server's now,
// Unread to true) and moves Last-Modified.
func (s *Server) Add(n Notification) Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.Updated.IsZero() {
		n.Updated = s.now().Truncate(time.Second)
	}
	if n.ID == "" {
		n.ID = strconv.Itoa(len(s.threads) + 1)
	}
	if n.Type == "" {
		n.Type = "Issue"
	}
	if n.Repo == "" {
		n.Repo = "octo/app"
	}
	n.Unread = true
	cp := n
	s.threads[n.ID] = &cp
	if n.Updated.After(s.lastModified) {
		s.lastModified = n.Updated
	} else {
		s.lastModified = s.lastModified.Add(time.Second)
	}
	return n
}

// Thread returns a thread's current state.
func (s *Server) Thread(id string) (Notification, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.threads[id]
	if !ok {
		return Notification{}, false
	}
	return *n, true
}

// SetPollInterval sets X-Poll-Interval in seconds.
func (s *Server) SetPollInterval(secs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pollInterval = secs
}

// SecondaryLimit makes the next request fail with 403 and Retry-After:
// secs (secs < 0: without the header, as GitHub sometimes does).
func (s *Server) SecondaryLimit(secs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secondary = append(s.secondary, secs)
}

// SetRemaining sets the primary rate limit's remaining calls and reset.
func (s *Server) SetRemaining(n int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining, s.reset = n, reset
}

// SetDown makes every request fail with 503 (true) or work again.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Approve lets the pending device login through.
func (s *Server) Approve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approved = true
}

// Calls returns the requests received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the requests for one method and path.
func (s *Server) CallsTo(method, path string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// Attempts counts requests that presented a token (good or bad).
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &recorder{ResponseWriter: w, status: 200}
	s.route(rec, r)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Status: rec.status, At: s.now()})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func message(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if s.down {
		message(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	switch r.URL.Path {
	case "/login/device/code":
		s.deviceCodeEndpoint(w, r)
		return
	case "/login/oauth/access_token":
		s.tokenEndpoint(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v3/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "" {
		s.attempts++
	}
	if tok, ok := strings.CutPrefix(auth, "Bearer "); !ok || tok != s.Token {
		message(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	if len(s.secondary) > 0 {
		secs := s.secondary[0]
		s.secondary = s.secondary[1:]
		if secs >= 0 {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		message(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
		return
	}
	if s.remaining <= 0 {
		s.rateHeaders(w)
		message(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.")
		return
	}
	switch {
	case rest == "user" && r.Method == http.MethodGet:
		s.spend(w)
		w.Header().Set("X-OAuth-Scopes", "notifications, repo")
		writeJSON(w, 200, map[string]any{"login": s.Login, "id": 1})
	case rest == "notifications" && r.Method == http.MethodGet:
		s.list(w, r)
	case strings.HasPrefix(rest, "notifications/threads/") && r.Method == http.MethodPatch:
		s.spend(w)
		id := strings.TrimPrefix(rest, "notifications/threads/")
		if n, ok := s.threads[id]; ok {
			n.Unread = false
			w.WriteHeader(http.StatusResetContent)
			return
		}
		message(w, http.StatusNotFound, "Not Found")
	case strings.HasPrefix(rest, "repos/") && r.Method == http.MethodGet:
		s.spend(w)
		s.subject(w, strings.TrimPrefix(rest, "repos/"))
	default:
		message(w, http.StatusNotFound, "Not Found")
	}
}

// spend counts one call against the primary limit and sets its headers.
func (s *Server) spend(w http.ResponseWriter) {
	s.remaining--
	s.rateHeaders(w)
}

func (s *Server) rateHeaders(w http.ResponseWriter) {
	reset := s.reset
	if reset.IsZero() {
		reset = s.now().Add(time.Hour)
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(s.remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// list serves GET /notifications as documented: unread threads (all=true:
// every thread) updated at or after since, newest first, per_page at a
// time, Link to the next and last pages, Last-Modified and X-Poll-Interval,
// and 304 without a body (and without spending the limit) when nothing
// changed since If-Modified-Since.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("X-Poll-Interval", strconv.Itoa(s.pollInterval))
	lm := s.lastModified.UTC().Format(http.TimeFormat)
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !s.lastModified.Truncate(time.Second).After(t) {
			s.rateHeaders(w)
			w.Header().Set("Last-Modified", lm)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.spend(w)
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			message(w, http.StatusUnprocessableEntity, "Validation Failed: since")
			return
		}
		since = t
	}
	all, participating := q.Get("all") == "true", q.Get("participating") == "true"
	var list []*Notification
	for _, n := range s.threads {
		if (!all && !n.Unread) || (participating && !n.Participating) || n.Updated.Before(since) {
			continue
		}
		list = append(list, n)
	}
	slices.SortFunc(list, func(a, b *Notification) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 50
	}
	per = min(per, 50)
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	last := max(1, (len(list)+per-1)/per)
	lo, hi := min((page-1)*per, len(list)), min(page*per, len(list))
	var links []string
	link := func(p int, rel string) {
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.URL, r.URL.Path, v.Encode(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
		link(page-1, "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	w.Header().Set("Last-Modified", lm)
	out := make([]map[string]any, 0, hi-lo)
	for _, n := range list[lo:hi] {
		out = append(out, s.render(n))
	}
	writeJSON(w, 200, out)
}

func (s *Server) api(path string) string { return s.URL + "/api/v3/" + path }

func (s *Server) render(n *Notification) map[string]any {
	subj := map[string]any{"title": n.Title, "type": n.Type, "url": nil, "latest_comment_url": nil}
	switch n.Type {
	case "PullRequest":
		subj["url"] = s.api(fmt.Sprintf("repos/%s/pulls/%d", n.Repo, n.Number))
	case "Issue":
		subj["url"] = s.api(fmt.Sprintf("repos/%s/issues/%d", n.Repo, n.Number))
	case "Release":
		subj["url"] = s.api(fmt.Sprintf("repos/%s/releases/%s", n.Repo, n.ID))
	}
	if subj["url"] != nil {
		subj["latest_comment_url"] = subj["url"]
	}
	if n.Comment != "" {
		subj["latest_comment_url"] = s.api(fmt.Sprintf("repos/%s/issues/comments/%s", n.Repo, n.ID))
	}
	return map[string]any{
		"id": n.ID, "unread": n.Unread, "reason": n.Reason,
		"updated_at":   n.Updated.UTC().Format(time.RFC3339),
		"last_read_at": nil,
		"subject":      subj,
		"repository": map[string]any{
			"full_name": n.Repo, "html_url": s.URL + "/" + n.Repo, "private": n.Private,
		},
		"url":              s.api("notifications/threads/" + n.ID),
		"subscription_url": s.api("notifications/threads/" + n.ID + "/subscription"),
	}
}

// subject serves repos/{o}/{r}/{pulls|issues|releases}/{n} and
// repos/{o}/{r}/issues/comments/{id}.
func (s *Server) subject(w http.ResponseWriter, rest string) {
	parts := strings.Split(rest, "/")
	if len(parts) < 4 {
		message(w, http.StatusNotFound, "Not Found")
		return
	}
	repo := parts[0] + "/" + parts[1]
	for _, n := range s.threads {
		if n.Repo != repo {
			continue
		}
		var hit bool
		var page string
		body := map[string]any{}
		switch {
		case len(parts) == 5 && parts[2] == "issues" && parts[3] == "comments" && parts[4] == n.ID && n.Comment != "":
			hit = true
			kind := "issues"
			if n.Type == "PullRequest" {
				kind = "pull"
			}
			page = fmt.Sprintf("%s/%s/%s/%d#issuecomment-%s", s.URL, repo, kind, n.Number, n.ID)
			body["body"], body["user"] = n.Comment, map[string]any{"login": n.Commenter}
		case len(parts) == 4 && parts[2] == "pulls" && n.Type == "PullRequest" && parts[3] == strconv.Itoa(n.Number):
			hit, page = true, fmt.Sprintf("%s/%s/pull/%d", s.URL, repo, n.Number)
		case len(parts) == 4 && parts[2] == "issues" && n.Type == "Issue" && parts[3] == strconv.Itoa(n.Number):
			hit, page = true, fmt.Sprintf("%s/%s/issues/%d", s.URL, repo, n.Number)
		case len(parts) == 4 && parts[2] == "releases" && n.Type == "Release" && parts[3] == n.ID:
			hit, page = true, fmt.Sprintf("%s/%s/releases/tag/v%s", s.URL, repo, n.ID)
			body["author"] = map[string]any{"login": n.Author}
			body["body"] = n.Body
		}
		if !hit {
			continue
		}
		if n.Private {
			message(w, http.StatusNotFound, "Not Found")
			return
		}
		body["html_url"] = page
		if _, ok := body["body"]; !ok {
			body["body"], body["user"] = n.Body, map[string]any{"login": n.Author}
		}
		writeJSON(w, 200, body)
		return
	}
	message(w, http.StatusNotFound, "Not Found")
}

// deviceCodeEndpoint is POST /login/device/code.
func (s *Server) deviceCodeEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != s.ClientID {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized_client"})
		return
	}
	writeJSON(w, 200, map[string]any{
		"device_code": s.deviceCode, "user_code": "WDJB-MJHT",
		"verification_uri": s.URL + "/login/device", "expires_in": 900, "interval": 1,
	})
}

// tokenEndpoint is POST /login/oauth/access_token for the device grant.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	switch {
	case f.Get("client_id") != s.ClientID:
		writeJSON(w, 200, map[string]string{"error": "incorrect_client_credentials"})
	case f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" || f.Get("device_code") != s.deviceCode:
		writeJSON(w, 200, map[string]string{"error": "incorrect_device_code"})
	case !s.approved:
		s.devicePolls++
		writeJSON(w, 200, map[string]string{"error": "authorization_pending"})
	default:
		writeJSON(w, 200, map[string]string{"access_token": s.Token, "token_type": "bearer", "scope": "notifications"})
	}
}
