#!/usr/bin/env bats
# The cost of a run where nothing changed: a fixed number of Docker API
# requests, whatever the number of containers, plus one registry check per
# distinct image when pulling is on.  Counted by the engine itself
# (dockerd --debug logs every request it serves).

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
}

# noop_calls ARGS...: converges, then counts the requests of a second run.
noop_calls() {
	run_dockerup "$@"
	[ "$status" -eq 0 ] || fail "converging run: $output"
	local off
	off=$(dockerd_log_size)
	run_dockerup "$@"
	[ "$status" -eq 0 ] || fail "no-op run: $output"
	[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed,"* ]] ||
	    fail "not a no-op: $output"
	CALLS=$(api_calls_since "$off")
}

@test "cost: a no-op run makes 3 API calls for 1 and for 10 containers" {
	local_def c00
	noop_calls --no-pull
	[ "$CALLS" -eq 3 ]
	for i in 01 02 03 04 05 06 07 08 09; do
		local_def "c$i" ', "portMappings": [{"containerPort": 80}]'
	done
	noop_calls --no-pull
	echo "1 container: 3 calls; 10 containers: $CALLS calls"
	[ "$CALLS" -eq 3 ]
}

@test "cost: with pulling on, one registry check per distinct image" {
	push_version "$RIG_REGISTRY/eng-cost-a-$$:1" 1
	push_version "$RIG_REGISTRY/eng-cost-b-$$:1" 1
	for i in 1 2 3 4 5; do
		reg_def "a$i" "$RIG_REGISTRY/eng-cost-a-$$:1"
	done
	noop_calls
	[ "$CALLS" -eq 4 ]
	for i in 1 2 3 4 5; do
		reg_def "b$i" "$RIG_REGISTRY/eng-cost-b-$$:1"
	done
	noop_calls
	[ "$CALLS" -eq 5 ]
}
