# docker.sh: dockerd (Debian's docker.io) with the runtime registered as "runo" in daemon.json's
# "runtimes", its own data root, exec root, pid file and unix socket under the work directory, vfs
# storage, no bridge and no iptables, on the containerd that compat.sh started (namespace
# compat-moby). Sourced by compat.sh.

DK_SCENARIOS=(run-rm detached-exec-stop memory pids-limit pause stats top tty update exec-tty restart kill
	read-only)

engine_docker() {
	if ! command -v dockerd >/dev/null; then
		fail_all docker "dockerd is not installed (apt-get install docker.io)" "${DK_SCENARIOS[@]}"
		return
	fi
	if ! start_containerd; then
		fail_all docker "$CTD_ERR" "${DK_SCENARIOS[@]}"
		return
	fi
	local D=$WORK/docker
	mkdir -p "$D"/{data,exec,cli}
	cat >"$D/daemon.json" <<-EOF
		{
		  "runtimes": { "runo": { "path": "$RUNTIME" } },
		  "storage-driver": "vfs",
		  "bridge": "none",
		  "iptables": false,
		  "ip6tables": false,
		  "ip-forward": false,
		  "ip-masq": false,
		  "userland-proxy": false,
		  "exec-opts": ["native.cgroupdriver=cgroupfs"],
		  "cgroup-parent": "/compat-moby",
		  "containerd": "$CTD_SOCK",
		  "containerd-namespace": "compat-moby",
		  "containerd-plugins-namespace": "compat-moby-plugins"
		}
	EOF
	DK_SOCK=$D/docker.sock
	# Debian's client; a newer one elsewhere in PATH negotiates the API version down anyway
	local client=/usr/bin/docker
	[ -x "$client" ] || client=docker
	DK=(env DOCKER_CONFIG="$D/cli" "$client" -H "unix://$DK_SOCK")
	dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
		--pidfile "$D/docker.pid" -H "unix://$DK_SOCK" >"$D/dockerd.log" 2>&1 &
	DK_PID=$!
	defer "rm_cgroups compat-moby"
	defer "stop_pid $DK_PID"
	defer "dk_cleanup"
	if ! poll 60 "${DK[@]}" version; then
		fail_all docker "dockerd did not start: $(grep -m3 -iE 'level=(error|fatal)|failed' "$D/dockerd.log" | tr '\n' ' ')" "${DK_SCENARIOS[@]}"
		return
	fi
	local out
	if ! out=$(timeout 120 "${DK[@]}" load -i "$WORK/image/image.tar" 2>&1); then
		fail_all docker "docker load: $out" "${DK_SCENARIOS[@]}"
		return
	fi
	scenario docker/run-rm dk_run_rm
	scenario docker/detached-exec-stop dk_detached
	scenario docker/memory dk_limit -m 64m -- memory memory.limit_in_bytes 67108864
	scenario docker/pids-limit dk_limit --pids-limit 20 -- pids pids.max 20
	scenario docker/pause dk_pause
	scenario docker/stats dk_stats
	scenario docker/top dk_top
	scenario docker/tty dk_tty
	scenario docker/update dk_update
	scenario docker/exec-tty dk_exec_tty
	scenario docker/restart dk_restart
	scenario docker/kill dk_kill
	scenario docker/read-only dk_read_only
}

dk_cleanup() {
	local ids
	ids=$(timeout 30 "${DK[@]}" ps -aq 2>/dev/null)
	[ -z "$ids" ] || timeout 60 "${DK[@]}" rm -f $ids
}

DK_RUN=(run --runtime runo --network none)
DK_LOOP='trap "exit 0" TERM; echo ready; while :; do sleep 1 & wait; done'

dk_start() { # dk_start NAME [RUN-FLAGS...]
	local n=$1
	shift
	must "${DK[@]}" "${DK_RUN[@]}" -d --name "$n" "$@" "$IMAGE" sh -c "$DK_LOOP"
}

