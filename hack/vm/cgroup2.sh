#!/usr/bin/env bash
# make vm-cgroup2: the integration suite in a VM with a pure cgroup v2 host (cgroup_no_v1=all),
# booted from Debian's cloud kernel and an initramfs of our own (busybox, init-cgroup2.sh).
# Needs root, and ./runo and ./integration/probe.bin built (make runo probe).
#
# RUNO_VM_TESTFLAGS passes extra go test flags into the guest, e.g. -test.run=TestOverlay.
LANE=cgroup2
. "$(dirname "$0")/lib.sh"

MODULES=(overlay)
start=$(date +%s)

common_preflight
fetch_kernel

# The base initramfs (busybox, /init, modules) is cached; the binaries under test are a second,
# uncompressed cpio appended per run (the kernel unpacks concatenated archives in order).
KEY_EXTRA="$(cat "$KDIR/package") ${MODULES[*]}" base_key=$(hash_of "$VM_DIR/init-cgroup2.sh" "$VM_DIR/lib.sh" "$VM_DIR/cgroup2.sh" /usr/bin/busybox)
BASE=$CACHE/initrd-cgroup2-$base_key.cpio.gz

build_base() {
	[ -f "$BASE" ] && return 0
	log "building the base initramfs"
	local tree=$WORK/base
	busybox_tree "$tree"
	copy_modules "$tree/usr/lib/modules" "${MODULES[@]}"
	install -m 0755 "$VM_DIR/init-cgroup2.sh" "$tree/init"
	prune "$CACHE/initrd-cgroup2-*" ""
	cpio_gz "$tree" "$BASE.tmp"
	mv "$BASE.tmp" "$BASE"
	rm -rf "$tree"
}
with_cache_lock build_base

bins=$WORK/bins/opt/runo-vm
build_test_binaries "$bins"
printf '%s\n' "-test.timeout=$SUITE_TIMEOUT ${RUNO_VM_TESTFLAGS:-}" >"$bins/testflags"
(cd "$WORK/bins" && find . -mindepth 1 -print0 | cpio --null -o -H newc --owner 0:0 --quiet) >"$WORK/bins.cpio"
# An uncompressed archive must start 4-byte aligned; the kernel skips the zeros in between.
cp "$BASE" "$WORK/initrd"
truncate -s %512 "$WORK/initrd"
cat "$WORK/bins.cpio" >>"$WORK/initrd"

console=$WORK/console.log results=$WORK/results.log
log "booting $(cat "$KDIR/package") (TCG, ${VM_SMP} cpus, ${VM_MEM} MiB, timeout ${TIMEOUT}s); suite output follows"
qrc=0
run_qemu "$TIMEOUT" "$console" "$results" \
	-kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd" \
	-append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet" || qrc=$?
keep_logs "$console" "$results"

rc=$(marker EXIT "$results")
log "wall time $(($(date +%s) - start))s"
if [ -z "$rc" ]; then
	summarize "$results"
	no_report "$qrc" "$console"
	exit 1
fi
summarize "$results"
if [ "$rc" != 0 ]; then
	log "FAIL: the integration suite failed on cgroup v2 (exit $rc)"
	exit 1
fi
log "PASS: the integration suite passed on cgroup v2"
