// Package slacktest is an in-process fake of the parts of Slack's Web API
// and Socket Mode that Sluice's Slack connector uses, served by httptest on
// 127.0.0.1 (no Slack server exists offline). It answers with JSON shaped
// like Slack's documented responses: ok/error envelopes, cursor pagination
// (response_metadata.next_cursor), search paging, 429 with Retry-After,
// invalid_auth, threads, and a Socket Mode websocket handed out by
// apps.connections.open that records acknowledgements.
//
// It keeps a workspace in memory (users, conversations, messages, the
// user's status and DND snooze) and logs every call, so tests can assert
// both what the connector produced and how it talked to Slack.
package slacktest

import (
	"encoding/base64"
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

	"github.com/gorilla/websocket"
)

// User is a workspace member.
type User struct {
	ID, Name, DisplayName, RealName, Email string
	StatusText, StatusEmoji                string
	StatusExpiration                       int64
}

// Conversation kinds, as Slack's conversations.list "types" name them.
const (
	KindIM      = "im"
	KindMPIM    = "mpim"
	KindChannel = "public_channel"
	KindPrivate = "private_channel"
)

// Conv is a conversation.
type Conv struct {
	ID     string
	Name   string // channels and group DMs
	Kind   string // KindIM, KindMPIM, KindChannel or KindPrivate
	User   string // KindIM: the other person
	Member bool   // channels: the token's user is a member
}

// Message is one message. A reply has ThreadTS set to its parent's TS.
type Message struct {
	TS, User, Text, ThreadTS, Subtype, BotID, Username string
}

// Fault is a failure to serve instead of an answer.
type Fault struct {
	Status     int    // HTTP status; 0 means 200
	RetryAfter int    // seconds, sent as Retry-After (429)
	Error      string // Slack error code for an ok:false answer
	Drop       bool   // close the connection without answering
}

// Call is one Web API request as the server saw it.
type Call struct {
	Method string
	Params url.Values // form and query values, without the token
}

// Server is the fake. Exported fields may be set before the first request.
type Server struct {
	// URL is the Web API base URL for slack.OptionAPIURL; it ends in "/".
	URL string

	UserToken, AppToken      string
	Team, TeamID, Domain, Me string // Me is the token's user ID
	AppID                    string
	PageSize                 int       // at most this many items per page (default 200)
	Base                     time.Time // timestamp of the first auto-numbered message
	// OnCall, if set, is called with each request's method before it is
	// answered (tests use it to note the fake clock's time of each call).
	OnCall func(method string)

	srv           *httptest.Server
	upgrader      websocket.Upgrader
	mu            sync.Mutex
	users         map[string]*User
	convs         map[string]*Conv
	order         []string
	msgs          map[string][]Message
	seq           int
	calls         []Call
	faults        map[string][]Fault
	always        *Fault
	snoozed       bool
	snoozeMinutes int
	sockets       []*socket
	acks          []string
	envelopes     int
	closed        bool
}

type socket struct {
	mu   sync.Mutex // serialises writes
	conn *websocket.Conn
}

// New starts a fake workspace "Acme" whose user "me" (U0ME) owns the token
// "xoxp-fake"; the app-level token is "xapp-fake". Close it when done.
func New() *Server {
	s := &Server{
		UserToken: "xoxp-fake", AppToken: "xapp-fake",
		Team: "Acme", TeamID: "T0ACME", Domain: "acme", Me: "U0ME", AppID: "A0SLUICE",
		PageSize: 200,
		Base:     time.Unix(1700000000, 0),
		users:    map[string]*User{}, convs: map[string]*Conv{}, msgs: map[string][]Message{},
		faults:   map[string][]Fault{},
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.users[s.Me] = &User{ID: s.Me, Name: "me", DisplayName: "Me", RealName: "Me Myself", Email: "me@acme.test"}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/"
	return s
}

// Close stops the server and its websockets.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	socks := s.sockets
	s.sockets = nil
	s.mu.Unlock()
	for _, so := range socks {
		_ = so.conn.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// TeamURL is the workspace URL auth.test reports.
func (s *Server) TeamURL() string { return "https://" + s.Domain + ".slack.com/" }

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// AddConv adds a conversation.
func (s *Server) AddConv(c Conv) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.convs[c.ID]; !ok {
		s.order = append(s.order, c.ID)
	}
	s.convs[c.ID] = &c
}

// Post adds a message to a conversation, numbering it after the last
// message when TS is empty, and returns it.
func (s *Server) Post(conv string, m Message) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.postLocked(conv, m)
}

