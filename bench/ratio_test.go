package bench

import "testing"

func TestParseRatio(t *testing.T) {
	r, err := ParseRatio("1:10")
	if err != nil || r != (Ratio{1, 10}) || r.String() != "1:10" {
		t.Fatalf("1:10 = %v %v", r, err)
	}
	for _, bad := range []string{"", "1", "0:0", "-1:2", "a:b", "1:2:3", "999999:2"} {
		if _, err := ParseRatio(bad); err == nil {
			t.Errorf("ParseRatio(%q) accepted", bad)
		}
	}
}

func TestRatioSchedule(t *testing.T) {
	for _, r := range []Ratio{{1, 10}, {1, 0}, {0, 1}, {2, 2}, {3, 7}, {10, 1}, {4, 6}, {5, 3}} {
		s := newRatioSched(r)
		period := r.Sets + r.Gets
		longestGets, run := 0, 0
		for p := 0; p < 50; p++ {
			sets := 0
			for i := 0; i < period; i++ {
				isSet := s.nextIsSet()
				if p == 0 && i == 0 && r.Sets > 0 && !isSet {
					t.Errorf("%v: first request is not a set", r)
				}
				if isSet {
					sets++
					run = 0
				} else {
					run++
					longestGets = max(longestGets, run)
				}
			}
			if sets != r.Sets {
				t.Fatalf("%v: period %d has %d sets, want exactly %d", r, p, sets, r.Sets)
			}
		}
		if r.Sets > 0 {
			// spread evenly: no run of gets longer than ceil(gets/sets)
			if limit := (r.Gets + r.Sets - 1) / r.Sets; longestGets > limit {
				t.Errorf("%v: %d gets in a row, want at most %d", r, longestGets, limit)
			}
		}
	}
}
