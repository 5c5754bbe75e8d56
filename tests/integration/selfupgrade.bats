#!/usr/bin/env bats
# Issue #6: dockerup in its own container upgrades itself eagerly, hands
# the run lock over, and rolls back an image that does not come up.  The
# container always runs under policy/container-seccomp.json with the
# documented capabilities (the README's `docker run` line first, then the
# definition below).

load helpers
load container_helpers

# Every phase waits at most this long (a few intervals, plus pulls).
PHASE_S=90

setup() {
	setup_confdir
	cleanup_containers
	REPO=selfup$BATS_TEST_NUMBER-$$/dockerup:latest
	printf 'interval=2\nverbose=true\nready_timeout=%s\n' \
	    "${READY_TIMEOUT:-30}" > "$TEST_CONFIG"
	write_def web '{"type": "docker", "name": "web", "image": "'"$RIG_IMAGE"'",
	    "update": {"pull": false}}'
}

teardown() {
	local c
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		for c in $(dockerup_all); do
			echo "--- log of $c (image $(inspect "$c" .Image))" >&3
			dk logs "$c" 2>&1 | grep -E -e 'self-upgrade|lock|standing' \
			    -e 'warn|error|said|took|previous' | tail -40 |
			    sed 's/^/# /' >&3 || true
		done
	fi
	cleanup_containers
	image_remove_all
}

# The definition of dockerup's own container, as examples/self has it, with
# this test's host paths.
write_self_def() {
	local sock=${DOCKER_HOST#unix://}
	write_def dockerup '{
	"type": "docker", "name": "dockerup", "image": "'"$1"'",
	"update": {"eager": true}, "restart": "always", "network": "host",
	"readOnly": true, "capDrop": ["ALL"],
	"capAdd": ["CHOWN", "KILL", "SETGID", "SETUID", "SETPCAP"],
	"securityOpt": ["no-new-privileges",
	    "seccomp=dockerup"],
	"volumes": [
	    {"containerPath": "/var/cache/dockerup", "hostPath": "'"$TEST_CACHE"'"},
	    {"containerPath": "/var/run/docker.sock", "hostPath": "'"$sock"'"},
	    {"containerPath": "/etc/dockerup/dockerup.conf", "hostPath": "'"$TEST_CONFIG"'", "mode": "ro"},
	    {"containerPath": "/etc/dockerup/containers.d", "hostPath": "'"$TEST_CONFDIR"'", "mode": "ro"}
	]}'
}

# IDs of every container (running or not) made from a dockerup image.
dockerup_all() {
	local img
	for img in $(dk images -q --no-trunc --filter \
	    "label=$CONTAINER_TITLE_LABEL"); do
		dk ps -aq --no-trunc --filter "ancestor=$img"
	done | sort -u
}

# Exactly one running dockerup container, from image $1 and labelled by
# its definition: prints its ID.
one_instance_of() {
	local ids n id
	ids=$(dockerup_all)
	n=$(printf '%s\n' "$ids" | grep -c . || true)
	[ "$n" -eq 1 ] || return 1
	id=$ids
	[ "$(inspect "$id" .State.Running)" = true ] || return 1
	[ "$(inspect "$id" .Image)" = "$1" ] || return 1
	[ "$(inspect "$id" '.Config.Labels["dockerup.id"]')" = dockerup ] ||
	    return 1
	echo "$id"
}

# The container runs under our profile and capability set.
assert_hardened() {
	local id=$1 prof want
	[ "$(inspect "$id" .HostConfig.ReadonlyRootfs)" = true ] ||
	    fail "$id: root file system is writable"
	[ "$(inspect "$id" .HostConfig.NetworkMode)" = host ] ||
	    fail "$id: not on the host network"
	[ "$(dk inspect -f '{{json .HostConfig.CapDrop}}' "$id")" = '["ALL"]' ] ||
	    fail "$id: CapDrop is $(dk inspect -f '{{json .HostConfig.CapDrop}}' "$id")"
	[ "$(dk inspect -f '{{json .HostConfig.CapAdd}}' "$id" | jq -c 'map(ltrimstr("CAP_")) | sort')" = \
	    '["CHOWN","KILL","SETGID","SETPCAP","SETUID"]' ] ||
	    fail "$id: CapAdd is $(dk inspect -f '{{json .HostConfig.CapAdd}}' "$id")"
	dk inspect -f '{{json .HostConfig.SecurityOpt}}' "$id" |
	    jq -e 'index("no-new-privileges") != null or index("no-new-privileges:true") != null' > /dev/null ||
	    fail "$id: no no-new-privileges"
	prof=$(dk inspect -f '{{json .HostConfig.SecurityOpt}}' "$id" |
	    jq -r '.[] | select(startswith("seccomp=")) | ltrimstr("seccomp=")' | jq -cS .)
	want=$(jq -cS . "$DOCKERUP_SRC/policy/container-seccomp.json")
	[ -n "$prof" ] && [ "$prof" = "$want" ] ||
	    fail "$id: its seccomp profile is not policy/container-seccomp.json"
}

