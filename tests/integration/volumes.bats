#!/usr/bin/env bats
# Volumes carried over (issue #16): a replacement mounts the old
# container's anonymous volumes at the same paths, so their data outlives
# image updates and definition changes; a dependent is recreated only when
# it must be (a network container: or a link, not volumes from), and a
# dependent left on an old container by anything is fixed by the next run.

load helpers
load engine_helpers

setup() {
	setup_confdir
	cleanup_containers
	IMG=dockerup-vol-$BATS_TEST_NUMBER-$$
}

teardown() {
	cleanup_containers
	dk rmi -f "$IMG:1" > /dev/null 2>&1 || true
}

# new_image VERSION [CHANGE...]: a local image $IMG:1 made from the rig's
# image with VERSION in its environment (a new ID under the same tag) and
# the Dockerfile-style CHANGEs (e.g. 'VOLUME ["/imgvol"]').
new_image() {
	local v=$1 tmp=vol-build-$$ args=()
	shift
	for c in "$@"; do args+=(-c "$c"); done
	dk create --name "$tmp" "$RIG_IMAGE" /bin/true > /dev/null
	dk commit -c "ENV IMAGE_VERSION=$v" "${args[@]}" "$tmp" "$IMG:1" > /dev/null
	dk rm "$tmp" > /dev/null
}

# vol_at NAME PATH: the volume NAME has mounted at PATH.
vol_at() {
	dk inspect "$1" | jq -r --arg d "$2" \
	    '.[0].Mounts[] | select(.Destination == $d) | .Name'
}

# data_def [FIELDS]: "data" from $IMG:1 with an anonymous volume /storage.
data_def() {
	reg_def data "$IMG:1" ', "volumes": [{"containerPath": "/storage"}]'"${1:-}"
}

@test "volumes: data survives an image update and a definition change; volumes from follows without a restart" {
	new_image 1
	data_def
	local_def app ', "volumes": [{"from": "data"}]'
	run_engine
	[ "$status" -eq 0 ]
	vol=$(vol_at data /storage)
	[ ${#vol} -eq 64 ]
	[ "$(vol_at app /storage)" = "$vol" ]
	dk exec data sh -c 'echo kept > /storage/f'
	app=$(cid app)
	old=$(cid data)
	hash=$(label data dockerup.hash)

	new_image 2
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace data (image $IMG:1 updated"* ]]
	[[ "$output" != *"app"* ]]
	[[ "$output" == *"1 replaced"* ]]
	[ "$(cid data)" != "$old" ]
	[ "$(vol_at data /storage)" = "$vol" ]
	[ "$(dk exec data cat /storage/f)" = kept ]
	[ "$(cid app)" = "$app" ]
	[ "$(dk exec app cat /storage/f)" = kept ]

	old=$(cid data)
	data_def ', "env": {"A": "2"}'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace data (definition changed: env)"* ]]
	[[ "$output" == *"1 replaced"* ]]
	[ "$(cid data)" != "$old" ]
	[ "$(vol_at data /storage)" = "$vol" ]
	[ "$(dk exec data cat /storage/f)" = kept ]
	[ "$(cid app)" = "$app" ]
	dk exec data sh -c 'echo after > /storage/g'
	[ "$(dk exec app cat /storage/g)" = after ]
	# Only one volume: none was made and left behind.
	[ "$(dk volume ls -q | grep -c "$vol")" -eq 1 ]

	# A third run has nothing to do.
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed, 2 unchanged,"* ]]

	# The carried volume is no part of the container's identity.
	data_def
	new_image 1
	run_engine
	[ "$(vol_at data /storage)" = "$vol" ]
	[ "$(label data dockerup.hash)" != "$hash" ] # another image ID

	# Volumes of removed definitions are never deleted.
	rm "$TEST_CONFDIR/data.json" "$TEST_CONFDIR/app.json"
	run_engine --confirm-removals
	[ "$status" -eq 0 ]
	! exists data || false
	dk volume inspect "$vol" > /dev/null
}

@test "volumes: an image's VOLUME is carried over; a path no longer declared is not" {
	new_image 1 'VOLUME ["/imgvol"]'
	reg_def data "$IMG:1" ', "volumes": [{"containerPath": "/storage"}]'
	run_engine
	[ "$status" -eq 0 ]
	ivol=$(vol_at data /imgvol)
	svol=$(vol_at data /storage)
	[ ${#ivol} -eq 64 ]
	dk exec data sh -c 'echo img > /imgvol/f'
	new_image 2 'VOLUME ["/imgvol"]'
	reg_def data "$IMG:1"
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"replace data (image $IMG:1 updated"* ]]
	[ "$(vol_at data /imgvol)" = "$ivol" ]
	[ "$(dk exec data cat /imgvol/f)" = img ]
	[ -z "$(vol_at data /storage)" ]
	dk volume inspect "$svol" > /dev/null
}

@test "volumes: a network container: dependent is recreated, a volumes-from one is not" {
	local_def base ', "env": {"V": "1"}, "volumes": [{"containerPath": "/shared"}]'
	local_def net ', "network": "container:base"'
	local_def app ', "volumes": [{"from": "base"}]'
	run_engine
	[ "$status" -eq 0 ]
	net=$(cid net)
	app=$(cid app)
	local_def base ', "env": {"V": "2"}, "volumes": [{"containerPath": "/shared"}]'
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"restart net (depends on base)"* ]]
	[[ "$output" != *"app"* ]]
	[[ "$output" == *"2 replaced"* ]]
	[ "$(cid net)" != "$net" ]
	[ "$(inspect net .HostConfig.NetworkMode)" = "container:$(cid base)" ]
	[ "$(cid app)" = "$app" ]
	[ "$(vol_at app /shared)" = "$(vol_at base /shared)" ]
}

# replace_by_hand NAME: what an interrupted run may leave: NAME's
# container replaced by a plain one with the same labels, fresh volumes.
replace_by_hand() {
	local name=$1 hash
	shift
	hash=$(label "$name" dockerup.hash)
	dk rm -f "$name" > /dev/null
	dk create --name "$name" --label "dockerup.id=$name" \
	    --label "dockerup.hash=$hash" --label dockerup.managed=1 \
	    --env "DOCKER_IMAGE=$RIG_IMAGE" "$@" "$RIG_IMAGE" /bin/sh -c \
	    'trap "exit 0" TERM; sleep 100000 & wait' > /dev/null
}

@test "volumes: a dependent left on an old container's volumes is fixed by the next run" {
	local_def data ', "volumes": [{"containerPath": "/storage"}]'
	local_def app ', "volumes": [{"from": "data"}]'
	run_engine
	[ "$status" -eq 0 ]
	replace_by_hand data -v /storage
	app=$(cid app)
	[ "$(vol_at app /storage)" != "$(vol_at data /storage)" ]
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"start data (not running)"* ]]
	[[ "$output" == *"restart app (depends on data: its volume at /storage is not data's now)"* ]]
	[ "$(cid app)" != "$app" ]
	[ "$(vol_at app /storage)" = "$(vol_at data /storage)" ]
	running app
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed, 2 unchanged,"* ]]
}

