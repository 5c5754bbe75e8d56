#!/usr/bin/env bats
# tcp:// without TLS (issue #14): refused at settings time unless
# allow_insecure_tcp says it is wanted; even then registry credentials
# never cross it.  The rig's engine is reached through a plain TCP front
# (plain_tcp_proxy.py) that records every byte dockerup sends, as an
# eavesdropper on the path would.

load helpers
load engine_helpers

setup_file() {
	PLAIN_DIR=$(mktemp -d /tmp/eng-plain.XXXXXX)
	export PLAIN_DIR
	# bats waits for whatever holds its fd 3: the proxy must not.
	python3 "$BATS_TEST_DIRNAME/plain_tcp_proxy.py" "$PLAIN_DIR" \
	    "${DOCKER_HOST#unix://}" > "$PLAIN_DIR/proxy.log" 2>&1 3>&- &
	echo $! > "$PLAIN_DIR/proxy.pid"
	for _ in $(seq 1 50); do
		[ -s "$PLAIN_DIR/port" ] && break
		sleep 0.1
	done
	[ -s "$PLAIN_DIR/port" ]
}

teardown_file() {
	[ -n "${PLAIN_DIR:-}" ] || return 0
	[ -s "$PLAIN_DIR/proxy.pid" ] && kill "$(cat "$PLAIN_DIR/proxy.pid")" 2> /dev/null
	rm -rf "$PLAIN_DIR"
}

setup() {
	setup_confdir
	cleanup_containers
	PLAIN_REMOTE=tcp://127.0.0.1:$(cat "$PLAIN_DIR/port")
	rm -f "$PLAIN_DIR/requests.log"
	unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH
}

teardown() {
	cleanup_containers
}

@test "insecure tcp: tcp:// without TLS is refused before anything is sent" {
	local_def web
	run_dockerup --no-pull --remote "$PLAIN_REMOTE"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"settings: remote: $PLAIN_REMOTE has no TLS (DOCKER_TLS_VERIFY is not set): the Docker API, which is root on its host, would be reached in clear and unauthenticated; expected DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH, or allow_insecure_tcp=true (--allow-insecure-tcp) if that is wanted"* ]]
	[ ! -s "$PLAIN_DIR/requests.log" ]
	! exists web || false
	# The same from DOCKER_HOST and from the settings file.
	DOCKER_HOST=$PLAIN_REMOTE run "$DOCKERUP" --config "$TEST_CONFIG" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull
	[ "$status" -eq 2 ]
	[[ "$output" == *"has no TLS"* ]]
	echo "remote=$PLAIN_REMOTE" > "$TEST_CONFIG"
	run "$DOCKERUP" --config "$TEST_CONFIG" --confdir "$TEST_CONFDIR" \
	    --cache "$TEST_CACHE" --no-pull
	[ "$status" -eq 2 ]
	[[ "$output" == *"has no TLS"* ]]
	[ ! -s "$PLAIN_DIR/requests.log" ]
}

@test "insecure tcp: allowed, it works; registry credentials never cross it" {
	local cfg=$BATS_TEST_TMPDIR/dcfg/config.json
	local image=$RIG_AUTH_REGISTRY/busy:1
	mkdir -p "$BATS_TEST_TMPDIR/dcfg"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$RIG_AUTH_REGISTRY" \
	    "$(printf '%s:%s' "$RIG_AUTH_USER" "$RIG_AUTH_PASS" | base64 -w0)" > "$cfg"
	# The eavesdropper sees a header when one is sent.
	curl -s -o /dev/null -H "X-Registry-Auth: probe" "http://127.0.0.1:$(cat "$PLAIN_DIR/port")/_ping"
	grep -qi '^X-Registry-Auth: probe' "$PLAIN_DIR/requests.log"
	rm -f "$PLAIN_DIR/requests.log"
	# A local image over plain tcp://, wanted: it runs.
	local_def web
	echo "allow_insecure_tcp=true" > "$TEST_CONFIG"
	run_dockerup --no-pull --remote "$PLAIN_REMOTE"
	echo "$output"
	[ "$status" -eq 0 ]
	running web
	rm "$TEST_CONFDIR/web.json"
	cleanup_containers
	# A pull that needs credentials: sent without them, and said why.
	dk rmi "$image" > /dev/null 2>&1 || true
	reg_def priv "$image"
	run_dockerup --remote "$PLAIN_REMOTE" --registry-auth "$cfg"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"registry credentials are never sent to $PLAIN_REMOTE: a tcp:// endpoint without TLS would carry them in clear (allow_insecure_tcp); images are pulled without credentials"* ]]
	! exists priv || false
	grep -q "POST /v[0-9.]*/images/create" "$PLAIN_DIR/requests.log"
	! grep -qi 'X-Registry-Auth' "$PLAIN_DIR/requests.log" || false
	! grep -q "$RIG_AUTH_PASS" "$PLAIN_DIR/requests.log" || false
	# The same credentials over the unix socket pull it: they were good.
	run_dockerup --registry-auth "$cfg"
	echo "$output"
	[ "$status" -eq 0 ]
	running priv
}

@test "insecure tcp: a status_group the engine cannot give leaves status.json to its owner, not lost" {
	# Over tcp:// the engine runs as --user (dockerup-fetch), no member
	# of adm: the chown fails, the status is still written, 0640.
	getent group adm > /dev/null || fail "no group adm on this machine"
	chmod 777 "$TEST_CACHE"
	local_def web
	run_dockerup --no-pull --remote "$PLAIN_REMOTE" --allow-insecure-tcp --status-group adm
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status_group: giving status.json to the group; it stays readable by its owner only: Operation not permitted"* ]]
	[ "$(stat -c '%a %U' "$TEST_CACHE/status.json")" = "640 dockerup-fetch" ]
	[ "$(jq -r .result "$TEST_CACHE/status.json")" != null ]
}
