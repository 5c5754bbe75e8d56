#!/usr/bin/env bats
# Replacements made together (issue #16, "In parallel"): the renames,
# creates, stops and starts of independent replacements go out together,
# as do the stops of old containers whose gates pass and of undeclared
# containers, so N containers that each take a full stop timeout cost
# about one stop timeout, not N.  What overlapped is read from the
# engine's own event times, not from the test's clock.  A dependent still
# waits for its dependency, and a failing step undoes only its own
# replacement.

load helpers
load engine_helpers

# Ignores SIGTERM: every stop waits the whole stop timeout, then SIGKILL.
DEAF_CMD='["/bin/sh", "-c", "trap \"\" TERM; sleep 100000 & wait"]'
STOP_S=3

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	cleanup_containers
}

# deaf_def NAME [FIELDS]: NAME ignoring SIGTERM, stopTimeout STOP_S.
deaf_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'", "command": '"$DEAF_CMD"', "stopTimeout": '"$STOP_S$2"'}'
}

# timed_events SINCE UNTIL: "seconds action name signal" lines.
timed_events() {
	dk events --since "$1" --until "$2" --filter type=container \
	    --format '{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.signal}}' |
	    awk '{ $1 = sprintf("%.3f", $1 / 1e9); print }'
}

# spread FILE REGEX: max - min of the times of the matching events, and
# fails unless there are exactly COUNT of them.
spread() {
	awk -v re="$2" -v want="$3" '$0 ~ re { n++; t = $1 + 0
		if (n == 1 || t < lo) lo = t; if (n == 1 || t > hi) hi = t }
		END { if (n != want) { print "matched " n ", expected " want > "/dev/stderr"; exit 1 }
		printf "%.3f\n", hi - lo }' "$1"
}

# kill_delay FILE NAME: seconds from NAME's SIGTERM to its SIGKILL.
kill_delay() {
	awk -v n="$2" '$2 == "kill" && $3 == n && $4 == 15 { t = $1 }
		$2 == "kill" && $3 == n && $4 == 9 && t { k = $1 }
		END { if (!t || !k) { print n ": no SIGTERM then SIGKILL" > "/dev/stderr"; exit 1 }
		printf "%.3f\n", k - t; print n ": SIGKILL " k - t " s after SIGTERM" > "/dev/stderr" }' "$1"
}

# lt A B: A < B, as numbers.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# run_change FIELDS NAMES...: NAMES get FIELDS, one run, its events in $EV.
run_change() {
	local fields=$1 t0 t1 n
	shift
	for n in "$@"; do deaf_def "$n" "$fields"; done
	t0=$(now_ts)
	run_engine "${RUN_ARGS[@]}"
	t1=$(now_ts)
	echo "$output"
	EV=$BATS_TEST_TMPDIR/events
	timed_events "$t0" "$t1" > "$EV"
	cat "$EV"
}

@test "parallel: four stop-first replacements each waiting a full stop timeout overlap" {
	for n in p1 p2 p3 p4; do deaf_def "$n" ', "env": {"V": "1"}'; done
	run_engine
	[ "$status" -eq 0 ]
	RUN_ARGS=()
	run_change ', "env": {"V": "2"}' p1 p2 p3 p4
	[ "$status" -eq 0 ]
	[[ "$output" == *"4 replaced"* ]]
	# Each old one was killed at the end of its stop timeout ...
	[ "$(grep -cE ' kill p[1-4]-dockerup-old-[0-9a-f]{12} 9$' "$EV")" -eq 4 ]
	# ... and they died within one stop timeout of each other (one by
	# one, at least 3 stop timeouts would separate the first and last).
	s=$(spread "$EV" ' die p[1-4]-dockerup-old-' 4)
	echo "old ones died within $s s"
	lt "$s" "$STOP_S"
	s=$(spread "$EV" ' start p[1-4]( |$)' 4)
	echo "new ones started within $s s"
	lt "$s" "$STOP_S"
	[ "$(all_names)" = "p1 p2 p3 p4" ]
	for n in p1 p2 p3 p4; do
		running "$n"
		[ "$(inspect "$n" '.Config.Env | map(select(startswith("V="))) | .[0]')" = V=2 ]
	done
}

