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
	local vol
	vol=$(inspect cs1 '.Mounts[] | select(.Destination == "/data") | .Name')
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
	# Its volume goes on to the new one (carried over, as by a replace).
	[ "$(inspect cs1 '.Mounts[] | select(.Destination == "/data") | .Name')" = "$vol" ]
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

# dockerd's pid on the rig.
dockerd_pid() {
	pgrep -f "^dockerd --config-file $RIG_DIR/daemon.json "
}

@test "kill -9 of dockerd during the start of a container, then its restart: the next run leaves nothing stuck" {
	write_def ds1 '{"type": "docker", "name": "ds1", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"'}'
	write_def ds2 '{"type": "docker", "name": "ds2", "image": "'"$RIG_IMAGE"'", "stopTimeout": 1, '"$CMD"', "network": "container:ds1"}'
	local delays="0.06 0.04 0.08 0.05 0.07 0.03 0.09 0.06 0.05 0.07 0.04 0.08 0.06 0.05 0.07" d t stuck=0 trials=0 krc
	for d in $delays; do
		cleanup_containers
		t=$BATS_TEST_TMPDIR/kill-$trials.log
		start_dockerup "$t" --no-pull -v
		krc=0
		KILL_MATCH='POST /containers/[0-9a-f]{64}/start' KILL_DELAY=$d \
		    python3 "$BATS_TEST_DIRNAME/kill_at_call.py" "$t" 1 \
		    "$DOCKERUP_PID" "$(dockerd_pid)" 20 || krc=$?
		wait "$DOCKERUP_PID" || true
		DOCKERUP_PID=
		[ "$krc" -eq 0 ] || fail "no kill of dockerd (status $krc): $(cat "$t")"
		"$DOCKERUP_SRC/tests/rig/rig.sh" engine-restart "$RIG_DIR" 3>&- ||
		    fail "dockerd did not come back"
		trials=$((trials + 1))
		run_dockerup --no-pull -v
		if [ "$status" -ne 0 ]; then
			echo "--- the run killed $d s into a start:"
			cat "$t"
			echo "--- the run after dockerd's restart:"
			echo "$output"
			fail "delay $d: the run after the restart failed"
		fi
		[ "$(inspect ds1 .State.Running)" = true ]
		[ "$(inspect ds2 .State.Running)" = true ]
		[ "$(inspect ds2 .HostConfig.NetworkMode)" = "container:$(cid ds1)" ]
		[ "$(dk ps -aq | wc -l)" -eq 2 ]
		if [[ "$output" == *"never ran and cannot be started: task "*": already exists"* ]]; then
			stuck=$((stuck + 1))
			break
		fi
	done
	echo "$trials trials, $stuck with a container left stuck by the kill"
	# The kill is aimed, not exact: at least one trial must have left
	# the state this is about.
	[ "$stuck" -ge 1 ]
}

# The chain: kc1 holds a volume, kc2 takes volumes from kc1, kc3 shares
# kc2's network, kc4 links kc3, kc5 takes volumes from kc4.
write_chain() {
	local common='"image": "'"$IMG"'", "stopTimeout": 1, '"$CMD"
	write_def kc1 '{"type": "docker", "name": "kc1", '"$common"', "volumes": [{"containerPath": "/data"}]}'
	write_def kc2 '{"type": "docker", "name": "kc2", '"$common"', "volumes": [{"from": "kc1"}]}'
	write_def kc3 '{"type": "docker", "name": "kc3", '"$common"', "network": "container:kc2"}'
	write_def kc4 '{"type": "docker", "name": "kc4", '"$common"', "links": {"kc3": "db"}, "volumes": [{"containerPath": "/logs"}]}'
	write_def kc5 '{"type": "docker", "name": "kc5", '"$common"', "volumes": [{"from": "kc4"}]}'
}

