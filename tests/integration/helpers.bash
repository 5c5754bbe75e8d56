# Helpers for dockerup's bats tests.  In a .bats file:
#
#   load helpers
#   setup() { setup_confdir; cleanup_containers; }
#
#   @test "a definition is started" {
#       write_def web '{"type": "docker", "name": "web", "image": "'"$RIG_IMAGE"'"}'
#       run_dockerup -v
#       [ "$status" -eq 0 ]
#       [ "$(inspect web .State.Running)" = true ]
#   }
#
# The rig's variables come from the environment (tests/run.sh exports
# them; by hand: eval "$(tests/rig/rig.sh env DIR)"):
#   DOCKER_HOST        unix://DIR/docker.sock, the rig's engine
#   DOCKER_CONFIG      the docker client's config dir (starts logged out)
#   RIG_DIR            the rig's directory
#   RIG_IMAGE          dockerup-test/busy:1, a busybox image in the engine
#                      (CMD /bin/sleep 100000; /etc/dockerup-test-version: 1)
#   RIG_REGISTRY       127.0.0.1:PORT, a registry holding busy:1
#   RIG_AUTH_REGISTRY  127.0.0.1:PORT, the same behind htpasswd auth,
#   RIG_AUTH_USER, RIG_AUTH_PASS   ...with these credentials
#   RIG_IMDS           http://127.0.0.1:PORT, the EC2 metadata emulator
#   RIG_IMDS_CONTROL   its control port (see tests/rig/imds.py)
#   RIG_ETCD           http://127.0.0.1:PORT, Debian's etcd (v3 gateway),
#                      its data in RIG_DIR/etcd
# and from tests/run.sh: DOCKERUP (the binary under test), DOCKERUP_SRC
# (the repository).  ORIGINAL_DATA: the original's formats as test data.
#
# tests/run.sh sets BATS_TEST_TIMEOUT (300 s per test): bats then runs a
# watchdog as a background job of each test, so `wait` with no pid waits
# for it too.  Wait for the pids you started.  A process a test leaves in
# the background with bats' output or fd 3 open keeps bats waiting: see
# start_dockerup.

DOCKERUP_SRC=${DOCKERUP_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
DOCKERUP=${DOCKERUP:-$DOCKERUP_SRC/dockerup}
ORIGINAL_DATA=$DOCKERUP_SRC/tests/data/original

if [ -z "${DOCKER_HOST:-}" ] || [ -z "${RIG_DIR:-}" ]; then
	echo "helpers.bash: no rig in the environment; run tests/run.sh, or" \
	    "eval \"\$(tests/rig/rig.sh env DIR)\" first" >&2
	return 1
fi

# Prints a message and fails the test.
fail() {
	echo "FAIL: $*" >&2
	return 1
}

# A fresh, empty confdir, cache dir and settings file for this test:
# TEST_CONFDIR, TEST_CACHE, TEST_CONFIG (bats removes them afterwards).
setup_confdir() {
	TEST_CONFDIR=$BATS_TEST_TMPDIR/containers.d
	TEST_CACHE=$BATS_TEST_TMPDIR/cache
	TEST_CONFIG=$BATS_TEST_TMPDIR/dockerup.conf
	rm -rf "$TEST_CONFDIR" "$TEST_CACHE"
	mkdir -p "$TEST_CONFDIR" "$TEST_CACHE"
	: > "$TEST_CONFIG"
}

# write_def NAME JSON: writes TEST_CONFDIR/NAME.json.
#
# Replacements are health-gated (update.monitor, default 10 s): a test
# that is not about the gate should not wait for it, so a definition that
# does not say update.monitor gets 0 (JSON that does not parse, and a
# test that sets WRITE_DEF_RAW=1, are written as they are).
write_def() {
	local f=${1%.json}.json
	local filter='def m: if type == "object" and (.update | type) != "boolean"
		then .update.monitor //= 0 else . end;
		if type == "object" and has("containers")
		then .containers |= (if type == "array" then map(m) else . end)
		else m end'
	if [ -z "${WRITE_DEF_RAW:-}" ] &&
	    jq -e "$filter" <<< "$2" > "$TEST_CONFDIR/$f.tmp" 2> /dev/null; then
		mv "$TEST_CONFDIR/$f.tmp" "$TEST_CONFDIR/$f"
	else
		rm -f "$TEST_CONFDIR/$f.tmp"
		printf '%s\n' "$2" > "$TEST_CONFDIR/$f"
	fi
}

# run_dockerup ARGS...: runs the binary under test with bats' `run` on the
# rig's engine, this test's confdir and cache, and an empty settings file
# (so that no /etc/dockerup/dockerup.conf on the machine matters); ARGS
# come last and may override any of them.  Sets $status and $output, and
# fails the test at once if a sanitizer reported anything.
run_dockerup() {
	run "$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" "$@"
	no_sanitizer_report "$output"
}

# no_sanitizer_report TEXT: fails when TEXT holds an ASan, LSan or UBSan
# report.  Use it on the log of a dockerup started in the background.
no_sanitizer_report() {
	case "$1" in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | \
	    *"runtime error:"*)
		printf '%s\n' "$1" >&2
		fail "sanitizer report in dockerup's output"
		;;
	esac
}

