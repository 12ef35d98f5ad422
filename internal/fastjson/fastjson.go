// Package fastjson decodes and encodes JSON the way encoding/json does, for the values whose
// coding is plain, without encoding/json's per-type caches of decoders and encoders.
//
// A runo process decodes one config.json, writes a state and exits. encoding/json builds, for
// every struct type it meets, a cache of its fields (names folded for case-insensitive
// matching, sorted, dominance resolved) and a decoder or encoder: for the runtime-spec types,
// 0.8 ms of a fresh process's CPU to decode a 2.5 KB config. Here JSON keys are matched to
// struct fields by their exact names, with a lookup built once per type from the json tags,
// and fields are read and set through reflect.
//
// Decode and Encode decide nothing that encoding/json would decide differently: they report
// false for every value whose coding takes more than that (see each), and the caller then
// uses encoding/json, which gives the same value, the same bytes or the same error. Unmarshal,
// Marshal and MarshalIndent do both steps.
//
// Decode declines a key that matches a field only case-insensitively, a duplicate key, a value
// of another type than its field's, a number out of its field's range, invalid base64, an
// escape it does not know, invalid UTF-8 or JSON, an interface or array field, a tagged or
// pointer embedding, a ",string" field, a type with UnmarshalText, an UnmarshalJSON that
// fails. A type's UnmarshalJSON is called as encoding/json calls it.
package fastjson

import (
	"encoding/base64"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode decodes data into v, a non-nil pointer to a zero value, and reports whether it did.
// After false, v holds a partial decoding: the caller decodes again into a fresh value.
func Decode(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	d := decoder{data: data}
	d.space()
	if !d.value(rv.Elem()) {
		return false
	}
	d.space()
	return d.pos == len(d.data)
}

type decoder struct {
	data  []byte
	pos   int
	depth int // objects and arrays open at pos
}

// maxDepth is the nesting beyond which Decode declines: encoding/json refuses a document
// nested deeper than its own limit (10000), which Decode need not know.
const maxDepth = 1000

// open enters an object or array at d.pos.
func (d *decoder) open() bool {
	d.pos++
	d.depth++
	d.space()
	return d.depth <= maxDepth
}

// The methods by which a type decodes itself in encoding/json.
var (
	jsonUnmarshaler = reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// unmarshaler gives the value at d.pos, null included, to v's UnmarshalJSON, as encoding/json
// does; UnmarshalText, which encoding/json calls for strings only, is left to it.
func (d *decoder) unmarshaler(v reflect.Value) bool {
	if !v.CanAddr() || !reflect.PointerTo(v.Type()).Implements(jsonUnmarshaler) {
		return false
	}
	start := d.pos
	if !d.skip() {
		return false
	}
	u := v.Addr().Interface().(interface{ UnmarshalJSON([]byte) error })
	return u.UnmarshalJSON(d.data[start:d.pos]) == nil
}

// Caches of what Decode and Encode learn of a type, for the life of the process (as
// encoding/json keeps its own): pure functions of the type, so shared by every document. A
// list of 100 containers decodes 100 state files of one type.
var (
	structCache sync.Map // reflect.Type -> *structInfo, nil when left to encoding/json
	customCache sync.Map // reflect.Type -> bool, see decodesItself
)

// decodesItself reports whether encoding/json would leave values of t to their own method.
func decodesItself(t reflect.Type) bool {
	if c, ok := customCache.Load(t); ok {
		return c.(bool)
	}
	p := reflect.PointerTo(t)
	c := p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler)
	customCache.Store(t, c)
	return c
}

// structInfo is what Decode knows of a struct type: its fields by JSON name.
type structInfo struct {
	index     map[string]int // JSON name -> its number, in names and paths
	names     []string       // JSON names, in encoding/json's order
	paths     [][]int        // field index paths (through embedded structs)
	omitempty []bool
	omitzero  bool // some field has omitzero, which only encoding/json applies
}

// fieldsOf returns t's fields, or nil when Decode leaves t to encoding/json.
func fieldsOf(t reflect.Type) *structInfo {
	if s, ok := structCache.Load(t); ok {
		return s.(*structInfo)
	}
	s := &structInfo{index: make(map[string]int, t.NumField())}
	if !s.add(t, nil) {
		s = nil
	}
	structCache.Store(t, s)
	return s
}

// add adds the fields of t, reached through the index path at, and reports whether their
// decoding is plain: an embedded struct without a tag has its fields promoted, and a name that
// two fields share (which encoding/json resolves by depth and tags) is not plain.
func (s *structInfo) add(t reflect.Type, at []int) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		path := append(append([]int{}, at...), i)
		if f.Anonymous {
			if tag != "" || f.Type.Kind() != reflect.Struct {
				return false
			}
			if !s.add(f.Type, path) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if strings.Contains(","+opts+",", ",string,") {
			return false
		}
		s.omitzero = s.omitzero || strings.Contains(","+opts+",", ",omitzero,")
		if name == "" {
			name = f.Name
		} else if !plainName(name) {
			return false // encoding/json's rules for odd tag names
		}
		if _, dup := s.index[name]; dup {
			return false
		}
		s.index[name] = len(s.names)
		s.names = append(s.names, name)
		s.paths = append(s.paths, path)
		s.omitempty = append(s.omitempty, strings.Contains(","+opts+",", ",omitempty,"))
	}
	return true
}

