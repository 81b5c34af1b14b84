package mc

// Result is the outcome of a request, mcrouter's carbon::Result
// (mcrouter-behaviour.md §2, §5.4). The order of the constants is not
// significant; severity and classes are given by the functions below.
type Result uint8

// Results mcroute produces or receives.
const (
	ResUnknown Result = iota
	ResDeleted
	ResTouched
	ResFound
	ResNotFound
	ResNotStored
	ResStored
	ResExists
	ResOK
	ResTimeout
	ResConnectTimeout
	ResConnectError
	ResBusy
	ResTryAgain
	ResShutdown
	ResTko
	ResBadKey
	ResBadValue
	ResAborted
	ResClientError
	ResLocalError
	ResRemoteError
	ResDeadlineExceeded
	numResults
)

// NumResults is the number of Result values, for per-result counter arrays.
const NumResults = int(numResults)

var resNames = [numResults]string{
	ResUnknown:          "mc_res_unknown",
	ResDeleted:          "mc_res_deleted",
	ResTouched:          "mc_res_touched",
	ResFound:            "mc_res_found",
	ResNotFound:         "mc_res_notfound",
	ResNotStored:        "mc_res_notstored",
	ResStored:           "mc_res_stored",
	ResExists:           "mc_res_exists",
	ResOK:               "mc_res_ok",
	ResTimeout:          "mc_res_timeout",
	ResConnectTimeout:   "mc_res_connect_timeout",
	ResConnectError:     "mc_res_connect_error",
	ResBusy:             "mc_res_busy",
	ResTryAgain:         "mc_res_try_again",
	ResShutdown:         "mc_res_shutdown",
	ResTko:              "mc_res_tko",
	ResBadKey:           "mc_res_bad_key",
	ResBadValue:         "mc_res_bad_value",
	ResAborted:          "mc_res_aborted",
	ResClientError:      "mc_res_client_error",
	ResLocalError:       "mc_res_local_error",
	ResRemoteError:      "mc_res_remote_error",
	ResDeadlineExceeded: "mc_res_deadline_exceeded",
}

// String returns mcrouter's name for r (mc_res_*).
func (r Result) String() string {
	if r < numResults {
		return resNames[r]
	}
	return "mc_res_unknown"
}

// IsError reports whether r is an error result (mcrouter: result >= OOO).
func (r Result) IsError() bool { return r >= ResTimeout }

// IsFailoverError reports whether r is one of mcrouter's default failover
// triggers: BUSY, SHUTDOWN, TKO, TRY_AGAIN, LOCAL_ERROR, CONNECT_ERROR,
// CONNECT_TIMEOUT, TIMEOUT, REMOTE_ERROR, DEADLINE_EXCEEDED.
func (r Result) IsFailoverError() bool {
	switch r {
	case ResBusy, ResShutdown, ResTko, ResTryAgain, ResLocalError, ResConnectError,
		ResConnectTimeout, ResTimeout, ResRemoteError, ResDeadlineExceeded:
		return true
	}
	return false
}

// Severity orders results for "worst reply" decisions (higher is worse),
// mcrouter's resultSeverity.
func (r Result) Severity() int {
	switch r {
	case ResOK, ResStored, ResExists, ResDeleted, ResFound:
		return 1
	case ResNotFound, ResNotStored:
		return 4
	case ResTimeout, ResConnectTimeout, ResConnectError, ResBusy, ResShutdown, ResTryAgain, ResTko:
		return 5
	case ResBadKey, ResBadValue, ResAborted, ResDeadlineExceeded:
		return 6
	case ResRemoteError, ResUnknown:
		return 7
	case ResLocalError:
		return 8
	case ResClientError:
		return 9
	}
	return 10
}

// Worse reports whether a is worse than b (ties keep b, the earlier one).
func Worse(a, b Result) bool { return a.Severity() > b.Severity() }
