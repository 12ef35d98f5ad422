# podman.sh: podman 4 with conmon, `--runtime RUNTIME`, cgroupfs, the file events backend and vfs
# storage, every path under the work directory (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
# CONTAINERS_REGISTRIES_CONF point at files written here). Sourced by compat.sh.
#
# podman passes `--log-format=json --log FILE` to runtimes whose name is in containers.conf's
# runtime_supports_json only; the config here adds runo to that list as a deployment would.
# podman does not pass --root: the runtime keeps its state in its default root.

POD_SCENARIOS=(run-rm detached-exec-stop-rm memory pids-limit tty user read-only caps pause-unpause
	kill-usr1 exit-missing-command exit-not-executable top network-none network-host volume exec-tty stdin
	process-settings privileged device tmpfs cpus restart oom)

engine_podman() {
	if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
		fail_all podman "podman or conmon is not installed" "${POD_SCENARIOS[@]}"
		return
	fi
	local P=$WORK/podman
	mkdir -p "$P"/{root,runroot,tmp,cni,conf}
	# rlimits no higher than this process's hard limits (podman lowers its RLIMIT_NPROC to 32768)
	cat >"$P/conf/containers.conf" <<-EOF
		[containers]
		netns = "none"
		log_driver = "k8s-file"
		default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=4096:4096"]
		[network]
		network_config_dir = "$P/cni"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$P/events.log"
		tmp_dir = "$P/tmp"
		volume_path = "$P/root/volumes"
		static_dir = "$P/root/libpod"
		runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "runo"]
	EOF
	cat >"$P/conf/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		graphroot = "$P/root"
		runroot = "$P/runroot"
	EOF
	: >"$P/conf/registries.conf"
	export CONTAINERS_CONF=$P/conf/containers.conf CONTAINERS_STORAGE_CONF=$P/conf/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$P/conf/registries.conf
	PM=(podman --root "$P/root" --runroot "$P/runroot" --storage-driver vfs --cgroup-manager cgroupfs
		--events-backend file --tmpdir "$P/tmp" --runtime "$RUNTIME")
	defer "pod_cleanup"
	local out
	if ! out=$(timeout 120 "${PM[@]}" load -i "$WORK/image/image.tar" 2>&1); then
		fail_all podman "podman load: $(printf '%s' "$out" | tail -3 | tr '\n' ' ')" "${POD_SCENARIOS[@]}"
		return
	fi
	scenario podman/run-rm pod_run_rm
	scenario podman/detached-exec-stop-rm pod_detached
	scenario podman/memory pod_limit --memory 64m -- memory memory.limit_in_bytes 67108864
	scenario podman/pids-limit pod_limit --pids-limit 20 -- pids pids.max 20
	scenario podman/tty pod_tty
	scenario podman/user pod_user
	scenario podman/read-only pod_read_only
	scenario podman/caps pod_caps
	scenario podman/pause-unpause pod_pause
	scenario podman/kill-usr1 pod_kill_usr1
	scenario podman/exit-missing-command pod_exit_missing
	scenario podman/exit-not-executable pod_exit_noexec
	scenario podman/top pod_top
	scenario podman/network-none pod_network_none
	scenario podman/network-host pod_network_host
	scenario podman/volume pod_volume
	scenario podman/exec-tty pod_exec_tty
	scenario podman/stdin pod_stdin
	scenario podman/process-settings pod_process_settings
	scenario podman/privileged pod_privileged
	scenario podman/device pod_device
	scenario podman/tmpfs pod_tmpfs_mounts
	scenario podman/cpus pod_cpus
	scenario podman/restart pod_restart
	scenario podman/oom pod_oom
}

pod_cleanup() {
	timeout 60 "${PM[@]}" rm -af -t 0
	# podman leaves a storage lock mount-less; its vfs layers are plain directories
	timeout 60 "${PM[@]}" system migrate >/dev/null 2>&1 || true
}

POD_LOOP='trap "exit 0" TERM; trap "echo got-usr1" USR1; echo ready; while :; do sleep 1 & wait; done'

# pod_start NAME [RUN-FLAGS...]: a detached container of the busybox image running POD_LOOP.
pod_start() {
	local name=$1
	shift
	must "${PM[@]}" run -d --name "$name" "$@" "$IMAGE" sh -c "$POD_LOOP"
}

