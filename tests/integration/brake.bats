#!/usr/bin/env bats
# The mass-removal brake (issue #14): a single read, message or bad push
# must not empty a host.  A run that would remove more than half of the
# running containers dockerup manages (and at least 3) removes none, until
# the same desired state is read twice an interval apart (server mode) or
# the operator runs with --confirm-removals.

load helpers
load engine_helpers

TOOLS="${DOCKERUP_TOOLS:-$DOCKERUP_SRC/build/tests/tools}"
NAMES="br1 br2 br3 br4 br5"

setup() {
	setup_confdir
	cleanup_containers
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	stop_dockerup || true
	cleanup_containers
}

# Five managed containers, running.
five() {
	local n
	for n in $NAMES; do
		local_def "$n"
	done
	run_engine
	[ "$status" -eq 0 ] || fail "$output"
	for n in $NAMES; do
		running "$n" || fail "$n is not running"
	done
}

all_running() {
	local n
	for n in $NAMES; do
		running "$n" || return 1
	done
}

none_left() {
	local n
	for n in $NAMES; do
		! exists "$n" || return 1
	done
}

@test "brake: an emptied confdir removes nothing in a single run; exit 1 and why" {
	five
	ids=$(for n in $NAMES; do cid "$n"; done)
	rm "$TEST_CONFDIR"/*.json
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing to remove 5 of 5 running containers at once (mass-removal brake); they are removed when the same desired state is read again at least one interval later (server mode), or by a run with --confirm-removals"* ]]
	[[ "$output" != *"remove br"* ]]
	all_running
	[ "$(for n in $NAMES; do cid "$n"; done)" = "$ids" ]
	# --dry-run shows the same brake and no removal.
	run_engine --dry-run
	[[ "$output" == *"refusing to remove 5 of 5"* ]]
	[[ "$output" != *"remove br"* ]]
	all_running
}

@test "brake: --confirm-removals removes them" {
	five
	rm "$TEST_CONFDIR"/*.json
	run_engine --confirm-removals
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"mass-removal brake"* ]]
	none_left
}

@test "brake: removing 1 or 2 of 5 proceeds; 3 of 5 is held" {
	five
	rm "$TEST_CONFDIR/br5.json"
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" != *"mass-removal brake"* ]]
	! exists br5 || false
	local_def br5
	run_engine
	rm "$TEST_CONFDIR/br4.json" "$TEST_CONFDIR/br5.json"
	run_engine
	[ "$status" -eq 0 ]
	! exists br4 && ! exists br5 || false
	local_def br4
	local_def br5
	run_engine
	rm "$TEST_CONFDIR/br3.json" "$TEST_CONFDIR/br4.json" "$TEST_CONFDIR/br5.json"
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing to remove 3 of 5 running containers at once (mass-removal brake)"* ]]
	all_running
}

@test "brake: replacements are not removals" {
	five
	for n in $NAMES; do
		local_def "$n" ', "env": {"V": "2"}'
	done
	run_engine
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"mass-removal brake"* ]]
	for n in $NAMES; do
		[ "$(inspect "$n" '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=2 ]
	done
}

@test "brake: in server mode the removal waits for a second read at least an interval later" {
	five
	start_dockerup "$LOG" --server --no-pull --interval 4
	wait_until 20 grep -q "0 created, 0 replaced" "$LOG" || { cat "$LOG"; false; }
	rm "$TEST_CONFDIR"/*.json
	# The confdir change is read within a second: held.
	wait_until 10 grep -q "refusing to remove 5 of 5" "$LOG" || { cat "$LOG"; false; }
	held=$(date +%s.%N)
	sleep 1
	all_running
	# The same state read again an interval (4 s + jitter) later: removed.
	wait_until 20 none_left || { cat "$LOG"; false; }
	gone=$(date +%s.%N)
	cat "$LOG"
	awk -v a="$held" -v b="$gone" 'BEGIN { exit !(b - a >= 3) }' ||
	    fail "removed $(awk -v a="$held" -v b="$gone" 'BEGIN { print b - a }') s after the brake"
	[ "$(grep -c "refusing to remove" "$LOG")" -eq 1 ]
	stop_dockerup
}

@test "brake: a hostile fetcher's complete, empty state removes nothing" {
	five
	ids=$(for n in $NAMES; do cid "$n"; done)
	run "$TOOLS/hostile_engine" "$DOCKERUP" "$DOCKER_HOST" empty-state "$RIG_IMAGE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"refusing to remove 5 of 5 running containers at once (mass-removal brake)"* ]]
	all_running
	[ "$(for n in $NAMES; do cid "$n"; done)" = "$ids" ]
}
