// Package router turns an mcrouter JSON config into a compiled route tree
// and routes single-key requests through it.
//
// # Types
//
//	Config   the compiled, immutable result of one config text: the root
//	         Handle, the table of Servers the tree sends to, and metadata
//	         (file, md5). Built by Build off the event loops; published to
//	         the loops by Router with an atomic pointer swap.
//	Handle   one route handle (PoolRoute, HashRoute, ErrorRoute…): a small
//	         immutable value, one file per handle type, built from its JSON
//	         node by the constructor registered under mcrouter's type name.
//	Ctx      one event loop's view of a Config: the loop's upstream Conn for
//	         every Server index, so a leaf sends without a map lookup.
//
// # Flow of a request
//
//	engine ── cfg.Root.Route(ctx, req, cb)
//	  RootRoute: routing prefix of req.Key → the route for that prefix
//	  PoolRoute/HashRoute: routing key (prefix stripped, cut at "|#|")
//	                       [+ salt] → hash → child index
//	  destination: key sent = req.Key without the routing prefix (unless
//	               keep_routing_prefix) → ctx.conns[i].Send(req, key, cb)
//
// Every handle answers through cb exactly once, on the calling loop.
//
// # Handles that wait for several replies
//
// Fan-out (All*Route), failover (FailoverRoute, MissFailoverRoute) and
// delaying handles (LatencyInjectionRoute) keep per-request state in
// structs from the Ctx's free lists (state.go: acquire/release), keep
// replies with ReplyCopy (a child's reply is only valid during OnReply),
// and send children whose replies nobody waits for (AllAsync, the rest of
// AllInitial, /*/*/ broadcasts) a RequestCopy, since the engine recycles
// the client's request once the client has been answered.
//
// # Config building
//
// build.go turns the preprocessed JSON (router/jsonm: JSONC, JSONM
// macros, @import) into handles: strings, objects and lists as mcrouter's
// RouteHandleFactory reads them, named handles, pools; rootroute.go holds
// the routing-prefix table (exact, fallback, globs, /*/*/). Errors name the
// file and line of the JSON node. debug.go renders the __mcrouter__.* keys
// from a Config and Handle.Traverse.
//
// # Reloading
//
// reload.go's Reloader rebuilds the config when its files change (MD5
// signature, --reconfiguration-delay-ms) and swaps it into the Router,
// checking on fswatch.Loop's policy. On Linux an fswatch.Watcher watches the files' directories and the symbolic
// links on the way to them with inotify, so an idle process with unchanged
// files runs nothing; the poll is then only a backstop (Backstop).
// Elsewhere, or when inotify fails, it polls. runtimevars.go's
// RuntimeVars.Watch re-reads --runtime-vars-file on the same policy
// (fswatch.Loop).
//
// # What it must not do
//
// router never blocks and never touches client connections; it does not
// parse the wire protocol (codec) or manage sockets (upstream). Handles do
// no map lookups and no allocation per request: everything that can be
// decided from the config is decided in Build.
package router
