#!/usr/bin/env bats
# Images: pulls of missing images, updates found in the registry, the
# update.pull switch, pull errors, registry credentials, and cleanup of
# dangling images.  Every test pushes to its own repository.

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
	REPO=$RIG_REGISTRY/eng-img-$BATS_TEST_NUMBER-$$
}

teardown() {
	cleanup_containers
}

@test "images: a missing image is pulled, even with update.pull false" {
	push_version "$REPO:1" 1
	! dk image inspect "$REPO:1" > /dev/null 2>&1 || false
	reg_def web "$REPO:1" ', "update": {"pull": false}'
	run_dockerup
	[ "$status" -eq 0 ]
	[[ "$output" == *"pull $REPO:1 (not present locally)"* ]]
	[ "$(version_in web)" = 1 ]
}

@test "images: a new image under the same tag upgrades the container" {
	push_version "$REPO:1" 1
	reg_def web "$REPO:1"
	run_dockerup
	[ "$status" -eq 0 ]
	old_image=$(inspect web .Image)
	old=$(cid web)
	push_version "$REPO:1" 2
	run_dockerup
	[ "$status" -eq 0 ]
	[[ "$output" == *"pull $REPO:1 (the registry has sha256:"* ]]
	[[ "$output" == *"replace web (image $REPO:1 updated ${old_image:0:19}.. -> sha256:"* ]]
	[ "$(version_in web)" = 2 ]
	[ "$(cid web)" != "$old" ]
	# The old image was left dangling by the upgrade and is pruned.
	! dk image inspect "$old_image" > /dev/null 2>&1 || false
	# And the next run finds nothing to do, asking the registry once.
	off=$(dockerd_log_size)
	run_dockerup
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 replaced"*"1 unchanged"* ]]
	[ "$(api_calls_since "$off")" -eq 4 ]
}

@test "images: update.pull false, or --no-pull, keeps the running image" {
	push_version "$REPO:1" 1
	reg_def web "$REPO:1" ', "update": {"pull": false}'
	reg_def api "$REPO:1"
	run_dockerup
	[ "$status" -eq 0 ]
	web=$(cid web)
	api=$(cid api)
	push_version "$REPO:1" 2
	run_dockerup --no-pull
	[ "$status" -eq 0 ]
	[ "$(cid web) $(cid api)" = "$web $api" ]
	[ "$(version_in api)" = 1 ]
	# With pulling on, the definition that allows it pulls.  The other one
	# names the same tag: once the tag moved locally its image changed
	# too, so it follows, from the local image.
	run_dockerup
	[ "$status" -eq 0 ]
	[ "$(version_in api)" = 2 ]
	[ "$(version_in web)" = 2 ]
}

@test "images: update.pull false alone never asks the registry" {
	push_version "$REPO:1" 1
	reg_def web "$REPO:1" ', "update": {"pull": false}'
	run_dockerup
	[ "$status" -eq 0 ]
	push_version "$REPO:1" 2
	off=$(dockerd_log_size)
	run_dockerup
	[ "$status" -eq 0 ]
	tail -c +"$((off + 1))" "$RIG_DIR/dockerd.log" > "$BATS_TEST_TMPDIR/calls"
	! grep -q '/distribution/' "$BATS_TEST_TMPDIR/calls" || false
	[ "$(version_in web)" = 1 ]
}

@test "images: a failed pull names the image and leaves the container alone" {
	push_version "$REPO:1" 1
	reg_def web "$REPO:1"
	# The local image has no registry here: never ask for it.
	local_def other ', "update": {"pull": false}'
	run_dockerup
	[ "$status" -eq 0 ]
	id=$(cid web)
	reg_def web "$REPO:does-not-exist"
	local_def other ', "update": {"pull": false}, "env": {"CHANGED": "1"}'
	run_dockerup
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull $REPO:does-not-exist"*"manifest unknown"* ]]
	[ "$(cid web)" = "$id" ]
	running web
	# The other definition was still applied.
	[ "$(inspect other '.Config.Env | map(select(startswith("CHANGED="))) | length')" = 1 ]
}

# first_line PATTERN: the number of the first line of $output matching.
first_line() {
	grep -n -m1 -- "$1" <<< "$output" | cut -d: -f1
}

