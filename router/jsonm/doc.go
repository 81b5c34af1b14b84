// Package jsonm turns mcrouter config text into a preprocessed JSON value
// tree.
//
// It owns two steps of config loading: [Parse] reads JSONC (JSON with
// comments and trailing commas, as mcrouter reads it) into a [Value] tree
// in which every value remembers its file and line, and [Preprocess]
// expands mcrouter's JSONM macro language (macros, constants, vars,
// %param% substitution, @import and the built-in macros) into a plain
// value tree that still carries those positions, so that later errors
// can name the line a route came from.
//
// It must not build routes, know route handle types or pools, read
// files or touch the network: the only I/O is through the file loader
// injected into Preprocess. It runs once per (re)configuration, off the
// request path, so it favours clear errors over speed.
package jsonm
