package mc

// Op is a request's command.
type Op uint8

// The commands mcroute accepts from clients (mcrouter-behaviour.md §5.2).
const (
	OpNone Op = iota
	OpGet
	OpGets
	OpGat
	OpGats
	OpSet
	OpAdd
	OpReplace
	OpAppend
	OpPrepend
	OpCas
	OpDelete
	OpIncr
	OpDecr
	OpTouch
	OpVersion
	OpVerbosity
	OpStats
	OpFlushAll
	OpFlushRegex
	OpQuit
	OpShutdown
	OpExec
	numOps
)

var opNames = [numOps]string{
	OpNone:       "none",
	OpGet:        "get",
	OpGets:       "gets",
	OpGat:        "gat",
	OpGats:       "gats",
	OpSet:        "set",
	OpAdd:        "add",
	OpReplace:    "replace",
	OpAppend:     "append",
	OpPrepend:    "prepend",
	OpCas:        "cas",
	OpDelete:     "delete",
	OpIncr:       "incr",
	OpDecr:       "decr",
	OpTouch:      "touch",
	OpVersion:    "version",
	OpVerbosity:  "verbosity",
	OpStats:      "stats",
	OpFlushAll:   "flush_all",
	OpFlushRegex: "flush_regex",
	OpQuit:       "quit",
	OpShutdown:   "shutdown",
	OpExec:       "exec",
}

// String returns the command word as clients write it.
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "unknown"
}

// NumOps is the number of Op values, for per-op counter arrays.
const NumOps = int(numOps)

// IsGet reports whether o is a retrieval command (one or more keys, reply of
// VALUE blocks ended by END).
func (o Op) IsGet() bool { return o >= OpGet && o <= OpGats }

// IsStorage reports whether o carries a data block (set, add, replace,
// append, prepend, cas).
func (o Op) IsStorage() bool { return o >= OpSet && o <= OpCas }

// IsUpdate reports whether o is an update for the purpose of default replies
// (NOT_STORED rather than NOT_FOUND), mcrouter-behaviour.md key fact 13.
func (o Op) IsUpdate() bool { return o.IsStorage() }

// HasCas reports whether replies to o carry the cas unique (gets, gats).
func (o Op) HasCas() bool { return o == OpGets || o == OpGats }
