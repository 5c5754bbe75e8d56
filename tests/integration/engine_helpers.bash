# Helpers for the engine's suites (tests/integration/engine_*.bats), on
# top of helpers.bash.  In a .bats file:
#
#   load helpers
#   load engine_helpers
#
# Containers run a shell that exits at once on SIGTERM, so that replacing
# one does not wait for the engine's stop timeout.

# The command every test container runs unless a test says otherwise.
TRAP_CMD='["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]'

# local_def NAME [FIELDS]: a definition of NAME from the rig's local image
# with the quick-to-stop command; FIELDS (JSON members, comma-first) are
# added, e.g. ', "env": {"A": "1"}'.
local_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$RIG_IMAGE"'", "command": '"$TRAP_CMD$2"'}'
}

# reg_def NAME IMAGE [FIELDS]: the same from a registry image.
reg_def() {
	write_def "$1" '{"type": "docker", "name": "'"$1"'", "image": "'"$2"'", "command": '"$TRAP_CMD$3"'}'
}

# run_engine ARGS...: dockerup once without registry checks (the local
# image has no registry on this machine); ARGS may add --pull back.
run_engine() {
	run_dockerup --no-pull "$@"
}

# quick_run NAME [DOCKER_RUN_OPTIONS...]: a container made by hand (not by
# dockerup) that stops at once on SIGTERM.
quick_run() {
	local name=$1
	shift
	dk run -d --name "$name" "$@" "$RIG_IMAGE" /bin/sh -c \
	    'trap "exit 0" TERM; sleep 100000 & wait' > /dev/null
}

cid() { dk inspect -f '{{.Id}}' "$1"; }
started_at() { dk inspect -f '{{.State.StartedAt}}' "$1"; }
running() { [ "$(dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
exists() { dk inspect "$1" > /dev/null 2>&1; }
label() { dk inspect "$1" | jq -r --arg k "$2" '.[0].Config.Labels[$k] // empty'; }

# Names of all containers, sorted, one line: "a b c".
all_names() { dk ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//'; }

# now_ts: a timestamp docker events accepts.
now_ts() { date +%s.%N; }

# netns NAME: the network namespace of NAME's main process.
netns() { readlink "/proc/$(dk inspect -f '{{.State.Pid}}' "$1")/ns/net"; }

# events SINCE UNTIL: "action name" lines of container events in between.
events() {
	dk events --since "$1" --until "$2" --filter type=container \
	    --format '{{.Action}} {{.Actor.Attributes.name}}' |
	    grep -Ev '^(exec_|attach|resize|top)' || true
}

# The line number of the first event matching PATTERN in FILE, or 0.
event_line() {
	grep -n -m1 -E "$2" "$1" | cut -d: -f1 || echo 0
}

# dockerd_log_size: the engine's debug log length, to count the API calls
# made after it (see api_calls_since).
dockerd_log_size() { stat -c %s "$RIG_DIR/dockerd.log"; }

# api_calls_since OFFSET: Docker API requests the engine logged after
# OFFSET ("Calling METHOD /path" lines of dockerd --debug).
api_calls_since() {
	tail -c +"$(($1 + 1))" "$RIG_DIR/dockerd.log" | grep -c 'msg="Calling '
}

# push_version REF VERSION: a new image with VERSION in
# /etc/dockerup-test-version, pushed to REF's registry under REF, and the
# local copy put back to what it was so that only a pull brings it.
push_version() {
	local ref=$1 version=$2 before
	before=$(dk image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
	rig_image "$ref" "$version"
	dk push -q "$ref" > /dev/null
	if [ -n "$before" ]; then
		dk tag "$before" "$ref"
	else
		dk rmi "$ref" > /dev/null
	fi
}

# version_in NAME: the test image version the container runs.
version_in() { dk exec "$1" cat /etc/dockerup-test-version; }
