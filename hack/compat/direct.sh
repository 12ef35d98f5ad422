# direct.sh: the runtime under test and the reference (runc) side by side on the same busybox
# bundle, without an engine: the shapes of what engines parse (state, list and ps JSON, events
# --stats, --log-format json lines, the pid file, features) and the exit statuses and error
# wording that engines match on. Each runtime has its own --root under the work directory and
# its own container ids (the default cgroup path is /<id>). Sourced by compat.sh.
#
# A shape is the set of JSON paths with their types (json_shape in lib.sh); values differ.

DIR_SCENARIOS=(state-json list-json ps-json events-stats log-json-error missing-executable
	permission-denied pid-file exit-status kill-signals go-runc-flags features transitions)

engine_direct() {
	if [ ! -x "$REFERENCE" ]; then
		fail_all direct "no reference runtime at $REFERENCE (REFERENCE=...)" "${DIR_SCENARIOS[@]}"
		return
	fi
	DW=$WORK/direct
	mkdir -p "$DW/root-rt" "$DW/root-ref"
	defer "dir_cleanup"
	# runc's default spec, made non-interactive, with the shared read-only busybox rootfs
	"$REFERENCE" spec --bundle "$DW" || { fail_all direct "$REFERENCE spec failed" "${DIR_SCENARIOS[@]}"; return; }
	mv "$DW/config.json" "$DW/spec.json"
	scenario direct/state-json dir_state
	scenario direct/list-json dir_list
	scenario direct/ps-json dir_ps
	scenario direct/events-stats dir_events
	scenario direct/log-json-error dir_log_json
	scenario direct/missing-executable dir_exec_error missing nonexist-cmd \
		'unable to start container process: exec: "nonexist-cmd": executable file not found in $PATH'
	scenario direct/permission-denied dir_exec_error noexec /bin/noexec \
		'unable to start container process: exec: "/bin/noexec": permission denied'
	scenario direct/pid-file dir_pid_file
	scenario direct/exit-status dir_exit_status
	scenario direct/kill-signals dir_kill_signals
	scenario direct/go-runc-flags dir_go_flags
	scenario direct/features dir_features
	scenario direct/transitions dir_transitions
}

dir_cleanup() {
	local which id
	for which in rt ref; do
		for id in $(rtc_quiet "$which" list -q); do
			rtc_quiet "$which" delete -f "$id"
		done
	done
}

# bundle NAME ARGS-JSON [JQ-FILTER]: $DW/NAME with a config.json running ARGS.
bundle() {
	mkdir -p "$DW/$1"
	jq --arg root "$WORK/image/rootfs" --argjson args "$2" \
		".process.terminal = false | .process.args = \$args | .root.path = \$root | ${3:-.}" \
		"$DW/spec.json" >"$DW/$1/config.json"
	printf '%s\n' "$DW/$1"
}

# rtc rt|ref ARGS...: `run` the runtime under test or the reference with its own --root.
rtc() {
	local which=$1
	shift
	if [ "$which" = rt ]; then run "$RUNTIME" --root "$DW/root-rt" "$@"; else run "$REFERENCE" --root "$DW/root-ref" "$@"; fi
}

rtc_quiet() {
	local which=$1
	shift
	if [ "$which" = rt ]; then timeout 30 "$RUNTIME" --root "$DW/root-rt" "$@" 2>/dev/null
	else timeout 30 "$REFERENCE" --root "$DW/root-ref" "$@" 2>/dev/null; fi
}

# side_by_side NAME: runs a created-then-started `sleep 100` container NAME-rt and NAME-ref.
side_by_side() {
	local b which
	b=$(bundle "$1" '["sleep","100"]')
	for which in rt ref; do
		rtc "$which" create --bundle "$b" "$1-$which"
		[ "$RC" = 0 ] || die "$(rt_name "$which") create: $(got)"
	done
}

rt_bin() { if [ "$1" = rt ]; then echo "$RUNTIME"; else echo "$REFERENCE"; fi; }
rt_name() { if [ "$1" = rt ]; then echo "$RT_NAME"; else basename "$REFERENCE"; fi; }

