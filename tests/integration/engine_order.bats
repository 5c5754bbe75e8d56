#!/usr/bin/env bats
# Order of operations, as the engine's event stream shows it: replace
# (default and eager), dependencies and their dependents, and signals.

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
}

# replace_events FIELDS_V1 FIELDS_V2: runs web with v1, then v2, and puts
# the events of the second run in $EV (one "action name" per line).
replace_events() {
	local_def web "$1"
	run_engine
	[ "$status" -eq 0 ]
	OLD=$(cid web)
	local_def web "$2"
	local t0 t1
	t0=$(now_ts)
	run_engine
	t1=$(now_ts)
	[ "$status" -eq 0 ]
	EV=$BATS_TEST_TMPDIR/events
	events "$t0" "$t1" > "$EV"
	OLDNAME=web-dockerup-old-${OLD:0:12}
}

@test "order: a default replace stops the old container before starting the new" {
	replace_events ', "env": {"V": "1"}' ', "env": {"V": "2"}'
	cat "$EV"
	create=$(event_line "$EV" "^create web$")
	die=$(event_line "$EV" "^die $OLDNAME$")
	start=$(event_line "$EV" "^start web$")
	destroy=$(event_line "$EV" "^destroy $OLDNAME$")
	# The new one exists before the old one stops (a refused definition
	# would leave the old one running).
	[ "$create" -gt 0 ] && [ "$create" -lt "$die" ]
	[ "$die" -lt "$start" ]
	[ "$destroy" -gt 0 ]
	[ "$(all_names)" = web ]
	! exists "$OLD" || false
}

@test "order: an eager replace starts the new container before stopping the old" {
	replace_events ', "update": {"eager": true}, "env": {"V": "1"}' \
	    ', "update": {"eager": true}, "env": {"V": "2"}'
	cat "$EV"
	rename=$(event_line "$EV" "^rename $OLDNAME$")
	start=$(event_line "$EV" "^start web$")
	die=$(event_line "$EV" "^die $OLDNAME$")
	destroy=$(event_line "$EV" "^destroy $OLDNAME$")
	[ "$rename" -gt 0 ] && [ "$rename" -lt "$start" ]
	[ "$start" -lt "$die" ]
	[ "$die" -lt "$destroy" ]
	[ "$(all_names)" = web ]
}

@test "order: eager falls back to stop-first when both bind the same host port" {
	replace_events \
	    ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18081}], "env": {"V": "1"}' \
	    ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18081}], "env": {"V": "2"}'
	[[ "$output" == *"both bind host port 18081/tcp"* ]]
	die=$(event_line "$EV" "^die $OLDNAME$")
	start=$(event_line "$EV" "^start web$")
	[ "$die" -gt 0 ] && [ "$die" -lt "$start" ]
}

@test "order: dependencies are created first" {
	local_def zdb
	local_def zstore ', "volumes": [{"containerPath": "/data"}]'
	local_def app ', "volumes": [{"from": "zstore"}], "network": "container:zdb"'
	t0=$(now_ts)
	run_engine
	t1=$(now_ts)
	[ "$status" -eq 0 ]
	events "$t0" "$t1" > "$BATS_TEST_TMPDIR/ev"
	app=$(event_line "$BATS_TEST_TMPDIR/ev" "^create app$")
	[ "$(event_line "$BATS_TEST_TMPDIR/ev" "^start zdb$")" -lt "$app" ]
	[ "$(event_line "$BATS_TEST_TMPDIR/ev" "^start zstore$")" -lt "$app" ]
	running app
}

@test "order: replacing a container recreates the dependents that must follow it" {
	local_def base ', "env": {"V": "1"}'
	local_def side ', "network": "container:base", "volumes": [{"containerPath": "/shared"}]'
	local_def third ', "volumes": [{"from": "side"}]'
	local_def alone
	run_engine
	[ "$status" -eq 0 ]
	side=$(cid side)
	third=$(cid third)
	alone=$(cid alone)
	local_def base ', "env": {"V": "2"}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace base (definition changed: env)"* ]]
	[[ "$output" == *"restart side (depends on base)"* ]]
	# side's volume is carried over: third, which takes volumes from
	# it, keeps the same volume and need not be made again.
	[[ "$output" != *"third"* ]]
	[[ "$output" == *"2 replaced"* ]]
	[ "$(cid side)" != "$side" ]
	[ "$(cid third)" = "$third" ]
	[ "$(cid alone)" = "$alone" ]
	[ "$(inspect side .HostConfig.NetworkMode)" = "container:$(cid base)" ]
	running side
	running third
}

