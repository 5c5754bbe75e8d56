#!/usr/bin/env bats
# Last good contents are root's (issue #14): the fetcher's account owns
# nothing in the cache, cannot plant a copy that root replays, and cannot
# read a secret that dockerup keeps; the copies root keeps still carry
# user-data across an outage and a restart.

load helpers

# The test-hook build (make BUILD=build-hooks TEST_HOOKS=1), built by run.sh.
HOOKS_BIN="${DOCKERUP_HOOKS:-$DOCKERUP_SRC/build-hooks/dockerup}"

setup() {
	setup_confdir
	# A cache the fetcher's account can reach, as /var/cache/dockerup
	# (bats' own temporary directory is not): whatever it cannot touch
	# there, it cannot because of dockerup, not because of bats.
	TEST_CACHE=$(mktemp -d /tmp/dockerup-lastgood.XXXXXX)
	chmod 755 "$TEST_CACHE"
	FETCH_UID=$(id -u dockerup-fetch)
	LOG=$BATS_TEST_TMPDIR/dockerup.log
	cleanup_containers
	imds_reset
}

teardown() {
	stop_dockerup || true
	cleanup_containers
	imds_reset
	rm -rf "$TEST_CACHE" /tmp/dockerup-planted.* /dev/shm/dockerup-planted.*
}

# as_fetch CMD...: CMD as the fetcher's account, no other group.
as_fetch() {
	setpriv --reuid="$FETCH_UID" --regid="$(id -g dockerup-fetch)" \
	    --clear-groups -- "$@"
}

app_def() {
	echo '{"containers": [{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'"'"${2:-}"'}]}'
}

running() {
	[ "$(inspect "$1" .State.Running 2>/dev/null)" = true ]
}

# fetcher_pid: the server's fetcher.
fetcher_pid() {
	local pid
	for pid in $(pgrep -P "$DOCKERUP_PID"); do
		if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-R fetcher"; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# The last good copy of user-data as dockerup before this change wrote it
# in <cache>/fetcher/, declaring the attacker's container $1.
old_format_copy() {
	local doc
	doc=$(app_def "$1" ', "privileged": true')
	jq -cn --arg d "$doc" --argjson t "$(date +%s)" \
	    '{dockerupLastGood: 1, source: "user-data", form: "user-data",
	      since: $t, document: $d, profiles: {}}'
}

@test "lastgood: a copy planted by the fetcher's account is never replayed, even after kill -9 and a user-data outage" {
	# An upgrade from a version that kept copies in <cache>/fetcher/,
	# owned by the fetcher's account, which planted one there.
	local old=$TEST_CACHE/fetcher
	local name
	name=lg-$(printf '%s' user-data | sha256sum | cut -c1-40).json
	mkdir -m 700 "$old"
	chown dockerup-fetch: "$old"
	old_format_copy lg-planted | as_fetch sh -c "cat > '$old/$name'"
	imds_set_userdata "$(app_def lg-ud)"
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v \
	    --aws --imds "$RIG_IMDS"
	wait_until 30 running lg-ud || { cat "$LOG"; fail "lg-ud not started"; }
	# The old directory is gone, unread, and said so once.
	[ ! -e "$old" ]
	[ "$(grep -c "$old removed unread" "$LOG")" -eq 1 ]
	# Now that the fetcher has written its copy, the account plants its
	# own where the old version kept them, next to root's, and
	# everywhere else it can write.
	old_format_copy lg-planted | as_fetch sh -c \
	    "mkdir -p '$old' && cat > '$old/$name'" 2> /dev/null || true
	old_format_copy lg-planted | as_fetch sh -c \
	    "cat > '$TEST_CACHE/lastgood/$name'" 2> /dev/null || true
	for d in /tmp /dev/shm; do
		f=$(as_fetch mktemp "$d/dockerup-planted.XXXXXX")
		old_format_copy lg-planted | as_fetch sh -c "cat > '$f'"
	done
	# None landed in the cache: the account can write nothing there.
	[ ! -e "$old" ]
	[ -z "$(as_fetch find "$TEST_CACHE" -writable 2> /dev/null)" ]
	[ -z "$(find "$TEST_CACHE" -user dockerup-fetch)" ]
	# kill -9 of the fetcher, then user-data fails: the restarted fetcher
	# falls back on the last good contents, root's.
	pid=$(fetcher_pid)
	imds_mode refuse
	kill -9 "$pid"
	wait_until 20 grep -q "user-data: using the last good contents" "$LOG" ||
	    { cat "$LOG"; fail "no fall-back after the restart"; }
	wait_until 20 grep -q "last good copies: 1 restored, 0 refused" "$LOG"
	sleep 1
	run dk inspect lg-planted
	[ "$status" -ne 0 ]                     # never created
	running lg-ud                           # the real last good contents
}