@test "images: pulls and registry checks go out together (PULL_PARALLEL 4); a failed one changes nothing for the others" {
	for i in 1 2 3 4 5; do
		push_version "$REPO-$i:1" 1
		reg_def "w$i" "$REPO-$i:1"
	done
	reg_def broken "$REPO-missing:1"
	run_dockerup -v
	[ "$status" -eq 1 ]
	# Four pulls (PULL_PARALLEL) were sent before any answer was read,
	# the other two after: in batches, whatever their order.
	first_answer=$(first_line "pulled $REPO-")
	sent_before=$(head -n "$first_answer" <<< "$output" |
	    grep -c "docker: POST /images/create?fromImage=")
	[ "$sent_before" -eq 4 ]
	[ "$(grep -c "docker: POST /images/create?fromImage=" <<< "$output")" -eq 6 ]
	[[ "$output" == *"pull $REPO-missing:1"*"manifest unknown"* ]]
	[[ "$output" == *"5 created"*"1 failed"* ]]
	for i in 1 2 3 4 5; do
		[ "$(version_in "w$i")" = 1 ]
	done
	if dk inspect broken > /dev/null 2>&1; then fail "broken has a container"; fi
	# Updates: the five registry checks all go out before the first pull
	# (one by one, each pull would follow its own check), and every
	# container gets its new image.
	for i in 1 2 3 4 5; do
		push_version "$REPO-$i:1" 2
	done
	rm "$TEST_CONFDIR/broken.json"
	run_dockerup -v
	[ "$status" -eq 0 ]
	first_pull=$(first_line "pull $REPO-1:1 (the registry has")
	for i in 1 2 3 4 5; do
		[ "$(first_line "GET /distribution/$REPO-$i:1/json")" -lt "$first_pull" ]
		[ "$(version_in "w$i")" = 2 ]
	done
	[[ "$output" == *"5 replaced"* ]]
}

# A registry behind htpasswd: credentials from a config.json.
auth_setup() {
	AREPO=$RIG_AUTH_REGISTRY/busy:1
	AUTH_B64=$(printf '%s:%s' "$RIG_AUTH_USER" "$RIG_AUTH_PASS" | base64 -w0)
	dk rmi "$AREPO" > /dev/null 2>&1 || true
	reg_def priv "$AREPO"
}

@test "images: a password-protected registry with credentials from config.json" {
	auth_setup
	mkdir -p "$BATS_TEST_TMPDIR/dcfg"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$RIG_AUTH_REGISTRY" \
	    "$AUTH_B64" > "$BATS_TEST_TMPDIR/dcfg/config.json"
	# Credentials are often root-only.
	chmod 600 "$BATS_TEST_TMPDIR/dcfg/config.json"
	run_dockerup -v --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	[ "$status" -eq 0 ]
	running priv
	# Never logged, at any verbosity.
	[[ "$output" != *"$RIG_AUTH_PASS"* ]]
	[[ "$output" != *"$AUTH_B64"* ]]
	# The registry check of the next run is authenticated too.
	run_dockerup -v --registry-auth "$BATS_TEST_TMPDIR/dcfg/config.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 unchanged"* ]]
	[[ "$output" != *"cannot check the registry"* ]]
}

@test "images: credentials from \$DOCKER_CONFIG/config.json" {
	auth_setup
	mkdir -p "$BATS_TEST_TMPDIR/dcfg"
	printf '{"auths": {"http://%s/v2/": {"username": "%s", "password": "%s"}}}\n' \
	    "$RIG_AUTH_REGISTRY" "$RIG_AUTH_USER" "$RIG_AUTH_PASS" \
	    > "$BATS_TEST_TMPDIR/dcfg/config.json"
	DOCKER_CONFIG=$BATS_TEST_TMPDIR/dcfg run_dockerup
	[ "$status" -eq 0 ]
	running priv
}

@test "images: credentials from the original's legacy .dockercfg" {
	auth_setup
	printf '{"%s": {"auth": "%s", "email": "ops@example.com"}}\n' \
	    "$RIG_AUTH_REGISTRY" "$AUTH_B64" > "$BATS_TEST_TMPDIR/.dockercfg"
	run_dockerup --registry-auth "$BATS_TEST_TMPDIR/.dockercfg"
	[ "$status" -eq 0 ]
	running priv
}

@test "images: without credentials the pull fails and says why" {
	auth_setup
	run_dockerup
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull $AREPO"*"auth"* ]]
	! exists priv || false
}

@test "images: dangling images are pruned" {
	rig_image eng-dangle:1 5
	gone=$(dk image inspect -f '{{.Id}}' eng-dangle:1)
	rig_image eng-dangle:1 6
	[ -n "$(dk images -q --filter dangling=true)" ]
	local_def web
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"pruned"* ]]
	! dk image inspect "$gone" > /dev/null 2>&1 || false
	[ -z "$(dk images -q --filter dangling=true)" ]
	dk rmi eng-dangle:1 > /dev/null
}
