#!/usr/bin/env bats
# Server mode (issue #7): reloads on confdir changes (inotify in the
# parent, debounced), SIGHUP, jitter of the interval, and back-off while
# a registry or the Docker engine keeps failing.  The interval is 3600 s
# wherever only inotify or SIGHUP may cause a run.

load helpers

# The issue's deadline from a write to the container's creation.
REACT_S=2

setup() {
	setup_confdir
	cleanup_containers
	LOG=$BATS_TEST_TMPDIR/server.log
	FRONT_PID=
}

teardown() {
	stop_dockerup || true
	if [ -n "$FRONT_PID" ]; then
		kill "$FRONT_PID" 2>/dev/null || true
		wait "$FRONT_PID" 2>/dev/null || true
	fi
	cleanup_containers
	if [ -n "${FRONT_REF:-}" ]; then
		dk rmi -f "$FRONT_REF" > /dev/null 2>&1 || true
	fi
}

def() {
	printf '{"type": "docker", "name": "%s", "image": "%s"%s}\n' \
	    "$1" "${2:-$RIG_IMAGE}" "${3:-}"
}

exists() {
	dk inspect "$1" > /dev/null 2>&1
}

gone() {
	! exists "$1" || false
}

# Completed runs so far (the engine's summary line).
runs() {
	grep -c ' created, [0-9]* replaced, ' "$LOG" || true
}

# Reloads the parent asked for because of the confdir.
reloads() {
	grep -c 'parent: confdir changed: reloading' "$LOG" || true
}

at_least_runs() {
	[ "$(runs)" -ge "$1" ]
}

# Starts a server and waits for its first run to end.
start_server() {
	start_dockerup "$LOG" --server --no-pull -v "$@"
	wait_until 20 at_least_runs 1 || { cat "$LOG"; return 1; }
}

now() {
	date +%s.%N
}

# created_at NAME: the container's creation time, in seconds.
created_at() {
	date -d "$(inspect "$1" .Created)" +%s.%N
}

# within T0 T1 MAX: T1 - T0 <= MAX (and T1 >= T0 - 0.05 for clock skew);
# the figure goes to the TAP output as a comment.
within() {
	local d
	d=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }')
	echo "# reaction: $d s (limit $3 s)" >&3
	awk -v d="$d" -v m="$3" 'BEGIN { exit !(d >= -0.05 && d <= m) }'
}

# logged_at TEXT: when the first log line holding TEXT was written.
logged_at() {
	date -d "$(grep -F -m1 -- "$1" "$LOG" | cut -d' ' -f1)" +%s.%N
}

# The waits the fetcher logged ("next run in N s"), one per line.
waits() {
	sed -n 's/.*fetcher: next run in \([0-9.]*\) s.*/\1/p' "$LOG"
}

# Starts the registry front (registry_front.py) before the rig's registry.
start_front() {
	python3 "$BATS_TEST_DIRNAME/registry_front.py" "$RIG_REGISTRY" \
	    "$BATS_TEST_TMPDIR/front.port" > "$BATS_TEST_TMPDIR/front.log" \
	    2>&1 3>&- < /dev/null &
	FRONT_PID=$!
	wait_until 10 test -s "$BATS_TEST_TMPDIR/front.port"
	FRONT=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/front.port")
	FRONT_REF=$FRONT/busy:1
}

front_mode() {
	curl -sSf --data-binary "$1" "http://$FRONT/_control/mode" > /dev/null
}

front_manifests() {
	curl -sSf "http://$FRONT/_control/stats" | jq -r .manifests
}

@test "server: a new definition file is applied within 2 s of its write" {
	start_server --interval 3600
	t0=$(now)
	def web > "$TEST_CONFDIR/web.json"
	wait_until 10 exists web || { cat "$LOG"; false; }
	within "$t0" "$(created_at web)" "$REACT_S"
	wait_until 5 at_least_runs 2
	[ "$(reloads)" -eq 1 ]
	[ "$(inspect web .State.Running)" = true ]
}

