package compare

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The TLS section's targets, in the order each round runs them. Server
// side: the generator speaks TLS to the proxy, which speaks plaintext to
// memcached. Client side: the generator speaks plaintext to the proxy,
// which speaks TLS to memcached -Z.
const (
	TLSMcroutePlain   = "mcroute plaintext"
	TLSMcrouteServer  = "mcroute TLS listener"
	TLSStunnelServer  = "stunnel server"
	TLSMcrouteClient  = "mcroute → memcached -Z"
	TLSStunnelClient  = "stunnel client → memcached -Z"
	tlsSideServer     = "server"
	tlsSideClient     = "client"
	tlsSideBaseline   = "baseline"
	tlsStunnelMissing = "stunnel not installed (apt-get install stunnel4)"
)

// tlsWorkloads are the TLS section's workloads: A and B, one backend.
var tlsWorkloads = []string{"A", "B"}

// TLSResult is the TLS section: one backend, workloads A and B, every
// TLS target interleaved in each round.
type TLSResult struct {
	Stunnel   string            `json:"stunnel"` // version, or why absent
	Setup     []string          `json:"setup"`
	Notes     []string          `json:"notes,omitempty"`
	Workloads []*WorkloadResult `json:"workloads"`
	Ratios    []*TLSRatios      `json:"ratios"`
}

// TLSRatios are mcroute's medians over stunnel's and over plaintext
// mcroute's for one workload: ops/s and ops per proxy CPU-second.
type TLSRatios struct {
	Workload                string   `json:"workload"`
	ServerOverStunnelOps    *float64 `json:"tls_listener_over_stunnel_server_ops,omitempty"`
	ServerOverStunnelPerCPU *float64 `json:"tls_listener_over_stunnel_server_ops_per_cpu_s,omitempty"`
	ServerOverPlainOps      *float64 `json:"tls_listener_over_plaintext_ops,omitempty"`
	ServerOverPlainPerCPU   *float64 `json:"tls_listener_over_plaintext_ops_per_cpu_s,omitempty"`
	ClientOverStunnelOps    *float64 `json:"tls_client_over_stunnel_client_ops,omitempty"`
	ClientOverStunnelPerCPU *float64 `json:"tls_client_over_stunnel_client_ops_per_cpu_s,omitempty"`
	ClientOverPlainOps      *float64 `json:"tls_client_over_plaintext_ops,omitempty"`
	ClientOverPlainPerCPU   *float64 `json:"tls_client_over_plaintext_ops_per_cpu_s,omitempty"`
}

// tlsFiles are the PEM files of a run-time CA and a server certificate for
// 127.0.0.1 it signed.
type tlsFiles struct {
	CA, Cert, Key string
	pool          *x509.CertPool
}

// writeTLSFiles generates a P-256 CA and a server certificate (IP SAN
// 127.0.0.1, valid a day) into dir.
func writeTLSFiles(dir string) (*tlsFiles, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcroute-bench CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	f := &tlsFiles{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "server.pem"), Key: filepath.Join(dir, "server-key.pem")}
	for _, w := range []struct {
		path, typ string
		der       []byte
	}{{f.CA, "CERTIFICATE", caDER}, {f.Cert, "CERTIFICATE", der}, {f.Key, "EC PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: w.typ, Bytes: w.der}), 0o600); err != nil {
			return nil, err
		}
	}
	f.pool = x509.NewCertPool()
	f.pool.AddCert(ca)
	return f, nil
}

// clientConfig is the generator's (and the readiness checks') TLS client:
// the server must chain to the CA and name 127.0.0.1.
func (f *tlsFiles) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: f.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// stunnelConfig is a foreground stunnel with one service. Server mode
// terminates TLS with the server certificate; client mode originates it
// and verifies the chain to the CA and the IP 127.0.0.1.
func stunnelConfig(client bool, accept, connect string, f *tlsFiles) string {
	var b strings.Builder
	b.WriteString("; generated by mcroute-bench compare --tls\nforeground = yes\npid =\ndebug = warning\n\n[mc]\n")
	fmt.Fprintf(&b, "accept = %s\nconnect = %s\n", accept, connect)
	if client {
		fmt.Fprintf(&b, "client = yes\nverifyChain = yes\nCAfile = %s\ncheckIP = 127.0.0.1\n", f.CA)
	} else {
		fmt.Fprintf(&b, "cert = %s\nkey = %s\n", f.Cert, f.Key)
	}
	return b.String()
}

