#!/usr/bin/env bats
# Issue #7, status for people and monitors: <cache>/status.json after a
# run, `dockerup status`, the Prometheus textfile, the JSON plan of a dry
# run, JSON log lines, syslog, and the summary of repeated warnings.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	setup_confdir
	cleanup_containers
}

teardown() {
	stop_dockerup 5 || true
	[ -z "${LISTENER_PID:-}" ] || kill "$LISTENER_PID" 2>/dev/null || true
	[ -z "${OWN_CACHE:-}" ] || rm -rf "$OWN_CACHE"
	cleanup_containers
}

good_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'"'"${2:-}"'}'
}

# A definition whose image no registry has.
missing_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_REGISTRY"'/dockerup-test/absent:1"}'
}

status_json() {
	jq -r "$1" "$TEST_CACHE/status.json"
}

@test "status: status.json after a run with a failed image and a bad source" {
	good_def st-good
	missing_def st-bad
	printf '{"type": "docker", "name": ' > "$TEST_CONFDIR/broken.json"
	run_dockerup --no-pull
	echo "$output"
	[ "$status" -eq 2 ]         # an invalid source outranks the failure
	[ -f "$TEST_CACHE/status.json" ]
	jq -e . "$TEST_CACHE/status.json" > /dev/null
	[ "$(status_json .result)" = failed ]
	[ "$(status_json .exit_code)" = 2 ]
	[[ "$(status_json .time)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	jq -e '.duration_seconds >= 0' "$TEST_CACHE/status.json"
	[ "$(status_json .counts.created)" = 1 ]
	[ "$(status_json .counts.failed)" = 1 ]
	# The good definition: running, with the IDs docker reports.
	[ "$(status_json '.definitions[] | select(.name == "st-good") | .state')" = running ]
	[ "$(status_json '.definitions[] | select(.name == "st-good") | .last_action')" = create ]
	[ "$(status_json '.definitions[] | select(.name == "st-good") | .container_id')" = "$(inspect st-good .Id)" ]
	[ "$(status_json '.definitions[] | select(.name == "st-good") | .image_id')" = "$(inspect st-good .Image)" ]
	[ "$(status_json '.definitions[] | select(.name == "st-good") | .last_error')" = null ]
	# The missing image: failed, no container, the pull error.
	[ "$(status_json '.definitions[] | select(.name == "st-bad") | .state')" = failed ]
	[ "$(status_json '.definitions[] | select(.name == "st-bad") | .container_id')" = null ]
	[[ "$(status_json '.definitions[] | select(.name == "st-bad") | .last_error')" == *"absent"* ]]
	# Sources: the broken file with its error, the others ok.
	[ "$(status_json '.sources[] | select(.name | endswith("broken.json")) | .health')" = error ]
	[[ "$(status_json '.sources[] | select(.name | endswith("broken.json")) | .error')" == *"invalid JSON"* ]]
	[ "$(status_json '.sources[] | select(.name | endswith("st-good.json")) | .health')" = ok ]
	# Written atomically: no temporary file is left behind.
	[ -z "$(find "$TEST_CACHE" -maxdepth 1 -name '.status.json.tmp')" ]
}

@test "status: a source failing after a good load shows its last good contents" {
	# The parent keeps last good copies in the cache as root: bats'
	# private temporary directory does, the fetcher needs no access.
	good_def st-lg
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	printf '{"type": "docker", "name": ' > "$TEST_CONFDIR/st-lg.json"
	run_dockerup --no-pull
	echo "$output"
	[ "$(status_json '.sources[0].health')" = using_last_good ]
	[[ "$(status_json '.sources[0].good_since')" =~ ^[0-9]{4}-.*Z$ ]]
	[[ "$(status_json '.sources[0].error')" == *"invalid JSON"* ]]
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	echo "$output"
	[[ "$output" == *"st-lg.json: using last good contents since 20"* ]]
}

@test "status: dockerup status prints a table, --format json the file" {
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"status.json: no status yet"* ]]
	good_def st-tab
	missing_def st-tabbad
	run_dockerup --no-pull
	[ "$status" -eq 1 ]
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Result:    failed (exit 1)"* ]]
	[[ "$output" == *"1 created"*"1 failed"* ]]
	local id img
	id=$(inspect st-tab .Id)
	img=$(inspect st-tab .Image)
	img=${img#sha256:}
	echo "$output" | grep -E "^NAME +STATE +CONTAINER +IMAGE +LAST ACTION +LAST ERROR$"
	echo "$output" | grep -E "^st-tab +running +${id:0:12} +${img:0:12} +create +-$"
	echo "$output" | grep -E "^st-tabbad +failed +- +- +none +st-tabbad: pull "
	echo "$output" | grep -E "st-tab.json: ok$"
	# The settings file's cache= is honoured too.
	echo "cache=$TEST_CACHE" > "$BATS_TEST_TMPDIR/other.conf"
	run "$DOCKERUP" status --config "$BATS_TEST_TMPDIR/other.conf" --format json
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$TEST_CACHE/status.json")" ]
	# An unreadable status is an error, not a table.
	echo 'not json' > "$TEST_CACHE/status.json"
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a JSON object"* ]]
	run "$DOCKERUP" status --cache "$TEST_CACHE" --format yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format"*"expected text or json"* ]]
}