@test "server: an atomic save (temp file, then rename) is applied within 2 s" {
	start_server --interval 3600
	def app > "$TEST_CONFDIR/.app.json.tmp"
	sleep 1
	[ "$(reloads)" -eq 0 ]
	t0=$(now)
	mv "$TEST_CONFDIR/.app.json.tmp" "$TEST_CONFDIR/app.json"
	wait_until 10 exists app || { cat "$LOG"; false; }
	within "$t0" "$(created_at app)" "$REACT_S"
	sleep 1
	[ "$(reloads)" -eq 1 ]
}

@test "server: vim's save sequence gives exactly one reload" {
	def foo > "$TEST_CONFDIR/foo.json"
	start_server --interval 3600
	wait_until 5 exists foo
	old=$(inspect foo .Id)
	# What vim does with backupcopy=no: probe, backup by rename, write.
	: > "$TEST_CONFDIR/4913"
	rm "$TEST_CONFDIR/4913"
	mv "$TEST_CONFDIR/foo.json" "$TEST_CONFDIR/foo.json~"
	def foo "$RIG_IMAGE" ', "env": {"EDITED": "1"}' > "$TEST_CONFDIR/foo.json"
	rm "$TEST_CONFDIR/foo.json~"
	# 20 s: on a loaded machine the container's shell (PID 1, which
	# ignores SIGTERM until its trap is set) may not have set its trap
	# yet, and the replace then waits the stop's 10 s grace period.
	wait_until 20 at_least_runs 2 || { cat "$LOG"; false; }
	sleep 1.5
	[ "$(reloads)" -eq 1 ]
	[ "$(runs)" -eq 2 ]
	[ "$(inspect foo .Id)" != "$old" ]
	inspect foo .Config.Env | grep -q EDITED=1
}

@test "server: editor droppings alone (swap, backup, lock, autosave) cause no reload" {
	start_server --interval 3600
	def x > "$TEST_CONFDIR/.foo.json.swp"
	def x > "$TEST_CONFDIR/foo.json~"
	def x > "$TEST_CONFDIR/#foo.json#"
	def x > "$TEST_CONFDIR/.#foo.json"
	: > "$TEST_CONFDIR/4913"
	rm "$TEST_CONFDIR/4913" "$TEST_CONFDIR/.foo.json.swp"
	sleep 2
	[ "$(reloads)" -eq 0 ]
	[ "$(runs)" -eq 1 ]
	gone x
}

@test "server: a removed definition file removes its container" {
	def gone1 > "$TEST_CONFDIR/gone1.json"
	def stays > "$TEST_CONFDIR/stays.json"
	start_server --interval 3600
	wait_until 5 exists gone1
	t0=$(now)
	rm "$TEST_CONFDIR/gone1.json"
	# Its removal starts within the deadline; the stop itself may take
	# the grace period (sleep as PID 1 ignores SIGTERM).
	wait_until "$REACT_S" grep -q 'engine: remove gone1 (not declared)' \
	    "$LOG" || { cat "$LOG"; false; }
	within "$t0" "$(logged_at 'engine: remove gone1 (not declared)')" \
	    "$REACT_S"
	wait_until 15 gone gone1 || { cat "$LOG"; false; }
	exists stays
	[ "$(reloads)" -eq 1 ]
}

@test "server: a confdir removed, then created again, is watched again" {
	start_server --interval 3600
	rm -rf "$TEST_CONFDIR"
	wait_until 5 at_least_runs 2 || { cat "$LOG"; false; }
	mkdir "$TEST_CONFDIR"
	t0=$(now)
	def back > "$TEST_CONFDIR/back.json"
	wait_until 10 exists back || { cat "$LOG"; false; }
	within "$t0" "$(created_at back)" "$REACT_S"
	# And the new directory's own watch works: a second file.
	t0=$(now)
	def again > "$TEST_CONFDIR/again.json"
	wait_until 10 exists again || { cat "$LOG"; false; }
	within "$t0" "$(created_at again)" "$REACT_S"
}

@test "server: a confdir missing at start is watched for its creation" {
	rmdir "$TEST_CONFDIR"
	start_server --interval 3600
	mkdir "$TEST_CONFDIR"
	t0=$(now)
	def late > "$TEST_CONFDIR/late.json"
	wait_until 10 exists late || { cat "$LOG"; false; }
	within "$t0" "$(created_at late)" "$REACT_S"
}

