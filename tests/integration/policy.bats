#!/usr/bin/env bats
# The trust policy of remote sources (issue #14): EC2 user-data from the
# rig's metadata emulator asks for root on the host in every way the issue
# lists; each definition is refused with the source, the field and the
# settings key that would allow it, the confdir's own container is not
# touched, the valid user-data definition still runs, --check lists the
# errors.  The same definitions from the confdir keep their full power.
# The engine enforces the policy itself against a hostile fetcher.

load helpers
load engine_helpers

HOOKS_BIN="${DOCKERUP_HOOKS:-$DOCKERUP_SRC/build-hooks/dockerup}"
TOOLS="${DOCKERUP_TOOLS:-$DOCKERUP_SRC/build/tests/tools}"

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

# ud_def NAME [FIELDS]: one user-data definition (JSON), quick to stop.
ud_def() {
	echo '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'", "command": '"$TRAP_CMD${2:-}"'}'
}

# The attacks of issue #14, in user-data order (containers[0..8]), then
# one valid definition (containers[9]).
hostile_userdata() {
	local sock=${DOCKER_HOST#unix://}
	printf '{"containers": [%s]}' "$(
		ud_def ud-priv ', "privileged": true'
		echo ,
		ud_def ud-caps ', "capAdd": ["ALL"]'
		echo ,
		ud_def ud-host ', "network": "host"'
		echo ,
		ud_def ud-root ', "volumes": [{"containerPath": "/host", "hostPath": "/"}]'
		echo ,
		ud_def ud-sock ', "volumes": [{"containerPath": "/s", "hostPath": "'"$sock"'"}]'
		echo ,
		ud_def ud-secc ', "securityOpt": ["seccomp=unconfined"]'
		echo ,
		ud_def ud-net ', "network": "container:app"'
		echo ,
		ud_def ud-vol ', "volumes": [{"from": "app"}]'
		echo ,
		ud_def ud-sig ', "signal": {"app": "KILL"}'
		echo ,
		ud_def ud-ok
	)"
}

# Every refusal, exactly as dockerup words it.
expected_errors() {
	local sock=${DOCKER_HOST#unix://} app=$TEST_CONFDIR/app.json
	cat <<-EOF
	user-data: containers[0].privileged: not allowed for user-data (trust policy: userdata_allow_privileged)
	user-data: containers[1].capAdd[0]: ALL is not allowed for user-data (trust policy: userdata_cap_add)
	user-data: containers[2].network: host is not allowed for user-data (trust policy: userdata_allow_host_network)
	user-data: containers[3].volumes[0].hostPath: / reaches the Docker or containerd socket or data (or /proc); never allowed for user-data, whatever the trust policy's userdata_host_paths lists
	user-data: containers[4].volumes[0].hostPath: $sock reaches the Docker or containerd socket or data (or /proc); never allowed for user-data, whatever the trust policy's userdata_host_paths lists
	user-data: containers[5].securityOpt: seccomp=unconfined is not allowed for user-data (trust policy: userdata_allow_unconfined)
	user-data: containers[6].network: "app" is a container of another source ($app); not allowed for user-data (trust policy: a remote source reaches only its own containers)
	user-data: containers[7].volumes[0].from: "app" is a container of another source ($app); not allowed for user-data (trust policy: a remote source reaches only its own containers)
	user-data: containers[8].signal.app: "app" is a container of another source ($app); not allowed for user-data (trust policy: a remote source reaches only its own containers)
	EOF
}

@test "policy: hostile user-data is refused field by field; app keeps running, the valid definition runs" {
	local_def app
	run_engine
	[ "$status" -eq 0 ]
	id=$(cid app)
	started=$(started_at app)
	imds_set_userdata "$(hostile_userdata)"
	ud
	[ "$status" -eq 2 ]
	while IFS= read -r line; do
		[[ "$output" == *"$line"* ]] || fail "missing: $line"
	done < <(expected_errors)
	# Nothing of the refused definitions exists; app is the same
	# container, still running; the valid one runs.
	for n in ud-priv ud-caps ud-host ud-root ud-sock ud-secc ud-net ud-vol ud-sig; do
		! exists "$n" || fail "$n was created"
	done
	[ "$(cid app)" = "$id" ]
	running app
	[ "$(started_at app)" = "$started" ]     # not killed, not restarted
	running ud-ok
	# A second run changes nothing either.
	ud
	[ "$status" -eq 2 ]
	[ "$(cid app)" = "$id" ]
	running app
	running ud-ok
}

@test "policy: --check lists every refusal, exit 2" {
	local_def app
	imds_set_userdata "$(hostile_userdata)"
	run_dockerup --check --aws --imds "$RIG_IMDS"
	echo "$output"
	[ "$status" -eq 2 ]
	while IFS= read -r line; do
		[[ "$output" == *"$line"* ]] || fail "missing: $line"
	done < <(expected_errors)
	[[ "$output" != *"configuration OK"* ]]
	[ -z "$(dk ps -aq)" ]
}

@test "policy: a running user-data container whose definition turns hostile is kept, not removed" {
	imds_set_userdata "{\"containers\": [$(ud_def ud-later), $(ud_def ud-ok)]}"
	ud
	[ "$status" -eq 0 ]
	id=$(cid ud-later)
	imds_set_userdata "{\"containers\": [$(ud_def ud-later ', "privileged": true'), $(ud_def ud-ok)]}"
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].privileged: not allowed for user-data (trust policy: userdata_allow_privileged)"* ]]
	# Neither replaced by a privileged one nor removed as an orphan.
	[ "$(cid ud-later)" = "$id" ]
	running ud-later
	[ "$(inspect ud-later .HostConfig.Privileged)" = false ]
	running ud-ok
}

