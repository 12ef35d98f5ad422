package wire

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	w := &Writer{}
	w.Bool(true)
	w.Uint(math.MaxUint64)
	w.Int(math.MinInt64)
	w.String("héllo\x00")
	w.Blob(nil)
	w.Blob([]byte{})
	Strings(w, []string(nil))
	Strings(w, []string{})
	Strings(w, []string{"a", ""})
	StringMap(w, map[string]string{"b": "2", "a": "1"})
	List(w, []int{7, -7}, func(w *Writer, v *int) { w.Int(int64(*v)) })
	w.Uint(math.MaxUint32)

	r := NewReader(w.Bytes())
	got := []any{
		r.Bool(), r.Uint(), r.Int(), r.String(), r.Blob(), r.Blob(),
		ReadStrings[string](r), ReadStrings[string](r), ReadStrings[string](r),
		ReadStringMap(r),
		ReadList(r, func(r *Reader, v *int) { *v = int(r.Int()) }),
		r.Uint32(),
	}
	want := []any{
		true, uint64(math.MaxUint64), int64(math.MinInt64), "héllo\x00", []byte(nil), []byte{},
		[]string(nil), []string{}, []string{"a", ""},
		map[string]string{"a": "1", "b": "2"},
		[]int{7, -7},
		uint32(math.MaxUint32),
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %#v, want %#v", got, want)
	}
}

func TestCorrupt(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(*Reader)
	}{
		{"empty", nil, func(r *Reader) { r.Bool() }},
		{"bool out of range", []byte{2}, func(r *Reader) { r.Bool() }},
		{"string longer than input", []byte{5, 'a'}, func(r *Reader) { _ = r.String() }},
		{"list count beyond input", []byte{1, 200, 1}, func(r *Reader) { ReadStrings[string](r) }},
		{"uint32 overflow", (&Writer{buf: nil}).appendUint(1 << 33), func(r *Reader) { r.Uint32() }},
		{"left over", []byte{1, 1}, func(r *Reader) { r.Bool() }},
	}
	for _, tc := range tests {
		r := NewReader(tc.in)
		tc.read(r)
		if err := r.Err(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Err() = %v, want ErrCorrupt", tc.name, err)
		}
	}
}

func (w *Writer) appendUint(v uint64) []byte {
	w.Uint(v)
	return w.Bytes()
}