@test "status: nothing is written by --dry-run or --check" {
	good_def st-dry
	run_dockerup --no-pull --dry-run
	[ "$status" -eq 0 ]
	run_dockerup --check
	[ "$status" -eq 0 ]
	[ ! -e "$TEST_CACHE/status.json" ]
}

metric() {
	awk -v m="$1" '$1 == m { print $2 }' "$BATS_TEST_TMPDIR/prom/dockerup.prom"
}

@test "status: the metrics file, with counters that grow across runs" {
	mkdir "$BATS_TEST_TMPDIR/prom"
	good_def st-m1
	missing_def st-m2
	echo "metrics_file=$BATS_TEST_TMPDIR/prom/dockerup.prom" > "$TEST_CONFIG"
	run_dockerup --no-pull
	[ "$status" -eq 1 ]
	cat "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	[ "$(metric dockerup_runs_total)" = 1 ]
	[ "$(metric dockerup_run_failures_total)" = 1 ]
	[ "$(metric 'dockerup_containers{state="running"}')" = 1 ]
	[ "$(metric 'dockerup_containers{state="failed"}')" = 1 ]
	[ "$(metric 'dockerup_containers{state="stopped"}')" = 0 ]
	[ "$(metric dockerup_last_success_timestamp_seconds)" = 0 ]
	[ "$(metric dockerup_self_upgrade_rollbacks_total)" = 0 ]
	local t1
	t1=$(metric dockerup_last_run_timestamp_seconds)
	[ "$t1" -ge "$(($(date +%s) - 120))" ]
	grep -qx '# TYPE dockerup_runs_total counter' "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	grep -qx '# TYPE dockerup_containers gauge' "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	grep -q '^# HELP dockerup_run_failures_total ' "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	# Every sample line is NAME[{LABELS}] NUMBER.
	[ -z "$(grep -v '^#' "$BATS_TEST_TMPDIR/prom/dockerup.prom" |
	    grep -vE '^[a-z_]+(\{state="[a-z]+"\})? [0-9.]+$')" ]
	# A second process (the counters come back from status.json) with
	# the bad definition gone: a success.
	rm "$TEST_CONFDIR/st-m2.json"
	sleep 1
	run_dockerup --no-pull --metrics-file "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	[ "$(metric dockerup_runs_total)" = 2 ]
	[ "$(metric dockerup_run_failures_total)" = 1 ]
	[ "$(metric 'dockerup_containers{state="running"}')" = 1 ]
	[ "$(metric 'dockerup_containers{state="failed"}')" = 0 ]
	[ "$(metric dockerup_last_success_timestamp_seconds)" -ge "$t1" ]
	[ "$(status_json .totals.runs)" = 2 ]
	[ -z "$(find "$BATS_TEST_TMPDIR/prom" -name '.*')" ]
}

