// Package jsonm turns mcrouter config text into a preprocessed JSON value
// tree.
//
// It owns two steps of config loading:
//
//   - [Parse] reads JSONC as mcrouter does (comments, trailing commas) into
//     a [Value] tree in which every value remembers its file and line, and
//     reports syntax errors as file:line:col.
//   - [Preprocess] expands mcrouter's JSONM macro language — "macros"
//     (macroDef, constDef), "vars", %param% substitution and escapes,
//     @name(args) and {"type": "name", ...} calls, @import and every
//     built-in macro of mcrouter's ConfigPreprocessor — into a plain value
//     tree. Values keep the position of the text that produced them, plus
//     the macro call or import they came through ([Value.Where]), so that
//     route-building errors can name a line.
//
// It must not build routes or know route handle types, pools or options,
// and must not read files, resolve names or touch the network: @import
// reads only through the [Loader] in [Options] ([FileLoader] and
// [ResolveImport] implement mcrouter's path rule over an injected read
// function), and @isLocalIp asks Options.LocalAddrs. It runs once per
// (re)configuration, off the request path, and favours clear errors over
// speed. A Preprocess call is not safe for concurrent use with the same
// Options.Imported map; distinct calls share nothing.
//
// Where mcroute knowingly differs from mcrouter:
//
//   - Parse turns integers that overflow int64 into doubles (folly rejects
//     them), so that everything encoding/json accepts is accepted; comments
//     count as whitespace.
//   - Object members keep file order (folly's are unordered), so @keys,
//     @values, foreach and transform iterate in file order.
//   - A constant or var that refers to itself is an error ("Too many
//     nested macros"), where mcrouter silently yields null.
//   - @range refuses more than 2^24 elements; shift counts outside 0..63
//     are errors (undefined behaviour in mcrouter).
//   - @shuffle with a seed reproduces libstdc++'s std::shuffle with
//     std::minstd_rand; without a seed the order is random, as in mcrouter.
package jsonm
