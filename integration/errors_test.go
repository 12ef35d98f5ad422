package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBadInput checks that create refuses bad input with a one-line error that names what
// is wrong, and leaves nothing behind.
func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		// setup changes the bundle and returns create's arguments after "create".
		setup func(b *bundle) []string
		want  []string // substrings of the error, case-insensitive; "a|b": a or b
	}{
		{
			name: "malformed config.json",
			setup: func(b *bundle) []string {
				writeConfig(b, "{\"ociVersion\": \"1.0.2\", \"process\": {")
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"unexpected EOF|unexpected end of JSON input"},
		},
		{
			name: "config.json not JSON",
			setup: func(b *bundle) []string {
				writeConfig(b, "{not json}")
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"invalid character"},
		},
		{
			name: "missing config.json",
			setup: func(b *bundle) []string {
				os.Remove(filepath.Join(b.dir, "config.json"))
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"config.json"},
		},
		{
			name: "empty process.args",
			setup: func(b *bundle) []string {
				b.spec.Process.Args = nil
				b.save()
				return []string{"--bundle", b.dir, b.id}
			},
			// runc: "args must not be empty"
			want: []string{"args", "must not be empty"},
		},
		{
			name: "relative process.cwd",
			setup: func(b *bundle) []string {
				b.spec.Process.Cwd = "relative"
				b.save()
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"cwd", "absolute"},
		},
		{
			name: "unknown namespace type",
			setup: func(b *bundle) []string {
				b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: "bogusns"})
				b.save()
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"bogusns"},
		},
		{
			name: "missing root.path",
			setup: func(b *bundle) []string {
				b.spec.Root.Path = "nosuchroot"
				b.save()
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{"nosuchroot", "no such file or directory"},
		},
		{
			name: "missing bundle",
			setup: func(b *bundle) []string {
				return []string{"--bundle", filepath.Join(b.dir, "nosuchbundle"), b.id}
			},
			want: []string{"nosuchbundle", "no such file or directory"},
		},
		{
			name: "id with slash",
			setup: func(b *bundle) []string {
				return []string{"--bundle", b.dir, "it/bad"}
			},
			want: []string{"invalid"},
		},
		{
			name: "id with dot dot",
			setup: func(b *bundle) []string {
				return []string{"--bundle", b.dir, ".."}
			},
			want: []string{"invalid"},
		},
		{
			name: "executable not found",
			setup: func(b *bundle) []string {
				b.spec.Process.Args = []string{"nosuch"}
				b.save()
				return []string{"--bundle", b.dir, b.id}
			},
			want: []string{`exec: "nosuch": executable file not found in $PATH`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/probe", "exit", "0")
			args := c.setup(b)
			r := e.runo(append([]string{"create"}, args...)...)
			checkFailure(t, r, c.want)
			e.assertGone(b.id, 0)
			if entries, _ := os.ReadDir(e.root); len(entries) > 0 {
				t.Errorf("--root has %d entries after the failed create, want none", len(entries))
			}
		})
	}
}

// checkFailure checks r failed with one line on stderr whose message has each of want
// (case-insensitive; "a|b" is a or b).
func checkFailure(t *testing.T, r result, want []string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("%v, want failure", r)
	}
	line := strings.TrimSpace(r.stderr)
	if line == "" || strings.Contains(line, "\n") {
		t.Errorf("stderr = %q, want one line", r.stderr)
	}
	msg := strings.ToLower(errorMessage(line))
	for _, w := range want {
		found := false
		for _, alt := range strings.Split(w, "|") {
			found = found || strings.Contains(msg, strings.ToLower(alt))
		}
		if !found {
			t.Errorf("error = %q, want it to contain %q", errorMessage(line), w)
		}
	}
}

// errorMessage returns the message of a logrus text line (time=... level=error msg="..."),
// which is what runc writes on a stderr that is not a terminal, or line itself.
func errorMessage(line string) string {
	i := strings.Index(line, ` msg="`)
	if i < 0 {
		return line
	}
	quoted := line[i+len(" msg="):]
	if prefix, err := strconv.QuotedPrefix(quoted); err == nil {
		if msg, err := strconv.Unquote(prefix); err == nil {
			return msg
		}
	}
	return line
}

