#!/usr/bin/env bats
# Privilege separation, sandboxing and supervision (issue #5), on the real
# binary against the rig's engine.

load helpers

TOOLS="${DOCKERUP_TOOLS:-$DOCKERUP_SRC/build/tests/tools}"
# The test-hook build (make BUILD=build-hooks TEST_HOOKS=1), built by run.sh.
HOOKS_BIN="${DOCKERUP_HOOKS:-$DOCKERUP_SRC/build-hooks/dockerup}"

setup() {
	setup_confdir
	write_def app '{"type": "docker", "name": "ps-app", "image": "'"$RIG_IMAGE"'"}'
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	stop_dockerup || true
	cleanup_containers
	imds_reset
}

running() {
	[ "$(dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

# Starts a server and waits for its first run to have started ps-app.
start_server() {
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v "$@"
	wait_until 20 running ps-app || { cat "$LOG"; return 1; }
}

# child_pid ROLE: the pid of the server's child with that role.
child_pid() {
	local pid
	for pid in $(pgrep -P "$DOCKERUP_PID"); do
		if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-R $1"; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# status_field PID KEY: a line of /proc/PID/status without its key.
status_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

@test "fetcher runs as dockerup-fetch with no capability, no_new_privs and seccomp" {
	start_server
	pid=$(child_pid fetcher)
	u=$(id -u dockerup-fetch)
	g=$(id -g dockerup-fetch)
	[ "$u" -ne 0 ] && [ "$u" -ne "$(id -u nobody)" ]
	[ "$(status_field "$pid" Uid)" = "$u $u $u $u" ]
	[ "$(status_field "$pid" Gid)" = "$g $g $g $g" ]
	[ "$(status_field "$pid" Groups)" = "$g" ]
	[ "$(status_field "$pid" CapEff)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000000 ]
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ]
	[ "$(status_field "$pid" Seccomp)" = 2 ]
}

@test "engine keeps uid 0 for the root-owned socket but no capability" {
	start_server
	pid=$(child_pid engine)
	[ "$(status_field "$pid" Uid)" = "0 0 0 0" ]
	[ "$(status_field "$pid" CapEff)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000000 ]
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ]
	[ "$(status_field "$pid" Seccomp)" = 2 ]
}

@test "parent keeps only KILL, SETGID, SETUID and SETPCAP, under seccomp" {
	start_server
	# CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7, CAP_SETPCAP 8.
	[ "$(status_field "$DOCKERUP_PID" CapEff)" = 00000000000001e0 ]
	[ "$(status_field "$DOCKERUP_PID" CapBnd)" = 00000000000001e0 ]
	[ "$(status_field "$DOCKERUP_PID" NoNewPrivs)" = 1 ]
	[ "$(status_field "$DOCKERUP_PID" Seccomp)" = 2 ]
}

# curl_libs PID: the libraries of libcurl's (itself, its TLS, Kerberos and
# LDAP libraries) the process has mapped, one per line.
curl_libs() {
	grep -Eo '/lib(curl|ssl|crypto|gnutls|krb5|ldap)[^/]*$' "/proc/$1/maps" |
	    sort -u
}

# loader_pid: the fetcher's user-data loader (its one child).
loader_pid() {
	pgrep -P "$(child_pid fetcher)"
}

@test "libcurl is mapped only where it is used: the engine, and the user-data loader" {
	start_server
	curl_libs "$(child_pid engine)" | grep -q '^/libcurl\.so\.4'
	[ -z "$(curl_libs "$DOCKERUP_PID")" ]
	[ -z "$(curl_libs "$(child_pid fetcher)")" ]
	[ -z "$(pgrep -P "$(child_pid fetcher)")" ]   # no loader without user-data
	stop_dockerup
	start_server --aws --imds "$RIG_IMDS"
	curl_libs "$(loader_pid)" | grep -q '^/libcurl\.so\.4'
	[ -z "$(curl_libs "$(child_pid fetcher)")" ]  # the fetcher never has it
	[ -z "$(curl_libs "$DOCKERUP_PID")" ]
}

@test "privilege drop first: the user-data loader loads libcurl as the fetcher's account, the engine as root" {
	start_server --aws --imds "$RIG_IMDS"
	u=$(id -u dockerup-fetch)
	grep -q "debug udloader: loading libcurl.so.4 as uid $u\$" "$LOG" ||
	    { cat "$LOG"; fail "the loader did not load libcurl as uid $u"; }
	[ "$(grep -c "loading libcurl" "$LOG")" -eq 2 ]
	grep -q "debug engine: loading libcurl.so.4 as uid 0\$" "$LOG"
	# ...and mapped it: the line is the real load.
	curl_libs "$(loader_pid)" | grep -q '^/libcurl\.so\.4'
	# The loader is sandboxed as the fetcher is, as the same account.
	l=$(loader_pid)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$l/status")" = "$u" ]
	[ "$(awk '/^Seccomp:/ {print $2}' "/proc/$l/status")" = 2 ]
	[ "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$l/status")" = 1 ]
	[ "$(awk '/^CapEff:/ {print $2}' "/proc/$l/status")" = 0000000000000000 ]
}

@test "only the user-data loader may open IP sockets; the fetcher, which speaks for the confdir, may not" {
	start_server --aws --imds "$RIG_IMDS"
	grep -q "debug fetcher: fetcher: seccomp filter loaded (.*IP sockets refused)" "$LOG" ||
	    { cat "$LOG"; fail "the fetcher's filter allows IP sockets"; }
	grep -q "debug udloader: fetcher: seccomp filter loaded (.*IP sockets allowed)" "$LOG"
}

fetcher_replaced() {
	local n
	n=$(child_pid fetcher) && [ "$n" != "$1" ]
}

# accepted_with_userdata N: the engine took a state of 2 definitions
# (ps-app and ps-ud) at least N times.
accepted_with_userdata() {
	[ "$(grep -c 'engine accepted the desired state (2 definitions)' "$LOG")" -ge "$1" ]
}

@test "kill -9 of the user-data loader: the fetcher ends with it, both come back, user-data still applies" {
	imds_set_userdata '{"containers": [{"type": "docker", "name": "ps-ud", "image": "'"$RIG_IMAGE"'"}]}'
	start_server --aws --imds "$RIG_IMDS"
	wait_until 20 running ps-ud
	id=$(dk inspect -f '{{.Id}}' ps-ud)
	f=$(child_pid fetcher)
	kill -9 "$(loader_pid)"
	kill -HUP "$DOCKERUP_PID"       # the next load finds the loader gone
	wait_until 10 fetcher_replaced "$f" || { cat "$LOG"; false; }
	wait_until 10 loader_pid
	wait_until 10 accepted_with_userdata 2 || { cat "$LOG"; false; }
	[ "$(dk inspect -f '{{.Id}}' ps-ud)" = "$id" ]
	running ps-app
}

@test "a fetcher account that does not exist stops dockerup at start, saying how to create it" {
	run_dockerup --no-pull --user dockerup-no-such-user
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *'user "dockerup-no-such-user" (setting user, --user) does not exist'* ]]
	[[ "$output" == *"useradd --system --no-create-home --shell /usr/sbin/nologin dockerup-no-such-user"* ]]
	# Nothing ran: no fall-back to another account.
	run dk inspect ps-app
	[ "$status" -ne 0 ]
	# The same from the settings file, and for --check.
	echo "user=dockerup-no-such-user" > "$TEST_CONFIG"
	run_dockerup --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"does not exist"* ]]
}

