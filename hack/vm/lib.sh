# Shared by the VM lanes (cgroup2.sh, systemd.sh): sourced, never run. Host side only.
#
# Everything built here is cached under $RUNO_VM_CACHE (default ~/.cache/runo-vm), keyed by a
# hash of its inputs (scripts, package versions), so a second run on the same machine re-uses
# the kernel, initramfs and disk image, and a changed script rebuilds them. runo, the probe and
# the test binary are not cached: they travel into the VM fresh on every run.
#
# Variables a lane sets before sourcing: LANE (its name, for messages).
# Knobs: RUNO_VM_CACHE, RUNO_VM_TIMEOUT (seconds for the whole VM run, default 480),
# RUNO_VM_SUITE_TIMEOUT (go test -test.timeout in the guest, default 6m), RUNO_VM_MEM (MiB),
# RUNO_VM_SMP, RUNO_VM_KERNEL_PKG (default linux-image-cloud-amd64), GO.

set -euo pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
CACHE=${RUNO_VM_CACHE:-$HOME/.cache/runo-vm}
GO=${GO:-go}
KERNEL_PKG=${RUNO_VM_KERNEL_PKG:-linux-image-cloud-amd64}
VM_MEM=${RUNO_VM_MEM:-2048}
VM_SMP=${RUNO_VM_SMP:-2}
# The suite's own timeout (go test -test.timeout) and the VM's: a normal run takes 1-2 minutes
# under TCG, and both lanes must fit in CI's 30 minutes with everything else, hung or not.
SUITE_TIMEOUT=${RUNO_VM_SUITE_TIMEOUT:-6m}
TIMEOUT=${RUNO_VM_TIMEOUT:-480}
export CGO_ENABLED=0

log() { echo "[vm-$LANE] $*" >&2; }
die() { log "error: $*"; exit 1; }

# cannot_start is for a lane that could not even boot its VM (no qemu, no kernel, no root):
# under CI (CI=true) the lane should have run, so that fails; elsewhere it is a skip.
cannot_start() {
	if [ "${CI:-}" = true ]; then
		log "FAIL: cannot start the VM: $*"
		exit 1
	fi
	log "SKIP: cannot start the VM: $*"
	log "(this is a failure when CI=true)"
	exit 0
}

# The lane's scratch directory: removed on exit, with any qemu still running in it.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/runo-vm-$LANE.XXXXXX")
QEMU_PID=
cleanup() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	apt-get update -qq >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log" >&2; return 1; }
	apt_updated=1
}

# need_tools CMD:PACKAGE... installs the packages of the missing commands from Debian.
need_tools() {
	local missing=() pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		cannot_start "missing ${missing[*]} and not root to install them (apt-get install ${missing[*]})"
	fi
	if ! command -v apt-get >/dev/null; then
		cannot_start "missing ${missing[*]} and no apt-get"
	fi
	log "installing ${missing[*]} from Debian"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt_update_once || ! apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>"$WORK/apt-install.log" 2>&1; then
		tail -20 "$WORK/apt-install.log" >&2 2>/dev/null || true
		cannot_start "apt-get install ${missing[*]} failed"
	fi
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] ||
			cannot_start "${pair%%:*} still missing after installing ${pair#*:}"
	done
}

# common_preflight checks what every lane needs on the host.
common_preflight() {
	[ "$(id -u)" = 0 ] || cannot_start "the lanes build images and run the suite as root; run as root"
	[ -x "$REPO/runo" ] || die "no $REPO/runo: run make runo probe first"
	[ -f "$REPO/integration/probe.bin" ] || die "no $REPO/integration/probe.bin: run make probe first"
	need_tools qemu-system-x86_64:qemu-system-x86 cpio:cpio gzip:gzip dpkg-deb:dpkg flock:util-linux
	[ -x /usr/bin/busybox ] || need_tools busybox:busybox-static
	file -L /usr/bin/busybox 2>/dev/null | grep 'statically linked' >/dev/null ||
		need_tools busybox:busybox-static
	mkdir -p "$CACHE"
}

