#!/usr/bin/env bats
# Gated updates that survive a stop or a crash (issue #16): a run finds an
# update an earlier run left in its health gate from the containers'
# labels (dockerup.replaces) and finishes it -- the gate goes on from the
# new container's start, then passes or rolls back; a new container that
# never ran is started and gated -- or undoes it when the definition
# changed since.  After any kill -9 of the engine or of the
# parent and one clean run: one container per definition, running the old
# or the new version, the old one's volume data intact, and a failing new
# version never left as the only container.

load helpers
load engine_helpers

IMG=dockerup-test/gatecrash:cur
# "bad...": exits 3 at once; "late...": runs 3 s, then exits 4.
GC_CMD='["/bin/sh", "-c", "v=$(cat /etc/dockerup-test-version); case $v in bad*) echo \"version $v: cannot start\"; exit 3;; late*) sleep 3; echo \"version $v: gave up\"; exit 4;; esac; trap \"exit 0\" TERM; sleep 100000 & wait"]'

# Debian's python: a pyenv shim first on PATH takes half a second to
# start, and the kill would come that much later than aimed.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

setup() {
	setup_confdir
	cleanup_containers
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	stop_dockerup || true
	cleanup_containers
}

# gc_def NAME UPDATE [FIELDS]: NAME from IMG, stopping at once, with
# UPDATE (a JSON object) as its update field.
gc_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$IMG"'", "stopTimeout": 1, "command": '"$GC_CMD"', "update": '"$2${3:-}"'}'
}

image_id() { dk image inspect -f '{{.Id}}' "$1"; }

# at_a_then_b NAME UPDATE [FIELDS]: NAME defined as gc_def does, made
# from version 1 (OLD: its container), then IMG names version 2.
at_a_then_b() {
	rig_image dockerup-test/gatecrash:a 1
	rig_image dockerup-test/gatecrash:b 2
	dk tag dockerup-test/gatecrash:a "$IMG"
	gc_def "$@"
	run_engine
	[ "$status" -eq 0 ] || fail "the first run: $output"
	OLD=$(cid "$1")
	dk tag dockerup-test/gatecrash:b "$IMG"
}

# parent_killed_at REGEX SECONDS: dockerup started in the background
# (output in LOG), its parent killed with SIGKILL when the engine is about
# to send its first request matching REGEX; the engine dies with it (a
# killed engine alone would be restarted, and its run would go on).
parent_killed_at() {
	start_dockerup "$LOG" --no-pull -v
	KILL_MATCH=$1 "$PY" "$BATS_TEST_DIRNAME/kill_at_call.py" "$LOG" 1 \
	    "$DOCKERUP_PID" parent "$2"
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
}

# Until LOG says a gate began (the update's new containers run).
wait_gate() {
	wait_until 20 grep -q "$1" "$LOG"
}

@test "a stop (SIGTERM) during a gate leaves both containers; the next run finishes the gate and it passes" {
	at_a_then_b sa '{"monitor": 4}' ', "volumes": [{"containerPath": "/data"}]'
	old=$OLD
	dk exec sa sh -c 'echo precious > /data/f'
	start_dockerup "$LOG" --no-pull -v
	wait_gate "update of sa: new container"
	stop_dockerup 10
	cat "$LOG"
	grep -q "update of sa: a stop was asked for after .* s of its gate; the new container .* and the old one sa-dockerup-old-.* are left as they are" "$LOG"
	! grep -q "passed its gate" "$LOG" || false
	# Both are there: the new one under the name, the old one kept.
	new=$(cid sa)
	[ "$new" != "$old" ]
	exists "$old"
	[ "$(label sa dockerup.replaces)" = "$old running" ]
	# The next run goes on with the gate, counted from the new one's
	# start (it waits the rest of the 4 s), and it passes.
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace sa (finishing an update an earlier run left in its health gate)"* ]]
	[[ "$output" == *"update of sa: its gate goes on from an earlier run: the new container ${new:0:12} has run "* ]]
	[[ "$output" == *"update of sa passed its gate"* ]]
	[ "$(cid sa)" = "$new" ]
	! exists "$old" || false
	[ "$(all_names)" = sa ]
	[ "$(version_in sa)" = 2 ]
	[ "$(dk exec sa cat /data/f)" = precious ]
}

