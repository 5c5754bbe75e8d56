#!/usr/bin/env bats
# The test rig itself: the engine, the registries and the metadata
# emulator answer as the other suites expect.

load helpers

setup() {
	setup_confdir
	cleanup_containers
	imds_reset
}

teardown() {
	cleanup_containers
	imds_reset
}

sock() { echo "${DOCKER_HOST#unix://}"; }

# curl_code ARGS...: prints the HTTP status, or "curl exit N" on a
# transport error.
curl_code() {
	local code rc
	code=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' \
	    --max-time 10 "$@") && rc=0 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "curl exit $rc"
	else
		echo "$code"
	fi
}

token() {
	curl -sSf --max-time 5 -X PUT \
	    -H "X-aws-ec2-metadata-token-ttl-seconds: ${1:-60}" \
	    "$RIG_IMDS/latest/api/token"
}

@test "rig: the engine is private to the rig directory" {
	[[ "$DOCKER_HOST" == "unix://$RIG_DIR/"* ]]
	[ -S "$(sock)" ]
	[ "$(dk info --format '{{.DockerRootDir}}')" = "$RIG_DIR/data" ]
	# dockerd's own containerd keeps its socket in the rig directory.
	[ -S "$RIG_DIR/exec/containerd/containerd.sock" ]
}

@test "rig: the engine answers /_ping with its API version" {
	run curl -si --max-time 5 --unix-socket "$(sock)" http://localhost/_ping
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "HTTP/1.1 200"* ]]
	ver=$(printf '%s\n' "$output" | tr -d '\r' |
	    sed -n 's/^[Aa]pi-[Vv]ersion: //p')
	[ -n "$ver" ]
	[ "$ver" = "$(dk version --format '{{.Server.APIVersion}}')" ]
	[[ "$output" == *OK ]]
}

@test "rig: a container from the test image runs" {
	dk run -d --name rig-run "$RIG_IMAGE" > /dev/null
	[ "$(inspect rig-run .State.Running)" = true ]
	[ "$(inspect rig-run '.Config.Cmd | join(" ")')" = "/bin/sleep 100000" ]
	[ "$(dk exec rig-run cat /etc/dockerup-test-version)" = 1 ]
	# The shell traps signals, as tests of stop behaviour need.
	run dk exec rig-run sh -c 'trap "echo caught" USR1; kill -USR1 $$; echo done'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'caught\ndone')" ]
}

@test "rig: a new image version under the same tag has new content" {
	rig_image rig-test/versioned:latest 1
	id1=$(dk image inspect --format '{{.Id}}' rig-test/versioned:latest)
	rig_image rig-test/versioned:latest 2
	id2=$(dk image inspect --format '{{.Id}}' rig-test/versioned:latest)
	[ "$id1" != "$id2" ]
	[ "$(dk run --rm rig-test/versioned:latest cat /etc/dockerup-test-version)" = 2 ]
	dk rmi -f rig-test/versioned:latest "$id1" > /dev/null
}

@test "rig: the registry takes a push of a new tag and serves it back" {
	tag=t$$-$RANDOM
	ref=$RIG_REGISTRY/busy:$tag
	rig_image "$ref" "$tag"
	dk push -q "$ref" > /dev/null
	run curl -sSf "http://$RIG_REGISTRY/v2/busy/tags/list"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg t "$tag" '.tags | index($t) != null'
	echo "$output" | jq -e '.tags | index("1") != null'
	dk rmi "$ref" > /dev/null
	dk pull -q "$ref" > /dev/null
	[ "$(dk run --rm "$ref" cat /etc/dockerup-test-version)" = "$tag" ]
	dk rmi "$ref" > /dev/null
}