@test "policy: a seccomp profile by path from user-data is refused before anything is read" {
	# A root-only file that is a valid profile: a read would succeed.
	printf '{"defaultAction": "SCMP_ACT_ALLOW"}' > "$BATS_TEST_TMPDIR/root-only.json"
	chmod 600 "$BATS_TEST_TMPDIR/root-only.json"
	imds_set_userdata "{\"containers\": [$(ud_def ud-prof ', "securityOpt": ["seccomp='"$BATS_TEST_TMPDIR/root-only.json"'"]'), $(ud_def ud-ok)]}"
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].securityOpt[0]: a seccomp profile by path is not allowed for user-data (trust policy: remote sources name no file)"* ]]
	[[ "$output" != *"cannot read"* ]]
	[[ "$output" != *"not a JSON object"* ]]
	! exists ud-prof || false
	running ud-ok                           # the rest of the document stands
}

@test "policy: the same definitions from the confdir keep their full power" {
	# The confdir may ask for anything.  privileged cannot start in this
	# sandbox (the rig's engine lacks CAP_SYS_RESOURCE), so what
	# dockerup asked for is read from HostConfig.
	local sock=${DOCKER_HOST#unix://}
	local_def app
	local_def cd-priv ', "privileged": true'
	local_def cd-caps ', "capAdd": ["ALL"]'
	local_def cd-host ', "network": "host"'
	local_def cd-sock ', "volumes": [{"containerPath": "/s", "hostPath": "'"$sock"'"}]'
	local_def cd-secc ', "securityOpt": ["seccomp=unconfined"]'
	local_def cd-net ', "network": "container:app"'
	local_def cd-sig ', "signal": {"app": "HUP"}'
	run_engine
	echo "$output"
	[[ "$output" != *"trust policy"* ]]
	[ "$(inspect cd-priv .HostConfig.Privileged)" = true ]
	[ "$(inspect cd-caps '.HostConfig.CapAdd | join(",")')" = ALL ]
	[ "$(inspect cd-host .HostConfig.NetworkMode)" = host ]
	[ "$(inspect cd-sock '.HostConfig.Binds[0]')" = "$sock:/s" ]
	[[ "$(inspect cd-secc '.HostConfig.SecurityOpt | join(",")')" == *"seccomp=unconfined"* ]]
	[[ "$(inspect cd-net .HostConfig.NetworkMode)" == container:* ]]
	# capAdd ALL cannot start here either (the engine cannot grant
	# capabilities it lacks): asked for, as above.
	running cd-host
	running cd-sock
	running cd-secc
	running cd-net
	running cd-sig
}

@test "policy: root opens the policy key by key in the settings file" {
	mkdir -p "$BATS_TEST_TMPDIR/data/sub"
	cat > "$TEST_CONFIG" <<-EOF
	userdata_cap_add=NET_ADMIN
	userdata_allow_host_network=true
	userdata_host_paths=$BATS_TEST_TMPDIR/data
	userdata_allow_unconfined=yes
	userdata_allow_privileged=true
	EOF
	imds_set_userdata "{\"containers\": [$(ud_def ud-caps ', "capAdd": ["NET_ADMIN"]'), $(ud_def ud-host ', "network": "host"'), $(ud_def ud-bind ', "volumes": [{"containerPath": "/d", "hostPath": "'"$BATS_TEST_TMPDIR/data/sub"'"}]'), $(ud_def ud-secc ', "securityOpt": ["seccomp=unconfined"]'), $(ud_def ud-priv ', "privileged": true')]}"
	ud
	[[ "$output" != *"trust policy"* ]]
	[ "$(inspect ud-caps '.HostConfig.CapAdd | join(",")')" = NET_ADMIN ]
	running ud-caps
	[ "$(inspect ud-host .HostConfig.NetworkMode)" = host ]
	running ud-host
	[ "$(inspect ud-bind '.HostConfig.Binds[0]')" = "$BATS_TEST_TMPDIR/data/sub:/d" ]
	running ud-bind
	running ud-secc
	[ "$(inspect ud-priv .HostConfig.Privileged)" = true ]
	# The socket stays out of reach whatever the list says; ALL is not
	# NET_ADMIN; a registry list and digests are enforced when set.
	cat > "$TEST_CONFIG" <<-EOF
	userdata_host_paths=/
	userdata_cap_add=NET_ADMIN
	userdata_registries=quay.io
	userdata_require_digest=true
	EOF
	cleanup_containers
	imds_set_userdata "{\"containers\": [$(ud_def ud-sock ', "volumes": [{"containerPath": "/s", "hostPath": "/var/run/docker.sock"}]'), $(ud_def ud-all ', "capAdd": ["ALL"]')]}"
	ud
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].volumes[0].hostPath: /var/run/docker.sock reaches the Docker or containerd socket or data (or /proc); never allowed for user-data"* ]]
	[[ "$output" == *"user-data: containers[1].capAdd[0]: ALL is not allowed for user-data (trust policy: userdata_cap_add)"* ]]
	[[ "$output" == *"user-data: containers[0].image: registry docker.io is not allowed for user-data (trust policy: userdata_registries)"* ]]
	[[ "$output" == *"user-data: containers[0].image: \"$RIG_IMAGE\" is not pinned by digest (IMAGE@sha256:...); required for user-data (trust policy: userdata_require_digest)"* ]]
	[ -z "$(dk ps -aq)" ]
}

