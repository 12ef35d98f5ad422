# Sourced by systemd.sh: the Debian image of the vm-systemd lane. The image is cached under a
# hash of this file and runo-vm.service, so edit here (not in systemd.sh) what goes into it.
SUITE=bookworm
# procps: runo ps runs ps(1), as runc does.
PACKAGES=systemd,systemd-sysv,dbus,busybox-static,procps

# build_image debootstraps Debian into a directory, sets it up to run runo-vm.service and
# power off, and makes it an ext4 image.
build_image() {
	[ -f "$IMAGE" ] && return 0
	local mirror root=$WORK/rootfs t0=$SECONDS
	mirror=$(apt_mirror "$SUITE") || cannot_start "no apt source for $SUITE in /etc/apt (debootstrap uses apt's mirror)"
	log "building the Debian $SUITE image with debootstrap (once; cached as $(basename "$IMAGE"))"
	if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" \
		>"$WORK/debootstrap.log" 2>&1; then
		tail -30 "$WORK/debootstrap.log" >&2
		[ -f "$root/debootstrap/debootstrap.log" ] && tail -30 "$root/debootstrap/debootstrap.log" >&2
		die "debootstrap failed"
	fi
	echo runo-vm >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 runo-vm\n' >"$root/etc/hosts"
	: >"$root/etc/fstab" # the initramfs mounts the root read-write; nothing else to mount
	# A fixed machine-id: no first-boot logic; the image is never booted for keeps.
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/etc/machine-id"
	echo >>"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
	# No logins (the console is for logs, ttyS1 for the report), no periodic jobs.
	local u
	for u in getty.target serial-getty@ttyS0.service serial-getty@ttyS1.service \
		apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
		fstrim.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	install -m 0644 "$VM_DIR/runo-vm.service" "$root/etc/systemd/system/runo-vm.service"
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/runo-vm.service "$root/etc/systemd/system/multi-user.target.wants/runo-vm.service"
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	prune "$CACHE/debian-$SUITE-systemd-*" ""
	mkfs.ext4 -q -F -L runo-vm -d "$root" "$IMAGE.tmp" 2G || die "mkfs.ext4 -d failed"
	mv "$IMAGE.tmp" "$IMAGE"
	rm -rf "$root"
	log "image built in $((SECONDS - t0))s"
}
