#!/bin/bash
# Builds dockerup's container image without any network access: the local
# build and its shared libraries (image/rootfs.sh, the files the Dockerfile's
# runtime stage holds), imported into the engine DOCKER_HOST names.
#
#   image/image-local.sh TAG            (what `make image-local TAG=...` runs)
#
# Environment:
#   DOCKER_HOST       the engine (required: the host's own engine is never
#                     used by default; say unix:///var/run/docker.sock
#                     to mean it)
#   IMAGE_BINARY      the program to install (default ./dockerup)
#   IMAGE_VERSION     the label DOCKERUP_IMAGE_VERSION (default: what
#                     `IMAGE_BINARY --version` prints); two builds with
#                     different versions are two different images
#   IMAGE_ENTRYPOINT  ENTRYPOINT as a JSON array (default
#                     ["/usr/sbin/dockerup"]), e.g. ["/usr/sbin/dockerup",
#                     "--no-such-option"] for an image that exits at once
#   IMAGE_CMD         CMD as a JSON array (default ["--server"])
# Prints the image ID.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKER=/usr/bin/docker

die() { echo "image-local: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: image-local.sh TAG (e.g. dockerup:local)"
tag=$1
[ -n "${DOCKER_HOST:-}" ] ||
    die "DOCKER_HOST is not set; expected the engine to import into" \
	"(unix:///var/run/docker.sock for the host's own)"
bin=${IMAGE_BINARY:-$ROOT/dockerup}
entry=${IMAGE_ENTRYPOINT:-'["/usr/sbin/dockerup"]'}
cmd=${IMAGE_CMD:-'["--server"]'}
json_argv() {
	jq -e 'type == "array" and length > 0 and all(type == "string")' \
	    <<< "$2" > /dev/null 2>&1 ||
	    die "$1='$2': expected a JSON array of strings, e.g. [\"--server\"]"
}
json_argv IMAGE_ENTRYPOINT "$entry"
json_argv IMAGE_CMD "$cmd"
[ -x "$bin" ] || die "$bin: not an executable file; run make first"
version=${IMAGE_VERSION:-$("$bin" --version 2>/dev/null | awk '{ print $NF }')}
[ -n "$version" ] || version=unknown
case "$version" in
*[!A-Za-z0-9._+-]*) die "IMAGE_VERSION '$version': expected letters, digits, . _ + -" ;;
esac

work=$(mktemp -d /tmp/dockerup-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$ROOT/image/rootfs.sh" "$work/rootfs" "$bin" "$ROOT/policy/container-seccomp.json"

# The same metadata as the Dockerfile's runtime stage.  `docker import`
# cannot set STOPSIGNAL, so the imported image gets it from a build with no
# context and no new layer (the classic builder: nothing is pulled, the
# base is the local import).  The import is tagged until the build is
# done: untagged, a running dockerup may prune it as a dangling image
# before the build reads it.
basetag=dockerup-image-base:$$-$RANDOM
tar -C "$work/rootfs" --numeric-owner --owner=0 --group=0 --sort=name \
    -cf - . |
    "$DOCKER" import \
	-c "ENTRYPOINT $entry" \
	-c "CMD $cmd" \
	-c "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
	-c "WORKDIR /" \
	-c "LABEL org.opencontainers.image.title=dockerup" \
	-c "LABEL DOCKERUP_IMAGE_VERSION=$version" \
	-m "dockerup $version, image-local" \
	- "$basetag" > /dev/null || die "docker import failed"
# The built image is itself untagged for an instant between its commit
# and its tag, where a running dockerup's prune of dangling images can
# take it ("failed to get digest ... no such file"): the build is tried
# again then, a bounded number of times.
BUILD_TRIES=3
for ((try = 1; ; try++)); do
	printf 'FROM %s\nSTOPSIGNAL SIGTERM\n' "$basetag" |
	    DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$tag" - && break
	if [ "$try" -ge "$BUILD_TRIES" ]; then
		"$DOCKER" rmi "$basetag" > /dev/null 2>&1
		die "docker build of $tag FROM $basetag failed ($try tries)"
	fi
	echo "image-local: build of $tag failed; trying again" >&2
done
# The built image keeps its parent; only the temporary name goes.
"$DOCKER" rmi "$basetag" > /dev/null ||
    die "docker rmi of the temporary tag $basetag failed"
