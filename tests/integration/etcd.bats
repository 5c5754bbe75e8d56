#!/usr/bin/env bats
# Fleet definitions from etcd (issue #17, first part) against the rig's
# etcd: PREFIX/GROUP/containers/NAME keys are a source beside the confdir,
# watched (a put reaches a server within about a second), limited by the
# trust policy of remote sources, with last good contents when etcd is
# gone.  Each test uses a group of its own, so that keys never mix.

load helpers
load fleet_helpers

setup() {
	setup_confdir
	cleanup_containers
	GROUP=t$BATS_TEST_NUMBER-$$
	DIR=/dockerup/$GROUP/containers
	LOG=$BATS_TEST_TMPDIR/dockerup.log
	printf 'etcd = %s\nfleet_group = %s\n' "$RIG_ETCD" "$GROUP" \
	    > "$TEST_CONFIG"
}

teardown() {
	etcd_resume
	tls_etcd_stop
	stop_dockerup || true
	cleanup_containers
	etcd_del_prefix "$DIR/" || true
}

# eput NAME VALUE, edel NAME: the key NAME of this test's group.
eput() { etcd_put "$DIR/$1" "$2"; }
edel() { etcd_del "$DIR/$1"; }

# A container that stops at once on SIGTERM.
app_def() {
	echo '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'", "command": ["sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]'"${2:-}"'}'
}

# source_health NAME: its health in status.json.
source_health() {
	jq -r --arg k "$1" '.sources[] | select(.name == $k) | .health' \
	    "$TEST_CACHE/status.json" 2> /dev/null
}
health_is() { [ "$(source_health "$1")" = "$2" ]; }


running() { [ "$(inspect "$1" .State.Running 2>/dev/null)" = true ]; }
gone() { ! dk inspect "$1" > /dev/null 2>&1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
fetcher_pid() {
	local pid
	for pid in $(pgrep -P "$DOCKERUP_PID"); do
		tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-R fetcher" &&
		    { echo "$pid"; return 0; }
	done
	return 1
}

server() {
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v "$@"
}

@test "etcd: a put reaches a running server within 2 s, a delete removes it, measured" {
	server
	wait_until 20 grep -q "engine: 0 created" "$LOG" || { cat "$LOG"; false; }
	t0=$(now)
	eput web "$(app_def etcd-web)"
	wait_until 5 running etcd-web || { cat "$LOG"; false; }
	put=$(elapsed "$t0")
	t0=$(now)
	edel web
	wait_until 10 gone etcd-web || { cat "$LOG"; false; }
	del=$(elapsed "$t0")
	echo "# etcd put -> running: ${put}s; delete -> removed: ${del}s (its process exits on SIGTERM)" >&3
	awk -v p="$put" 'BEGIN { exit !(p < 2) }'
	awk -v d="$del" 'BEGIN { exit !(d < 4) }'
	# One document may hold several definitions, labelled by its key.
	eput pair '{"containers": ['"$(app_def etcd-a)"', '"$(app_def etcd-b)"']}'
	wait_until 5 running etcd-b
	running etcd-a
	wait_until 5 health_is "etcd:$DIR/pair" ok
}

@test "etcd: an invalid value is refused naming the key; the others run, nothing stops" {
	eput good "$(app_def etcd-good)"
	eput other "$(app_def etcd-other)"
	server
	wait_until 20 running etcd-other || { cat "$LOG"; false; }
	id=$(inspect etcd-other .Id)
	eput other '{"name": "etcd-other", "image": 5'
	eput junk '<html><body>502 Bad Gateway</body></html>'
	eput good2 "$(app_def etcd-good2)"
	wait_until 5 running etcd-good2 || { cat "$LOG"; false; }
	grep -q "etcd:$DIR/junk: invalid JSON" "$LOG"
	grep -q "etcd:$DIR/other: " "$LOG"
	# etcd-other keeps its last good contents: the same container.
	[ "$(inspect etcd-other .Id)" = "$id" ]
	running etcd-good
	wait_until 5 health_is "etcd:$DIR/other" using_last_good
	run_dockerup --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"etcd:$DIR/junk: invalid JSON"* ]]
}

