#!/usr/bin/env bats
# The health gate of replacements (issue #16): a new container must run
# update.monitor seconds (and be healthy within update.deadline when it
# has a health check) before the old one goes; otherwise the old one is
# put back, the failed combination is held until `dockerup retry`, and
# status.json and the metrics say so.  Images are imported locally
# (rig_image) with a version the test command reads: "bad..." exits.

load helpers
load engine_helpers

GATE_IMAGE=dockerup-test/gate:latest
# Exits 3 at once when the image's version starts with "bad".
GATE_CMD='["/bin/sh", "-c", "v=$(cat /etc/dockerup-test-version); case $v in bad*) echo \"version $v: cannot start\"; exit 3;; esac; echo \"version $v up\"; trap \"exit 0\" TERM; sleep 100000 & wait"]'

setup() {
	setup_confdir
	cleanup_containers
	rig_image "$GATE_IMAGE" 1
}

teardown() {
	cleanup_containers
}

# gate_def NAME [FIELDS]: NAME from the gate image, FIELDS comma-first.
gate_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$GATE_IMAGE"'", "command": '"$GATE_CMD$2"'}'
}

creates_since() {
	tail -c +"$(($1 + 1))" "$RIG_DIR/dockerd.log" | grep -c 'msg="Calling POST /v[0-9.]*/containers/create' || true
}

@test "gate: an image whose container exits at once is rolled back (eager: same container, still running), exit 1" {
	gate_def web ', "update": {"eager": true, "monitor": 2}'
	run_engine
	[ "$status" -eq 0 ]
	old=$(cid web)
	rig_image "$GATE_IMAGE" bad1
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"update of web to image sha256:"*"ROLLED BACK: the new container "*"exited"*"version bad1: cannot start"* ]]
	# One line says it all.
	[ "$(grep -c 'ROLLED BACK' <<< "$output")" -eq 1 ]
	[ "$(cid web)" = "$old" ]
	running web
	[ "$(all_names)" = web ]
	[ "$(version_in web)" = 1 ]
}

@test "gate: a new container never healthy is rolled back at update.deadline" {
	gate_def web ', "update": {"monitor": 1, "deadline": 3}'
	run_engine
	old=$(cid web)
	gate_def web ', "update": {"monitor": 1, "deadline": 3},
	    "healthcheck": {"test": "exit 1", "interval": 1, "startPeriod": 60}'
	t0=$(date +%s.%N)
	run_engine
	t1=$(date +%s.%N)
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ROLLED BACK: the new container "*"was not healthy within 3 s (update.deadline)"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	[ "$(all_names)" = web ]
	# At the deadline, not much later.
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 3 && b - a < 10) }'
}

@test "gate: a new container that turns unhealthy after a few seconds is rolled back" {
	gate_def web ', "update": {"monitor": 8, "deadline": 20}'
	run_engine
	old=$(cid web)
	write_def web '{"type": "docker", "name": "web", "image": "'"$GATE_IMAGE"'",
	    "command": ["/bin/sh", "-c", "touch /tmp/ok; (sleep 2; rm /tmp/ok) & trap \"exit 0\" TERM; sleep 100000 & wait"],
	    "update": {"monitor": 8, "deadline": 20},
	    "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/ok"], "interval": 1, "retries": 1}}'
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ROLLED BACK: the new container "*"turned unhealthy after"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	[ "$(all_names)" = web ]
}

@test "gate: a stop-first rollback restores the old container with its anonymous volume's data" {
	gate_def data ', "update": {"monitor": 2}, "volumes": [{"containerPath": "/data"}]'
	run_engine
	old=$(cid data)
	dk exec data sh -c 'echo precious > /data/f'
	rig_image "$GATE_IMAGE" bad2
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ROLLED BACK"*"runs again"* ]]
	[ "$(cid data)" = "$old" ]
	running data
	[ "$(all_names)" = data ]
	[ "$(dk exec data cat /data/f)" = precious ]
}

@test "gate: good updates pass together in about one monitor period; the old containers go" {
	gate_def ga ', "update": {"monitor": 3}'
	gate_def gb ', "update": {"monitor": 3, "eager": true}'
	gate_def gc ', "update": {"monitor": 3}'
	run_engine
	echo "$output"
	[ "$status" -eq 0 ]
	olda=$(cid ga) oldb=$(cid gb) oldc=$(cid gc)
	rig_image "$GATE_IMAGE" 2
	t0=$(date +%s.%N)
	run_engine
	t1=$(date +%s.%N)
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 replaced"* ]]
	[ "$(grep -c 'passed its gate' <<< "$output")" -eq 3 ]
	for n in ga gb gc; do
		running $n
		[ "$(version_in $n)" = 2 ]
	done
	! exists "$olda" || false
	! exists "$oldb" || false
	! exists "$oldc" || false
	[ "$(all_names)" = "ga gb gc" ]
	# Three gates of 3 s: about 3 s, not 9.
	echo "run took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s" >&3
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 3 && b - a < 7) }'
}