# kill_and_wait_back ROLE: kill -9 the child, check it is back within 2 s.
kill_and_wait_back() {
	local old new i
	old=$(child_pid "$1")
	kill -9 "$old"
	for ((i = 0; i < 20; i++)); do
		sleep 0.1
		new=$(child_pid "$1") || continue
		[ "$new" != "$old" ] && return 0
	done
	cat "$LOG"
	fail "$1 not back within 2 s"
}

@test "kill -9 of fetcher and engine, repeatedly: back within 2 s, state sent again, containers untouched" {
	start_server
	before=$(dk inspect -f '{{.Id}} {{.State.StartedAt}}' ps-app)
	runs=$(grep -c 'unchanged,\|created,' "$LOG")
	for round in 1 2 3; do
		kill_and_wait_back fetcher
		sleep 0.3
		kill_and_wait_back engine
		sleep 0.3
	done
	# Each new engine got the whole state again and reconciled it.
	wait_until 5 test "$(grep -c ' unchanged, ' "$LOG")" -ge 3
	[ "$(grep -c 'fetcher killed by signal 9' "$LOG")" -eq 3 ]
	[ "$(grep -c 'engine killed by signal 9' "$LOG")" -eq 3 ]
	[ "$(dk inspect -f '{{.Id}} {{.State.StartedAt}}' ps-app)" = "$before" ]
	[ "$(dk ps -aq | wc -l)" -eq 1 ]
	[ "$runs" -ge 1 ]
}

