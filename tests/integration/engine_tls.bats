#!/usr/bin/env bats
# A tcp:// endpoint with TLS, the docker CLI's way: DOCKER_TLS_VERIFY set,
# ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH.  The rig's engine is
# reached through a TLS front (engine_tls_proxy.py) that, like dockerd's
# --tlsverify listener, demands a client certificate from the CA.

load helpers
load engine_helpers

setup_file() {
	TLS_DIR=$(mktemp -d /tmp/eng-tls.XXXXXX)
	export TLS_DIR
	local d=$TLS_DIR
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rig-ca \
	    -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2> /dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout "$d/server-key.pem" -out "$d/server.csr" 2> /dev/null
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
	    > "$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
	    -extfile "$d/server.ext" -out "$d/server-cert.pem" 2> /dev/null
	mkdir "$d/client"
	openssl req -newkey rsa:2048 -nodes -subj /CN=dockerup \
	    -keyout "$d/client/key.pem" -out "$d/client.csr" 2> /dev/null
	printf 'extendedKeyUsage=clientAuth\n' > "$d/client.ext"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
	    -extfile "$d/client.ext" -out "$d/client/cert.pem" 2> /dev/null
	cp "$d/ca.pem" "$d/client/ca.pem"
	# bats waits for whatever holds its fd 3: the proxy must not.
	python3 "$BATS_TEST_DIRNAME/engine_tls_proxy.py" "$d" \
	    "${DOCKER_HOST#unix://}" > "$d/proxy.log" 2>&1 3>&- &
	echo $! > "$d/proxy.pid"
	for _ in $(seq 1 50); do
		[ -s "$d/port" ] && break
		sleep 0.1
	done
	[ -s "$d/port" ]
}

teardown_file() {
	[ -n "${TLS_DIR:-}" ] || return 0
	[ -s "$TLS_DIR/proxy.pid" ] && kill "$(cat "$TLS_DIR/proxy.pid")" 2> /dev/null
	rm -rf "$TLS_DIR"
}

setup() {
	setup_confdir
	cleanup_containers
	TLS_REMOTE=tcp://127.0.0.1:$(cat "$TLS_DIR/port")
}

teardown() {
	cleanup_containers
}

@test "tls: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH reach the engine, one connection" {
	local_def web
	before=$(cat "$TLS_DIR/handshakes" 2> /dev/null || echo 0)
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TLS_DIR/client \
	    run_dockerup --no-pull --remote "$TLS_REMOTE"
	[ "$status" -eq 0 ]
	running web
	[ "$(label web dockerup.id)" = web ]
	# Every call of the run went over one kept-alive connection.
	[ "$(cat "$TLS_DIR/handshakes")" -eq $((before + 1)) ]
}

@test "tls: an engine certificate from another CA is refused" {
	local_def web
	mkdir "$BATS_TEST_TMPDIR/other"
	cp "$TLS_DIR/client/cert.pem" "$TLS_DIR/client/key.pem" "$BATS_TEST_TMPDIR/other/"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	    -keyout /dev/null -out "$BATS_TEST_TMPDIR/other/ca.pem" 2> /dev/null
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$BATS_TEST_TMPDIR/other \
	    run_dockerup --no-pull --remote "$TLS_REMOTE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"certificate"* ]]
	[[ "$output" == *"nothing was changed"* ]]
	! exists web || false
}

@test "tls: missing certificate files are named" {
	local_def web
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$BATS_TEST_TMPDIR/none \
	    run_dockerup --no-pull --remote "$TLS_REMOTE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/none/ca.pem"* ]]
	# Reported at once, not after a crash loop of the engine.
	[[ "$output" != *"restarting engine"* ]]
	! exists web || false
}

@test "tls: without DOCKER_TLS_VERIFY a tcp endpoint is refused, or plain http when wanted" {
	local_def web
	run_dockerup --no-pull --remote "$TLS_REMOTE"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TLS_REMOTE has no TLS (DOCKER_TLS_VERIFY is not set)"* ]]
	! exists web || false
	# Wanted: plain http, which this TLS front does not speak.
	run_dockerup --no-pull --remote "$TLS_REMOTE" --allow-insecure-tcp
	[ "$status" -eq 1 ]
	! exists web || false
}
