// Package seccomp compiles a runtime-spec seccomp profile (specs.LinuxSeccomp)
// into a classic BPF program and loads it, in pure Go and without libseccomp.
//
// It owns the translation from profile to filter and the seccomp(2) call. It
// does not set no_new_privs, pick the thread, pass the listener fd to an agent
// or log: the container's init does those, in that order, and Compile hands
// back what runc would log (names no table knows).
//
// # Semantics (those of runc 1.2 with libseccomp 2.5)
//
//   - Actions: SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD are SECCOMP_RET_KILL_THREAD;
//     SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry errnoRet, EPERM when absent
//     (runc's default for both); errnoRet is ignored on the other actions, as
//     runc does. SCMP_ACT_NOTIFY may not be the default action, nor be used for
//     write(2) (runc's rules: runc's init writes the listener fd to its parent).
//   - Architectures: the native one is always in the filter (libseccomp adds
//     it); SCMP_ARCH_X86_64, X86, X32, AARCH64 and ARM have tables. Other
//     valid SCMP_ARCH_* names are left out of the filter, so their syscalls get
//     the bad-arch action: failing closed, as for any unlisted architecture.
//   - Bad-arch action: SECCOMP_RET_KILL_THREAD. That is libseccomp's default
//     (SCMP_ACT_KILL) and runc never changes it.
//   - x32: x32 and x86_64 share AUDIT_ARCH_X86_64 and x32 numbers carry
//     __X32_SYSCALL_BIT. As in libseccomp, with x86_64 but not x32 in the
//     filter every number >= 0x40000000 gets the bad-arch action; with both,
//     the two tables are merged into one dispatch.
//   - Arguments: 64-bit unsigned comparisons (high word, then low word) on
//     64-bit ABIs; on the 32-bit ABIs (X86, ARM, X32: libseccomp's
//     ARCH_SIZE_32) only the low 32 bits of argument and values are compared,
//     as libseccomp does. MASKED_EQ matches when arg&value == valueTwo.
//   - Several conditions on one rule are ANDed, unless two of them name the
//     same argument: then runc adds each condition as a rule of its own, so
//     they are ORed; Compile does the same.
//   - Several rules for one syscall: an unconditional rule wins over every
//     conditional one, and the first unconditional rule wins over later ones
//     (libseccomp's database keeps the first); conditional rules are tried in
//     profile order and the first that matches decides. A rule whose action is
//     the default action is dropped, as runc does.
//   - Unknown names: a name the table of an architecture lacks is skipped on
//     that architecture; names no compiled architecture knows are returned so
//     that the caller can log them at debug level, as runc does.
//
// # The -ENOSYS stub (runc's libcontainer/seccomp/patchbpf)
//
// A profile written today cannot name the syscalls of tomorrow's kernel, and a
// libc that probes a new syscall (clone3, faccessat2, ...) falls back to the
// old one only on ENOSYS, not on the EPERM a deny-by-default profile returns.
// So, unless the default action is SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_TRACE
// (a tracer handles new syscalls itself) or already SCMP_ACT_ERRNO(ENOSYS),
// every syscall number greater than the largest number that any rule of the
// profile names on that architecture (whatever the rule's action, and whether
// or not the rule was dropped as redundant) returns ENOSYS. On AUDIT_ARCH_X86_64
// x86_64 and x32 numbers have separate limits chosen by bit 30. Like runc, an
// architecture whose largest named number is 0 gets no stub. Unlike runc, the
// native architecture gets the stub even when the profile does not list it
// (runc generates the stub only for listed architectures), because libc's
// fallback is needed just the same.
//
// # Program shape
//
// The program loads the architecture and compares it with each compiled audit
// architecture (the native one first), then loads the syscall number and runs a
// binary search over the number line split into maximal ranges with one
// outcome (a return or the argument checks of one syscall). With Docker's
// default profile a syscall costs about a dozen executed instructions, where a
// linear libseccomp filter costs one comparison per preceding syscall (over 300
// for the last one); libseccomp >= 2.5 also offers a binary tree, enabled by
// runc for profiles with more than 32 rules.
//
// # Known differences from libseccomp
//
//   - On x86 (i386), libseccomp also applies rules naming socket(2) or SysV IPC
//     syscalls to their socketcall(2) and ipc(2) multiplexed forms; here a rule
//     matches the direct syscall number only. Profiles that deny socketcall
//     and ipc by default (Docker's allows both) are unaffected; a profile that
//     allows everything but denies socket(2) can be bypassed by an i386 binary
//     through socketcall(2).
//   - Overlapping conditional rules with different actions for one syscall
//     resolve in profile order here; libseccomp's result depends on how it
//     orders its decision tree.
//
// Compile reads DefaultAction, DefaultErrnoRet, Architectures and Syscalls;
// Load takes Flags. ListenerPath and ListenerMetadata are the caller's: it
// sends the listener fd to the agent.
//
// Filters are little-endian only: all the supported ABIs are.
package seccomp
