#!/bin/bash
# make demo: converges examples/containers.d on a private Docker engine in
# /tmp/dockerup-demo (never the host's /var/run/docker.sock), then shows
# what dockerup did, the resulting `docker ps` and what each container was
# given.  The engine keeps
# running so the containers can be looked at; `make demo-stop` ends it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
DEMO=/tmp/dockerup-demo
IMAGE=dockerup-demo/busybox:latest
RIG=tests/rig/rig.sh
export DOCKER_HOST=unix://$DEMO/docker.sock
export DOCKER_CONFIG=$DEMO/docker-config

step() { printf '\n==> %s\n' "$*"; }

step "installing what is missing"
tests/rig/deps.sh
step "building dockerup"
"${MAKE:-make}" --no-print-directory -j"$(nproc)"

if "$RIG" status "$DEMO"; then
	step "reusing the private engine already running in $DEMO"
else
	[ -e "$DEMO" ] && "$RIG" stop "$DEMO"  # a stopped demo's leftovers
	step "starting a private Docker engine in $DEMO"
	"$RIG" start "$DEMO" --engine-only
fi
if ! /usr/bin/docker image inspect "$IMAGE" > /dev/null 2>&1; then
	step "importing a busybox image as $IMAGE (nothing is pulled)"
	"$RIG" image "$DEMO" "$IMAGE" demo
fi
# The host directory examples/containers.d/store.json mounts (beside the
# engine's own data directory, $DEMO/data, never inside it).
mkdir -p "$DEMO/shared" "$DEMO/cache"
echo "written by make demo on the host" > "$DEMO/shared/hello.txt"

cmd=(./dockerup --confdir "$ROOT/examples/containers.d" --remote "$DOCKER_HOST"
    --cache "$DEMO/cache" -v)
step "${cmd[*]}"
rc=0
"${cmd[@]}" 2>&1 || rc=$?
echo "(dockerup exited with status $rc)"

step "docker ps"
/usr/bin/docker ps

step "what each container was given (docker inspect)"
# The private engine runs containers without a network (--bridge=none), so
# docker ps shows no published port: the binding is in the container's
# configuration.
for id in $(/usr/bin/docker ps -q); do
	/usr/bin/docker inspect "$id" | jq -r '.[0] |
	    "\(.Name | ltrimstr("/"))  (definition \(.Config.Labels["dockerup.id"]))",
	    "    restart \(.HostConfig.RestartPolicy.Name)" +
		(if .HostConfig.ReadonlyRootfs then ", read-only root" else "" end) +
		(if .HostConfig.CpuShares > 0 then ", cpu shares \(.HostConfig.CpuShares)" else "" end) +
		(if .HostConfig.Memory > 0 then ", memory \(.HostConfig.Memory / 1048576) MiB" else "" end) +
		(if (.HostConfig.CapDrop // []) != [] then ", cap drop \(.HostConfig.CapDrop | join(","))" else "" end),
	    (.HostConfig.Links // [] | .[] | "    link   \(.)"),
	    (.HostConfig.VolumesFrom // [] | .[] | "    volumes from \(.)"),
	    (.HostConfig.PortBindings // {} | to_entries[] |
		"    port   \(.key) -> host \(.value[0].HostPort)"),
	    (.Mounts[] | "    volume \(.Source) -> \(.Destination)" +
		(if .RW then "" else " (ro)" end)),
	    (.Config.Env[] | select(test("^PATH=") | not) | "    env    \(.)")'
done

cat <<EOF

The private engine is still running.  To look around:
    DOCKER_HOST=$DOCKER_HOST /usr/bin/docker ps
    DOCKER_HOST=$DOCKER_HOST /usr/bin/docker exec demo-store cat /data/hello.txt
Run 'make demo' again to see dockerup find nothing to change.
Stop it, and remove $DEMO, with:
    make demo-stop
EOF
exit "$rc"
