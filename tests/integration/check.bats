#!/usr/bin/env bats
# dockerup --check (issue #3): loads and validates every source, prints
# every problem (where, field, what is expected), changes nothing, and
# exits 0 when all is good, 2 on an invalid source or a usage error.

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

# No container exists on the rig's engine.
engine_untouched() {
	[ -z "$(dk ps -aq)" ] || { dk ps -a >&2; fail "--check created containers"; }
}

@test "check: the original's sample files load unchanged" {
	cp "$ORIGINAL_DATA/containers.d/registry.json" \
	    "$ORIGINAL_DATA/containers.d/dockerup.json" "$TEST_CONFDIR/"
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 0 ]
	engine_untouched
}

@test "check: the original's settings files load unchanged" {
	cp "$ORIGINAL_DATA/dockerup.conf" "$TEST_CONFIG"
	run_dockerup --check --config "$TEST_CONFIG" --confdir "$TEST_CONFDIR"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "check: every problem of every file is printed, exit 2" {
	write_def a '{"type": "docker", "image": "'"$RIG_IMAGE"'", "portMapping": []}'
	write_def b '{"type": "docker", "name": "b"}'
	write_def c '{"containers": [{"image": "x"}, {"image": "y", "portMappings": [{"containerPort": 80, "hostPort": 99999}]}]}'
	write_def d '{"name": "d", "image": "i", "memory": "lots", "restart": "sometimes",}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TEST_CONFDIR/a.json: portMapping: unknown key; did you mean portMappings?"* ]]
	[[ "$output" == *"$TEST_CONFDIR/b.json: image: is missing"* ]]
	[[ "$output" == *"$TEST_CONFDIR/c.json: containers[1].portMappings[0].hostPort:"*"expected a port number from 1 to 65535"* ]]
	[[ "$output" == *"$TEST_CONFDIR/d.json: invalid JSON at line 1"* ]]
	engine_untouched
}

@test "check: several problems in one definition are all printed" {
	write_def d '{"name": "-d", "image": "Bad", "memory": "lots", "restart": "sometimes", "cpu": 1.5}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"d.json: name:"*"not a valid container name"* ]]
	[[ "$output" == *"d.json: image:"*"not a valid image reference"* ]]
	[[ "$output" == *"d.json: memory:"*"expected bytes or a number with b, k, m or g"* ]]
	[[ "$output" == *"d.json: restart:"*"expected always, on-failure or never"* ]]
	[[ "$output" == *"d.json: cpu:"*"expected CPU shares"* ]]
}

@test "check: a valid configuration exits 0 and creates nothing" {
	write_def web '{"type": "docker", "name": "web", "image": "'"$RIG_IMAGE"'", "links": {"db": "db"}}'
	write_def db '{"type": "docker", "name": "db", "image": "'"$RIG_IMAGE"'"}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 0 ]
	engine_untouched
}

@test "check: a cycle is named in full, a duplicate names both files" {
	write_def a '{"name": "aa", "image": "i", "links": {"bb": "bb"}}'
	write_def b '{"name": "bb", "image": "i", "volumes": [{"from": "aa"}]}'
	write_def c '{"name": "dup", "image": "i"}'
	write_def d '{"containers": [{"name": "dup", "image": "j"}]}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"dependency cycle aa -> bb -> aa"* ]]
	[[ "$output" == *"$TEST_CONFDIR/d.json: containers[0].name: \"dup\" is also declared in $TEST_CONFDIR/c.json"* ]]
}

@test "check: env values never appear in errors" {
	write_def s '{"name": "sv", "image": "i", "env": {"PASSWORD": "hunter2-secret", "BAD": null}, "bogus": 1}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"env.BAD: is null"* ]]
	[[ "$output" != *"hunter2-secret"* ]]
}

@test "check: comments and the shell-like command form are accepted" {
	write_def c '{
	  // a line comment
	  "name": "cc", "image": "'"$RIG_IMAGE"'", /* a block comment */
	  "command": "sh -c '"'"'echo \"a b\"'"'"'"
	}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "check: hidden files, editor leftovers and other names are ignored" {
	write_def ok '{"name": "ok", "image": "i"}'
	echo 'garbage' > "$TEST_CONFDIR/.hidden.json"
	echo 'garbage' > "$TEST_CONFDIR/ok.json~"
	echo 'garbage' > "$TEST_CONFDIR/ok.json.swp"
	echo 'garbage' > "$TEST_CONFDIR/README"
	mkdir "$TEST_CONFDIR/dir.json"
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "check: a bad settings file is reported with FILE:LINE, exit 2" {
	printf 'confdir=%s\n; comment\ninterval=often\nconfdr=/x\n' \
	    "$TEST_CONFDIR" > "$TEST_CONFIG"
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TEST_CONFIG:3: interval: \"often\" is not valid; expected a whole number"* ]]
	[[ "$output" == *"$TEST_CONFIG:4: confdr: unknown key; did you mean confdir?"* ]]
}

@test "check: a named settings file that is missing is an error" {
	run_dockerup --check --config "$BATS_TEST_TMPDIR/nonexistent.conf"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nonexistent.conf: cannot read"* ]]
}

@test "check: usage errors exit 2; --help and --version exit 0" {
	run "$DOCKERUP" --no-such-option
	[ "$status" -eq 2 ]
	[[ "$output" == *"--no-such-option"*"unknown option"* ]]
	run "$DOCKERUP" --interval 0 --check
	[ "$status" -eq 2 ]
	[[ "$output" == *"--interval"*"from 1 to 86400"* ]]
	run "$DOCKERUP" --version
	[ "$status" -eq 0 ]
	[ "$output" = "dockerup 0.1.0" ]
	run "$DOCKERUP" --help
	[ "$status" -eq 0 ]
	for opt in --config --cache --confdir --remote --aws --no-aws --imds \
	    --pull --no-pull --server --interval --user --dry-run --check \
	    --verbose --help --version --registry-auth --orphans \
	    --ready-timeout --lock-wait --seccomp --self-id; do
		[[ "$output" == *"$opt"* ]] || fail "--help lacks $opt"
	done
}

@test "check: user-data problems are printed with user-data as the place" {
	imds_set_userdata '{"containers": [{"name": "ud", "image": "i", "portMapping": []}]}'
	run_dockerup --check --aws --imds "$RIG_IMDS"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].portMapping: unknown key; did you mean portMappings?"* ]]
}

@test "check: two definitions publishing one host port are refused, naming both" {
	write_def web '{"type": "docker", "name": "web", "image": "'"$RIG_IMAGE"'", "portMappings": [{"containerPort": 80, "hostPort": 8080}]}'
	write_def zapi '{"type": "docker", "name": "api", "image": "'"$RIG_IMAGE"'", "portMappings": [{"containerPort": 9000, "hostPort": "8080"}]}'
	run_dockerup --check
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TEST_CONFDIR/zapi.json: portMappings[0].hostPort: 8080/tcp is also published by web ($TEST_CONFDIR/web.json); expected each host port in one definition"* ]]
	engine_untouched
}
