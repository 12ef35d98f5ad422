// Command seccompbench compares the seccomp filter runo compiles for Docker's default profile with
// the one libseccomp builds for the same profile: the program length, and the number of BPF
// instructions executed for common x86_64 syscalls, an unknown high number and the worst case over
// numbers 0..600, with the ratio runo/libseccomp.
//
// libseccomp's side is built the way runc builds it (one rule per name, rules whose action is the
// default dropped, conditions on one argument named twice split into separate rules, unknown names
// skipped) by a small C helper, csrc/export.c, which is compiled with gcc into a temporary
// directory at run time against the system's libseccomp and writes seccomp_export_bpf's output. It
// is run twice: with libseccomp's default optimisation level and with SCMP_FLTATR_CTL_OPTIMIZE=2
// (binary tree, libseccomp >= 2.5), which runc sets for more than 32 rules. When libseccomp-dev or
// gcc is missing the harness installs them with apt-get (as root, unless -install=false) or prints
// why the libseccomp columns are left out.
//
// Both programs run in this package's own classic BPF interpreter, so the counts do not depend on
// the kernel's JIT. libseccomp's program is its raw output: runc prepends its -ENOSYS stub
// (patchbpf) to it, which adds a few instructions to every syscall and is already part of runo's
// filter; the report says so and checks that both filters return the same for every number but
// those the stub answers.
//
// It touches nothing on the host but its temporary directory and, with -install, the packages.
package main
