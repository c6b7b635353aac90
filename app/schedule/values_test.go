package schedule

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeOfDay
		wantErr bool
	}{
		{"09:00", TimeOfDay{9, 0}, false},
		{"9:05", TimeOfDay{9, 5}, false},
		{" 17:30 ", TimeOfDay{17, 30}, false},
		{"00:00", TimeOfDay{0, 0}, false},
		{"23:59", TimeOfDay{23, 59}, false},
		{"24:00", TimeOfDay{24, 0}, false},
		{"24:01", TimeOfDay{}, true},
		{"25:00", TimeOfDay{}, true},
		{"12:60", TimeOfDay{}, true},
		{"12:5", TimeOfDay{}, true},
		{"123:00", TimeOfDay{}, true},
		{"-1:00", TimeOfDay{}, true},
		{"+1:00", TimeOfDay{}, true},
		{"12", TimeOfDay{}, true},
		{"", TimeOfDay{}, true},
		{"ab:cd", TimeOfDay{}, true},
		{"١٢:٠٠", TimeOfDay{}, true}, // non-ASCII digits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimeOfDay(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTimeOfDay(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadTimeOfDay) {
				t.Errorf("ParseTimeOfDay(%q): got error %v, want one matching ErrBadTimeOfDay", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseTimeOfDay(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		text    string
		wantErr bool
	}{
		{"30m", 30 * time.Minute, "30m", false},
		{"1h30m", 90 * time.Minute, "1h30m", false},
		{"90m", 90 * time.Minute, "1h30m", false},
		{"2h", 2 * time.Hour, "2h", false},
		{"45s", 45 * time.Second, "45s", false},
		{"1h0m5s", time.Hour + 5*time.Second, "1h5s", false},
		{"0", 0, "0s", false},
		{"-5m", -5 * time.Minute, "-5m", false},
		{"1.5s", 1500 * time.Millisecond, "1.5s", false},
		{"", 0, "", true},
		{"30", 0, "", true},
		{"half an hour", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalText([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalText(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrBadDuration) {
					t.Errorf("UnmarshalText(%q): got error %v, want one matching ErrBadDuration", tt.in, err)
				}
				return
			}
			if d.Duration != tt.want {
				t.Errorf("UnmarshalText(%q): got %v, want %v", tt.in, d.Duration, tt.want)
			}
			if b, _ := d.MarshalText(); string(b) != tt.text {
				t.Errorf("MarshalText(%v): got %q, want %q", tt.want, b, tt.text)
			}
		})
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"2026-12-24", date(2026, 12, 24), false},
		{"2028-02-29", date(2028, 2, 29), false},
		{"2026-02-29", Date{}, true},
		{"2026-13-01", Date{}, true},
		{"2026-1-1", Date{}, true},
		{"24.12.2026", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Date
			err := got.UnmarshalText([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("UnmarshalText(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadDate) {
				t.Errorf("UnmarshalText(%q): got error %v, want one matching ErrBadDate", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("UnmarshalText(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if got := date(2026, 12, 31).AddDays(1); got != date(2027, 1, 1) {
		t.Errorf("AddDays across the year: got %s, want 2027-01-01", got)
	}
	if got := date(2026, 3, 1).AddDays(-1); got != date(2026, 2, 28) {
		t.Errorf("AddDays back over February: got %s, want 2026-02-28", got)
	}
	if got := date(2026, 3, 29).Weekday(); got != time.Sunday {
		t.Errorf("Weekday(2026-03-29): got %v, want Sunday", got)
	}
	if _, err := (Date{2026, 2, 30}).MarshalText(); !errors.Is(err, ErrBadDate) {
		t.Errorf("MarshalText(2026-02-30): got %v, want ErrBadDate", err)
	}
	if _, err := (TimeOfDay{25, 0}).MarshalText(); !errors.Is(err, ErrBadTimeOfDay) {
		t.Errorf("MarshalText(25:00): got %v, want ErrBadTimeOfDay", err)
	}
}

// TestJSONShape pins the text forms the config, the control API and the UI
// rely on.
func TestJSONShape(t *testing.T) {
	d := Day{
		Work:     &Span{TimeOfDay{9, 0}, TimeOfDay{17, 30}},
		Checkins: []Checkin{{At: TimeOfDay{11, 0}, Window: Duration{45 * time.Minute}}},
		Focus:    []Span{{TimeOfDay{22, 0}, TimeOfDay{2, 0}}},
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"work":{"start":"09:00","end":"17:30"},"checkins":[{"at":"11:00","window":"45m"}],"focus":[{"start":"22:00","end":"02:00"}]}`
	if string(b) != want {
		t.Errorf("json.Marshal(Day): got %s, want %s", b, want)
	}
	var back Day
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if *back.Work != *d.Work || back.Checkins[0] != d.Checkins[0] || back.Focus[0] != d.Focus[0] {
		t.Errorf("json round trip: got %+v, want %+v", back, d)
	}
	r := DateRange{From: date(2026, 12, 24), To: date(2026, 12, 31)}
	if b, _ := json.Marshal(r); string(b) != `{"from":"2026-12-24","to":"2026-12-31"}` {
		t.Errorf("json.Marshal(DateRange): got %s", b)
	}
	if b, _ := json.Marshal(CheckinStart); string(b) != `"checkin-start"` {
		t.Errorf("json.Marshal(CheckinStart): got %s, want \"checkin-start\"", b)
	}
}

func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"09:00", "9:00", "24:00", "23:59", "25:00", "", ":", "1:1", " 7:45 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseTimeOfDay(s)
		if err != nil {
			return
		}
		text, err := c.MarshalText()
		if err != nil {
			t.Fatalf("ParseTimeOfDay(%q) = %v, which does not marshal: %v", s, c, err)
		}
		back, err := ParseTimeOfDay(string(text))
		if err != nil || back != c {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, c, text, back, err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1h30m", "0", "-5m", "1.5s", "9223372036854775807ns", "-2562047h47m16.854775808s", "1µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		text, _ := d.MarshalText()
		back, err := ParseDuration(string(text))
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %d -> %q -> %v, %v", s, d.Duration, text, back.Duration, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-24", "2028-02-29", "0000-01-01", "9999-12-31", "2026-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		text, err := d.MarshalText()
		if err != nil {
			t.Fatalf("ParseDate(%q) = %v, which does not marshal: %v", s, d, err)
		}
		back, err := ParseDate(string(text))
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, d, text, back, err)
		}
	})
}
