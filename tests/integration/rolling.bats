#!/usr/bin/env bats
# Rolling updates (issue #17) on the rig's one host with the rig's etcd:
# the other hosts of the fleet group are played by the test, which holds
# slots on leases of its own and writes failed/ keys with curl.  Each test
# has a group of its own, so that keys never mix.  The images are the
# gate suite's: a version that starts with "bad" exits at once.

load helpers
load engine_helpers
load fleet_helpers

ROLL_IMAGE=dockerup-test/roll:latest
ROLL_CMD='["/bin/sh", "-c", "v=$(cat /etc/dockerup-test-version); case $v in bad*) echo \"version $v: cannot start\"; exit 3;; esac; trap \"exit 0\" TERM; sleep 100000 & wait"]'

setup() {
	setup_confdir
	cleanup_containers
	rig_image "$ROLL_IMAGE" 1
	GROUP=roll$BATS_TEST_NUMBER-$$
	G=/dockerup/$GROUP
	HOST=host-$BATS_TEST_NUMBER-$$
	LOG=$BATS_TEST_TMPDIR/dockerup.log
	printf 'etcd = %s\nfleet_group = %s\nhost_id = %s\n' "$RIG_ETCD" \
	    "$GROUP" "$HOST" > "$TEST_CONFIG"
}

teardown() {
	etcd_resume
	stop_dockerup || true
	cleanup_containers
	etcd_del_prefix "$G/" || true
}

# The etcd helpers (etcd_call, etcd_get, etcd_list, etcd_del...) are
# fleet_helpers.bash's; these name keys under this test's group.
lease() { etcd_call /v3/lease/grant "{\"TTL\": $1}" | jq -r .ID; }
revoke() { etcd_call /v3/lease/revoke "{\"ID\": \"$1\"}" > /dev/null; }
# eput KEY VALUE [LEASE]: KEY under this test's group.
eput() {
	etcd_call /v3/kv/put "{\"key\":\"$(b64 "$G/$1")\",\"value\":\"$(b64 "$2")\"${3:+,\"lease\":\"$3\"}}" > /dev/null
}
# eget KEY: its value, or nothing.
eget() {
	etcd_get "$G/$1" 2> /dev/null || true
}
# ekeys DIR: the keys under this group's DIR/, one a line, relative.
ekeys() {
	etcd_list "$G/$1/" | sed "s|^$G/$1/||"
}
no_keys() { [ -z "$(ekeys "$1")" ]; }


# roll_def NAME UPDATE [FIELDS]: NAME from the roll image, its "update".
roll_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$ROLL_IMAGE"'", "command": '"$ROLL_CMD"', "update": '"$2$3"'}'
}

# other_holds SLOT [TTL]: another host holds rolling/web/SLOT on a lease
# (its ID in OTHER_LEASE).
other_holds() {
	OTHER_LEASE=$(lease "${2:-120}")
	eput "rolling/web/$1" '{"host": "other-host", "hash": "x", "since": 1700000000}' "$OTHER_LEASE"
}

@test "rolling: a replacement takes a slot of the group and gives it back; a create and a non-rolling definition never touch etcd" {
	roll_def web '{"rolling": true, "monitor": 1}'
	roll_def plain '{"monitor": 0}'
	run_engine -v
	[ "$status" -eq 0 ]
	[[ "$output" != *"rolling slot"* ]]
	rig_image "$ROLL_IMAGE" 2
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"update of web: rolling slot $G/rolling/web/0 is ours"* ]]
	[[ "$output" != *"update of plain: rolling slot"* ]]
	[ "$(version_in web)" = 2 ]
	[ "$(version_in plain)" = 2 ]
	# Released before the run ended, lease and all.
	no_keys rolling
	no_keys failed
}

@test "rolling: all slots held by other hosts: the container is left as it is (exit 0); a slot freed: the next run replaces it" {
	roll_def web '{"rolling": true, "monitor": 0}'
	run_engine
	old=$(cid web)
	other_holds 0
	rig_image "$ROLL_IMAGE" 2
	run_engine
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"wait web (rolling update to image sha256:"*"all 1 slot is held: by other-host (since 2023-11-14T22:13:20Z)"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	[ "$(version_in web)" = 1 ]
	# Its slot is untouched.
	[ "$(eget rolling/web/0 | jq -r .host)" = other-host ]
	revoke "$OTHER_LEASE"
	run_engine
	[ "$status" -eq 0 ]
	[ "$(version_in web)" = 2 ]
	[ "$(cid web)" != "$old" ]
}

@test "rolling: maxParallel 2 takes the second slot while another host holds the first; 2 of 2 held: it waits" {
	roll_def web '{"rolling": {"maxParallel": 2}, "monitor": 0}'
	run_engine
	other_holds 0
	rig_image "$ROLL_IMAGE" 2
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rolling slot $G/rolling/web/1 is ours"* ]]
	[ "$(version_in web)" = 2 ]
	first=$OTHER_LEASE
	other_holds 1
	rig_image "$ROLL_IMAGE" 3
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"all 2 slots are held: by other-host"*", other-host"* ]]
	[ "$(version_in web)" = 2 ]
	revoke "$first"
	revoke "$OTHER_LEASE"
}

