package jsonm

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxParseDepth bounds array/object nesting, as encoding/json does.
const maxParseDepth = 10000

// SyntaxError is a JSONC syntax error at a position in a file.
type SyntaxError struct {
	File string
	Line int // 1-based
	Col  int // 1-based, in characters (runes) from the start of the line
	Msg  string
}

func (e *SyntaxError) Error() string {
	return e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg
}

// Parse parses data, the text of file, as JSONC the way mcrouter reads
// its config: standard JSON (RFC 8259) plus
//
//   - // line comments and /* block comments */ outside strings, which
//     count as whitespace;
//   - a trailing comma after the last element of an array or member of an
//     object.
//
// Object keys must be strings; a repeated key keeps the first key's
// position and the last value. Integers are KindInt when they fit in an
// int64 and KindFloat otherwise (folly would reject them); numbers with a
// fraction or an exponent are KindFloat. Invalid UTF-8 and unpaired
// surrogate escapes in strings become U+FFFD, as in encoding/json. Every
// value records file and the line it starts on.
//
// The error, a *SyntaxError, names file, line and column.
func Parse(file string, data []byte) (*Value, error) {
	p := parser{file: file, data: data, line: 1}
	v, err := p.parseTop()
	if err != nil {
		return nil, err
	}
	return v, nil
}

type parser struct {
	file      string
	data      []byte
	pos       int
	line      int // line of pos
	lineStart int // offset of the first byte of line
	depth     int
	buf       []byte // scratch for unescaping strings
}

func (p *parser) errAt(pos int, msg string) error {
	// Recompute line and column from the start: errors are rare and pos
	// may lie before p.pos.
	line, start := 1, 0
	for i := 0; i < pos && i < len(p.data); i++ {
		if p.data[i] == '\n' {
			line++
			start = i + 1
		}
	}
	end := min(pos, len(p.data))
	col := utf8.RuneCount(p.data[start:end]) + 1
	return &SyntaxError{File: p.file, Line: line, Col: col, Msg: msg}
}

func (p *parser) err(msg string) error { return p.errAt(p.pos, msg) }

// describe names the byte at pos for an error message.
func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	c := p.data[p.pos]
	if c < 0x20 || c >= 0x7f {
		return "byte 0x" + strconv.FormatUint(uint64(c), 16)
	}
	return strconv.QuoteRune(rune(c))
}

// skipSpace skips whitespace and comments.
func (p *parser) skipSpace() error {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\r':
			p.pos++
		case '\n':
			p.pos++
			p.line++
			p.lineStart = p.pos
		case '/':
			if p.pos+1 >= len(p.data) {
				return p.err("unexpected '/' (a comment starts with // or /*)")
			}
			switch p.data[p.pos+1] {
			case '/':
				p.pos += 2
				for p.pos < len(p.data) && p.data[p.pos] != '\n' {
					p.pos++
				}
			case '*':
				start := p.pos
				p.pos += 2
				for {
					if p.pos+1 >= len(p.data) {
						return p.errAt(start, "unterminated /* comment")
					}
					if p.data[p.pos] == '*' && p.data[p.pos+1] == '/' {
						p.pos += 2
						break
					}
					if p.data[p.pos] == '\n' {
						p.line++
						p.lineStart = p.pos + 1
					}
					p.pos++
				}
			default:
				return p.err("unexpected '/' (a comment starts with // or /*)")
			}
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) parseTop() (*Value, error) {
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos >= len(p.data) {
		return nil, p.err("empty input, expected a JSON value")
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.data) {
		return nil, p.err("unexpected " + p.describe() + " after the top-level value")
	}
	return v, nil
}

// parseValue parses the value at p.pos; whitespace has been skipped.
func (p *parser) parseValue() (*Value, error) {
	if p.pos >= len(p.data) {
		return nil, p.err("unexpected end of input, expected a value")
	}
	line := p.line
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.parseObject()
	case c == '[':
		return p.parseArray()
	case c == '"':
		s, err := p.parseString()
		if err != nil {
			return nil, err
		}
		return &Value{kind: KindString, s: s, File: p.file, Line: line}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	case c == 't':
		return p.literal("true", &Value{kind: KindBool, b: true, File: p.file, Line: line})
	case c == 'f':
		return p.literal("false", &Value{kind: KindBool, File: p.file, Line: line})
	case c == 'n':
		return p.literal("null", &Value{kind: KindNull, File: p.file, Line: line})
	}
	return nil, p.err("unexpected " + p.describe() + ", expected a value")
}

func (p *parser) literal(word string, v *Value) (*Value, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return nil, p.err("invalid literal, expected " + word)
	}
	p.pos += len(word)
	return v, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.err("nesting deeper than " + strconv.Itoa(maxParseDepth) + " levels")
	}
	return nil
}