@test "rig: the authenticated registry refuses anonymous pulls and accepts a login" {
	export DOCKER_CONFIG=$BATS_TEST_TMPDIR/docker-config
	mkdir -p "$DOCKER_CONFIG"
	[ "$(curl_code "http://$RIG_AUTH_REGISTRY/v2/")" = 401 ]
	run dk pull "$RIG_AUTH_REGISTRY/busy:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no basic auth credentials"* ||
	    "$output" == *unauthorized* ]]
	run dk login -u "$RIG_AUTH_USER" -p wrong-password "$RIG_AUTH_REGISTRY"
	[ "$status" -ne 0 ]
	printf '%s' "$RIG_AUTH_PASS" |
	    dk login -u "$RIG_AUTH_USER" --password-stdin "$RIG_AUTH_REGISTRY"
	dk pull -q "$RIG_AUTH_REGISTRY/busy:1" > /dev/null
	[ "$(dk run --rm "$RIG_AUTH_REGISTRY/busy:1" cat /etc/dockerup-test-version)" = 1 ]
	[ "$(curl_code -u "$RIG_AUTH_USER:$RIG_AUTH_PASS" "http://$RIG_AUTH_REGISTRY/v2/")" = 200 ]
	dk rmi "$RIG_AUTH_REGISTRY/busy:1" > /dev/null
}

@test "imds: a token for a valid TTL, 400 for a missing or out-of-range one" {
	t=$(token 21600)
	[ ${#t} -ge 20 ]
	[ "$(curl_code -X PUT "$RIG_IMDS/latest/api/token")" = 400 ]
	for ttl in 0 21601 -5 abc; do
		[ "$(curl_code -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: $ttl" \
		    "$RIG_IMDS/latest/api/token")" = 400 ]
	done
	[ "$(imds_stats token)" = 1 ]
	[ "$(imds_stats refused_token)" = 5 ]
}

@test "imds: user-data needs a valid token" {
	imds_set_userdata '{"containers": []}'
	[ "$(curl_code "$RIG_IMDS/latest/user-data")" = 401 ]
	[ "$(curl_code -H 'X-aws-ec2-metadata-token: forged' \
	    "$RIG_IMDS/latest/user-data")" = 401 ]
	t=$(token)
	[ "$(curl_code -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data")" = 200 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = '{"containers": []}' ]
	# Tokens can be expired by a test.
	curl -sSf -X POST "$RIG_IMDS_CONTROL/_control/tokens/expire" > /dev/null
	[ "$(curl_code -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data")" = 401 ]
	[ "$(imds_stats unauthorized)" = 3 ]
}

@test "imds: 404 without user-data, and user-data can change" {
	t=$(token)
	[ "$(curl_code -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data")" = 404 ]
	imds_set_userdata 'first'
	curl_code -H "X-aws-ec2-metadata-token: $t" "$RIG_IMDS/latest/user-data"
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = first ]
	imds_set_userdata 'second'
	curl_code -H "X-aws-ec2-metadata-token: $t" "$RIG_IMDS/latest/user-data"
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = second ]
	imds_set_userdata
	[ "$(curl_code -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data")" = 404 ]
}

@test "imds: gzip-compressed user-data is served as stored" {
	imds_set_userdata --gzip '{"containers": [{"name": "z"}]}'
	t=$(token)
	curl -sSf -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data" -o "$BATS_TEST_TMPDIR/ud"
	[ "$(head -c 2 "$BATS_TEST_TMPDIR/ud" | od -An -tx1 | tr -d ' ')" = 1f8b ]
	[ "$(gzip -dc < "$BATS_TEST_TMPDIR/ud")" = '{"containers": [{"name": "z"}]}' ]
}

@test "imds: v1only mode has no token endpoint and needs no token" {
	imds_set_userdata 'v1 data'
	imds_mode v1only
	[ "$(curl_code -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	    "$RIG_IMDS/latest/api/token")" = 404 ]
	[ "$(curl_code "$RIG_IMDS/latest/user-data")" = 200 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = 'v1 data' ]
}

