// Package cgroups defines the cgroup Manager that runo uses for a container, the statistics it
// reports, and what its drivers share: the discovery of the host's hierarchies, the resolution
// of linux.cgroupsPath and the reading and writing of cgroup files.
//
// Drivers live in subpackages: fs (cgroup v1 and hybrid hosts), fs2 (cgroup v2); manager picks
// one. Drivers take the directories they write to, so that tests can point them at a
// temporary directory. A Manager's directories are saved in the container's state
// (Saved) so that any later runo command can rebuild it.
//
// cgroups must not import libcontainer or the command line: other programs import it alone.
package cgroups