@test "parallel: a stop-first replacement starts when its own old container has stopped, not the slowest one" {
	# quick's old container exits at SIGTERM; deaf's waits its whole
	# stop timeout.  quick's new one must not wait for deaf's stop.
	write_def quick '{"type": "docker", "name": "quick", "image": "'"$RIG_IMAGE"'", "command": ["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"], "env": {"V": "1"}, "update": {"monitor": 1}}'
	deaf_def deaf ', "env": {"V": "1"}, "update": {"monitor": 1}'
	run_engine
	[ "$status" -eq 0 ]
	write_def quick '{"type": "docker", "name": "quick", "image": "'"$RIG_IMAGE"'", "command": ["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"], "env": {"V": "2"}, "update": {"monitor": 1}}'
	old_ids="$(dk inspect -f '{{.Id}}' quick) $(dk inspect -f '{{.Id}}' deaf)"
	log_off=$(stat -c %s "$RIG_DIR/dockerd.log")
	RUN_ARGS=()
	run_change ', "env": {"V": "2"}, "update": {"monitor": 1}' deaf
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 replaced"* ]]
	quick_start=$(awk '$2 == "start" && $3 == "quick" { print $1 }' "$EV")
	deaf_die=$(awk '$2 == "die" && $3 ~ /^deaf-dockerup-old-/ { print $1 }' "$EV")
	[ -n "$quick_start" ] && [ -n "$deaf_die" ]
	echo "quick's new one started at $quick_start, deaf's old one died at $deaf_die"
	# Both stops went out together; deaf's took its whole stop timeout.
	lt "$quick_start" "$deaf_die"
	[ "$(grep -cE ' kill deaf-dockerup-old-[0-9a-f]{12} 9$' "$EV")" -eq 1 ]
	# Each old one was asked to stop once: not again before its removal.
	for id in $old_ids; do
		n=$(tail -c +$((log_off + 1)) "$RIG_DIR/dockerd.log" |
		    grep -c "Calling POST /v[0-9.]*/containers/$id/stop")
		echo "${id:0:12}: $n stop requests"
		[ "$n" -eq 1 ]
	done
	running quick
	running deaf
}

@test "parallel: the old containers of eager replacements are stopped together when their gates pass" {
	for n in e1 e2 e3 e4; do
		deaf_def "$n" ', "update": {"eager": true, "monitor": 1}, "env": {"V": "1"}'
	done
	run_engine
	[ "$status" -eq 0 ]
	RUN_ARGS=()
	run_change ', "update": {"eager": true, "monitor": 1}, "env": {"V": "2"}' e1 e2 e3 e4
	[ "$status" -eq 0 ]
	[ "$(grep -c 'passed its gate' <<< "$output")" -eq 4 ]
	# Eager: every new one started before any old one was stopped.
	last_start=$(grep -nE ' start e[1-4]( |$)' "$EV" | tail -1 | cut -d: -f1)
	first_kill=$(grep -nE ' kill e[1-4]-dockerup-old-' "$EV" | head -1 | cut -d: -f1)
	[ "$last_start" -lt "$first_kill" ]
	s=$(spread "$EV" ' die e[1-4]-dockerup-old-' 4)
	echo "old ones died within $s s"
	lt "$s" "$STOP_S"
	[ "$(all_names)" = "e1 e2 e3 e4" ]
}

@test "parallel: a dependent is replaced only after its dependency's new container runs" {
	deaf_def base ', "env": {"V": "1"}'
	deaf_def side ', "network": "container:base", "env": {"V": "1"}'
	deaf_def other ', "env": {"V": "1"}'
	run_engine
	[ "$status" -eq 0 ]
	RUN_ARGS=()
	deaf_def side ', "network": "container:base", "env": {"V": "2"}'
	run_change ', "env": {"V": "2"}' base other
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 replaced"* ]]
	# base and other together; side after base's new one started.
	s=$(spread "$EV" ' die (base|other)-dockerup-old-' 2)
	lt "$s" "$STOP_S"
	start_base=$(event_line "$EV" ' start base( |$)')
	create_side=$(event_line "$EV" ' create side( |$)')
	[ "$start_base" -gt 0 ] && [ "$start_base" -lt "$create_side" ]
	[ "$(inspect side .HostConfig.NetworkMode)" = "container:$(cid base)" ]
	running side
}

# one_refused P FIELDS WANT: P1, P2, P3 replaced together, P2 with FIELDS
# that the engine refuses; the run says WANT (a glob) and puts back only
# P2's old container, running, while P1 and P3 are replaced.  WANT is
# matched as a glob (unquoted in [[ ]]).
one_refused() {
	local p=$1 n old1 old2 old3
	for n in 1 2 3; do deaf_def "$p$n" ', "env": {"V": "1"}'; done
	run_engine
	[ "$status" -eq 0 ]
	old1=$(cid "${p}1") old2=$(cid "${p}2") old3=$(cid "${p}3")
	deaf_def "${p}2" ', "env": {"V": "2"}'"$2"
	RUN_ARGS=()
	run_change ', "env": {"V": "2"}' "${p}1" "${p}3"
	[ "$status" -eq 1 ]
	[[ "$output" == $3 ]]
	[[ "$output" == *"2 replaced"*"1 failed"* ]]
	[ "$(cid "${p}2")" = "$old2" ]
	[ "$(cid "${p}1")" != "$old1" ]
	[ "$(cid "${p}3")" != "$old3" ]
	for n in 1 2 3; do running "$p$n"; done
	[ "$(all_names)" = "${p}1 ${p}2 ${p}3" ]
}

