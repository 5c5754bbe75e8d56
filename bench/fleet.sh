#!/bin/bash
# A fleet of three rolls a new image through (make bench-fleet): three
# dockerup servers, each on a host engine of a private rig (tests/rig/rig.sh
# host-start), one etcd, one registry.
#
#   bench/fleet.sh            (make bench-fleet; variables below, optional)
#
#   BENCH_FLEET_RUNS=3        rollouts per mode (median, min, max over these)
#   BENCH_FLEET_INTERVAL=2    each server's --interval (seconds): how soon
#                             a host sees the push
#   BENCH_FLEET_MONITOR=2     the definition's update.monitor (seconds): the
#                             health gate a replacement passes, during which
#                             a rolling host holds its slot
#   BENCH_FLEET_TIMEOUT=180   seconds a rollout may take; one that does not
#                             finish is recorded as failed
#   BENCH_OUT=bench/results   where fleet.md and fleet.tsv go
#
# Two modes, the same definition (one container, pulled from the rig's
# registry as fleet-bench:latest) put in etcd for the fleet's group:
#   off       update.rolling off: every host replaces when it sees the push
#   rolling   "update": {"rolling": true}: one host at a time, each waiting
#             for the slot the previous one holds through its health gate
# Each rollout: the three servers run version V; version V+1 is imported
# into the rig's engine and pushed; timed from the start of the push (a
# host may pull the new manifest before docker push returns) until every
# host runs V+1: polled until each host's container of that name runs the
# new image ID, the times are then taken from dockerd's State.StartedAt of
# those containers (same clock; a poll of three engines takes longer than
# their spread).  Recorded: when the last host ran it ("all three"), the
# first, and the spread between them: about 0 when the hosts replace
# together, about 2 x (replacement + monitor) when they go one at a time.
# Each rollout uses a new fleet group and new servers; the modes alternate.
# A benchmark, not a test: it never fails on slowness.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERUP=$SRC/dockerup
RUNS=${BENCH_FLEET_RUNS:-3}
INTERVAL=${BENCH_FLEET_INTERVAL:-2}
MONITOR=${BENCH_FLEET_MONITOR:-2}
TIMEOUT=${BENCH_FLEET_TIMEOUT:-180}
OUT=${BENCH_OUT:-$SRC/bench/results}
RIG=/tmp/dockerup-fleet.$$
WORK=$RIG.work
IMAGE_NAME=fleet-bench
HOSTS=3

msg() { echo "bench-fleet: $*" >&2; }
die() { echo "bench-fleet: $*" >&2; exit 1; }

# shellcheck source=rig.bash
. "$SRC/bench/rig.bash"

# The servers stop before the rig (bench_cleanup).
bench_before_stop() {
	local i
	for ((i = 1; i <= HOSTS; i++)); do
		fleet_stop "$i" > /dev/null 2>&1 || true
	done
}

[ "$(id -u)" = 0 ] || die "must run as root (the rig's dockerd needs it)"
[ -x "$DOCKERUP" ] || die "$DOCKERUP: not built; run make first"
for v in "$RUNS" "$INTERVAL" "$MONITOR" "$TIMEOUT"; do
	case $v in
	'' | *[!0-9]* | 0) die "\"$v\": expected a number >= 1 (see bench/fleet.sh)" ;;
	esac
done

mkdir -p "$OUT"
bench_rig_start

# The fleet tests' helpers: hosts, servers, etcd, registry pushes.
DOCKERUP_SRC=$SRC
# shellcheck source=../tests/integration/helpers.bash
. "$SRC/tests/integration/helpers.bash"
# shellcheck source=../tests/integration/fleet_helpers.bash
. "$SRC/tests/integration/fleet_helpers.bash"
fleet_setup "$HOSTS"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# def ROLLING(true|false): the definition.
def() {
	printf '{"type": "docker", "name": "fleet-bench", "image": "%s/%s:latest", "update": {"monitor": %d, "rolling": %s}, "command": ["sh", "-c", "trap \\"exit 0\\" TERM; sleep 100000 & wait"]}' \
	    "$RIG_REGISTRY" "$IMAGE_NAME" "$MONITOR" "$1"
}

# started_ms N: when host N's fleet-bench started, in ms since the epoch.
started_ms() {
	local t
	t=$(fleet_dk "$1" inspect -f '{{.State.StartedAt}}' fleet-bench)
	echo $(($(date -d "$t" +%s%N) / 1000000))
}

RAW=$WORK/fleet.tsv
printf 'mode\trun\tms\tfirst_ms\tspread_ms\tstatus\n' > "$RAW"
VERSION=1
ID=$(fleet_push_image "$IMAGE_NAME" "$VERSION")

