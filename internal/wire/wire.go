// Package wire is a compact binary encoding for what one runo process hands another: values
// written and read field by field by code that knows their types, without reflection. A Go
// program's first encoding/json decode of a type builds caches for every type it reaches
// (0.3 ms for the part of a runtime spec that init reads), which init would pay at every start.
//
// The encoding has no field names and no versions: both ends are the same runo binary.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Writer appends values to a buffer. Its methods and Reader's are kept out of line
// (go:noinline): inlined at each of the hundreds of places an encoder calls them, they made
// runo's binary 60 KB larger.
type Writer struct {
	buf []byte
}

// Bytes returns what was written.
func (w *Writer) Bytes() []byte { return w.buf }

// Bool writes a bool.
//
//go:noinline
func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// Uint writes an unsigned integer, as a varint.
//
//go:noinline
func (w *Writer) Uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

// Int writes a signed integer, as a zig-zag varint.
//
//go:noinline
func (w *Writer) Int(v int64) { w.buf = binary.AppendVarint(w.buf, v) }

// String writes a string: its length, then its bytes.
//
//go:noinline
func (w *Writer) String(s string) {
	w.Uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// Blob writes a byte slice, keeping nil apart from empty.
//
//go:noinline
func (w *Writer) Blob(b []byte) {
	if !w.Present(b != nil) {
		return
	}
	w.Uint(uint64(len(b)))
	w.buf = append(w.buf, b...)
}

// Present writes whether an optional value (a pointer, a slice or map that may be nil)
// follows; the caller writes the value only if it does.
//
//go:noinline
func (w *Writer) Present(ok bool) bool {
	w.Bool(ok)
	return ok
}

// Strings writes a list of strings, keeping nil apart from empty. T is a string type.
func Strings[T ~string](w *Writer, list []T) {
	if !w.Present(list != nil) {
		return
	}
	w.Uint(uint64(len(list)))
	for _, s := range list {
		w.String(string(s))
	}
}

// StringMap writes a map of strings in key order, keeping nil apart from empty.
func StringMap(w *Writer, m map[string]string) {
	Map(w, m, func(w *Writer, v string) { w.String(v) })
}

// Map writes a map with string keys in key order, each value by put, keeping nil apart from
// empty.
func Map[V any](w *Writer, m map[string]V, put func(*Writer, V)) {
	if !w.Present(m != nil) {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.Uint(uint64(len(keys)))
	for _, k := range keys {
		w.String(k)
		put(w, m[k])
	}
}

// List writes a list, each element by put, keeping nil apart from empty.
func List[V any](w *Writer, list []V, put func(*Writer, *V)) {
	if !w.Present(list != nil) {
		return
	}
	w.Uint(uint64(len(list)))
	for i := range list {
		put(w, &list[i])
	}
}

// ErrCorrupt is what a Reader reports for input that a Writer did not write.
var ErrCorrupt = errors.New("wire: corrupt input")

// Reader reads values in the order a Writer wrote them. The first error sticks: later reads
// return zero values, and Err reports it.
type Reader struct {
	buf []byte
	err error
}

// NewReader reads from b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first error, or ErrCorrupt if input is left over.
func (r *Reader) Err() error {
	if r.err == nil && len(r.buf) > 0 {
		return fmt.Errorf("%w: %d bytes left over", ErrCorrupt, len(r.buf))
	}
	return r.err
}

func (r *Reader) fail() {
	if r.err == nil {
		r.err = ErrCorrupt
	}
	r.buf = nil
}

// Bool reads a bool.
//
//go:noinline
func (r *Reader) Bool() bool {
	if len(r.buf) == 0 || r.buf[0] > 1 {
		r.fail()
		return false
	}
	v := r.buf[0] == 1
	r.buf = r.buf[1:]
	return v
}

// Uint reads an unsigned integer.
//
//go:noinline
func (r *Reader) Uint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Int reads a signed integer.
//
//go:noinline
func (r *Reader) Int() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Uint32 reads a value written with Uint that must fit in 32 bits.
//
//go:noinline
func (r *Reader) Uint32() uint32 {
	v := r.Uint()
	if v > math.MaxUint32 {
		r.fail()
		return 0
	}
	return uint32(v)
}

// count reads a length and checks that at least that many bytes remain, each element taking
// one at least: a corrupt length cannot make a reader allocate more than its input.
func (r *Reader) count() int {
	n := r.Uint()
	if n > uint64(len(r.buf)) {
		r.fail()
		return 0
	}
	return int(n)
}

// String reads a string.
//
//go:noinline
func (r *Reader) String() string {
	n := r.count()
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}

// Blob reads a byte slice.
//
//go:noinline
func (r *Reader) Blob() []byte {
	if !r.Bool() {
		return nil
	}
	n := r.count()
	b := append([]byte{}, r.buf[:n]...)
	r.buf = r.buf[n:]
	return b
}

// Present reads whether an optional value follows.
//
//go:noinline
func (r *Reader) Present() bool { return r.Bool() }

// ReadStrings reads what Strings wrote.
func ReadStrings[T ~string](r *Reader) []T {
	if !r.Present() {
		return nil
	}
	n := r.count()
	list := make([]T, n)
	for i := range list {
		list[i] = T(r.String())
	}
	return list
}

// ReadStringMap reads what StringMap wrote.
func ReadStringMap(r *Reader) map[string]string {
	return ReadMap(r, func(r *Reader) string { return r.String() })
}

// ReadMap reads what Map wrote, each value by get.
func ReadMap[V any](r *Reader, get func(*Reader) V) map[string]V {
	if !r.Present() {
		return nil
	}
	n := r.count()
	m := make(map[string]V, n)
	for range n {
		k := r.String()
		m[k] = get(r)
	}
	return m
}

// ReadList reads what List wrote, each element by get.
func ReadList[V any](r *Reader, get func(*Reader, *V)) []V {
	if !r.Present() {
		return nil
	}
	n := r.count()
	list := make([]V, n)
	for i := range list {
		get(r, &list[i])
	}
	return list
}