// plainName reports whether a tag's name has only letters, digits, '_', '-' and '.'.
func plainName(name string) bool {
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes the value at d.pos into v.
func (d *decoder) value(v reflect.Value) bool {
	if d.pos >= len(d.data) {
		return false
	}
	if decodesItself(v.Type()) {
		return d.unmarshaler(v)
	}
	c := d.data[d.pos]
	if c == 'n' {
		if !d.literal("null") {
			return false
		}
		// encoding/json: null makes a pointer, slice or map nil and leaves anything else.
		switch v.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			v.SetZero()
		}
		return true
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.value(v.Elem())
	}
	switch c {
	case '{':
		switch v.Kind() {
		case reflect.Struct:
			return d.object(v)
		case reflect.Map:
			return d.mapObject(v)
		}
		return false
	case '[':
		if v.Kind() != reflect.Slice || v.Type().Elem().Kind() == reflect.Uint8 {
			return false // arrays; []byte is base64 to encoding/json
		}
		return d.array(v)
	case '"':
		switch {
		case v.Kind() == reflect.String:
			s, ok := d.str()
			if ok {
				v.SetString(s)
			}
			return ok
		case v.Type() == reflect.TypeFor[[]byte]():
			s, ok := d.str()
			if !ok {
				return false
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return false
			}
			v.SetBytes(b)
			return true
		}
		return false
	case 't', 'f':
		if v.Kind() != reflect.Bool {
			return false
		}
		if c == 't' {
			v.SetBool(true)
			return d.literal("true")
		}
		return d.literal("false")
	}
	if c == '-' || '0' <= c && c <= '9' {
		return d.number(v)
	}
	return false
}

func (d *decoder) literal(lit string) bool {
	end := d.pos + len(lit)
	if end > len(d.data) || string(d.data[d.pos:end]) != lit {
		return false
	}
	d.pos = end
	return true
}

// object decodes a JSON object into the struct v.
func (d *decoder) object(v reflect.Value) bool {
	s := fieldsOf(v.Type())
	if s == nil {
		return false
	}
	var seen []bool
	return d.members(func(key string) bool {
		n, ok := s.index[key]
		if !ok {
			for _, name := range s.names {
				if strings.EqualFold(name, key) {
					return false // encoding/json would set that field
				}
			}
			return d.skip()
		}
		if seen == nil {
			seen = make([]bool, len(s.names))
		}
		if seen[n] {
			return false // a duplicate: encoding/json decodes it into the first
		}
		seen[n] = true
		return d.value(v.FieldByIndex(s.paths[n]))
	})
}

