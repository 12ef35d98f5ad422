#!/usr/bin/env bash
# run.sh RUNTIME_BINARY [TEST...]
#
# Runs the runtime-tools v0.9.0 validation suite against an OCI runtime with a
# runc-compatible command line and prints one PASS/FAIL line per validation
# program, then "conformance: N passed, M failed". It is a yardstick, not a
# gate: it exits 0 whatever the tests say, and non-zero only when the harness
# itself cannot build or run. See README.md beside this file.
#
# Environment:
#   CONFORMANCE_TIMEOUT  seconds one validation program may run (default 60)
#   CONFORMANCE_CACHE    where binaries and logs go
#                        (default ${XDG_CACHE_HOME:-$HOME/.cache}/runo-conformance)
set -euo pipefail

readonly RT_MODULE=github.com/opencontainers/runtime-tools
readonly MARK_VAR=RUNO_CONFORMANCE_MARK

die() {
	echo "conformance: $*" >&2
	exit 2
}

# note records one cleanup action for test $1 in the run's cleanup log; a
# leftover the harness could not remove also goes to stderr.
note() {
	local name=$1
	shift
	echo "$name: $*" >>"$LOG_DIR/cleanup.log"
	[[ $* != cannot* ]] || echo "conformance: $name: $*" >&2
}

usage() {
	echo "usage: $0 RUNTIME_BINARY [TEST...]" >&2
	exit 2
}

# check_prereqs fails early, before a long build, on what the validation
# programs shell out to (tar for the rootfs, unshare for the ns tests).
check_prereqs() {
	[[ $(id -u) -eq 0 ]] || die "must run as root: the validation programs create containers"
	local tool
	for tool in go tar timeout unshare find grep umount; do
		command -v "$tool" >/dev/null || die "missing required tool $tool"
	done
}

# build_suite compiles cmd/runtimetest and every validation program into
# $BIN_DIR and fills $TESTS with the program names, in go list order.
build_suite() {
	local list pkg pkgs=()
	cd "$HERE"
	list=$(GOWORK=off go list "$RT_MODULE/validation/...") || die "list validation packages in $HERE"
	for pkg in $list; do
		[[ $pkg == */validation/util ]] || pkgs+=("$pkg")
	done
	mkdir -p "$BIN_DIR"
	echo "conformance: building runtime-tools validation programs into $BIN_DIR" >&2
	GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN_DIR/" "$RT_MODULE/cmd/runtimetest" "${pkgs[@]}" ||
		die "build validation programs"
	RT_DIR=$(GOWORK=off go list -m -f '{{.Dir}}' "$RT_MODULE") || die "locate $RT_MODULE"
	ROOTFS_TAR="rootfs-$(go env GOARCH).tar.gz"
	[[ -f "$RT_DIR/$ROOTFS_TAR" ]] || die "no $ROOTFS_TAR in $RT_DIR"
	TESTS=("${pkgs[@]##*/}")
}

# cgroup_mounts prints "mountpoint fstype superoptions" for each cgroup
# hierarchy; optional mountinfo fields vary in number, so find the "-".
cgroup_mounts() {
	awk '{
		for (i = 7; $i != "-"; i++);
		if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5, $(i + 1), $(i + 3)
	}' /proc/self/mountinfo | sort -u
}

