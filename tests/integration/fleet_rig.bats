#!/usr/bin/env bats
# The fleet rig (issue #17): three "hosts" on one machine, each a private
# Docker engine of the rig with its own dockerup server, one etcd.  A
# definition put under PREFIX/GROUP/containers/ reaches every host, and a
# new image in the registry too.  The times are printed, never asserted
# beyond a generous timeout.

load helpers
load fleet_helpers

setup_file() { fleet_setup 3; }
teardown_file() { fleet_teardown; }
setup() { fleet_test_setup; }
teardown() { fleet_test_teardown; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# app_def NAME IMAGE: a container that stops at once on SIGTERM, replaced
# without a health gate (update.monitor 0: this suite is not about it).
app_def() {
	echo '{"type": "docker", "name": "'"$1"'", "image": "'"$2"'", "update": {"monitor": 0}, "command": ["sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]}'
}

# logs: every host's log, for a failed assertion.
logs() {
	local i
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		echo "--- host $i: $(fleet_var FLEET_LOG "$i")"
		cat "$(fleet_var FLEET_LOG "$i")"
	done
}

# started N: host N's dockerup finished its first run.
started() { grep -q "engine: .* created" "$(fleet_var FLEET_LOG "$1")"; }

@test "fleet rig: three host engines of the rig, each with the test image" {
	for i in 1 2 3; do
		[ "$(fleet_dk "$i" info --format '{{.DockerRootDir}}')" = "$RIG_DIR/h$i/data" ]
		fleet_dk "$i" image inspect "$RIG_IMAGE" > /dev/null
		[ "$(fleet_dk "$i" ps -aq)" = "" ]
	done
	# Three engines, not one seen three times (their engine IDs are equal:
	# dockerd 20.10 takes it from the machine's /etc/docker/key.json).
	fleet_dk 1 create --name fleet-only-1 "$RIG_IMAGE" > /dev/null
	fleet_dk 1 inspect fleet-only-1 > /dev/null
	fleet_gone 2 fleet-only-1
	fleet_gone 3 fleet-only-1
	run dk inspect fleet-only-1
	[ "$status" -ne 0 ]
	# The group's keys are this test's alone; the helpers read back what they wrote.
	etcd_put "$FLEET_PREFIX/$FLEET_GROUP/probe/a" 'x y'
	etcd_put "$FLEET_PREFIX/$FLEET_GROUP/probe/b" '{"k": 1}'
	[ "$(etcd_get "$FLEET_PREFIX/$FLEET_GROUP/probe/a")" = 'x y' ]
	[ "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/")" = "$(printf '%s\n' "$FLEET_PREFIX/$FLEET_GROUP/probe/a" "$FLEET_PREFIX/$FLEET_GROUP/probe/b")" ]
	etcd_del "$FLEET_PREFIX/$FLEET_GROUP/probe/a"
	run etcd_get "$FLEET_PREFIX/$FLEET_GROUP/probe/a"
	[ "$status" -ne 0 ]
	etcd_del_prefix "$FLEET_PREFIX/$FLEET_GROUP/"
	[ -z "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/")" ]
}

@test "fleet rig: a definition put in etcd runs on all three hosts; deleting it removes it from all three, measured" {
	key=$FLEET_PREFIX/$FLEET_GROUP/containers/web
	for i in 1 2 3; do
		fleet_start "$i" --interval 3600 --no-pull -v
	done
	fleet_wait 20 fleet_all started || { logs; false; }
	t0=$(now)
	etcd_put "$key" "$(app_def fleet-web "$RIG_IMAGE")"
	fleet_wait 20 fleet_all fleet_running fleet-web || { logs; false; }
	put=$(elapsed "$t0")
	for i in 1 2 3; do
		[ "$(fleet_dk "$i" inspect -f '{{.Config.Image}}' fleet-web)" = "$RIG_IMAGE" ]
	done
	t0=$(now)
	etcd_del "$key"
	fleet_wait 30 fleet_all fleet_gone fleet-web || { logs; false; }
	del=$(elapsed "$t0")
	echo "# fleet of 3: etcd put -> running on all three: ${put}s; delete -> gone from all three: ${del}s" >&3
	for i in 1 2 3; do
		fleet_stop "$i"
		[ "$(fleet_var FLEET_STATUS "$i")" -eq 0 ]
	done
}

@test "fleet rig: a new image pushed to the registry reaches all three hosts" {
	name=fleet-img-$FLEET_GROUP
	id1=$(fleet_push_image "$name" 1)
	etcd_put "$FLEET_PREFIX/$FLEET_GROUP/containers/app" \
	    "$(app_def fleet-app "$RIG_REGISTRY/$name:latest")"
	for i in 1 2 3; do
		fleet_start "$i" --interval 2 --pull -v
	done
	fleet_wait 30 fleet_all fleet_runs_image fleet-app "$id1" || { logs; false; }
	id2=$(fleet_push_image "$name" 2)
	[ "$id2" != "$id1" ]
	t0=$(now)
	fleet_wait 60 fleet_all fleet_runs_image fleet-app "$id2" || { logs; false; }
	took=$(elapsed "$t0")
	for i in 1 2 3; do
		[ "$(fleet_dk "$i" exec fleet-app cat /etc/dockerup-test-version)" = 2 ]
	done
	echo "# fleet of 3, interval 2 s: push -> new image running on all three: ${took}s" >&3
}