func writeConfig(b *bundle, content string) {
	b.e.t.Helper()
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), []byte(content), 0o644); err != nil {
		b.e.t.Fatal(err)
	}
}

// TestDuplicateID checks that a second create with a taken id fails and spares the first.
func TestDuplicateID(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("/bin/probe", "exit", "0")
	e.mustRuno("create", "--bundle", b.dir, b.id)
	pid := e.state(b.id).Pid
	b2 := e.newBundle("/bin/probe", "exit", "0")
	r := e.runo("create", "--bundle", b2.dir, b.id)
	checkFailure(t, r, []string{"exists", b.id})
	s := e.state(b.id)
	if s.Status != "created" || s.Pid != pid || s.Bundle != b.dir {
		t.Errorf("first container after the refused create: %+v, want it created, pid %d, bundle %s", s, pid, b.dir)
	}
}

// TestLogJSON checks --log-format json: logrus-style lines, the last one the error.
func TestLogJSON(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("nosuch")
	logFile := filepath.Join(e.dir, "log.json")
	r := e.runo("--log", logFile, "--log-format", "json", "create", "--bundle", b.dir, b.id)
	if r.code == 0 {
		t.Fatalf("create of a missing executable: %v, want failure", r)
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var last map[string]any
	for _, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line %q: %v", line, err)
			continue
		}
		for _, k := range []string{"level", "msg", "time"} {
			if _, ok := entry[k].(string); !ok {
				t.Errorf("log line %q has no string %q", line, k)
			}
		}
		if level, _ := entry["level"].(string); level != strings.ToLower(level) {
			t.Errorf("log line %q: level %q, want lower case", line, level)
		}
		last = entry
	}
	if got, want := last["level"], "error"; got != want {
		t.Errorf("last log line's level = %v, want %q", got, want)
	}
	if msg, _ := last["msg"].(string); !strings.Contains(msg, "executable file not found") {
		t.Errorf("last log line's msg = %q, want the exec error", msg)
	}
	e.assertGone(b.id, 0)
}

// TestLogSuccess checks that --log --log-format json gets no error line from commands
// that succeed.
func TestLogSuccess(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("/bin/probe", "exit", "0")
	logFile := filepath.Join(e.dir, "log.json")
	for _, args := range [][]string{
		{"create", "--bundle", b.dir, b.id},
		{"state", b.id},
		{"start", b.id},
		{"list"},
	} {
		r := e.runo(append([]string{"--log", logFile, "--log-format", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("runo %s: %v", strings.Join(args, " "), r)
		}
		if r.stderr != "" {
			t.Errorf("runo %s: stderr %q, want nothing", strings.Join(args, " "), r.stderr)
		}
	}
	e.waitStatus(b.id, "stopped")
	e.mustRuno("--log", logFile, "--log-format", "json", "delete", b.id)
	data, err := os.ReadFile(logFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line %q: %v", line, err)
			continue
		}
		if level, _ := entry["level"].(string); level == "error" || level == "fatal" || level == "panic" {
			t.Errorf("log line %q after commands that succeeded, want no error", line)
		}
	}
}

// TestLogFailureStderr checks that a failing command with --log also writes its error to
// stderr, once, as one plain line.
func TestLogFailureStderr(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("nosuch")
			logFile := filepath.Join(e.dir, "log")
			r := e.runo("--log", logFile, "--log-format", format, "create", "--bundle", b.dir, b.id)
			const want = "executable file not found in $PATH"
			checkFailure(t, r, []string{want})
			if n := strings.Count(r.stderr, want); n != 1 {
				t.Errorf("stderr %q has the error %d times, want once", r.stderr, n)
			}
			if strings.HasPrefix(strings.TrimSpace(r.stderr), "{") {
				t.Errorf("stderr %q is a JSON log line, want the plain message", r.stderr)
			}
			if data, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(data), "executable file not found") {
				t.Errorf("log file = %q (%v), want the error in it", data, err)
			}
			e.assertGone(b.id, 0)
		})
	}
}
