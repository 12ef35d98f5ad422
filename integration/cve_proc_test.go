package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The CVEs here share one attack: make the files runo writes through the container's /proc
// (linux.sysctl, oom_score_adj, the LSM exec attribute) be something other than procfs, so
// that a write meant for the kernel lands in a file (a host volume), or an LSM profile is
// silently never applied. runo must refuse such a config or rootfs, or still write to the real
// procfs.

// fakeProc fills dir with the files runo writes through /proc, each holding "fake", and
// returns their relative paths.
func fakeProc(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range []string{
		"sys/kernel/shm_rmid_forced", "self/oom_score_adj", "self/attr/exec",
		"thread-self/attr/exec", "thread-self/attr/apparmor/exec", "self/attr/apparmor/exec",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("fake"), 0o666); err != nil {
			t.Fatal(err)
		}
		files[f] = "fake"
	}
	for _, d := range []string{"sys/", "sys/kernel/", "self/", "self/attr/", "self/attr/apparmor/",
		"thread-self/", "thread-self/attr/", "thread-self/attr/apparmor/"} {
		files[d] = ""
	}
	return files
}

// procWrites sets what makes runo write through /proc: a namespaced sysctl (the container has
// its own IPC namespace) and an OOM score.
func procWrites(b *bundle) {
	b.spec.Linux.Sysctl = map[string]string{"kernel.shm_rmid_forced": "1"}
	b.spec.Process.OOMScoreAdj = ptr(123)
}

// checkRealProcWrites checks, in the output of `cat /proc/self/oom_score_adj
// /proc/sys/kernel/shm_rmid_forced; stat -f -c %T /proc`, that the writes reached procfs.
func checkRealProcWrites(t *testing.T, r result) {
	t.Helper()
	if got, want := strings.Fields(r.stdout), []string{"123", "1", "proc"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("container's oom_score_adj, shm_rmid_forced, /proc type = %q, want %q", got, want)
	}
}

const procWritesCmd = "cat /proc/self/oom_score_adj /proc/sys/kernel/shm_rmid_forced; stat -f -c %T /proc"

// TestCVE2019_16884 pins the mount-over-/proc bypass: a config that mounts a tmpfs or a
// bind over /proc, or over files inside it that runo writes (/proc/self/attr for the LSM
// label, /proc/sys for sysctls), must be refused at create with an error that names /proc.
func TestCVE2019_16884(t *testing.T) {
	fake := func(e *env) string {
		dir := e.hostDir("fakeproc")
		fakeProc(e.t, dir)
		return dir
	}
	cases := []struct {
		name  string
		mount func(e *env) specs.Mount
		// apparmor: also ask for an AppArmor profile, written through /proc/thread-self/attr.
		apparmor bool
	}{
		{"tmpfs on /proc", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"}
		}, false},
		{"bind on /proc", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc", Type: "bind", Source: fake(e), Options: []string{"rbind"}}
		}, false},
		{"bind on /proc/self/attr", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/self/attr", Type: "bind", Source: filepath.Join(fake(e), "self/attr"), Options: []string{"rbind"}}
		}, true},
		{"bind on /proc/thread-self/attr", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/thread-self/attr", Type: "bind", Source: filepath.Join(fake(e), "self/attr"), Options: []string{"rbind"}}
		}, true},
		{"bind on /proc/1/attr/exec", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/1/attr/exec", Type: "bind", Source: filepath.Join(fake(e), "self/attr/exec"), Options: []string{"bind"}}
		}, true},
		{"tmpfs on /proc/self", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/self", Type: "tmpfs", Source: "tmpfs"}
		}, true},
		{"tmpfs on /proc/sys", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/sys", Type: "tmpfs", Source: "tmpfs"}
		}, false},
		{"bind on /proc/sys/kernel", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/sys/kernel", Type: "bind", Source: filepath.Join(fake(e), "sys/kernel"), Options: []string{"rbind"}}
		}, false},
		{"proc on /proc/sys", func(e *env) specs.Mount {
			return specs.Mount{Destination: "/proc/sys", Type: "proc", Source: "proc"}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/sh", "-c", procWritesCmd)
			procWrites(b)
			if tc.apparmor {
				b.spec.Process.ApparmorProfile = "runo-test-profile"
			}
			b.spec.Mounts = append(b.spec.Mounts, tc.mount(e))
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkFailure(t, r, []string{"/proc"})
		})
	}
}

// TestCVE2023_27561 pins the regression of CVE-2019-16884 through a symlink: the image makes
// its /proc a symlink to a directory where the config mounts a volume, so the procfs runo
// mounts for /proc lands under the volume, and the volume, holding fake /proc files, is what
// the container's /proc shows. runo's writes (sysctl, oom_score_adj, the AppArmor profile)
// must not land in the volume: refuse, or write to a real procfs.
func TestCVE2023_27561(t *testing.T) {
	for _, tc := range []struct {
		name     string
		link     string // the rootfs's /proc
		apparmor bool
	}{
		{"proc to volume", "/data", false},
		{"proc to volume, relative", "data", false},
		{"proc to volume, apparmor", "/data", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/sh", "-c", procWritesCmd)
			vol := e.hostDir("volume")
			want := fakeProc(t, vol)
			procLink(t, b, tc.link)
			procWrites(b)
			if tc.apparmor {
				b.spec.Process.ApparmorProfile = "runo-test-profile"
			}
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}})
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkHostTreeUntouched(t, vol, want)
			if r.code == 0 {
				checkRealProcWrites(t, r)
			} else if strings.TrimSpace(r.stderr) == "" {
				t.Errorf("run failed without an error message: %v", r)
			}
		})
	}
}

