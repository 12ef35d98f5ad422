// Package fs2 is the cgroup v2 driver: one container's directory in the unified hierarchy, its
// creation with the controllers enabled down the tree, the resource files written as runc's
// libcontainer/cgroups/fs2 writes them (with runc's conversions of the spec's v1-style values),
// the statistics in runc's `events --stats` shape, OOM notifications, cgroup.kill, and the
// eBPF device filter (package cgroups/devices).
//
// Every function that reads or writes a controller's files takes the directory it works on, so
// tests point them at temporary directories with pre-created files. Files are opened without
// O_CREAT: on cgroupfs a missing file means a missing controller or kernel feature, which the
// callers tell apart from other errors with errors.Is(err, os.ErrNotExist).
//
// fs2 writes only under the container's directory and, when creating it, the
// cgroup.subtree_control of its ancestors below the hierarchy root.
package fs2
