#!/usr/bin/env bash
# Installs, from Debian's packages, what `make demo` and `make test` use and a fresh machine
# lacks: a static busybox for the containers' root filesystem, and file(1) for the build's
# static-link check. `make bench` also wants runc and crun to compare with (RUNO_BENCH_DEPS=1).
set -euo pipefail

need=()
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v file >/dev/null || need+=(file)
if [ "${RUNO_BENCH_DEPS:-0}" = 1 ]; then
	command -v runc >/dev/null || need+=(runc)
	command -v crun >/dev/null || need+=(crun)
	command -v hyperfine >/dev/null || true
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing packages: ${need[*]}; run as root or: apt-get install ${need[*]}" >&2
	exit 1
fi
echo "installing ${need[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