// mcrouteTLSClientConfig is mcroute's config for one memcached -Z backend:
// the pool's use_ssl makes it a TLS client, verified with --pem-ca-path.
func mcrouteTLSClientConfig(backend string) string {
	cfg := map[string]any{
		"pools": map[string]any{"A": map[string]any{"servers": []string{backend}, "use_ssl": true}},
		"route": "PoolRoute|A",
	}
	b, _ := json.Marshal(cfg)
	return string(b)
}

// findStunnel resolves stunnel: name (or, when empty, stunnel4 then
// stunnel) on PATH; "" when absent.
func findStunnel(name string) string {
	names := []string{name}
	if name == "" {
		names = []string{"stunnel4", "stunnel"}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// stunnelVersion is the "stunnel 5.x on …" line of stunnel -version.
func stunnelVersion(bin string) string {
	out, _ := exec.Command(bin, "-version").CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "stunnel ") {
			return strings.TrimSpace(l)
		}
	}
	return "unknown version"
}

// mcrouteBin is the mcroute binary as a command path, or why it cannot run.
func (r *runner) mcrouteBin() (string, string) {
	bin := r.opts.Mcroute
	if _, err := os.Stat(bin); err != nil {
		if p, lerr := exec.LookPath(bin); lerr == nil && !strings.Contains(bin, "/") {
			return p, ""
		}
		return "", fmt.Sprintf("%s not found (run make build)", bin)
	}
	if !filepath.IsAbs(bin) && !strings.HasPrefix(bin, ".") {
		bin = "./" + bin
	}
	return bin, ""
}

// startTLSTarget starts one proxy of the TLS section and smoke-tests it
// through its port (TLS when tc is set); failure marks the target down.
func (r *runner) startTLSTarget(name string, tc *tls.Config, bin string, args func(port int) []string) *target {
	t := &target{name: name, tls: tc}
	p, addr, err := r.startServingWith(tc, name, bin, args, r.opts.StartTimeout)
	if err == nil {
		err = smokeTestWith(tc, addr)
	}
	if err != nil {
		if p != nil {
			p.stop()
		}
		t.down = name + " not serving: " + err.Error()
		return t
	}
	t.addrs, t.proxy = []string{addr}, p
	return t
}

// startTLSTopology starts memcached and memcached -Z, and the five TLS
// targets in front of them.
func (r *runner) startTLSTopology(files *tlsFiles) (*topology, error) {
	dir := r.procs.dir
	plain, plainAddr, err := r.startServing("memcached-tls-plain", r.memcached, r.memcachedArgs, r.opts.StartTimeout)
	if err != nil {
		return nil, fmt.Errorf("memcached: %w", err)
	}
	tc := files.clientConfig()
	zArgs := func(port int) []string {
		return append(r.memcachedArgs(port), "-Z", "-o", "ssl_chain_cert="+files.Cert+",ssl_key="+files.Key)
	}
	z, zAddr, err := r.startServingWith(tc, "memcached-Z", r.memcached, zArgs, r.opts.StartTimeout)
	if err != nil {
		plain.stop()
		return nil, fmt.Errorf("memcached -Z (memcached built with TLS): %w", err)
	}
	topo := &topology{backends: []*proc{plain, z}, addrs: []string{plainAddr, zAddr},
		addrTLS: map[string]*tls.Config{zAddr: tc}}

	mc, why := r.mcrouteBin()
	mcroute := func(name string, tc *tls.Config, args func(port int) []string) *target {
		if mc == "" {
			return &target{name: name, down: name + " not serving: " + why}
		}
		return r.startTLSTarget(name, tc, mc, args)
	}
	plainConf := filepath.Join(dir, "mcroute-tls-plain.json")
	clientConf := filepath.Join(dir, "mcroute-tls-client.json")
	_ = os.WriteFile(plainConf, []byte(mcrouteConfig([]string{plainAddr})), 0o644)
	_ = os.WriteFile(clientConf, []byte(mcrouteTLSClientConfig(zAddr)), 0o644)
	common := func(conf string) []string {
		return []string{"--listen-address", "127.0.0.1", "--config", "file:" + conf, "--num-proxies", strconv.Itoa(r.opts.McrouteProxies)}
	}
	topo.targets = append(topo.targets, mcroute(TLSMcroutePlain, nil, func(port int) []string {
		return append([]string{"-p", strconv.Itoa(port)}, common(plainConf)...)
	}))
	topo.targets = append(topo.targets, mcroute(TLSMcrouteServer, tc, func(port int) []string {
		plainPort, _ := freePort()
		return append([]string{"-p", strconv.Itoa(plainPort), "--ssl-port", strconv.Itoa(port),
			"--server-pem-cert-path", files.Cert, "--server-pem-key-path", files.Key, "--server-pem-ca-path", files.CA}, common(plainConf)...)
	}))
	stunnel := func(name string, tc *tls.Config, client bool, connect string) *target {
		if r.stunnel == "" {
			return &target{name: name, down: name + " not serving: " + tlsStunnelMissing}
		}
		conf := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
		return r.startTLSTarget(name, tc, r.stunnel, func(port int) []string {
			_ = os.WriteFile(conf, []byte(stunnelConfig(client, loopback(port), connect, files)), 0o644)
			return []string{conf}
		})
	}
	topo.targets = append(topo.targets, stunnel(TLSStunnelServer, tc, false, plainAddr))
	topo.targets = append(topo.targets, mcroute(TLSMcrouteClient, nil, func(port int) []string {
		return append([]string{"-p", strconv.Itoa(port), "--pem-ca-path", files.CA}, common(clientConf)...)
	}))
	topo.targets = append(topo.targets, stunnel(TLSStunnelClient, nil, true, zAddr))
	return topo, nil
}

