#!/bin/sh
# smoke-systemd.sh RUNO: runo's systemd cgroup driver against a real systemd (PID 1, on D-Bus).
# A busybox container with cgroupsPath "system.slice:runo:smoke" (runc's slice:prefix:name
# form, the unit is runo-smoke.scope), 64 MiB memory and 100 pids, is run detached with
# --systemd-cgroup; then its scope, cgroup and limits are checked, and after delete that the
# scope and the cgroup are gone. Prints one line per check ("SMOKE ok:" / "SMOKE FAIL:");
# exits with the number of failed checks.
set -u
runo=$1
id=smoke
unit=runo-smoke.scope
cg=/sys/fs/cgroup/system.slice/$unit
fails=0
ok() { echo "SMOKE ok: $*"; }
fail() {
	echo "SMOKE FAIL: $*"
	fails=$((fails + 1))
}

work=$(mktemp -d /tmp/runo-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
R() { "$runo" --root "$work/state" --systemd-cgroup "$@"; }

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/etc" "$work/bundle/rootfs/dev" \
	"$work/bundle/rootfs/proc" "$work/bundle/rootfs/sys" "$work/bundle/rootfs/tmp"
cp /usr/bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in $(/usr/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$work/bundle/rootfs/bin/$a"
done
cat >"$work/bundle/config.json" <<'JSON'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["sleep", "300"],
		"env": ["PATH=/bin"],
		"cwd": "/",
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "smoke",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}
	],
	"linux": {
		"cgroupsPath": "system.slice:runo:smoke",
		"resources": {
			"memory": {"limit": 67108864},
			"pids": {"limit": 100}
		},
		"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}]
	}
}
JSON

echo "SMOKE: $runo --systemd-cgroup run -d, cgroupsPath system.slice:runo:smoke"
if R run -d --bundle "$work/bundle" "$id" >"$work/run.out" 2>"$work/run.err" </dev/null; then
	ok "runo --systemd-cgroup run -d"
	pid=$(R state "$id" | sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p')
	got=$(cat "/proc/$pid/cgroup" 2>&1)
	[ "$got" = "0::/system.slice/$unit" ] && ok "container in $got" ||
		fail "container's /proc/$pid/cgroup = $got, want 0::/system.slice/$unit"
	state=$(systemctl show -p ActiveState --value "$unit" 2>&1)
	[ "$state" = active ] && ok "$unit is active" || fail "$unit ActiveState = $state, want active"
	got=$(cat "$cg/memory.max" 2>&1)
	[ "$got" = 67108864 ] && ok "memory.max = $got" || fail "$cg/memory.max = $got, want 67108864"
	got=$(cat "$cg/pids.max" 2>&1)
	[ "$got" = 100 ] && ok "pids.max = $got" || fail "$cg/pids.max = $got, want 100"
	got=$(systemctl show -p MemoryMax --value "$unit" 2>&1)
	[ "$got" = 67108864 ] && ok "systemd's MemoryMax = $got" || fail "$unit MemoryMax = $got, want 67108864"
	R kill "$id" KILL >"$work/kill.out" 2>&1 || fail "runo kill: $(cat "$work/kill.out")"
	if R delete --force "$id" >"$work/delete.out" 2>&1; then
		ok "runo --systemd-cgroup delete"
	else
		fail "runo delete: $(cat "$work/delete.out")"
	fi
	i=0
	while [ $i -lt 50 ] && { [ -d "$cg" ] || [ "$(systemctl show -p ActiveState --value "$unit")" = active ]; }; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -d "$cg" ] && fail "$cg still there after delete" || ok "cgroup gone after delete"
	state=$(systemctl show -p ActiveState --value "$unit" 2>&1)
	[ "$state" != active ] && ok "$unit not active after delete ($state)" || fail "$unit still active after delete"
else
	fail "runo --systemd-cgroup run -d: exit $?: $(cat "$work/run.err" "$work/run.out")"
	R delete --force "$id" >/dev/null 2>&1
fi
if [ "$fails" = 0 ]; then
	echo "SMOKE: PASS"
else
	echo "SMOKE: FAIL ($fails checks failed)"
fi
exit "$fails"