@test "volumes: a dependent linked to an old container is fixed by the next run" {
	local_def db
	local_def web ', "links": {"db": "database"}'
	run_engine
	[ "$status" -eq 0 ]
	[ "$(label web dockerup.links)" = "db=$(cid db)" ]
	replace_by_hand db
	web=$(cid web)
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *"restart web (depends on db: linked to an old container)"* ]]
	[ "$(cid web)" != "$web" ]
	[ "$(label web dockerup.links)" = "db=$(cid db)" ]
	running web
	run_engine
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed, 2 unchanged,"* ]]
}

# kill_run_at SECONDS: a run in its own session, every process of it
# killed with SIGKILL after SECONDS (as in engine_failures.bats).
kill_run_at() {
	setsid "$DOCKERUP" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --no-pull --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" \
	    > "$BATS_TEST_TMPDIR/killed.out" 2>&1 3>&- &
	local sid=$! i
	sleep "$1"
	pkill -KILL -s "$sid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pgrep -s "$sid" > /dev/null || break
		sleep 0.1
	done
	wait "$sid" 2>/dev/null || true
}

@test "volumes: killed at any point of a chain's replacements, the next run leaves no dependent behind and no data lost" {
	local_def c4 ', "env": {"V": "0"}, "volumes": [{"containerPath": "/storage"}]'
	local_def c5 ', "env": {"V": "0"}, "volumes": [{"from": "c4"}, {"containerPath": "/v5"}]'
	local_def c6 ', "volumes": [{"from": "c5"}]'
	run_engine
	[ "$status" -eq 0 ]
	dk exec c4 sh -c 'echo kept > /storage/f'
	dk exec c5 sh -c 'echo kept5 > /v5/f'
	for i in $(seq 1 8); do
		local_def c4 ', "env": {"V": "'$i'"}, "volumes": [{"containerPath": "/storage"}]'
		local_def c5 ', "env": {"V": "'$i'"}, "volumes": [{"from": "c4"}, {"containerPath": "/v5"}]'
		kill_run_at "0.$((RANDOM % 600))"
		run_engine
		[ "$status" -eq 0 ] || fail "iteration $i: recovery run: $output"
		[ "$(all_names)" = "c4 c5 c6" ] || fail "iteration $i: $(all_names)"
		run_engine
		[[ "$output" == *" 0 created, 0 replaced, 0 started, 0 removed, 3 unchanged,"* ]] ||
		    fail "iteration $i: check run changed something: $output"
		[ "$(vol_at c5 /storage)" = "$(vol_at c4 /storage)" ]
		[ "$(vol_at c6 /storage)" = "$(vol_at c4 /storage)" ]
		[ "$(vol_at c6 /v5)" = "$(vol_at c5 /v5)" ]
		[ "$(dk exec c6 cat /storage/f)" = kept ] || fail "iteration $i: data lost"
		[ "$(dk exec c6 cat /v5/f)" = kept5 ] || fail "iteration $i: c5's data lost"
	done
}
