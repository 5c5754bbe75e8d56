# Helpers for fleet tests (issue #17): three "hosts" on one machine, each a
# private Docker engine of the rig (tests/rig/rig.sh host-start) with a
# dockerup server of its own, all sharing the rig's etcd.  Load it after
# helpers.bash:
#
#   load helpers
#   load fleet_helpers
#   setup_file() { fleet_setup 3; }
#   teardown_file() { fleet_teardown; }
#   setup() { fleet_test_setup; }
#   teardown() { fleet_test_teardown; }
#
#   @test "..." {
#       etcd_put "$FLEET_PREFIX/$FLEET_GROUP/containers/web" "$json"
#       fleet_start 1; fleet_start 2; fleet_start 3
#       fleet_wait 10 fleet_running 1 web
#   }
#
# Per host N (1..FLEET_HOSTS): FLEET_CONFDIR_N, FLEET_CACHE_N,
# FLEET_CONFIG_N (the settings file: etcd, etcd_prefix, fleet_group,
# host_id = hostN, then the lines of $FLEET_SETTINGS), FLEET_LOG_N and,
# while its dockerup runs, FLEET_PID_N.  FLEET_GROUP is new for every test,
# so that no test sees another's etcd keys; FLEET_PREFIX is etcd_prefix
# (default /dockerup; set it before fleet_test_setup to change it).
#
# The etcd helpers (etcd_put, etcd_get, etcd_del, etcd_del_prefix,
# etcd_list) talk to the rig's etcd, RIG_ETCD, through its v3 JSON gateway.

RIG_SH=$DOCKERUP_SRC/tests/rig/rig.sh

# --- etcd -------------------------------------------------------------------

b64() { printf %s "$1" | base64 -w0; }

# The key just after every key that starts with PREFIX (its last byte + 1),
# etcd's range_end for "every key with this prefix".
etcd_prefix_end() {
	local p=$1 last
	last=$(printf '%d' "'${p: -1}")
	printf '%s' "${p%?}"
	printf "\\$(printf '%03o' $((last + 1)))"
}

# etcd_call PATH JSON: one POST to the gateway (JSON on stdin: a value may
# be larger than a command line); prints the answer, fails on an error.
etcd_call() {
	printf '%s' "$2" | curl -sSf --max-time 5 -X POST --data-binary @- \
	    "$RIG_ETCD$1"
}

# etcd_put KEY VALUE
etcd_put() {
	etcd_call /v3/kv/put "{\"key\":\"$(b64 "$1")\",\"value\":\"$(b64 "$2")\"}" \
	    > /dev/null
}

# etcd_get KEY: prints the value; fails when there is no such key.
etcd_get() {
	local out
	out=$(etcd_call /v3/kv/range "{\"key\":\"$(b64 "$1")\"}") || return 1
	jq -e '.kvs[0].value' <<< "$out" > /dev/null || return 1
	jq -r '.kvs[0].value' <<< "$out" | base64 -d
}

# etcd_del KEY
etcd_del() {
	etcd_call /v3/kv/deleterange "{\"key\":\"$(b64 "$1")\"}" > /dev/null
}

# etcd_del_prefix PREFIX: every key that starts with PREFIX.
etcd_del_prefix() {
	etcd_call /v3/kv/deleterange \
	    "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$(etcd_prefix_end "$1")")\"}" \
	    > /dev/null
}

# etcd_list PREFIX: the keys that start with PREFIX, one a line, sorted.
etcd_list() {
	local out
	out=$(etcd_call /v3/kv/range \
	    "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$(b64 "$(etcd_prefix_end "$1")")\",\"keys_only\":true}") ||
	    return 1
	jq -r '.kvs // [] | .[].key' <<< "$out" | while read -r k; do
		base64 -d <<< "$k"
		echo
	done
}

# --- hosts ------------------------------------------------------------------

FLEET_HOSTS=${FLEET_HOSTS:-0}

# fleet_setup N (setup_file): host engines 1..N started, unless they run.
fleet_setup() {
	local n=$1 i pids=() rc=0
	export FLEET_HOSTS=$n
	for ((i = 1; i <= n; i++)); do
		"$RIG_SH" host-start "$RIG_DIR" "$i" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	[ "$rc" -eq 0 ] || fail "fleet_setup: a host engine did not start"
}

# fleet_teardown (teardown_file): stops the host engines.
fleet_teardown() {
	local i rc=0
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		"$RIG_SH" host-stop "$RIG_DIR" "$i" 3>&- || rc=1
	done
	return "$rc"
}

# fleet_sock N: host N's engine, as dockerup's --remote and docker's -H.
fleet_sock() { echo "unix://$RIG_DIR/h$1/docker.sock"; }

# fleet_dk N ARGS...: the docker client on host N's engine.
fleet_dk() {
	local n=$1
	shift
	/usr/bin/docker -H "$(fleet_sock "$n")" "$@"
}

