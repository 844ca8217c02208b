package pipeline

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
)

// JSON writes a protobuf Struct as JSON the way encoding/json writes the
// map[string]any it stands for (structpb's AsMap): members sorted by
// name, numbers in encoding/json's float64 form (1000000, not 1e+06, so
// they decode into integer fields), no HTML escaping. It reads the Struct
// in one pass, without the intermediate map or reflection, for decoding
// into typed Go values. A nil Struct is null.
func JSON(s *structpb.Struct) []byte {
	if s == nil {
		return []byte("null")
	}
	w := jsonWriter{}
	w.object(s.GetFields())
	return w.b
}

type jsonWriter struct {
	b []byte
	// keys is reused for every object's sorted member names; an object
	// takes its names off the end and gives them back when written.
	keys []string
}

func (w *jsonWriter) object(fields map[string]*structpb.Value) {
	start := len(w.keys)
	for k := range fields {
		w.keys = append(w.keys, k)
	}
	keys := w.keys[start:]
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		w.value(fields[k])
	}
	w.b = append(w.b, '}')
	w.keys = w.keys[:start]
}

func (w *jsonWriter) value(v *structpb.Value) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		w.b = strconv.AppendBool(w.b, k.BoolValue)
	case *structpb.Value_NumberValue:
		w.number(k.NumberValue)
	case *structpb.Value_StringValue:
		w.str(k.StringValue)
	case *structpb.Value_StructValue:
		w.object(k.StructValue.GetFields())
	case *structpb.Value_ListValue:
		w.b = append(w.b, '[')
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.value(e)
		}
		w.b = append(w.b, ']')
	default:
		// A null Value, or one without a kind, is nil to AsMap.
		w.b = append(w.b, "null"...)
	}
}

// number writes f as encoding/json writes a float64: plain digits between
// 1e-6 and 1e21, the shortest exponent form outside, with a one-digit
// exponent written as such (1e-7, not 1e-07). NaN and the infinities,
// which JSON cannot carry, are the strings AsMap makes of them.
func (w *jsonWriter) number(f float64) {
	switch {
	case math.IsNaN(f):
		w.str("NaN")
		return
	case math.IsInf(f, 1):
		w.str("Infinity")
		return
	case math.IsInf(f, -1):
		w.str("-Infinity")
		return
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	start := len(w.b)
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		// strconv writes e-07; JSON's shortest form is e-7.
		if n := len(w.b); n-start >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string as encoding/json does: quotes,
// backslashes, control characters and U+2028/U+2029 escaped, each invalid
// UTF-8 byte as \ufffd (protobuf strings are valid UTF-8; a Struct built
// in Go need not be).
func (w *jsonWriter) str(s string) {
	w.b = append(w.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				w.b = append(w.b, s[start:i]...)
				w.b = append(w.b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				// Line and paragraph separators, escaped as encoding/json
				// does (JavaScript cannot hold them in a string literal).
				w.b = append(w.b, s[start:i]...)
				w.b = append(w.b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		w.b = append(w.b, s[start:i]...)
		switch c {
		case '"', '\\':
			w.b = append(w.b, '\\', c)
		case '\n':
			w.b = append(w.b, '\\', 'n')
		case '\r':
			w.b = append(w.b, '\\', 'r')
		case '\t':
			w.b = append(w.b, '\\', 't')
		case '\b':
			w.b = append(w.b, '\\', 'b')
		case '\f':
			w.b = append(w.b, '\\', 'f')
		default:
			w.b = append(w.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	w.b = append(w.b, s[start:]...)
	w.b = append(w.b, '"')
}
