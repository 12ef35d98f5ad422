package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Manager is one container's cgroup, as a directory per hierarchy.
type Manager struct {
	dirs map[string]string // controller set (as in /proc/self/cgroup) -> directory
}

// New resolves a runtime-spec cgroupsPath into directories. An absolute path is taken from the
// root of each hierarchy; a relative one from the cgroup of the calling runtime, as runc does; an
// empty one defaults to /runo/<id>. Nothing is created until Create.
func New(cgroupsPath, id string) (*Manager, error) {
	hs, own, err := mountedHierarchies()
	if err != nil {
		return nil, err
	}
	dirs, err := resolve(cgroupsPath, id, hs, own)
	if err != nil {
		return nil, err
	}
	return &Manager{dirs: dirs}, nil
}

// resolve maps a cgroupsPath to a directory in each hierarchy; own holds the runtime's cgroups.
func resolve(cgroupsPath, id string, hs map[string]hierarchy, own map[string]string) (map[string]string, error) {
	if cgroupsPath == "" {
		cgroupsPath = "/runo/" + id
	}
	if strings.Contains(cgroupsPath, ":") {
		return nil, fmt.Errorf("cgroupsPath %q: slice:prefix:name paths need the systemd cgroup driver", cgroupsPath)
	}
	for _, elem := range strings.Split(cgroupsPath, "/") {
		if elem == ".." {
			return nil, fmt.Errorf("cgroupsPath %q: must not contain ..", cgroupsPath)
		}
	}
	clean := filepath.Clean(cgroupsPath)
	dirs := map[string]string{}
	for key, h := range hs {
		p := clean
		if !filepath.IsAbs(p) {
			p = filepath.Join(own[key], p)
		}
		dir := h.dir(p)
		if dir == "" {
			return nil, fmt.Errorf("cgroupsPath %q: outside the mounted %q hierarchy", cgroupsPath, key)
		}
		dirs[key] = dir
	}
	if len(dirs) == 0 {
		return nil, errors.New("no cgroup hierarchy is mounted")
	}
	return dirs, nil
}

// Load rebuilds a Manager from the directories saved by Paths.
func Load(dirs map[string]string) *Manager {
	return &Manager{dirs: dirs}
}

// Paths returns the manager's directories, keyed by controller set.
func (m *Manager) Paths() map[string]string { return m.dirs }

// Create makes the cgroup's directories.
func (m *Manager) Create() error {
	for key, dir := range m.dirs {
		if key == "cpuset" || strings.HasPrefix(key, "cpuset,") || strings.Contains(key, ",cpuset") {
			if err := mkdirCpuset(dir); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
	}
	return nil
}

// mkdirCpuset creates a v1 cpuset directory and its missing parents. A new v1 cpuset group
// starts with no cpus and no memory nodes, and refuses processes until it has some: each new
// level inherits its parent's, as runc does.
func mkdirCpuset(dir string) error {
	if cpus, err := os.ReadFile(filepath.Join(dir, "cpuset.cpus")); err == nil && strings.TrimSpace(string(cpus)) != "" {
		return nil // exists and has cpus: the hierarchy's root always does
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return fmt.Errorf("create cgroup %s: no cpuset hierarchy above it", dir)
	}
	if err := mkdirCpuset(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup: %w", err)
	}
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		if strings.TrimSpace(string(cur)) != "" {
			continue
		}
		val, err := os.ReadFile(filepath.Join(parent, file))
		if err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), val, 0); err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
	}
	return nil
}

// Apply moves pid into the cgroup in every hierarchy.
func (m *Manager) Apply(pid int) error {
	data := []byte(strconv.Itoa(pid))
	for _, dir := range m.dirs {
		path := filepath.Join(dir, "cgroup.procs")
		if err := os.WriteFile(path, data, 0); err != nil {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

// Pids lists the processes in the cgroup.
func (m *Manager) Pids() ([]int, error) {
	dir := m.anyDir()
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, fmt.Errorf("list cgroup processes: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s/cgroup.procs: %w", dir, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// anyDir picks the directory to list processes from: pids or freezer when mounted, since both
// are always in use by containers, else any.
func (m *Manager) anyDir() string {
	for _, key := range []string{"pids", "freezer", ""} {
		if d, ok := m.dirs[key]; ok {
			return d
		}
	}
	for _, d := range m.dirs {
		return d
	}
	return ""
}

// Destroy removes the cgroup's directories. A cgroup with exiting processes stays busy for a
// moment after they were killed, so removal is retried for up to a second.
func (m *Manager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs {
		if err := removeDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

func removeDir(dir string) error {
	delay := time.Millisecond
	for deadline := time.Now().Add(time.Second); ; delay *= 2 {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
	}
}