@test "etcd: a privileged definition is refused by the trust policy of remote sources" {
	eput root "$(app_def etcd-root ', "privileged": true')"
	eput hostnet "$(app_def etcd-hostnet ', "network": "host"')"
	eput plain "$(app_def etcd-plain)"
	run_dockerup --no-pull
	[ "$status" -eq 2 ]
	[[ "$output" == *"etcd:$DIR/root: privileged: not allowed for etcd:$DIR/root (trust policy: userdata_allow_privileged)"* ]]
	[[ "$output" == *"etcd:$DIR/hostnet: network: "*"userdata_allow_host_network"* ]]
	running etcd-plain
	gone etcd-root
	gone etcd-hostnet
	# The root-owned settings file may open it, as for user-data.
	echo "userdata_allow_privileged = true" >> "$TEST_CONFIG"
	run_dockerup --no-pull
	[ "$(inspect etcd-root .HostConfig.Privileged)" = true ]
}

@test "etcd: stopped, nothing stops and the source is unreachable; a restart keeps the last good contents; it comes back" {
	eput svc "$(app_def etcd-svc)"
	server
	wait_until 20 running etcd-svc || { cat "$LOG"; false; }
	id=$(inspect etcd-svc .Id)
	etcd_pause
	wait_until 10 grep -q "etcd:$DIR/: $RIG_ETCD/v3/kv/range: Timeout" "$LOG" ||
	    { cat "$LOG"; false; }
	wait_until 5 grep -q "engine: 0 created, 0 replaced, 0 started, 0 removed, 1 unchanged" "$LOG"
	wait_until 5 health_is "etcd:$DIR/" unreachable
	health_is "etcd:$DIR/svc" using_last_good
	# A new dockerup while etcd is away: root's last good copy stands in.
	stop_dockerup
	: > "$LOG"
	server
	wait_until 20 grep -q "etcd:$DIR/svc: using the last good contents" "$LOG" ||
	    { cat "$LOG"; false; }
	wait_until 10 grep -q "1 unchanged" "$LOG" || { cat "$LOG"; false; }
	[ "$(inspect etcd-svc .Id)" = "$id" ]
	run_dockerup --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"etcd:$DIR/: $RIG_ETCD/v3/kv/range: Timeout was reached"* ]]
	# Back: the watch sees it, and a put is applied again.
	etcd_resume
	eput svc2 "$(app_def etcd-svc2)"
	wait_until 8 running etcd-svc2 || { cat "$LOG"; false; }
	[ "$(inspect etcd-svc .Id)" = "$id" ]
	wait_until 5 health_is "etcd:$DIR/" ok
}

@test "etcd: --check names an endpoint that is not etcd, a closed port, and a value over the size limit" {
	# The metadata emulator answers, but not as etcd's gateway.
	run_dockerup --check --etcd "$RIG_IMDS"
	[ "$status" -eq 2 ]
	[[ "$output" == *"etcd:$DIR/: $RIG_IMDS/v3/kv/range: HTTP "*"; expected 200 (etcd's v3 gateway)"* ]]
	run_dockerup --check --etcd http://127.0.0.1:9
	[ "$status" -eq 1 ]
	[[ "$output" == *"etcd:$DIR/: http://127.0.0.1:9/v3/kv/range: "* ]]
	# The second endpoint answers when the first does not.
	eput small "$(app_def etcd-small)"
	run_dockerup --check --etcd "http://127.0.0.1:9,$RIG_ETCD"
	[ "$status" -eq 0 ]
	[[ "$output" == *"configuration OK: 1 definitions"* ]]
	# One value over MAX_DOCUMENT_SIZE (256 KiB): refused by name.
	big=$(head -c 300000 /dev/zero | tr '\0' ' ')
	eput big "{\"name\": \"etcd-big\", \"image\": \"$RIG_IMAGE\"}$big"
	run_dockerup --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"etcd:$DIR/big: the value is larger than 262144 bytes"* ]]
	# A bad endpoint setting is refused before anything starts.
	run_dockerup --check --etcd ftp://127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"http://HOST[:PORT] or https://HOST[:PORT]"* ]]
}