// tlsSide is which comparison a TLS target belongs to.
func tlsSide(name string) string {
	switch name {
	case TLSMcrouteServer, TLSStunnelServer:
		return tlsSideServer
	case TLSMcrouteClient, TLSStunnelClient:
		return tlsSideClient
	}
	return tlsSideBaseline
}

// runTLS is the TLS section: workloads A and B against every TLS target,
// interleaved round by round, with the generator and proxies as in the
// main runs.
func (r *runner) runTLS(ctx context.Context) (*TLSResult, error) {
	log := r.opts.Log
	res := &TLSResult{Stunnel: tlsStunnelMissing}
	if r.stunnel != "" {
		res.Stunnel = stunnelVersion(r.stunnel)
	}
	fmt.Fprintf(log, "== TLS: 1 backend, memcached and memcached -Z, mcroute and stunnel as TLS server and client\n")
	ws, err := selectWorkloads(Workloads(r.opts.Keys, r.opts.RateFraction), tlsWorkloads)
	if err != nil {
		return nil, err
	}
	files, err := writeTLSFiles(r.procs.dir)
	if err != nil {
		return nil, fmt.Errorf("TLS certificates: %w", err)
	}
	res.Setup = []string{
		"certificates made at run time: a P-256 CA and a server certificate for IP 127.0.0.1; every TLS client verifies the chain and the IP",
		"server side: generator --TLS--> mcroute --ssl-port → memcached, and generator --TLS--> stunnel (server mode) → memcached; baseline generator → mcroute plaintext → memcached",
		"client side: generator → mcroute (pool use_ssl, --pem-ca-path CA) → memcached -Z, and generator → stunnel (client mode, verifyChain, checkIP) → memcached -Z",
		fmt.Sprintf("mcroute --num-proxies %d; stunnel as Debian builds it (threads); ops per proxy CPU-s counts the proxy process only, as in the main runs", r.opts.McrouteProxies),
	}
	topo, err := r.startTLSTopology(files)
	if err != nil {
		return res, err
	}
	for _, t := range topo.targets {
		if t.down != "" {
			fmt.Fprintf(log, "   %s\n", t.down)
			res.Notes = append(res.Notes, t.down)
		}
	}
	saved := r.workloads
	r.workloads = ws
	err = r.preload(ctx, topo)
	r.workloads = saved
	if err != nil {
		return res, err
	}
	for _, w := range ws {
		wr := &WorkloadResult{Workload: w}
		results := map[string]*TargetResult{}
		for _, t := range topo.targets {
			results[t.name] = &TargetResult{Target: t.name, Generator: GenMcrouteBench}
		}
		for round := 1; round <= r.opts.Rounds; round++ {
			for _, t := range topo.targets {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				if !r.checkAlive(t) {
					continue
				}
				run := r.measure(ctx, topo, t, w, GenMcrouteBench, 0, round)
				results[t.name].Runs = append(results[t.name].Runs, run)
				fmt.Fprintf(log, "   [TLS · %s · round %d/%d] %s\n", w.Name, round, r.opts.Rounds, run.line(t.name))
			}
		}
		for _, t := range topo.targets {
			tr := results[t.name]
			tr.Status = "ok"
			if t.down != "" {
				tr.Status = t.down
			}
			tr.summarize()
			wr.Targets = append(wr.Targets, tr)
		}
		res.Workloads = append(res.Workloads, wr)
	}
	res.computeRatios()
	return res, nil
}