# start_dockerup LOG ARGS...: starts dockerup in the background like
# run_dockerup (typically with --server), its output to LOG; its pid in
# DOCKERUP_PID.  Its stdout, stderr and bats' fd 3 are not inherited: a
# background process holding them makes bats wait for it to end.
start_dockerup() {
	local log=$1
	shift
	"$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" "$@" \
	    > "$log" 2>&1 3>&- < /dev/null &
	DOCKERUP_PID=$!
}

# stop_dockerup [SECONDS]: SIGTERM to DOCKERUP_PID, then waits (default
# 15 s) and sets DOCKERUP_STATUS; fails if it had to be killed.
stop_dockerup() {
	local pid=${DOCKERUP_PID:-}
	[ -n "$pid" ] || return 0
	DOCKERUP_PID=
	stop_pid "$pid" "${1:-15}" dockerup || return 1
	DOCKERUP_STATUS=$STOPPED_STATUS
}

# stop_pid PID SECONDS WHAT: SIGTERM to PID (a child of this shell), then
# waits up to SECONDS and sets STOPPED_STATUS to its exit status; kills it
# and fails, naming WHAT, if it is still there.
stop_pid() {
	local pid=$1 secs=$2 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		fail "$3 did not exit within ${secs}s of SIGTERM"
		return 1
	fi
	STOPPED_STATUS=0
	wait "$pid" || STOPPED_STATUS=$?
}

# dk ARGS...: the docker.io client on the rig's engine.
dk() {
	/usr/bin/docker "$@"
}

# inspect NAME JQ_FILTER: one field of `docker inspect NAME`, raw, e.g.
# inspect web .HostConfig.PortBindings
inspect() {
	dk inspect "$1" | jq -r ".[0] | $2"
}

# Removes every container on the rig's engine (images stay).
cleanup_containers() {
	local ids
	ids=$(dk ps -aq)
	[ -z "$ids" ] || dk rm -f $ids > /dev/null
}

# rig_image REF [VERSION]: imports the busybox image again as REF, with
# VERSION in /etc/dockerup-test-version: same tag, new content.
rig_image() {
	"$DOCKERUP_SRC/tests/rig/rig.sh" image "$RIG_DIR" "$1" "${2:-1}"
}

# imds_set_userdata [--gzip] TEXT: the metadata emulator serves TEXT as
# user-data (gzip-compressed with --gzip).  With no TEXT: no user-data (404).
imds_set_userdata() {
	local q=
	if [ "${1:-}" = --gzip ]; then
		q='?gzip=1'
		shift
	fi
	if [ $# -eq 0 ]; then
		curl -sSf -X DELETE "$RIG_IMDS_CONTROL/_control/user-data" > /dev/null
		return
	fi
	printf '%s' "$1" | curl -sSf --data-binary @- \
	    "$RIG_IMDS_CONTROL/_control/user-data$q" > /dev/null
}

# imds_mode MODE [SECONDS]: normal | refuse | reset | slow SECONDS |
# v1only | 404 (see tests/rig/imds.py).
imds_mode() {
	curl -sSf --data-binary "$*" "$RIG_IMDS_CONTROL/_control/mode" > /dev/null
}

# imds_stats [KEY]: the emulator's request counters as JSON, or one of
# them (requests, token, user_data, unauthorized, refused_token, resets).
imds_stats() {
	local j
	j=$(curl -sSf "$RIG_IMDS_CONTROL/_control/stats") || return 1
	if [ $# -eq 0 ]; then
		printf '%s\n' "$j"
	else
		printf '%s\n' "$j" | jq -r ".$1"
	fi
}

# Puts the emulator back as a test expects to find it: normal mode, no
# user-data, counters at zero, every token forgotten.
imds_reset() {
	imds_mode normal
	imds_set_userdata
	curl -sSf -X POST "$RIG_IMDS_CONTROL/_control/stats/reset" > /dev/null
	curl -sSf -X POST "$RIG_IMDS_CONTROL/_control/tokens/expire" > /dev/null
}

# The rig's etcd stopped (SIGSTOP: connections hang until the timeout)
# and resumed; a teardown calls etcd_resume whatever happened.
etcd_pid() { cat "$RIG_DIR/etcd.pid"; }
etcd_pause() { kill -STOP "$(etcd_pid)"; ETCD_PAUSED=1; }
etcd_resume() {
	[ -n "${ETCD_PAUSED:-}" ] || return 0
	kill -CONT "$(etcd_pid)"
	ETCD_PAUSED=
}

# wait_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds; fails
# after SECONDS.
wait_until() { wait_every 2 "$@"; }

# wait_every TENTHS SECONDS CMD...: runs CMD every TENTHS tenths of a
# second until it succeeds; fails after SECONDS.
wait_every() {
	local tenths=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10 / tenths; i++)); do
		"$@" && return 0
		sleep "$((tenths / 10)).$((tenths % 10))"
	done
	fail "timed out after ${secs}s waiting for: $*"
}