@test "etcd: unset, the fetcher has no loader process and opens no socket" {
	: > "$TEST_CONFIG"
	server
	wait_until 20 grep -q "engine: 0 created" "$LOG" || { cat "$LOG"; false; }
	fpid=$(fetcher_pid)
	[ -z "$(pgrep -P "$fpid")" ]
	[ -z "$(ss -Htanp | grep "pid=$fpid,")" ]
	stop_dockerup
	# Set: one loader, the fetcher's child.
	printf 'etcd = %s\nfleet_group = %s\n' "$RIG_ETCD" "$GROUP" > "$TEST_CONFIG"
	: > "$LOG"
	server
	wait_until 20 grep -q "engine: 0 created" "$LOG" || { cat "$LOG"; false; }
	fpid=$(fetcher_pid)
	[ "$(pgrep -P "$fpid" | wc -l)" -eq 1 ]
}

@test "etcd: a loader that names a confdir file as the source is taken for compromised; nothing is created" {
	local hooks=${DOCKERUP_HOOKS:-$DOCKERUP_SRC/build-hooks/dockerup}
	eput imp "$(app_def etcd-imp)"
	DOCKERUP_TEST_UD_IMPERSONATE=$TEST_CONFDIR/app.json run timeout 60 \
	    "$hooks" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --no-pull
	echo "$output"
	[[ "$output" == *"test hook: user-data claims to come from $TEST_CONFDIR/app.json"* ]]
	[[ "$output" == *"etcd loader: a source that is not ours"* ]]
	[ "$status" -ne 0 ]
	gone etcd-imp
}

# --- an etcd of this test's own, with TLS (and authentication) ------------

free_port() {
	local port
	while :; do
		port=$((10000 + RANDOM % 22000))
		[ -z "$(ss -Hltn "sport = :$port")" ] && break
	done
	echo "$port"
}

# A CA, a server certificate for 127.0.0.1 and a client certificate, in a
# directory the fetcher's account can read (its key: group-readable).
make_certs() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
	    -out "$d/ca.crt" -subj /CN=test-ca -days 2 2> /dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/srv.key" \
	    -out "$d/srv.csr" -subj /CN=127.0.0.1 2> /dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
	    -CAcreateserial -out "$d/srv.crt" -days 2 -extfile "$d/ext" 2> /dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/cli.key" \
	    -out "$d/cli.csr" -subj /CN=dockerup 2> /dev/null
	openssl x509 -req -in "$d/cli.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
	    -CAcreateserial -out "$d/cli.crt" -days 2 2> /dev/null
	chmod 644 "$d/ca.crt" "$d/cli.crt"
	chgrp dockerup-fetch "$d/cli.key"
	chmod 640 "$d/cli.key"
}

# tls_etcd_start EXTRA_FLAGS...: etcd on https://127.0.0.1:TLS_PORT.
tls_etcd_start() {
	local i
	setsid /usr/bin/etcd --name t --data-dir "$TLS_DIR/data" \
	    --listen-client-urls "https://127.0.0.1:$TLS_PORT" \
	    --advertise-client-urls "https://127.0.0.1:$TLS_PORT" \
	    --listen-peer-urls "http://127.0.0.1:$TLS_PEER" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$TLS_PEER" \
	    --initial-cluster "t=http://127.0.0.1:$TLS_PEER" \
	    --cert-file "$TLS_DIR/srv.crt" --key-file "$TLS_DIR/srv.key" "$@" \
	    > "$TLS_DIR/etcd.log" 2>&1 < /dev/null 3>&- &
	TLS_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q "ready to serve client requests" "$TLS_DIR/etcd.log" &&
		    return 0
		sleep 0.1
	done
	cat "$TLS_DIR/etcd.log"
	false
}

tls_etcd_stop() {
	[ -n "${TLS_PID:-}" ] || return 0
	kill "$TLS_PID" 2> /dev/null || true
	wait "$TLS_PID" 2> /dev/null || true
	TLS_PID=
	[ -n "${TLS_DIR:-}" ] && rm -rf "$TLS_DIR"
}

# tls_curl PATH JSON [ARGS...]: a call of the private etcd's gateway.
tls_curl() {
	local path=$1 body=$2
	shift 2
	curl -sS --max-time 5 --cacert "$TLS_DIR/ca.crt" "$@" -X POST \
	    -d "$body" "https://127.0.0.1:$TLS_PORT$path"
}

