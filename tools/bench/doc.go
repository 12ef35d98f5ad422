// Command bench is the `make bench` harness: it measures runo side by side with runc and crun on
// one busybox bundle and prints medians, p10 and p90 with the runo/runc and runo/crun ratios.
//
// It runs in phases (-only selects some). The main loop interleaves, in each of -n iterations:
// run; create, start and delete; delete of a created container and the resident set of its
// waiting init; exec, state and list against one long-running container per runtime; kill; and
// run under a 2 MiB and a 4 MiB memory limit. The crowd phase repeats list, state and create with
// -crowd created containers in every --root; the parallel phase measures containers per second
// with several lanes running `run` at once.
//
// It owns a temporary work directory (bundle, one --root per runtime), a cgroup parent
// runo-bench-<tag> in every controller and the containers it creates; all of them are removed at
// exit, also on SIGINT/SIGTERM. It must not touch anything else on the host: it kills only
// processes inside its own cgroups and never by name.
//
// Every runtime runs inside one private mount namespace in which /sys/fs/cgroup/unified is covered
// by a tmpfs: crun 1.8 refuses a cgroup v1/v2 hybrid host, and hiding the v2 mount from all
// runtimes alike keeps the comparison fair. The harness re-executes itself with CLONE_NEWNS for
// that, so no shell or unshare(1) sits inside the timed part. In that namespace the work
// directory is a tmpfs, as /run, where the runtimes keep their state by default, is.
//
// Performance is judged by reading this output, never by timed assertions in tests; the unit tests
// cover only pure logic (statistics, table formatting, ratio direction, flags, the generated
// config) and touch nothing on the host.
package main