@test "status: status.json and the metrics file are 0640 root:root; status_group opens them to a group" {
	local prom=$BATS_TEST_TMPDIR/prom/dockerup.prom old
	mkdir "$BATS_TEST_TMPDIR/prom"
	good_def st-mode
	# Whatever the caller's umask.
	old=$(umask)
	umask 000
	run_dockerup --no-pull --metrics-file "$prom"
	umask "$old"
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U %G' "$TEST_CACHE/status.json")" = "640 root root" ]
	[ "$(stat -c '%a %U %G' "$prom")" = "640 root root" ]
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	[ "$status" -eq 0 ]
	[[ "$output" == *st-mode* ]]
	# status_group: that group may read them (the engine joined it
	# before its sandbox; it holds no CAP_CHOWN).
	getent group nogroup > /dev/null || fail "no group nogroup on this machine"
	echo "status_group=nogroup" > "$TEST_CONFIG"
	run_dockerup --no-pull --metrics-file "$prom"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U %G' "$TEST_CACHE/status.json")" = "640 root nogroup" ]
	[ "$(stat -c '%a %U %G' "$prom")" = "640 root nogroup" ]
	run "$DOCKERUP" status --cache "$TEST_CACHE" --config "$TEST_CONFIG"
	[ "$status" -eq 0 ]
	# An unknown group is said once; the files stay root's.
	run_dockerup --no-pull --metrics-file "$prom" --status-group no-such-group
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status_group no-such-group: no such group; status.json and the metrics file stay readable by root only"* ]]
	[ "$(stat -c '%a %U %G' "$TEST_CACHE/status.json")" = "640 root root" ]
	[ "$(stat -c '%a %U %G' "$prom")" = "640 root root" ]
}

@test "status: a server writes status.json and metrics after each run" {
	mkdir "$BATS_TEST_TMPDIR/prom"
	good_def st-srv
	start_dockerup "$BATS_TEST_TMPDIR/log" --server --interval 1 --no-pull \
	    --metrics-file "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	wait_until 30 test -f "$BATS_TEST_TMPDIR/prom/dockerup.prom"
	wait_until 30 sh -c "[ \$(jq .totals.runs '$TEST_CACHE/status.json') -ge 3 ]"
	stop_dockerup
	cat "$BATS_TEST_TMPDIR/log"
	[ "$(metric dockerup_runs_total)" -ge 3 ]
	[ "$(status_json .result)" = ok ]
	[ "$(status_json '.definitions[0].state')" = running ]
	[ "$(status_json '.definitions[0].last_action')" = unchanged ]
}

