#!/usr/bin/env bats
# A hostile or broken Docker endpoint (issue #14): dockerup takes nothing
# from it on trust.  fake_docker.py serves hostile answers on a unix socket
# and logs every request it receives, so each test asserts which requests
# dockerup sent and which it did not, what it said, and that it did not
# crash (run_dockerup fails on any sanitizer report: run the suite on the
# ASan build too).  The last tests send text that tries to forge log lines
# and to reach the terminal, and read the logs and `dockerup status`.

load helpers

HEX_A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
HEX_1=1111111111111111111111111111111111111111111111111111111111111111
EVIL_ID='x/../../../v1.41/containers/create?name=owned'
# One event's text that pretends to be a second line, clears the screen
# (ESC [2J) and starts a C1 CSI sequence (U+009B), as JSON escapes.
FORGED='boom\n2026-01-01T00:00:00.000Z info engine: fake line\r\u001b[2J\u009b31m'
FORGED_SHOWN='boom\n2026-01-01T00:00:00.000Z info engine: fake line\r\x1b[2J\u009b31m'

setup() {
	setup_confdir
	FAKE_DIR=$(mktemp -d /tmp/fake-docker.XXXXXX)
	FAKE_REMOTE=unix://$FAKE_DIR/docker.sock
	python3 "$BATS_TEST_DIRNAME/fake_docker.py" "$FAKE_DIR" \
	    > "$FAKE_DIR/server.log" 2>&1 3>&- &
	FAKE_PID=$!
	for _ in $(seq 1 50); do
		[ -S "$FAKE_DIR/docker.sock" ] && [ -s "$FAKE_DIR/pid" ] && break
		sleep 0.1
	done
	[ -S "$FAKE_DIR/docker.sock" ]
}

teardown() {
	[ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2> /dev/null || true
	[ -z "${FAKE_PID:-}" ] || wait "$FAKE_PID" 2> /dev/null || true
	[ -z "${FAKE_DIR:-}" ] || rm -rf "$FAKE_DIR"
}

# routes JSON: what the fake endpoint answers (see fake_docker.py).
routes() { printf '%s\n' "$1" > "$FAKE_DIR/routes.json"; }

# run_fake ARGS...: dockerup once against the fake endpoint, no pulls.
run_fake() {
	: > "$FAKE_DIR/requests.log"
	run_dockerup --remote "$FAKE_REMOTE" --no-pull "$@"
}

# requests: what the fake endpoint received, one "METHOD PATH" a line.
requests() { cat "$FAKE_DIR/requests.log"; }

# only_reads: every request received was a GET (nothing was changed).
only_reads() {
	if grep -v '^GET ' "$FAKE_DIR/requests.log"; then
		fail "dockerup sent a request that changes something"
	fi
}

# A list of one container; $1 is the entry's JSON text, sent as it is
# (numbers such as 1e400 included).
ctr_list() {
	routes "$(jq -n --arg raw "[$1]" '[{"path": "/containers/json",
	    "raw": $raw}, {"path": "/images/json", "json": []}]')"
}

@test "hostile docker: an Id holding a path sends no request with it" {
	ctr_list '{"Id": "'"$EVIL_ID"'", "Names": ["/victim"], "ImageID": "sha256:'$HEX_1'", "State": "running", "Labels": {}}'
	# An undeclared container is removed by default: the Id would go
	# into POST /containers/ID/stop, which resolves to a create.
	run_fake
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET /containers/json: entry 0: Id \"$EVIL_ID\": expected a container ID, 64 lowercase hex digits; the whole answer is refused"* ]]
	[[ "$output" != *"remove victim"* ]]
	requests
	[ "$(requests)" = "GET /_ping
GET /v1.41/containers/json?all=1" ]
	! grep -q create "$FAKE_DIR/requests.log" || false
}

