#!/usr/bin/env bats
# Issue #7: image pulls show progress: a live line per image on a
# terminal, start and finish (size, duration) in the log.

load helpers

setup() {
	setup_confdir
	cleanup_containers
	REF=$RIG_REGISTRY/progress-$BATS_TEST_NUMBER-$$:1
	# New content, so the pull has a layer to download.
	rig_image "$REF" "progress-$$" > /dev/null
	dk push -q "$REF" > /dev/null
	dk rmi "$REF" > /dev/null
	write_def prog '{"type": "docker", "name": "prog", "image": "'"$REF"'"}'
}

teardown() {
	cleanup_containers
	dk rmi -f "$REF" > /dev/null 2>&1 || true
}

@test "pull progress: a live line on a terminal" {
	# script(1) gives dockerup a terminal for stderr.
	run script -qec "$DOCKERUP --config $TEST_CONFIG --remote $DOCKER_HOST \
	    --confdir $TEST_CONFDIR --cache $TEST_CACHE" /dev/null
	no_sanitizer_report "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\r\033[Kpulling '"$REF"': '*' layers, '*' MB'* ]]
	# The last drawing says every layer is there, then ends its line.
	last=$(printf '%s' "$output" | tr '\r' '\n' | grep "pulling $REF" | tail -1)
	[[ "$last" == *"pulling $REF: 1/1 layers, "*" MB"* ]]
	[[ "$output" == *"pull $REF (not present locally)"* ]]
	[[ "$output" == *"pulled $REF in "*" MB, 1 new layer"* ]]
	[ "$(inspect prog .State.Running)" = true ]
}

@test "pull progress: without a terminal, only start and finish in the log" {
	run_dockerup
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\r'* ]]
	[[ "$output" != *"pulling $REF"* ]]
	[[ "$output" == *"pull $REF (not present locally)"* ]]
	[[ "$output" == *"pulled $REF in "*" MB, 1 new layer"* ]]
}
