#!/bin/sh
# /init of the vm-systemd lane's initramfs (busybox sh, PID 1): the cloud kernel has virtio and
# overlayfs as modules, so load them, mount the root disk and hand over to systemd. overlay is
# loaded here because the Debian image carries no modules of its own.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
while read -r m; do
	insmod "/lib/modules/$m" || echo "initramfs: insmod $m failed"
done </lib/modules/order

root=/dev/vda
for arg in $(cat /proc/cmdline); do
	case $arg in root=*) root=${arg#root=} ;; esac
done
i=0
while [ ! -b "$root" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if ! mount -t ext4 -o rw "$root" /newroot; then
	echo "initramfs: cannot mount $root"
	poweroff -f
fi
umount /proc /sys
# Our stdio holds /dev (the console): move it along; systemd then finds it mounted.
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
