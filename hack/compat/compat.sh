#!/usr/bin/env bash
# compat.sh: engine scenarios (containerd, podman, Docker) run against an OCI runtime, plus
# direct runtime-vs-runc comparisons. One line per scenario (`PASS engine/name` or
# `FAIL engine/name: reason`), then `compat: N passed, M failed`; exits 1 when any failed.
#
#   RUNTIME    the runtime under test (default: ./runo of this checkout)
#   REFERENCE  the runtime the direct checks compare with (default: /usr/sbin/runc)
#   ENGINES    which parts run, in order (default: "direct containerd podman docker")
#   COMPAT_KEEP=1  keep the temporary directory (configs, daemon logs) for a look afterwards
#   COMPAT_LOGS    where each part's log of every command goes (default: hack/compat/logs)
#
# Every daemon gets its own root, state, socket and config under one temporary directory and is
# stopped by its pid at the end; nothing uses the system's default engine directories.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNTIME=${RUNTIME:-$REPO/runo}
REFERENCE=${REFERENCE:-/usr/sbin/runc}
ENGINES=${ENGINES:-direct containerd podman docker}
IMAGE=localhost/compat-busybox:latest
export COMPAT_IMAGE=$IMAGE
export PATH=/usr/local/sbin:/usr/sbin:/sbin:$PATH

source "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || { echo "compat: must run as root" >&2; exit 2; }
case $RUNTIME in /*) ;; *) RUNTIME=$(command -v "$RUNTIME" || echo "$PWD/$RUNTIME") ;; esac
[ -x "$RUNTIME" ] || { echo "compat: RUNTIME $RUNTIME is not an executable" >&2; exit 2; }
RT_NAME=$(basename "$RUNTIME")

# deps: Debian packages the scenarios use, installed when missing.
need=()
for pair in containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd podman:podman \
	conmon:conmon dockerd:docker.io jq:jq file:file script:bsdutils runc:runc; do
	command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
	echo "compat: installing ${need[*]} from Debian" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
		echo "compat: could not install ${need[*]}" >&2
fi

WORK=$(mktemp -d /tmp/runo-compat.XXXXXX)
chmod 0711 "$WORK"
LOG=$WORK/harness.log
LOGS=${COMPAT_LOGS:-$HERE/logs}
finish() {
	run_cleanups
	kill_by_path "$WORK" >>"$WORK/cleanup.log" 2>&1
	# mounts the engines left (shm, overlay, vfs bind mounts), innermost first
	awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	mkdir -p "$LOGS" && rm -f "$LOGS"/*.log && cp "$WORK"/*.log "$LOGS"/ 2>/dev/null
	if [ "${COMPAT_KEEP:-0}" = 1 ]; then
		echo "compat: kept $WORK" >&2
	else
		rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK"; }
	fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# Engines raise rlimits to what they think the host allows; this harness may run with lower hard
# limits than root usually has (no CAP_SYS_RESOURCE), which makes every runtime fail the same way.
NOFILE=$(ulimit -Hn)
echo "compat: runtime $RUNTIME ($("$RUNTIME" --version 2>&1 | head -1)), reference $REFERENCE, work dir $WORK" >&2

"$HERE/mkimage.sh" "$WORK/image" >>"$LOG" 2>&1 || { echo "compat: building the busybox image failed:"; tail -5 "$LOG"; exit 1; }

# the containerd that `ctr` and dockerd both use; started once, by whichever needs it first
CTD_PID=
CTD_SOCK=$WORK/ctd/containerd.sock
start_containerd() {
	[ -z "$CTD_PID" ] || { kill -0 "$CTD_PID" 2>/dev/null && return 0 || return 1; }
	mkdir -p "$WORK/ctd"
	cat >"$WORK/ctd/config.toml" <<-EOF
		version = 2
		root = "$WORK/ctd/root"
		state = "$WORK/ctd/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	containerd --config "$WORK/ctd/config.toml" >"$WORK/ctd/containerd.log" 2>&1 &
	CTD_PID=$!
	defer "stop_pid $CTD_PID"
	if ! poll 30 ctr -a "$CTD_SOCK" version; then
		CTD_ERR="containerd did not start: $(tail -3 "$WORK/ctd/containerd.log" | tr '\n' ' ')"
		return 1
	fi
}

t_all=$SECONDS
for engine in $ENGINES; do
	[ -f "$HERE/$engine.sh" ] || { fail_all "$engine" "no such engine (hack/compat/$engine.sh)" all; continue; }
	LOG=$WORK/$engine.log
	t0=$SECONDS
	source "$HERE/$engine.sh"
	"engine_$engine"
	echo "compat: $engine took $((SECONDS - t0))s" >&2
done
run_cleanups

if [ "$FAILED" -gt 0 ]; then
	echo "compat: failed: ${FAILURES[*]}" >&2
	echo "compat: logs of every command in $LOGS/<engine>.log" >&2
fi
echo "compat: $PASSED passed, $FAILED failed"
echo "compat: took $((SECONDS - t_all))s" >&2
[ "$FAILED" = 0 ]
