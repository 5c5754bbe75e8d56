# Helpers for tests that run dockerup in its own container (issue #6), on
# top of helpers.bash.  In a .bats file:
#
#   load helpers
#   load container_helpers
#
#   image_publish dockerup-self/dockerup:latest 1    # v1, pushed
#   ref=$IMAGE_REF
#   setup_confdir
#   printf 'interval=2\nverbose=true\n' > "$TEST_CONFIG"
#   container_start dockerup "$ref" "$TEST_CONFDIR" "$TEST_CACHE" \
#       "$TEST_CONFIG"
#   ...
#   container_logs dockerup
#   container_remove dockerup
#   image_remove_all                 # in teardown
#
# container_start runs the `docker run` line of README.md (between
# <!-- docker-run-begin --> and <!-- docker-run-end -->) with only its host
# paths, name and image replaced, so that a test proves the documented
# line itself.
#
# Functions:
#   container_binary
#       prints the binary images are made of: $CONTAINER_BINARY if set,
#       else $DOCKERUP, or ./dockerup (made first) when $DOCKERUP is an
#       ASan build, which cannot run under the container's profile.
#   image_build REF VERSION [ENTRYPOINT_JSON]
#       `make image-local`'s script: container_binary as image REF in the
#       rig's engine, with label
#       DOCKERUP_IMAGE_VERSION=VERSION (two versions: two image IDs);
#       ENTRYPOINT_JSON replaces ["/usr/sbin/dockerup"], e.g.
#       '["/usr/sbin/dockerup", "--no-such-option"]' exits at once (status
#       2).  Sets IMAGE_ID.
#   image_push REF
#       pushes REF (which must name $RIG_REGISTRY) to the rig's registry.
#   image_publish REPO:TAG VERSION [ENTRYPOINT_JSON]
#       image_build + image_push as $RIG_REGISTRY/REPO:TAG, then untags it
#       locally so that the engine has to pull it, as on a real host; sets
#       IMAGE_REF ($RIG_REGISTRY/REPO:TAG) and IMAGE_ID (the ID the engine
#       reports after pulling it).  Call it directly, not in $(...).
#   image_remove_all
#       removes every image built by these helpers (label
#       org.opencontainers.image.title=dockerup) from the rig's engine,
#       and the containers using them.  The registry keeps what was pushed:
#       use a repository name of your own per test.
#   readme_docker_run
#       prints the README's command, one word per line.
#   container_start NAME IMAGE CONFDIR CACHE SETTINGS [ARG...]
#       runs the README's command with --name NAME, IMAGE, the rig's socket
#       for /var/run/docker.sock, CONFDIR, CACHE and the SETTINGS file for
#       the container's /etc/dockerup/{containers.d,dockerup.conf} and
#       /var/cache/dockerup, $CONTAINER_CREDS (default: an empty `{}`
#       credentials file in BATS_TEST_TMPDIR) for /etc/dockerup/.dockercfg
#       and the repository's policy/container-seccomp.json for the profile.
#       ARGs, if any, replace the image's CMD (give --server yourself).
#       Sets CONTAINER_ID.  The settings file may set interval= and
#       verbose=true.
#   container_logs NAME
#       the container's stdout and stderr (dockerup logs to stderr).
#   container_stop NAME / container_remove NAME
#       docker stop -t 10 / docker rm -f (no error when it is gone).
#   container_pids NAME
#       "PID UID ARGS" of each process in the container, as the host sees
#       them (docker top).

CONTAINER_README=${CONTAINER_README:-$DOCKERUP_SRC/README.md}
CONTAINER_PROFILE=$DOCKERUP_SRC/policy/container-seccomp.json
CONTAINER_TITLE_LABEL=org.opencontainers.image.title=dockerup

# The binary images are built from: $CONTAINER_BINARY, else the binary
# under test, except an ASan build (its sanitizer needs calls that the
# container's profile rightly refuses): then the normal build, made first.
container_binary() {
	if [ -n "${CONTAINER_BINARY:-}" ]; then
		echo "$CONTAINER_BINARY"
	elif ldd "$DOCKERUP" | grep -q 'libasan'; then
		make -s -C "$DOCKERUP_SRC" dockerup >&2 ||
		    { fail "container_binary: make dockerup failed"; return 1; }
		echo "$DOCKERUP_SRC/dockerup"
	else
		echo "$DOCKERUP"
	fi
}

