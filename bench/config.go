package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"
)

// Config describes one run of the generator. Start from DefaultConfig: the
// zero value is not valid. Field names follow memtier_benchmark's flags.
type Config struct {
	// Servers are host:port addresses; connection i talks to
	// Servers[i%len(Servers)].
	Servers []string
	// Threads and Clients: Threads*Clients connections in all. Each
	// connection is its own goroutine (two in open loop), scheduled by the Go
	// runtime over GOMAXPROCS OS threads, so Threads only multiplies the
	// connection count; it is kept for memtier's meaning of -t/-c.
	Threads, Clients int
	// Ratio is sets:gets.
	Ratio Ratio
	// SetPattern and GetPattern pick key numbers in [KeyMin, KeyMax].
	SetPattern, GetPattern KeyPattern
	KeyMin, KeyMax         int64
	// KeyPrefix comes before the decimal key number.
	KeyPrefix string
	// KeyMedian and KeyStddev shape the gaussian pattern; 0 means the middle
	// of the range and a sixth of its width.
	KeyMedian, KeyStddev float64
	// DataSizeMin..DataSizeMax is the value size in bytes; when they differ
	// each key has its own size in the range (a function of the key).
	DataSizeMin, DataSizeMax int
	// Pipeline is the number of requests each connection keeps outstanding
	// in closed loop.
	Pipeline int
	// TestTime is how long to send; when 0, each connection sends Requests.
	TestTime time.Duration
	// Requests is the number of requests per connection when TestTime is 0.
	Requests int64
	// MultiKeyGet is the number of keys in each get.
	MultiKeyGet int
	// Rate, when > 0, is the total requests per second over all connections
	// in open loop: requests go out on a fixed schedule whatever the replies
	// do, and latency counts from each request's scheduled time.
	Rate float64
	// MaxInflight caps outstanding requests per connection in open loop; a
	// connection at the cap waits, and its schedule (and latency clock) runs
	// on.
	MaxInflight int
	// Verify checks that every value read back is byte for byte the value
	// the generator writes for that key (with flags 0).
	Verify bool
	// ReplyTimeout: a connection with requests outstanding that receives
	// nothing for this long (give or take a quarter) counts them as errors
	// and reconnects. It is also the longest the end of a run waits for
	// outstanding replies.
	ReplyTimeout time.Duration
	// DialTimeout bounds each connection attempt (TLS handshake included).
	DialTimeout time.Duration
	// TLS, when set, makes every connection a TLS client with this
	// configuration (nil: plaintext, the default).
	TLS *tls.Config
	// Seed makes key choice repeatable; connection i uses (Seed, i).
	Seed uint64
	// Progress, when set, receives one line per second.
	Progress io.Writer
}

// DefaultConfig returns memtier_benchmark's defaults, adapted to memcached:
// port 11211, 4 threads × 50 clients, 1:10, R:R over [0, 10000000], prefix
// "memtier-", 32-byte values, 10000 requests per client.
func DefaultConfig() Config {
	return Config{
		Servers:      []string{"127.0.0.1:11211"},
		Threads:      4,
		Clients:      50,
		Ratio:        Ratio{Sets: 1, Gets: 10},
		SetPattern:   PatternRandom,
		GetPattern:   PatternRandom,
		KeyMin:       0,
		KeyMax:       10_000_000,
		KeyPrefix:    "memtier-",
		DataSizeMin:  32,
		DataSizeMax:  32,
		Pipeline:     1,
		Requests:     10_000,
		MultiKeyGet:  1,
		MaxInflight:  4096,
		ReplyTimeout: 2 * time.Second,
		DialTimeout:  2 * time.Second,
		Seed:         1,
	}
}

// Conns is the total number of connections.
func (c *Config) Conns() int { return c.Threads * c.Clients }

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Servers) == 0:
		return errors.New("no server")
	case c.Threads < 1 || c.Clients < 1:
		return fmt.Errorf("threads %d × clients %d: both must be at least 1", c.Threads, c.Clients)
	case c.Ratio.Sets < 0 || c.Ratio.Gets < 0 || c.Ratio.Sets+c.Ratio.Gets == 0:
		return fmt.Errorf("ratio %s: not both 0", c.Ratio)
	case c.KeyMin < 0 || c.KeyMax < c.KeyMin:
		return fmt.Errorf("key range [%d, %d]: need 0 <= minimum <= maximum", c.KeyMin, c.KeyMax)
	case len(c.KeyPrefix)+20 > 250:
		return fmt.Errorf("key prefix %q: keys would exceed memcached's 250 bytes", c.KeyPrefix)
	case c.DataSizeMin < 0 || c.DataSizeMax < c.DataSizeMin || c.DataSizeMax > 1<<30:
		return fmt.Errorf("data size %d-%d: need 0 <= min <= max <= 1 GiB", c.DataSizeMin, c.DataSizeMax)
	case c.Pipeline < 1:
		return fmt.Errorf("pipeline %d: must be at least 1", c.Pipeline)
	case c.TestTime <= 0 && c.Requests <= 0:
		return errors.New("need a test time or a request count")
	case c.MultiKeyGet < 1 || c.MultiKeyGet > 1000:
		return fmt.Errorf("multi-key get %d: must be 1..1000", c.MultiKeyGet)
	case c.Rate < 0:
		return fmt.Errorf("rate %g: must not be negative", c.Rate)
	case c.Rate > 0 && c.MaxInflight < 1:
		return fmt.Errorf("max in-flight %d: must be at least 1", c.MaxInflight)
	case c.ReplyTimeout <= 0 || c.DialTimeout <= 0:
		return errors.New("reply and dial timeouts must be positive")
	}
	for _, p := range []KeyPattern{c.SetPattern, c.GetPattern} {
		switch p {
		case PatternRandom, PatternGaussian, PatternSequential, PatternParallel:
		default:
			return fmt.Errorf("key pattern %q: not one of R, G, S, P", p)
		}
	}
	return nil
}
