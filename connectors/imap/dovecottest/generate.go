//go:build unix

package dovecottest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Generated returns the i-th message of a deterministic, realistic mix for
// benchmarks and load tests: half multipart/alternative (plain and HTML), a
// fifth plain text, a tenth HTML only, a tenth with a 24 KB attachment and a
// tenth replies that quote their parent. Every message has a Message-ID and
// a Date i minutes after a fixed start.
func Generated(i int) []byte {
	date := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <sender%d@example.org>\n", i%97)
	fmt.Fprintf(&b, "Received: from mx%d.example.org (mx%d.example.org [192.0.2.%d])\n\tby mail.example.net with ESMTPS; %s\n", i%7, i%7, i%250, date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: =?utf-8?q?Sender_N=C2=B0%d?= <sender%d@example.org>\n", i%97, i%97)
	b.WriteString("To: Alice <alice@example.net>\n")
	fmt.Fprintf(&b, "Subject: Message %d about the quarterly plan, item %d\n", i, i%13)
	fmt.Fprintf(&b, "Date: %s\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <gen-%d@bench.example>\n", i)
	b.WriteString("MIME-Version: 1.0\n")
	text := fmt.Sprintf("Hello Alice,\n\nthis is message number %d. %s\n\nBest,\nSender %d\n-- \nSender %d, Example Org\n",
		i, strings.Repeat("The plan for next quarter needs your review before Friday. ", 3+i%5), i%97, i%97)
	html := "<html><head><style>p{margin:0}</style></head><body><p>" +
		strings.ReplaceAll(strings.ReplaceAll(text, "\n\n", "</p><p>"), "\n", "<br>") + "</p></body></html>"
	switch i % 10 {
	case 0, 1, 2, 3, 4: // alternative
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"alt-%d\"\n\n", i)
		fmt.Fprintf(&b, "--alt-%d\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n", i, text)
		fmt.Fprintf(&b, "--alt-%d\nContent-Type: text/html; charset=utf-8\n\n%s\n--alt-%d--\n", i, html, i)
	case 5, 6: // plain
		b.WriteString("Content-Type: text/plain; charset=utf-8\n\n" + text)
	case 7: // HTML only
		b.WriteString("Content-Type: text/html; charset=utf-8\n\n" + html + "\n")
	case 8: // attachment
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"mix-%d\"\n\n", i)
		fmt.Fprintf(&b, "--mix-%d\nContent-Type: text/plain; charset=utf-8\n\n%s\n", i, text)
		fmt.Fprintf(&b, "--mix-%d\nContent-Type: application/pdf; name=\"report-%d.pdf\"\nContent-Disposition: attachment; filename=\"report-%d.pdf\"\nContent-Transfer-Encoding: base64\n\n", i, i, i)
		att := make([]byte, 24<<10)
		for j := range att {
			att[j] = byte(i*31 + j*7)
		}
		enc := base64.StdEncoding.EncodeToString(att)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		fmt.Fprintf(&b, "%s\n--mix-%d--\n", enc, i)
	case 9: // reply quoting its parent
		fmt.Fprintf(&b, "In-Reply-To: <gen-%d@bench.example>\nReferences: <gen-%d@bench.example>\n", i-1, i-1)
		b.WriteString("Content-Type: text/plain; charset=utf-8\n\nAgreed, let's do it.\n\nOn " + date.Format(time.RFC1123Z) + ", Sender wrote:\n")
		for _, l := range strings.Split(text, "\n") {
			b.WriteString("> " + l + "\n")
		}
	}
	return []byte(b.String())
}

// Fill delivers Generated(from) … Generated(from+n-1) into a folder, each
// with its Date as the file time (Dovecot's INTERNALDATE).
func (s *Server) Fill(user, folder string, from, n int) error {
	for i := from; i < from+n; i++ {
		at := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		if _, err := s.Deliver(user, folder, Generated(i), at); err != nil {
			return err
		}
	}
	return nil
}