# The end state after any kill and one clean run: one container per
# definition, all running the image IMG names now, none under a name
# other than its definition's, each dependent attached to the current
# container of its dependency.  One inspect of all (a trial is short).
chain_settled() {
	local names img j bad
	names=$(dk ps -a --format '{{.Names}}' | sort | tr '\n' ' ')
	[ "$names" = "kc1 kc2 kc3 kc4 kc5 " ] ||
	    fail "containers for the $CHAIN definitions: $names"
	img=$(dk image inspect -f '{{.Id}}' "$IMG")
	j=$(dk inspect kc1 kc2 kc3 kc4 kc5) || fail "inspect failed"
	# Docker resolves a link to a container that shares another's
	# network to that other one; an old kc2 would show its old name.
	bad=$(jq -r --arg img "$img" '
	    def c(n): .[] | select(.Name == "/" + n);
	    def vol(n; p): c(n) | .Mounts[] | select(.Destination == p) | .Name;
	    (.[] | select(.State.Running != true) | "\(.Name) is not running"),
	    (.[] | select(.Image != $img) | "\(.Name) does not run the image IMG names now"),
	    (if vol("kc2"; "/data") != vol("kc1"; "/data")
	     then "kc2 does not mount kc1 current volume at /data" else empty end),
	    (if c("kc3").HostConfig.NetworkMode != "container:" + c("kc2").Id
	     then "kc3 network is \(c("kc3").HostConfig.NetworkMode), not kc2 current container" else empty end),
	    (if (c("kc4").HostConfig.Links | join(",")) != "/kc2:/kc4/db"
	     then "kc4 links: \(c("kc4").HostConfig.Links)" else empty end),
	    (if vol("kc5"; "/logs") != vol("kc4"; "/logs")
	     then "kc5 does not mount kc4 current volume at /logs" else empty end)
	    ' <<< "$j") || fail "jq could not read the inspect of the chain"
	[ -z "$bad" ] || fail "$bad"
}

# trial N WHO: replaces the chain (IMG now names the other image), kills
# WHO (engine or parent) as the engine is about to send its Nth Docker
# request, then runs once more; the chain must be settled.
trial() {
	local n=$1 who=$2 krc=0 t=$BATS_TEST_TMPDIR/trial-$1-$2.log
	if [ "$(dk image inspect -f '{{.Id}}' "$IMG")" = "$IMG_A" ]; then
		dk tag "$IMG_B" "$IMG"
	else
		dk tag "$IMG_A" "$IMG"
	fi
	start_dockerup "$t" --no-pull -v
	python3 "$BATS_TEST_DIRNAME/kill_at_call.py" "$t" "$n" \
	    "$DOCKERUP_PID" "$who" 20 || krc=$?
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
	[ "$krc" -ne 1 ] || fail "trial $n $who: no kill within 20 s"
	[ "$krc" -eq 0 ] && KILLS=$((KILLS + 1))
	run_dockerup --no-pull -v --lock-wait 10
	if [ "$status" -ne 0 ] || ! chain_settled; then
		echo "--- killed run ($who at request $n, kill status $krc):"
		grep -E ' (engine|parent): ' "$t" | grep -v ' debug parent: \| seccomp'
		echo "--- the run after it (status $status):"
		echo "$output"
		dk ps -a --format '{{.ID}} {{.Names}} {{.Status}} {{.Labels}}' | cut -c1-160
		chain_settled
		fail "trial $n $who: the run after the kill failed (status $status)"
	fi
}

@test "kill -9 of the engine or the parent at 28 Docker calls of a chain replacement: one clean run settles it" {
	local n start=$SECONDS
	IMG_A=$(dk image inspect -f '{{.Id}}' "$RIG_IMAGE")
	rig_image dockerup-test/crash:b 2
	IMG_B=$(dk image inspect -f '{{.Id}}' dockerup-test/crash:b)
	dk tag "$IMG_A" "$IMG"
	write_chain
	run_dockerup --no-pull
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	chain_settled
	# A replacement of the chain sends 29 requests (ping, one list of
	# each, then rename, create, stop, start, remove per container, one
	# prune); a kill before each but the first, engine and parent in
	# turn.
	KILLS=0
	for ((n = 2; n <= 29; n++)); do
		if ((n % 2)); then trial "$n" parent; else trial "$n" engine; fi
	done
	echo "# 28 trials, $KILLS kills, in $((SECONDS - start)) s" >&3
	[ "$KILLS" -ge 20 ]
}