// computeRatios fills Ratios from the workloads' medians.
func (res *TLSResult) computeRatios() {
	res.Ratios = nil
	for _, w := range res.Workloads {
		plain, srv, stS := w.target(TLSMcroutePlain), w.target(TLSMcrouteServer), w.target(TLSStunnelServer)
		cli, stC := w.target(TLSMcrouteClient), w.target(TLSStunnelClient)
		rt := &TLSRatios{Workload: w.Name}
		both := func(a, b *TargetResult, ops, cpu **float64) {
			if a != nil && b != nil {
				*ops, *cpu = ratio(a.OpsPerSec, b.OpsPerSec), ratio(a.OpsPerProxyCPUSec, b.OpsPerProxyCPUSec)
			}
		}
		both(srv, stS, &rt.ServerOverStunnelOps, &rt.ServerOverStunnelPerCPU)
		both(srv, plain, &rt.ServerOverPlainOps, &rt.ServerOverPlainPerCPU)
		both(cli, stC, &rt.ClientOverStunnelOps, &rt.ClientOverStunnelPerCPU)
		both(cli, plain, &rt.ClientOverPlainOps, &rt.ClientOverPlainPerCPU)
		res.Ratios = append(res.Ratios, rt)
	}
}

// Markdown renders the TLS section: every target's medians, then the ratios.
func (res *TLSResult) Markdown() string {
	var b strings.Builder
	b.WriteString("### TLS\n\n")
	fmt.Fprintf(&b, "1 backend, workloads %s, the same interleaved rounds as above (every TLS target once per round). stunnel: %s.\n\n",
		strings.Join(tlsWorkloads, " and "), mdEscape(res.Stunnel))
	for _, s := range res.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "- **not measured**: %s\n", mdEscape(n))
	}
	b.WriteString("\n| workload | side | target | ops/s median (min–max) | **ops per proxy CPU-s** median (min–max) | proxy cores | p50 ms | p99 ms | errors |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range res.Workloads {
		for _, tr := range w.Targets {
			side := tlsSide(tr.Target)
			if tr.OpsPerSec == nil {
				why := tr.Status
				if why == "ok" {
					why = "no completed run"
					if len(tr.ErrorExamples) > 0 {
						why += ": " + tr.ErrorExamples[len(tr.ErrorExamples)-1]
					}
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | — | — | — | — | %d |\n", w.Name, side, tr.Target, mdEscape(why), tr.Errors)
				continue
			}
			cpu, cores := "—", "—"
			if tr.OpsPerProxyCPUSec != nil {
				cpu = "**" + opsRange(tr.OpsPerProxyCPUSec) + "**"
				cores = fmt.Sprintf("%.2f", tr.ProxyCores.Median)
			}
			errs := fmt.Sprint(tr.Errors)
			if tr.Errors > 0 && len(tr.ErrorExamples) > 0 {
				errs += " (" + mdEscape(strings.Join(tr.ErrorExamples, "; ")) + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w.Name, side, tr.Target, opsRange(tr.OpsPerSec), cpu, cores,
				ms(tr.P50.Median), ms(tr.P99.Median), errs)
		}
	}
	b.WriteString("\nRatios of medians, ops/s and **ops per proxy CPU-s** (above 1×: mcroute does more):\n\n")
	b.WriteString("| workload | TLS listener / stunnel server | TLS listener / mcroute plaintext | TLS client / stunnel client | TLS client / mcroute plaintext |\n")
	b.WriteString("|---|---:|---:|---:|---:|\n")
	pair := func(ops, cpu *float64) string {
		return ratioText(ops) + " / **" + ratioText(cpu) + "**"
	}
	for _, rt := range res.Ratios {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", rt.Workload,
			pair(rt.ServerOverStunnelOps, rt.ServerOverStunnelPerCPU), pair(rt.ServerOverPlainOps, rt.ServerOverPlainPerCPU),
			pair(rt.ClientOverStunnelOps, rt.ClientOverStunnelPerCPU), pair(rt.ClientOverPlainOps, rt.ClientOverPlainPerCPU))
	}
	b.WriteString("\n")
	return b.String()
}
