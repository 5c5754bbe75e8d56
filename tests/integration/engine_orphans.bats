#!/usr/bin/env bats
# Containers no definition declares: removed, with their exceptions.

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
}

@test "orphans: undeclared containers, running or exited, are removed" {
	local_def web
	quick_run intruder
	dk create --name leftover "$RIG_IMAGE" > /dev/null
	dk run --name finished "$RIG_IMAGE" true
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove intruder (not declared)"* ]]
	[[ "$output" == *"remove leftover (not declared)"* ]]
	[[ "$output" == *"remove finished (not declared)"* ]]
	[[ "$output" == *"3 removed"* ]]
	[ "$(all_names)" = web ]
}

@test "orphans: a removed definition's container goes away" {
	local_def web
	local_def api
	run_engine
	[ "$status" -eq 0 ]
	rm "$TEST_CONFDIR/api.json"
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove api (not declared)"* ]]
	[ "$(all_names)" = web ]
}

@test "orphans: --orphans managed removes only dockerup's containers" {
	local_def web
	local_def api
	run_engine
	quick_run handmade
	rm "$TEST_CONFDIR/api.json"
	run_engine --orphans managed
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove api (not declared)"* ]]
	[[ "$output" != *"handmade"* ]]
	[ "$(all_names)" = "handmade web" ]
}

@test "orphans: dockerup's own container is never removed" {
	local_def web
	quick_run dockerup-self
	self=$(cid dockerup-self)
	run_engine --self-id "$self"
	[ "$status" -eq 0 ]
	[[ "$output" != *"dockerup-self"* ]]
	running dockerup-self
	# A short ID (12 digits, as docker ps shows it) is enough.
	run_engine --self-id "${self:0:12}"
	[ "$status" -eq 0 ]
	running dockerup-self
}

@test "orphans: none is removed while a source is invalid" {
	local_def web
	local_def api
	run_engine
	rm "$TEST_CONFDIR/api.json"
	printf '{"type": "docker", "name": ' > "$TEST_CONFDIR/broken.json"
	run_engine
	[ "$status" -eq 2 ]
	[[ "$output" == *"broken.json"* ]]
	[[ "$output" != *"remove api"* ]]
	running api
	running web
}

@test "orphans: a renamed leftover of a deleted definition is removed" {
	local_def web
	run_engine
	id=$(cid web)
	dk rename web "web-dockerup-old-${id:0:12}"
	rm "$TEST_CONFDIR/web.json"
	run_engine
	[ "$status" -eq 0 ]
	[ -z "$(all_names)" ]
}