# own_cgroup prints this shell's cgroup path in the hierarchy of type $1 with
# super options $2, matching /proc/self/cgroup lines by controller list.
own_cgroup() {
	local fstype=$1 opts=",$2," line ctrls first
	while IFS= read -r line; do
		ctrls=${line#*:}
		ctrls=${ctrls%%:*}
		first=${ctrls%%,*}
		if [[ $fstype == cgroup2 && -z $ctrls ]] ||
			[[ $fstype == cgroup && -n $first && $opts == *",$first,"* ]]; then
			echo "${line#*:*:}"
			return 0
		fi
	done </proc/self/cgroup
	return 0
}

# cgroup_bases prints each mounted hierarchy's root and, where different,
# this shell's cgroup in it: runc resolves a relative cgroupsPath (and the
# default one, the container id) under its own cgroup, another runtime may
# resolve it under the root.
cgroup_bases() {
	local mnt fstype opts own
	while read -r mnt fstype opts; do
		echo "$mnt"
		own=$(own_cgroup "$fstype" "$opts")
		[[ -z $own || $own == / ]] || echo "$mnt$own"
	done < <(cgroup_mounts)
	return 0
}

# remove_cgroup_tree removes cgroup directory $2 and its children, deepest
# first, for test $1; rmdir only, so a cgroup that still has tasks stays and
# is reported.
remove_cgroup_tree() {
	local name=$1 dir=$2 sub
	[[ -d "$dir" ]] || return 0
	while IFS= read -r sub; do
		if rmdir "$sub" 2>/dev/null || { sleep 0.2 && rmdir "$sub" 2>/dev/null; }; then
			note "$name" "removed cgroup $sub"
		else
			note "$name" "cannot remove cgroup $sub"
		fi
	done < <(find "$dir" -depth -type d 2>/dev/null)
}

# remove_suite_cgroups removes the cgroups the suite names and leaves behind:
# "/cgrouptest" (the absolute cgroupsPath, also made by hand by
# delete_only_create_resources) and "testdir" (the top of the relative
# "testdir/cgrouptest/container"). Directories that existed before the run
# are left alone.
remove_suite_cgroups() {
	local name=$1 base dir
	for base in "${CGROUP_BASES[@]}"; do
		for dir in "$base/cgrouptest" "$base/testdir"; do
			[[ -z "${PREEXISTING_CGROUPS[$dir]:-}" ]] || continue
			remove_cgroup_tree "$name" "$dir"
		done
	done
	return 0
}

# suite_pids prints processes started for test $1: those that inherited its
# marker variable (the program, unshare helpers, hooks) and those whose root is
# inside its directory (container processes, which get a fresh environment).
suite_pids() {
	local tdir=$1
	{
		grep -lzxF "$MARK_VAR=$tdir" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
		find /proc -mindepth 2 -maxdepth 2 -name root -lname "$tdir/*" 2>/dev/null | cut -d/ -f3 || true
	} | sort -un
}

# delete_containers removes every container in the test's private --root:
# nothing else lives there, so "everything" is exactly what the suite made.
# Each call is time-limited: a runtime under development may hang.
delete_containers() {
	local name=$1 state=$2 id ids base
	local rt=(timeout -k 2 10 "$RUNTIME" --root "$state")
	[[ -d "$state" ]] || return 0
	ids=$("${rt[@]}" list -q 2>/dev/null) ||
		ids=$(find "$state" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null)
	for id in $ids; do
		"${rt[@]}" kill "$id" KILL >/dev/null 2>&1 || true
		if "${rt[@]}" delete -f "$id" >/dev/null 2>&1; then
			note "$name" "deleted container $id"
		else
			note "$name" "cannot delete container $id"
		fi
		# Without a cgroupsPath the runtime names the cgroup after the
		# container, which a failed delete leaves behind.
		for base in "${CGROUP_BASES[@]}"; do
			remove_cgroup_tree "$name" "$base/$id"
		done
	done
	return 0
}

# cleanup_test undoes whatever test directory $1 left behind: containers,
# stray processes, mounts, cgroups and the directory itself.
cleanup_test() {
	local tdir=$1 name pids mnt
	name=$(basename "$tdir")
	delete_containers "$name" "$tdir/state"
	pids=$(suite_pids "$tdir")
	if [[ -n "$pids" ]]; then
		note "$name" "killed ${pids//$'\n'/ }"
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.2
		delete_containers "$name" "$tdir/state"
	fi
	# A container with shared propagation can leak mounts back to the host;
	# detach them so that rm never walks into a bind mount of something else.
	while IFS= read -r mnt; do
		if umount -l "$mnt" 2>/dev/null; then
			note "$name" "unmounted $mnt"
		else
			note "$name" "cannot unmount $mnt"
		fi
	done < <(awk -v d="$tdir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	remove_suite_cgroups "$name"
	rm -rf --one-file-system "$tdir" 2>/dev/null || note "$name" "cannot remove $tdir"
	return 0
}

# write_wrapper makes $1/runtime, the RUNTIME the programs see: it pins the
# real runtime's --root to a directory private to the test, since the suite
# calls the runtime without --root and would otherwise share the host's.
write_wrapper() {
	local tdir=$1
	printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$RUNTIME" "$tdir/state" >"$tdir/runtime"
	chmod 0755 "$tdir/runtime"
}

# stderr_reason prints the most telling line of a program's stderr: the
# runtime's first logrus-style error message when there is one (the program's
# own last line is usually just "exit status 1"), else its first line that is
# not one of runtime-tools' own "failed to create the container" prefixes.
stderr_reason() {
	local file=$1 line
	line=$(grep -m1 'level=error' "$file" || true)
	if [[ -n $line ]]; then
		line=${line#*msg=\"}
		echo "${line%\"}"
		return 0
	fi
	grep -m1 -v -e '^[[:space:]]*$' -e '^failed to \(create\|start\) the container$' \
		-e '^failed to read standard streams$' "$file" || true
}

# verdict prints the result line for test $1 given its exit status $2. A
# program passes when it exits 0 and no TAP line starts with "not ok"; skipped
# cases ("ok N # SKIP") count as passing, so a program whose every case is
# skipped passes. Indented "not ok" text inside YAML diagnostics is ignored.
verdict() {
	local name=$1 rc=$2 first last
	first=$(grep -m1 -E '^not ok|^Bail out!' "$LOG_DIR/$name.tap" || true)
	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		echo "FAIL $name (reason: timeout)"
	elif [[ -n "$first" ]]; then
		echo "FAIL $name (reason: ${first:0:160})"
	elif [[ $rc -ne 0 ]]; then
		last=$(stderr_reason "$LOG_DIR/$name.stderr")
		# Keep the tail of a long message: runtimes put the cause last.
		((${#last} <= 160)) || last="...${last: -157}"
		echo "FAIL $name (reason: exit code $rc${last:+: $last})"
	else
		echo "PASS $name"
		return 0
	fi
	return 1
}

# run_test runs one validation program from a fresh directory holding what
# runtime-tools' util package expects in the working directory (runtimetest
# and the rootfs tarball); TMPDIR keeps its bundles inside that directory.
run_test() {
	local name=$1 tdir rc=0
	tdir="$WORK/$name"
	mkdir -p "$tdir/tmp" "$tdir/state"
	cp "$BIN_DIR/runtimetest" "$tdir/runtimetest"
	ln -s "$RT_DIR/$ROOTFS_TAR" "$tdir/$ROOTFS_TAR"
	write_wrapper "$tdir"
	(
		cd "$tdir" &&
			exec env RUNTIME="$tdir/runtime" TMPDIR="$tdir/tmp" "$MARK_VAR=$tdir" \
				timeout -k 5 "$TIMEOUT" "$BIN_DIR/$name"
	) >"$LOG_DIR/$name.tap" 2>"$LOG_DIR/$name.stderr" </dev/null || rc=$?
	cleanup_test "$tdir"
	verdict "$name" "$rc"
}

on_exit() {
	local tdir
	for tdir in "$WORK"/*/; do
		[[ -d "$tdir" ]] && cleanup_test "${tdir%/}"
	done
	rmdir "$WORK" 2>/dev/null || true
}

main() {
	[[ $# -ge 1 ]] || usage
	HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	RUNTIME=$(command -v "$1") || die "runtime $1 not found"
	RUNTIME=$(realpath "$RUNTIME")
	[[ -x "$RUNTIME" ]] || die "runtime $RUNTIME is not executable"
	shift
	TIMEOUT=${CONFORMANCE_TIMEOUT:-60}
	CACHE=${CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/runo-conformance}
	# build_suite changes directory, so pin the cache to an absolute path first.
	CACHE=$(realpath -m "$CACHE")
	BIN_DIR="$CACHE/bin"
	LOG_DIR="$CACHE/logs"
	check_prereqs
	build_suite
	if [[ $# -gt 0 ]]; then
		TESTS=("$@")
	fi
	local name
	for name in "${TESTS[@]}"; do
		[[ -x "$BIN_DIR/$name" ]] || die "no validation program $name"
	done

	mapfile -t CGROUP_BASES < <(cgroup_bases)
	declare -gA PREEXISTING_CGROUPS=()
	local base dir
	for base in "${CGROUP_BASES[@]}"; do
		for dir in "$base/cgrouptest" "$base/testdir"; do
			if [[ -d "$dir" ]]; then PREEXISTING_CGROUPS[$dir]=1; fi
		done
	done

	rm -rf "$LOG_DIR"
	mkdir -p "$LOG_DIR"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/runo-conformance.XXXXXX")
	# Like /tmp itself, the work tree must be searchable by the unprivileged
	# ids that user-namespace tests map root to.
	chmod 0755 "$WORK"
	trap on_exit EXIT
	trap 'exit 130' INT TERM

	echo "conformance: runtime $RUNTIME, ${#TESTS[@]} programs, ${TIMEOUT}s each, logs in $LOG_DIR" >&2
	local passed=0 failed=0
	for name in "${TESTS[@]}"; do
		if run_test "$name"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "conformance: $passed passed, $failed failed"
}

main "$@"
