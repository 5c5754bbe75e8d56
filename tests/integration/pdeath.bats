#!/usr/bin/env bats
# Never two engines at once (issue #16): the children die with the parent,
# and the engine never reaches Docker without the parent's run lock.

load helpers

# Enough that the creations and starts of a run take a while on the rig.
NDEFS=12

setup() {
	setup_confdir
	cleanup_containers
	local i
	for ((i = 1; i <= NDEFS; i++)); do
		write_def "pd$i" '{"type": "docker", "name": "pd'"$i"'", "image": "'"$RIG_IMAGE"'"}'
	done
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	stop_dockerup || true
	cleanup_containers
	if [ -n "${FRONT_PID:-}" ]; then
		kill "$FRONT_PID" 2> /dev/null || true
		wait "$FRONT_PID" 2> /dev/null || true
		dk rmi -f "$FRONT/busy:1" > /dev/null 2>&1 || true
	fi
}

# alive PID...: succeeds when any PID is a process that can still run (a
# zombie cannot: it waits only for its new parent to reap it).
alive() {
	local pid state
	for pid in "$@"; do
		state=$(awk '$1 == "State:" { print $2 }' "/proc/$pid/status" \
		    2> /dev/null) || continue
		[ -n "$state" ] && [ "$state" != Z ] && return 0
	done
	return 1
}

# gone_within SECONDS PID...: polls /proc until none of the PIDs runs.
gone_within() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 50; i++)); do
		alive "$@" || return 0
		sleep 0.02
	done
	fail "still running ${secs}s after the parent's death: $*"
}

# The children of DOCKERUP_PID (the engine and the fetcher, or fewer when
# it is killed while starting them).
children_of_server() {
	pgrep -P "$DOCKERUP_PID" | tr '\n' ' '
}

# One container per definition, each running, and nothing else.
one_container_per_definition() {
	local i n
	n=$(dk ps -aq | wc -l)
	[ "$n" -eq "$NDEFS" ] || fail "$n containers for $NDEFS definitions: $(dk ps -a --format '{{.Names}}' | tr '\n' ' ')"
	for ((i = 1; i <= NDEFS; i++)); do
		[ "$(dk inspect -f '{{.State.Running}}' "pd$i")" = true ] ||
		    fail "pd$i is not running"
	done
}

# docker_call_times LOG: when each Docker request of LOG's engine was sent
# (its -v line, logged just before the request), one ISO 8601 time a line.
docker_call_times() {
	awk '$2 == "debug" && $3 == "engine:" && $4 == "docker:" { print $1 }' "$1"
}

# no_overlap OLD_LOG NEW_LOG: every Docker request of the killed instance
# was sent before the first one of the run that followed it.
no_overlap() {
	local old_last new_first
	old_last=$(docker_call_times "$1" | sort | tail -n 1)
	new_first=$(docker_call_times "$2" | sort | head -n 1)
	[ -n "$new_first" ] || fail "no Docker request in $2"
	if [ -n "$old_last" ] && [[ ! "$old_last" < "$new_first" ]]; then
		echo "--- killed instance:"
		grep ' engine: docker: ' "$1"
		echo "--- next run:"
		grep ' engine: docker: ' "$2"
		fail "the killed instance's engine sent a request at $old_last, after the next run's first at $new_first"
	fi
}

@test "kill -9 of the parent at 10 moments: its children die within 2 s and a new run finds no other engine" {
	# From before the children exist, through the creations and starts,
	# to a server at rest.
	local delays="0 0.05 0.1 0.2 0.3 0.4 0.5 0.7 0.9 1.2" d kids killed start
	local run_pid run_status out RUN_LOG=$BATS_TEST_TMPDIR/run.log
	start=$SECONDS
	for d in $delays; do
		cleanup_containers
		start_dockerup "$LOG" --server --interval 3600 --no-pull -v
		sleep "$d"
		kids=$(children_of_server)
		killed=$DOCKERUP_PID
		kill -KILL "$DOCKERUP_PID"
		# A new run at once: it must wait for the lock until no child
		# of the killed one is left, then find nothing in its way.
		"$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
		    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull \
		    --lock-wait 5 -v > "$RUN_LOG" 2>&1 3>&- < /dev/null &
		run_pid=$!
		wait "$DOCKERUP_PID" || true
		DOCKERUP_PID=
		# Each child listed must die within 2 s; one forked after the
		# listing must be gone too (its command line names the pid).
		[ -z "$kids" ] || gone_within 2 $kids
		! pgrep -a -f -- "^$DOCKERUP -R (engine|fetcher) -P $killed( |\$)" ||
		    fail "trial $d: a child of the killed dockerup still runs"
		run_status=0
		wait "$run_pid" || run_status=$?
		out=$(cat "$RUN_LOG")
		no_sanitizer_report "$out"
		if [ "$run_status" -ne 0 ] || [[ "$out" == *onflict* ]] ||
		    [[ "$out" == *"already in use"* ]]; then
			echo "--- killed server (trial $d):"
			cat "$LOG"
			echo "--- new run:"
			echo "$out"
			fail "trial $d: the run after the kill failed (status $run_status)"
		fi
		one_container_per_definition
		no_overlap "$LOG" "$RUN_LOG" || fail "trial $d"
	done
	echo "# 10 trials in $((SECONDS - start)) s" >&3
}