func (s *Server) postLocked(conv string, m Message) Message {
	if m.TS == "" {
		s.seq++
		m.TS = TS(s.Base.Add(time.Duration(s.seq) * time.Second))
	}
	s.msgs[conv] = append(s.msgs[conv], m)
	return m
}

// TS formats t as a Slack timestamp.
func TS(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

// FailNext makes the next call of method fail with f (queued in order).
func (s *Server) FailNext(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// FailAll makes every call fail with f until FailAll(nil).
func (s *Server) FailAll(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = f
}

// Calls returns the calls of the named methods (all calls if none named).
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Status returns a user's status.
func (s *Server) Status(user string) (text, emoji string, expiration int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[user]
	if u == nil {
		return "", "", 0
	}
	return u.StatusText, u.StatusEmoji, u.StatusExpiration
}

// SetStatus sets a user's status, as the user would in Slack.
func (s *Server) SetStatus(user, text, emoji string, expiration int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[user]; u != nil {
		u.StatusText, u.StatusEmoji, u.StatusExpiration = text, emoji, expiration
	}
}

// Snooze reports whether the user's notifications are snoozed, and for how
// many minutes the last dnd.setSnooze asked.
func (s *Server) Snooze() (on bool, minutes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snoozed, s.snoozeMinutes
}

// Sockets reports how many Socket Mode connections are open.
func (s *Server) Sockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets)
}

// Acks returns the envelope IDs acknowledged over Socket Mode, in order.
func (s *Server) Acks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// PushMessage posts m to conv and delivers it as a Socket Mode events_api
// "message" event on every open socket. It returns the message and the
// envelope ID the connector must acknowledge.
func (s *Server) PushMessage(conv string, m Message) (Message, string, error) {
	s.mu.Lock()
	c := s.convs[conv]
	if c == nil {
		s.mu.Unlock()
		return Message{}, "", fmt.Errorf("no conversation %s", conv)
	}
	m = s.postLocked(conv, m)
	s.envelopes++
	env := fmt.Sprintf("env-%d", s.envelopes)
	chType := map[string]string{KindIM: "im", KindMPIM: "mpim", KindChannel: "channel", KindPrivate: "group"}[c.Kind]
	event := map[string]any{
		"type": "message", "channel": conv, "user": m.User, "text": m.Text,
		"ts": m.TS, "event_ts": m.TS, "channel_type": chType,
	}
	if m.ThreadTS != "" {
		event["thread_ts"] = m.ThreadTS
	}
	if m.Subtype != "" {
		event["subtype"] = m.Subtype
	}
	if m.BotID != "" {
		event["bot_id"] = m.BotID
	}
	frame := map[string]any{
		"envelope_id": env, "type": "events_api", "accepts_response_payload": false,
		"retry_attempt": 0, "retry_reason": "",
		"payload": map[string]any{
			"token": "verification-token", "team_id": s.TeamID, "api_app_id": s.AppID,
			"type": "event_callback", "event_id": "Ev" + env, "event_time": s.Base.Unix(),
			"event": event,
		},
	}
	socks := slices.Clone(s.sockets)
	s.mu.Unlock()
	if len(socks) == 0 {
		return m, env, fmt.Errorf("no socket mode connection")
	}
	for _, so := range socks {
		if err := so.write(frame); err != nil {
			return m, env, err
		}
	}
	return m, env, nil
}

func (so *socket) write(v any) error {
	so.mu.Lock()
	defer so.mu.Unlock()
	return so.conn.WriteJSON(v)
}

// ---- Web API ----

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := r.Form.Get("token")
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	params := url.Values{}
	for k, v := range r.Form {
		if k != "token" {
			params[k] = v
		}
	}
	if hook := s.OnCall; hook != nil {
		hook(method)
	}

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params})
	var fault *Fault
	if q := s.faults[method]; len(q) > 0 {
		fault = &q[0]
		s.faults[method] = q[1:]
	} else if s.always != nil {
		f := *s.always
		fault = &f
	}
	s.mu.Unlock()

	if fault != nil {
		s.fail(w, *fault)
		return
	}
	want := s.UserToken
	if method == "apps.connections.open" {
		want = s.AppToken
	}
	switch {
	case token == "":
		writeJSON(w, map[string]any{"ok": false, "error": "not_authed"})
		return
	case token != want:
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}

	s.mu.Lock()
	resp := s.answer(method, params)
	s.mu.Unlock()
	writeJSON(w, resp)
}

