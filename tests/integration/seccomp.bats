#!/usr/bin/env bats
# Seccomp profiles named by definitions come only from the root-owned
# seccomp_dir, are read without following links or opening terminals, and
# must be Docker seccomp profiles that restrict something (issue #14 items
# 4 and 5); the fetcher and the engine get IP sockets only where they need
# them (issue #14, "Network").  Each attack is made end to end and must
# have no effect.

load helpers
load engine_helpers

# The test-hook build (make BUILD=build-hooks TEST_HOOKS=1), built by run.sh.
HOOKS_BIN="${DOCKERUP_HOOKS:-$DOCKERUP_SRC/build-hooks/dockerup}"

# A profile that refuses mkdir: its effect can be seen in the container.
NO_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
NO_MKDIR_COMPACT='{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'

setup() {
	setup_confdir
	cleanup_containers
	imds_reset
	SDIR=$BATS_TEST_TMPDIR/seccomp
	mkdir -m 0755 "$SDIR"
	printf '%s\n' "$NO_MKDIR" > "$SDIR/strict.json"
	chmod 0600 "$SDIR/strict.json"
	# Root-only, outside seccomp_dir, and a valid profile: the parent
	# could read it and would pass it on if it were asked to.
	SECRET=$BATS_TEST_TMPDIR/secret.json
	printf '{"defaultAction": "SCMP_ACT_ERRNO", "comment": "SECRET-MARKER"}\n' \
	    > "$SECRET"
	chmod 0600 "$SECRET"
}

teardown() {
	cleanup_containers
	imds_reset
}

# sec ARGS...: one run on the rig's engine with this test's seccomp_dir.
sec() {
	run_engine --seccomp-dir "$SDIR" "$@"
	echo "$output"
}

# with_profile NAME OPT: a definition of NAME with securityOpt [OPT].
with_profile() {
	local_def "$1" ', "securityOpt": ["'"$2"'"]'
}

# The profile a container was created with, compacted.
profile_of() {
	inspect "$1" '.HostConfig.SecurityOpt[] | select(startswith("seccomp="))' |
	    cut -c9-
}

# Nothing of SECRET's content anywhere dockerup writes or Docker keeps.
secret_nowhere() {
	local c
	! grep -rq SECRET-MARKER "$TEST_CACHE" || false
	for c in $(dk ps -aq); do
		! dk inspect "$c" | grep -q SECRET-MARKER || false
	done
}

@test "seccomp: a profile by name is read from seccomp_dir and applied" {
	with_profile named seccomp=strict
	sec
	[ "$status" -eq 0 ]
	[ "$(profile_of named)" = "$NO_MKDIR_COMPACT" ]
	running named
	# The kernel applies it: mkdir is refused in the container.
	run dk exec named mkdir /tmp/x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	dk exec named touch /tmp/y
}

@test "seccomp: an absolute path inside seccomp_dir is accepted" {
	mkdir -m 0755 "$SDIR/team"
	cp -p "$SDIR/strict.json" "$SDIR/team/web.json"
	with_profile inside "seccomp=$SDIR/team/web.json"
	sec
	[ "$status" -eq 0 ]
	[ "$(profile_of inside)" = "$NO_MKDIR_COMPACT" ]
	running inside
}

