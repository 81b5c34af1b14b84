package router

import (
	"strings"
	"testing"
)

func TestPoolTKOTracker(t *testing.T) {
	const servers = `"servers": ["10.1.0.1:1", "10.1.0.2:1", "10.1.0.3:1", "10.1.0.4:1"]`
	for _, tc := range []struct {
		name, tracker string
		upper, lower  int
		err           string
	}{
		{"num", `{"num_tko_threshold_upper": 3, "num_tko_threshold_lower": 1}`, 3, 1, ""},
		{"percent of 4 servers, rounded down", `{"percent_tko_threshold_upper": 60, "percent_tko_threshold_lower": 25}`, 2, 1, ""},
		{"lower above upper", `{"num_tko_threshold_upper": 1, "num_tko_threshold_lower": 2}`, 0, 0, "exceeds upper"},
		{"half a pair", `{"num_tko_threshold_upper": 1}`, 0, 0, "both required"},
		{"empty", `{}`, 0, 0, "needs num_tko_threshold"},
		{"not an object", `3`, 0, 0, "not an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Build("test.json", []byte(`{"pools": {"A": {`+servers+`, "tko_tracker": `+tc.tracker+`}}, "route": "PoolRoute|A"}`), Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) != 0 {
				t.Fatalf("warnings: %v", cfg.Warnings)
			}
			if len(cfg.TKOGroups) != 1 {
				t.Fatalf("%d groups", len(cfg.TKOGroups))
			}
			g := cfg.TKOGroups[0]
			if g.Upper != tc.upper || g.Lower != tc.lower || len(g.Members()) != 4 || g.Name != "A" {
				t.Fatalf("group %s upper %d lower %d members %d", g.Name, g.Upper, g.Lower, len(g.Members()))
			}
		})
	}
}
