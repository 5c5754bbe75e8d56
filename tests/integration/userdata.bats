#!/usr/bin/env bats
# EC2 user-data (issue #3) against the rig's metadata emulator: the IMDSv2
# flow, 401 without a token, 404, outages at first start and after a good
# fetch (last good contents, across a restart), non-JSON and gzip answers.

load helpers

setup() {
	setup_confdir
	cleanup_containers
	imds_reset
}

teardown() {
	stop_dockerup || true
	cleanup_containers
	imds_reset
}

ud() {
	run_dockerup --aws --imds "$RIG_IMDS" --no-pull "$@"
	echo "$output"
}

app_def() {
	echo '{"containers": [{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'"}]}'
}

running() {
	[ "$(inspect "$1" .State.Running 2>/dev/null)" = true ]
}

@test "userdata: IMDSv2: a token first, then user-data with it" {
	imds_set_userdata "$(app_def ud-app)"
	ud
	[ "$status" -eq 0 ]
	running ud-app
	[ "$(imds_stats token)" -ge 1 ]
	[ "$(imds_stats user_data)" -ge 1 ]
	[ "$(imds_stats unauthorized)" -eq 0 ]  # the GET carried the token
}

@test "userdata: the emulator answers 401 without a token; dockerup gets one" {
	imds_set_userdata "$(app_def ud-tok)"
	run curl -s -o /dev/null -w '%{http_code}' "$RIG_IMDS/latest/user-data"
	[ "$output" = 401 ]
	ud
	[ "$status" -eq 0 ]
	running ud-tok
	[ "$(imds_stats unauthorized)" -eq 1 ]   # only our curl above
}

@test "userdata: an IMDSv1-only endpoint (token PUT 404) is an error naming imds_v1; allowed with it" {
	imds_mode v1only
	imds_set_userdata "$(app_def ud-v1)"
	ud
	[ "$status" -eq 1 ]
	[[ "$output" == *"it offers IMDSv1 only; expected IMDSv2, or the setting imds_v1=true (--imds-v1) to allow IMDSv1"* ]]
	[ "$(imds_stats user_data)" -eq 0 ]     # no GET without a token
	run dk inspect ud-v1
	[ "$status" -ne 0 ]
	ud --imds-v1
	[ "$status" -eq 0 ]
	running ud-v1
	dk rm -f ud-v1 > /dev/null
	echo "imds_v1=true" > "$TEST_CONFIG"
	ud
	[ "$status" -eq 0 ]
	running ud-v1
}

@test "userdata: 404 means no user-data: an empty source, a real change" {
	imds_set_userdata "$(app_def ud-gone)"
	ud
	[ "$status" -eq 0 ]
	running ud-gone
	imds_set_userdata                       # 404 from now on
	ud
	[ "$status" -eq 0 ]
	run dk inspect ud-gone
	[ "$status" -ne 0 ]                     # removed: it is no longer declared
}

@test "userdata: outage at first start: nothing to run, nothing stopped" {
	dk run -d --name bystander "$RIG_IMAGE" > /dev/null
	write_def local '{"type": "docker", "name": "ud-local", "image": "'"$RIG_IMAGE"'"}'
	imds_mode refuse
	ud
	[ "$status" -eq 1 ]
	[[ "$output" == *"user-data"* ]]
	running ud-local                        # valid definitions still applied
	running bystander                       # no orphan removal in this run
}

@test "userdata: outage after a good fetch: last good contents, across a restart" {
	imds_set_userdata "$(app_def ud-keep)"
	ud
	[ "$status" -eq 0 ]
	running ud-keep
	id=$(inspect ud-keep .Id)
	imds_mode reset                         # a new process: a restart
	ud
	[ "$status" -eq 1 ]
	running ud-keep
	[ "$(inspect ud-keep .Id)" = "$id" ]    # not touched
	imds_mode refuse
	ud
	[ "$status" -eq 1 ]
	running ud-keep
	[ "$(inspect ud-keep .Id)" = "$id" ]
}

@test "userdata: an answer that is not JSON is reported and contributes nothing" {
	imds_set_userdata $'#!/bin/bash\necho "cloud-init script"\n'
	write_def local '{"type": "docker", "name": "ud-nj", "image": "'"$RIG_IMAGE"'"}'
	ud
	[ "$status" -eq 0 ]
	[[ "$output" == *"not JSON"* ]]
	[[ "$output" != *"cloud-init script"* ]]  # the body is never printed
	running ud-nj
}

@test "userdata: gzip-compressed user-data is accepted" {
	imds_set_userdata --gzip "$(app_def ud-gz)"
	ud
	[ "$status" -eq 0 ]
	running ud-gz
}

