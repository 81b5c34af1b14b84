package compare

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart colours per target.
var targetColors = map[string]string{Direct: "#6b6b6b", Twemproxy: "#d95f02", MemcachedProxy: "#1b9e77", Mcroute: "#1f77b4"}

// SVG draws one panel per topology and workload: latency percentiles p50,
// p90, p99 and p99.9 (medians over rounds) on a log scale, one line per
// target. It is plain SVG written by hand: no plotting dependency is worth
// adding for lines on a grid.
func (rep *Report) SVG() string {
	const (
		panelW, panelH = 250, 190
		padL, padR     = 56, 14
		padT, padB     = 28, 34
		top            = 58
	)
	cols := 1
	for _, t := range rep.Topologies {
		cols = max(cols, len(t.Workloads))
	}
	rows := max(1, len(rep.Topologies))
	width, height := cols*panelW+20, top+rows*panelH+10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14" font-weight="bold">Latency percentiles (ms, log scale, median of %d rounds), %s</text>`+"\n", rep.Rounds, html.EscapeString(rep.Date))
	x := 10
	for _, name := range []string{Direct, Twemproxy, MemcachedProxy, Mcroute} {
		fmt.Fprintf(&b, `<line x1="%d" y1="38" x2="%d" y2="38" stroke="%s" stroke-width="2.5"/><text x="%d" y="42">%s</text>`+"\n", x, x+22, targetColors[name], x+27, name)
		x += 120
	}
	labels := []string{"p50", "p90", "p99", "p99.9"}
	for ri, t := range rep.Topologies {
		for ci, w := range t.Workloads {
			ox, oy := 10+ci*panelW, top+ri*panelH
			plotW, plotH := panelW-padL-padR, panelH-padT-padB
			px, py := ox+padL, oy+padT
			title := fmt.Sprintf("%s · %s", backendsLabel(t.Backends), w.Name)
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", px, oy+16, html.EscapeString(title))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#bbb"/>`+"\n", px, py, plotW, plotH)
			type series struct {
				name string
				v    []float64
			}
			var ss []series
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, tr := range w.Targets {
				if tr.P50 == nil || genOf(tr) != GenMcrouteBench {
					continue
				}
				v := []float64{tr.P50.Median, tr.P90.Median, tr.P99.Median, tr.P999.Median}
				for _, x := range v {
					x = math.Max(x, 0.001)
					lo, hi = math.Min(lo, x), math.Max(hi, x)
				}
				ss = append(ss, series{tr.Target, v})
			}
			xAt := func(i int) float64 { return float64(px) + float64(plotW)*(float64(i)+0.5)/float64(len(labels)) }
			for i, l := range labels {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", xAt(i), py+plotH+15, l)
			}
			if len(ss) == 0 {
				fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#888">no data</text>`+"\n", px+plotW/2, py+plotH/2)
				continue
			}
			dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
			if dhi <= dlo {
				dhi = dlo + 1
			}
			yAt := func(v float64) float64 {
				f := (math.Log10(math.Max(v, 0.001)) - dlo) / (dhi - dlo)
				return float64(py+plotH) - f*float64(plotH)
			}
			for d := dlo; d <= dhi; d++ {
				y := yAt(math.Pow(10, d))
				fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", px, y, px+plotW, y)
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", px-4, y+4, tickLabel(math.Pow(10, d)))
			}
			for _, s := range ss {
				var pts []string
				for i, v := range s.v {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", xAt(i), yAt(v)))
				}
				c := targetColors[s.name]
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`+"\n", c, strings.Join(pts, " "), s.name)
				for i, v := range s.v {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s: %s ms</title></circle>`+"\n", xAt(i), yAt(v), c, s.name, labels[i], ms(v))
				}
			}
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func tickLabel(v float64) string {
	if v >= 1 {
		return fmt.Sprintf("%g", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
