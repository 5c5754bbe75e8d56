#!/usr/bin/env bats
# Rolling updates across a fleet (issue #17): three "hosts" (the rig's
# host engines, each with a dockerup server), one etcd, one definition in
# the group's containers/ key.  Who replaced when is read from what the
# hosts did: each host's log says when it took its slot and when the
# update passed its gate (the slot goes back then), and Docker says when
# each new container started; never from sleeping and hoping.

load helpers
load fleet_helpers

setup_file() { fleet_setup 3; }
teardown_file() { fleet_teardown; }
setup() {
	fleet_test_setup
	NAME=roll-$FLEET_GROUP
	REF=$RIG_REGISTRY/$NAME:latest
	KEY=$FLEET_PREFIX/$FLEET_GROUP/containers/web
}
teardown() {
	etcd_resume
	fleet_test_teardown
}

# Exits 3 at once when the image's version starts with "bad".
CMD='["/bin/sh", "-c", "v=$(cat /etc/dockerup-test-version); case $v in bad*) echo \"version $v: cannot start\"; exit 3;; esac; trap \"exit 0\" TERM; sleep 100000 & wait"]'

# roll_put UPDATE: the definition of web, from the test's image.
roll_put() {
	etcd_put "$KEY" '{"type": "docker", "name": "web", "image": "'"$REF"'", "command": '"$CMD"', "update": '"$1"'}'
}

logs() {
	local i
	for ((i = 1; i <= FLEET_HOSTS; i++)); do
		echo "--- host $i"
		cat "$(fleet_var FLEET_LOG "$i")"
	done
}

start_all() {
	local i
	for i in 1 2 3; do
		fleet_start "$i" --interval 1 --pull -v
	done
}

# ts LINE: a log line's time, in seconds.
ts() { date -d "$(cut -d' ' -f1 <<< "$1")" +%s.%N; }

# intervals: "TAKEN RELEASED" of each host's slot for web (from its log:
# the slot is taken, then the update passes its gate and gives it back).
intervals() {
	local i log a b
	for i in 1 2 3; do
		log=$(fleet_var FLEET_LOG "$i")
		a=$(grep -m1 "update of web: rolling slot .* is ours" "$log") || continue
		b=$(grep -m1 "update of web passed its gate" "$log") || continue
		echo "$(ts "$a") $(ts "$b")"
	done
}