@test "hostile docker: an ImageID, a name or an image Id out of form refuses the answer" {
	local entry field
	for entry in \
	    'ImageID|{"Id": "'$HEX_A'", "Names": ["/a"], "ImageID": "sha256:../../x", "State": "running"}' \
	    'Names|{"Id": "'$HEX_A'", "Names": ["/a?name=owned"], "ImageID": "sha256:'$HEX_1'", "State": "running"}' \
	    'Names|{"Id": "'$HEX_A'", "Names": ["/a\\nb"], "ImageID": "sha256:'$HEX_1'", "State": "running"}'; do
		field=${entry%%|*}
		ctr_list "${entry#*|}"
		run_fake
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"GET /containers/json: entry 0: $field "*"expected a"*"the whole answer is refused"* ]]
		only_reads
	done
	routes '[{"path": "/containers/json", "json": []},
	    {"path": "/images/json", "json": [{"Id": "../'$HEX_1'", "RepoTags": ["busybox:latest"]}]}]'
	run_fake
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET /images/json: entry 0: Id \"../$HEX_1\": expected an image ID, sha256: and 64 lowercase hex digits"* ]]
	only_reads
}

@test "hostile docker: a create answer's Id out of form is not used" {
	write_def app '{"type": "docker", "name": "app", "image": "busybox:latest"}'
	routes '[{"path": "/containers/json", "json": []},
	    {"path": "/images/json", "json": [{"Id": "sha256:'$HEX_1'", "RepoTags": ["busybox:latest"]}]},
	    {"method": "POST", "path": "/containers/create", "status": 201, "json": {"Id": "'"$EVIL_ID"'"}}]'
	run_fake
	echo "$output"
	requests
	[ "$status" -eq 1 ]
	[[ "$output" == *"POST /containers/create?name=app: no container Id in the answer (expected 64 lowercase hex digits)"* ]]
	# The one create, and nothing sent with the Id (no start).
	[ "$(grep -c '^POST ' "$FAKE_DIR/requests.log")" -eq 1 ]
	grep -q '^POST /v1.41/containers/create?name=app$' "$FAKE_DIR/requests.log"
	! grep -q owned "$FAKE_DIR/requests.log" || false
}

@test "hostile docker: numbers out of range are not converted" {
	local n
	for n in 1e400 -1e400 1e19 -5 9223372036854775808 -9223372036854775809; do
		ctr_list '{"Id": "'$HEX_A'", "Names": ["/web"], "ImageID": "sha256:'$HEX_1'", "State": "running", "Created": '$n', "Labels": {}}'
		# Only managed containers are touched: this one is left alone.
		run_fake --orphans managed
		echo "$n: $output"
		[ "$status" -eq 0 ]
		only_reads
	done
}

@test "hostile docker: an oversized response header is reported as such" {
	local bytes
	# 200 KiB: one line above libcurl's own limit; 70000: above ours.
	for bytes in 204800 70000; do
		routes '[{"path": "/_ping", "text": "OK", "headers": {"API-Version": "1.41"}, "header_bytes": '$bytes'}]'
		run_fake
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"GET /_ping: response header from $FAKE_REMOTE exceeds 65536 bytes"* ]]
		[[ "$output" != *"memory"* ]]
		[ "$(requests)" = "GET /_ping" ]
	done
}

@test "hostile docker: an answer above MAX_DOCKER_RESPONSE is reported as such" {
	routes '[{"path": "/containers/json", "body_bytes": 67108865}]'
	run_fake
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET /containers/json?all=1: the answer from $FAKE_REMOTE is larger than 67108864 bytes"* ]]
	only_reads
}

@test "hostile docker: a broken endpoint does not stop dockerup --server" {
	ctr_list '{"Id": "'"$EVIL_ID"'", "Names": ["/victim"], "State": "running"}'
	: > "$FAKE_DIR/requests.log"
	start_dockerup "$BATS_TEST_TMPDIR/server.log" --remote "$FAKE_REMOTE" \
	    --no-pull --server --interval 1
	for _ in $(seq 1 100); do
		[ "$(grep -c 'containers/json' "$FAKE_DIR/requests.log")" -ge 2 ] && break
		sleep 0.1
	done
	kill -0 "$DOCKERUP_PID"
	stop_dockerup
	cat "$BATS_TEST_TMPDIR/server.log"
	[ "$(grep -c 'containers/json' "$FAKE_DIR/requests.log")" -ge 2 ]
	[ "$DOCKERUP_STATUS" -eq 0 ]
	only_reads
	no_sanitizer_report "$(cat "$BATS_TEST_TMPDIR/server.log")"
}

