#!/usr/bin/env bash
# make vm-systemd: the integration suite in a Debian 12 VM with systemd as PID 1 (cgroup v2,
# systemd's own tree), plus smoke-systemd.sh: runo --systemd-cgroup against that systemd.
#
# The root disk is a debootstrap'd Debian (minbase + systemd, dbus, busybox-static) made into
# an ext4 image with mkfs.ext4 -d (no loop mounts), cached; the VM writes to a throw-away
# snapshot of it. runo, the probe, the test binary and the guest scripts travel per run on a
# second disk, a plain tar (/dev/vdb). The kernel is Debian's cloud kernel with an initramfs
# of ours that loads virtio_blk and overlay (modules in that kernel) and switch_roots.
#
# Pass/fail: the suite's result. The smoke test gates only with RUNO_VM_SYSTEMD_STRICT=1 (runo's
# systemd driver is not written yet); otherwise its failure is reported and ignored.
# Knobs: RUNO_VM_TESTFLAGS (extra go test flags), RUNO_VM_SKIP_SMOKE=1, and lib.sh's.
LANE=systemd
. "$(dirname "$0")/lib.sh"

MODULES=(virtio_pci virtio_blk overlay)
. "$VM_DIR/image-systemd.sh"
start=$(date +%s)

common_preflight
need_tools debootstrap:debootstrap mkfs.ext4:e2fsprogs tar:tar
fetch_kernel

KEY_EXTRA="$(cat "$KDIR/package") ${MODULES[*]}"
initrd_key=$(hash_of "$VM_DIR/init-systemd.sh" "$VM_DIR/lib.sh" /usr/bin/busybox)
INITRD=$CACHE/initrd-systemd-$initrd_key.cpio.gz
KEY_EXTRA=
image_key=$(hash_of "$VM_DIR/image-systemd.sh" "$VM_DIR/runo-vm.service")
IMAGE=$CACHE/debian-$SUITE-systemd-$image_key.img

build_initrd() {
	[ -f "$INITRD" ] && return 0
	log "building the initramfs"
	local tree=$WORK/initrd
	busybox_tree "$tree"
	copy_modules "$tree/usr/lib/modules" "${MODULES[@]}"
	install -m 0755 "$VM_DIR/init-systemd.sh" "$tree/init"
	prune "$CACHE/initrd-systemd-*" ""
	cpio_gz "$tree" "$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$tree"
}

with_cache_lock build_initrd
with_cache_lock build_image
[ -f "$IMAGE" ] || exit 0 # build_image skipped the lane (cannot_start) in its subshell

bins=$WORK/bins
build_test_binaries "$bins"
install -m 0755 "$VM_DIR/guest-systemd.sh" "$VM_DIR/smoke-systemd.sh" "$bins/"
printf '%s\n' "-test.timeout=$SUITE_TIMEOUT ${RUNO_VM_TESTFLAGS:-}" >"$bins/testflags"
[ "${RUNO_VM_SKIP_SMOKE:-0}" = 1 ] && touch "$bins/skip-smoke"
tar -C "$bins" -cf "$WORK/bins.tar" .

console=$WORK/console.log results=$WORK/results.log
log "booting Debian $SUITE with systemd on $(cat "$KDIR/package") (TCG, ${VM_SMP} cpus, ${VM_MEM} MiB, timeout ${TIMEOUT}s); suite output follows"
qrc=0
run_qemu "$TIMEOUT" "$console" "$results" \
	-kernel "$KDIR/vmlinuz" -initrd "$INITRD" \
	-append "console=ttyS0 root=/dev/vda panic=-1 quiet systemd.show_status=0 systemd.unified_cgroup_hierarchy=1" \
	-drive "file=$IMAGE,format=raw,if=virtio,snapshot=on" \
	-drive "file=$WORK/bins.tar,format=raw,if=virtio,readonly=on" || qrc=$?
keep_logs "$console" "$results"

rc=$(marker EXIT "$results")
smoke=$(marker SMOKE "$results")
log "wall time $(($(date +%s) - start))s"
if [ -z "$rc" ]; then
	summarize "$results"
	no_report "$qrc" "$console"
	exit 1
fi
summarize "$results"
status=0
if [ "$rc" != 0 ]; then
	log "FAIL: the integration suite failed under systemd (exit $rc)"
	status=1
else
	log "PASS: the integration suite passed under systemd"
fi
if [ "${RUNO_VM_SKIP_SMOKE:-0}" = 1 ]; then
	log "smoke test (runo --systemd-cgroup) skipped: RUNO_VM_SKIP_SMOKE=1"
elif [ "$smoke" = 0 ]; then
	log "PASS: smoke test, runo --systemd-cgroup with systemd as PID 1"
elif [ "${RUNO_VM_SYSTEMD_STRICT:-0}" = 1 ]; then
	log "FAIL: smoke test, runo --systemd-cgroup (status ${smoke:-none}; RUNO_VM_SYSTEMD_STRICT=1 makes it count)"
	status=1
else
	log "KNOWN FAILURE (not gating): smoke test, runo --systemd-cgroup (status ${smoke:-none}): see the SMOKE lines above"
	log "  runo's systemd cgroup driver is not written yet; set RUNO_VM_SYSTEMD_STRICT=1 to make this count"
fi
exit "$status"