# max_overlap: the most slots held at one moment, from intervals.
max_overlap() {
	intervals | awk '{ print $1, 1; print $2, -1 }' | sort -k1,1n -k2,2n |
	    awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

# started_gaps: the seconds between the new containers' starts, in order.
started_gaps() {
	local i
	for i in 1 2 3; do
		date -d "$(fleet_dk "$i" inspect -f '{{.State.StartedAt}}' web)" +%s.%N
	done | sort -n | awk 'NR > 1 { printf "%.2f\n", $1 - p } { p = $1 }'
}

all_on() { fleet_all fleet_runs_image web "$1"; }
three_passed() { [ "$(intervals | wc -l)" -eq 3 ]; }
# one_ctr N: host N has one container (the old one went after the gate).
one_ctr() { [ "$(fleet_dk "$1" ps -aq | wc -l)" -eq 1 ]; }

# rollout UPDATE: web at version 1 on all three, then version 2 pushed
# and on all three, every gate passed (id1, id2: the two image IDs).
rollout() {
	id1=$(fleet_push_image "$NAME" 1)
	roll_put "$1"
	start_all
	fleet_wait 60 all_on "$id1" || { logs; false; }
	id2=$(fleet_push_image "$NAME" 2)
	fleet_wait 120 all_on "$id2" || { logs; false; }
	# The last gate passes after its new container started.
	fleet_wait 30 three_passed || { logs; false; }
	intervals
}

@test "fleet: rolling: true: a push reaches the three hosts one at a time" {
	rollout '{"rolling": true, "monitor": 3}'
	[ "$(max_overlap)" -eq 1 ]
	# Each new container started after the one before it passed its
	# 3 s gate.
	echo "# rolling: true, monitor 3 s: starts $(started_gaps | tr '\n' ' ')s apart" >&3
	started_gaps | awk '$1 < 3 { bad = 1 } END { exit bad }'
	[ -z "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/rolling/")" ]
}

@test "fleet: maxParallel 2: two hosts at a time, never three" {
	rollout '{"rolling": {"maxParallel": 2}, "monitor": 8}'
	[ "$(max_overlap)" -eq 2 ]
	# The third host started after one of the first two passed its 8 s
	# gate: at least 8 s after the first one.
	echo "# maxParallel 2, monitor 8 s: starts $(started_gaps | tr '\n' ' ')s apart" >&3
	started_gaps | awk '{ t += $1 } END { exit !(t >= 8) }'
	[ -z "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/rolling/")" ]
}

@test "fleet: a broken image is rolled back on the first host and never started on the other two; dockerup fleet shows it" {
	id1=$(fleet_push_image "$NAME" 1)
	roll_put '{"rolling": true, "monitor": 3}'
	start_all
	fleet_wait 60 all_on "$id1" || { logs; false; }
	fleet_push_image "$NAME" bad1 > /dev/null
	fleet_wait 60 eval '[ -n "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/failed/web/")" ]' || { logs; false; }
	first=$(etcd_get "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/failed/web/")" | jq -r .host)
	n=${first#host}
	# The other two see the update and hold it.
	for i in 1 2 3; do
		[ "$i" = "$n" ] && continue
		fleet_wait 30 grep -q "hold web (the update to image .* failed in the fleet group, rolled back on host $first" "$(fleet_var FLEET_LOG "$i")" || { logs; false; }
		! grep -q "update of web: new container" "$(fleet_var FLEET_LOG "$i")"
		one_ctr "$i"
	done
	grep -q "ROLLED BACK" "$(fleet_var FLEET_LOG "$n")"
	fleet_all fleet_runs_image web "$id1"
	# dockerup fleet: three hosts on the old image, the failure and where.
	run "$DOCKERUP" fleet --format json --config "$FLEET_CONFIG_1"
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '(.hosts | length) == 3' <<< "$output"
	jq -e 'all(.hosts[]; .definitions[0].name == "web")' <<< "$output"
	jq -e --arg id "$id1" 'all(.hosts[]; .definitions[0].image == $id)' <<< "$output"
	jq -e --arg h "$first" '(.failed | length) == 1 and .failed[0].definition == "web" and .failed[0].host == $h' <<< "$output"
	run "$DOCKERUP" fleet --config "$FLEET_CONFIG_2"
	echo "$output"
	[[ "$output" == *"web update "*" rolled back on $first at "* ]]
	for i in 1 2 3; do
		[[ "$output" == *"host host$i: last run "* ]]
	done
}

@test "fleet: kill -9 of a host that holds the slot: the next host takes it after the lease's TTL" {
	id1=$(fleet_push_image "$NAME" 1)
	roll_put '{"rolling": true, "monitor": 60}'
	start_all
	fleet_wait 60 all_on "$id1" || { logs; false; }
	fleet_push_image "$NAME" 2 > /dev/null
	slot=$FLEET_PREFIX/$FLEET_GROUP/rolling/web/0
	fleet_wait 60 etcd_get "$slot" || { logs; false; }
	holder=$(etcd_get "$slot" | jq -r .host)
	fleet_kill "${holder#host}"
	t0=$(date +%s.%N)
	other() { h=$(etcd_get "$slot" | jq -r .host) && [ "$h" != "$holder" ]; }
	fleet_wait 30 other || { logs; false; }
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	echo "# kill -9 of the holder -> the slot is another host's: ${t}s (lease TTL 6 s)" >&3
	# Not before the lease could expire: it was kept alive every 2 s.
	awk -v t="$t" 'BEGIN { exit !(t >= 2) }'
}

@test "fleet: etcd stopped and resumed mid-rollout: nothing lost, nothing duplicated" {
	id1=$(fleet_push_image "$NAME" 1)
	roll_put '{"rolling": true, "monitor": 3}'
	start_all
	fleet_wait 60 all_on "$id1" || { logs; false; }
	id2=$(fleet_push_image "$NAME" 2)
	fleet_wait 60 etcd_get "$FLEET_PREFIX/$FLEET_GROUP/rolling/web/0" || { logs; false; }
	etcd_pause
	# Until a host has met the stopped etcd.
	met() { grep -q "etcd" <(for i in 1 2 3; do grep -E "warn (engine|udloader)" "$(fleet_var FLEET_LOG "$i")"; done); }
	fleet_wait 20 met || { logs; false; }
	etcd_resume
	fleet_wait 120 all_on "$id2" || { logs; false; }
	fleet_wait 30 fleet_all one_ctr || { logs; false; }
	for i in 1 2 3; do
		[ "$(fleet_dk "$i" exec web cat /etc/dockerup-test-version)" = 2 ]
	done
	fleet_wait 10 eval '[ -z "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/rolling/")" ]'
	[ -z "$(etcd_list "$FLEET_PREFIX/$FLEET_GROUP/failed/")" ]
}