@test "rolling: a rolled-back update writes failed/ for the group, then holds it here even after dockerup retry; fleet retry clears it" {
	roll_def web '{"rolling": true, "monitor": 2}'
	run_engine
	old=$(cid web)
	rig_image "$ROLL_IMAGE" bad1
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ROLLED BACK"* ]]
	[ "$(cid web)" = "$old" ]
	hash=$(ekeys failed/web)
	[[ "$hash" =~ ^[0-9a-f]{64}$ ]]
	v=$(eget "failed/web/$hash")
	[ "$(jq -r .host <<< "$v")" = "$HOST" ]
	[[ "$(jq -r .reason <<< "$v")" == *"exited"* ]]
	no_keys rolling
	# The local record cleared, the group's still holds it.
	run "$DOCKERUP" retry web --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	[ "$status" -eq 0 ]
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold web (the update to image sha256:"*"failed in the fleet group, rolled back on host $HOST at "*"exited"*"dockerup fleet retry web)"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	# dockerup fleet retry clears it: the next run tries again.
	run "$DOCKERUP" fleet retry web --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	no_keys failed
	run_engine
	[[ "$output" == *"ROLLED BACK"* ]]
	[ "$(cid web)" = "$old" ]
}

@test "rolling: an update left in its gate by a stopped dockerup and rolled back by the next run is written to failed/ too" {
	# "late" versions run 3 s, then exit: the gate sees them fail only
	# after the first run was stopped in it.
	late_cmd='["/bin/sh", "-c", "v=$(cat /etc/dockerup-test-version); case $v in late*) sleep 3; exit 4;; esac; trap \"exit 0\" TERM; sleep 100000 & wait"]'
	write_def web '{"type": "docker", "name": "web", "image": "'"$ROLL_IMAGE"'", "command": '"$late_cmd"', "update": {"rolling": true, "monitor": 30}}'
	run_engine
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	old=$(cid web)
	rig_image "$ROLL_IMAGE" late1
	start_dockerup "$LOG" --no-pull -v
	wait_until 20 grep -q "rolling slot $G/rolling/web/0 is ours" "$LOG" || { cat "$LOG"; false; }
	wait_until 20 eval '[ "$(cid web)" != "$old" ]' || { cat "$LOG"; false; }
	stop_dockerup 20
	cat "$LOG"
	# Both containers are left; nothing was written to failed/ yet.
	exists "$old"
	no_keys failed
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ROLLED BACK"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	hash=$(ekeys failed/web)
	[[ "$hash" =~ ^[0-9a-f]{64}$ ]] || { echo "failed/: '$hash'"; false; }
	[ "$(eget "failed/web/$hash" | jq -r .host)" = "$HOST" ]
}

@test "rolling: a failed/ key put by another host holds the update; garbage in it holds it too" {
	roll_def web '{"rolling": true, "monitor": 0}'
	run_engine
	old=$(cid web)
	rig_image "$ROLL_IMAGE" 2
	# The hash the update carries, from a run that waits for a slot.
	other_holds 0
	run_engine -v
	want=$(sed -n 's/.*update of web to \([0-9a-f]\{64\}\): all 1 slot.*/\1/p' <<< "$output" | head -1)
	[ -n "$want" ]
	revoke "$OTHER_LEASE"
	eput "failed/web/$want" '{"host": "h2", "reason": "exited with status 9", "time": 1700000000}'
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold web ("*"failed in the fleet group, rolled back on host h2 at 2023-11-14T22:13:20Z: exited with status 9;"* ]]
	[ "$(cid web)" = "$old" ]
	eput "failed/web/$want" $'\x01garbage{'
	run_engine
	[ "$status" -eq 1 ]
	[[ "$output" == *"a failed update is recorded at $G/failed/web/$want (its value is not in form)"* ]]
	[ "$(cid web)" = "$old" ]
	# Another hash's record does not hold this one.
	etcd_del "$G/failed/web/$want"
	eput "failed/web/$(printf 'f%.0s' {1..64})" '{"host": "h2", "reason": "x", "time": 1}'
	run_engine
	[ "$status" -eq 0 ]
	[ "$(version_in web)" = 2 ]
}

@test "rolling: garbage and over-long keys under the slots: held slots count as held, whatever their values" {
	roll_def web '{"rolling": {"maxParallel": 2}, "monitor": 0}'
	run_engine
	old=$(cid web)
	OTHER_LEASE=$(lease 120)
	eput rolling/web/0 $'\xff\xfe not json' "$OTHER_LEASE"
	eput rolling/web/1 '{"host": 5}' "$OTHER_LEASE"
	eput "rolling/web/$(printf 'k%.0s' {1..700})" '{}' "$OTHER_LEASE"
	rig_image "$ROLL_IMAGE" 2
	run_engine
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"all 2 slots are held: by an unreadable holder"* ]]
	[ "$(cid web)" = "$old" ]
	revoke "$OTHER_LEASE"
	run_engine
	[ "$status" -eq 0 ]
	[ "$(version_in web)" = 2 ]
}

