# containerd.sh: containerd 1.6 with its runc shim v2 (io.containerd.runc.v2), the runtime given
# to the shim as its runc binary (`ctr run --runc-binary`, the BinaryName runtime option) and
# with a runtime root under the work directory (`--runc-root`). Sourced by compat.sh.

CTD_SCENARIOS=(run-rm signal-exit detached-exec-kill-delete exec-missing exec-tty kill-all pause-resume
	metrics memory-limit tty)

engine_containerd() {
	if ! command -v ctr >/dev/null || ! command -v containerd-shim-runc-v2 >/dev/null; then
		fail_all containerd "containerd, ctr or containerd-shim-runc-v2 is not installed" "${CTD_SCENARIOS[@]}"
		return
	fi
	if ! start_containerd; then
		fail_all containerd "$CTD_ERR" "${CTD_SCENARIOS[@]}"
		return
	fi
	CTR=(ctr -a "$CTD_SOCK" -n compat)
	CTD_RTROOT=$WORK/ctd/runtime-root
	RTOPTS=(--runc-binary "$RUNTIME" --runc-root "$CTD_RTROOT" --fifo-dir "$WORK/ctd/fifo")
	defer "rm_cgroups compat"
	defer "ctd_cleanup"
	local out
	if ! out=$(timeout 60 "${CTR[@]}" image import "$WORK/image/image.tar" 2>&1); then
		fail_all containerd "ctr image import: $out" "${CTD_SCENARIOS[@]}"
		return
	fi
	scenario containerd/run-rm ctd_run_rm
	scenario containerd/signal-exit ctd_signal_exit
	scenario containerd/detached-exec-kill-delete ctd_detached
	scenario containerd/exec-missing ctd_exec_missing
	scenario containerd/exec-tty ctd_exec_tty
	scenario containerd/kill-all ctd_kill_all
	scenario containerd/pause-resume ctd_pause
	scenario containerd/metrics ctd_metrics
	scenario containerd/memory-limit ctd_memory
	scenario containerd/tty ctd_tty
}

# ctd_cleanup: kills and deletes what the scenarios left in the namespace.
ctd_cleanup() {
	local id
	for id in $(timeout 20 "${CTR[@]}" task ls -q 2>/dev/null); do
		timeout 20 "${CTR[@]}" task kill -s KILL "$id"
		timeout 20 "${CTR[@]}" task delete -f "$id"
	done
	for id in $(timeout 20 "${CTR[@]}" container ls -q 2>/dev/null); do
		timeout 20 "${CTR[@]}" container rm "$id"
	done
	# the shim keeps the runtime root per namespace under --runc-root: it must be empty now
	ls -A "$CTD_RTROOT/compat" 2>/dev/null
}

# ctd_start ID [CTR-RUN-FLAGS...] -- CMD...: a detached task of the busybox image.
ctd_start() {
	local id=$1 flags=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	must "${CTR[@]}" run -d "${RTOPTS[@]}" "${flags[@]}" "$IMAGE" "$id" "$@"
}

# ctd_status ID: the task's status from `ctr task ls` (RUNNING, PAUSED, STOPPED...).
ctd_status() {
	timeout 20 "${CTR[@]}" task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

ctd_status_is() { [ "$(ctd_status "$1")" = "$2" ]; }

ctd_gone() { # ctd_gone ID: kill, delete the task and the container
	timeout 20 "${CTR[@]}" task kill -s KILL "$1" >/dev/null 2>&1
	poll 10 ctd_status_is "$1" STOPPED
	timeout 20 "${CTR[@]}" task delete "$1" >/dev/null 2>&1
	timeout 20 "${CTR[@]}" container rm "$1" >/dev/null 2>&1
	return 0
}

# a process that exits 0 on SIGTERM at once (a shell as pid 1 ignores signals it has no trap for)
TRAPLOOP='trap "exit 0" TERM; trap "echo got-usr1" USR1; while :; do sleep 1 & wait; done'

ctd_run_rm() {
	run "${CTR[@]}" run --rm "${RTOPTS[@]}" "$IMAGE" "cr-$$" sh -c 'echo hello-compat; exit 7'
	want_rc 7 "ctr run --rm (exit 7)"
	want_out hello-compat "ctr run --rm"
	run "${CTR[@]}" container ls -q
	case " $OUT " in *" cr-$$ "*) die "ctr run --rm left the container behind" ;; esac
}

