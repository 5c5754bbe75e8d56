#!/usr/bin/env bats
# One run's decisions: create, leave alone, replace, start; the plan of a
# dry run; recovery of what an interrupted run left.

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
}

@test "lifecycle: a new definition is created and started, with a summary" {
	local_def web
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"create web (new definition)"* ]]
	[[ "$output" =~ 1\ created,\ 0\ replaced,.*0\ failed\ in\ [0-9.]+s ]]
	running web
}

@test "lifecycle: a second run changes nothing (same IDs, same start times)" {
	local_def web ', "portMappings": [{"containerPort": 80}]'
	local_def db ', "restart": "always"'
	run_engine
	[ "$status" -eq 0 ]
	before="$(cid web) $(started_at web) $(cid db) $(started_at db)"
	t0=$(now_ts)
	run_engine
	[ "$status" -eq 0 ]
	t1=$(now_ts)
	[[ "$output" == *"0 created, 0 replaced, 0 started, 0 removed, 2 unchanged, 0 failed"* ]]
	[ "$(cid web) $(started_at web) $(cid db) $(started_at db)" = "$before" ]
	# Not one container event: nothing was touched.
	[ -z "$(events "$t0" "$t1")" ]
}

@test "lifecycle: an edited definition replaces its container, naming the fields" {
	local_def web ', "env": {"A": "1"}'
	run_engine
	old=$(cid web)
	local_def web ', "env": {"A": "2"}, "portMappings": [{"containerPort": 80}]'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace web (definition changed: portMappings, env)"* ]]
	[[ "$output" == *"1 replaced"* ]]
	[ "$(cid web)" != "$old" ]
	! exists "$old" || false
	[ "$(inspect web '.Config.Env | map(select(startswith("A="))) | .[0]')" = A=2 ]
	[ "$(all_names)" = web ]
}

@test "lifecycle: a change of update.* or signal alone replaces nothing; a change of the container does" {
	local_def peer
	local_def web ', "update": {"monitor": 0}, "signal": {"peer": "HUP"}'
	run_engine
	[ "$status" -eq 0 ]
	id=$(cid web) st=$(started_at web)
	# What dockerup does about it, not what it runs.
	local_def web ', "update": {"monitor": 5, "deadline": 60, "eager": true, "rollback": false, "pull": false}, "signal": {"peer": "USR1"}'
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 created, 0 replaced, 0 started, 0 removed, 2 unchanged, 0 failed"* ]]
	[ "$(cid web)" = "$id" ]
	[ "$(started_at web)" = "$st" ]
	local_def web ', "update": {"monitor": 5, "deadline": 60, "eager": true, "rollback": false, "pull": false}, "signal": {"peer": "USR1"}, "env": {"A": "1"}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace web (definition changed: env, "* ]]
	[[ "$output" == *"signal peer USR1 (web restarted)"* ]]
	[ "$(cid web)" != "$id" ]
}

@test "lifecycle: a container labelled by dockerup before update.* left the hash is kept" {
	local_def web ', "update": {"monitor": 0, "eager": true}'
	run_engine
	[ "$status" -eq 0 ]
	img=$(dk inspect -f '{{.Image}}' web)
	read -r now v1 < <("$DOCKERUP_TOOLS/spec_hashes" "$TEST_CONFDIR/web.json" "$img")
	[ "$(label web dockerup.hash)" = "$now" ]
	[ "$v1" != - ] && [ "$v1" != "$now" ]
	# The container as dockerup up to 2026-12-02 labelled it: its hash
	# covered update.*.
	dk rm -f web > /dev/null
	dk run -d --name web --label dockerup.id=web --label "dockerup.hash=$v1" \
	    --label dockerup.managed=1 --env "DOCKER_IMAGE=$RIG_IMAGE" \
	    "$RIG_IMAGE" /bin/sh -c 'trap "exit 0" TERM; sleep 100000 & wait' > /dev/null
	old=$(cid web)
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 replaced, 0 started, 0 removed, 1 unchanged, 0 failed"* ]]
	[ "$(cid web)" = "$old" ]
	# Its update policy changed: the old label covered it, so this once
	# the container is made again, with today's label.
	local_def web ', "update": {"monitor": 0, "eager": false}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace web (definition changed"* ]]
	[ "$(cid web)" != "$old" ]
	read -r now v1 < <("$DOCKERUP_TOOLS/spec_hashes" "$TEST_CONFDIR/web.json" "$img")
	[ "$(label web dockerup.hash)" = "$now" ]
	new=$(cid web)
	local_def web ', "update": {"monitor": 0, "eager": true}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 replaced"* ]]
	[ "$(cid web)" = "$new" ]
}