@test "lastgood: no secret of user-data or of a 0600 definition is readable by the fetcher's account in the cache" {
	local ud_secret=ud-s3cr3t-$RANDOM$RANDOM cd_secret=cd-s3cr3t-$RANDOM$RANDOM
	imds_set_userdata "$(app_def lg-sec-ud ', "env": {"TOKEN": "'"$ud_secret"'"}')"
	write_def sec '{"type": "docker", "name": "lg-sec-cd", "image": "'"$RIG_IMAGE"'", "env": {"PASSWORD": "'"$cd_secret"'"}}'
	chmod 600 "$TEST_CONFDIR/sec.json"
	run_dockerup --no-pull --aws --imds "$RIG_IMDS"
	echo "$output"
	[ "$status" -eq 0 ]
	running lg-sec-ud
	running lg-sec-cd
	# Root keeps both secrets (so that a restart has them), in its own
	# directory: 0700 root, files 0600 root.
	[ "$(stat -c '%U %a' "$TEST_CACHE/lastgood")" = "root 700" ]
	[ "$(find "$TEST_CACHE/lastgood" -type f | wc -l)" -eq 2 ]
	[ -z "$(find "$TEST_CACHE/lastgood" -type f ! -perm 600)" ]
	[ -z "$(find "$TEST_CACHE/lastgood" ! -user root)" ]
	grep -rlq "$ud_secret" "$TEST_CACHE/lastgood"
	grep -rlq "$cd_secret" "$TEST_CACHE/lastgood"
	# Whatever the fetcher's account can read in the cache holds neither.
	readable=$(as_fetch find "$TEST_CACHE" -readable -type f 2> /dev/null || true)
	echo "readable by dockerup-fetch: $readable"
	for f in $readable; do
		if as_fetch grep -q -e "$ud_secret" -e "$cd_secret" "$f"; then
			fail "$f, readable by dockerup-fetch, holds a secret"
		fi
	done
	# The account owns nothing in the cache.
	[ -z "$(find "$TEST_CACHE" -user dockerup-fetch)" ]
}

@test "lastgood: a copy root keeps that no longer validates is refused and removed" {
	imds_set_userdata "$(app_def lg-val)"
	run_dockerup --no-pull --aws --imds "$RIG_IMDS"
	[ "$status" -eq 0 ]
	f=$(find "$TEST_CACHE/lastgood" -type f)
	[ -n "$f" ]
	# Same length, so the encoding stays whole: an invalid image name.
	sed -i "s|\"$RIG_IMAGE\"|\"$(printf '%s' "$RIG_IMAGE" | tr 'a-z' 'A-Z')\"|" "$f"
	imds_mode refuse
	run_dockerup --no-pull --aws --imds "$RIG_IMDS" -v
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a last good copy kept by the parent is not used: its contents do not validate"* ]]
	[ ! -e "$f" ]
	running lg-val                          # nothing stopped for it
}

@test "lastgood: a compromised fetcher cannot make root keep a confdir copy it forged" {
	write_def app '{"type": "docker", "name": "lg-app", "image": "'"$RIG_IMAGE"'"}'
	# The hook build's fetcher hands the parent, after each load, a copy
	# of app.json declaring a privileged container "forged".
	DOCKERUP_TEST_FORGE_LASTGOOD=$TEST_CONFDIR/app.json \
	    DOCKERUP_TEST_FORGE_IMAGE=$RIG_IMAGE \
	    "$HOOKS_BIN" --config "$TEST_CONFIG" --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --server \
	    --interval 3600 --no-pull -v > "$LOG" 2>&1 3>&- < /dev/null &
	DOCKERUP_PID=$!
	wait_until 30 grep -q "is not a source, or not as the parent read it" "$LOG" ||
	    { cat "$LOG"; fail "the parent did not refuse the forged copy"; }
	grep -q "test hook: a forged last good copy of $TEST_CONFDIR/app.json" "$LOG"
	wait_until 10 grep -q "fetcher killed by signal 9" "$LOG"
	wait_until 30 running lg-app
	stop_dockerup
	# Only the real copy is kept: app.json broken now, a run replays it.
	[ -z "$(grep -rl forged "$TEST_CACHE/lastgood")" ]
	printf '{"type": "docker", "name": ' > "$TEST_CONFDIR/app.json"
	run_dockerup --no-pull -v
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"app.json: using the last good contents"* ]]
	running lg-app
	run dk inspect forged
	[ "$status" -ne 0 ]
}