# same_shape WHAT REF-JSON RT-JSON [DEPTH]: dies unless the two shapes are equal (paths of at
# most DEPTH components when given); the full difference goes to the log either way.
same_shape() {
	local d full
	full=$(diff <(json_shape <<<"$2") <(json_shape <<<"$3"))
	[ -z "$full" ] || printf 'NOTE %s: shape difference (< %s, > %s):\n%s\n' "$1" "$(rt_name ref)" "$RT_NAME" "$full"
	if [ -n "${4:-}" ]; then
		d=$(diff <(json_shape <<<"$2" | awk -v n="$4" '{ if (split($1, a, ".") <= n) print }') \
			<(json_shape <<<"$3" | awk -v n="$4" '{ if (split($1, a, ".") <= n) print }'))
	else
		d=$full
	fi
	[ -z "$d" ] || die "$1: the JSON differs from $(rt_name ref)'s: $(printf '%s' "$d" | grep '^[<>]' | tr '\n' ';')"
}

dir_state() {
	local id=st-$$ s_rt s_ref which
	side_by_side "$id"
	for which in rt ref; do
		rtc "$which" state "$id-$which"
		[ "$RC" = 0 ] || die "$(rt_name "$which") state of a created container: $(got)"
		[ "$(jq -r .status <<<"$OUT")" = created ] || die "$(rt_name "$which") state: status is not created: $(got)"
		if [ "$which" = rt ]; then s_rt=$OUT; else s_ref=$OUT; fi
	done
	same_shape "state of a created container" "$s_ref" "$s_rt"
	for which in rt ref; do
		rtc "$which" start "$id-$which"
		rtc "$which" state "$id-$which"
		[ "$(jq -r .status <<<"$OUT")" = running ] || die "$(rt_name "$which") state after start: $(got)"
		if [ "$which" = rt ]; then s_rt=$OUT; else s_ref=$OUT; fi
		rtc "$which" delete -f "$id-$which"
	done
	same_shape "state of a running container" "$s_ref" "$s_rt"
	jq -e '.bundle == "'"$DW/$id"'" and .rootfs == "'"$WORK/image/rootfs"'" and (.created | test("^[0-9-]+T[0-9:.]+Z$"))' \
		<<<"$s_rt" >/dev/null || die "$RT_NAME state: bundle, rootfs or created unlike runc's: $s_rt"
	# runc's state leaves owner empty (only list fills it in)
	[ "$(jq .owner <<<"$s_rt")" = "$(jq .owner <<<"$s_ref")" ] ||
		die "state: owner is $(jq .owner <<<"$s_rt"), $(rt_name ref) says $(jq .owner <<<"$s_ref")"
}

dir_list() {
	local id=ls-$$ l_rt l_ref which
	side_by_side "$id"
	for which in rt ref; do
		rtc "$which" list --format json
		[ "$RC" = 0 ] || die "$(rt_name "$which") list --format json: $(got)"
		if [ "$which" = rt ]; then l_rt=$OUT; else l_ref=$OUT; fi
		rtc "$which" list
		local hdr
		hdr=$(head -1 <<<"$OUT" | tr -s ' ')
		[ "$hdr" = "ID PID STATUS BUNDLE CREATED OWNER" ] || die "$(rt_name "$which") list: header is \"$hdr\""
		rtc "$which" list -q
		[ "$OUT" = "$id-$which" ] || die "$(rt_name "$which") list -q: $(got), want $id-$which"
		rtc "$which" delete -f "$id-$which"
	done
	same_shape "list --format json" "$l_ref" "$l_rt"
	# no container: runc prints null for JSON
	rtc rt list --format json
	local e_rt=$OUT
	rtc ref list --format json
	[ "$e_rt" = "$OUT" ] || die "list --format json with no container: $RT_NAME printed [$e_rt], $(rt_name ref) [$OUT]"
}

dir_ps() {
	local id=ps-$$ p_rt p_ref pid which
	side_by_side "$id"
	for which in rt ref; do
		rtc "$which" start "$id-$which"
		pid=$(rtc_quiet "$which" state "$id-$which" | jq -r .pid)
		rtc "$which" ps --format json "$id-$which"
		[ "$RC" = 0 ] || die "$(rt_name "$which") ps --format json: $(got)"
		jq -e --argjson p "$pid" 'type == "array" and index($p) != null' <<<"$OUT" >/dev/null ||
			die "$(rt_name "$which") ps --format json: not an array of pids holding the init pid $pid: $(got)"
		if [ "$which" = rt ]; then p_rt=$OUT; else p_ref=$OUT; fi
		rtc "$which" ps "$id-$which"
		[ "$RC" = 0 ] && grep -q '^UID' <<<"$OUT" || die "$(rt_name "$which") ps (table): $(got)"
		rtc "$which" delete -f "$id-$which"
	done
	same_shape "ps --format json" "$p_ref" "$p_rt"
}