dk_inspect() { timeout 30 "${DK[@]}" inspect -f "$2" "$1" 2>&1; }
dk_rm() { timeout 60 "${DK[@]}" rm -f "$1" >/dev/null 2>&1; return 0; }

dk_run_rm() {
	run "${DK[@]}" "${DK_RUN[@]}" --rm "$IMAGE" sh -c 'echo hello-compat; exit 3'
	want_rc 3 "docker run --rm (exit 3)"
	want_out hello-compat "docker run --rm"
	# the exit code must come from the runtime under test: docker inspect of a kept container
	run "${DK[@]}" "${DK_RUN[@]}" --name dr-$$ "$IMAGE" sh -c 'exit 5'
	want_rc 5 "docker run (exit 5)"
	[ "$(dk_inspect dr-$$ '{{.HostConfig.Runtime}} {{.State.ExitCode}}')" = "runo 5" ] ||
		die "docker inspect: $(dk_inspect dr-$$ '{{.HostConfig.Runtime}} {{.State.ExitCode}}'), want runo 5"
	dk_rm dr-$$
}

dk_detached() {
	local n=dd-$$
	dk_start "$n"
	run "${DK[@]}" exec "$n" sh -c 'echo from-exec; exit 4'
	want_rc 4 "docker exec (exit 4)"
	want_out from-exec "docker exec"
	run "${DK[@]}" exec -u 1000 "$n" id -u
	[ "$RC" = 0 ] && [ "$OUT" = 1000 ] || die "docker exec -u 1000 id -u: $(got)"
	run "${DK[@]}" exec "$n" nonexist-cmd
	[ "$RC" = 126 ] || die "docker exec of a missing command: exit status $RC, want 126 (docker 20.10 gives 126 for any exec start error); $(got)"
	want_out 'executable file not found in $PATH' "docker exec of a missing command"
	run "${DK[@]}" stop -t 10 "$n"
	want_rc 0 "docker stop"
	[ "$(dk_inspect "$n" '{{.State.Status}} {{.State.ExitCode}}')" = "exited 0" ] ||
		die "after docker stop: $(dk_inspect "$n" '{{.State.Status}} {{.State.ExitCode}}'), want exited 0"
	run "${DK[@]}" rm "$n"
	want_rc 0 "docker rm"
}

dk_limit() { # dk_limit FLAGS... -- CONTROLLER FILE VALUE
	local flags=() n=dl-$$ pid
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	dk_start "$n" "${flags[@]}"
	pid=$(dk_inspect "$n" '{{.State.Pid}}')
	( want_cgroup "$pid" "$1" "$2" "$3" "docker run ${flags[*]}" )
	local rc=$?
	dk_rm "$n"
	[ $rc = 0 ] || exit 1
}

dk_pause() {
	local n=dp-$$
	dk_start "$n"
	run "${DK[@]}" pause "$n"
	want_rc 0 "docker pause"
	[ "$(dk_inspect "$n" '{{.State.Status}}')" = paused ] || { dk_rm "$n"; die "after docker pause: $(dk_inspect "$n" '{{.State.Status}}'), want paused"; }
	run "${DK[@]}" unpause "$n"
	want_rc 0 "docker unpause"
	[ "$(dk_inspect "$n" '{{.State.Status}}')" = running ] || { dk_rm "$n"; die "after docker unpause: $(dk_inspect "$n" '{{.State.Status}}'), want running"; }
	dk_rm "$n"
}

dk_stats() {
	local n=ds-$$
	dk_start "$n" -m 64m
	run "${DK[@]}" stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' "$n"
	dk_rm "$n"
	want_rc 0 "docker stats --no-stream"
	[[ $OUT =~ ^[1-9][0-9]*\ [0-9.]+[KMG]i?B\ /\ 64MiB$ ]] ||
		die "docker stats --no-stream: want \"PIDS USAGE / 64MiB\" with PIDS >= 1; $(got)"
}

