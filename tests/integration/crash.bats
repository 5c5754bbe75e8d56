#!/usr/bin/env bats
# A crash at any moment (issue #16): nothing stuck after an engine crash,
# and exactly one container per definition after a kill -9 of dockerup's
# engine or parent at any Docker call of a chain replacement.

load helpers

# A main process that ends at SIGTERM, so that stops take no timeout.
CMD='"command": ["sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]'
CHAIN=5
IMG=dockerup-test/crash:1

setup() {
	setup_confdir
	cleanup_containers
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	stop_dockerup || true
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2> /dev/null || true
		wait "$PROXY_PID" 2> /dev/null || true
	fi
	[ -z "${PROXY_DIR:-}" ] || rm -rf "$PROXY_DIR"
	cleanup_containers
}

# Starts stuck_start_proxy.py in front of the rig's engine: PROXY_DIR,
# PROXY_REMOTE.
start_stuck_proxy() {
	local i
	PROXY_DIR=$(mktemp -d /tmp/stuck-proxy.XXXXXX)
	PROXY_REMOTE=unix://$PROXY_DIR/docker.sock
	python3 "$BATS_TEST_DIRNAME/stuck_start_proxy.py" "$PROXY_DIR" \
	    "${DOCKER_HOST#unix://}" > "$PROXY_DIR/proxy.log" 2>&1 3>&- &
	PROXY_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$PROXY_DIR/docker.sock" ] && [ -s "$PROXY_DIR/pid" ] && return 0
		sleep 0.1
	done
	fail "stuck_start_proxy.py did not start: $(cat "$PROXY_DIR/proxy.log")"
}

cid() {
	dk inspect -f '{{.Id}}' "$1"
}

@test "a container that never ran and cannot be started (\"task ...: already exists\") is created again; its dependents follow it" {
	start_stuck_proxy
	echo cs1 > "$PROXY_DIR/stuck"
	write_def cs1 '{"type": "docker", "name": "cs1", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"', "volumes": [{"containerPath": "/data"}]}'
	write_def cs2 '{"type": "docker", "name": "cs2", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"', "volumes": [{"from": "cs1"}]}'
	write_def cs3 '{"type": "docker", "name": "cs3", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"', "network": "container:cs1"}'
	# As after a dockerd that died during the start of cs1: created,
	# never run, and every start of it refused.
	run_dockerup --remote "$PROXY_REMOTE" --no-pull -v
	[ "$status" -eq 1 ]
	[[ "$output" == *"start cs1: task "*": already exists"* ]] || { echo "$output"; return 1; }
	local stuck new
	stuck=$(awk '$1 == "cs1" { print $2 }' "$PROXY_DIR/stuck.ids")
	[ "$(cid cs1)" = "$stuck" ]
	[ "$(inspect cs1 .State.StartedAt)" = "0001-01-01T00:00:00Z" ]
	# The next run: cs1 is removed and created again, within the run,
	# and each dependent attached to the new one.
	run_dockerup --remote "$PROXY_REMOTE" --no-pull -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"start cs1: container ${stuck:0:12} never ran and cannot be started: task $stuck: already exists"*"; it is removed and created again"* ]]
	new=$(cid cs1)
	[ "$new" != "$stuck" ]
	! dk inspect "$stuck" > /dev/null 2>&1
	for c in cs1 cs2 cs3; do
		[ "$(inspect $c .State.Running)" = true ] || fail "$c is not running"
	done
	[ "$(inspect cs3 .HostConfig.NetworkMode)" = "container:$new" ]
	[ "$(inspect cs2 '.Mounts[] | select(.Destination == "/data") | .Name')" = \
	    "$(inspect cs1 '.Mounts[] | select(.Destination == "/data") | .Name')" ]
	[ "$(dk ps -aq | wc -l)" -eq 3 ]
	# Settled: a third run has nothing to do.
	run_dockerup --remote "$PROXY_REMOTE" --no-pull -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 created, 0 replaced, 0 started, 0 removed, 3 unchanged, 0 failed"* ]] || { echo "$output"; return 1; }
}

@test "a container that ran before and cannot be started is left as it is, with the reason" {
	write_def cs1 '{"type": "docker", "name": "cs1", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"'}'
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	local id
	id=$(cid cs1)
	dk stop -t 1 cs1 > /dev/null
	start_stuck_proxy
	echo "$id" > "$PROXY_DIR/stuck"
	run_dockerup --remote "$PROXY_REMOTE" --no-pull -v
	[ "$status" -eq 1 ]
	[[ "$output" == *"start cs1: task $id: already exists"* ]] || { echo "$output"; return 1; }
	[[ "$output" != *"created again"* ]]
	[ "$(cid cs1)" = "$id" ]
}
