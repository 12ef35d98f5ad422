# lib.sh: the harness's plumbing, sourced by compat.sh. Scenario bodies run in a subshell
# whose output goes to the engine's log; a failed check ends the subshell with `die REASON`,
# and `scenario` prints one PASS or FAIL line for it.

PASSED=0
FAILED=0
FAILURES=()
CLEANUPS=()

# TMO: the limit of one engine or runtime command, in seconds.
TMO=${COMPAT_TIMEOUT:-60}

# scenario NAME FUNC [ARGS...]: runs FUNC in a subshell; PASS when it exits 0.
scenario() {
	local name=$1 rc reason t0=$SECONDS
	shift
	: >"$WORK/reason"
	printf '\n=== %s\n' "$name" >>"$LOG"
	( "$@" ) >>"$LOG" 2>&1
	rc=$?
	printf '=== %s: rc %s in %ss\n' "$name" "$rc" $((SECONDS - t0)) >>"$LOG"
	if [ "$rc" = 0 ]; then
		echo "PASS $name"
		PASSED=$((PASSED + 1))
	else
		reason=$(tr '\n' ' ' <"$WORK/reason" | head -c 900)
		echo "FAIL $name: ${reason:-exit status $rc (see $LOG)}"
		FAILED=$((FAILED + 1))
		FAILURES+=("$name")
	fi
}

# fail_all ENGINE REASON NAMES...: every scenario of an engine that could not run.
fail_all() {
	local engine=$1 reason=$2 n
	shift 2
	for n in "$@"; do
		echo "FAIL $engine/$n: $reason"
		FAILED=$((FAILED + 1))
		FAILURES+=("$engine/$n")
	done
}

# die REASON: ends the current scenario as failed.
die() {
	printf '%s\n' "$*" >"$WORK/reason"
	printf 'FAILED: %s\n' "$*"
	exit 1
}

# run CMD...: runs CMD under the timeout; OUT is its stdout, ERR its stderr, RC its status.
run() {
	local t0=$EPOCHREALTIME
	printf '+ %s\n' "$*"
	# files, not pipes: a detached container keeps its stdio, and a pipe would not end
	timeout -k 5 "$TMO" "$@" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
	RC=$?
	OUT=$(cat "$WORK/stdout")
	printf '  (%ss)\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')"
	ERR=$(cat "$WORK/stderr")
	[ -z "$OUT" ] || printf '%s\n' "$OUT"
	[ -z "$ERR" ] || printf 'stderr: %s\n' "$ERR"
	[ "$RC" = 0 ] || printf 'rc: %s\n' "$RC"
	return 0
}

# got: what the last `run` printed, on one line, for failure reasons.
got() {
	local s="rc=$RC"
	[ -z "$OUT" ] || s="$s stdout=[$(printf '%s' "$OUT" | tr '\n' '|' | head -c 300)]"
	[ -z "$ERR" ] || s="$s stderr=[$(printf '%s' "$ERR" | tr '\n' '|' | head -c 400)]"
	printf '%s' "$s"
}

# must CMD...: run CMD and die unless it exits 0.
must() {
	run "$@"
	[ "$RC" = 0 ] || die "$(basename "$1") ${*:2:3}: $(got)"
}

want_rc() { # want_rc N WHAT
	[ "$RC" = "$1" ] || die "$2: exit status $RC, want $1; $(got)"
}

want_out() { # want_out TEXT WHAT: TEXT in stdout+stderr
	case "$OUT$ERR" in *"$1"*) ;; *) die "$2: output lacks \"$1\"; $(got)" ;; esac
}

# poll SECONDS CMD...: retries CMD (quietly) every 0.2s until it succeeds.
poll() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}

# defer CMD: runs CMD (a string, eval'd) at the end, last deferred first.
defer() { CLEANUPS+=("$1"); }

run_cleanups() {
	local i
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[$i]}" >>"$WORK/cleanup.log" 2>&1 || true
	done
	CLEANUPS=()
}

# stop_pid PID: SIGTERM, then SIGKILL after 15s, for a daemon this harness started.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 75; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}

# kill_by_path TEXT: kills the processes whose command line contains TEXT (a path under $WORK
# that only what this harness started can name: shims, conmon), one by one by pid.
kill_by_path() {
	local p pid
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" != $$ ] || continue
		if tr "\\0" " " 2>/dev/null <"$p/cmdline" | grep -qF -- "$1"; then
			kill -KILL "$pid" 2>/dev/null && echo "killed leftover $pid: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		fi
	done
	return 0
}

# rm_cgroups NAME: removes the (empty) cgroup /NAME that an engine made for this harness's
# containers in every v1 hierarchy; rmdir leaves a cgroup that still has children or tasks.
rm_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$1"; do [ ! -d "$d" ] || rmdir "$d"; done
	return 0
}

# cgroup_file PID CONTROLLER FILE: the host path of FILE in PID's cgroup v1 CONTROLLER.
cgroup_file() {
	local path
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	[ -n "$path" ] || return 1
	printf '/sys/fs/cgroup/%s%s/%s\n' "$2" "$path" "$3"
}

# want_cgroup PID CONTROLLER FILE VALUE WHAT
want_cgroup() {
	local f v
	f=$(cgroup_file "$1" "$2" "$3") || die "$5: pid $1 has no $2 cgroup: $(cat "/proc/$1/cgroup" 2>&1 | tr '\n' ' ')"
	v=$(cat "$f" 2>&1) || die "$5: read $f: $v"
	echo "$f = $v"
	[ "$v" = "$4" ] || die "$5: $f = $v, want $4"
}

# json_shape: the paths of a JSON document with their types, one a line, arrays as [].
json_shape() {
	jq -r '[paths as $p | ($p | map(if type == "number" then "[]" else . end) | join(".")) + " " + (getpath($p) | type)] | unique | .[]'
}