@test "order: a dependent left on a replaced network container is recreated" {
	local_def base ', "env": {"V": "1"}'
	local_def side ', "network": "container:base"'
	run_engine
	[ "$status" -eq 0 ]
	# A run interrupted after replacing base and before side: side still
	# shares the old base's network.  Recreate base by hand, then run.
	old=$(cid base)
	dk rename base base-gone
	dk create --name base --label dockerup.id=base \
	    --label "dockerup.hash=$(label base-gone dockerup.hash)" \
	    --label dockerup.managed=1 --env V=1 \
	    --env "DOCKER_IMAGE=$RIG_IMAGE" "$RIG_IMAGE" > /dev/null
	dk rm -f base-gone > /dev/null
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"restart side (depends on base)"* ]]
	[ "$(inspect side .HostConfig.NetworkMode)" = "container:$(cid base)" ]
	[ "$(cid base)" != "$old" ]
}

@test "order: a network dependent whose dependency was started again outside dockerup rejoins its namespace" {
	local_def base
	local_def side ', "network": "container:base"'
	run_engine
	[ "$status" -eq 0 ]
	b=$(cid base) s=$(cid side)
	[ "$(netns side)" = "$(netns base)" ]
	# As dockerd's restart policy or a person would: base gets a new
	# namespace, and side stays in the old one, which has no interface
	# left but its own loopback.
	dk restart -t 1 base > /dev/null
	[ "$(netns side)" != "$(netns base)" ]
	run_engine --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"restart side (it shares the network of base, whose container ${b:0:12} started again after it)"* ]]
	[[ "$output" == *"1 to start, 0 to remove, 1 unchanged"* ]]
	[ "$(netns side)" != "$(netns base)" ]
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"restart side (it shares the network of base, whose container ${b:0:12} started again after it)"* ]]
	[[ "$output" == *"1 started, 0 removed, 1 unchanged, 0 failed"* ]]
	# The same containers, side in base's namespace again.
	[ "$(cid base)" = "$b" ]
	[ "$(cid side)" = "$s" ]
	[ "$(netns side)" = "$(netns base)" ]
	# Nothing more to do: two inspects, no restart.
	off=$(dockerd_log_size)
	run_engine -v
	[ "$status" -eq 0 ]
	[[ "$output" != *"restart side"* ]]
	[ "$(api_calls_since "$off")" -eq 5 ]
	[ "$(grep -c 'Calling GET /v1.41/containers/[0-9a-f]*/json' <(tail -c +"$((off + 1))" "$RIG_DIR/dockerd.log"))" -eq 2 ]
}

@test "order: signal: the named container gets the signal after a (re)start" {
	write_def proxy '{"type": "docker", "name": "proxy", "image": "'"$RIG_IMAGE"'",
	    "command": ["/bin/sh", "-c", "trap \"echo got >> /tmp/hup\" HUP; trap \"exit 0\" TERM; while :; do sleep 1000 & wait $!; done"]}'
	local_def web ', "signal": {"proxy": "HUP"}, "env": {"V": "1"}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"signal proxy HUP (web restarted)"* ]]
	wait_until 5 bash -c '[ "$(docker exec proxy cat /tmp/hup 2>/dev/null | wc -l)" -eq 1 ]'
	# No restart, no signal.
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" != *"signal proxy"* ]]
	local_def web ', "signal": {"proxy": "HUP"}, "env": {"V": "2"}'
	run_engine
	[ "$status" -eq 0 ]
	wait_until 5 bash -c '[ "$(docker exec proxy cat /tmp/hup | wc -l)" -eq 2 ]'
	running proxy
}