@test "lifecycle: a declared container that stopped is started again" {
	local_def web
	run_engine
	id=$(cid web)
	dk stop -t 1 web > /dev/null
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"start web (not running)"* ]]
	[ "$(cid web)" = "$id" ]
	running web
}

@test "lifecycle: a finished restart:never job stays until its definition changes" {
	write_def job '{"type": "docker", "name": "job", "image": "'"$RIG_IMAGE"'",
	    "restart": "never", "command": ["/bin/true"]}'
	run_engine
	[ "$status" -eq 0 ]
	wait_until 10 bash -c "! dk inspect -f '{{.State.Running}}' job | grep -q true"
	id=$(cid job)
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" != *"start job"* ]]
	[ "$(cid job)" = "$id" ]
	[ "$(inspect job .State.Status)" = exited ]
	write_def job '{"type": "docker", "name": "job", "image": "'"$RIG_IMAGE"'",
	    "restart": "never", "command": ["/bin/echo", "again"]}'
	run_engine
	[ "$status" -eq 0 ]
	[ "$(cid job)" != "$id" ]
}

@test "lifecycle: --dry-run prints the plan with reasons and changes nothing" {
	local_def keep
	local_def edit ', "env": {"A": "1"}'
	local_def stopped
	run_engine
	dk stop -t 1 stopped > /dev/null
	quick_run intruder
	local_def edit ', "env": {"A": "2"}'
	local_def fresh
	before=$(dk ps -a --format '{{.ID}} {{.Names}} {{.State}}' | sort)
	t0=$(now_ts)
	run_engine --dry-run
	t1=$(now_ts)
	[ "$status" -eq 0 ]
	[[ "$output" == *"create fresh (new definition)"* ]]
	[[ "$output" == *"replace edit (definition changed: env)"* ]]
	[[ "$output" == *"start stopped (not running)"* ]]
	[[ "$output" == *"remove intruder (not declared)"* ]]
	# Nothing planned for the unchanged one.
	! grep -Eq '(^| )[a-z]+ keep \(' <<< "$output" || false
	[ -z "$(events "$t0" "$t1")" ]
	[ "$(dk ps -a --format '{{.ID}} {{.Names}} {{.State}}' | sort)" = "$before" ]
}

@test "lifecycle: a container renamed out of the way gets its name back" {
	local_def web
	run_engine
	id=$(cid web)
	# What a run killed right after renaming the old container leaves.
	dk rename web "web-dockerup-old-${id:0:12}"
	run_engine
	[ "$status" -eq 0 ]
	[ "$(cid web)" = "$id" ]
	[ "$(all_names)" = web ]
}

@test "lifecycle: two containers with one identity: the right one is kept" {
	local_def web ', "env": {"A": "1"}'
	run_engine
	good=$(cid web)
	hash=$(label web dockerup.hash)
	# A stale twin with an old hash, as an interrupted replace can leave.
	dk rename web web-keep
	quick_run web --label dockerup.id=web --label dockerup.hash=0000 \
	    --label dockerup.managed=1
	stale=$(cid web)
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove web (duplicate of web)"* ]]
	! exists "$stale" || false
	[ "$(cid web)" = "$good" ]
	[ "$(label web dockerup.hash)" = "$hash" ]
	[ "$(all_names)" = web ]
}

@test "lifecycle: a container made by hand under a declared name is taken over" {
	quick_run web
	old=$(cid web)
	local_def web
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace web (not created by dockerup)"* ]]
	[ "$(cid web)" != "$old" ]
	[ "$(label web dockerup.id)" = web ]
}
