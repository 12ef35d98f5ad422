#!/usr/bin/env bash
# mkimage.sh OUTDIR: a busybox root filesystem (OUTDIR/rootfs) and the same tree as a one-layer
# docker-archive (OUTDIR/image.tar, `docker save` format) named localhost/compat-busybox:latest,
# which `ctr image import`, `podman load` and `docker load` all read. Built from Debian's
# busybox-static: no registry is needed.
set -euo pipefail
out=${1:?usage: mkimage.sh OUTDIR}
name=${COMPAT_IMAGE:-localhost/compat-busybox:latest}
bb=$(command -v busybox)
file -L "$bb" | grep -q 'statically linked' || { echo "mkimage: $bb is not static (install busybox-static)" >&2; exit 1; }

root=$out/rootfs
rm -rf "$root" && mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,data,home/user} "$root"/usr/{bin,sbin}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/:/bin/false
P
cat >"$root/etc/group" <<'G'
root:x:0:
user:x:1000:
nogroup:x:65534:
G
chown 1000:1000 "$root/home/user"
# a file that exists but cannot be executed: the exit-code 126 scenarios
printf '#!/bin/sh\necho never\n' >"$root/bin/noexec" && chmod 0644 "$root/bin/noexec"

# the docker-archive: layer.tar + config + manifest.json
arch=$out/archive && rm -rf "$arch" && mkdir -p "$arch/layer"
tar --numeric-owner --sort=name --mtime=@0 -C "$root" -cf "$arch/layer/layer.tar" .
diff=$(sha256sum "$arch/layer/layer.tar" | cut -d' ' -f1)
cat >"$arch/config.json" <<C
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"hack/compat/mkimage.sh"}]}
C
cfg=$(sha256sum "$arch/config.json" | cut -d' ' -f1)
mv "$arch/config.json" "$arch/$cfg.json"
mv "$arch/layer" "$arch/$diff"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' "$cfg" "$name" "$diff" >"$arch/manifest.json"
tar --numeric-owner -C "$arch" -cf "$out/image.tar" .
rm -rf "$arch"
