// Package cgroups places a container's processes in control groups and removes those groups again.
//
// A Manager owns one container's cgroup: one directory per mounted hierarchy on a cgroup v1 (or
// hybrid) host, one directory on a cgroup v2 host. Its directories are saved in the container's
// state so that any later runo command can rebuild the Manager with Load.
//
// cgroups must not import libcontainer or the command line: other programs import it alone.
package cgroups
