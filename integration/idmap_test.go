package integration

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// statLine is one line of `probe owner`.
type statLine struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

// TestIDMappedMount bind-mounts a host directory with uidMappings/gidMappings {0, B, 65536}
// (B random, so that a leaked helper process is recognisable by its uid_map). The mappings
// read as a user namespace's: a file stored as uid 0 is seen as host uid B through the mount,
// and a write by host uid B is stored as 0 (runc's tests/integration/idmap.bats).
//
//   - userns: the container's user namespace has the same mappings, as containerd sets it
//     up: the host's root-owned file is root's inside, and the container's root writes files
//     that the host sees owned by 0. A second mount with the "idmap" option and no mappings
//     takes the container's. A plain bind of the same directory shows the overflow uid.
//   - no userns: the root-owned file is seen as B; the container's root (host 0) is not mapped
//     by the mount, so its write fails with EOVERFLOW.
func TestIDMappedMount(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("requires user namespaces")
	}
	overflow := readUint(t, "/proc/sys/kernel/overflowuid")
	for _, userns := range []bool{true, false} {
		t.Run(map[bool]string{true: "userns", false: "no-userns"}[userns], func(t *testing.T) {
			e := newEnv(t)
			base := uint32(200000 + 65536*rand.IntN(1000))
			maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: base, Size: 65536}}
			src := e.hostDir("idmap-src")
			writeOwned(t, filepath.Join(src, "root-file"), 0)
			writeOwned(t, filepath.Join(src, "b-file"), int(base))

			b := e.newBundle()
			for _, d := range []string{"idmapped", "idmapped2", "plain"} {
				if err := os.Mkdir(filepath.Join(b.rootfs(), d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			b.spec.Mounts = append(b.spec.Mounts,
				specs.Mount{Destination: "/idmapped", Type: "bind", Source: src, Options: []string{"bind"},
					UIDMappings: maps, GIDMappings: maps},
				specs.Mount{Destination: "/plain", Type: "bind", Source: src, Options: []string{"rbind"}})
			script := `
probe owner /idmapped/root-file
probe owner /idmapped/b-file
probe owner /plain/root-file
if probe write /idmapped/new hello; then probe owner /idmapped/new; else echo write-failed; fi
`
			if userns {
				// A file system mounted inside the source: ridmap maps it too, idmap only
				// the top of an rbind.
				sub := filepath.Join(src, "sub")
				if err := os.Mkdir(sub, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "mode=755"); err != nil {
					t.Fatalf("mount tmpfs on %s: %v", sub, err)
				}
				e.ownMount = append(e.ownMount, sub)
				writeOwned(t, filepath.Join(sub, "file"), 0)
				for _, d := range []string{"ridmapped", "rbind-idmapped"} {
					if err := os.Mkdir(filepath.Join(b.rootfs(), d), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				b.spec.Mounts = append(b.spec.Mounts,
					specs.Mount{Destination: "/ridmapped", Type: "bind", Source: src,
						Options: []string{"rbind", "ridmap"}, UIDMappings: maps, GIDMappings: maps},
					specs.Mount{Destination: "/rbind-idmapped", Type: "bind", Source: src,
						Options: []string{"rbind", "idmap"}, UIDMappings: maps, GIDMappings: maps})
				script += "probe owner /ridmapped/sub/file\nprobe owner /rbind-idmapped/sub/file\n"
				script += "if probe write /idmapped2/x y; then echo ro-write-succeeded; fi\n"
				b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings = maps, maps
				b.spec.Root.Readonly = true // owned by the host's root, unmapped inside
				b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/idmapped2", Type: "bind",
					Source: src, Options: []string{"bind", "idmap", "ro"}})
				script += "probe owner /idmapped2/root-file\n"
			}
			b.spec.Process.Args = []string{"sh", "-c", script}
			b.save()
			idmappedBefore := countIDMappedHostMounts(t)
			r := e.runo("run", "--bundle", b.dir, b.id)
			if r.code != 0 && strings.Contains(r.stderr, "mount_setattr: invalid argument") {
				// tmpfs, for one, takes idmapped mounts only from Linux 6.3 (the VM lanes' 6.1).
				t.Skipf("the kernel cannot idmap the file system of %s: %s", src, r.stderr)
			}
			if r.code != 0 {
				t.Fatalf("runo run: %v", r)
			}
			t.Logf("container output:\n%s%s", r.stdout, r.stderr)
			stats, notes := parseStats(t, r.stdout)
			failed := slices.Contains(notes, "write-failed")

			want := []statLine{{UID: base, GID: base}, {UID: overflow, GID: overflow}, {UID: 0, GID: 0}}
			if userns {
				want = []statLine{{UID: 0, GID: 0}, {UID: overflow, GID: overflow}, {UID: overflow, GID: overflow},
					{UID: 0, GID: 0}, {UID: 0, GID: 0}, {UID: overflow, GID: overflow}, {UID: 0, GID: 0}}
			}
			if len(stats) != len(want) {
				t.Fatalf("probe printed %d stat lines, want %d: %v", len(stats), len(want), r)
			}
			what := []string{"/idmapped/root-file", "/idmapped/b-file", "/plain/root-file", "/idmapped/new",
				"/ridmapped/sub/file", "/rbind-idmapped/sub/file", "/idmapped2/root-file"}
			for i := range want {
				if got := stats[i]; got.UID != want[i].UID || got.GID != want[i].GID {
					t.Errorf("owner of %s in the container = %d:%d, want %d:%d", what[i], got.UID, got.GID, want[i].UID, want[i].GID)
				}
			}
			newFile := filepath.Join(src, "new")
			if userns {
				if failed {
					t.Errorf("write through the idmapped mount failed: %v", r)
				}
				if slices.Contains(notes, "ro-write-succeeded") || !strings.Contains(r.stderr, "read-only file system") {
					t.Errorf("write to the idmapped mount with \"ro\" did not fail read-only: %v", r)
				}
				uid, gid := ownerOf(t, newFile)
				if uid != 0 || gid != 0 {
					t.Errorf("owner on the host of the file the container wrote = %d:%d, want 0:0", uid, gid)
				}
			} else {
				if !failed || !strings.Contains(r.stderr, "value too large") {
					t.Errorf("write by an unmapped root through the idmapped mount: %v, want EOVERFLOW", r)
				}
				if exists(newFile) {
					t.Errorf("%s exists on the host", newFile)
				}
			}
			if n := countIDMappedHostMounts(t); n != idmappedBefore {
				t.Errorf("idmapped mounts in the host's mount namespace: %d, before run %d", n, idmappedBefore)
			}
			if pids := processesWithUIDMap(fmt.Sprintf("0 %d 65536", base)); len(pids) > 0 {
				t.Errorf("processes left in a user namespace with the mount's mappings: %v", pids)
			}
		})
	}
}

