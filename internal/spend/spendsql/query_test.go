package spendsql

import (
	"fmt"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	const h, d = HourMS, DayMS
	day := func(n int64) int64 { return 100*d + n*d }
	tests := []struct {
		name              string
		from, to, horizon int64
		byHour            bool
		want              string
		lo, hi            int64
		rounded           bool
	}{
		{"open, nothing pruned", openLo, openHi, 0, false, "day[open,open)", openLo, openHi, false},
		{"whole days", day(1), day(3), 0, false, "day[1d,3d)", day(1), day(3), false},
		{"minutes inside one hour", day(1) + 5*60000, day(1) + 50*60000, 0, false, "raw[1d+300000,1d+3000000)", day(1) + 5*60000, day(1) + 50*60000, false},
		{"hours and minutes around days", day(1) - h - 60000, day(3) + 2*h + 60000, 0, false,
			"raw[0d+82740000,0d+82800000) hour[0d+82800000,1d) day[1d,3d) hour[3d,3d+7200000) raw[3d+7200000,3d+7260000)", day(1) - h - 60000, day(3) + 2*h + 60000, false},
		{"by hour never reads days", day(1), day(2) + 60000, 0, true, "hour[1d,2d) raw[2d,2d+60000)", day(1), day(2) + 60000, false},
		{"before the horizon widens to days", day(1) + 5*h, day(2) + 3*h, day(4), false, "day[1d,3d)", day(1), day(3), true},
		{"across the horizon", day(1) + 5*h, day(5) + 3*h, day(4), false, "day[1d,4d) day[4d,5d) hour[5d,5d+10800000)", day(1), day(5) + 3*h, true},
		{"aligned across the horizon", day(1), openHi, day(4), false, "day[1d,4d) day[4d,open)", day(1), openHi, false},
		{"by hour drops what is before the horizon", openLo, day(5), day(4), true, "hour[4d,5d)", day(4), day(5), true},
		{"empty", day(2), day(2), 0, false, "", day(2), day(2), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			segs, lo, hi, rounded := plan(tc.from, tc.to, tc.horizon, tc.byHour)
			var got []string
			for _, s := range segs {
				got = append(got, fmt.Sprintf("%s[%s,%s)", [...]string{"raw", "hour", "day"}[s.src], rel(s.lo), rel(s.hi)))
			}
			if g := strings.Join(got, " "); g != tc.want || lo != tc.lo || hi != tc.hi || rounded != tc.rounded {
				t.Errorf("plan = %s [%d, %d) rounded %v\nwant   %s [%d, %d) rounded %v", g, lo, hi, rounded, tc.want, tc.lo, tc.hi, tc.rounded)
			}
		})
	}
}

// rel shows a time as days after day 100 plus milliseconds.
func rel(ms int64) string {
	switch ms {
	case openLo, openHi:
		return "open"
	}
	d := (ms - 100*DayMS) / DayMS
	if r := ms - 100*DayMS - d*DayMS; r != 0 {
		return fmt.Sprintf("%dd+%d", d, r)
	}
	return fmt.Sprintf("%dd", d)
}

func TestBind(t *testing.T) {
	q := "SELECT a FROM t WHERE x = ? AND y = ?"
	if got := Postgres.Bind(q); got != "SELECT a FROM t WHERE x = $1 AND y = $2" {
		t.Errorf("postgres: %s", got)
	}
	if got := SQLite.Bind(q); got != q {
		t.Errorf("sqlite: %s", got)
	}
}
