package router

// facebookOnly are route handles mcrouter registers only in Facebook's
// internal build (spec §2.5): they depend on services that do not exist
// outside Facebook, so mcroute refuses them and says why, rather than
// leaving an operator to wonder whether they are merely not built yet.
var facebookOnly = map[string]string{
	"SRRoute":                    "routes through Facebook's service router (SR)",
	"DistributionRoute":          "distributes writes through Facebook's cross-region distribution service",
	"SetDistributionTargetRoute": "sets a target for Facebook's cross-region distribution service",
	"DistributionLoadTestRoute":  "load-tests Facebook's cross-region distribution service",
	"AxonLogRoute":               "logs to Facebook's Axon service",
	"McRefill":                   "refills through Facebook's internal McRefill service",
}

// fbOnlyReason returns " (…)" explaining why typ is refused when it is a
// Facebook-only handle, "" otherwise; it follows mcrouter's "Unknown
// RouteHandle: <type>", which tooling greps for.
func fbOnlyReason(typ string) string {
	if why, ok := facebookOnly[typ]; ok {
		return " (Facebook-only in mcrouter: it " + why + ", so mcroute does not build it)"
	}
	return ""
}
