package specconv

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestParseErrorsAsSpec: a field of the wrong type is named as encoding/json names it in a
// specs.Spec (error words are interface), and other platforms' sections are skipped unread.
func TestParseErrorsAsSpec(t *testing.T) {
	for _, doc := range []string{
		`{"ociVersion":5}`, `{"hostname":[]}`, `{"process":"x"}`, `{"mounts":{}}`,
		`{"process":{"args":"x"}}`, `{"linux":{"namespaces":[{"type":1}]}}`,
	} {
		var full specs.Spec
		want := json.Unmarshal([]byte(doc), &full)
		_, err := Parse([]byte(doc))
		if want == nil || err == nil || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("Parse(%s) = %v, want it to carry %v", doc, err, want)
		}
	}
	example, err := json.Marshal(Example())
	if err != nil {
		t.Fatal(err)
	}
	withOthers := strings.Replace(string(example), "{", `{"windows":5,"vm":"x","solaris":[],`, 1)
	spec, err := Parse([]byte(withOthers))
	if err != nil {
		t.Fatalf("Parse with other platforms' sections: %v", err)
	}
	if spec.Windows != nil || spec.VM != nil {
		t.Errorf("other platforms' sections were decoded: %+v", spec)
	}
}
