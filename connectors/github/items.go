package github

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-app/sluice/app/model"
)

// notification is one thread of GET /notifications, as documented.
type notification struct {
	ID         string    `json:"id"`
	Reason     string    `json:"reason"`
	Unread     bool      `json:"unread"`
	UpdatedAt  time.Time `json:"updated_at"`
	Subject    subject   `json:"subject"`
	Repository struct {
		FullName string `json:"full_name"`
		HTMLURL  string `json:"html_url"`
	} `json:"repository"`
}

type subject struct {
	Title            string `json:"title"`
	URL              string `json:"url"`
	LatestCommentURL string `json:"latest_comment_url"`
	Type             string `json:"type"` // Issue, PullRequest, Commit, Release, CheckSuite, Discussion, …
}

// detail is what the connector reads of the thing a notification points
// at (an issue, a pull request, a comment, a release): its page, who made
// it and its text.
type detail struct {
	HTMLURL string `json:"html_url"`
	Body    string `json:"body"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
	Author struct { // releases say author, not user
		Login string `json:"login"`
	} `json:"author"`
}

func (d detail) login() string {
	if d.User.Login != "" {
		return d.User.Login
	}
	return d.Author.Login
}

// sourceID names one update of a thread: a new comment on a thread is a new
// item, the same update listed twice is the same item.
func sourceID(n notification) string {
	return n.ID + "@" + n.UpdatedAt.UTC().Format(time.RFC3339)
}

// threadOf returns the thread ID of an item's source ID.
func threadOf(sourceID string) string {
	id, _, _ := strings.Cut(sourceID, "@")
	return id
}

// fetchDetail reads what a notification points at: the latest comment when
// there is one, else the subject. A thread the token may not read (a
// notifications-only token on a private repository) is not an error: the
// item keeps its rewritten link. Rate limits and auth failures are.
func (c *Connector) fetchDetail(ctx context.Context, tok string, n notification) (detail, bool, error) {
	u := n.Subject.LatestCommentURL
	if u == "" {
		u = n.Subject.URL
	}
	if u == "" || !c.onAPI(u) {
		return detail{}, false, nil
	}
	var d detail
	resp, err := c.get(ctx, tok, u, "", &d)
	if err != nil {
		var rl *rateLimitError
		switch {
		case ctx.Err() != nil, errors.As(err, &rl):
			return detail{}, false, err
		case resp != nil && resp.StatusCode == http.StatusUnauthorized:
			return detail{}, false, err // the token itself failed
		}
		// A 403 or 404 on one subject (SSO, a private repository, a
		// deleted comment) is not the token failing.
		c.log.Debug("subject not readable", "thread", n.ID, "err", err)
		return detail{}, false, nil
	}
	return d, true, nil
}

// item translates a notification (and what it points at, when read).
func (c *Connector) item(n notification, d detail, haveDetail bool) model.Item {
	it := model.Item{
		Kind:       model.KindGitHub,
		Account:    c.opt.Account,
		SourceID:   sourceID(n),
		Channel:    n.Repository.FullName,
		Thread:     "thread:" + n.ID,
		Subject:    n.Subject.Title,
		Reason:     n.Reason,
		MentionsMe: n.Reason == "mention" || n.Reason == "team_mention",
		Received:   n.UpdatedAt,
	}
	words := reasonWords(n.Reason)
	if what := subjectWords(n.Subject); what != "" {
		words += " · " + what
	}
	it.Snippet = words
	it.Link = c.htmlLink(n)
	if haveDetail {
		it.FromName = d.login()
		if d.Body != "" {
			it.Snippet = words + ": " + d.Body
		}
		if d.HTMLURL != "" && c.onWeb(d.HTMLURL) {
			it.Link = d.HTMLURL
		}
	}
	return it
}

// onWeb reports whether u is a page on the configured GitHub.
func (c *Connector) onWeb(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && strings.EqualFold(p.Host, c.web.Host)
}

// htmlLink turns a subject's API URL into its page:
// …/repos/o/r/pulls/7 → https://github.com/o/r/pull/7. CI results and
// anything unknown fall back to the repository's pages.
func (c *Connector) htmlLink(n notification) string {
	repo := n.Repository.FullName
	if n.Subject.Type == "CheckSuite" || n.Subject.Type == "WorkflowRun" {
		return c.web.JoinPath(repo, "actions").String()
	}
	if rest, ok := strings.CutPrefix(n.Subject.URL, c.api.JoinPath("repos").String()+"/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) >= 4 {
			owner, name, kind, id := parts[0], parts[1], parts[2], parts[3]
			switch kind {
			case "pulls":
				return c.web.JoinPath(owner, name, "pull", id).String()
			case "issues":
				return c.web.JoinPath(owner, name, "issues", id).String()
			case "commits":
				return c.web.JoinPath(owner, name, "commit", id).String()
			case "discussions":
				return c.web.JoinPath(owner, name, "discussions", id).String()
			case "releases":
				return c.web.JoinPath(owner, name, "releases").String()
			}
		}
	}
	if repo != "" {
		return c.web.JoinPath(repo).String()
	}
	return c.web.JoinPath("notifications").String()
}

// reasonWords says GitHub's reason as a person would.
func reasonWords(reason string) string {
	switch reason {
	case "review_requested":
		return "Review requested"
	case "mention":
		return "You were mentioned"
	case "team_mention":
		return "Your team was mentioned"
	case "assign":
		return "Assigned to you"
	case "author":
		return "On your thread"
	case "comment":
		return "New comment"
	case "ci_activity":
		return "CI activity"
	case "state_change":
		return "State changed"
	case "subscribed", "manual":
		return "Watching"
	case "security_alert":
		return "Security alert"
	case "invitation":
		return "Invitation"
	case "approval_requested":
		return "Approval requested"
	case "member_feature_requested":
		return "Feature requested"
	case "security_advisory_credit":
		return "Security advisory credit"
	}
	if reason == "" {
		return "Notification"
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// subjectWords names what the thread is: "pull request #7".
func subjectWords(s subject) string {
	var what string
	switch s.Type {
	case "PullRequest":
		what = "pull request"
	case "Issue":
		what = "issue"
	case "Commit":
		what = "commit"
	case "Release":
		what = "release"
	case "CheckSuite", "WorkflowRun":
		what = "workflow run"
	case "Discussion":
		what = "discussion"
	default:
		what = strings.ToLower(s.Type)
	}
	if s.Type == "PullRequest" || s.Type == "Issue" || s.Type == "Discussion" {
		if i := strings.LastIndexByte(s.URL, '/'); i >= 0 && i < len(s.URL)-1 {
			what += " #" + s.URL[i+1:]
		}
	}
	return what
}