@test "server: a confdir whose parent is missing at start is watched once it exists" {
	TEST_CONFDIR=$BATS_TEST_TMPDIR/later/containers.d
	start_server --interval 3600
	grep -q "watching $BATS_TEST_TMPDIR/later for changes (trying again every 10 s" "$LOG"
	mkdir -p "$TEST_CONFDIR"
	def later > "$TEST_CONFDIR/later.json"
	# WATCH_RETRY_S (10 s), then a reload.
	wait_until 13 exists later || { cat "$LOG"; false; }
	grep -q "watching $TEST_CONFDIR for changes again" "$LOG"
	t0=$(now)
	def later2 > "$TEST_CONFDIR/later2.json"
	wait_until 10 exists later2 || { cat "$LOG"; false; }
	within "$t0" "$(created_at later2)" "$REACT_S"
}

@test "server: a confdir replaced by rename is watched again" {
	start_server --interval 3600
	mkdir "$BATS_TEST_TMPDIR/new.d"
	def swapped > "$BATS_TEST_TMPDIR/new.d/swapped.json"
	rmdir "$TEST_CONFDIR"
	mv "$BATS_TEST_TMPDIR/new.d" "$TEST_CONFDIR"
	wait_until 10 exists swapped || { cat "$LOG"; false; }
	t0=$(now)
	def next > "$TEST_CONFDIR/next.json"
	wait_until 10 exists next || { cat "$LOG"; false; }
	within "$t0" "$(created_at next)" "$REACT_S"
}

@test "server: SIGHUP reloads at once" {
	start_server --interval 3600
	kill -HUP "$DOCKERUP_PID"
	wait_until 2 at_least_runs 2 || { cat "$LOG"; false; }
	grep -q 'parent: SIGHUP: reloading' "$LOG"
	[ "$(reloads)" -eq 0 ]
	kill -HUP "$DOCKERUP_PID"
	wait_until 2 at_least_runs 3 || { cat "$LOG"; false; }
}

@test "server: each interval is lengthened by a jitter within its bound" {
	# interval 20: 0..2 s of jitter (10%, at most 30 s).
	start_server --interval 20
	for i in 1 2 3 4 5; do
		kill -HUP "$DOCKERUP_PID"
		wait_until 5 at_least_runs $((i + 1)) || { cat "$LOG"; false; }
	done
	waits > "$BATS_TEST_TMPDIR/waits"
	echo "# waits (s): $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/waits")" >&3
	[ "$(wc -l < "$BATS_TEST_TMPDIR/waits")" -ge 6 ]
	awk '$1 < 20 || $1 > 22 { bad = 1 } END { exit bad }' \
	    "$BATS_TEST_TMPDIR/waits"
	# Random: six draws from 2001 values are not all equal.
	[ "$(sort -u "$BATS_TEST_TMPDIR/waits" | wc -l)" -gt 1 ]
}

@test "server: with nothing to trigger it, a run comes every interval" {
	# interval 2: 0..0.2 s of jitter, counted from the end of each run.
	start_server --interval 2
	wait_until 10 at_least_runs 4 || { cat "$LOG"; false; }
	waits > "$BATS_TEST_TMPDIR/waits"
	echo "# waits (s): $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/waits")" >&3
	awk '$1 < 2 || $1 > 2.2 { bad = 1 } END { exit bad || NR < 3 }' \
	    "$BATS_TEST_TMPDIR/waits"
	[ "$(reloads)" -eq 0 ]
	! grep -q 'SIGHUP' "$LOG" || false
}

@test "server: the first run starts at once" {
	t0=$(now)
	start_server --interval 3600
	t1=$(now)
	within "$t0" "$t1" 5
	[ "$(runs)" -eq 1 ]
}

