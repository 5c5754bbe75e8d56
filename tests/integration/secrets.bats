#!/usr/bin/env bats
# Issue #7: secrets never appear in logs, at any verbosity, in either log
# format, in a run, a dry run or a check: env values, registry
# credentials (auth, password, identitytoken) and user-data bodies.  Each
# secret carries a marker; no marker may appear in stdout, stderr or
# status.json.

load helpers

setup() {
	setup_confdir
	cleanup_containers
	imds_reset
	MARK=SeCrEt7x$RANDOM$RANDOM
}

teardown() {
	cleanup_containers
	imds_reset
}

# no_marker TEXT: fails when TEXT holds a marker or a known secret.
no_marker() {
	local m
	for m in "$MARK" "${EXTRA_SECRETS[@]}"; do
		[ -n "$m" ] || continue
		if [[ "$1" == *"$m"* ]]; then
			printf '%s\n' "$1" | grep -n -F -- "$m" >&2 || true
			fail "secret \"$m\" in dockerup's output"
			return 1
		fi
	done
}

EXTRA_SECRETS=()

# every_way ARGS...: runs dockerup with ARGS at the highest verbosity, in
# text and JSON log formats, as a run, a dry run (text and JSON plan) and
# a check; no output may hold a secret.  The exit status of the last run
# is in $status.
every_way() {
	local fmt mode
	for fmt in text json; do
		for mode in --dry-run "--dry-run --format json" --check ""; do
			# shellcheck disable=SC2086
			run_dockerup -v -v --log-format "$fmt" $mode "$@"
			echo "== $fmt $mode: status $status"
			echo "$output"
			no_marker "$output"
		done
	done
	if [ -f "$TEST_CACHE/status.json" ]; then
		no_marker "$(cat "$TEST_CACHE/status.json")"
	fi
}

@test "secrets: env values of definitions" {
	write_def sec-env '{"type": "docker", "name": "sec-env", "image": "'"$RIG_IMAGE"'",
	    "env": {"PASSWORD": "'"$MARK"'-a", "TOKEN": "x'"$MARK"'", "N": 42}}'
	write_def sec-env2 '{"containers": [{"type": "docker", "name": "sec-env2",
	    "image": "'"$RIG_IMAGE"'", "env": {"KEY": "'"$MARK"'"}}]}'
	every_way --no-pull
	[ "$status" -eq 0 ]
	# The secret did reach the container: the marker is real.
	[[ "$(inspect sec-env .Config.Env)" == *"$MARK"* ]]
	# A changed secret: the plan names the field, never the value.
	write_def sec-env '{"type": "docker", "name": "sec-env", "image": "'"$RIG_IMAGE"'",
	    "env": {"PASSWORD": "'"$MARK"'-b", "TOKEN": "x'"$MARK"'", "N": 42}}'
	run_dockerup -v --no-pull --dry-run
	[[ "$output" == *"replace sec-env (definition changed: env)"* ]]
	no_marker "$output"
	every_way --no-pull
	[ "$status" -eq 0 ]
}

@test "secrets: an invalid field next to an env secret" {
	write_def sec-bad '{"type": "docker", "name": "sec-bad", "image": "'"$RIG_IMAGE"'",
	    "env": {"OK": "'"$MARK"'", "NESTED": {"deep": "'"$MARK"'"},
	            "LIST": ["'"$MARK"'"], "NULL": null},
	    "memory": "lots", "portMapings": [], "restart": 7}'
	write_def sec-bad2 '{"type": "docker", "name": "sec-bad2", "image": "'"$RIG_IMAGE"'",
	    "env": {"S": "'"$MARK"'"}, "cpu": "many"}'
	# JSON that does not parse, with the secret right at the error.
	printf '{"type": "docker", "name": "sec-bad3", "env": {"S": "%s" "T": "%s"}}\n' \
	    "$MARK" "$MARK" > "$TEST_CONFDIR/sec-bad3.json"
	printf '{"type": "docker", "name": "sec-bad4", "env": {"S": "%s\n' \
	    "$MARK" > "$TEST_CONFDIR/sec-bad4.json"
	every_way --no-pull
	[ "$status" -eq 2 ]
	[[ "$output" == *"env.NESTED"* ]]      # the problems are reported...
	[[ "$output" == *"sec-bad3.json"* ]]   # ...without the values
}