// TestCVE2023_28642 pins the /proc-symlink-to-/ variant: the image's /proc is a link to "/"
// (or to "." or through ".."), so the procfs for /proc would be mounted over the rootfs itself
// (and, with AppArmor, the profile would be written to a file rather than to procfs). runo
// must refuse, or give the container a real procfs at /proc and a root that is not procfs.
func TestCVE2023_28642(t *testing.T) {
	links := []string{"/", ".", "/../..", "../../.."}
	for _, link := range links {
		t.Run("default mounts "+link, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/sh", "-c", "stat -f -c %T / /proc")
			procLink(t, b, link)
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			if r.code != 0 {
				if strings.TrimSpace(r.stderr) == "" {
					t.Errorf("run failed without an error message: %v", r)
				}
				return
			}
			if got := strings.Fields(r.stdout); len(got) != 2 || got[0] == "proc" || got[1] != "proc" {
				t.Errorf("filesystem types of / and /proc = %q, want a non-procfs root and a procfs /proc", got)
			}
		})
	}
	// With /proc the last mount and /dev bound from the host, nothing mounted after the procfs
	// fails by chance: create must refuse the /proc destination itself, with an error naming it.
	for _, link := range links {
		t.Run("proc last "+link, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("/bin/probe", "exit", "0")
			procLink(t, b, link)
			b.spec.Mounts = []specs.Mount{
				{Destination: "/dev", Type: "bind", Source: "/dev", Options: []string{"rbind"}},
				{Destination: "/proc", Type: "proc", Source: "proc"},
			}
			b.spec.Linux.MaskedPaths, b.spec.Linux.ReadonlyPaths = nil, nil
			b.save()
			checkFailure(t, e.runo("create", "--bundle", b.dir, b.id), []string{"/proc"})
		})
	}
}

// procLink replaces the rootfs's /proc directory with a symlink to link.
func procLink(t *testing.T, b *bundle, link string) {
	t.Helper()
	if err := os.Remove(filepath.Join(b.rootfs(), "proc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(link, filepath.Join(b.rootfs(), "proc")); err != nil {
		t.Fatal(err)
	}
}

// TestCVE2025_52881 pins the procfs write redirection: runo writes linux.sysctl and
// oom_score_adj through paths under /proc, and neither a sysctl key nor the image may turn
// those writes into writes of another file. Keys with ".." are refused; a config that covers
// /proc/sys is refused (TestCVE2019_16884); an image whose /proc/sys or /proc/self is a link
// into a host volume (no procfs in the config) must not make runo write into that volume.
func TestCVE2025_52881(t *testing.T) {
	t.Run("sysctl keys", func(t *testing.T) {
		for _, key := range []string{
			"kernel/../../../../../../tmp/x", "../../../../etc/passwd", "kernel..shm_rmid_forced",
			"net/ipv4/../../../../../../../etc/hostname", "kernel.shm_rmid_forced/..",
		} {
			e := newEnv(t)
			b := e.newBundle("true")
			b.spec.Linux.Sysctl = map[string]string{key: "1"}
			b.save()
			r := e.runo("run", "--bundle", b.dir, b.id)
			checkFailure(t, r, []string{"sysctl"})
		}
	})
	t.Run("tmpfs on /proc/sys", func(t *testing.T) {
		e := newEnv(t)
		b := e.newBundle("true")
		procWrites(b)
		b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/proc/sys", Type: "tmpfs", Source: "tmpfs"})
		b.save()
		checkFailure(t, e.runo("run", "--bundle", b.dir, b.id), []string{"/proc/sys"})
	})
	// No procfs mount in the config: the image's /proc is a directory whose sys and self are
	// links into a host volume. runo must write through a real procfs of its own or fail,
	// never into the volume. A container without procfs cannot be started (init opens the
	// exec fifo through /proc/self), so create fails; run may start it without init, writing
	// through runo's own procfs (TestRunWithoutInit).
	t.Run("links into a volume without procfs", func(t *testing.T) {
		e := newEnv(t)
		b := e.newBundle("true")
		vol := e.hostDir("volume")
		want := fakeProc(t, vol)
		for _, l := range []string{"sys", "self", "thread-self"} {
			if err := os.Symlink("/data/"+l, filepath.Join(b.rootfs(), "proc", l)); err != nil {
				t.Fatal(err)
			}
		}
		var mounts []specs.Mount
		for _, m := range b.spec.Mounts {
			if m.Destination != "/proc" {
				mounts = append(mounts, m)
			}
		}
		b.spec.Mounts = append(mounts, specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}})
		b.spec.Linux.MaskedPaths, b.spec.Linux.ReadonlyPaths = nil, nil
		procWrites(b)
		b.save()
		r := e.runo("create", "--bundle", b.dir, b.id)
		if r.code == 0 {
			r = e.runo("start", b.id)
		}
		checkHostTreeUntouched(t, vol, want)
		if r.code == 0 {
			t.Errorf("create and start without a procfs but with sysctl and oomScoreAdj succeeded, want an error")
		}
		e.runo("delete", "--force", b.id)
		e.runo("run", "--bundle", b.dir, b.id)
		checkHostTreeUntouched(t, vol, want)
	})
}