@test "server: while a registry keeps failing, waits double and the failure is logged once" {
	start_front
	front_mode 500
	def viafront "$FRONT_REF" > "$TEST_CONFDIR/viafront.json"
	start_server --interval 1
	# Runs after 1, 2, 4 s of back-off (plus at most 0.1 s of jitter).
	wait_until 15 at_least_runs 4 || { cat "$LOG"; false; }
	waits > "$BATS_TEST_TMPDIR/waits"
	echo "# waits (s): $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/waits")" >&3
	awk 'NR <= 3 { want = 2 ^ (NR - 1)
		if ($1 < want || $1 > want + 0.1) bad = 1 } END { exit bad }' \
	    "$BATS_TEST_TMPDIR/waits"
	[ "$(grep -c "registry $FRONT failed; next try in" "$LOG")" -eq 1 ]
	grep -q 'back-off: 3 failed runs in a row' "$LOG"
	# The engine's own error, the same each run, is written once.
	[ "$(grep -c 'received unexpected HTTP status: 500' "$LOG")" -eq 1 ]
	# Each failed pull asks for the manifest twice (HEAD, GET): 4 runs
	# in 7 s, where an undamped interval of 1 s would have made 7.
	n=$(front_manifests)
	echo "manifest requests: $n"
	[ "$n" -le 10 ]
	# The registry is back; a SIGHUP runs at once despite the back-off.
	front_mode proxy
	before=$(runs)
	kill -HUP "$DOCKERUP_PID"
	wait_until 10 exists viafront || { cat "$LOG"; false; }
	wait_until 5 at_least_runs $((before + 1))
	grep -q "registry $FRONT works again after [0-9]* failed runs" "$LOG"
	waits | tail -1 | awk '{ exit !($1 >= 1 && $1 <= 1.1) }'
}

@test "server: a registry's 429 is detected through dockerd and backed off" {
	start_front
	front_mode 429
	def limited "$FRONT_REF" > "$TEST_CONFDIR/limited.json"
	start_server --interval 1
	grep "rate-limited" "$LOG"
	# 120 s (SERVER_RATE_LIMIT_WAIT_S) plus at most 0.1 s of jitter.
	grep -Eq "registry $FRONT rate-limited us; next try in 120 s" "$LOG"
	n=$(front_manifests)
	sleep 4
	[ "$(front_manifests)" -eq "$n" ]
	[ "$(runs)" -eq 1 ]
	# Without Retry-After, the same.
	front_mode 429bare
	kill -HUP "$DOCKERUP_PID"
	wait_until 5 at_least_runs 2 || { cat "$LOG"; false; }
	[ "$(grep -c "rate-limited us" "$LOG")" -eq 1 ]
	grep -q 'next run in 12[0-9.]* s (back-off: 2 failed runs in a row)' "$LOG"
}

@test "server: a 429 on the registry check of a local image is backed off" {
	start_front
	dk pull -q "$FRONT_REF" > /dev/null
	front_mode 429
	def checked "$FRONT_REF" > "$TEST_CONFDIR/checked.json"
	start_dockerup "$LOG" --server --pull -v --interval 1
	wait_until 20 at_least_runs 1 || { cat "$LOG"; false; }
	# The run goes on with the local image; the next waits 120 s.
	[ "$(inspect checked .State.Running)" = true ]
	grep -Eq "registry $FRONT rate-limited us; next try in 120 s" "$LOG"
	n=$(front_manifests)
	sleep 3
	[ "$(front_manifests)" -eq "$n" ]
	[ "$(runs)" -eq 1 ] || { cat "$LOG"; false; }
}

@test "server: an engine that does not answer is backed off" {
	start_dockerup "$LOG" --server --no-pull -v --interval 1 \
	    --remote "unix://$BATS_TEST_TMPDIR/no-engine.sock"
	wait_until 15 grep -q 'back-off: 4 failed runs in a row' "$LOG" ||
	    { cat "$LOG"; false; }
	waits > "$BATS_TEST_TMPDIR/waits"
	echo "# waits (s): $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/waits")" >&3
	awk 'NR <= 4 { want = 2 ^ (NR - 1)
		if ($1 < want || $1 > want + 0.1) bad = 1 } END { exit bad }' \
	    "$BATS_TEST_TMPDIR/waits"
	[ "$(grep -c "does not answer; next try in" "$LOG")" -eq 1 ]
}