@test "etcd: https with a client certificate, then etcd's authentication with a password file" {
	TLS_DIR=$(mktemp -d /tmp/dockerup-etcdtls.XXXXXX)
	chmod 711 "$TLS_DIR"
	TLS_PORT=$(free_port)
	TLS_PEER=$(free_port)
	make_certs "$TLS_DIR"
	tls_etcd_start --client-cert-auth --trusted-ca-file "$TLS_DIR/ca.crt"
	local cert=(--cert "$TLS_DIR/cli.crt" --key "$TLS_DIR/cli.key")
	tls_curl /v3/kv/put "{\"key\":\"$(b64 "$DIR/tls")\",\"value\":\"$(b64 "$(app_def etcd-tls)")\"}" "${cert[@]}"
	printf 'etcd = https://127.0.0.1:%s\nfleet_group = %s\netcd_cacert = %s\n' \
	    "$TLS_PORT" "$GROUP" "$TLS_DIR/ca.crt" > "$TEST_CONFIG"
	# Without the client certificate etcd refuses the connection.
	run_dockerup --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"etcd:$DIR/: https://127.0.0.1:$TLS_PORT/v3/kv/range: "* ]]
	printf 'etcd_cert = %s\netcd_key = %s\n' "$TLS_DIR/cli.crt" \
	    "$TLS_DIR/cli.key" >> "$TEST_CONFIG"
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	running etcd-tls
	# etcd 3.4's gateway ignores a client certificate's name once
	# authentication is on (it refuses such requests): a user instead.
	tls_curl /v3/auth/user/add '{"name":"root","password":"s3cret"}' "${cert[@]}"
	tls_curl /v3/auth/role/add '{"name":"root"}' "${cert[@]}"
	tls_curl /v3/auth/user/grant '{"user":"root","role":"root"}' "${cert[@]}"
	tls_curl /v3/auth/enable '{}' "${cert[@]}"
	tls_etcd_stop_keep() { kill "$TLS_PID"; wait "$TLS_PID" || true; }
	tls_etcd_stop_keep
	tls_etcd_start
	# Ready once it answers a log-in (a wrong one: 400).
	wait_until 10 eval '[ "$(tls_curl /v3/auth/authenticate "{\"name\":\"x\",\"password\":\"y\"}" -o /dev/null -w "%{http_code}")" = 400 ]'
	printf 'wrong\n' > "$TLS_DIR/pw"
	chgrp dockerup-fetch "$TLS_DIR/pw"
	chmod 640 "$TLS_DIR/pw"
	printf 'etcd = https://127.0.0.1:%s\nfleet_group = %s\netcd_cacert = %s\netcd_user = root\netcd_password_file = %s\n' \
	    "$TLS_PORT" "$GROUP" "$TLS_DIR/ca.crt" "$TLS_DIR/pw" > "$TEST_CONFIG"
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"/v3/auth/authenticate: HTTP 400; expected the token of etcd_user root"* ]]
	printf 's3cret\n' > "$TLS_DIR/pw"
	run_dockerup --check
	[ "$status" -eq 0 ]
	[[ "$output" == *"configuration OK: 1 definitions"* ]]
	# A server keeps its token between polls; an etcd restart forgets
	# every token (etcd 3.4's gateway then leaves a request unanswered):
	# the loader logs in again and the next put still arrives.
	server
	wait_until 20 running etcd-tls || { cat "$LOG"; false; }
	tls_etcd_stop_keep
	tls_etcd_start
	wait_until 10 eval '[ "$(tls_curl /v3/auth/authenticate "{\"name\":\"x\",\"password\":\"y\"}" -o /dev/null -w "%{http_code}")" = 400 ]'
	tok=$(tls_curl /v3/auth/authenticate '{"name":"root","password":"s3cret"}' | jq -r .token)
	tls_curl /v3/kv/put "{\"key\":\"$(b64 "$DIR/tls2")\",\"value\":\"$(b64 "$(app_def etcd-tls2)")\"}" -H "Authorization: $tok"
	wait_until 15 running etcd-tls2 || { cat "$LOG"; false; }
	running etcd-tls
	stop_dockerup
	# No password in the output, the log or the cache.
	[[ "$output" != *s3cret* ]]
	! grep -qs s3cret "$LOG"
	! grep -rqs s3cret "$TEST_CACHE"
}
