#!/usr/bin/env bash
# Builds a bundle from config.json.example and a busybox-static root filesystem, and runs a
# container that shows what it sees: its hostname, its user, its processes (PID 1 is its own)
# and its mounts.
set -euo pipefail
runo=$(realpath "$1")
busybox=$(command -v busybox || echo /bin/busybox)

bundle=$(mktemp -d /tmp/runo-demo.XXXXXX)
root=$(mktemp -d /tmp/runo-demo-state.XXXXXX)
trap 'rm -rf "$bundle" "$root"' EXIT

mkdir -p "$bundle/rootfs/bin"
cp "$busybox" "$bundle/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"
done
mkdir -p "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev" "$bundle/rootfs/etc"
echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"

# config.json.example is what `runo spec` writes; the demo runs a script instead of an
# interactive shell.
script='echo "hostname: $(hostname)"; echo "id: $(id)"; echo "processes:"; ps; echo "mounts:"; cat /proc/self/mounts'
sed -e 's/"terminal": true/"terminal": false/' \
	-e "s|^\t\t\t\"sh\"\$|\t\t\t\"sh\", \"-c\", \"${script//\"/\\\\\"}\"|" \
	"$(dirname "$0")/../config.json.example" >"$bundle/config.json"

echo "+ runo run --bundle $bundle demo"
"$runo" --root "$root" run --bundle "$bundle" "demo-$$"
