package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestCVE2021_30465 pins the mount-destination symlink escape: a destination that the image
// made a symlink pointing outside the rootfs, absolute, relative with "../" or "/.."-style,
// must be resolved as if the rootfs were "/". The bind lands inside the rootfs, where the
// container sees it through the same link, and the host directory the link names is never
// mounted on or written to.
func TestCVE2021_30465(t *testing.T) {
	e := newEnv(t)
	b := e.newBundle("/bin/sh", "-c", "cat /abs/marker /rel/marker /dotdot/marker /hostfile")
	target := e.hostDir("target") // what the links name on the host
	for _, d := range []string{"a", "b", "c"} {
		if err := os.Mkdir(filepath.Join(target, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(target, "file")
	if err := os.WriteFile(victim, []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", strings.Count(b.rootfs(), "/")+2)
	links := map[string]string{
		"abs":      filepath.Join(target, "a"),
		"rel":      up + strings.TrimPrefix(filepath.Join(target, "b"), "/"),
		"dotdot":   "/../../.." + filepath.Join(target, "c"),
		"hostfile": victim,
	}
	for name, dest := range links {
		if err := os.Symlink(dest, filepath.Join(b.rootfs(), name)); err != nil {
			t.Fatal(err)
		}
	}
	src := e.hostDir("src")
	if err := os.WriteFile(filepath.Join(src, "marker"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcFile := filepath.Join(e.hostDir("srcfile"), "file")
	if err := os.WriteFile(srcFile, []byte("bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"/abs", "/rel", "/dotdot"} {
		b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: src, Options: []string{"rbind", "ro"}})
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/hostfile", Type: "bind", Source: srcFile, Options: []string{"bind", "ro"}})
	b.spec.Root.Readonly = false // the mount points are created inside the rootfs
	b.save()

	r := e.mustRuno("run", "--bundle", b.dir, b.id)
	if got, want := r.stdout, "inside\ninside\ninside\nbound\n"; got != want {
		t.Errorf("container read %q through its links, want %q (the binds, seen inside the rootfs)", got, want)
	}
	checkHostTreeUntouched(t, target, map[string]string{"a/": "", "b/": "", "c/": "", "file": "host\n"})
	// The binds went where the links point inside the rootfs.
	for _, d := range []string{"a", "b", "c"} {
		if _, err := os.Stat(filepath.Join(b.rootfs(), target, d)); err != nil {
			t.Errorf("mount point of the link to %s inside the rootfs: %v", d, err)
		}
	}
}

// TestCVE2021_30465Race is the race of CVE-2021-30465: while runo resolves and mounts a
// destination, the image (here a host goroutine standing in for a second container sharing
// the rootfs) keeps exchanging a directory on the destination's path with a symlink to a host
// directory, absolute, relative or "/.."-style. Whatever the interleaving, runo's mounts must
// stay in the rootfs: the host directory (its own shared mount, so that a mount made on it in
// the container's namespace, whose propagation is rshared here, would show on the host) never
// gets a mount or a new file, in the host's mount table or in the container's (read by a
// createContainer hook before pivot_root). A run that fails is fine; one that succeeds must
// show the mounts inside.
func TestCVE2021_30465Race(t *testing.T) {
	e := newEnv(t)
	target := e.hostDir("target")
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, "mode=755,size=1m"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", target, err)
	}
	e.ownMount = append(e.ownMount, target)
	if err := unix.Mount("", target, "", unix.MS_SHARED, ""); err != nil {
		t.Fatalf("make %s shared: %v", target, err)
	}
	if err := os.Mkdir(filepath.Join(target, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	hookOut := e.hostDir("hook")
	sr := newSwapRace(e)
	up := strings.Repeat("../", strings.Count(sr.b.rootfs(), "/")+2)
	links := []string{target, up + strings.TrimPrefix(target, "/"), "/../../.." + target}
	sr.run(links, func(i int, id string) {
		mi := filepath.Join(hookOut, id)
		sr.b.spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{
			Path: "/usr/bin/busybox",
			Args: []string{"busybox", "sh", "-c", "cat /proc/self/mountinfo > " + mi},
		}}}
	}, func(i int, id string) {
		data, err := os.ReadFile(filepath.Join(hookOut, id))
		if err == nil {
			for _, p := range mountPoints(string(data)) {
				if p != target && strings.HasPrefix(p, target+"/") {
					t.Errorf("iteration %d: container's mount namespace has a mount on %s, outside the rootfs", i, p)
				}
			}
		}
		if points := mountsUnder(target); len(points) != 1 {
			t.Fatalf("iteration %d: host mounts under %s = %v, want only the test's tmpfs", i, target, points)
		}
		checkHostTreeUntouched(t, target, map[string]string{"sub/": ""})
	})
}

// TestCVE2021_30465RaceReadonly is the same race with a link that stays inside the rootfs
// and leads to another mount (a tmpfs on /x/sub): runo binds the volume through a handle, but
// must also remount that same bind read-only, not whatever the destination path resolves to a
// moment later. Otherwise the read-only remount lands on the tmpfs and the container gets a
// writable bind of a volume configured "ro".
func TestCVE2021_30465RaceReadonly(t *testing.T) {
	e := newEnv(t)
	sr := newSwapRace(e)
	sr.run([]string{"/x"}, nil, nil)
}

// swapRace is a bundle whose rootfs has /vol/sub, /vol/made and /x/sub, with a tmpfs on
// /x/sub, a read-only bind of src on /vol/sub and a tmpfs on /vol/made/here, and which runs
// `probe facts`, then tries to write into the bind wherever the race put it.
type swapRace struct {
	e   *env
	b   *bundle
	src string
}

func newSwapRace(e *env) *swapRace {
	e.t.Helper()
	src := e.hostDir("src")
	if err := os.WriteFile(filepath.Join(src, "marker"), []byte("inside"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	b := e.newBundle("/bin/sh", "-c",
		"/bin/probe facts; for d in /vol/sub /link/sub /x/sub; do echo x > $d/pwned; done 2>/dev/null; true")
	for _, d := range []string{"vol/sub", "vol/made", "x/sub"} {
		if err := os.MkdirAll(filepath.Join(b.rootfs(), d), 0o755); err != nil {
			e.t.Fatal(err)
		}
	}
	b.spec.Root.Readonly = false
	b.spec.Linux.RootfsPropagation = "rshared"
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/x/sub", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=64k"}},
		specs.Mount{Destination: "/vol/sub", Type: "bind", Source: src, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/vol/made/here", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=64k"}},
	)
	return &swapRace{e: e, b: b, src: src}
}

// run runs the container up to 50 times (at most 10 s) while a goroutine exchanges /vol and
// /link, a symlink to links[i%len(links)]. before changes the spec of iteration i; after
// checks the host once the container is deleted.
func (sr *swapRace) run(links []string, before, after func(i int, id string)) {
	t, e, b := sr.e.t, sr.e, sr.b
	const iterations = 50
	deadline := time.Now().Add(10 * time.Second)
	var created, refused int
	for i := 0; i < iterations && time.Now().Before(deadline); i++ {
		link := filepath.Join(b.rootfs(), "link")
		os.Remove(link)
		if err := os.Symlink(links[i%len(links)], link); err != nil {
			t.Fatal(err)
		}
		b.id = e.newID()
		b.spec.Linux.CgroupsPath = "/" + e.cgParent + "/" + b.id
		if before != nil {
			before(i, b.id)
		}
		b.save()

		stop := swapLoop(t, filepath.Join(b.rootfs(), "vol"), link)
		r := e.runo("run", "--bundle", b.dir, b.id)
		if swaps := stop(); swaps == 0 {
			t.Fatalf("iteration %d: the swapper never exchanged the paths", i)
		}
		if r.code == 0 {
			created++
			checkRaceFacts(t, i, r.stdout)
		} else {
			refused++
			if strings.TrimSpace(r.stderr) == "" {
				t.Errorf("iteration %d: run failed without an error message: %v", i, r)
			}
		}
		e.runo("delete", "--force", b.id)
		checkHostTreeUntouched(t, sr.src, map[string]string{"marker": "inside"})
		if after != nil {
			after(i, b.id)
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("runs: %d succeeded, %d refused", created, refused)
	if created == 0 {
		t.Errorf("no run succeeded under the race; the test checked only refusals")
	}
}

// swapLoop exchanges a and b (renameat2 RENAME_EXCHANGE) in a loop until the returned stop
// is called, which leaves a and b as they were and returns how many exchanges were made.
func swapLoop(t *testing.T, a, b string) (stop func() int) {
	t.Helper()
	var done atomic.Bool
	var n int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !done.Load() {
			if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
				t.Errorf("renameat2(%s, %s, RENAME_EXCHANGE): %v", a, b, err)
				return
			}
			n++
		}
		if n%2 == 1 {
			if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
				t.Errorf("renameat2 back: %v", err)
			}
			n++
		}
	}()
	return func() int {
		done.Store(true)
		wg.Wait()
		return n
	}
}

// checkRaceFacts checks the probe's view of a container created under the swap race: the bind
// and the tmpfs are mounted inside the rootfs, at /vol/... or where the link led inside it, and
// the bind (the only non-tmpfs mount on a .../sub) is read-only as configured.
func checkRaceFacts(t *testing.T, i int, stdout string) {
	t.Helper()
	f := decodeFacts(t, stdout)
	var bind, tmpfs bool
	// The test's own tmpfs mounts are size=64k; the bind's source may be a tmpfs too (in the
	// VM lanes the whole host is one).
	ours := func(fstype, options string) bool { return fstype == "tmpfs" && hasOption(options, "size=64k") }
	for _, m := range f.Mounts {
		if strings.HasSuffix(m.Point, "/sub") && !ours(m.FSType, m.Options) {
			bind = true
			if !hasOption(m.Options, "ro") {
				t.Errorf("iteration %d: bind on %s has options %q, want ro: the read-only remount missed it", i, m.Point, m.Options)
			}
		}
		tmpfs = tmpfs || (strings.HasSuffix(m.Point, "/made/here") && ours(m.FSType, m.Options))
	}
	if !bind || !tmpfs {
		t.Errorf("iteration %d: container mounts %+v, want the bind on .../sub and the tmpfs on .../made/here", i, f.Mounts)
	}
}

// checkHostTreeUntouched fails unless dir holds exactly want: "name/" for an empty
// directory, "name" for a file with that content.
func checkHostTreeUntouched(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			got[rel+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", dir, err)
	}
	var extra []string
	for k, v := range got {
		if w, ok := want[k]; !ok || w != v {
			extra = append(extra, k+"="+v)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			extra = append(extra, "missing "+k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("host directory %s changed: %v", dir, extra)
	}
	for _, p := range mountsUnder(dir) {
		if p != dir {
			t.Errorf("host mount on %s, outside the rootfs", p)
		}
	}
}

// mountPoints returns the mount points of a mountinfo text.
func mountPoints(mountinfo string) []string {
	var points []string
	for _, line := range strings.Split(mountinfo, "\n") {
		if fields := strings.Fields(line); len(fields) > 4 {
			points = append(points, fields[4])
		}
	}
	return points
}

// decodeFacts decodes the output of `probe facts`.
func decodeFacts(t *testing.T, stdout string) probeFacts {
	t.Helper()
	var f probeFacts
	if err := json.Unmarshal([]byte(stdout), &f); err != nil {
		t.Fatalf("decode probe facts: %v in %q", err, stdout)
	}
	return f
}