@test "policy: a compromised user-data loader cannot pass user-data off as a confdir file" {
	local_def app
	imds_set_userdata "$(printf '{"containers": [%s]}' "$(ud_def ud-imp)")"
	# The hook build's loader labels every user-data definition and its
	# source as app.json, and makes the definition privileged.
	DOCKERUP_TEST_UD_IMPERSONATE=$TEST_CONFDIR/app.json run "$HOOKS_BIN" \
	    --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    --aws --imds "$RIG_IMDS" --no-pull -v
	echo "$output"
	[[ "$output" == *"test hook: user-data claims to come from $TEST_CONFDIR/app.json"* ]]
	[ "$status" -eq 2 ]
	[[ "$output" == *"user-data: containers[0].privileged: not allowed for user-data (trust policy: userdata_allow_privileged)"* ]]
	! exists ud-imp || fail "ud-imp was created"
	running app
	[ "$(inspect app .HostConfig.Privileged)" = false ]
}

@test "policy: the engine refuses what breaks the policy from a hostile fetcher, and creates nothing" {
	for c in policy-privileged policy-nosource policy-fakelocal policy-reach; do
		run "$TOOLS/hostile_engine" "$DOCKERUP" "$DOCKER_HOST" "$c" "$RIG_IMAGE"
		echo "$c: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"refused by the trust policy"* ]]
		[ -z "$(dk ps -aq)" ] || fail "$c: the engine created $(all_names)"
	done
	# The same privileged definition from a confdir file is applied: the
	# harness would have seen the attack's effect.
	run "$TOOLS/hostile_engine" "$DOCKERUP" "$DOCKER_HOST" local-privileged "$RIG_IMAGE"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(inspect hostile-priv .HostConfig.Privileged)" = true ]
}