pod_inspect() { # pod_inspect NAME FORMAT
	timeout 30 "${PM[@]}" inspect -f "$2" "$1" 2>&1
}

pod_status_is() { [ "$(pod_inspect "$1" '{{.State.Status}}')" = "$2" ]; }

pod_logs_have() { timeout 30 "${PM[@]}" logs "$1" 2>&1 | grep -q "$2"; }

pod_rm() { timeout 60 "${PM[@]}" rm -f -t 0 "$1" >/dev/null 2>&1; return 0; }

pod_run_rm() {
	run "${PM[@]}" run --rm "$IMAGE" sh -c 'echo hello-compat; exit 3'
	want_rc 3 "podman run --rm (exit 3)"
	want_out hello-compat "podman run --rm"
	[ -z "$ERR" ] || die "podman run --rm wrote to stderr: $(got)"
}

pod_detached() {
	local n=pd-$$
	pod_start "$n"
	poll 10 pod_logs_have "$n" ready || die "the container did not start its loop: $(pod_inspect "$n" '{{.State.Status}}')"
	run "${PM[@]}" exec "$n" sh -c 'echo from-exec; exit 4'
	want_rc 4 "podman exec (exit 4)"
	want_out from-exec "podman exec"
	run "${PM[@]}" exec --user 1000 --workdir /tmp -e FOO=bar "$n" sh -c 'echo $(id -u) $(pwd) $FOO'
	want_rc 0 "podman exec --user 1000 --workdir /tmp -e FOO=bar"
	[ "$OUT" = "1000 /tmp bar" ] || die "podman exec --user 1000 --workdir /tmp -e FOO=bar printed $(got), want 1000 /tmp bar"
	run "${PM[@]}" stop -t 10 "$n"
	want_rc 0 "podman stop"
	[ "$(pod_inspect "$n" '{{.State.Status}} {{.State.ExitCode}}')" = "exited 0" ] ||
		die "after podman stop: $(pod_inspect "$n" '{{.State.Status}} {{.State.ExitCode}}'), want exited 0 (SIGTERM trapped)"
	run "${PM[@]}" rm "$n"
	want_rc 0 "podman rm"
}

# pod_limit FLAGS... -- CONTROLLER FILE VALUE: the limit reaches the container's cgroup.
pod_limit() {
	local flags=() n=pl-$$ pid
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	pod_start "$n" "${flags[@]}"
	pid=$(pod_inspect "$n" '{{.State.Pid}}')
	( want_cgroup "$pid" "$1" "$2" "$3" "podman run ${flags[*]}" )
	local rc=$?
	pod_rm "$n"
	[ $rc = 0 ] || exit 1
}

pod_tty() {
	run "${PM[@]}" run --rm -t "$IMAGE" sh -c 'tty; exit 4'
	want_rc 4 "podman run --rm -t (exit 4)"
	want_out /dev/pts/ "podman run -t: tty(1) in the container"
}

pod_user() {
	run "${PM[@]}" run --rm --user 1000 "$IMAGE" sh -c 'echo $(id -u):$(id -g) $HOME'
	want_rc 0 "podman run --user 1000"
	[ "$OUT" = "1000:1000 /home/user" ] || die "podman run --user 1000: printed $(got), want 1000:1000 /home/user"
}

pod_read_only() {
	run "${PM[@]}" run --rm --read-only "$IMAGE" sh -c 'touch /x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-ok'
	want_rc 0 "podman run --read-only"
	want_out "Read-only file system" "podman run --read-only: touch /x"
	want_out tmp-ok "podman run --read-only: /tmp is a writable tmpfs"
}

pod_caps() {
	run "${PM[@]}" run --rm --cap-drop all --cap-add CAP_KILL "$IMAGE" grep ^Cap /proc/self/status
	want_rc 0 "podman run --cap-drop all --cap-add CAP_KILL"
	grep -q '^CapEff:[[:space:]]*0000000000000020$' <<<"$OUT" ||
		die "podman run --cap-drop all --cap-add CAP_KILL: CapEff is not 0000000000000020; $(got)"
	grep -q '^CapBnd:[[:space:]]*0000000000000020$' <<<"$OUT" ||
		die "podman run --cap-drop all --cap-add CAP_KILL: CapBnd is not 0000000000000020; $(got)"
}