@test "rolling: etcd stopped: the rolling definition is left as it is (exit 1, once), the others are updated, nothing stops" {
	roll_def web '{"rolling": true, "monitor": 0}'
	roll_def plain '{"monitor": 0}'
	run_engine
	old=$(cid web)
	rig_image "$ROLL_IMAGE" 2
	etcd_pause
	run_engine
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"update of web waits: no rolling slot: etcd: "*"its container is left as it is"* ]]
	[ "$(cid web)" = "$old" ]
	running web
	[ "$(version_in plain)" = 2 ]
	etcd_resume
	run_engine
	[ "$status" -eq 0 ]
	[ "$(version_in web)" = 2 ]
	no_keys rolling
}

@test "rolling: server: a slot freed by another host starts the update within about a second" {
	roll_def web '{"rolling": true, "monitor": 0}'
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v
	wait_until 20 running web || { cat "$LOG"; false; }
	other_holds 0
	rig_image "$ROLL_IMAGE" 2
	kill -HUP "$DOCKERUP_PID"
	wait_until 20 grep -q "wait web (rolling update" "$LOG" || { cat "$LOG"; false; }
	[ "$(version_in web)" = 1 ]
	t0=$(date +%s.%N)
	revoke "$OTHER_LEASE"
	wait_until 10 eval '[ "$(version_in web 2>/dev/null)" = 2 ]' || { cat "$LOG"; false; }
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	echo "# slot freed -> replaced: ${t}s" >&3
	wait_until 5 no_keys rolling
}

@test "rolling: kill -9 of dockerup while it holds a slot: the slot frees when its lease expires, and another host takes it" {
	roll_def web '{"rolling": true, "monitor": 60}'
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v
	wait_until 20 running web || { cat "$LOG"; false; }
	rig_image "$ROLL_IMAGE" 2
	kill -HUP "$DOCKERUP_PID"
	wait_until 20 grep -q "rolling slot $G/rolling/web/0 is ours" "$LOG" || { cat "$LOG"; false; }
	[ "$(eget rolling/web/0 | jq -r .host)" = "$HOST" ]
	kill -9 "$DOCKERUP_PID"
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
	t0=$(date +%s.%N)
	# Another host's txn fails while the lease lives, then succeeds.
	l=$(lease 60)
	take() {
		etcd_call /v3/kv/txn "{\"compare\":[{\"key\":\"$(b64 "$G/rolling/web/0")\",\"result\":\"EQUAL\",\"target\":\"CREATE\",\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"$(b64 "$G/rolling/web/0")\",\"value\":\"$(b64 '{"host":"h2"}')\",\"lease\":\"$l\"}}]}" |
		    jq -e '.succeeded == true' > /dev/null
	}
	! take
	wait_until 15 take
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	echo "# kill -9 -> slot taken by another host: ${t}s (lease TTL 6 s)" >&3
	awk -v t="$t" 'BEGIN { exit !(t >= 2) }'
	revoke "$l"
}

@test "fleet: dockerup fleet shows this host's last run, the slots held and the failed updates of the group; garbage shows as such" {
	roll_def web '{"rolling": true, "monitor": 0}'
	run_engine
	run_engine
	img=$(dk inspect -f '{{.Image}}' web)
	other_holds 0
	eput "failed/db/$(printf 'a%.0s' {1..64})" '{"host": "h3", "reason": "turned unhealthy", "time": 1700000000}'
	run "$DOCKERUP" fleet --format json --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e --arg h "$HOST" --arg i "$img" --arg g "$GROUP" '.group == $g and (.hosts | length) == 1 and .hosts[0].host == $h and .hosts[0].exit == 0 and (.hosts[0].definitions[] | select(.name == "web") | .image == $i and .running)' <<< "$output"
	jq -e '.slots[0].definition == "web" and .slots[0].slot == "0" and .slots[0].host == "other-host"' <<< "$output"
	jq -e '.failed[0].definition == "db" and .failed[0].host == "h3" and .failed[0].reason == "turned unhealthy"' <<< "$output"
	run "$DOCKERUP" fleet --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host $HOST: last run "*", exit 0"* ]]
	[[ "$output" == *"web slot 0: other-host since 2023-11-14T22:13:20Z"* ]]
	[[ "$output" == *"db update aaaaaaaaaaaa rolled back on h3 at 2023-11-14T22:13:20Z: turned unhealthy"* ]]
	# A host's entry out of form, a name with an escape sequence: escaped.
	eput hosts/evil $'{"host": 5, "definitions": [{"name": "\x1b[31mred"}]'
	eput $'hosts/e\x1bvil2' '{"time": 1, "definitions": [{"name": "ok"}, 7]}'
	run "$DOCKERUP" fleet --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host evil: its entry is not in form"* ]]
	[[ "$output" != *$'\x1b'* ]]
	revoke "$OTHER_LEASE"
	# etcd stopped: said, exit 1, nothing hangs longer than its timeout.
	etcd_pause
	run "$DOCKERUP" fleet --config "$TEST_CONFIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"dockerup fleet: "* ]]
}
