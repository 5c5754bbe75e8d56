#!/usr/bin/env bats
# Failure handling: one definition failing, the engine's own messages, an
# unreachable or stopping engine, and dockerup killed at any point of a
# run (the next run converges: no duplicate, no declared container
# missing).

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
	if [ -n "${PRIVATE_RIG:-}" ]; then
		"$DOCKERUP_SRC/tests/rig/rig.sh" stop "$PRIVATE_RIG" || true
	fi
}

@test "failures: one failing definition does not stop the others" {
	local_def aaa
	local_def bad ', "user": "no-such-user"'
	local_def zzz
	run_engine
	[ "$status" -eq 1 ]
	# The engine's own words, and which definition.
	[[ "$output" == *"start bad: unable to find user no-such-user"* ]]
	[[ "$output" == *"2 created"*"1 failed"* ]]
	running aaa
	running zzz
	# The next run tries again.
	run_engine
	[ "$status" -eq 1 ]
	[[ "$output" == *"start bad (not running)"* ]]
}

@test "failures: a name held by a container of another definition gives the engine's conflict message" {
	local_def web
	run_engine
	# web's container, renamed to the name the new definition wants.
	dk rename web api
	local_def api
	run_engine
	[ "$status" -eq 1 ]
	[[ "$output" == *'create api: Conflict. The container name "/api" is already in use'* ]]
}

@test "failures: an unreachable engine fails cleanly and changes nothing" {
	local_def web
	run_dockerup --no-pull --remote "unix://$BATS_TEST_TMPDIR/nothing.sock"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot reach the Docker engine at unix://$BATS_TEST_TMPDIR/nothing.sock"* ]]
	[[ "$output" == *"nothing was changed"* ]]
	! exists web || false
}

# Starts a private engine-only rig holding the test image; sets
# PRIVATE_RIG and PRIVATE_HOST.
private_engine() {
	PRIVATE_RIG=$(mktemp -d /tmp/eng-stop.XXXXXX)
	rmdir "$PRIVATE_RIG"
	"$DOCKERUP_SRC/tests/rig/rig.sh" start "$PRIVATE_RIG" --engine-only
	"$DOCKERUP_SRC/tests/rig/rig.sh" image "$PRIVATE_RIG" "$RIG_IMAGE" 1
	PRIVATE_HOST=unix://$PRIVATE_RIG/docker.sock
}

@test "failures: the engine stopped in the middle of a run" {
	private_engine
	# Containers that take the whole stop timeout: the run is slow.
	for n in s1 s2 s3; do
		write_def $n '{"type": "docker", "name": "'$n'", "image": "'"$RIG_IMAGE"'", "env": {"V": "1"}}'
	done
	run_dockerup --no-pull --remote "$PRIVATE_HOST"
	[ "$status" -eq 0 ]
	for n in s1 s2 s3; do
		write_def $n '{"type": "docker", "name": "'$n'", "image": "'"$RIG_IMAGE"'", "env": {"V": "2"}}'
	done
	"$DOCKERUP" --config "$TEST_CONFIG" --remote "$PRIVATE_HOST" --no-pull \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    > "$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	pid=$!
	wait_until 20 grep -q "replace s1" "$BATS_TEST_TMPDIR/out"
	kill -TERM "$(cat "$PRIVATE_RIG/dockerd.pid")"
	rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 1 ]
	grep -Eq "Docker engine|HTTP 5[0-9][0-9]" "$BATS_TEST_TMPDIR/out"
	no_sanitizer_report "$(cat "$BATS_TEST_TMPDIR/out")"
}

