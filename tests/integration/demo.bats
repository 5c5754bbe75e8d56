#!/usr/bin/env bats
# make demo, as a new user runs it from a fresh clone: it starts its own
# private engine in /tmp/dockerup-demo (not the rig's), converges
# examples/containers.d, and a second run changes nothing; make demo-stop
# removes everything.

load helpers

DEMO=/tmp/dockerup-demo
DEMO_HOST=unix://$DEMO/docker.sock

demo_dk() { DOCKER_HOST=$DEMO_HOST DOCKER_CONFIG=$DEMO/docker-config /usr/bin/docker "$@"; }

setup() {
	[ ! -e "$DEMO" ] || {
		fail "$DEMO exists: a demo is running on this machine; run make demo-stop first"
		return 1
	}
}

teardown() {
	[ -e "$DEMO" ] && make -s -C "$DOCKERUP_SRC" demo-stop > /dev/null 2>&1
	return 0
}

@test "make demo: every example container runs, as its definition says; a second run changes nothing" {
	local ex names
	run make -s -C "$DOCKERUP_SRC" demo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"engine: 3 created, 0 replaced, 0 started, 0 removed, 0 unchanged, 0 failed"* ]]

	# One running container per example definition, under its identity.
	ex=$(ls "$DOCKERUP_SRC"/examples/containers.d/*.json | wc -l)
	[ "$ex" -eq 3 ]
	names=$(demo_dk ps --format '{{.Label "dockerup.id"}}' | sort | tr '\n' ' ')
	[ "$names" = "demo-app demo-store image:dockerup-demo/busybox " ]
	[ "$(demo_dk ps -q | wc -l)" -eq "$ex" ]

	# What the demo shows each was given is what the definitions ask.
	[ "$(demo_dk inspect -f '{{.HostConfig.RestartPolicy.Name}} {{json .HostConfig.VolumesFrom}}' demo-app)" = 'always ["demo-store"]' ]
	[ "$(demo_dk exec demo-app cat /data/hello.txt)" = "written by make demo on the host" ]
	[[ "$output" == *"    link   /demo-store:/demo-app/store"* ]]
	[[ "$output" == *"cpu shares 512, memory 64 MiB, cap drop ALL"* ]]
	[[ "$output" == *"env    GREETING=hello from dockerup"* ]]

	run make -s -C "$DOCKERUP_SRC" demo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reusing the private engine already running"* ]]
	[[ "$output" == *"engine: 0 created, 0 replaced, 0 started, 0 removed, 3 unchanged, 0 failed"* ]]

	run make -s -C "$DOCKERUP_SRC" demo-stop
	[ "$status" -eq 0 ]
	[ ! -e "$DEMO" ]
}