@test "a run finds an update left in its gate whose new container fails later: rolled back, the old container back with its data" {
	rig_image dockerup-test/gatecrash:a 1
	rig_image dockerup-test/gatecrash:late late1
	dk tag dockerup-test/gatecrash:a "$IMG"
	gc_def la '{"monitor": 30}' ', "volumes": [{"containerPath": "/data"}]'
	gc_def lb '{"monitor": 30, "eager": true}'
	run_engine
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	olda=$(cid la) oldb=$(cid lb)
	dk exec la sh -c 'echo precious > /data/f'
	dk tag dockerup-test/gatecrash:late "$IMG"
	start_dockerup "$LOG" --no-pull -v
	wait_gate "update of lb: new container"
	# kill -9 of the engine's parent: the engine dies with it.
	kill -KILL "$DOCKERUP_PID"
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
	exists "$olda"
	exists "$oldb"
	# The next run resumes both gates; the new ones exit 3 s after
	# their start, and both are rolled back.
	run_engine -v --lock-wait 10
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'its gate goes on from an earlier run' <<< "$output")" -eq 2 ]
	[[ "$output" == *"update of la to image sha256:"*"ROLLED BACK: the new container "*"exited"*"version late1: gave up"* ]]
	[[ "$output" == *"update of lb to image sha256:"*"ROLLED BACK"* ]]
	[ "$(cid la)" = "$olda" ]
	[ "$(cid lb)" = "$oldb" ]
	running la
	running lb
	[ "$(all_names)" = "la lb" ]
	[ "$(version_in la)" = 1 ]
	[ "$(dk exec la cat /data/f)" = precious ]
	# Held back like any rollback.
	run_engine
	[ "$status" -eq 1 ]
	[[ "$output" == *"hold la (the update to image"* ]]
	[ "$(cid la)" = "$olda" ]
}

@test "a rollback killed as it starts the old container again: the next run puts its network dependent in its namespace" {
	rig_image dockerup-test/gatecrash:a 1
	rig_image dockerup-test/gatecrash:bad bad1
	dk tag dockerup-test/gatecrash:a "$IMG"
	gc_def nb '{"monitor": 2}'
	write_def nd '{"type": "docker", "name": "nd", "image": "'"$RIG_IMAGE"'", "command": ["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"], "network": "container:nb"}'
	run_engine
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	oldb=$(cid nb) oldd=$(cid nd)
	dk tag dockerup-test/gatecrash:bad "$IMG"
	# The new nb exits at once and is rolled back: the old one, stopped
	# for the update (stop-first), starts again in a new namespace, and
	# nd must follow it.  Killed as the engine is about to start the old
	# nb, before nd's restart: nd runs on in the torn-down namespace, and
	# the next run, seeing that nd started before nb did, restarts it.
	parent_killed_at "POST /containers/$oldb/start" 30
	cat "$LOG"
	run_engine -v --lock-wait 10
	echo "$output"
	[[ "$output" == *"hold nb"* ]]
	# nd restarted by this run (or, had the kill come late, that one).
	printf '%s\n' "$output" | cat "$LOG" - | grep -Eq "restart nd \(it shares the network of nb, whose container ${oldb:0:12} (is started again|started again after it)\)"
	[ "$(cid nb)" = "$oldb" ]
	[ "$(cid nd)" = "$oldd" ]
	running nb
	running nd
	[ "$(netns nd)" = "$(netns nb)" ]
	[ "$(all_names)" = "nb nd" ]
}

@test "a new container left created but never started: the next run starts it and gates it" {
	at_a_then_b ua '{"monitor": 1}'
	old=$OLD
	# The parent killed as the engine stops the old one (stop-first),
	# before the new one's start: the engine dies with it (a killed
	# engine alone would be restarted, and its run would finish the
	# update), and the new container is created and never ran.
	parent_killed_at 'POST /containers/[0-9a-f]{64}/stop' 20
	stale=$(cid ua)
	[ "$stale" != "$old" ]
	[ "$(started_at ua)" = "0001-01-01T00:00:00Z" ]
	exists "$old"
	run_engine -v --lock-wait 10
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace ua (finishing an update an earlier run left before its new container started)"* ]]
	[[ "$output" == *"update of ua: new container ${stale:0:12} started"* ]]
	[[ "$output" == *"update of ua passed its gate"* ]]
	# The very container the killed run made, now running; no other.
	[ "$(cid ua)" = "$stale" ]
	! exists "$old" || false
	[ "$(all_names)" = ua ]
	running ua
	[ "$(version_in ua)" = 2 ]
}

@test "a definition changed while its update was in the gate: the unfinished update is undone, then the new one made" {
	at_a_then_b ca '{"monitor": 30}'
	old=$OLD
	start_dockerup "$LOG" --no-pull -v
	wait_gate "update of ca: new container"
	stop_dockerup 10
	first=$(cid ca)
	[ "$first" != "$old" ]
	gc_def ca '{"monitor": 1}' ', "env": {"WAVE": "2"}'
	run_engine -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"undo ca (an update left unfinished: its definition or image changed since; its new container ${first:0:12} is removed and the old one ca-dockerup-old-${old:0:12} put back)"* ]]
	[[ "$output" == *"update of ca passed its gate"* ]]
	! exists "$first" || false
	! exists "$old" || false
	[ "$(all_names)" = ca ]
	running ca
	[ "$(version_in ca)" = 2 ]
	inspect ca '.Config.Env[]' | grep -qx WAVE=2
}

# ---- the kill campaign ----