@test "seccomp: a path outside seccomp_dir is refused alike whether it exists or not, and is never read" {
	with_profile app seccomp=strict
	sec
	[ "$status" -eq 0 ]
	running app
	# Make the secret's access time old, so that a read would show.
	touch -a -d '2001-01-01 00:00:00' "$SECRET"
	before=$(stat -c %X "$SECRET")
	local out=()
	for p in /etc/shadow "$SECRET" /nonexistent/p.json "$SDIR/../secret.json"; do
		with_profile app "seccomp=$p"
		sec
		[ "$status" -eq 2 ]
		[[ "$output" == *"app.json: securityOpt[0]: seccomp profile $p is not a profile name or a path inside seccomp_dir; expected seccomp=NAME"* ]]
		# The same words for each, the path apart.
		out+=("$(grep -F 'securityOpt[0]' <<< "$output" | sed "s|$p|PATH|g; s/^[^ ]* [^ ]* //")")
	done
	[ "${out[0]}" = "${out[1]}" ]
	[ "${out[0]}" = "${out[2]}" ]
	[ "${out[0]}" = "${out[3]}" ]
	# Never opened: its access time is still the old one.
	[ "$(stat -c %X "$SECRET")" = "$before" ]
	# The control: reading it does change it on this file system.
	cat "$SECRET" > /dev/null
	[ "$(stat -c %X "$SECRET")" != "$before" ]
	secret_nowhere
	# The running container kept its good definition.
	running app
	[ "$(profile_of app)" = "$NO_MKDIR_COMPACT" ]
}

@test "seccomp: a link in seccomp_dir pointing outside is refused, and the target is not read" {
	ln -s "$SECRET" "$SDIR/evil.json"
	ln -s /etc/shadow "$SDIR/shadow.json"
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	cp -p "$SECRET" "$BATS_TEST_TMPDIR/elsewhere/p.json"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$SDIR/linked"
	touch -a -d '2001-01-01 00:00:00' "$SECRET"
	before=$(stat -c %X "$SECRET")
	for opt in seccomp=evil seccomp=shadow "seccomp=$SDIR/linked/p.json"; do
		with_profile evil "$opt"
		sec
		[ "$status" -eq 2 ]
		[[ "$output" == *"securityOpt[0]: seccomp profile ${opt#seccomp=} is a symbolic link or passes through one; expected a regular file in seccomp_dir"* ]]
		! exists evil || false
	done
	[ "$(stat -c %X "$SECRET")" = "$before" ]
	secret_nowhere
}

@test "seccomp: a FIFO or a terminal in seccomp_dir is refused at once, without hanging" {
	mkfifo "$SDIR/fifo.json"
	mknod "$SDIR/tty.json" c 5 0 # /dev/tty
	with_profile fifo seccomp=fifo
	start=$(date +%s)
	run timeout 20 "$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull \
	    --seccomp-dir "$SDIR"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"seccomp profile fifo is not a regular file"* ]]
	rm "$TEST_CONFDIR/fifo.json"
	with_profile tty seccomp=tty
	run timeout 20 "$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull \
	    --seccomp-dir "$SDIR"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"securityOpt[0]: seccomp profile tty "* ]]
	[ $(($(date +%s) - start)) -lt 15 ]
	! exists fifo || false
	! exists tty || false
}

@test "seccomp: user-data may name a profile, never a path" {
	imds_set_userdata '{"containers": [{"type": "docker", "name": "ud-path", "image": "'"$RIG_IMAGE"'", "securityOpt": ["seccomp='"$SDIR"'/strict.json"]}]}'
	sec --aws --imds "$RIG_IMDS"
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].securityOpt[0]: a seccomp profile by path is not allowed for user-data (trust policy: remote sources name no file); expected seccomp=NAME (NAME.json in seccomp_dir)"* ]]
	! exists ud-path || false
	imds_set_userdata '{"containers": [{"type": "docker", "name": "ud-name", "image": "'"$RIG_IMAGE"'", "command": '"$TRAP_CMD"', "securityOpt": ["seccomp=strict"]}]}'
	sec --aws --imds "$RIG_IMDS"
	[ "$status" -eq 0 ]
	[ "$(profile_of ud-name)" = "$NO_MKDIR_COMPACT" ]
	running ud-name
}

@test "seccomp: a profile that allows everything is refused unless seccomp_allow_permissive" {
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG"}]}\n' \
	    > "$SDIR/open.json"
	with_profile open seccomp=open
	sec
	[ "$status" -eq 2 ]
	[[ "$output" == *"open.json: securityOpt: seccomp profile allows every system call"*"seccomp_allow_permissive=true"* ]]
	! exists open || false
	sec --seccomp-allow-permissive
	[ "$status" -eq 0 ]
	running open
}