@test "parallel: a create the engine refuses puts back only that definition's old container" {
	# A capability dockerup knows and dockerd 20.10 does not: its create
	# is refused ("invalid CapAdd: unknown capability").
	if dk create --cap-add BPF "$RIG_IMAGE" true > /dev/null 2>&1; then
		skip "this engine knows CAP_BPF: nothing here makes a create fail"
	fi
	one_refused f ', "capAdd": ["BPF"]' \
	    '*replace f2: create the new container: *unknown capability*; the old one keeps running*'
}

@test "parallel: a start the engine refuses puts back only that definition's old container, running" {
	one_refused s ', "user": "no-such-user"' \
	    '*replace s2: start the new container: *no-such-user*; the old one is put back*'
}

@test "parallel: a start the engine refuses puts the old container back, and its network dependent joins it again" {
	quick='["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]'
	write_def sb '{"type": "docker", "name": "sb", "image": "'"$RIG_IMAGE"'", "command": '"$quick"', "env": {"V": "1"}}'
	write_def sn '{"type": "docker", "name": "sn", "image": "'"$RIG_IMAGE"'", "command": '"$quick"', "network": "container:sb"}'
	run_engine
	[ "$status" -eq 0 ]
	oldb=$(cid sb) oldn=$(cid sn)
	# Stop-first: the old sb stops (its namespace with it), the new one
	# cannot start, and the old one is started again in a new namespace.
	write_def sb '{"type": "docker", "name": "sb", "image": "'"$RIG_IMAGE"'", "command": '"$quick"', "env": {"V": "2"}, "user": "no-such-user"}'
	run_engine -v
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"replace sb: start the new container: "*"the old one is put back"* ]]
	[[ "$output" == *"restart sn (it shares the network of sb, whose container ${oldb:0:12} is started again)"* ]]
	[ "$(cid sb)" = "$oldb" ]
	[ "$(cid sn)" = "$oldn" ]
	running sb
	running sn
	[ "$(netns sn)" = "$(netns sb)" ]
}

@test "parallel: eager replacements binding their own host ports stop first, the others stay eager" {
	deaf_def h1 ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18091}], "env": {"V": "1"}'
	deaf_def h2 ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18092}], "env": {"V": "1"}'
	deaf_def h3 ', "update": {"eager": true}, "env": {"V": "1"}'
	run_engine
	[ "$status" -eq 0 ]
	deaf_def h1 ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18091}], "env": {"V": "2"}'
	deaf_def h2 ', "update": {"eager": true}, "portMappings": [{"containerPort": 80, "hostPort": 18092}], "env": {"V": "2"}'
	RUN_ARGS=()
	run_change ', "update": {"eager": true}, "env": {"V": "2"}' h3
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace h1: old and new both bind host port 18091/tcp"* ]]
	[[ "$output" == *"replace h2: old and new both bind host port 18092/tcp"* ]]
	[[ "$output" != *"replace h3: old and new"* ]]
	for n in h1 h2; do
		[ "$(event_line "$EV" " die $n-dockerup-old-")" -lt "$(event_line "$EV" " start $n( |\$)")" ]
	done
	[ "$(event_line "$EV" ' start h3( |$)')" -lt "$(event_line "$EV" ' die h3-dockerup-old-')" ]
	# The two stop-first ones stopped together.
	s=$(spread "$EV" ' die h[12]-dockerup-old-' 2)
	lt "$s" "$STOP_S"
	[ "$(all_names)" = "h1 h2 h3" ]
}

@test "parallel: undeclared containers are stopped together, each with its own stop timeout" {
	for n in o1 o2 o3 o4; do deaf_def "$n"; done
	run_engine
	[ "$status" -eq 0 ]
	rm "$TEST_CONFDIR"/o*.json
	RUN_ARGS=(--confirm-removals)
	run_change '' keep
	[ "$status" -eq 0 ]
	[[ "$output" == *"4 removed"* ]]
	s=$(spread "$EV" ' die o[1-4]( |$)' 4)
	lt "$s" "$STOP_S"
	# Docker's stop used each container's StopTimeout (3), not its
	# default of 10: SIGKILL 3 s after SIGTERM, by the engine's clock.
	for n in o1 o2 o3 o4; do
		d=$(kill_delay "$EV" "$n")
		lt 2 "$d" && lt "$d" 9
	done
	[ "$(all_names)" = keep ]
}

@test "parallel: an undeclared container dockerup did not make stops with Docker's default timeout, not its own" {
	# Its own StopTimeout is not dockerup's to trust (it could hold the
	# run for as long as it says); 1 here, so that Docker's 10 shows.
	dk run -d --name hand --stop-timeout 1 "$RIG_IMAGE" /bin/sh -c \
	    'trap "" TERM; sleep 100000 & wait' > /dev/null
	RUN_ARGS=()
	run_change '' keep
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 created"*"1 removed"* ]]
	d=$(kill_delay "$EV" hand)
	lt 8 "$d"
	[ "$(all_names)" = keep ]
}