# The state after a trial's clean run: the two definitions' containers
# only, both running, running image $1, with IDs $2 and $3 when given,
# and ka's volume still holding the file written at the start.
campaign_settled() {
	local img=$1 ida=${2:-} idb=${3:-} j bad
	[ "$(all_names)" = "ka kb" ] || fail "containers: $(all_names)"
	j=$(dk inspect ka kb) || fail "inspect failed"
	bad=$(jq -r --arg img "$img" --arg a "$ida" --arg b "$idb" '
	    (.[] | select(.State.Running != true) | "\(.Name) is not running"),
	    (.[] | select(.Image != $img) | "\(.Name) runs \(.Image), not \($img)"),
	    (.[] | select(.Name == "/ka" and $a != "" and .Id != $a) | "ka is not its old container"),
	    (.[] | select(.Name == "/kb" and $b != "" and .Id != $b) | "kb is not its old container")
	    ' <<< "$j") || fail "jq could not read the inspect"
	[ -z "$bad" ] || fail "$bad"
	[ "$(dk exec ka cat /data/f)" = precious ] || fail "ka lost its data"
}

# ktrial N KIND WHO: an update of ka (stop-first, with a volume) and kb
# (eager) to the other good image (KIND good) or to the bad one (bad),
# WHO (engine or parent) killed as the engine is about to send its Nth
# Docker request, then one clean run.
ktrial() {
	local n=$1 kind=$2 who=$3 krc=0 t=$BATS_TEST_TMPDIR/k-$1-$2-$3.log
	local target ida= idb=
	if [ "$kind" = bad ]; then
		target=$CUR
		ida=$(cid ka) idb=$(cid kb)
		rm -f "$TEST_CACHE/failed.json"
		dk tag "$IMG_BAD" "$IMG"
	else
		if [ "$CUR" = "$IMG_A" ]; then target=$IMG_B; else target=$IMG_A; fi
		dk tag "$target" "$IMG"
	fi
	start_dockerup "$t" --no-pull -v
	"$PY" "$BATS_TEST_DIRNAME/kill_at_call.py" "$t" "$n" \
	    "$DOCKERUP_PID" "$who" 20 || krc=$?
	wait "$DOCKERUP_PID" || true
	DOCKERUP_PID=
	[ "$krc" -ne 1 ] || fail "trial $n $kind $who: no kill within 20 s"
	[ "$krc" -eq 0 ] && KILLS=$((KILLS + 1))
	run_dockerup --no-pull -v --lock-wait 10
	if { [ "$kind" = good ] && [ "$status" -ne 0 ]; } ||
	    { [ "$kind" = bad ] && [[ "$output" != *"ROLLED BACK"* && "$output" != *"hold ka"* ]]; } ||
	    ! campaign_settled "$target" "$ida" "$idb"; then
		echo "--- killed run ($kind update, $who at request $n, kill status $krc):"
		grep -E ' (engine|parent): ' "$t" | grep -v ' debug parent: \| seccomp'
		echo "--- the run after it (status $status):"
		echo "$output"
		dk ps -a --format '{{.ID}} {{.Names}} {{.Status}} {{.Image}}'
		fail "trial $n $kind $who: not settled"
	fi
	CUR=$target
}

@test "kill -9 of the engine or the parent at 28 Docker calls of gated updates (passing and rolled back): one clean run settles each" {
	local start=$SECONDS n i=0
	rig_image dockerup-test/gatecrash:a 1
	rig_image dockerup-test/gatecrash:b 2
	rig_image dockerup-test/gatecrash:bad bad
	IMG_A=$(image_id dockerup-test/gatecrash:a)
	IMG_B=$(image_id dockerup-test/gatecrash:b)
	IMG_BAD=$(image_id dockerup-test/gatecrash:bad)
	dk tag "$IMG_A" "$IMG"
	CUR=$IMG_A
	gc_def ka '{"monitor": 1}' ', "volumes": [{"containerPath": "/data"}]'
	gc_def kb '{"monitor": 1, "eager": true}'
	run_engine
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	dk exec ka sh -c 'echo precious > /data/f'
	# A good update sends about 25 requests: ping, the two lists, then
	# per definition rename, create, (stop,) start; the gates' inspects
	# every 250 ms; the old ones' stop and remove; the prune.  A bad one
	# about 20: inspect, logs, remove, rename and start per rollback.
	KILLS=0
	for n in 2 4 5 7 8 10 11 13 16 19 20 21 22 23 24; do
		if ((i++ % 2)); then ktrial "$n" good parent; else ktrial "$n" good engine; fi
	done
	for n in 3 6 9 11 12 13 14 15 16 17 18 19 20; do
		if ((i++ % 2)); then ktrial "$n" bad parent; else ktrial "$n" bad engine; fi
	done
	echo "28 trials, $KILLS kills, in $((SECONDS - start)) s" >&3
	[ "$KILLS" -ge 20 ]
}
