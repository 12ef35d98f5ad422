#!/bin/sh
# /init of the vm-cgroup2 lane's initramfs (busybox sh, PID 1). Runs the integration suite on a
# pure cgroup v2 host (the kernel is booted with cgroup_no_v1=all) and reports on the second
# serial port (/dev/ttyS1), which the host reads:
#   RUNO-VM-INFO ...       facts about the guest
#   (go test -v output)
#   RUNO-VM-EXIT <status>  the suite's exit status; the VM powers off right after.
#
# Stage 1 runs on the initramfs' rootfs, where pivot_root(2) fails (EINVAL: rootfs cannot be
# pivoted away), and runo pivots into every container's root: so it copies the tree to a tmpfs
# and switch_roots into it, running this script again as stage 2.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

if [ "$1" != stage2 ]; then
	mount -t devtmpfs dev /dev
	exec </dev/console >/dev/console 2>&1
	mount -t tmpfs -o mode=0755 root /newroot
	for f in /*; do
		case $f in /newroot | /dev | /proc | /sys) mkdir -p "/newroot$f" ;; *) cp -a "$f" /newroot/ ;; esac
	done
	mount --move /dev /newroot/dev # our stdio holds it: take it along
	exec switch_root /newroot /init stage2
	echo "switch_root failed"
	poweroff -f
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -c /dev/null ] || mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
hostname runo-vm
[ -f /lib/modules/order ] && while read -r m; do insmod "/lib/modules/$m" || echo "insmod $m failed"; done </lib/modules/order

report() { echo "$*" >/dev/ttyS1; }
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || report "RUNO-VM-INFO cannot enable controller $c"
done
stty -F /dev/ttyS1 raw -echo 2>/dev/null

report "RUNO-VM-INFO kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
report "RUNO-VM-INFO cgroup mounts: $(awk '$3 ~ /^cgroup/ {printf "%s %s; ", $2, $3}' /proc/mounts)"
report "RUNO-VM-INFO root cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
report "RUNO-VM-INFO root cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
report "RUNO-VM-INFO filesystems: $(grep -c . /proc/filesystems), overlay: $(grep -c overlay /proc/filesystems)"

cd /opt/runo-vm # as go test does: the package's directory, with testdata/
RUNO_BINARY=/opt/runo-vm/runo RUNO_PROBE=/opt/runo-vm/probe HOME=/root TMPDIR=/tmp \
	/opt/runo-vm/integration.test -test.v -test.count=1 $(cat /opt/runo-vm/testflags 2>/dev/null) \
	>/dev/ttyS1 2>&1
rc=$?
report "RUNO-VM-EXIT $rc"
sync
# The last close of /dev/ttyS1 above waited for the UART to drain; give qemu a moment anyway.
sleep 1
poweroff -f