dir_events() {
	local id=ev-$$ e_rt e_ref which
	side_by_side "$id"
	for which in rt ref; do
		rtc "$which" start "$id-$which"
		rtc "$which" events --stats "$id-$which"
		[ "$RC" = 0 ] || die "$(rt_name "$which") events --stats: $(got)"
		if [ "$which" = rt ]; then e_rt=$OUT; else e_ref=$OUT; fi
		rtc "$which" delete -f "$id-$which"
	done
	jq -e --arg id "$id-rt" '.type == "stats" and .id == $id and .data.pids.current >= 1 and .data.memory.usage.usage > 0' \
		<<<"$e_rt" >/dev/null || die "$RT_NAME events --stats: want type stats, its id, pids.current >= 1, memory.usage.usage > 0: $e_rt"
	# omitempty leaves out zero values: memory.cache (third level) is zero for the container of
	# the two whose shared rootfs pages the other one was charged for, whichever ran first; and
	# deeper down so are others. So memory.cache is left out, and only three levels must match.
	same_shape "events --stats" "$(jq -c 'del(.data.memory.cache)' <<<"$e_ref")" \
		"$(jq -c 'del(.data.memory.cache)' <<<"$e_rt")" 3
}

# logline WHICH ARGS...: runs a failing command with --log FILE --log-format json; LOGF is FILE.
logline() {
	local which=$1
	shift
	LOGF=$DW/log-$which.json
	rm -f "$LOGF"
	rtc "$which" --log "$LOGF" --log-format json "$@"
	printf 'log: %s\n' "$(cat "$LOGF" 2>&1)"
}

# the --log-format json error line: one line, level "error", logrus's keys; the exit status
dir_log_json() {
	local which rc_rt l_rt l_ref cmd
	for cmd in "state nonexist-$$" "delete nonexist-$$" "kill nonexist-$$ KILL" "start nonexist-$$"; do
		for which in rt ref; do
			logline "$which" $cmd
			[ "$(wc -l <"$LOGF")" = 1 ] || die "$(rt_name "$which") $cmd: want one log line, got: $(cat "$LOGF" 2>&1 | tr '\n' '|')"
			if [ "$which" = rt ]; then rc_rt=$RC; l_rt=$(cat "$LOGF"); else l_ref=$(cat "$LOGF"); fi
		done
		[ "$rc_rt" = "$RC" ] || die "$cmd: $RT_NAME exits $rc_rt, $(rt_name ref) $RC"
		jq -e '.level == "error" and (.time | test("^[0-9-]+T[0-9:]+(Z|[+-][0-9:]+)$"))' <<<"$l_rt" >/dev/null ||
			die "$RT_NAME $cmd: log line unlike logrus's: $l_rt"
		[ "$(jq -c 'keys' <<<"$l_rt")" = "$(jq -c 'keys' <<<"$l_ref")" ] ||
			die "$cmd: log keys $(jq -c keys <<<"$l_rt"), $(rt_name ref)'s $(jq -c keys <<<"$l_ref")"
		# engines look for "does not exist" (podman: the container is gone; containerd: delete)
		jq -e '.msg | test("does not exist")' <<<"$l_rt" >/dev/null ||
			die "$RT_NAME $cmd: msg lacks \"does not exist\": $l_rt (runc: $l_ref)"
		[ "$(jq -r .msg <<<"$l_rt")" = "$(jq -r .msg <<<"$l_ref")" ] ||
			printf 'NOTE %s: msg %s, %s says %s\n' "$cmd" "$(jq .msg <<<"$l_rt")" "$(rt_name ref)" "$(jq .msg <<<"$l_ref")"
	done
}