// TestIDMappedMountInvalid checks that create refuses idmapped mounts it cannot make, naming
// the field, and leaves nothing behind.
func TestIDMappedMountInvalid(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	for _, c := range []struct {
		name  string
		mount specs.Mount
		want  string
	}{
		{"tmpfs", specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", UIDMappings: maps, GIDMappings: maps},
			"uidMappings: idmapped mounts need a bind mount"},
		{"uid only", specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{"bind"}, UIDMappings: maps},
			"gidMappings: idmapped mounts need both uidMappings and gidMappings"},
		{"idmap without userns", specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{"rbind", "ridmap"}},
			"options: idmap without uidMappings and gidMappings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.newBundle("true")
			b.spec.Mounts = append(b.spec.Mounts, c.mount)
			b.save()
			index := len(b.spec.Mounts) - 1
			r := e.runo("create", "--bundle", b.dir, b.id)
			want := fmt.Sprintf("mounts[%d].%s", index, c.want)
			if r.code == 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("runo create: %v, want an error with %q", r, want)
			}
		})
	}
}

// TestFeaturesIDMap checks that `runo features` reports idmapped mounts, which containerd
// requires before it gives a container a user namespace.
func TestFeaturesIDMap(t *testing.T) {
	e := newEnv(t)
	r := e.mustRuno("features")
	var f struct {
		MountOptions []string `json:"mountOptions"`
		Linux        struct {
			MountExtensions struct {
				IDMap struct {
					Enabled *bool `json:"enabled"`
				} `json:"idmap"`
			} `json:"mountExtensions"`
		} `json:"linux"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil {
		t.Fatalf("features: %v\n%s", err, r.stdout)
	}
	if en := f.Linux.MountExtensions.IDMap.Enabled; en == nil || !*en {
		t.Errorf("linux.mountExtensions.idmap.enabled = %v, want true", en)
	}
	for _, opt := range []string{"idmap", "ridmap"} {
		if !strings.Contains(","+strings.Join(f.MountOptions, ",")+",", ","+opt+",") {
			t.Errorf("mountOptions %v lacks %q", f.MountOptions, opt)
		}
	}
}

// parseStats splits the container's output into `probe owner` lines and the other lines.
func parseStats(t *testing.T, out string) (stats []statLine, notes []string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			notes = append(notes, line)
			continue
		}
		var s statLine
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("probe output line %q: %v", line, err)
		}
		stats = append(stats, s)
	}
	return stats, notes
}

func writeOwned(t *testing.T, path string, id int) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, id, id); err != nil {
		t.Fatal(err)
	}
}

func ownerOf(t *testing.T, path string) (uint32, uint32) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Gid
}

func readUint(t *testing.T, path string) uint32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

// countIDMappedHostMounts counts the mounts of the test's mount namespace that carry the
// "idmapped" option: runo attaches its idmapped mounts in the container's namespace only.
func countIDMappedHostMounts(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 5 && hasOption(fields[5], "idmapped") {
			n++
		}
	}
	return n
}

// processesWithUIDMap lists the processes whose uid_map is exactly the one range given.
func processesWithUIDMap(want string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "uid_map"))
		if err == nil && strings.Join(strings.Fields(string(data)), " ") == want {
			pids = append(pids, pid)
		}
	}
	return pids
}