@test "status: the JSON plan matches the text plan (create, replace, start, remove)" {
	good_def pl-api ', "env": {"A": "1"}'
	good_def pl-db
	good_def pl-same
	run_dockerup --no-pull
	echo "$output"
	[ "$status" -eq 0 ]
	good_def pl-api ', "env": {"A": "2"}'        # replace
	dk stop -t 1 pl-db > /dev/null              # start
	dk run -d --name pl-intruder "$RIG_IMAGE" > /dev/null  # remove
	good_def pl-new                             # create
	run_dockerup --no-pull --dry-run
	[ "$status" -eq 0 ]
	local text=$output
	echo "$text"
	# One JSON document on stdout (log lines are on stderr).
	run_dockerup_stdout --no-pull --dry-run --format json
	[ "$status" -eq 0 ]
	echo "$output"
	printf '%s' "$output" | jq -e . > /dev/null
	local json=$output
	[ "$(printf '%s' "$json" | jq -r '.actions[].line')" = \
	    "$(printf '%s\n' "$text" | grep -E '^(create|replace|restart|start|remove|rename|pull|signal|prune) ')" ]
	[ "$(printf '%s' "$json" | jq -r '.actions[] | select(.name == "pl-api") | .action')" = replace ]
	[ "$(printf '%s' "$json" | jq -r '.actions[] | select(.name == "pl-api") | .reason')" = "definition changed: env" ]
	[ "$(printf '%s' "$json" | jq -r '.actions[] | select(.name == "pl-db") | .action + " " + .reason')" = "start not running" ]
	[ "$(printf '%s' "$json" | jq -r '.actions[] | select(.name == "pl-intruder") | .action + " " + .reason')" = "remove not declared" ]
	[ "$(printf '%s' "$json" | jq -r '.actions[] | select(.name == "pl-new") | .action + " " + .reason')" = "create new definition" ]
	[ "$(printf '%s' "$json" | jq -r '[.actions[] | select(.name == "pl-same")] | length')" = 0 ]
	[ "$(printf '%s' "$json" | jq -c '.summary | [.create, .replace, .start, .remove, .unchanged]')" = "[1,1,1,1,1]" ]
	# Nothing changed.
	[ "$(inspect pl-db .State.Running)" = false ]
	dk inspect pl-intruder > /dev/null
	run dk inspect pl-new
	[ "$status" -ne 0 ]
}

# Like run_dockerup, stdout only.
run_dockerup_stdout() {
	run --separate-stderr "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" "$@"
}

@test "status: --format needs --dry-run" {
	run_dockerup --format json
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format: applies to the plan only; expected it with --dry-run"* ]]
	run_dockerup --dry-run --format xml
	[ "$status" -eq 2 ]
	[[ "$output" == *"\"xml\" is not valid; expected text or json"* ]]
}

@test "status: --log-format json: every line is a JSON object" {
	good_def lj-web
	missing_def lj-bad
	run --separate-stderr "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull -v --log-format json
	[ "$status" -eq 1 ]
	printf '%s\n' "$stderr" | head -5
	[ -n "$stderr" ]
	# jq reads every line; each has the five fields with the right types.
	printf '%s\n' "$stderr" | jq -e -s 'length > 5 and all(.[];
	    (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
	    and (.level | IN("error", "warn", "info", "debug"))
	    and (.proc | IN("parent", "fetcher", "engine"))
	    and (.pid | type == "number") and (.msg | type == "string"))'
	printf '%s\n' "$stderr" | jq -e -s 'any(.[]; .proc == "engine" and .level == "warn" and (.msg | startswith("lj-bad: pull ")))'
	printf '%s\n' "$stderr" | jq -e -s 'any(.[]; .msg == "create lj-web (new definition)")'
	# The settings file key does the same.
	echo 'log_format=json' > "$TEST_CONFIG"
	run --separate-stderr "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull
	printf '%s\n' "$stderr" | jq -e -s 'length > 0'
}

@test "status: log_format= and syslog= in the settings file are checked" {
	printf 'log_fromat=json\n' > "$TEST_CONFIG"
	run_dockerup --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"dockerup.conf:1: log_fromat: unknown key; did you mean log_format?"* ]]
	printf '\nsyslog=maybe\n' > "$TEST_CONFIG"
	run_dockerup --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"dockerup.conf:2: syslog: \"maybe\" is not valid"* ]]
}

# in_private_dev SOCKET CMD...: runs CMD in a mount namespace whose /dev
# is a fresh tmpfs with the usual device nodes bound in and, when SOCKET
# is not empty, that unix socket at /dev/log.
in_private_dev() {
	local sock=$1
	shift
	local old=$BATS_TEST_TMPDIR/olddev
	mkdir -p "$old"
	unshare -m /bin/bash -c '
		set -e
		mount --make-rprivate /
		mount --rbind /dev "$0"
		mount -t tmpfs devtmp /dev
		for n in null zero full random urandom tty; do
			[ -e "$0/$n" ] || continue
			touch /dev/$n
			mount --bind "$0/$n" /dev/$n
		done
		ln -s /proc/self/fd /dev/fd
		if [ -n "$1" ]; then
			touch /dev/log
			mount --bind "$1" /dev/log
		fi
		shift
		exec "$@"' "$old" "$sock" "$@"
}