@test "gate: a rolled-back combination is not tried again until dockerup retry NAME" {
	gate_def web ', "update": {"monitor": 1}'
	run_engine
	old=$(cid web)
	rig_image "$GATE_IMAGE" bad3
	run_engine
	[ "$status" -eq 1 ]
	[ "$(stat -c %a "$TEST_CACHE/failed.json")" = 600 ]
	# The next run holds it back: a plan line, no create, exit 1.
	off=$(dockerd_log_size)
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold web (the update to image sha256:"*"was rolled back at "*"exited"*"dockerup retry web)"* ]]
	[ "$(creates_since "$off")" -eq 0 ]
	[ "$(cid web)" = "$old" ]
	# A dry run shows the same.
	run_engine --dry-run
	[[ "$output" == *"hold web (the update to image"* ]]
	# retry: the next run tries again (and fails again).
	run "$DOCKERUP" retry web --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"the next run tries the update of web again"* ]]
	off=$(dockerd_log_size)
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(creates_since "$off")" -eq 1 ]
	[[ "$output" == *"ROLLED BACK"* ]]
	# Another image is another combination: tried at once, and it passes.
	rig_image "$GATE_IMAGE" 3
	run_engine
	[ "$status" -eq 0 ]
	[ "$(version_in web)" = 3 ]
	# retry of what is not held says so.
	run "$DOCKERUP" retry nosuch --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no rolled-back update of nosuch is held back"* ]]
}

@test "gate: update.rollback false keeps the failing new container with a warning" {
	gate_def web ', "update": {"monitor": 1, "rollback": false}, "restart": "never"'
	run_engine
	old=$(cid web)
	rig_image "$GATE_IMAGE" bad4
	run_engine
	echo "$output"
	[[ "$output" == *"update.rollback is false, so it is kept"* ]]
	[[ "$output" != *"ROLLED BACK"* ]]
	! exists "$old" || false
	[ "$(all_names)" = web ]
}

@test "gate: status.json and the metrics file show the rollback" {
	prom=$BATS_TEST_TMPDIR/dockerup.prom
	gate_def web ', "update": {"monitor": 1}'
	run_engine --metrics-file "$prom"
	old=$(cid web)
	oldimg=$(dk inspect -f '{{.Image}}' web)
	rig_image "$GATE_IMAGE" bad5
	run_engine --metrics-file "$prom"
	[ "$status" -eq 1 ]
	j=$TEST_CACHE/status.json
	[[ "$(jq -r '.definitions[0].last_rollback.why' "$j")" == "exited "*" s"* ]]
	[ "$(jq -r '.definitions[0].last_rollback.held' "$j")" = true ]
	[ "$(jq -r '.definitions[0].last_rollback.rollbacks' "$j")" = 1 ]
	[[ "$(jq -r '.definitions[0].last_rollback.time' "$j")" == 20*Z ]]
	# It runs its old, good container: running, not failed, with the
	# old container's ID and image; the run's status is still 1.
	[ "$(jq -r '.definitions[0].state' "$j")" = running ]
	[ "$(jq -r '.definitions[0].last_action' "$j")" = rollback ]
	[[ "$(jq -r '.definitions[0].reason' "$j")" == *"ROLLED BACK"* ]]
	[ "$(jq -r '.definitions[0].last_error' "$j")" = null ]
	[ "$(jq -r '.definitions[0].container_id' "$j")" = "$old" ]
	[ "$(jq -r '.definitions[0].image_id' "$j")" = "$oldimg" ]
	grep -qx 'dockerup_rollbacks_total{container="web"} 1' "$prom"
	grep -qx 'dockerup_containers{state="running"} 1' "$prom"
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	echo "$output"
	[[ "$output" == *"web"*"running"* ]]
	[[ "$output" == *"ROLLBACKS"*"web: rolled back at 20"*"(exited "*"held back until"* ]]
	# The next run holds the update back: still running, not failed.
	run_engine --metrics-file "$prom"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold web"* ]]
	[ "$(jq -r '.definitions[0].state' "$j")" = running ]
	[ "$(jq -r '.definitions[0].last_action' "$j")" = hold ]
	[ "$(jq -r '.definitions[0].last_rollback.held' "$j")" = true ]
}

@test "gate: a rollback leaves the dependents of the rolled-back container on it (network container:NAME, volumes from): same IDs" {
	gate_def base ', "update": {"monitor": 2}, "volumes": [{"containerPath": "/data"}]'
	write_def netdep '{"type": "docker", "name": "netdep", "image": "'"$RIG_IMAGE"'", "command": '"$TRAP_CMD"', "network": "container:base"}'
	write_def voldep '{"type": "docker", "name": "voldep", "image": "'"$RIG_IMAGE"'", "command": '"$TRAP_CMD"', "volumes": [{"from": "base"}]}'
	run_engine
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	oldbase=$(cid base) oldnet=$(cid netdep) oldvol=$(cid voldep)
	dk exec base sh -c 'echo precious > /data/f'
	rig_image "$GATE_IMAGE" bad6
	run_engine -v
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"update of base to image sha256:"*"ROLLED BACK"* ]]
	# The dependents waited for the gate, so the rollback has nothing
	# of theirs to restore: neither was made again.
	[[ "$output" != *"restart netdep (depends on"* ]]
	[[ "$output" != *"replace voldep"* ]]
	[ "$(cid base)" = "$oldbase" ]
	[ "$(cid netdep)" = "$oldnet" ]
	[ "$(cid voldep)" = "$oldvol" ]
	for c in base netdep voldep; do running $c || fail "$c is not running"; done
	[ "$(all_names)" = "base netdep voldep" ]
	[ "$(inspect netdep .HostConfig.NetworkMode)" = "container:$oldbase" ]
	[ "$(dk exec voldep cat /data/f)" = precious ]
	# Stop-first: the old base was stopped and started again, so its
	# network dependent was restarted to join its new namespace.
	[[ "$output" == *"restart netdep (it shares the network of base, whose container ${oldbase:0:12} is started again)"* ]]
	[ "$(netns netdep)" = "$(netns base)" ]
	# Settled: the next run holds the update and touches nothing else.
	run_engine -v
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold base"* ]]
	[[ "$output" != *"restart netdep"* ]]
	[ "$(cid netdep)" = "$oldnet" ]
	[ "$(cid voldep)" = "$oldvol" ]
}