@test "root-only 0600 definition and settings files still load; the fetcher stays unprivileged" {
	echo 'interval=60' > "$TEST_CONFIG"
	chown root:root "$TEST_CONFDIR"/*.json "$TEST_CONFIG"
	chmod 0600 "$TEST_CONFDIR"/*.json "$TEST_CONFIG"
	run_dockerup --no-pull
	echo "$output"
	[ "$status" -eq 0 ]
	running ps-app
}

@test "engine drops hostile fetcher messages and survives" {
	for c in truncated oversized wrongtype gap badtag invalid early-end fd; do
		run "$TOOLS/hostile_engine" "$DOCKERUP" "$DOCKER_HOST" "$c"
		echo "$c: $output"
		[ "$status" -eq 0 ]
	done
	# It never acted on any of them.
	[ "$(dk ps -aq | wc -l)" -eq 0 ]
}

@test "SIGTERM: the server exits 0 with its children, and the next run converges" {
	start_server
	parent=$DOCKERUP_PID
	kids=$(pgrep -P "$parent" | tr '\n' ' ')
	stop_dockerup
	[ "$DOCKERUP_STATUS" -eq 0 ]
	for k in $kids; do
		! kill -0 "$k" 2>/dev/null || false
	done
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	running ps-app
}

@test "a forbidden syscall kills the fetcher or engine with SIGSYS; the parent logs it and restarts it" {
	for role in fetcher engine; do
		log="$BATS_TEST_TMPDIR/$role.log"
		DOCKERUP_TEST_SECCOMP_VIOLATION=$role "$HOOKS_BIN" --config \
		    "$TEST_CONFIG" --server --interval 3600 --remote "$DOCKER_HOST" \
		    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull \
		    > "$log" 2>&1 3>&- < /dev/null &
		pid=$!
		wait_until 10 grep -q "restarting $role in 2 s" "$log" || true
		kill -TERM "$pid"
		wait "$pid" || true
		cat "$log"
		grep -q "SECURITY: $role killed by signal 31 (SIGSYS): seccomp violation" "$log"
		grep -q "restarting $role in 1 s" "$log"
		grep -q "restarting $role in 2 s" "$log"
	done
}

@test "a forbidden syscall in the parent kills it with SIGSYS, and its children follow" {
	run env DOCKERUP_TEST_SECCOMP_VIOLATION=parent "$HOOKS_BIN" --config \
	    "$TEST_CONFIG" --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull
	echo "$output"
	[ "$status" -eq $((128 + 31)) ]
	sleep 0.5
	! pgrep -f "$HOOKS_BIN -R" || false
}

@test "the sandboxed fetcher cannot connect to the Docker socket" {
	sock=${DOCKER_HOST#unix://}
	run env DOCKERUP_TEST_CONNECT="$sock" "$HOOKS_BIN" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    --no-pull
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"test hook: connect $sock refused: Permission denied"* ]]
	[[ "$output" != *SUCCEEDED* ]]
}

# The confdir watch would pick up a new file by itself, so this only shows
# that the signal reaches the parent through its sandbox and is acted on;
# server.bats "SIGHUP reloads at once" counts the runs it causes.
@test "SIGHUP makes the server load its sources again at once" {
	start_server
	kill -HUP "$DOCKERUP_PID"
	wait_until 10 grep -q 'SIGHUP: reloading' "$LOG"
}

@test "a second dockerup waits for the single-instance lock, then gives up" {
	start_server
	run_dockerup --no-pull --lock-wait 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another dockerup holds"*"gave up after 1 s"* ]]
}

@test "SIGTERM during a replace: clean exit, nothing half replaced, the next run converges" {
	write_def app '{"type": "docker", "name": "ps-app", "image": "'"$RIG_IMAGE"'", "env": {"V": "1"}}'
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	write_def app '{"type": "docker", "name": "ps-app", "image": "'"$RIG_IMAGE"'", "env": {"V": "2"}}'
	# The old container's sleep is PID 1 and ignores SIGTERM: stopping it
	# takes the engine's full grace period, so the signal lands mid-replace.
	start_dockerup "$LOG" --no-pull -v
	wait_until 10 grep -q 'replace ps-app' "$LOG"
	sleep 1
	stop_dockerup 60
	cat "$LOG"
	# The engine finished the replace it was in before exiting.
	grep -q 'finishes the call in flight' "$LOG"
	[ "$(dk ps -aq | wc -l)" -eq 1 ]
	running ps-app
	[ "$(inspect ps-app '.Config.Env[]' | grep -c '^V=2$')" -eq 1 ]
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 created, 0 replaced, 0 started, 0 removed, 1 unchanged, 0 failed"* ]]
}
