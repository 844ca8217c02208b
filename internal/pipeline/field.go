package pipeline

import (
	"strconv"
	"strings"
)

// Value returns the value at a field path such as
// spec.template.spec.containers[0].image in an object decoded from JSON or
// a protobuf Struct, and whether it is there.
func Value(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for seg := range strings.SplitSeq(path, ".") {
		if seg == "" {
			return nil, false
		}
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[name]; !ok {
				return nil, false
			}
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, false
			}
			i, err := strconv.Atoi(idx)
			l, isList := cur.([]any)
			if err != nil || !isList || i < 0 || i >= len(l) {
				return nil, false
			}
			cur = l[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return cur, true
}

// String returns the string at a field path, or "".
func String(obj map[string]any, path string) string {
	v, _ := Value(obj, path)
	s, _ := v.(string)
	return s
}

// Int returns the whole number at a field path (JSON numbers decode as
// float64, apimachinery's decoders give int64), and whether there is one.
func Int(obj map[string]any, path string) (int64, bool) {
	v, _ := Value(obj, path)
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}

// Bool returns the boolean at a field path, or false.
func Bool(obj map[string]any, path string) bool {
	v, _ := Value(obj, path)
	b, _ := v.(bool)
	return b
}

// Strings returns the list of strings at a field path, and whether there
// is one (a list holding anything but strings is not).
func Strings(obj map[string]any, path string) ([]string, bool) {
	v, _ := Value(obj, path)
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}