func (s *Server) fail(w http.ResponseWriter, f Fault) {
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 500 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body>upstream error</body></html>"))
		return
	}
	code := f.Error
	if code == "" && status == http.StatusTooManyRequests {
		code = "ratelimited"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func errResp(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// answer serves one method; s.mu is held.
func (s *Server) answer(method string, p url.Values) map[string]any {
	switch method {
	case "auth.test":
		u := s.users[s.Me]
		return map[string]any{"ok": true, "url": s.TeamURL(), "team": s.Team, "user": u.Name, "team_id": s.TeamID, "user_id": s.Me}
	case "apps.connections.open":
		host := strings.TrimPrefix(s.srv.URL, "http://")
		return map[string]any{"ok": true, "url": "ws://" + host + "/link/?ticket=fake-ticket&app_id=" + s.AppID}
	case "conversations.list":
		return s.listConvs(p, func(*Conv) bool { return true })
	case "users.conversations":
		return s.listConvs(p, func(c *Conv) bool {
			return (c.Kind == KindChannel || c.Kind == KindPrivate) && c.Member
		})
	case "conversations.info":
		c := s.convs[p.Get("channel")]
		if c == nil {
			return errResp("channel_not_found")
		}
		return map[string]any{"ok": true, "channel": s.convJSON(c)}
	case "conversations.history":
		return s.history(p)
	case "conversations.replies":
		return s.replies(p)
	case "users.info":
		u := s.users[p.Get("user")]
		if u == nil {
			return errResp("user_not_found")
		}
		return map[string]any{"ok": true, "user": userJSON(u, s.TeamID)}
	case "users.profile.get":
		id := p.Get("user")
		if id == "" {
			id = s.Me
		}
		u := s.users[id]
		if u == nil {
			return errResp("user_not_found")
		}
		return map[string]any{"ok": true, "profile": profileJSON(u)}
	case "users.profile.set":
		return s.setProfile(p)
	case "dnd.setSnooze":
		n, err := strconv.Atoi(p.Get("num_minutes"))
		if err != nil || n <= 0 {
			return errResp("invalid_arguments")
		}
		s.snoozed, s.snoozeMinutes = true, n
		end := time.Now().Add(time.Duration(n) * time.Minute).Unix()
		return map[string]any{"ok": true, "snooze_enabled": true, "snooze_endtime": end, "snooze_remaining": n * 60}
	case "dnd.endSnooze":
		if !s.snoozed {
			return errResp("snooze_not_active")
		}
		s.snoozed = false
		return map[string]any{"ok": true, "dnd_enabled": true, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1, "snooze_enabled": false}
	case "search.messages":
		return s.search(p)
	case "chat.getPermalink":
		ch, ts := p.Get("channel"), p.Get("message_ts")
		if s.convs[ch] == nil {
			return errResp("channel_not_found")
		}
		return map[string]any{"ok": true, "channel": ch, "permalink": s.permalink(ch, ts, "")}
	}
	return errResp("unknown_method")
}

// page cuts items[offset:] to a page and returns the next cursor.
func (s *Server) page(p url.Values, n int) (from, to int, next string) {
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, s.PageSize)
	if c := p.Get("cursor"); c != "" {
		if b, err := base64.StdEncoding.DecodeString(c); err == nil {
			from, _ = strconv.Atoi(strings.TrimPrefix(string(b), "next:"))
		}
	}
	from = min(max(from, 0), n)
	to = min(from+limit, n)
	if to < n {
		next = base64.StdEncoding.EncodeToString([]byte("next:" + strconv.Itoa(to)))
	}
	return from, to, next
}

func (s *Server) listConvs(p url.Values, ok func(*Conv) bool) map[string]any {
	types := strings.Split(p.Get("types"), ",")
	if p.Get("types") == "" {
		types = []string{KindChannel}
	}
	var all []*Conv
	for _, id := range s.order {
		c := s.convs[id]
		if slices.Contains(types, c.Kind) && ok(c) {
			all = append(all, c)
		}
	}
	from, to, next := s.page(p, len(all))
	chans := []any{}
	for _, c := range all[from:to] {
		chans = append(chans, s.convJSON(c))
	}
	return map[string]any{"ok": true, "channels": chans, "response_metadata": map[string]any{"next_cursor": next}}
}

func (s *Server) convJSON(c *Conv) map[string]any {
	m := map[string]any{"id": c.ID, "created": s.Base.Unix(), "is_archived": false}
	switch c.Kind {
	case KindIM:
		m["is_im"], m["user"], m["is_user_deleted"], m["priority"] = true, c.User, false, 0
	case KindMPIM:
		m["name"], m["is_mpim"], m["is_group"], m["is_private"] = c.Name, true, false, true
	case KindChannel:
		m["name"], m["is_channel"], m["is_private"], m["is_member"] = c.Name, true, false, c.Member
	case KindPrivate:
		m["name"], m["is_group"], m["is_private"], m["is_member"] = c.Name, true, true, c.Member
	}
	return m
}

func tsLess(a, b string) bool {
	af, _ := strconv.ParseFloat(a, 64)
	bf, _ := strconv.ParseFloat(b, 64)
	if af != bf {
		return af < bf
	}
	return a < b
}

// after reports ts > bound (ts >= bound when inclusive); "" bounds nothing.
func after(ts, bound string, inclusive bool) bool {
	if bound == "" {
		return true
	}
	return tsLess(bound, ts) || (inclusive && ts == bound)
}

func (s *Server) msgJSON(ch string, m Message) map[string]any {
	j := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User != "" {
		j["user"] = m.User
	}
	if m.Subtype != "" {
		j["subtype"] = m.Subtype
	}
	if m.BotID != "" {
		j["bot_id"] = m.BotID
		j["bot_profile"] = map[string]any{"id": m.BotID, "name": m.Username, "app_id": "A" + m.BotID}
	}
	if m.Username != "" {
		j["username"] = m.Username
	}
	if m.ThreadTS != "" {
		j["thread_ts"] = m.ThreadTS
	}
	// A parent carries its thread's summary.
	var n int
	var latest string
	for _, r := range s.msgs[ch] {
		if r.ThreadTS == m.TS && r.TS != m.TS {
			n++
			if latest == "" || tsLess(latest, r.TS) {
				latest = r.TS
			}
		}
	}
	if n > 0 {
		j["thread_ts"], j["reply_count"], j["latest_reply"] = m.TS, n, latest
	}
	return j
}

func (s *Server) history(p url.Values) map[string]any {
	ch := p.Get("channel")
	if s.convs[ch] == nil {
		return errResp("channel_not_found")
	}
	incl := p.Get("inclusive") == "1" || p.Get("inclusive") == "true"
	var top []Message
	for _, m := range s.msgs[ch] {
		if m.ThreadTS != "" && m.ThreadTS != m.TS && m.Subtype != "thread_broadcast" {
			continue // replies live in conversations.replies
		}
		if !after(m.TS, p.Get("oldest"), incl) {
			continue
		}
		if l := p.Get("latest"); l != "" && !tsLess(m.TS, l) && !(incl && m.TS == l) {
			continue
		}
		top = append(top, m)
	}
	slices.SortFunc(top, func(a, b Message) int { // newest first, as Slack answers
		if tsLess(b.TS, a.TS) {
			return -1
		}
		return 1
	})
	from, to, next := s.page(p, len(top))
	msgs := []any{}
	for _, m := range top[from:to] {
		msgs = append(msgs, s.msgJSON(ch, m))
	}
	return map[string]any{
		"ok": true, "messages": msgs, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

func (s *Server) replies(p url.Values) map[string]any {
	ch, parentTS := p.Get("channel"), p.Get("ts")
	if s.convs[ch] == nil {
		return errResp("channel_not_found")
	}
	var parent *Message
	var rs []Message
	for _, m := range s.msgs[ch] {
		switch {
		case m.TS == parentTS:
			parent = &m
		case m.ThreadTS == parentTS && after(m.TS, p.Get("oldest"), false):
			rs = append(rs, m)
		}
	}
	if parent == nil {
		return errResp("thread_not_found")
	}
	slices.SortFunc(rs, func(a, b Message) int {
		if tsLess(a.TS, b.TS) {
			return -1
		}
		return 1
	})
	all := append([]Message{*parent}, rs...) // Slack always leads with the parent
	from, to, next := s.page(p, len(all))
	msgs := []any{}
	for _, m := range all[from:to] {
		j := s.msgJSON(ch, m)
		if m.TS != parentTS {
			j["parent_user_id"] = parent.User
		}
		msgs = append(msgs, j)
	}
	return map[string]any{
		"ok": true, "messages": msgs, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

func userJSON(u *User, team string) map[string]any {
	return map[string]any{
		"id": u.ID, "team_id": team, "name": u.Name, "deleted": false, "real_name": u.RealName,
		"tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600,
		"is_bot": false, "profile": profileJSON(u),
	}
}

func profileJSON(u *User) map[string]any {
	p := map[string]any{
		"real_name": u.RealName, "real_name_normalized": u.RealName,
		"display_name": u.DisplayName, "display_name_normalized": u.DisplayName,
		"status_text": u.StatusText, "status_emoji": u.StatusEmoji, "status_expiration": u.StatusExpiration,
	}
	if u.Email != "" {
		p["email"] = u.Email
	}
	return p
}

func (s *Server) setProfile(p url.Values) map[string]any {
	id := p.Get("user")
	if id == "" {
		id = s.Me
	}
	if id != s.Me {
		return errResp("cannot_update_admin_user")
	}
	var prof struct {
		StatusText       *string `json:"status_text"`
		StatusEmoji      *string `json:"status_emoji"`
		StatusExpiration *int64  `json:"status_expiration"`
	}
	if err := json.Unmarshal([]byte(p.Get("profile")), &prof); err != nil {
		return errResp("invalid_profile")
	}
	u := s.users[id]
	if prof.StatusText != nil {
		u.StatusText = *prof.StatusText
	}
	if prof.StatusEmoji != nil {
		u.StatusEmoji = *prof.StatusEmoji
	}
	if prof.StatusExpiration != nil {
		u.StatusExpiration = *prof.StatusExpiration
	}
	return map[string]any{"ok": true, "profile": profileJSON(u)}
}

func (s *Server) permalink(ch, ts, thread string) string {
	link := s.TeamURL() + "archives/" + ch + "/p" + strings.Replace(ts, ".", "", 1)
	if thread != "" && thread != ts {
		link += "?thread_ts=" + thread + "&cid=" + ch
	}
	return link
}

func (s *Server) search(p url.Values) map[string]any {
	q := p.Get("query")
	if q == "" {
		return errResp("no_query")
	}
	type hit struct {
		ch string
		m  Message
	}
	var hits []hit
	// Like Slack, a search for a mention <@U1> also finds <@U1|name>.
	alt := q
	if strings.HasPrefix(q, "<@") && strings.HasSuffix(q, ">") {
		alt = strings.TrimSuffix(q, ">") + "|"
	}
	for _, id := range s.order {
		for _, m := range s.msgs[id] {
			if strings.Contains(m.Text, q) || strings.Contains(m.Text, alt) {
				hits = append(hits, hit{id, m})
			}
		}
	}
	if p.Get("sort") == "timestamp" {
		asc := p.Get("sort_dir") == "asc"
		slices.SortFunc(hits, func(a, b hit) int {
			if tsLess(a.m.TS, b.m.TS) == asc {
				return -1
			}
			return 1
		})
	}
	count, _ := strconv.Atoi(p.Get("count"))
	if count <= 0 {
		count = 20
	}
	count = min(count, s.PageSize)
	page, _ := strconv.Atoi(p.Get("page"))
	if page <= 0 {
		page = 1
	}
	pages := max((len(hits)+count-1)/count, 1)
	from := min((page-1)*count, len(hits))
	to := min(from+count, len(hits))
	matches := []any{}
	for _, h := range hits[from:to] {
		c := s.convs[h.ch]
		name := c.Name
		if c.Kind == KindIM {
			name = c.User
		}
		handle := ""
		if u := s.users[h.m.User]; u != nil {
			handle = u.Name
		}
		matches = append(matches, map[string]any{
			"type": "message", "user": h.m.User, "username": handle, "ts": h.m.TS, "text": h.m.Text,
			"permalink": s.permalink(h.ch, h.m.TS, h.m.ThreadTS),
			"channel": map[string]any{
				"id": c.ID, "name": name, "is_mpim": c.Kind == KindMPIM, "is_private": c.Kind != KindChannel,
				"is_ext_shared": false, "is_org_shared": false, "is_pending_ext_shared": false, "is_shared": false,
			},
		})
	}
	return map[string]any{
		"ok": true, "query": q,
		"messages": map[string]any{
			"total":      len(hits),
			"pagination": map[string]any{"total_count": len(hits), "page": page, "per_page": count, "page_count": pages, "first": from + 1, "last": to},
			"paging":     map[string]any{"count": count, "total": len(hits), "page": page, "pages": pages},
			"matches":    matches,
		},
	}
}

// ---- Socket Mode ----

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") == "" {
		http.Error(w, "no ticket", http.StatusUnauthorized)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	so := &socket{conn: conn}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.sockets = append(s.sockets, so)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sockets = slices.DeleteFunc(s.sockets, func(x *socket) bool { return x == so })
		s.mu.Unlock()
		_ = conn.Close()
	}()
	_ = so.write(map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "build_number": 1, "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": s.AppID},
	})
	// Slack pings every few seconds; the client treats silence as a dead link.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			_ = conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if json.Unmarshal(data, &ack) == nil && ack.EnvelopeID != "" {
			s.mu.Lock()
			s.acks = append(s.acks, ack.EnvelopeID)
			s.mu.Unlock()
		}
	}
}