# rollout MODE RUN: one timed rollout, one row.
rollout() {
	local mode=$1 run=$2 rolling=false i t0 rc=0 s lo='' hi=''
	[ "$mode" = rolling ] && rolling=true
	BATS_TEST_NUMBER=$mode$run
	BATS_TEST_TMPDIR=$WORK/$mode$run
	mkdir -p "$BATS_TEST_TMPDIR"
	fleet_test_setup
	etcd_put "$FLEET_PREFIX/$FLEET_GROUP/containers/fleet-bench" "$(def "$rolling")"
	for ((i = 1; i <= HOSTS; i++)); do
		fleet_start "$i" --interval "$INTERVAL" --pull -v
	done
	fleet_wait 60 fleet_all fleet_runs_image fleet-bench "$ID" ||
	    die "$mode run $run: the fleet did not start version $VERSION"
	VERSION=$((VERSION + 1))
	# fleet_push_image, with the clock started between the import and
	# the push: a host may pull the manifest before docker push returns.
	rig_image "$RIG_REGISTRY/$IMAGE_NAME:latest" "$VERSION"
	t0=$(now_ms)
	dk push -q "$RIG_REGISTRY/$IMAGE_NAME:latest" > /dev/null
	ID=$(dk image inspect -f '{{.Id}}' "$RIG_REGISTRY/$IMAGE_NAME:latest")
	fleet_wait "$TIMEOUT" fleet_all fleet_runs_image fleet-bench "$ID" || rc=1
	if [ "$rc" -eq 0 ]; then
		for ((i = 1; i <= HOSTS; i++)); do
			s=$(started_ms "$i")
			[ -z "$lo" ] || [ "$s" -lt "$lo" ] && lo=$s
			[ -z "$hi" ] || [ "$s" -gt "$hi" ] && hi=$s
		done
		msg "$(printf '%-8s run %d: all three %6d ms, first %6d ms, spread %6d ms' \
		    "$mode" "$run" "$((hi - t0))" "$((lo - t0))" "$((hi - lo))")"
		printf '%s\t%d\t%d\t%d\t%d\tok\n' "$mode" "$run" "$((hi - t0))" \
		    "$((lo - t0))" "$((hi - lo))" >> "$RAW"
	else
		msg "$mode run $run: not rolled through in ${TIMEOUT}s; logs in $BATS_TEST_TMPDIR"
		cp -r "$BATS_TEST_TMPDIR" "$OUT/fleet-failed-$mode$run" || true
		printf '%s\t%d\t-\t-\t-\tfailed\n' "$mode" "$run" >> "$RAW"
	fi
	fleet_test_teardown || msg "$mode run $run: teardown: a server did not stop cleanly"
}

T0=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
	# The modes alternate, each going first every other run.
	if [ $((run % 2)) = 1 ]; then modes="off rolling"; else modes="rolling off"; fi
	for mode in $modes; do
		rollout "$mode" "$run"
	done
done
msg "measured in $(($(date +%s) - T0)) s"

# --- report -----------------------------------------------------------------------

cp "$RAW" "$OUT/fleet.tsv"
{
	echo "# A fleet of three rolls a new image through"
	echo
	echo "\`make bench-fleet\` (bench/fleet.sh): three dockerup servers, each on its own"
	echo "private engine, one etcd, one registry; timed from the start of the push of a"
	echo "new image to the start of the last host's new container (dockerd's"
	echo "State.StartedAt); the first host's, and the spread.  Interval ${INTERVAL} s,"
	echo "update.monitor ${MONITOR} s, ${RUNS} rollouts per mode."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- dockerup: $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')"
	echo
	echo "| update.rolling | all three: median (min-max) s | first host: median s | start spread: median s | failed |"
	echo "|---|---|---|---|---|"
	for mode in off rolling; do
		awk -F'\t' -v m="$mode" '
		    function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		    }
		    $1 == m && $6 == "ok" { n++; all[n] = $3; first[n] = $4; spread[n] = $5
			if (min == "" || $3 < min) min = $3
			if (max == "" || $3 > max) max = $3 }
		    $1 == m && $6 != "ok" { failed++ }
		    END {
			name = m == "off" ? "off" : "true"
			if (n == 0) { printf "| %s | - | - | - | %d |\n", name, failed; exit }
			printf "| %s | %.2f (%.2f-%.2f) | %.2f | %.2f | %d |\n", name,
			    median(all, n) / 1000, min / 1000, max / 1000,
			    median(first, n) / 1000, median(spread, n) / 1000, failed
		    }' "$RAW"
	done
} > "$OUT/fleet.md"
cat "$OUT/fleet.md" >&2
msg "wrote $OUT/fleet.md, $OUT/fleet.tsv"
