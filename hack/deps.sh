#!/usr/bin/env bash
# Installs, from Debian's packages, what `make demo`, `make test` and `make bench` use and what a
# fresh machine lacks. Only missing commands trigger an install.
set -euo pipefail

need=()
command -v busybox >/dev/null || [ -x /bin/busybox ] || need+=(busybox-static)
command -v file >/dev/null || need+=(file)
if [ "${RUNO_BENCH_DEPS:-0}" = 1 ] || [ "${CI:-}" = true ]; then
	command -v runc >/dev/null || need+=(runc)
	command -v crun >/dev/null || need+=(crun)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
	exit 1
fi
echo "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
