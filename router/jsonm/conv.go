package jsonm

import (
	"math"
	"strconv"
	"strings"
)

// Conversions with folly::dynamic's asInt/asDouble/asString/asBool
// semantics (folly::to<> underneath). A non-empty message means the
// conversion failed.

func asInt(v *Value) (int64, string) {
	switch v.Kind() {
	case KindInt:
		return v.i, ""
	case KindBool:
		if v.b {
			return 1, ""
		}
		return 0, ""
	case KindFloat:
		f := v.f
		if math.IsNaN(f) || f < -9223372036854775808.0 || f >= 9223372036854775808.0 {
			return 0, "Overflow: " + formatDouble(f)
		}
		if f != math.Trunc(f) {
			return 0, "Loss of precision during arithmetic conversion: " + formatDouble(f)
		}
		return int64(f), ""
	case KindString:
		s := strings.TrimRight(strings.TrimLeft(v.s, " \t\n\v\f\r"), " \t\n\v\f\r")
		if s == "" {
			return 0, "Empty input string: \"" + v.s + "\""
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, "Overflow: \"" + v.s + "\""
			}
			return 0, "Invalid digit in: \"" + v.s + "\""
		}
		return i, ""
	}
	return 0, "TypeError: expected dynamic types `int/double/bool/string', but had type `" + v.Kind().String() + "'"
}

func asDouble(v *Value) (float64, string) {
	switch v.Kind() {
	case KindFloat:
		return v.f, ""
	case KindInt:
		return float64(v.i), ""
	case KindBool:
		if v.b {
			return 1, ""
		}
		return 0, ""
	case KindString:
		s := strings.TrimSpace(v.s)
		if s == "" || strings.ContainsAny(s, "_xXpP") {
			return 0, "Invalid input: \"" + v.s + "\""
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, "Invalid input: \"" + v.s + "\""
		}
		return f, ""
	}
	return 0, "TypeError: expected dynamic types `int/double/bool/string', but had type `" + v.Kind().String() + "'"
}

func asString(v *Value) (string, string) {
	switch v.Kind() {
	case KindString:
		return v.s, ""
	case KindInt:
		return strconv.FormatInt(v.i, 10), ""
	case KindFloat:
		return formatDouble(v.f), ""
	case KindBool:
		// folly::to<std::string>(bool) goes through the integer path.
		if v.b {
			return "1", ""
		}
		return "0", ""
	}
	return "", "TypeError: expected dynamic types `int/double/bool/string', but had type `" + v.Kind().String() + "'"
}

// asBool: numbers are true when non-zero; strings as folly's
// str_to_bool: 0/1 digit runs, y/yes/n/no/on/off/t/true/f/false in any
// case, surrounded by optional whitespace.
func asBool(v *Value) (bool, string) {
	switch v.Kind() {
	case KindBool:
		return v.b, ""
	case KindInt:
		return v.i != 0, ""
	case KindFloat:
		return v.f != 0, ""
	case KindString:
		s := strings.TrimSpace(v.s)
		if s != "" && strings.Trim(s, "01") == "" {
			i := strings.IndexByte(s, '1')
			if i >= 0 && i != len(s)-1 {
				return false, "Integer overflow when parsing bool (must be 0 or 1): \"" + v.s + "\""
			}
			return i >= 0, ""
		}
		switch strings.ToLower(s) {
		case "y", "yes", "on", "t", "true":
			return true, ""
		case "n", "no", "off", "f", "false":
			return false, ""
		}
		return false, "Invalid value for bool: \"" + v.s + "\""
	}
	return false, "TypeError: expected dynamic types `int/double/bool/string', but had type `" + v.Kind().String() + "'"
}

// formatDouble renders f as folly::to<std::string>(double): the shortest
// digits that read back, plain notation for decimal exponents in
// [-6, 21), otherwise d.dddE±x; no trailing ".0".
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e+06"
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if -6 <= exp && exp < 21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return mant + "E" + strconv.Itoa(exp)
}

// kindOrder is folly::dynamic's Type enum order, which operator< uses
// between different types: null < array < bool < double < int < object < string.
var kindOrder = [...]int{KindNull: 0, KindArray: 1, KindBool: 2, KindFloat: 3, KindInt: 4, KindObject: 5, KindString: 6}

// dynamicLess is folly::dynamic's operator<: objects cannot be compared,
// ints and doubles compare numerically, other mixed types by type order,
// arrays lexicographically.
func dynamicLess(a, b *Value) (bool, string) {
	ka, kb := a.Kind(), b.Kind()
	if ka == KindObject || kb == KindObject {
		return false, "Can not compare objects"
	}
	if ka != kb {
		if a.IsNumber() && b.IsNumber() {
			fa, _ := a.Float()
			fb, _ := b.Float()
			return fa < fb, ""
		}
		return kindOrder[ka] < kindOrder[kb], ""
	}
	switch ka {
	case KindBool:
		return !a.b && b.b, ""
	case KindInt:
		return a.i < b.i, ""
	case KindFloat:
		return a.f < b.f, ""
	case KindString:
		return a.s < b.s, ""
	case KindArray:
		for i := 0; i < len(a.Elems) && i < len(b.Elems); i++ {
			if l, msg := dynamicLess(a.Elems[i], b.Elems[i]); msg != "" || l {
				return l, msg
			}
			if l, msg := dynamicLess(b.Elems[i], a.Elems[i]); msg != "" || l {
				return false, msg
			}
		}
		return len(a.Elems) < len(b.Elems), ""
	}
	return false, ""
}