@test "userdata: invalid user-data keeps the last good contents, exit 2" {
	imds_set_userdata "$(app_def ud-bad)"
	ud
	[ "$status" -eq 0 ]
	id=$(inspect ud-bad .Id)
	imds_set_userdata '{"containers": [{"name": "ud-bad", "image": "'"$RIG_IMAGE"'", "env": {"K": "s3cr3t"}, "portMapping": []}]}'
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].portMapping: unknown key; did you mean portMappings?"* ]]
	[[ "$output" != *"s3cr3t"* ]]
	[ "$(inspect ud-bad .Id)" = "$id" ]
}

@test "userdata: a token request that times out recommends host networking, never a higher hop limit" {
	imds_mode slow 3
	ud
	[ "$status" -eq 1 ]
	[[ "$output" == *"which the instance metadata hop limit of 1 does not answer; expected dockerup on the host network: run its container with --network host"* ]]
	[[ "$output" != *"raise"* ]]
	[[ "$output" != *"hop-limit"* ]]
}

@test "userdata: the same name in confdir and user-data is an error naming both" {
	write_def local '{"type": "docker", "name": "ud-dup", "image": "'"$RIG_IMAGE"'"}'
	imds_set_userdata "$(app_def ud-dup)"
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].name: \"ud-dup\" is also declared in $TEST_CONFDIR/local.json"* ]]
	running ud-dup                          # the first place's definition
}

# user_data_reads_at_least N: the emulator served user-data N times.
user_data_reads_at_least() {
	[ "$(imds_stats user_data)" -ge "$1" ]
}

# set_userdata_bytes PRINTF_FORMAT: user-data from printf, NUL-free bytes.
set_userdata_bytes() {
	printf "$1" | curl -sSf --data-binary @- \
	    "$RIG_IMDS_CONTROL/_control/user-data" > /dev/null
}

@test "userdata: an HTML error page served with 200 after good contents keeps them, logged once, status stale" {
	imds_set_userdata "$(app_def ud-html)"
	LOG=$BATS_TEST_TMPDIR/dockerup.log
	start_dockerup "$LOG" --server --interval 1 --no-pull --aws --imds "$RIG_IMDS"
	wait_until 30 running ud-html || { cat "$LOG"; fail "not started"; }
	id=$(inspect ud-html .Id)
	imds_set_userdata '<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>'
	# Several runs (one a second at least) while it stays broken.
	wait_until 20 grep -q "not a definition document" "$LOG"
	n=$(imds_stats user_data)
	wait_until 30 user_data_reads_at_least $((n + 3))
	stop_dockerup
	cat "$LOG"
	[ "$(inspect ud-html .Id)" = "$id" ]    # still running, untouched
	running ud-html
	[ "$(grep -c "not a definition document" "$LOG")" -eq 1 ]
	grep -q "user-data: the answer is text that is not JSON ([0-9]* bytes), not a definition document, while the last good user-data declares 1 container; expected JSON" "$LOG"
	[ "$(grep -c "502 Bad Gateway" "$LOG")" -eq 0 ]  # never printed
	[ "$(grep -c "declares no container" "$LOG")" -eq 0 ]
	[ "$(jq -r '.sources[] | select(.name == "user-data") | .health' "$TEST_CACHE/status.json")" = using_last_good ]
	[[ "$(jq -r '.sources[] | select(.name == "user-data") | .error' "$TEST_CACHE/status.json")" == *"not a definition document"* ]]
}

@test "userdata: binary garbage after good contents keeps them, exit 2" {
	imds_set_userdata "$(app_def ud-garb)"
	ud
	[ "$status" -eq 0 ]
	id=$(inspect ud-garb .Id)
	set_userdata_bytes '\001\002\377\376garbage\200\201'
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a definition document, while the last good user-data declares 1 container"* ]]
	[ "$(inspect ud-garb .Id)" = "$id" ]
	# A restart changes nothing: root kept the last good contents.
	ud
	[ "$status" -eq 2 ]
	running ud-garb
	# Truncated JSON and the wrong shape are invalid too.
	imds_set_userdata '{"containers": [{"type": "docker", "name": "ud-garb"'
	ud
	[ "$status" -eq 2 ]
	imds_set_userdata '["not", "a", "definition"]'
	ud
	[ "$status" -eq 2 ]
	[ "$(inspect ud-garb .Id)" = "$id" ]
	# Only a valid document without containers (or a 404) removes it.
	imds_set_userdata '{"containers": []}'
	ud
	[ "$status" -eq 0 ]
	run dk inspect ud-garb
	[ "$status" -ne 0 ]
}

@test "userdata: a cloud-config document at first start means no containers, no error" {
	write_def local '{"type": "docker", "name": "ud-cc", "image": "'"$RIG_IMAGE"'"}'
	imds_set_userdata $'#cloud-config\npackages:\n  - htop\n'
	ud
	[ "$status" -eq 0 ]
	[[ "$output" == *"user-data is a cloud-config document"*"not JSON: it declares no container"* ]]
	running ud-cc
	ud                                      # and again: still no error
	[ "$status" -eq 0 ]
}