image_build() {
	local ref=$1 version=$2 entry=${3:-} bin
	[ -n "$ref" ] && [ -n "$version" ] ||
	    { fail "image_build: expected REF VERSION [ENTRYPOINT_JSON]"; return 1; }
	bin=$(container_binary) || return 1
	IMAGE_BINARY=$bin IMAGE_VERSION=$version \
	    IMAGE_ENTRYPOINT=${entry:-'["/usr/sbin/dockerup"]'} \
	    "$DOCKERUP_SRC/image/image-local.sh" "$ref" > /dev/null ||
	    { fail "image_build: image-local.sh $ref failed"; return 1; }
	IMAGE_ID=$(dk image inspect -f '{{.Id}}' "$ref")
}

image_push() {
	case "$1" in
	"$RIG_REGISTRY"/*) ;;
	*) fail "image_push: $1 is not in the rig's registry $RIG_REGISTRY"; return 1 ;;
	esac
	dk push -q "$1" > /dev/null || { fail "image_push: push of $1 failed"; return 1; }
}

image_publish() {
	local ref=$RIG_REGISTRY/$1
	image_build "$ref" "$2" "${3:-}" || return 1
	image_push "$ref" || return 1
	dk rmi "$ref" > /dev/null || { fail "image_publish: cannot untag $ref"; return 1; }
	IMAGE_REF=$ref
}

image_remove_all() {
	local img c
	for img in $(dk images -q --no-trunc --filter "label=$CONTAINER_TITLE_LABEL" | sort -u); do
		for c in $(dk ps -aq --filter "ancestor=$img"); do
			dk rm -f "$c" > /dev/null 2>&1 || true
		done
		dk rmi -f "$img" > /dev/null 2>&1 || true
	done
}

readme_docker_run() {
	local text
	text=$(sed -n '/<!-- docker-run-begin -->/,/<!-- docker-run-end -->/p' \
	    "$CONTAINER_README" | sed '1d;$d' | sed '/^```/d' |
	    sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}')
	[ -n "$text" ] ||
	    { fail "readme_docker_run: no docker-run block in $CONTAINER_README"; return 1; }
	# One command, no quoting in it: plain words, never globbed.
	local -
	set -f
	# shellcheck disable=SC2086
	printf '%s\n' $text
}

# The host side of a -v for the container path $1 (before the image).
container_host_path() {
	case "$1" in
	/var/run/docker.sock) echo "${DOCKER_HOST#unix://}" ;;
	/var/cache/dockerup) echo "$C_CACHE" ;;
	/etc/dockerup/containers.d) echo "$C_CONFDIR" ;;
	/etc/dockerup/dockerup.conf) echo "$C_SETTINGS" ;;
	/etc/dockerup/.dockercfg) echo "$C_CREDS" ;;
	*) return 1 ;;
	esac
}

container_start() {
	local name=$1 image=$2 words=() args=() w i ctr rest host
	C_CONFDIR=$3 C_CACHE=$4 C_SETTINGS=$5
	shift 5 || { fail "container_start: expected NAME IMAGE CONFDIR CACHE SETTINGS [ARG...]"; return 1; }
	case "$DOCKER_HOST" in
	unix://*) ;;
	*) fail "container_start: DOCKER_HOST $DOCKER_HOST is not a unix socket"; return 1 ;;
	esac
	C_CREDS=${CONTAINER_CREDS:-$BATS_TEST_TMPDIR/dockercfg}
	[ -n "${CONTAINER_CREDS:-}" ] || [ -e "$C_CREDS" ] || echo '{}' > "$C_CREDS"
	mapfile -t words < <(readme_docker_run) || return 1
	[ "${words[0]}" = docker ] && [ "${words[1]}" = run ] ||
	    { fail "container_start: the README's command is not 'docker run ...'"; return 1; }
	for ((i = 2; i < ${#words[@]} - 1; i++)); do
		w=${words[i]}
		case "$w" in
		--name)
			args+=(--name "$name")
			i=$((i + 1))
			;;
		-v)
			i=$((i + 1))
			ctr=${words[i]#*:}
			rest=
			case "$ctr" in *:*) rest=:${ctr#*:}; ctr=${ctr%%:*} ;; esac
			host=$(container_host_path "$ctr") ||
			    { fail "container_start: the README mounts $ctr, which these helpers do not know"; return 1; }
			args+=(-v "$host:$ctr$rest")
			;;
		seccomp=*)
			args+=("seccomp=$CONTAINER_PROFILE")
			;;
		*)
			args+=("$w")
			;;
		esac
	done
	CONTAINER_ID=$(dk run "${args[@]}" "$image" "$@") ||
	    { fail "container_start: docker run ${args[*]} $image $* failed"; return 1; }
}

container_logs() {
	dk logs "$1" 2>&1
}

container_stop() {
	dk stop -t 10 "$1" > /dev/null 2>&1 || true
}

container_remove() {
	dk rm -f "$1" > /dev/null 2>&1 || true
}

container_pids() {
	dk top "$1" -o pid,uid,args | sed 1d
}