@test "seccomp: {} or an unknown key makes the definition invalid; the running container stays" {
	with_profile keep seccomp=strict
	sec
	[ "$status" -eq 0 ]
	id=$(cid keep)
	printf '{}\n' > "$SDIR/strict.json"
	sec
	[ "$status" -eq 2 ]
	[[ "$output" == *"securityOpt[0]: seccomp profile strict is not a Docker seccomp profile: defaultAction: is missing"* ]]
	printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscall": []}\n' > "$SDIR/strict.json"
	sec
	[ "$status" -eq 2 ]
	[[ "$output" == *"syscall: unknown key; did you mean syscalls?"* ]]
	# The last good definition stands: the same container, running.
	[ "$(cid keep)" = "$id" ]
	running keep
	[ "$(profile_of keep)" = "$NO_MKDIR_COMPACT" ]
}

@test "seccomp: a profile writable by others is refused" {
	chmod 0666 "$SDIR/strict.json"
	with_profile loose seccomp=strict
	sec
	[ "$status" -eq 2 ]
	[[ "$output" == *"seccomp profile strict is writable by another account than its owner"* ]]
	! exists loose || false
}

# fetcher_inet_killed LOG [ARGS]: a server whose fetcher tries an
# AF_INET socket: the filter kills it, whatever ARGS turn on.
fetcher_inet_killed() {
	local log=$1
	shift
	DOCKERUP_TEST_INET_SOCKET=fetcher "$HOOKS_BIN" --config "$TEST_CONFIG" \
	    --server --interval 3600 --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull --seccomp-dir "$SDIR" "$@" \
	    > "$log" 2>&1 3>&- < /dev/null &
	pid=$!
	wait_until 15 grep -q "restarting fetcher in" "$log" || true
	kill -TERM "$pid"
	wait "$pid" || true
	cat "$log"
	grep -q "test hook: the fetcher opens an AF_INET socket" "$log"
	grep -q "SECURITY: fetcher killed by signal 31 (SIGSYS): seccomp violation" "$log"
	! grep -q "test hook: the fetcher opened an AF_INET socket" "$log" || false
}

@test "network: the fetcher can never open an IP socket; with user-data on, its loader can" {
	with_profile app seccomp=strict
	fetcher_inet_killed "$BATS_TEST_TMPDIR/no-aws.log"
	# With user-data on, still not the fetcher, which speaks for the confdir...
	fetcher_inet_killed "$BATS_TEST_TMPDIR/aws.log" --aws --imds "$RIG_IMDS"
	# ...but its user-data loader may: it reaches the metadata service.
	run env DOCKERUP_TEST_INET_SOCKET=udloader "$HOOKS_BIN" --config "$TEST_CONFIG" \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    --no-pull --seccomp-dir "$SDIR" --aws --imds "$RIG_IMDS"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"test hook: the udloader opened an AF_INET socket"* ]]
	[[ "$output" != *"SIGSYS"* ]]
	running app
}

@test "network: the engine with a unix:// endpoint cannot open an IP socket" {
	with_profile app seccomp=strict
	log=$BATS_TEST_TMPDIR/engine.log
	DOCKERUP_TEST_INET_SOCKET=engine "$HOOKS_BIN" --config "$TEST_CONFIG" \
	    --server --interval 3600 --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull --seccomp-dir "$SDIR" \
	    > "$log" 2>&1 3>&- < /dev/null &
	pid=$!
	wait_until 15 grep -q "restarting engine in" "$log" || true
	kill -TERM "$pid"
	wait "$pid" || true
	cat "$log"
	grep -q "test hook: the engine opens an AF_INET socket" "$log"
	grep -q "SECURITY: engine killed by signal 31 (SIGSYS): seccomp violation" "$log"
	! grep -q "test hook: the engine opened an AF_INET socket" "$log" || false
	# No container was touched by it.
	! exists app || false
}