@test "secrets: registry credentials (auth, password, identitytoken)" {
	local repo=$RIG_AUTH_REGISTRY/busy:1 b64 good_b64
	dk rmi "$repo" > /dev/null 2>&1 || true
	write_def sec-priv '{"type": "docker", "name": "sec-priv", "image": "'"$repo"'"}'
	mkdir -p "$BATS_TEST_TMPDIR/dcfg"
	# A wrong password carrying the marker: the pull fails, quietly.
	b64=$(printf '%s:%s' "$RIG_AUTH_USER" "$MARK" | base64 -w0)
	EXTRA_SECRETS=("$b64")
	printf '{"auths": {"%s": {"auth": "%s"}, "other.example:5000": {"username": "u", "password": "%s"}, "third.example": {"identitytoken": "%s"}}}\n' \
	    "$RIG_AUTH_REGISTRY" "$b64" "$MARK" "$MARK" > "$BATS_TEST_TMPDIR/dcfg/config.json"
	chmod 600 "$BATS_TEST_TMPDIR/dcfg/config.json"
	every_way --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	[ "$status" -eq 1 ]
	# username/password form, wrong password.
	printf '{"auths": {"http://%s/v2/": {"username": "%s", "password": "%s"}}}\n' \
	    "$RIG_AUTH_REGISTRY" "$RIG_AUTH_USER" "$MARK" > "$BATS_TEST_TMPDIR/dcfg/config.json"
	every_way --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	[ "$status" -eq 1 ]
	# A file that is not valid: its bytes are not repeated either.
	printf '{"auths": {"%s": {"auth": "%s!!"}} %s\n' "$RIG_AUTH_REGISTRY" \
	    "$MARK" "$MARK" > "$BATS_TEST_TMPDIR/dcfg/config.json"
	every_way --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	# The right password: the pull works, and it is not logged either.
	good_b64=$(printf '%s:%s' "$RIG_AUTH_USER" "$RIG_AUTH_PASS" | base64 -w0)
	EXTRA_SECRETS=("$RIG_AUTH_PASS" "$good_b64")
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$RIG_AUTH_REGISTRY" \
	    "$good_b64" > "$BATS_TEST_TMPDIR/dcfg/config.json"
	every_way --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	[ "$status" -eq 0 ]
	[ "$(inspect sec-priv .State.Running)" = true ]
}

@test "secrets: user-data bodies (JSON with env, invalid JSON, a script)" {
	imds_set_userdata '{"containers": [{"type": "docker", "name": "sec-ud", "image": "'"$RIG_IMAGE"'", "env": {"DB_PASSWORD": "'"$MARK"'"}}]}'
	every_way --aws --imds "$RIG_IMDS" --no-pull
	[ "$status" -eq 0 ]
	[[ "$(inspect sec-ud .Config.Env)" == *"$MARK"* ]]
	# Invalid JSON with the secret in it.
	imds_set_userdata '{"containers": [{"type": "docker", "name": "sec-ud", "env": {"P": "'"$MARK"'" "Q": 1}}'
	every_way --aws --imds "$RIG_IMDS" --no-pull
	[ "$status" -eq 2 ]
	# Valid JSON, invalid definition, secret beside the error.
	imds_set_userdata '{"containers": [{"type": "docker", "name": "sec-ud", "image": "'"$RIG_IMAGE"'", "env": {"P": ["'"$MARK"'"], "Q": "'"$MARK"'"}, "memory": "lots"}]}'
	every_way --aws --imds "$RIG_IMDS" --no-pull
	[ "$status" -eq 2 ]
	# Not JSON at all (a cloud-init script), gzip-compressed too.
	imds_set_userdata $'#!/bin/sh\nexport API_KEY='"$MARK"$'\n'
	every_way --aws --imds "$RIG_IMDS" --no-pull
	imds_set_userdata --gzip $'#!/bin/sh\nexport API_KEY='"$MARK"$'\n'
	every_way --aws --imds "$RIG_IMDS" --no-pull
}