# hash_of FILE... prints a short hash of the files' contents and of any extra strings in $KEY_EXTRA.
hash_of() {
	{ cat "$@"; printf '%s\n' "${KEY_EXTRA:-}"; } | sha256sum | cut -c1-16
}

# with_cache_lock CMD... runs CMD holding the cache lock, so two runs do not build at once.
with_cache_lock() {
	(
		flock 9
		"$@"
	) 9>"$CACHE/.lock"
}

# prune PATTERN KEEP removes the cache entries matching PATTERN except KEEP.
prune() {
	local f
	for f in $1; do
		[ -e "$f" ] && [ "$f" != "$2" ] && rm -rf "$f"
	done
	return 0
}

# fetch_kernel sets KDIR to a cache directory with vmlinuz, config, version and the kernel's
# modules tree (modules/<release>/kernel/...), from the Debian package $KERNEL_PKG.
fetch_kernel() {
	local ver
	ver=$(apt-cache show --no-all-versions "$KERNEL_PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	if [ -z "$ver" ]; then
		apt_update_once || cannot_start "apt-get update failed (needed to find $KERNEL_PKG)"
		ver=$(apt-cache show --no-all-versions "$KERNEL_PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	fi
	if [ -z "$ver" ]; then
		# Offline: use whatever kernel is already cached.
		KDIR=$(ls -d "$CACHE"/kernel-*/ 2>/dev/null | head -1)
		[ -n "$KDIR" ] || cannot_start "cannot find package $KERNEL_PKG in apt and no kernel cached"
		KDIR=${KDIR%/}
		return 0
	fi
	KDIR=$CACHE/kernel-$KERNEL_PKG-$ver
	[ -f "$KDIR/vmlinuz" ] && return 0
	with_cache_lock fetch_kernel_locked "$ver"
	[ -f "$KDIR/vmlinuz" ] || exit 0 # skipped (cannot_start) in the locked subshell
}

fetch_kernel_locked() {
	local ver=$1 dl dep deb
	[ -f "$KDIR/vmlinuz" ] && return 0
	log "fetching kernel $KERNEL_PKG $ver"
	dl=$WORK/kernel-dl
	mkdir -p "$dl"
	chmod 0777 "$dl" # apt-get download drops to the _apt user when it can
	# The metapackage depends on the versioned image package, which holds the kernel.
	dep=$(apt-cache depends "$KERNEL_PKG=$ver" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
	[ -n "$dep" ] || dep=$KERNEL_PKG
	(cd "$dl" && apt-get download "$dep" >"$WORK/apt-download.log" 2>&1) || {
		cat "$WORK/apt-download.log" >&2
		cannot_start "apt-get download $dep failed"
	}
	deb=$(ls "$dl"/*.deb | head -1)
	mkdir -p "$dl/x"
	dpkg-deb -x "$deb" "$dl/x"
	prune "$CACHE/kernel-$KERNEL_PKG-*" ""
	mkdir -p "$KDIR.tmp"
	cp "$dl"/x/boot/vmlinuz-* "$KDIR.tmp/vmlinuz"
	cp "$dl"/x/boot/config-* "$KDIR.tmp/config"
	basename "$(ls -d "$dl"/x/lib/modules/*/ 2>/dev/null || ls -d "$dl"/x/usr/lib/modules/*/)" >"$KDIR.tmp/version"
	mkdir -p "$KDIR.tmp/modules"
	mv "$dl"/x/lib/modules/* "$KDIR.tmp/modules/" 2>/dev/null || mv "$dl"/x/usr/lib/modules/* "$KDIR.tmp/modules/"
	echo "$dep $ver" >"$KDIR.tmp/package"
	mv "$KDIR.tmp" "$KDIR"
	rm -rf "$dl"
}

# copy_modules DEST NAME... copies the named modules and their dependencies (read from each
# module's modinfo depends=) into DEST, uncompressed, and writes DEST/order: the insmod order,
# dependencies first. A module built into the kernel is left out.
copy_modules() {
	local dest=$1
	shift
	local moddir
	moddir=$KDIR/modules/$(cat "$KDIR/version")
	mkdir -p "$dest"
	: >"$dest/order"
	local name
	for name in "$@"; do
		copy_module "$dest" "$moddir" "$name"
	done
}

copy_module() {
	local dest=$1 moddir=$2 name=$3 path file deps dep
	grep -qx "$name.ko" "$dest/order" && return 0
	path=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -1)
	if [ -z "$path" ]; then
		if grep -qE "/(${name}|${name//_/-})\.ko" "$moddir/modules.builtin"; then
			return 0
		fi
		die "kernel module $name: neither a module nor built in"
	fi
	file=$dest/$name.ko
	case $path in
	*.ko.xz) xz -dc "$path" >"$file" ;;
	*.ko.zst) zstd -qdc "$path" >"$file" ;;
	*.ko.gz) gzip -dc "$path" >"$file" ;;
	*) cp "$path" "$file" ;;
	esac
	deps=$(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ')
	for dep in $deps; do
		copy_module "$dest" "$moddir" "$dep"
	done
	echo "$name.ko" >>"$dest/order"
}

# busybox_tree DIR makes a merged-/usr tree (bin, sbin, lib -> usr/...) with a static busybox
# at /usr/bin/busybox (where the integration tests read it) and links for all its applets.
busybox_tree() {
	local dir=$1 applet
	mkdir -p "$dir"/usr/bin "$dir"/usr/sbin "$dir"/usr/lib "$dir"/dev "$dir"/proc "$dir"/sys \
		"$dir"/tmp "$dir"/run "$dir"/root "$dir"/etc "$dir"/newroot "$dir"/mnt "$dir"/var
	ln -s usr/bin "$dir/bin"
	ln -s usr/sbin "$dir/sbin"
	ln -s usr/lib "$dir/lib"
	cp /usr/bin/busybox "$dir/usr/bin/busybox"
	for applet in $(/usr/bin/busybox --list-full); do
		case $applet in
		*/busybox) continue ;;
		bin/* | sbin/*) applet=usr/$applet ;;
		esac
		[ -e "$dir/$applet" ] || ln -s /usr/bin/busybox "$dir/$applet"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$dir/etc/passwd"
	echo "root:x:0:" >"$dir/etc/group"
	# The kernel opens /dev/console for init before /init can mount devtmpfs.
	mknod -m 600 "$dir/dev/console" c 5 1 2>/dev/null || true
}

# cpio_gz DIR OUT archives DIR as a gzip'd newc cpio owned by root.
cpio_gz() {
	(cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner 0:0 --quiet) | gzip -1 >"$2"
}

# build_test_binaries DIR puts runo, the probe, integration.test and testdata/ in DIR.
build_test_binaries() {
	local dir=$1
	mkdir -p "$dir"
	cp "$REPO/runo" "$dir/runo"
	cp "$REPO/integration/probe.bin" "$dir/probe"
	# go test runs a package's tests in its directory; the guest runs them in $dir, so tests
	# that read testdata/ find it there.
	[ -d "$REPO/integration/testdata" ] && cp -r "$REPO/integration/testdata" "$dir/testdata"
	log "building integration.test"
	(cd "$REPO" && "$GO" test -c -o "$dir/integration.test" ./integration) || die "go test -c ./integration failed"
}

# run_qemu TIMEOUT CONSOLE RESULTS QEMU-ARGS... boots the VM with the console on the first
# serial port (logged to CONSOLE) and the guest's report on the second (RESULTS, streamed to
# stdout as it comes). Returns qemu's status (124: killed after TIMEOUT seconds).
run_qemu() {
	local timeout=$1 console=$2 results=$3
	shift 3
	: >"$console"
	: >"$results"
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-machine q35 -accel tcg -cpu max -m "$VM_MEM" -smp "$VM_SMP" \
		-nographic -monitor none -no-reboot -nic none \
		-serial "file:$console" -serial "file:$results" \
		"$@" </dev/null >"$WORK/qemu.out" 2>&1 &
	QEMU_PID=$!
	tail -n +1 -s 0.5 -F --pid="$QEMU_PID" "$results" 2>/dev/null | tr -d '\r' &
	local tail_pid=$! rc=0
	wait "$QEMU_PID" || rc=$?
	QEMU_PID=
	wait "$tail_pid" 2>/dev/null || true
	if [ -s "$WORK/qemu.out" ]; then
		log "qemu said:"
		sed 's/^/    /' "$WORK/qemu.out" >&2
	fi
	return "$rc"
}

# marker NAME FILE prints the value of the guest's last "RUNO-VM-NAME value" line, or nothing.
marker() {
	tr -d '\r' <"$2" | sed -n "s/^RUNO-VM-$1 //p" | tail -1
}

# summarize RESULTS prints the go test verdicts: counts, and each failing test with the first
# lines it logged (go test -v prints them between "=== RUN" and "--- FAIL").
summarize() {
	local results=$1 pass fail skip
	pass=$(tr -d '\r' <"$results" | grep -c '^--- PASS' || true)
	fail=$(tr -d '\r' <"$results" | grep -c '^--- FAIL' || true)
	skip=$(tr -d '\r' <"$results" | grep -c '^--- SKIP' || true)
	log "suite: $pass passed, $fail failed, $skip skipped (top-level tests)"
	if grep -q '^panic: ' "$results"; then
		log "the suite panicked: $(tr -d '\r' <"$results" | grep -m1 '^panic: ')"
		tr -d '\r' <"$results" | sed -n '/^[[:space:]]*running tests:/,/^$/p' | sed 's/^/    /' >&2
	fi
	if [ "$fail" != 0 ]; then
		log "failing tests (with their first lines):"
		tr -d '\r' <"$results" | awk '
			/^=== (RUN|CONT|NAME|PAUSE)/ { cur = $3; next }
			/^ *--- FAIL: / {
				name = $3; indent = substr($0, 1, index($0, "-") - 1)
				print "    " $0
				n = split(buf[name], lines, "\n")
				for (i = 1; i < n && i <= 6; i++) print "    " indent "    " substr(lines[i], 1, 300)
				next
			}
			/^ *--- / { next }
			/^    / && cur != "" { sub(/^ +/, ""); buf[cur] = buf[cur] $0 "\n" }' >&2
	fi
}

# keep_logs copies the run's logs to the cache for a look after the fact.
keep_logs() {
	cp "$1" "$CACHE/last-$LANE-console.log" 2>/dev/null || true
	cp "$2" "$CACHE/last-$LANE-results.log" 2>/dev/null || true
}

# no_report explains a VM that ended without the exit marker.
no_report() {
	local qrc=$1 console=$2
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		log "FAIL: the VM did not finish within ${TIMEOUT}s (RUNO_VM_TIMEOUT)"
	else
		log "FAIL: the VM ended (qemu status $qrc) without reporting RUNO-VM-EXIT"
	fi
	log "last lines of the console ($CACHE/last-$LANE-console.log):"
	tr -d '\r' <"$console" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tail -40 | sed 's/^/    /' >&2
}

# apt_mirror SUITE prints the URI of the first apt source (deb, not deb-src) that serves SUITE,
# read from this machine's apt configuration: deb822 *.sources files and one-line *.list files.
apt_mirror() {
	local suite=$1 f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && enabled != "no") {
					split(uris, u, " "); print u[1]; found = 1; exit
				}
				types = suites = uris = enabled = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "uris:" { $1 = ""; sub(/^ +/, ""); uris = $0 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { if (!found) flush() }' "$f" | head -1 | grep . && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			$1 != "deb" { next }
			{ i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
			$(i + 1) == suite { print $i; exit }' "$f" | head -1 | grep . && return 0
	done
	return 1
}