# fleet_test_setup (setup): a new group, and a fresh confdir, cache and
# settings file for each host.
fleet_test_setup() {
	local i d
	[ "$FLEET_HOSTS" -ge 1 ] || fail "fleet_test_setup: no fleet_setup in setup_file"
	FLEET_PREFIX=${FLEET_PREFIX:-/dockerup}
	FLEET_GROUP=f$BATS_TEST_NUMBER-$$-$RANDOM
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		d=$BATS_TEST_TMPDIR/h$i
		rm -rf "$d"
		mkdir -p "$d/containers.d" "$d/cache"
		printf -v "FLEET_CONFDIR_$i" %s "$d/containers.d"
		printf -v "FLEET_CACHE_$i" %s "$d/cache"
		printf -v "FLEET_CONFIG_$i" %s "$d/dockerup.conf"
		printf -v "FLEET_LOG_$i" %s "$d/dockerup.log"
		printf -v "FLEET_PID_$i" %s ''
		{
			echo "etcd = $RIG_ETCD"
			echo "etcd_prefix = $FLEET_PREFIX"
			echo "fleet_group = $FLEET_GROUP"
			echo "host_id = host$i"
			[ -z "${FLEET_SETTINGS:-}" ] || printf '%s\n' "$FLEET_SETTINGS"
		} > "$d/dockerup.conf"
	done
}

# fleet_test_teardown (teardown): stops every host's dockerup, removes
# every container of every host engine, deletes the group's keys.
fleet_test_teardown() {
	local i ids rc=0
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		fleet_stop "$i" || rc=1
	done
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		ids=$(fleet_dk "$i" ps -aq) || { rc=1; continue; }
		[ -z "$ids" ] || fleet_dk "$i" rm -f $ids > /dev/null || rc=1
	done
	[ -z "${FLEET_GROUP:-}" ] ||
	    etcd_del_prefix "$FLEET_PREFIX/$FLEET_GROUP/" || rc=1
	return "$rc"
}

# fleet_var NAME N: the value of NAME_N.
fleet_var() {
	local v=${1}_$2
	printf '%s' "${!v:-}"
}

# fleet_start N [ARGS...]: host N's `dockerup --server` in the background,
# on its engine, confdir, cache and settings (ARGS come last), its output
# to FLEET_LOG_N, its pid in FLEET_PID_N.  As with start_dockerup, it
# inherits neither bats' output nor fd 3.
fleet_start() {
	local n=$1
	shift
	[ -z "$(fleet_var FLEET_PID "$n")" ] ||
	    fail "fleet_start $n: its dockerup runs already"
	"$DOCKERUP" --config "$(fleet_var FLEET_CONFIG "$n")" \
	    --remote "$(fleet_sock "$n")" \
	    --confdir "$(fleet_var FLEET_CONFDIR "$n")" \
	    --cache "$(fleet_var FLEET_CACHE "$n")" --server "$@" \
	    > "$(fleet_var FLEET_LOG "$n")" 2>&1 3>&- < /dev/null &
	printf -v "FLEET_PID_$n" %s "$!"
}

# fleet_stop N [SECONDS]: SIGTERM to host N's dockerup, then waits (default
# 15 s); fails if it had to kill it.  FLEET_STATUS_N: its exit status.
fleet_stop() {
	local n=$1 pid
	pid=$(fleet_var FLEET_PID "$n")
	[ -n "$pid" ] || return 0
	printf -v "FLEET_PID_$n" %s ''
	stop_pid "$pid" "${2:-15}" "host $n's dockerup" || return 1
	printf -v "FLEET_STATUS_$n" %s "$STOPPED_STATUS"
	no_sanitizer_report "$(cat "$(fleet_var FLEET_LOG "$n")")"
}

# fleet_kill N: kill -9 of host N's dockerup (the parent process only: its
# children see it die as they would on a real host).
fleet_kill() {
	local n=$1 pid
	pid=$(fleet_var FLEET_PID "$n")
	[ -n "$pid" ] || fail "fleet_kill $n: its dockerup is not running"
	printf -v "FLEET_PID_$n" %s ''
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

# fleet_wait SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails
# after SECONDS, naming CMD.
fleet_wait() { wait_every 1 "$@"; }

# fleet_running N NAME: container NAME runs on host N.
fleet_running() {
	[ "$(fleet_dk "$1" inspect -f '{{.State.Running}}' "$2" 2>/dev/null)" = true ]
}

# fleet_gone N NAME: host N has no container NAME.
fleet_gone() {
	! fleet_dk "$1" inspect "$2" > /dev/null 2>&1
}

# fleet_runs_image N NAME ID: NAME runs on host N, from image ID.
fleet_runs_image() {
	[ "$(fleet_dk "$1" inspect -f '{{.State.Running}} {{.Image}}' "$2" 2>/dev/null)" = "true $3" ]
}

# fleet_all PREDICATE ARGS...: PREDICATE N ARGS... holds for every host.
fleet_all() {
	local i
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		"$1" "$i" "${@:2}" || return 1
	done
}

# fleet_push_image NAME VERSION: a new image RIG_REGISTRY/NAME:latest whose
# /etc/dockerup-test-version is VERSION, pushed to the rig's registry (the
# hosts pull it from there); prints its image ID.
fleet_push_image() {
	local ref=$RIG_REGISTRY/$1:latest
	rig_image "$ref" "$2" || return 1
	dk push -q "$ref" > /dev/null || return 1
	dk image inspect -f '{{.Id}}' "$ref"
}