ctd_detached() {
	local id=cd-$$ pid
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	poll 10 ctd_status_is "$id" RUNNING || die "task not RUNNING: $(ctd_status "$id")"
	# the shim really drives the runtime under test: its state is under --runc-root
	run "$RUNTIME" --root "$CTD_RTROOT/compat" state "$id"
	[ "$RC" = 0 ] && [ "$(jq -r .status <<<"$OUT")" = running ] ||
		die "$RT_NAME state $id under the shim's root: $(got)"
	pid=$(jq -r .pid <<<"$OUT")
	run "${CTR[@]}" task exec --exec-id e1 --fifo-dir "$WORK/ctd/fifo" "$id" sh -c 'echo from-exec; exit 5'
	want_rc 5 "ctr task exec (exit 5)"
	want_out from-exec "ctr task exec"
	run "${CTR[@]}" task exec --exec-id e2 --user 1000 --fifo-dir "$WORK/ctd/fifo" "$id" id -u
	want_rc 0 "ctr task exec --user 1000"
	[ "$OUT" = 1000 ] || die "ctr task exec --user 1000: id -u printed $(got)"
	run "${CTR[@]}" task ps "$id"
	want_rc 0 "ctr task ps"
	want_out "$pid" "ctr task ps (the init pid $pid)"
	run "${CTR[@]}" task kill "$id"
	want_rc 0 "ctr task kill (SIGTERM)"
	poll 10 ctd_status_is "$id" STOPPED || die "task not STOPPED 10s after SIGTERM: $(ctd_status "$id")"
	run "${CTR[@]}" task delete "$id"
	want_rc 0 "ctr task delete"
	run "${CTR[@]}" container rm "$id"
	want_rc 0 "ctr container rm"
	run "$RUNTIME" --root "$CTD_RTROOT/compat" state "$id"
	[ "$RC" != 0 ] || die "$RT_NAME state $id still works after ctr task delete: $(got)"
}

ctd_exec_missing() {
	local id=cx-$$
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	run "${CTR[@]}" task exec --exec-id e1 --fifo-dir "$WORK/ctd/fifo" "$id" nonexist-cmd
	ctd_gone "$id"
	[ "$RC" != 0 ] || die "ctr task exec of a missing command succeeded"
	want_out 'exec: "nonexist-cmd": executable file not found in $PATH' "ctr task exec of a missing command"
}

ctd_pause() {
	local id=cp-$$ pid f
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	poll 10 ctd_status_is "$id" RUNNING || die "task not RUNNING: $(ctd_status "$id")"
	run "${CTR[@]}" task pause "$id"
	want_rc 0 "ctr task pause"
	ctd_status_is "$id" PAUSED || die "after ctr task pause the task is $(ctd_status "$id"), want PAUSED"
	pid=$(timeout 20 "${CTR[@]}" task ls | awk -v id="$id" '$1 == id { print $2 }')
	f=$(cgroup_file "$pid" freezer freezer.state) && [ "$(cat "$f")" = FROZEN ] ||
		die "after ctr task pause $f is $(cat "$f" 2>&1), want FROZEN"
	run "${CTR[@]}" task resume "$id"
	want_rc 0 "ctr task resume"
	ctd_status_is "$id" RUNNING || die "after ctr task resume the task is $(ctd_status "$id"), want RUNNING"
	[ "$(cat "$f")" = THAWED ] || die "after ctr task resume $f is $(cat "$f" 2>&1), want THAWED"
	ctd_gone "$id"
}