# dir_exec_error NAME ARG WANT: create of a process that cannot be executed fails alike.
dir_exec_error() {
	local b which rc_rt m_rt m_ref strip='s/^[a-z]+ (create|run) failed: //'
	b=$(bundle "$1-$$" "[\"$2\"]")
	for which in rt ref; do
		logline "$which" create --bundle "$b" "$1-$$-$which"
		[ "$RC" != 0 ] || die "$(rt_name "$which") create of $2 succeeded"
		if [ "$which" = rt ]; then rc_rt=$RC; m_rt=$(jq -r .msg "$LOGF"); else m_ref=$(jq -r .msg "$LOGF"); fi
		[ -z "$(rtc_quiet "$which" list -q)" ] || die "$(rt_name "$which") failed create left a container: $(rtc_quiet "$which" list)"
	done
	[ "$rc_rt" = "$RC" ] || die "create of $2: $RT_NAME exits $rc_rt, $(rt_name ref) $RC"
	case $m_rt in *"$3"*) ;; *) die "create of $2: $RT_NAME's msg \"$m_rt\" lacks \"$3\"" ;; esac
	[ "$(sed -E "$strip" <<<"$m_rt")" = "$(sed -E "$strip" <<<"$m_ref")" ] ||
		die "create of $2: $RT_NAME says \"$m_rt\", $(rt_name ref) \"$m_ref\""
	[ "$m_rt" = "$m_ref" ] || printf 'NOTE create of %s: %s says "%s", %s "%s"\n' "$2" "$RT_NAME" "$m_rt" "$(rt_name ref)" "$m_ref"
}

dir_pid_file() {
	local b which f_rt f_ref pid
	b=$(bundle pf-$$ '["sleep","100"]')
	for which in rt ref; do
		rtc "$which" create --bundle "$b" --pid-file "$DW/pid-$which" "pf-$$-$which"
		[ "$RC" = 0 ] || die "$(rt_name "$which") create --pid-file: $(got)"
		pid=$(rtc_quiet "$which" state "pf-$$-$which" | jq -r .pid)
		[ "$(cat "$DW/pid-$which")" = "$pid" ] || die "$(rt_name "$which") pid file holds $(cat "$DW/pid-$which"), state says $pid"
		# the bytes with the digits masked: a trailing newline, or not, must match
		if [ "$which" = rt ]; then f_rt=$(od -c "$DW/pid-rt" | tr '0-9' N); else f_ref=$(od -c "$DW/pid-ref" | tr '0-9' N); fi
		printf '%s pid file: %s\n' "$which" "$(od -c "$DW/pid-$which" | head -1)"
		rtc "$which" delete -f "pf-$$-$which"
	done
	[ "$(tr -s N <<<"$f_rt")" = "$(tr -s N <<<"$f_ref")" ] ||
		die "pid file format: $RT_NAME [$(od -c "$DW/pid-rt" | head -1)], $(rt_name ref) [$(od -c "$DW/pid-ref" | head -1)]"
}

dir_exit_status() {
	local b which args rc_rt
	# killed from outside: run exits 128+9
	b=$(bundle ex-$$ '["sleep","1000"]')
	for which in rt ref; do
		local bg id=ek-$$-$which
		if [ "$which" = rt ]; then timeout 60 "$RUNTIME" --root "$DW/root-rt" run --bundle "$b" "$id" >/dev/null 2>&1 &
		else timeout 60 "$REFERENCE" --root "$DW/root-ref" run --bundle "$b" "$id" >/dev/null 2>&1 & fi
		bg=$!
		poll 20 sh -c "$(rt_bin "$which") --root $DW/root-$which state $id | grep -q running" || { kill "$bg"; die "$(rt_name "$which") run: not running"; }
		rtc "$which" kill "$id" KILL
		wait "$bg"
		RC=$?
		printf '%s run of a container killed by SIGKILL exited %s\n' "$which" "$RC"
		if [ "$which" = rt ]; then rc_rt=$RC; fi
		rtc_quiet "$which" delete -f "$id"
	done
	[ "$rc_rt" = "$RC" ] || die "run of a container killed by SIGKILL: $RT_NAME exits $rc_rt, $(rt_name ref) $RC"
	for args in '["sh","-c","exit 3"]' '["sh","-c","echo out; echo err >&2"]'; do
		b=$(bundle ex-$$ "$args")
		for which in rt ref; do
			rtc "$which" run --bundle "$b" "ex-$$-$which"
			if [ "$which" = rt ]; then rc_rt=$RC; fi
			rtc_quiet "$which" delete -f "ex-$$-$which"
		done
		[ "$rc_rt" = "$RC" ] || die "run $args: $RT_NAME exits $rc_rt, $(rt_name ref) $RC"
	done
	# the last one: stdout and stderr reach the caller's
	[ "$OUT" = out ] && [ "$ERR" = err ] || die "run: stdout/stderr of the container: $(got)"
}