func (p *parser) parseArray() (*Value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	v := &Value{kind: KindArray, Elems: []*Value{}, File: p.file, Line: p.line}
	p.pos++ // '['
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		e, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		v.Elems = append(v.Elems, e)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) {
			return nil, p.err("unexpected end of input, expected ',' or ']' after array element")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			if err := p.skipSpace(); err != nil {
				return nil, err
			}
			if p.pos < len(p.data) && p.data[p.pos] == ']' {
				p.pos++
				p.depth--
				return v, nil
			}
		case ']':
			p.pos++
			p.depth--
			return v, nil
		default:
			return nil, p.err("expected ',' or ']' after array element, found " + p.describe())
		}
	}
}

func (p *parser) parseObject() (*Value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	v := &Value{kind: KindObject, Members: []Member{}, File: p.file, Line: p.line}
	p.pos++ // '{'
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		if p.pos >= len(p.data) {
			return nil, p.err("unexpected end of input, expected a string object key or '}'")
		}
		if p.data[p.pos] != '"' {
			return nil, p.err("object key must be a string, found " + p.describe())
		}
		key, err := p.parseString()
		if err != nil {
			return nil, err
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.err("expected ':' after object key, found " + p.describe())
		}
		p.pos++
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		val, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if i := v.find(key); i >= 0 {
			v.Members[i].Val = val
		} else {
			v.Members = append(v.Members, Member{Key: key, Val: val})
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) {
			return nil, p.err("unexpected end of input, expected ',' or '}' after object member")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			if err := p.skipSpace(); err != nil {
				return nil, err
			}
			if p.pos < len(p.data) && p.data[p.pos] == '}' {
				p.pos++
				p.depth--
				return v, nil
			}
		case '}':
			p.pos++
			p.depth--
			return v, nil
		default:
			return nil, p.err("expected ',' or '}' after object member, found " + p.describe())
		}
	}
}

// parseString parses the string at p.pos (which is '"') and returns its
// unescaped contents.
func (p *parser) parseString() (string, error) {
	start := p.pos
	p.pos++
	// Fast path: no escapes, no control characters, valid ASCII/UTF-8.
	i := p.pos
	for i < len(p.data) {
		c := p.data[i]
		if c == '"' {
			s := string(p.data[p.pos:i])
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(p.data[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
			continue
		}
		i++
	}
	buf := append(p.buf[:0], p.data[p.pos:i]...)
	p.pos = i
	for {
		if p.pos >= len(p.data) {
			return "", p.errAt(start, "unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.buf = buf
			return string(buf), nil
		case c < 0x20:
			if c == '\n' {
				return "", p.errAt(start, "unterminated string (newline in string)")
			}
			return "", p.err("control character 0x" + strconv.FormatUint(uint64(c), 16) + " in string (must be escaped)")
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				return "", p.errAt(start, "unterminated string")
			}
			e := p.data[p.pos+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4(p.pos + 2)
				if !ok {
					return "", p.err(`invalid \u escape, expected 4 hex digits`)
				}
				p.pos += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						r2, ok2 = p.hex4(p.pos + 2)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						p.pos += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return "", p.err("invalid escape " + strconv.Quote(`\`+string(rune(e))) + " in string")
			}
			p.pos += 2
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, "\ufffd"...)
			} else {
				buf = append(buf, p.data[p.pos:p.pos+size]...)
			}
			p.pos += size
		default:
			buf = append(buf, c)
			p.pos++
		}
	}
}

func (p *parser) hex4(at int) (rune, bool) {
	if at+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// parseNumber parses -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) parseNumber() (*Value, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i >= len(d) || d[i] < '0' || d[i] > '9' {
		p.pos = i
		return nil, p.err("invalid number: expected a digit after '-'")
	}
	if d[i] == '0' {
		i++
		if i < len(d) && d[i] >= '0' && d[i] <= '9' {
			p.pos = i
			return nil, p.errAt(start, "invalid number: leading zero")
		}
	} else {
		digits()
	}
	isFloat := false
	if i < len(d) && d[i] == '.' {
		i++
		isFloat = true
		if digits() == 0 {
			p.pos = i
			return nil, p.err("invalid number: expected a digit after '.'")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		isFloat = true
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return nil, p.err("invalid number: expected a digit in the exponent")
		}
	}
	text := string(d[start:i])
	p.pos = i
	v := &Value{File: p.file, Line: p.line}
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			v.kind, v.i = KindInt, n
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.errAt(start, "number "+text+" is out of range")
	}
	v.kind, v.f = KindFloat, f
	return v, nil
}