@test "kill -9 of the parent during a stalled pull: the engine abandons it at once" {
	rm -f "$TEST_CONFDIR"/*.json
	python3 "$BATS_TEST_DIRNAME/registry_front.py" "$RIG_REGISTRY" \
	    "$BATS_TEST_TMPDIR/front.port" > "$BATS_TEST_TMPDIR/front.log" \
	    2>&1 3>&- < /dev/null &
	FRONT_PID=$!
	wait_until 10 test -s "$BATS_TEST_TMPDIR/front.port"
	FRONT=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/front.port")
	curl -sSf --data-binary stall "http://$FRONT/_control/mode" > /dev/null
	write_def slow '{"type": "docker", "name": "pd-slow", "image": "'"$FRONT"'/busy:1"}'
	start_dockerup "$LOG" --server --interval 3600 -v
	wait_until 20 manifest_asked || { cat "$LOG"; return 1; }
	kids=$(children_of_server)
	[ -n "$kids" ]
	kill -KILL "$DOCKERUP_PID"
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
	# The registry answers nothing for 30 s: waiting for it is not an
	# option; the read or pull in flight is abandoned.
	gone_within 2 $kids || { cat "$LOG"; return 1; }
}

manifest_asked() {
	[ "$(curl -sSf "http://$FRONT/_control/stats" | jq -r .manifests)" -ge 1 ]
}

@test "the engine holds the run lock's open file on fd 5; the fetcher does not" {
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v
	wait_until 20 running_all || { cat "$LOG"; return 1; }
	local pid engine= fetcher=
	for pid in $(pgrep -P "$DOCKERUP_PID"); do
		case "$(tr '\0' ' ' < "/proc/$pid/cmdline")" in
		*"-R engine -P $DOCKERUP_PID"*) engine=$pid ;;
		*"-R fetcher -P $DOCKERUP_PID"*) fetcher=$pid ;;
		esac
	done
	[ -n "$engine" ] && [ -n "$fetcher" ]
	[ "$(readlink "/proc/$engine/fd/5")" = "$(readlink -f "$TEST_CACHE")/dockerup.lock" ]
	! readlink "/proc/$fetcher/fd/5" | grep -q dockerup.lock
	# ...open read-only: flock needs no more.
	flags=$(awk '/^flags:/ {print $2}' "/proc/$engine/fdinfo/5")
	[ $((8#$flags & 3)) -eq 0 ]             # O_ACCMODE == O_RDONLY
	# The lock is taken while the server runs...
	! flock -n "$TEST_CACHE/dockerup.lock" true
	stop_dockerup
	[ "$DOCKERUP_STATUS" -eq 0 ]
	# ...and free once it stopped.
	flock -n "$TEST_CACHE/dockerup.lock" true
}

running_all() {
	local i
	for ((i = 1; i <= NDEFS; i++)); do
		[ "$(dk inspect -f '{{.State.Running}}' "pd$i" 2> /dev/null)" = true ] || return 1
	done
}

@test "a child whose parent is already gone exits before doing anything" {
	local dead role
	sleep 0 &
	dead=$!
	wait "$dead"
	for role in engine fetcher; do
		run "$DOCKERUP" -R "$role" -P "$dead" 3<&- 4<&-
		[ "$status" -eq 1 ]
		[[ "$output" == *"the parent dockerup (pid $dead) is gone"* ]]
		no_sanitizer_report "$output"
	done
}

@test "a child started without its parent's pid refuses to run" {
	run "$DOCKERUP" -R engine
	[ "$status" -ne 0 ]
	[[ "$output" == *"started without -P PID"* ]]
	run "$DOCKERUP" -R fetcher -P 0
	[ "$status" -ne 0 ]
	[[ "$output" == *'-P "0": expected a positive pid'* ]]
	run "$DOCKERUP" -R engine -P 12x
	[ "$status" -ne 0 ]
	[[ "$output" == *"expected a positive pid"* ]]
}