# go-runc (containerd's shim) sends numeric signals and --all; the runtime must take every form
dir_kill_signals() {
	local which sig id
	for which in rt ref; do
		for sig in 15 TERM SIGTERM; do
			id=ks-$$-$which
			b=$(bundle ks-$$ '["sleep","100"]')
			rtc "$which" run -d --bundle "$b" "$id"
			[ "$RC" = 0 ] || die "$(rt_name "$which") run -d: $(got)"
			rtc "$which" kill "$id" "$sig"
			[ "$RC" = 0 ] || die "$(rt_name "$which") kill $sig: $(got)"
			rtc "$which" kill --all "$id" KILL
			poll 10 sh -c "! $(if [ "$which" = rt ]; then echo "$RUNTIME"; else echo "$REFERENCE"; fi) --root $DW/root-$which state $id | grep -q '\"running\"'" ||
				die "$(rt_name "$which") kill --all $id KILL: still running"
			rtc "$which" delete "$id"
			[ "$RC" = 0 ] || die "$(rt_name "$which") delete of a stopped container: $(got)"
		done
	done
}

# go-runc's own flag spellings: one dash (-no-subreaper, -bundle, -detach), --resources=-
dir_go_flags() {
	local which b rc_rt id
	b=$(bundle gf-$$ '["sleep","100"]')
	for which in rt ref; do
		id=gf-$$-$which
		rtc "$which" run -bundle "$b" -detach -no-subreaper "$id"
		[ "$RC" = 0 ] || die "$(rt_name "$which") run -bundle B -detach -no-subreaper: $(got)"
		printf '{"pids":{"limit":50}}' >"$DW/res.json"
		run sh -c "'$( [ "$which" = rt ] && echo "$RUNTIME" || echo "$REFERENCE")' --root '$DW/root-$which' update --resources=- '$id' <'$DW/res.json'"
		if [ "$which" = rt ]; then rc_rt=$RC; else
			[ "$rc_rt" = "$RC" ] || die "update --resources=-: $RT_NAME exits $rc_rt, $(rt_name ref) $RC"; fi
		if [ "$RC" = 0 ]; then
			local pid
			pid=$(rtc_quiet "$which" state "$id" | jq -r .pid)
			( want_cgroup "$pid" pids pids.max 50 "$(rt_name "$which") update --resources=- (pids limit 50)" ) || exit 1
		fi
		rtc "$which" exec -t=false "$id" true
		[ "$RC" = 0 ] || die "$(rt_name "$which") exec -t=false: $(got)"
		rtc "$which" delete -f "$id"
	done
}

dir_features() {
	local f_rt f_ref missing extra
	rtc rt features
	[ "$RC" = 0 ] || die "$RT_NAME features: $(got)"
	f_rt=$OUT
	rtc ref features
	if [ "$RC" != 0 ]; then
		printf 'NOTE %s has no features command\n' "$(rt_name ref)"
		jq -e '.ociVersionMin and .ociVersionMax' <<<"$f_rt" >/dev/null || die "$RT_NAME features: $f_rt"
		return 0
	fi
	f_ref=$OUT
	# runtime-specific annotations aside, every path runc reports must be there; seccomp's
	# lists only when the runtime says seccomp is enabled
	missing=$(comm -23 <(json_shape <<<"$f_ref" | grep -v '^annotations\.' | sort) <(json_shape <<<"$f_rt" | sort))
	if [ "$(jq -r '.linux.seccomp.enabled' <<<"$f_rt")" != true ]; then
		missing=$(grep -v '^linux\.seccomp\.' <<<"$missing")
	fi
	extra=$(comm -13 <(json_shape <<<"$f_ref" | sort) <(json_shape <<<"$f_rt" | sort))
	printf 'NOTE features only in %s: %s\n' "$RT_NAME" "$(tr '\n' ';' <<<"$extra")"
	printf 'NOTE features only in %s: %s\n' "$(rt_name ref)" "$(comm -23 <(json_shape <<<"$f_ref" | sort) <(json_shape <<<"$f_rt" | sort) | tr '\n' ';')"
	printf 'NOTE %s: seccomp %s, cgroup %s, idmap mounts %s\n' "$RT_NAME" "$(jq -c .linux.seccomp.enabled <<<"$f_rt")" \
		"$(jq -c .linux.cgroup <<<"$f_rt")" "$(jq -c .linux.mountExtensions.idmap.enabled <<<"$f_rt")"
	[ -z "$missing" ] || die "features: $RT_NAME lacks what $(rt_name ref) reports: $(tr '\n' ';' <<<"$missing")"
	# the versions and the lists engines read must be well formed
	jq -e '(.ociVersionMin | type) == "string" and (.ociVersionMax | type) == "string" and (.hooks | length) > 0 and (.mountOptions | length) > 0 and (.linux.namespaces | length) > 0 and (.linux.capabilities | length) > 0' \
		<<<"$f_rt" >/dev/null || die "$RT_NAME features: versions, hooks, mountOptions, namespaces or capabilities missing"
}

