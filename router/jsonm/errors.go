package jsonm

import (
	"strconv"
	"strings"
)

// Error is a preprocessing error: what is wrong, where, and the chain of
// macro calls, imports and JSON paths that led there.
type Error struct {
	// Pos is "file:line" of the value being expanded when it went wrong.
	Pos string
	// Msg says what is wrong, in mcrouter's words where it has them.
	Msg string
	// Trace lists the enclosing frames, innermost first.
	Trace []Frame
}

// Frame is one step of an [Error]'s trace.
type Frame struct {
	Pos  string // "file:line"
	What string // e.g. `macro call "@route(a)"`, `routes[2]`, `import "pools.json"`
	path bool   // What is a JSON path that outer properties extend
}

// maxTraceFrames bounds the frames Error prints (a macro cycle nests 250
// deep); the innermost and outermost ones are kept.
const maxTraceFrames = 16

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	frames := e.Trace
	skipped := 0
	if len(frames) > maxTraceFrames {
		skipped = len(frames) - maxTraceFrames
	}
	for i, f := range frames {
		if skipped > 0 && i == maxTraceFrames/2 {
			b.WriteString("\n\t... ")
			b.WriteString(strconv.Itoa(skipped))
			b.WriteString(" more ...")
		}
		if skipped > 0 && i >= maxTraceFrames/2 && i < maxTraceFrames/2+skipped {
			continue
		}
		b.WriteString("\n\tin ")
		b.WriteString(f.What)
		if f.Pos != "" {
			b.WriteString(" at ")
			b.WriteString(f.Pos)
		}
	}
	return b.String()
}

// errAt returns a new *Error positioned at v.
func errAt(v *Value, msg string) *Error {
	return &Error{Pos: v.Pos(), Msg: msg}
}

// wrap adds a frame to err (which must be an *Error or a *SyntaxError,
// the only errors the expander produces) and returns it.
func wrap(err error, at *Value, what string) error {
	e := asError(err)
	e.Trace = append(e.Trace, Frame{Pos: at.Pos(), What: what})
	return e
}

// wrapPath records that err happened inside child, the JSON path element
// elem ("key" or "[i]") of its container: consecutive path elements are
// merged into one frame such as `routes[2].route`, positioned at the
// innermost child.
func wrapPath(err error, child *Value, elem string) error {
	e := asError(err)
	if n := len(e.Trace); n > 0 && e.Trace[n-1].path {
		f := &e.Trace[n-1]
		if strings.HasPrefix(f.What, "[") {
			f.What = elem + f.What
		} else {
			f.What = elem + "." + f.What
		}
		return e
	}
	e.Trace = append(e.Trace, Frame{Pos: child.Pos(), What: elem, path: true})
	return e
}

func asError(err error) *Error {
	switch e := err.(type) {
	case *Error:
		return e
	case *SyntaxError:
		return &Error{Pos: e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col), Msg: e.Msg}
	}
	return &Error{Msg: err.Error()}
}

// pathKey renders an object key as a path element: bare when it is a
// plain identifier-like word, quoted otherwise.
func pathKey(k string) string {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c == '-' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