# Waits until exactly one dockerup instance runs from image $1; sets ONE.
wait_one_instance() {
	local deadline=$((SECONDS + PHASE_S))
	while [ $SECONDS -lt $deadline ]; do
		if ONE=$(one_instance_of "$1"); then
			return 0
		fi
		sleep 1
	done
	echo "# dockerup containers:" >&3
	dk ps -a --no-trunc --format '{{.ID}} {{.Image}} {{.Names}} {{.Status}}' | sed 's/^/# /' >&3
	fail "no single dockerup instance from $1 within $PHASE_S s"
}

# publish VERSION [ENTRYPOINT_JSON]: a new image under the same tag in the
# rig's registry; sets IMAGE_ID.  It is built and pushed as
# localhost:PORT/..., the same registry under another local name, so that
# the running instance's own pulls of 127.0.0.1:PORT/... never race with
# the push (it would move the local tag back under it).
publish() {
	local alt=localhost:${RIG_REGISTRY#*:}/$REPO
	image_build "$alt" "$1" "${2:-}" || return 1
	dk push -q "$alt" > /dev/null || { fail "publish: push of $alt failed"; return 1; }
	dk rmi "$alt" > /dev/null 2>&1 || true
}

# Starts the first instance by hand (README line) from v1 and waits for
# the handover to the container its definition describes.
start_v1() {
	REPO_REF=$RIG_REGISTRY/$REPO
	publish 1 || return 1
	V1=$IMAGE_ID
	dk pull -q "$REPO_REF" > /dev/null
	container_start dockerup "$REPO_REF" "$TEST_CONFDIR" "$TEST_CACHE" \
	    "$TEST_CONFIG" || return 1
	FIRST=$CONTAINER_ID
	wait_until 30 eval '[ "$(inspect web .State.Running)" = true ]'
	assert_hardened "$FIRST"
	# Its own definition appears: it hands over to the container that
	# definition describes.
	write_self_def "$REPO_REF"
	wait_one_instance "$V1"
	[ "$ONE" != "$FIRST" ] || fail "the hand-started instance did not hand over"
	WEB_ID=$(inspect web .Id)
	WEB_STARTED=$(inspect web .State.StartedAt)
}

@test "self-upgrade: the hand-started instance hands over to its definition, then v1 -> v2" {
	start_v1
	assert_hardened "$ONE"
	V1_CTR=$ONE
	# Its processes: parent and engine as root, the fetcher as
	# dockerup-fetch.
	run container_pids "$V1_CTR"
	[ "$(printf '%s\n' "$output" | grep -c 'dockerup')" -eq 3 ]

	publish 2
	V2=$IMAGE_ID
	[ "$V2" != "$V1" ]
	wait_one_instance "$V2"
	assert_hardened "$ONE"
	[ "$ONE" != "$V1_CTR" ]
	# The other declared container was not touched.
	[ "$(inspect web .Id)" = "$WEB_ID" ]
	[ "$(inspect web .State.StartedAt)" = "$WEB_STARTED" ]
	# The new instance took the lock and removed the old one.
	run container_logs "$ONE"
	[[ "$output" == *"took the run lock"* ]]
	[[ "$output" != *"SIGSYS"* ]]
	[ ! -e "$TEST_CACHE/handover/old" ]
	[ ! -e "$TEST_CACHE/handover/failed" ]
}

@test "self-upgrade: a v3 that exits at once is rolled back and not retried" {
	start_v1
	V1_CTR=$ONE
	publish 3 '["/usr/sbin/dockerup", "--no-such-option"]'
	V3=$IMAGE_ID
	wait_until "$PHASE_S" eval '[ -s "$TEST_CACHE/handover/failed" ]'
	grep -q "$V3" "$TEST_CACHE/handover/failed"
	# Three more intervals: still v1, same container, no v3 container.
	sleep 6
	[ "$(one_instance_of "$V1")" = "$V1_CTR" ]
	[ -z "$(dk ps -aq --filter "ancestor=$V3")" ]
	run container_logs "$V1_CTR"
	[[ "$output" == *"FAILED"*"exited with status 2 before it was ready"* ]]
	[ "$(printf '%s\n' "$output" | grep -c 'new instance .* started from')" -eq 1 ]
	[[ "$output" == *"was rolled back before; it is not tried again"* ]]
	[ "$(inspect web .Id)" = "$WEB_ID" ]
	[ "$(inspect web .State.StartedAt)" = "$WEB_STARTED" ]
	assert_hardened "$V1_CTR"
}

@test "self-upgrade: a v3 that never gets ready is rolled back after ready_timeout" {
	READY_TIMEOUT=8
	printf 'interval=2\nverbose=true\nready_timeout=8\n' > "$TEST_CONFIG"
	start_v1
	V1_CTR=$ONE
	# Runs, but its engine can never reach the Docker API.
	publish 3 '["/usr/sbin/dockerup", "--server", "--remote", "unix:///nonexistent.sock"]'
	V3=$IMAGE_ID
	wait_until "$PHASE_S" eval '[ -s "$TEST_CACHE/handover/failed" ]'
	sleep 4
	[ "$(one_instance_of "$V1")" = "$V1_CTR" ]
	[ -z "$(dk ps -aq --filter "ancestor=$V3")" ]
	run container_logs "$V1_CTR"
	[[ "$output" == *"FAILED"*"was not ready within 8 s"* ]]
	[ "$(inspect web .Id)" = "$WEB_ID" ]
	[ "$(inspect web .State.StartedAt)" = "$WEB_STARTED" ]
}

# A crash of every process of container $1 (SIGKILL to its PID 1 from the
# host: for the engine it exited on its own, so its restart policy applies,
# unlike `docker kill`).
crash() {
	local pid
	pid=$(inspect "$1" .State.Pid)
	[ -n "$pid" ] && [ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null || true
}

# IDs of the containers made from image $1.
from_image() {
	dk ps -aq --no-trunc --filter "ancestor=$1"
}

@test "self-upgrade: the old instance killed while the new one starts: one v2 instance" {
	start_v1
	V1_CTR=$ONE
	publish 2
	V2=$IMAGE_ID
	wait_until "$PHASE_S" eval '[ -n "$(from_image "$V2")" ]'
	crash "$V1_CTR"
	wait_one_instance "$V2"
	assert_hardened "$ONE"
	[ "$(inspect web .Id)" = "$WEB_ID" ]
	[ "$(inspect web .State.StartedAt)" = "$WEB_STARTED" ]
}

@test "self-upgrade: the old instance killed once the new one is ready: started again, it hands over, one v2 instance" {
	start_v1
	V1_CTR=$ONE
	publish 2
	V2=$IMAGE_ID
	wait_until "$PHASE_S" eval '[ -n "$(from_image "$V2")" ]'
	NEW=$(from_image "$V2")
	# The new instance has written its ready record.  The old one,
	# started again by its restart policy, finds the handover record
	# naming itself: it must not write its own ID over the new one's,
	# which it then waits for (an old instance that did timed out
	# after ready_timeout and rolled a good upgrade back).
	wait_until "$PHASE_S" eval 'dk logs "$NEW" 2>&1 | grep -q "ready to take over"'
	crash "$V1_CTR"
	wait_one_instance "$V2"
	assert_hardened "$ONE"
	# Whichever instance took the lock, the good upgrade went through.
	! dk logs "$V1_CTR" 2>&1 | grep -q "FAILED" || false
	[ "$(inspect web .Id)" = "$WEB_ID" ]
}

@test "self-upgrade: the old instance killed while a broken new one waits: the old one comes back and rolls back" {
	printf 'interval=2\nverbose=true\nready_timeout=15\n' > "$TEST_CONFIG"
	start_v1
	V1_CTR=$ONE
	publish 3 '["/usr/sbin/dockerup", "--server", "--remote", "unix:///nonexistent.sock"]'
	V3=$IMAGE_ID
	wait_until "$PHASE_S" eval '[ -n "$(from_image "$V3")" ]'
	# restart: always brings the old one back; the broken one never
	# reached the API, so it never takes the lock.
	crash "$V1_CTR"
	wait_until "$PHASE_S" eval '[ -s "$TEST_CACHE/handover/failed" ]'
	wait_one_instance "$V1"
	[ "$ONE" = "$V1_CTR" ]
	[ -z "$(from_image "$V3")" ]
	[ "$(inspect web .Id)" = "$WEB_ID" ]
}
