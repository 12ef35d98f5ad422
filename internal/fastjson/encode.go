package fastjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encode encodes v as json.Marshal does, byte for byte, without encoding/json's per-type
// caches, and reports false for every value whose encoding takes more than plain fields:
// floats, interfaces, arrays, maps whose keys are not strings, ",string" and "omitzero"
// fields, types with a MarshalText method but no MarshalJSON, a MarshalJSON that only a
// pointer has on a value that cannot be addressed, what Decode declines in struct types, and
// nesting beyond 1000 (a cycle, to encoding/json). The caller then uses json.Marshal.
func Encode(v any) ([]byte, bool) {
	var e encoder
	if !e.value(reflect.ValueOf(v)) {
		return nil, false
	}
	return e.out, true
}

type encoder struct {
	out   []byte
	depth int // values being encoded around the current one
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
)

func (e *encoder) value(v reflect.Value) bool {
	if !v.IsValid() {
		e.out = append(e.out, "null"...)
		return true
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		e.out = append(e.out, "null"...)
		return true
	}
	t := v.Type()
	switch {
	case t.Implements(jsonMarshaler):
		return e.marshaler(v)
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonMarshaler):
		if !v.CanAddr() {
			return false
		}
		return e.marshaler(v.Addr())
	case t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler):
		return false
	}
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		return e.value(v.Elem())
	case reflect.Struct:
		return e.object(v)
	case reflect.Map:
		return e.mapObject(v)
	case reflect.Slice:
		if v.IsNil() {
			e.out = append(e.out, "null"...)
			return true
		}
		if t.Elem().Kind() == reflect.Uint8 {
			if t.Elem() != reflect.TypeFor[byte]() {
				return false // a named byte type: encoding/json looks for its methods
			}
			e.out = append(e.out, '"')
			e.out = base64.StdEncoding.AppendEncode(e.out, v.Bytes())
			e.out = append(e.out, '"')
			return true
		}
		e.out = append(e.out, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.out = append(e.out, ',')
			}
			if !e.value(v.Index(i)) {
				return false
			}
		}
		e.out = append(e.out, ']')
		return true
	case reflect.String:
		e.out = appendString(e.out, v.String())
		return true
	case reflect.Bool:
		e.out = strconv.AppendBool(e.out, v.Bool())
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.out = strconv.AppendInt(e.out, v.Int(), 10)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.out = strconv.AppendUint(e.out, v.Uint(), 10)
		return true
	}
	return false
}

// marshaler appends what v's MarshalJSON returns, compacted and with <, > and & escaped, as
// encoding/json does; invalid JSON from the method is encoding/json's error to give.
func (e *encoder) marshaler(v reflect.Value) bool {
	b, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return false
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b) != nil {
		return false
	}
	var escaped bytes.Buffer
	json.HTMLEscape(&escaped, compact.Bytes())
	e.out = append(e.out, escaped.Bytes()...)
	return true
}

func (e *encoder) object(v reflect.Value) bool {
	s := fieldsOf(v.Type())
	if s == nil || s.omitzero {
		return false
	}
	e.out = append(e.out, '{')
	first := true
	for n, name := range s.names {
		f := v.FieldByIndex(s.paths[n]) // no pointers on the way: info declines them
		if s.omitempty[n] && isEmpty(f) {
			continue
		}
		if !first {
			e.out = append(e.out, ',')
		}
		first = false
		e.out = appendString(e.out, name)
		e.out = append(e.out, ':')
		if !e.value(f) {
			return false
		}
	}
	e.out = append(e.out, '}')
	return true
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func (e *encoder) mapObject(v reflect.Value) bool {
	t := v.Type()
	if t.Key().Kind() != reflect.String || decodesItself(t.Key()) ||
		t.Key().Implements(textMarshaler) || reflect.PointerTo(t.Key()).Implements(textMarshaler) {
		return false
	}
	if v.IsNil() {
		e.out = append(e.out, "null"...)
		return true
	}
	keys := make([]string, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		keys = append(keys, it.Key().String())
	}
	slices.Sort(keys)
	e.out = append(e.out, '{')
	for i, k := range keys {
		if i > 0 {
			e.out = append(e.out, ',')
		}
		e.out = appendString(e.out, k)
		e.out = append(e.out, ':')
		if !e.value(v.MapIndex(reflect.ValueOf(k).Convert(t.Key()))) {
			return false
		}
	}
	e.out = append(e.out, '}')
	return true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json writes one: ", \ and control
// characters escaped (\b \f \n \r \t by name), <, > and & as \u00XX, invalid UTF-8 as \ufffd,
// and U+2028 and U+2029 escaped.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