// mapObject decodes a JSON object into the map v, whose keys are strings.
func (d *decoder) mapObject(v reflect.Value) bool {
	t := v.Type()
	if t.Key().Kind() != reflect.String || decodesItself(t.Key()) {
		return false
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	return d.members(func(key string) bool {
		elem := reflect.New(t.Elem()).Elem()
		if !d.value(elem) {
			return false
		}
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
		return true
	})
}

// array decodes a JSON array into the slice v: empty, not nil, for [] as encoding/json has it.
func (d *decoder) array(v reflect.Value) bool {
	s := reflect.MakeSlice(v.Type(), 0, 0)
	elem := reflect.New(v.Type().Elem()).Elem()
	ok := d.elements(func() bool {
		elem.SetZero()
		if !d.value(elem) {
			return false
		}
		s = reflect.Append(s, elem)
		return true
	})
	if ok {
		v.Set(s)
	}
	return ok
}

// members walks the object at d.pos, calling member with each key to take its value.
func (d *decoder) members(member func(key string) bool) bool {
	if !d.open() {
		return false
	}
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		return d.close()
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return false
		}
		key, ok := d.str()
		if !ok || !d.colon() || !member(key) || !d.next('}') {
			return false
		}
		if d.data[d.pos-1] == '}' {
			d.depth--
			return true
		}
	}
}

// elements walks the array at d.pos, calling element to take each value.
func (d *decoder) elements(element func() bool) bool {
	if !d.open() {
		return false
	}
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		return d.close()
	}
	for {
		if !element() || !d.next(']') {
			return false
		}
		if d.data[d.pos-1] == ']' {
			d.depth--
			return true
		}
	}
}

// close leaves an empty object or array at its closing byte.
func (d *decoder) close() bool {
	d.pos++
	d.depth--
	return true
}

// colon consumes the ':' after a key, with the space around it.
func (d *decoder) colon() bool {
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return false
	}
	d.pos++
	d.space()
	return true
}

// next consumes the ',' before the next member or element, or the closing byte, with the
// space around them.
func (d *decoder) next(closing byte) bool {
	d.space()
	if d.pos >= len(d.data) {
		return false
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		d.space()
		return true
	case closing:
		d.pos++
		return true
	}
	return false
}

// number decodes a JSON number into the integer or float v, as encoding/json does: an integer
// field takes only an integer in its range.
func (d *decoder) number(v reflect.Value) bool {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == digits || d.data[digits] == '0' && d.pos-digits > 1 {
		return false // no digits, or a leading zero
	}
	integer := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		integer = false
		d.pos++
		if !d.digits() {
			return false
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		integer = false
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !d.digits() {
			return false
		}
	}
	lit := string(d.data[start:d.pos])
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(lit, 10, 64)
		if !integer || err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(lit, 10, 64)
		if !integer || err != nil || v.OverflowUint(n) {
			return false
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(lit, v.Type().Bits())
		if err != nil || v.OverflowFloat(f) {
			return false
		}
		v.SetFloat(f)
	default:
		return false
	}
	return true
}

func (d *decoder) digits() bool {
	start := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos > start
}

// str decodes the JSON string at d.pos. Invalid UTF-8, which encoding/json replaces, and
// unpaired surrogates are left to encoding/json.
func (d *decoder) str() (string, bool) {
	d.pos++ // "
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			raw := d.data[start:d.pos]
			d.pos++
			if !utf8.Valid(raw) {
				return "", false
			}
			return string(raw), true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		}
		d.pos++
	}
	return "", false
}

// escaped decodes the rest of a string that has escapes, from its start.
func (d *decoder) escaped(start int) (string, bool) {
	var b strings.Builder
	b.Write(d.data[start:d.pos])
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.data) {
			return "", false
		}
		e := d.data[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if d.pos+1 >= len(d.data) || d.data[d.pos] != '\\' || d.data[d.pos+1] != 'u' {
					return "", false
				}
				d.pos += 2
				r2, ok := d.hex4()
				if !ok {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", false
				}
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(n), true
}

// skip passes over the value at d.pos, a member no field takes, checking its syntax.
func (d *decoder) skip() bool {
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{':
		return d.members(func(string) bool { return d.skip() })
	case c == '[':
		return d.elements(d.skip)
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		var f float64
		return d.number(reflect.ValueOf(&f).Elem())
	}
	return false
}
