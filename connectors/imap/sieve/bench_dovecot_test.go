//go:build unix

package sieve

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-app/sluice/app/clock"
	"github.com/sluice-app/sluice/connectors/imap/dovecottest"
)

// BenchmarkApply measures what a mode change costs on the server path:
// connect with STARTTLS, log in, and apply the hold and vacation scripts
// (CHECKSCRIPT, LISTSCRIPTS, GETSCRIPT of Sluice's scripts, HAVESPACE and
// PUTSCRIPT of each), alternating hold on and off, on a loopback Dovecot.
func BenchmarkApply(b *testing.B) {
	s := dovecottest.New(b, dovecottest.Options{Sieve: &dovecottest.Sieve{}})
	ctx := context.Background()
	c0, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
	if err != nil {
		b.Fatal(err)
	}
	if err := c0.Login(ctx, "alice", s.Password("alice")); err != nil {
		b.Fatal(err)
	}
	spec := holdSpec(c0)
	spec.Until = clock.Real{}.Now().Add(time.Hour)
	hold, err := HoldScript(spec)
	if err != nil {
		b.Fatal(err)
	}
	now := clock.Real{}.Now()
	v := vacationSpec(c0, []Period{{now, now.Add(48 * time.Hour)}})
	v.OffHours = true
	for d := time.Monday; d <= time.Friday; d++ {
		v.Work[d] = []Span{{Clock{9, 0}, Clock{17, 0}}}
	}
	vac, err := VacationScript(v)
	if err != nil {
		b.Fatal(err)
	}
	c0.Logout(ctx)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := Dial(ctx, Options{Host: s.Host, Port: s.SievePort, CAFile: s.CAFile})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Login(ctx, "alice", s.Password("alice")); err != nil {
			b.Fatal(err)
		}
		want := Desired{Vacation: vac.Script}
		if i%2 == 0 {
			want.Hold = hold.Script
		}
		if _, err := NewManager(c, nil).Apply(ctx, want); err != nil {
			b.Fatal(err)
		}
		c.Logout(ctx)
	}
	b.ReportMetric(float64(len(hold.Script)), "hold-bytes")
	b.ReportMetric(float64(len(vac.Script)), "vacation-bytes")
}