dk_top() {
	local n=dt-$$
	dk_start "$n"
	run "${DK[@]}" top "$n"
	dk_rm "$n"
	want_rc 0 "docker top"
	want_out "sleep 1" "docker top: the container's sleep"
}

dk_tty() {
	run "${DK[@]}" "${DK_RUN[@]}" --rm -t "$IMAGE" sh -c 'tty; exit 4'
	want_rc 4 "docker run --rm -t (exit 4)"
	want_out /dev/pts/ "docker run -t: tty(1) in the container"
}

# docker update reaches the runtime through containerd's shim as `update --resources -`
dk_update() {
	local n=du-$$ pid
	dk_start "$n" -m 64m --pids-limit 20
	run "${DK[@]}" update -m 128m --memory-swap 256m --pids-limit 30 --cpus 0.5 "$n"
	[ "$RC" = 0 ] || { dk_rm "$n"; die "docker update -m 128m --pids-limit 30 --cpus 0.5: $(got)"; }
	pid=$(dk_inspect "$n" '{{.State.Pid}}')
	(
		want_cgroup "$pid" memory memory.limit_in_bytes 134217728 "docker update -m 128m"
		want_cgroup "$pid" pids pids.max 30 "docker update --pids-limit 30"
		want_cgroup "$pid" cpu cpu.cfs_quota_us 50000 "docker update --cpus 0.5"
	)
	local rc=$?
	dk_rm "$n"
	[ $rc = 0 ] || exit 1
}

dk_exec_tty() {
	local n=de-$$
	dk_start "$n"
	run "${DK[@]}" exec -t "$n" sh -c 'tty; exit 6'
	dk_rm "$n"
	want_rc 6 "docker exec -t (exit 6)"
	want_out /dev/pts/ "docker exec -t: tty(1)"
}

dk_restart() {
	local n=dr-$$ p1 p2
	dk_start "$n"
	p1=$(dk_inspect "$n" '{{.State.Pid}}')
	run "${DK[@]}" restart -t 10 "$n"
	want_rc 0 "docker restart"
	p2=$(dk_inspect "$n" '{{.State.Pid}} {{.State.Status}}')
	dk_rm "$n"
	[ "${p2#* }" = running ] && [ "${p2% *}" != "$p1" ] || die "after docker restart: pid and status $p2 (was pid $p1)"
}

dk_kill() {
	local n=dk-$$
	must "${DK[@]}" "${DK_RUN[@]}" -d --name "$n" "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 1 & wait; done'
	poll 10 sh -c "$(printf '%q ' "${DK[@]}") logs $n | grep -q ready"
	run "${DK[@]}" kill -s USR1 "$n"
	want_rc 0 "docker kill -s USR1"
	poll 10 sh -c "$(printf '%q ' "${DK[@]}") logs $n | grep -q got-usr1" || { dk_rm "$n"; die "no got-usr1 in the logs 10s after docker kill -s USR1"; }
	run "${DK[@]}" kill "$n"
	want_rc 0 "docker kill"
	poll 10 sh -c "[ \"\$($(printf '%q ' "${DK[@]}") inspect -f '{{.State.Status}} {{.State.ExitCode}}' $n)\" = 'exited 137' ]" ||
		{ dk_rm "$n"; die "after docker kill: $(dk_inspect "$n" '{{.State.Status}} {{.State.ExitCode}}'), want exited 137"; }
	dk_rm "$n"
}

dk_read_only() {
	run "${DK[@]}" "${DK_RUN[@]}" --rm --read-only --user 1000 --cap-drop ALL "$IMAGE" \
		sh -c 'touch /x 2>&1; id -u; grep ^CapEff /proc/self/status'
	want_rc 0 "docker run --read-only --user 1000 --cap-drop ALL"
	want_out "Read-only file system" "docker run --read-only: touch /x"
	want_out 1000 "docker run --user 1000"
	grep -q '^CapEff:[[:space:]]*0000000000000000$' <<<"$OUT" || die "docker run --cap-drop ALL: CapEff not 0; $(got)"
}
