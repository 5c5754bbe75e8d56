#!/usr/bin/env bats
# dockerup's own container (issue #6, the image half): the image that
# `make image-local` builds, the example definition of dockerup's own
# container, and the README's `docker run` line, run as documented on the
# rig under policy/container-seccomp.json and the documented capabilities.

load helpers
load container_helpers

# Every image, container and file here is this suite's own.
REPO=dockerup-ctest

setup() {
	setup_confdir
	NAME=ctest-dockerup
	LOG=$BATS_TEST_TMPDIR/dockerup.log
}

teardown() {
	container_remove "$NAME"
	cleanup_containers
	image_remove_all
}

running() { [ "$(dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
cid() { dk inspect -f '{{.Id}}' "$1"; }

# The entries of image REF's only layer, `tar -tv` style, as saved.
image_layer() {
	local t=$BATS_TEST_TMPDIR/save.tar layer
	dk save -o "$t" "$1" || return 1
	[ "$(tar -xOf "$t" manifest.json | jq '.[0].Layers | length')" -eq 1 ] ||
	    { fail "$1: expected one layer"; return 1; }
	layer=$(tar -xOf "$t" manifest.json | jq -r '.[0].Layers[0]')
	tar -xOf "$t" "$layer" | tar -tvf -
	rm -f "$t"
}

# Its directories (d) or other files (f), one path a line, no leading ./
image_paths() {
	awk -v k="$2" '(k == "d") == ($1 ~ /^d/) { print $NF }' <<< "$1" |
	    sed 's#^\./##; s#/$##' | sed '/^$/d' | sort
}

# One file of image REF on stdout.
image_file() {
	local c
	c=$(dk create "$1") || return 1
	dk cp "$c:$2" - | tar -xOf -
	dk rm "$c" > /dev/null
}

@test "make image-local without TAG says how to call it" {
	run make -s -C "$DOCKERUP_SRC" image-local
	[ "$status" -eq 2 ]
	[[ "$output" == *"TAG is not set; expected make image-local TAG=REF"* ]]
}

@test "make image-local: the binary, its libraries, CA bundle, passwd/group and profile; entrypoint dockerup, command --server" {
	local ref=$REPO/image:local layer files dirs d bin
	bin=$(container_binary)
	run env IMAGE_BINARY="$bin" IMAGE_VERSION=7.1 \
	    make -s -C "$DOCKERUP_SRC" image-local TAG="$ref"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dk image inspect "$ref" | jq -c '.[0].Config | [.Entrypoint, .Cmd, .WorkingDir, .StopSignal]')" = \
	    '[["/usr/sbin/dockerup"],["--server"],"/","SIGTERM"]' ]
	[ "$(dk image inspect "$ref" | jq -r '.[0].Config.Labels.DOCKERUP_IMAGE_VERSION')" = 7.1 ]
	[ "$(dk image inspect "$ref" | jq -r '.[0].Config.Labels["org.opencontainers.image.title"]')" = dockerup ]

	layer=$(image_layer "$ref")
	# Exactly: the program, each library ldd names (plus the loader) and
	# libcurl's (loaded at run time), the CA bundle, the profile,
	# passwd/group/nsswitch.conf, and directories.
	local want
	want=$( {
		echo usr/sbin/dockerup
		echo etc/dockerup/seccomp/dockerup.json
		echo etc/ssl/certs/ca-certificates.crt
		echo etc/passwd
		echo etc/group
		echo etc/nsswitch.conf
		"$DOCKERUP_SRC/image/rootfs.sh" --libs "$bin" | sed 's#^/##'
	    } | sort -u)
	files=$(image_paths "$layer" f)
	echo "files: $files"
	[ "$files" = "$want" ]
	dirs=$(image_paths "$layer" d)
	for d in etc/dockerup/containers.d var/cache/dockerup var/run tmp root; do
		grep -qx "$d" <<< "$dirs" || fail "no directory /$d in the image"
	done
	# Everything root's, nothing setuid.
	[ -z "$(awk '$2 != "0/0" || $1 ~ /[sS]/' <<< "$layer")" ]
	[ "$(image_file "$ref" /etc/passwd)" = "$(printf '%s\n' \
	    'root:x:0:0:root:/root:/usr/sbin/nologin' \
	    'dockerup-fetch:x:60600:60600:dockerup fetcher:/nonexistent:/usr/sbin/nologin')" ]
	[ "$(image_file "$ref" /etc/group)" = "$(printf '%s\n' 'root:x:0:' 'dockerup-fetch:x:60600:')" ]
	cmp <(image_file "$ref" /etc/dockerup/seccomp/dockerup.json) \
	    "$DOCKERUP_SRC/policy/container-seccomp.json"
	cmp <(image_file "$ref" /usr/sbin/dockerup) "$bin"

	run dk run --rm --network none "$ref" --version
	[ "$status" -eq 0 ]
	[ "$output" = "$("$bin" --version)" ]
}

@test "image variants: another version is another image ID; a broken entrypoint exits at once" {
	local id1 id2
	image_build "$REPO/variant:1" 1
	id1=$IMAGE_ID
	image_build "$REPO/variant:2" 2
	id2=$IMAGE_ID
	[ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]
	[ "$(dk image inspect -f '{{index .Config.Labels "DOCKERUP_IMAGE_VERSION"}}' "$REPO/variant:2")" = 2 ]

	image_build "$REPO/variant:3" 3 '["/usr/sbin/dockerup", "--no-such-option"]'
	[ "$(dk image inspect "$REPO/variant:3" | jq -c '.[0].Config.Entrypoint')" = \
	    '["/usr/sbin/dockerup","--no-such-option"]' ]
	run timeout 30 /usr/bin/docker run --rm --network none "$REPO/variant:3"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--no-such-option"* ]]

	# Pushed to the rig's registry and pulled back: the same ID.
	image_publish "$REPO/published:latest" 4
	[ "$IMAGE_REF" = "$RIG_REGISTRY/$REPO/published:latest" ]
	! dk image inspect "$IMAGE_REF" > /dev/null 2>&1 || false
	dk pull -q "$IMAGE_REF" > /dev/null
	[ "$(dk image inspect -f '{{.Id}}' "$IMAGE_REF")" = "$IMAGE_ID" ]
}

@test "examples/self: the definition of dockerup's own container passes --check, in the image and on the host" {
	local ref=$REPO/check:1 self=$DOCKERUP_SRC/examples/self
	image_build "$ref" 1
	# In the image, where its profile path is: the files as a host would
	# mount them (aws off: nothing may leave this machine).
	run dk run --rm --network none --read-only \
	    --tmpfs /var/cache/dockerup \
	    -v "$self/dockerup.json:/etc/dockerup/containers.d/dockerup.json:ro" \
	    -v "$self/dockerup.conf:/etc/dockerup/dockerup.conf:ro" \
	    "$ref" --check --no-aws
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"configuration OK: 1 definitions from 1 sources"* ]]

	# On the host, with the repository's copy of the profile (the same
	# file) in a seccomp_dir of its own; nothing else changed.
	mkdir -p "$BATS_TEST_TMPDIR/self" "$BATS_TEST_TMPDIR/seccomp"
	cp "$self/dockerup.json" "$BATS_TEST_TMPDIR/self/dockerup.json"
	cp "$DOCKERUP_SRC/policy/container-seccomp.json" \
	    "$BATS_TEST_TMPDIR/seccomp/dockerup.json"
	chmod 0755 "$BATS_TEST_TMPDIR/seccomp"
	run "$DOCKERUP" --config "$self/dockerup.conf" --no-aws --check \
	    --confdir "$BATS_TEST_TMPDIR/self" \
	    --seccomp-dir "$BATS_TEST_TMPDIR/seccomp"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"configuration OK: 1 definitions from 1 sources"* ]]

	# The hardening the definition declares is the README's.
	jq -e '.update.eager == true and .network == "host" and .readOnly == true
	    and .capDrop == ["ALL"]
	    and .capAdd == ["CHOWN", "KILL", "SETGID", "SETUID", "SETPCAP"]
	    and (.securityOpt | index("no-new-privileges")) != null
	    and .restart == "always"' "$self/dockerup.json"
	# make demo converges examples/containers.d only.
	[ ! -e "$DOCKERUP_SRC/examples/containers.d/dockerup.json" ]
}