pod_pause() {
	local n=pp-$$ pid f
	pod_start "$n"
	run "${PM[@]}" pause "$n"
	want_rc 0 "podman pause"
	pod_status_is "$n" paused || { pod_rm "$n"; die "after podman pause: $(pod_inspect "$n" '{{.State.Status}}'), want paused"; }
	pid=$(pod_inspect "$n" '{{.State.Pid}}')
	f=$(cgroup_file "$pid" freezer freezer.state)
	[ "$(cat "$f")" = FROZEN ] || { pod_rm "$n"; die "after podman pause $f is $(cat "$f" 2>&1), want FROZEN"; }
	run "${PM[@]}" unpause "$n"
	want_rc 0 "podman unpause"
	pod_status_is "$n" running || { pod_rm "$n"; die "after podman unpause: $(pod_inspect "$n" '{{.State.Status}}'), want running"; }
	pod_rm "$n"
}

pod_kill_usr1() {
	local n=pk-$$
	pod_start "$n"
	poll 10 pod_logs_have "$n" ready || { pod_rm "$n"; die "the container did not start its loop"; }
	run "${PM[@]}" kill -s USR1 "$n"
	want_rc 0 "podman kill -s USR1"
	poll 10 pod_logs_have "$n" got-usr1 || { pod_rm "$n"; die "no got-usr1 in the logs 10s after podman kill -s USR1"; }
	pod_status_is "$n" running || { pod_rm "$n"; die "after USR1: $(pod_inspect "$n" '{{.State.Status}}'), want running"; }
	run "${PM[@]}" kill "$n"
	want_rc 0 "podman kill (SIGKILL)"
	poll 10 pod_status_is "$n" exited || { pod_rm "$n"; die "not exited 10s after podman kill"; }
	[ "$(pod_inspect "$n" '{{.State.ExitCode}}')" = 137 ] || { pod_rm "$n"; die "exit code after podman kill: $(pod_inspect "$n" '{{.State.ExitCode}}'), want 137"; }
	pod_rm "$n"
}

# podman maps the runtime's error text to its exit codes: "executable file not found in $PATH"
# and "no such file or directory" give 127, "permission denied" 126.
pod_exit_missing() {
	run "${PM[@]}" run --rm "$IMAGE" nonexist-cmd
	want_rc 127 "podman run of a missing command"
	want_out 'exec: "nonexist-cmd": executable file not found in $PATH' "podman run of a missing command"
	want_out 'OCI runtime attempted to invoke a command that was not found' "podman run of a missing command"
	run "${PM[@]}" run --rm "$IMAGE" /nonexist/cmd
	want_rc 127 "podman run of a missing path"
	want_out 'no such file or directory' "podman run of a missing path"
}

pod_exit_noexec() {
	run "${PM[@]}" run --rm "$IMAGE" /bin/noexec
	want_rc 126 "podman run of a non-executable file"
	want_out 'exec: "/bin/noexec": permission denied' "podman run of a non-executable file"
	want_out 'OCI permission denied' "podman run of a non-executable file"
}

pod_top() {
	local n=pt-$$
	pod_start "$n"
	run "${PM[@]}" top "$n"
	pod_rm "$n"
	want_rc 0 "podman top"
	want_out "sleep 1" "podman top: the container's sleep"
}

pod_network_none() {
	run "${PM[@]}" run --rm --network none "$IMAGE" sh -c 'ls /sys/class/net'
	want_rc 0 "podman run --network none"
	[ "$OUT" = lo ] || die "podman run --network none: interfaces $(got), want only lo"
}

pod_network_host() {
	local host
	host=$(readlink /proc/self/ns/net)
	run "${PM[@]}" run --rm --network host "$IMAGE" readlink /proc/self/ns/net
	want_rc 0 "podman run --network host"
	[ "$OUT" = "$host" ] || die "podman run --network host: net namespace $(got), want the host's $host"
}

