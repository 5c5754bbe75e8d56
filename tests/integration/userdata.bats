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

@test "userdata: an IMDSv1-only endpoint (token PUT 404) still works" {
	imds_mode v1only
	imds_set_userdata "$(app_def ud-v1)"
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

@test "userdata: a token request that times out names the hop limit" {
	imds_mode slow 3
	ud
	[ "$status" -eq 1 ]
	[[ "$output" == *"hop limit at 1; run it with host networking or raise the hop limit"* ]]
}

@test "userdata: the same name in confdir and user-data is an error naming both" {
	write_def local '{"type": "docker", "name": "ud-dup", "image": "'"$RIG_IMAGE"'"}'
	imds_set_userdata "$(app_def ud-dup)"
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].name: \"ud-dup\" is also declared in $TEST_CONFDIR/local.json"* ]]
	running ud-dup                          # the first place's definition
}