@test "the README's docker run line starts dockerup under the profile and converges a confdir" {
	local c0 a_id pid uid args role
	image_publish "$REPO/dockerup:latest" 1
	dk pull -q "$IMAGE_REF" > /dev/null
	printf 'interval=2\nverbose=true\n' > "$TEST_CONFIG"
	write_def a '{"type": "docker", "name": "ctest-a", "image": "'"$RIG_IMAGE"'", "update": {"pull": false}}'
	# A container nobody declared: dockerup removes it (orphans=all), but
	# not its own, which nothing declares either.
	dk run -d --name ctest-orphan "$RIG_IMAGE" > /dev/null

	container_start "$NAME" "$IMAGE_REF" "$TEST_CONFDIR" "$TEST_CACHE" "$TEST_CONFIG"
	wait_until 30 running ctest-a || { container_logs "$NAME"; return 1; }
	a_id=$(cid ctest-a)

	# A definition written later is applied within the interval.
	write_def b '{"type": "docker", "name": "ctest-b", "image": "'"$RIG_IMAGE"'", "update": {"pull": false}}'
	wait_until 15 running ctest-b || { container_logs "$NAME"; return 1; }
	wait_until 15 eval '! dk inspect ctest-orphan > /dev/null 2>&1' ||
	    { container_logs "$NAME"; return 1; }
	[ "$(cid ctest-a)" = "$a_id" ]

	# The documented profile, capabilities and isolation.
	local hc
	hc=$(dk inspect "$NAME" | jq '.[0].HostConfig')
	[ "$(jq -c '.CapDrop' <<< "$hc")" = '["ALL"]' ]
	[ "$(jq -c '.CapAdd | sort' <<< "$hc")" = '["CHOWN","KILL","SETGID","SETPCAP","SETUID"]' ]
	[ "$(jq -r '.ReadonlyRootfs' <<< "$hc")" = true ]
	[ "$(jq -r '.NetworkMode' <<< "$hc")" = host ]
	[ "$(jq -r '.Privileged' <<< "$hc")" = false ]
	[ "$(jq -r '.RestartPolicy.Name' <<< "$hc")" = always ]
	[ "$(jq -r '[.SecurityOpt[] | select(. == "no-new-privileges")] | length' <<< "$hc")" -eq 1 ]
	[ "$(jq -r '[.SecurityOpt[] | select(startswith("seccomp="))] | length' <<< "$hc")" -eq 1 ]
	jq -r '.SecurityOpt[] | select(startswith("seccomp=")) | .[8:]' <<< "$hc" |
	    jq -S . | cmp - <(jq -S . "$DOCKERUP_SRC/policy/container-seccomp.json")
	[ "$(jq -r '.Binds | sort | join(" ")' <<< "$hc")" = "$(printf '%s\n' \
	    "${DOCKER_HOST#unix://}:/var/run/docker.sock" \
	    "$TEST_CACHE:/var/cache/dockerup" \
	    "$TEST_CONFDIR:/etc/dockerup/containers.d:ro" \
	    "$TEST_CONFIG:/etc/dockerup/dockerup.conf:ro" \
	    "$BATS_TEST_TMPDIR/dockercfg:/etc/dockerup/.dockercfg:ro" |
	    sort | tr '\n' ' ' | sed 's/ $//')" ]

	# Three processes: parent and engine as root, the fetcher as
	# dockerup-fetch (uid 60600, the image's own account),
	# each under seccomp with no_new_privs; only the parent keeps
	# capabilities (KILL, SETGID, SETUID, SETPCAP).
	local n=0 seen= want
	while read -r pid uid args; do
		n=$((n + 1))
		case "$args" in
		"/usr/sbin/dockerup --server") role=parent want=0 ;;
		"/usr/sbin/dockerup -R engine"*) role=engine want=0 ;;
		"/usr/sbin/dockerup -R fetcher"*) role=fetcher want=60600 ;;
		*) fail "unexpected process in the container: $pid $uid $args"; return 1 ;;
		esac
		[ "$uid" -eq "$want" ] || { fail "$role runs as uid $uid; expected $want"; return 1; }
		seen="$seen $role"
		grep -qx 'Seccomp:[[:space:]]*2' "/proc/$pid/status"
		grep -qx 'NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
		if [ "$role" = parent ]; then
			# CAP_KILL 5, SETGID 6, SETUID 7, SETPCAP 8
			grep -qx 'CapEff:[[:space:]]*00000000000001e0' "/proc/$pid/status"
		else
			grep -qx 'CapEff:[[:space:]]*0000000000000000' "/proc/$pid/status"
			grep -qx 'CapBnd:[[:space:]]*0000000000000000' "/proc/$pid/status"
		fi
	done < <(container_pids "$NAME")
	[ "$n" -eq 3 ]
	[ "$(tr ' ' '\n' <<< "$seen" | sed '/^$/d' | sort | tr '\n' ' ')" = "engine fetcher parent " ]

	# It keeps running: several more runs, no restart, no seccomp kill,
	# no error, and its own container never taken for an orphan.
	c0=$(container_logs "$NAME" | grep -c ' created, .* replaced, ' || true)
	wait_until 20 eval '[ "$(container_logs "$NAME" | grep -c " created, .* replaced, ")" -ge $((c0 + 3)) ]'
	running "$NAME"
	[ "$(dk inspect -f '{{.RestartCount}}' "$NAME")" -eq 0 ]
	container_logs "$NAME" > "$LOG"
	! grep -E 'SIGSYS|seccomp violation|forbidden syscall|Operation not permitted|Permission denied| fatal| error ' "$LOG" ||
	    fail "the container's log reports a problem (above)"
	! grep -q "remove $NAME\|stop $NAME" "$LOG" || false
	grep -q 'engine: 0 created, 0 replaced, 0 started, 0 removed, 2 unchanged, 0 failed' "$LOG"

	# docker stop ends it cleanly (SIGTERM to the parent, status 0).
	dk stop -t 20 "$NAME" > /dev/null
	[ "$(dk inspect -f '{{.State.ExitCode}}' "$NAME")" -eq 0 ]
	running ctest-a && running ctest-b
}