pod_volume() {
	local d=$WORK/podman/vol
	mkdir -p "$d" && echo from-host >"$d/in"
	run "${PM[@]}" run --rm -v "$d:/data" "$IMAGE" sh -c 'cat /data/in && echo from-container >/data/out'
	want_rc 0 "podman run -v $d:/data"
	want_out from-host "podman run -v: reading the host's file"
	[ "$(cat "$d/out" 2>&1)" = from-container ] || die "podman run -v: the host sees $(cat "$d/out" 2>&1), want from-container"
}

pod_exec_tty() {
	local n=pe-$$
	pod_start "$n"
	run "${PM[@]}" exec -t "$n" sh -c 'tty; exit 6'
	pod_rm "$n"
	want_rc 6 "podman exec -t (exit 6)"
	want_out /dev/pts/ "podman exec -t: tty(1)"
}

pod_stdin() {
	run sh -c "echo from-stdin | $(printf '%q ' "${PM[@]}") run --rm -i $IMAGE cat"
	want_rc 0 "podman run -i with a pipe"
	[ "$OUT" = from-stdin ] || die "podman run -i: cat printed $(got), want from-stdin"
}

pod_process_settings() {
	run "${PM[@]}" run --rm --env FOO=bar --workdir /tmp --hostname box-$$ --ulimit nofile=100:200 --ulimit nproc=4096:4096 \
		--security-opt no-new-privileges "$IMAGE" \
		sh -c 'echo "$FOO $(pwd) $(hostname) $(ulimit -Sn) $(ulimit -Hn) $(grep ^NoNewPrivs /proc/self/status | tr -d "\t ")"'
	want_rc 0 "podman run --env --workdir --hostname --ulimit --security-opt no-new-privileges"
	[ "$OUT" = "bar /tmp box-$$ 100 200 NoNewPrivs:1" ] ||
		die "podman run --env --workdir --hostname --ulimit --security-opt no-new-privileges: $(got), want \"bar /tmp box-$$ 100 200 NoNewPrivs:1\""
}

pod_privileged() {
	run "${PM[@]}" run --rm --privileged "$IMAGE" sh -c 'grep ^CapEff /proc/self/status; ls /dev/loop-control /dev/null'
	want_rc 0 "podman run --privileged"
	local full
	full=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
	want_out "$full" "podman run --privileged: CapEff as the host's ($full)"
}

pod_device() {
	run "${PM[@]}" run --rm --device /dev/null:/dev/xnull:rw "$IMAGE" sh -c 'ls -l /dev/xnull; echo x >/dev/xnull && echo written'
	want_rc 0 "podman run --device /dev/null:/dev/xnull"
	want_out written "podman run --device: writing to the device"
	want_out "1,   3" "podman run --device: the device numbers 1, 3"
}

pod_tmpfs_mounts() {
	run "${PM[@]}" run --rm --tmpfs /scratch:size=1m,mode=1777 "$IMAGE" sh -c 'grep " /scratch " /proc/mounts; touch /scratch/f && echo ok'
	want_rc 0 "podman run --tmpfs /scratch"
	want_out "tmpfs /scratch tmpfs" "podman run --tmpfs: the mount"
	want_out "size=1024k" "podman run --tmpfs: size=1m"
}

pod_cpus() {
	pod_limit --cpus 0.5 -- cpu cpu.cfs_quota_us 50000
}

pod_restart() {
	local n=pr-$$ p1 p2
	pod_start "$n"
	p1=$(pod_inspect "$n" '{{.State.Pid}}')
	run "${PM[@]}" restart -t 10 "$n"
	want_rc 0 "podman restart"
	p2=$(pod_inspect "$n" '{{.State.Pid}} {{.State.Status}}')
	pod_rm "$n"
	[ "${p2#* }" = running ] && [ "${p2% *}" != "$p1" ] || die "after podman restart: pid and status $p2 (was pid $p1)"
}

# the memory limit acts: a process allocating past it is OOM-killed (exit 137)
pod_oom() {
	# conmon writes a file named oom into its working directory when the container is
	# OOM-killed: keep it in the work dir, not the caller's.
	cd "$WORK" || die "cd $WORK"
	run "${PM[@]}" run --rm --memory 16m --memory-swap 16m "$IMAGE" sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived'
	[ "$RC" = 137 ] || die "podman run --memory 16m allocating 64MB: exit status $RC, want 137 (OOM-killed); $(got)"
}
