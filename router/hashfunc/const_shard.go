package hashfunc

// ConstShard is mcrouter's ConstShard hash function: a key of the form
// "<anything>:<shard>:<rest>", where <shard> (the text between the first and
// the second ':') is a non-empty run of decimal digits whose value is below n,
// goes to index <shard>; any other key goes where Ch3(key, n) sends it.
// "foo:1:bar" → 1 when n > 1; "foo:12c:bar", "foo::bar" and "foo:9:bar" with
// n <= 9 fall back to Ch3.
func ConstShard(key []byte, n int) int {
	if shard, ok := constShardID(key, n); ok {
		return shard
	}
	return Ch3(key, n)
}

// constShardID parses the shard number of key and reports whether it is a
// valid index below n.
func constShardID(key []byte, n int) (int, bool) {
	first := indexColon(key)
	if first < 0 {
		return 0, false
	}
	rest := key[first+1:]
	second := indexColon(rest)
	if second <= 0 {
		return 0, false
	}
	shard := 0
	for _, c := range rest[:second] {
		if c < '0' || c > '9' {
			return 0, false
		}
		shard = shard*10 + int(c-'0')
		if shard >= n { // also keeps shard from overflowing
			return 0, false
		}
	}
	return shard, true
}

func indexColon(b []byte) int {
	for i, c := range b {
		if c == ':' {
			return i
		}
	}
	return -1
}