# dockerd 20.10 takes any `docker kill` signal for a stop by hand when the
# container names no stop signal, and a stop by hand cancels `restart:
# always` until the next start: a crash after a reload was then never
# restarted.  The image names SIGTERM, so HUP is only a reload.
@test "docker kill -s HUP reloads the container; a crash after it is still restarted" {
	local runs pid
	image_publish "$REPO/dockerup:hup" 1
	dk pull -q "$IMAGE_REF" > /dev/null
	# Runs only at start and on SIGHUP within this test.
	printf 'interval=3600\nverbose=true\n' > "$TEST_CONFIG"
	write_def a '{"type": "docker", "name": "ctest-a", "image": "'"$RIG_IMAGE"'", "update": {"pull": false}}'
	container_start "$NAME" "$IMAGE_REF" "$TEST_CONFDIR" "$TEST_CACHE" "$TEST_CONFIG"
	wait_until 30 running ctest-a || { container_logs "$NAME"; return 1; }
	[ "$(dk inspect -f '{{.Config.StopSignal}}' "$NAME")" = SIGTERM ]
	runs=$(container_logs "$NAME" | grep -c ' created, .* replaced, ' || true)
	[ "$runs" -ge 1 ]

	# The reload: one more run, the same container, still running.
	dk kill -s HUP "$NAME" > /dev/null
	wait_until 15 eval '[ "$(container_logs "$NAME" | grep -c " created, .* replaced, ")" -gt "$runs" ]' ||
	    { container_logs "$NAME"; fail "no run after SIGHUP"; return 1; }
	running "$NAME"
	[ "$(dk inspect -f '{{.RestartCount}}' "$NAME")" -eq 0 ]

	# The crash: its PID 1 killed from the host.  restart: always is still
	# in force, so dockerd starts it again.
	pid=$(dk inspect -f '{{.State.Pid}}' "$NAME")
	[ "$pid" -gt 1 ]
	kill -KILL "$pid"
	wait_until 20 eval '[ "$(dk inspect -f "{{.RestartCount}}" "$NAME")" -ge 1 ] && running "$NAME"' ||
	    { dk inspect "$NAME" | jq '.[0].State'; fail "not restarted after the crash"; return 1; }
	running ctest-a
}