# transitions_of WHICH FILE: the lifecycle commands engines send in each state, with their
# exit status and --log-format json msg, one `STEP RC MSG` line each (\037 between), into FILE.
transitions_of() {
	local which=$1 f=$2 id=tr-$$-$1 b step
	b=$(bundle tr-$$ '["sleep","1000"]')
	: >"$f"
	step() { # step NAME ARGS...: run ARGS with a json log, record it
		local name=$1
		shift
		logline "$which" "$@"
		printf '%s\037%s\037%s\n' "$name" "$RC" "$(jq -r .msg "$LOGF" 2>/dev/null | tail -1)" >>"$f"
	}
	state_step() { # state_step NAME: the status and whether pid is 0
		local s
		s=$(rtc_quiet "$which" state "$id" | jq -r '.status + " pid0=" + (.pid == 0 | tostring)')
		printf '%s\0370\037%s\n' "$1" "$s" >>"$f"
	}
	step create create --bundle "$b" "$id"
	state_step state-created
	step exec-created exec "$id" true
	step start start "$id"
	state_step state-running
	step start-running start "$id"
	step delete-running delete "$id"
	step pause pause "$id"
	state_step state-paused
	step exec-paused exec "$id" true
	step kill-paused kill "$id" USR1
	step resume resume "$id"
	step resume-running resume "$id"
	step kill kill "$id" KILL
	poll 10 sh -c "$(rt_bin "$which") --root $DW/root-$which state $id | grep -q '\"stopped\"'"
	state_step state-stopped
	step kill-stopped kill "$id" KILL
	step exec-stopped exec "$id" true
	step pause-stopped pause "$id"
	step start-stopped start "$id"
	step delete delete "$id"
	step state-deleted state "$id"
}

# the phrases engines match in a runtime's errors (containerd's shim: "container not running",
# "does not exist"; podman: "does not exist")
TRANSITION_PHRASES=(kill-stopped='container not running' pause-stopped='container not running'
	state-deleted='does not exist' exec-paused='paused' exec-stopped='stopped' delete-running='not stopped')

dir_transitions() {
	local which line step rc msg ref_rc ref_msg bad=() p want
	for which in rt ref; do transitions_of "$which" "$DW/transitions-$which"; done
	paste -d $'\037' "$DW/transitions-rt" "$DW/transitions-ref" | while IFS=$'\037' read -r step rc msg _ ref_rc ref_msg; do
		printf '%-15s %s: %-4s %-60s %s: %-4s %s\n' "$step" "$RT_NAME" "$rc" "$msg" "$(rt_name ref)" "$ref_rc" "$ref_msg"
	done
	while IFS=$'\037' read -r step rc msg; do
		IFS=$'\037' read -r _ ref_rc ref_msg < <(grep "^$step"$'\037' "$DW/transitions-ref")
		[ "$rc" = "$ref_rc" ] || bad+=("$step exits $rc ($msg), $(rt_name ref) $ref_rc ($ref_msg)")
		case $step in state-created | state-running | state-paused | state-stopped) [ "$msg" = "$ref_msg" ] || bad+=("$step: $msg, $(rt_name ref): $ref_msg") ;; esac
		for p in "${TRANSITION_PHRASES[@]}"; do
			[ "${p%%=*}" = "$step" ] || continue
			want=${p#*=}
			case $msg in *"$want"*) ;; *) bad+=("$step: msg \"$msg\" lacks \"$want\" ($(rt_name ref): \"$ref_msg\")") ;; esac
		done
	done <"$DW/transitions-rt"
	[ ${#bad[@]} = 0 ] || die "$(printf '%s; ' "${bad[@]}")"
}
