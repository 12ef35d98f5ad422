#!/bin/sh
# Runs inside the vm-systemd guest (started by runo-vm.service, systemd is PID 1): the
# integration suite as is, then smoke-systemd.sh (runo --systemd-cgroup). Reports on the second
# serial port (/dev/ttyS1), which the host reads:
#   RUNO-VM-INFO ...        facts about the guest
#   (go test -v output, then the smoke test's lines)
#   RUNO-VM-SMOKE <status>  the smoke test's status
#   RUNO-VM-EXIT <status>   the suite's status; systemd powers the VM off right after.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
report() { echo "$*" >&3; }

report "RUNO-VM-INFO kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
report "RUNO-VM-INFO pid 1: $(cat /proc/1/comm), $(systemctl --version | head -1)"
report "RUNO-VM-INFO system state: $(systemctl is-system-running 2>&1)"
report "RUNO-VM-INFO cgroup mounts: $(awk '$3 ~ /^cgroup/ {printf "%s %s; ", $2, $3}' /proc/mounts)"
report "RUNO-VM-INFO root cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>&1)"
report "RUNO-VM-INFO suite's cgroup: $(cat /proc/self/cgroup)"
report "RUNO-VM-INFO overlay: $(grep -c overlay /proc/filesystems)"

cd "$dir" # as go test does: the package's directory, with testdata/
RUNO_BINARY=$dir/runo RUNO_PROBE=$dir/probe HOME=/root TMPDIR=/tmp \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	"$dir/integration.test" -test.v -test.count=1 $(cat "$dir/testflags" 2>/dev/null) >&3 2>&3
rc=$?

smoke=0
if [ ! -e "$dir/skip-smoke" ]; then
	"$dir/smoke-systemd.sh" "$dir/runo" >&3 2>&3 || smoke=$?
fi
report "RUNO-VM-SMOKE $smoke"
report "RUNO-VM-EXIT $rc"
# Closing the last fd of /dev/ttyS1 waits until the UART has sent everything.
exec 3>&-
sync
exit 0