# The lines of FILE (or stdin) that hold TEXT.
lines_with() { grep -c -F -- "$1" "${2:--}" || true; }

# no_forgery FILE: valid UTF-8 without a control character (C0 but the
# newline, DEL, C1), and no line that starts with the forged timestamp.
no_forgery() {
	if ! python3 -c 'import sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(any((ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f
    for c in t))' "$1"; then
		od -c "$1" | head -40
		fail "a control character or a byte that is not UTF-8 reached the output"
	fi
	if grep -q '^2026-01-01T00:00:00.000Z' "$1"; then
		fail "a forged line"
	fi
}

@test "hostile docker: an error text cannot forge a log line, text format" {
	routes '[{"path": "/containers/json", "status": 500, "json": {"message": "'"$FORGED"'"}}]'
	run_fake
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with boom "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	[ "$(lines_with "$FORGED_SHOWN (HTTP 500 from GET /containers/json?all=1)" "$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

@test "hostile docker: an error text cannot forge a log line, JSON format" {
	routes '[{"path": "/containers/json", "status": 500, "json": {"message": "'"$FORGED"'"}}]'
	run_fake --log-format json
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with boom "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	# Every line is one JSON object; the message comes back as it was.
	jq -e . "$BATS_TEST_TMPDIR/out" > /dev/null
	[ "$(jq -r 'select(.msg | test("boom")) | .msg' "$BATS_TEST_TMPDIR/out")" = \
	    "$(printf 'boom\n2026-01-01T00:00:00.000Z info engine: fake line\r\033[2J\302\23331m (HTTP 500 from GET /containers/json?all=1); nothing was changed')" ]
}

@test "hostile docker: an error text cannot forge a line of dockerup status" {
	write_def app '{"type": "docker", "name": "app", "image": "busybox:latest"}'
	routes '[{"path": "/containers/json", "json": []},
	    {"path": "/images/json", "json": [{"Id": "sha256:'$HEX_1'", "RepoTags": ["busybox:latest"]}]},
	    {"method": "POST", "path": "/containers/create", "status": 500, "json": {"message": "'"$FORGED"'"}}]'
	run_fake
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	# The definition's last error holds the text: the table escapes it.
	jq -e '.definitions[0].last_error | test("fake line\r\u001b")' \
	    "$TEST_CACHE/status.json"
	"$DOCKERUP" status --config "$TEST_CONFIG" --cache "$TEST_CACHE" \
	    > "$BATS_TEST_TMPDIR/status" 2>&1
	cat "$BATS_TEST_TMPDIR/status"
	no_forgery "$BATS_TEST_TMPDIR/status"
	[ "$(lines_with boom "$BATS_TEST_TMPDIR/status")" -eq 1 ]
	grep -q -F 'boom\n2026-01-01T00:00:00.000Z info engine: fake' "$BATS_TEST_TMPDIR/status"
	# --format json prints the file: JSON-escaped (C1 too), valid UTF-8.
	"$DOCKERUP" status --format json --config "$TEST_CONFIG" \
	    --cache "$TEST_CACHE" > "$BATS_TEST_TMPDIR/status.json"
	# (the file is indented with tabs)
	tr -d '\t' < "$BATS_TEST_TMPDIR/status.json" > "$BATS_TEST_TMPDIR/notabs"
	no_forgery "$BATS_TEST_TMPDIR/notabs"
	[ "$(jq -r '.definitions[0].last_error' "$BATS_TEST_TMPDIR/status.json")" = \
	    "$(printf 'create app: boom\n2026-01-01T00:00:00.000Z info engine: fake line\r\033[2J\302\23331m (HTTP 500 from POST /containers/create?name=app)')" ]
	# A run-level error too: the "Error:" line.
	routes '[{"path": "/containers/json", "status": 500, "json": {"message": "'"$FORGED"'"}}]'
	run_fake
	"$DOCKERUP" status --config "$TEST_CONFIG" --cache "$TEST_CACHE" \
	    > "$BATS_TEST_TMPDIR/status" 2>&1
	cat "$BATS_TEST_TMPDIR/status"
	no_forgery "$BATS_TEST_TMPDIR/status"
	grep -q -F "Error:     $FORGED_SHOWN (HTTP 500" "$BATS_TEST_TMPDIR/status"
}

@test "hostile text: a file name cannot forge a line of --check or of the log" {
	local f=$TEST_CONFDIR/$'bad\n2026-01-01T00:00:00.000Z info fake\x1b[2J\xc2\x9b.json'
	printf '{"type": "docker", "name": "x",' > "$f"
	run_dockerup --check
	[ "$status" -eq 2 ]
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	grep -q -F 'bad\n2026-01-01T00:00:00.000Z info fake\x1b[2J\u009b.json: invalid JSON' "$BATS_TEST_TMPDIR/out"
	run_fake
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with 'bad\n2026-01-01' "$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

@test "hostile text: user-data cannot forge a line of --check or of the log" {
	imds_reset
	imds_set_userdata '{"containers": [{"type": "docker", "name": "x\n2026-01-01T00:00:00.000Z info fake\u001b[2J\u009b", "image": "busybox"}]}'
	run_dockerup --aws --imds "$RIG_IMDS" --check
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 2 ]
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with 'x\n2026-01-01T00:00:00.000Z info fake\x1b[2J\u009b' "$BATS_TEST_TMPDIR/out")" -ge 1 ]
	run_fake --aws --imds "$RIG_IMDS"
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with 'x\n2026-01-01T00:00:00.000Z info fake\x1b[2J\u009b' "$BATS_TEST_TMPDIR/out")" -ge 1 ]
	imds_reset
}