ctd_metrics() {
	local id=cm-$$
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	run "${CTR[@]}" task metrics --format json "$id"
	ctd_gone "$id"
	want_rc 0 "ctr task metrics"
	jq -e '.pids.current >= 1 and .memory.usage.usage > 0 and .cpu.usage.total > 0' <<<"$OUT" >/dev/null ||
		die "ctr task metrics: want pids.current >= 1, memory.usage.usage > 0, cpu.usage.total > 0; $(got)"
}

ctd_memory() {
	local id=cl-$$
	ctd_start "$id" --memory-limit 67108864 -- sh -c "$TRAPLOOP"
	run "${CTR[@]}" task metrics --format json "$id"
	local pid
	pid=$(timeout 20 "${CTR[@]}" task ls | awk -v id="$id" '$1 == id { print $2 }')
	( want_cgroup "$pid" memory memory.limit_in_bytes 67108864 "ctr run --memory-limit 67108864" )
	local rc=$?
	ctd_gone "$id"
	[ $rc = 0 ] || exit 1
	jq -e '.memory.usage.limit == 67108864' <<<"$OUT" >/dev/null ||
		die "ctr task metrics: memory.usage.limit is not 67108864: $(got)"
}

ctd_tty() {
	# ctr -t wants a terminal on its stdin: script(1) gives it one
	run script -qec "${CTR[*]} run --rm -t ${RTOPTS[*]} $IMAGE ct-$$ sh -c 'tty; exit 4'" /dev/null
	want_rc 4 "ctr run --rm -t (exit 4)"
	want_out /dev/pts/ "ctr run -t: tty(1) in the container"
}

# a task killed from outside: `ctr run` exits 128+9 (a SIGKILL from inside would not do: pid 1
# of a pid namespace ignores it)
ctd_signal_exit() {
	local id=cs-$$ bg rc
	timeout 60 "${CTR[@]}" run --rm "${RTOPTS[@]}" "$IMAGE" "$id" sleep 1000 >/dev/null 2>&1 &
	bg=$!
	poll 20 ctd_status_is "$id" RUNNING || { kill "$bg"; die "task not RUNNING: $(ctd_status "$id")"; }
	must "${CTR[@]}" task kill -s KILL "$id"
	wait "$bg"
	rc=$?
	[ "$rc" = 137 ] || die "ctr run of a task killed by SIGKILL: exit status $rc, want 137"
}

ctd_exec_tty() {
	local id=ce-$$
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	run script -qec "${CTR[*]} task exec -t --exec-id et --fifo-dir $WORK/ctd/fifo $id sh -c 'tty; exit 6'" /dev/null
	ctd_gone "$id"
	want_rc 6 "ctr task exec -t (exit 6)"
	want_out /dev/pts/ "ctr task exec -t: tty(1)"
}

# `ctr task kill --all` goes to the runtime as `kill --all`: every process of the container gets
# the signal, the exec'd ones too (SIGUSR1: the init traps it, the exec'd sleep dies of it)
ctd_kill_all() {
	local id=ck-$$ bg rc
	ctd_start "$id" -- sh -c "$TRAPLOOP"
	timeout 60 "${CTR[@]}" task exec --exec-id bg --fifo-dir "$WORK/ctd/fifo" "$id" sleep 1000 >/dev/null 2>&1 &
	bg=$!
	poll 10 sh -c "${CTR[*]} task ps $id | grep -q bg" || { kill "$bg"; ctd_gone "$id"; die "the exec'd sleep did not show in ctr task ps"; }
	run "${CTR[@]}" task kill --all -s USR1 "$id"
	[ "$RC" = 0 ] || { kill "$bg"; ctd_gone "$id"; die "ctr task kill --all -s USR1: $(got)"; }
	wait "$bg"
	rc=$?
	local st
	st=$(ctd_status "$id")
	ctd_gone "$id"
	[ "$rc" = 138 ] || die "the exec'd sleep after ctr task kill --all -s USR1: exit status $rc, want 138"
	[ "$st" = RUNNING ] || die "the init after ctr task kill --all -s USR1 (trapped): $st, want RUNNING"
}