@test "status: --syslog sends every process's lines to /dev/log" {
	command -v unshare > /dev/null || skip "no unshare(1)"
	local sock=$BATS_TEST_TMPDIR/log.sock out=$BATS_TEST_TMPDIR/syslog.out
	python3 - "$sock" "$out" 3>&- <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    f.write(b"READY\n")
    while True:
        f.write(s.recv(65536) + b"\n")
EOF
	LISTENER_PID=$!
	wait_until 10 grep -q READY "$out"
	chmod 666 "$sock"
	good_def sl-web
	run in_private_dev "$sock" "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull -v --syslog
	echo "$output"
	cat "$out"
	[ "$status" -eq 0 ]
	# Nothing on stderr: every line went to syslog.
	[ -z "$output" ]
	# Facility daemon (3): <30> info, <31> debug; ident dockerup[PID].
	grep -E '^<30>dockerup\[[0-9]+\]: engine: create sl-web \(new definition\)$' "$out"
	grep -E '^<31>dockerup\[[0-9]+\]: parent: started engine' "$out"
	grep -E '^<31>dockerup\[[0-9]+\]: fetcher: ' "$out"
	grep -E '^<30>dockerup\[[0-9]+\]: engine: 1 created, ' "$out"
	# Each process used its own pid.
	[ "$(grep -oE '^<[0-9]+>dockerup\[[0-9]+\]: [a-z]+:' "$out" | sort -u |
	    sed -E 's/^<[0-9]+>//' | sort -u | wc -l)" -eq 3 ]
	# With JSON lines, the message is the JSON object.
	: > "$out"
	run in_private_dev "$sock" "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull --syslog --log-format json
	[ "$status" -eq 0 ]
	cat "$out"
	grep -E '^<30>dockerup\[[0-9]+\]: \{' "$out" | sed -E 's/^<30>dockerup\[[0-9]+\]: //' |
	    jq -e -s 'length > 0 and all(.[]; .proc | IN("parent", "fetcher", "engine"))'
}

@test "status: --syslog without /dev/log says so once and logs to stderr" {
	command -v unshare > /dev/null || skip "no unshare(1)"
	good_def sl-none
	run in_private_dev "" "$DOCKERUP" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull --syslog
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'syslog: cannot connect to /dev/log' <<< "$output")" -eq 1 ]
	[[ "$output" == *"logging to stderr instead"* ]]
	[[ "$output" == *"info engine: create sl-none (new definition)"* ]]
}

@test "status: a repeated warning is logged once, then summarized" {
	missing_def rp-bad
	start_dockerup "$BATS_TEST_TMPDIR/log" --server --interval 1 --no-pull
	# Three runs at least: the same pull failure each time.
	wait_until 60 sh -c "[ \$(jq .totals.runs '$TEST_CACHE/status.json' 2>/dev/null || echo 0) -ge 3 ]"
	stop_dockerup
	cat "$BATS_TEST_TMPDIR/log"
	[ "$(grep -c 'warn engine: rp-bad: pull ' "$BATS_TEST_TMPDIR/log")" -eq 1 ]
	grep -E 'warn engine: last message repeated [0-9]+ times?$' "$BATS_TEST_TMPDIR/log"
	local n
	n=$(grep -oE 'last message repeated [0-9]+' "$BATS_TEST_TMPDIR/log" |
	    awk '{ s += $4 } END { print s }')
	[ "$n" -ge 2 ]
	# Every run still ends with its summary line.
	[ "$(grep -c 'info engine: 0 created, .* 1 failed in' "$BATS_TEST_TMPDIR/log")" -ge 3 ]
}