@test "hostile docker: a pull error relayed from a registry cannot forge a log line" {
	write_def app '{"type": "docker", "name": "app", "image": "busybox:latest"}'
	# dockerd relays the registry's error inside the pull's JSON stream.
	routes "$(jq -n --arg err "denied: $(printf 'forged\n2026-01-01T00:00:00.000Z info engine: fake line\033[2J\302\233')" \
	    '[{"path": "/containers/json", "json": []},
	      {"path": "/images/json", "json": []},
	      {"method": "POST", "path": "/images/create",
	       "text": ("{\"status\":\"Pulling from library/busybox\"}\n" +
	           ({"errorDetail": {"message": $err}, "error": $err} | tojson) + "\n")}]')"
	run_fake
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	requests
	[ "$status" -eq 1 ]
	grep -q '^POST /v1.41/images/create?fromImage=busybox&tag=latest$' "$FAKE_DIR/requests.log"
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with 'pull busybox:latest: denied: forged\n2026-01-01T00:00:00.000Z info engine: fake line\x1b[2J\u009b' "$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

@test "hostile docker: a pull stream line above MAX_DOCKER_STREAM_LINE is reported as such" {
	write_def app '{"type": "docker", "name": "app", "image": "busybox:latest"}'
	routes '[{"path": "/containers/json", "json": []},
	    {"path": "/images/json", "json": []},
	    {"method": "POST", "path": "/images/create", "body_bytes": 1048577}]'
	run_fake
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"warn engine: pull busybox:latest: POST /images/create?fromImage=busybox&tag=latest: a line of the answer from $FAKE_REMOTE exceeds 1048576 bytes"* ]]
	[ "$(grep -c '^POST ' "$FAKE_DIR/requests.log")" -eq 1 ]
}

@test "hostile docker: raw bytes in an error body (8-bit C1, not UTF-8) are escaped" {
	# Not JSON: the first bytes of the body are the message.  ESC, an
	# 8-bit CSI (0x9b), a byte that is not UTF-8, a newline and a forged
	# line.
	routes "$(jq -n --arg b "$(printf 'oops \033[2J\233\377\n2026-01-01T00:00:00.000Z info engine: fake line' | base64 -w0)" \
	    '[{"path": "/containers/json", "status": 502, "base64": $b}]')"
	run_fake
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 1 ]
	no_forgery "$BATS_TEST_TMPDIR/out"
	[ "$(lines_with 'oops \x1b[2J\x9b\xff\n2026-01-01T00:00:00.000Z info engine: fake line (HTTP 502 from GET /containers/json?all=1)' "$BATS_TEST_TMPDIR/out")" -eq 1 ]
}