@test "failures: SIGTERM during a replace finishes that replace, then stops" {
	# s1 takes the whole stop timeout: its replace is slow.  s0 is
	# replaced together with it (parallel.bats); s2 and s3 depend on s1,
	# so they wait for it, and the stop comes first.
	slow() {
		local_def s0 ', "env": {"V": "'$1'"}'
		write_def s1 '{"type": "docker", "name": "s1", "image": "'"$RIG_IMAGE"'", "env": {"V": "'$1'"}}'
		local_def s2 ', "env": {"V": "'$1'"}, "volumes": [{"from": "s1"}]'
		local_def s3 ', "env": {"V": "'$1'"}, "volumes": [{"from": "s1"}]'
	}
	slow 1
	run_engine
	[ "$status" -eq 0 ]
	slow 2
	"$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" --no-pull \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    > "$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	pid=$!
	wait_until 20 grep -q "replace s1" "$BATS_TEST_TMPDIR/out"
	kill -TERM "$pid"
	wait "$pid" || true
	cat "$BATS_TEST_TMPDIR/out"
	no_sanitizer_report "$(cat "$BATS_TEST_TMPDIR/out")"
	# s1's replace (and s0's, made with it) was finished, nothing else
	# was started.
	[ "$(all_names)" = "s0 s1 s2 s3" ]
	running s0 && running s1 && running s2 && running s3
	[ "$(inspect s0 '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=2 ]
	[ "$(inspect s1 '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=2 ]
	[ "$(inspect s2 '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=1 ]
	[ "$(inspect s3 '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=1 ]
	! grep -q "replace s2" "$BATS_TEST_TMPDIR/out" || false
	# The next run does the rest.
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 replaced"* ]]
	[ "$(inspect s3 '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=2 ]
}

# check_converged NAMES: the host runs exactly NAMES (sorted, space
# separated), each running, and a further run changes nothing.
check_converged() {
	local want=$1 n
	[ "$(all_names)" = "$want" ] || fail "containers: [$(all_names)], expected [$want]"
	for n in $want; do
		running "$n" || fail "$n is not running"
	done
	run_engine
	[ "$status" -eq 0 ] || fail "check run: status $status: $output"
	[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed,"* ]] ||
	    fail "check run changed something: $output"
}

# kill_run_at SECONDS [ARGS...]: a run in its own session, every process
# of it killed with SIGKILL after SECONDS.
kill_run_at() {
	local secs=$1
	shift
	setsid "$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --no-pull --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" "$@" \
	    > "$BATS_TEST_TMPDIR/killed.out" 2>&1 3>&- &
	local sid=$! i
	sleep "$secs"
	pkill -KILL -s "$sid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pgrep -s "$sid" > /dev/null || break
		sleep 0.1
	done
	wait "$sid" 2>/dev/null || true
}

# A delay between 0 and 0.8 s, different at each iteration.
some_delay() { printf '0.%03d' $((RANDOM % 800)); }

@test "failures: killed at any point of replaces (default and eager), the next run converges" {
	local_def alpha ', "env": {"V": "0"}'
	local_def beta ', "update": {"eager": true}, "env": {"V": "0"}'
	local_def gamma ', "network": "container:alpha", "env": {"V": "0"}'
	run_engine
	[ "$status" -eq 0 ]
	for i in $(seq 1 10); do
		local_def alpha ', "env": {"V": "'$i'"}'
		local_def beta ', "update": {"eager": true}, "env": {"V": "'$i'"}'
		kill_run_at "$(some_delay)"
		run_engine
		[ "$status" -eq 0 ] || fail "iteration $i: recovery run: $output"
		check_converged "alpha beta gamma"
		[ "$(inspect gamma .HostConfig.NetworkMode)" = "container:$(cid alpha)" ]
	done
}

@test "failures: killed at any point of orphan removal, the next run converges" {
	local_def keep
	run_engine
	for i in $(seq 1 6); do
		for n in o1 o2 o3 o4; do
			quick_run "$n-$i"
		done
		# 4 of 5 running at once: past the mass-removal brake.
		kill_run_at "$(some_delay)" --confirm-removals
		run_engine --confirm-removals
		[ "$status" -eq 0 ] || fail "iteration $i: recovery run: $output"
		check_converged keep
	done
}