@test "imds: refuse mode refuses connections, normal mode listens again" {
	imds_set_userdata 'back'
	imds_mode refuse
	[ "$(curl_code "$RIG_IMDS/latest/user-data")" = "curl exit 7" ]
	[ "$(curl_code -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	    "$RIG_IMDS/latest/api/token")" = "curl exit 7" ]
	imds_mode normal
	t=$(token)
	[ "$(curl_code -H "X-aws-ec2-metadata-token: $t" \
	    "$RIG_IMDS/latest/user-data")" = 200 ]
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = back ]
}

@test "imds: reset mode resets connections without an answer" {
	imds_mode reset
	[ "$(curl_code -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	    "$RIG_IMDS/latest/api/token")" = "curl exit 56" ]
	[ "$(imds_stats resets)" = 1 ]
}

@test "imds: slow mode delays answers, other clients are served meanwhile" {
	imds_mode slow 1
	start=$(date +%s%N)
	t=$(token)
	[ -n "$t" ]
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -ge 950 ]
	# A client that gives up earlier sees a timeout (curl exit 28).
	[ "$(curl_code --max-time 0.5 "$RIG_IMDS/latest/user-data")" = "curl exit 28" ]
	# Requests are served concurrently: three in parallel take ~1 s, not 3.
	start=$(date +%s%N)
	pids=()
	for i in 1 2 3; do
		curl -s -o /dev/null -H "X-aws-ec2-metadata-token: $t" \
		    "$RIG_IMDS/latest/user-data" &
		pids+=($!)
	done
	# Only these: a bare `wait` would also wait for bats' own watchdog.
	wait "${pids[@]}"
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -lt 2500 ]
}

@test "imds: 404 mode answers 404 to everything" {
	imds_set_userdata 'hidden'
	imds_mode 404
	[ "$(curl_code -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	    "$RIG_IMDS/latest/api/token")" = 404 ]
	[ "$(curl_code "$RIG_IMDS/latest/user-data")" = 404 ]
}

@test "imds: the control port rejects an unknown mode" {
	run curl -s -w '%{http_code}' --data-binary 'sideways' \
	    "$RIG_IMDS_CONTROL/_control/mode"
	[[ "$output" == *"expected one of"*400 ]]
	run curl -s -w '%{http_code}' --data-binary 'slow' \
	    "$RIG_IMDS_CONTROL/_control/mode"
	[[ "$output" == *400 ]]
	[ "$(curl -sSf "$RIG_IMDS_CONTROL/_control/mode")" = normal ]
}

@test "helpers: write_def and run_dockerup use this test's directories" {
	write_def web '{"type": "docker", "name": "web", "image": "x"}'
	[ -f "$TEST_CONFDIR/web.json" ]
	jq -e '.name == "web"' "$TEST_CONFDIR/web.json"
	[ -d "$TEST_CACHE" ]
	[[ "$TEST_CONFDIR" == "$BATS_TEST_TMPDIR"/* ]]
	[ -x "$DOCKERUP" ] || skip "no dockerup binary at $DOCKERUP yet"
	run_dockerup --help
	[ "$status" -eq 0 ]
	[[ "$output" == *--confdir* ]]
}

@test "helpers: start_dockerup runs a server until stop_dockerup" {
	[ -x "$DOCKERUP" ] || skip "no dockerup binary at $DOCKERUP yet"
	start_dockerup "$BATS_TEST_TMPDIR/server.log" --server --interval 1
	[ -n "$DOCKERUP_PID" ]
	sleep 1
	kill -0 "$DOCKERUP_PID"
	stop_dockerup 15
	[ "$DOCKERUP_STATUS" -eq 0 ]
	[ -z "$DOCKERUP_PID" ]
	no_sanitizer_report "$(cat "$BATS_TEST_TMPDIR/server.log")"
}

@test "helpers: no_sanitizer_report spots a report" {
	no_sanitizer_report "all fine"
	run no_sanitizer_report "==1==ERROR: AddressSanitizer: heap-use-after-free"
	[ "$status" -ne 0 ]
	run no_sanitizer_report "x.c:3:5: runtime error: signed integer overflow"
	[ "$status" -ne 0 ]
}
