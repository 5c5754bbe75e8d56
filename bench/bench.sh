#!/bin/bash
# dockerup against docker-compose, on a private engine (make bench).
#
#   bench/bench.sh            (make bench; variables below, all optional)
#
#   BENCH_N="10 50 100"       numbers of containers
#   BENCH_RUNS=5              runs per cell (median, min, max over these)
#   BENCH_VARIANTS="indep chain"  independent containers, and a chain where
#                             container i takes volumes from container i-1
#   BENCH_TOOLS="dockerup compose floor"
#   BENCH_OUT=bench/results   where latest.md, latest.png, latest.tsv go
#   BENCH_CMD_TIMEOUT=900     seconds one timed command may take; a command
#                             killed by it is recorded as failed
#
# For each variant and N, each run does, for each tool in turn (the order
# rotates from run to run, so that no tool always goes first):
#   cold      images present locally, no containers: converge
#   noop      nothing changed, pulling off
#   noop-pull nothing changed, pulling on (one registry check per image)
#   changed   the environment of the middle definition changed
#   update    every image got a new version in the registry: pull, replace
# then removes every container.  Timed: the tool's command only; the setup
# (new definitions, new image versions in the registry, removal) is not.
#
# The tools:
#   dockerup  ./dockerup --confdir DIR [-v] [--no-pull]: cold, noop and
#             changed with --no-pull (as compose's up, which does not pull);
#             noop-pull and update with pulling on
#   compose   docker-compose -p bench up -d on the equivalent compose file;
#             noop-pull and update: docker-compose pull -q, then up -d
#   floor     a plain docker CLI loop doing the least a script could do:
#             cold: docker run -d per container, in dependency order;
#             noop: one docker ps -a; noop-pull: docker ps -a, then docker
#             pull per image; changed: docker rm -f + docker run of the one
#             changed; update: docker pull, docker rm -f, docker run for
#             each container in order
#   direct    update only: the Docker calls dockerup makes for it, sent
#             with curl at dockerup's parallelism (bounds.h) and nothing
#             else (no registry check, gate, cleanup or bookkeeping): pull
#             each image; then per container rename the old one, create
#             the new one, stop the old one, start the new one, remove the
#             old one (chain: one container after another).  What the
#             calls alone cost (plus a curl process per call).
#
# docker-compose 1.29 deadlocks when a project has more services than
# COMPOSE_PARALLEL_LIMIT (default 64): its nested parallel_execute() calls
# exhaust the limit (docker/compose#7486, #5864, #8226; seen here at
# N = 100: 26 of 100 containers up, 138 threads waiting, no request to
# dockerd for 14 minutes).  The limit is set above twice the largest N,
# the known workaround, so that compose runs as fast as it can.
#
# Docker API requests are counted from the rig's dockerd --debug log
# ('msg="Calling ...' lines) over the tool's command.  Peak RSS is the line
# dockerup -v logs at exit.  The benchmark never fails because something
# is slow; a run whose tool fails is recorded (and counted in the report).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERUP=$SRC/dockerup
N_LIST=${BENCH_N:-10 50 100}
RUNS=${BENCH_RUNS:-5}
VARIANTS=${BENCH_VARIANTS:-indep chain}
TOOLS=${BENCH_TOOLS:-dockerup compose floor direct}
CMD_TIMEOUT=${BENCH_CMD_TIMEOUT:-900}
OUT=${BENCH_OUT:-$SRC/bench/results}
COMPOSE=/usr/bin/docker-compose
DOCKER=/usr/bin/docker
RIG=/tmp/dockerup-bench.$$
WORK=$RIG.work
CMD='["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]'
SH_CMD='trap "exit 0" TERM; sleep 100000 & wait'

msg() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# shellcheck source=rig.bash
. "$SRC/bench/rig.bash"

[ "$(id -u)" = 0 ] || die "must run as root (the rig's dockerd needs it)"
[ -x "$DOCKERUP" ] || die "$DOCKERUP: not built; run make first"
[ -x "$COMPOSE" ] || die "$COMPOSE: missing; install docker-compose"
command -v gnuplot > /dev/null || die "gnuplot: missing; install gnuplot-nox"
for n in $N_LIST; do
	case $n in
	'' | *[!0-9]*) die "BENCH_N: \"$n\" is not a number" ;;
	esac
	[ "$n" -ge 1 ] && [ "$n" -le 512 ] ||
	    die "BENCH_N: $n; expected 1 to 512 (MAX_DEFINITIONS)"
done
case $RUNS in
'' | *[!0-9]* | 0) die "BENCH_RUNS: \"$RUNS\"; expected a number >= 1" ;;
esac

mkdir -p "$OUT"
bench_rig_start
export COMPOSE_INTERACTIVE_NO_CLI=1 COMPOSE_HTTP_TIMEOUT=300
export COMPOSE_PARALLEL_LIMIT=1024
unset COMPOSE_FILE COMPOSE_PROJECT_NAME

dk() { timeout -k 10 "$CMD_TIMEOUT" "$DOCKER" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
log_size() { stat -c %s "$RIG/dockerd.log"; }
api_since() {
	tail -c +"$(($1 + 1))" "$RIG/dockerd.log" | grep -c 'msg="Calling ' ||
	    true
}
name() { printf 'c%03d' "$1"; }
image() { printf '%s/bench-%03d:1' "$RIG_REGISTRY" "$1"; }

# --- images ------------------------------------------------------------------

NMAX=0
for n in $N_LIST; do [ "$n" -gt "$NMAX" ] && NMAX=$n; done
VERSION=1

# Pushes version VERSION of images 1..N to the rig's registry (images
# above N keep the version they have, in the registry as in the engine).
push_images() {
	python3 "$SRC/bench/regimages.py" --registry "$RIG_REGISTRY" \
	    --save "$WORK/save" --count "$1" --version "$VERSION"
}

# Pulls images 1..N into the engine through the API (untimed setup).
pull_images() {
	local i ref
	for ((i = 1; i <= $1; i++)); do
		ref=$(image "$i")
		curl -sf --unix-socket "$RIG/docker.sock" -X POST \
		    "http://localhost/images/create?fromImage=${ref%:1}&tag=1" \
		    > /dev/null || die "pulling $ref failed"
	done
}

mkdir -p "$WORK/save"
dk save "$RIG_IMAGE" | tar -x -C "$WORK/save"
push_images "$NMAX"
pull_images "$NMAX"

# --- definitions ---------------------------------------------------------------

# write_defs N VARIANT CHANGE: dockerup's definitions and the compose file,
# equal in content; CHANGE is the middle container's one environment value.
# Compose has no health gate, so the definitions set update.monitor 0:
# both tools then do the same work.  With the gate, an update takes
# update.monitor seconds more (10 by default), once per run: every
# pending gate is watched in the same loop.
write_defs() {
	local n=$1 variant=$2 change=$3 i mid=$((($1 + 1) / 2)) from env vf
	rm -rf "$WORK/defs"
	mkdir -p "$WORK/defs" "$WORK/compose"
	{
		echo 'version: "2.4"'
		echo 'services:'
	} > "$WORK/compose/docker-compose.yml"
	for ((i = 1; i <= n; i++)); do
		from='' env='' vf=''
		if [ "$variant" = chain ] && [ "$i" -gt 1 ]; then
			from=', "volumes": [{"from": "'$(name $((i - 1)))'"}]'
			vf="    volumes_from: [\"$(name $((i - 1)))\"]"
		fi
		[ "$i" = "$mid" ] &&
		    env=', "env": {"BENCH_CHANGE": "'$change'"}'
		printf '{"type": "docker", "name": "%s", "image": "%s", "network": "none", "restart": "on-failure", "update": {"monitor": 0}, "command": %s%s%s}\n' \
		    "$(name "$i")" "$(image "$i")" "$CMD" "$from" "$env" \
		    > "$WORK/defs/$(name "$i").json"
		{
			echo "  $(name "$i"):"
			echo "    image: $(image "$i")"
			echo "    container_name: $(name "$i")"
			echo "    network_mode: none"
			echo "    restart: on-failure"
			echo "    command: [\"/bin/sh\", \"-c\", \"trap \\\"exit 0\\\" TERM; sleep 100000 & wait\"]"
			[ -n "$vf" ] && echo "$vf"
			[ "$i" = "$mid" ] &&
			    echo "    environment: {BENCH_CHANGE: \"$change\"}"
			true
		} >> "$WORK/compose/docker-compose.yml"
	done
	echo "$n $variant $change" > "$WORK/defs.state"
}

# --- the tools -------------------------------------------------------------------

: > "$WORK/empty.conf"
mkdir -p "$WORK/cache"

run_dockerup() {
	timeout -k 10 "$CMD_TIMEOUT" "$DOCKERUP" --config "$WORK/empty.conf" --remote "$DOCKER_HOST" \
	    --confdir "$WORK/defs" --cache "$WORK/cache" -v "$@"
}

run_compose() {
	timeout -k 10 "$CMD_TIMEOUT" "$COMPOSE" -p bench -f "$WORK/compose/docker-compose.yml" "$@"
}

# floor_run I VARIANT CHANGE: the docker run of container I.
floor_run() {
	local i=$1 n mid extra=()
	read -r n _ _ < "$WORK/defs.state"
	mid=$(((n + 1) / 2))
	[ "$2" = chain ] && [ "$i" -gt 1 ] &&
	    extra+=(--volumes-from "$(name $((i - 1)))")
	[ "$i" = "$mid" ] && extra+=(-e "BENCH_CHANGE=$3")
	dk run -d --name "$(name "$i")" --network none \
	    --restart on-failure "${extra[@]}" "$(image "$i")" \
	    /bin/sh -c "$SH_CMD" > /dev/null
}

# dockerup's parallelism, stated once in bounds.h.
bound() { sed -n "s/^#define $1 *\([0-9]*\).*/\1/p" "$SRC/src/common/bounds.h"; }
PULL_PARALLEL=$(bound PULL_PARALLEL)
REPLACE_PARALLEL=$(bound REPLACE_PARALLEL)
[ -n "$PULL_PARALLEL" ] && [ -n "$REPLACE_PARALLEL" ] ||
    die "src/common/bounds.h: PULL_PARALLEL or REPLACE_PARALLEL not found"

# direct_api METHOD PATH [BODY]: one Docker API call; fails on HTTP >= 400.
direct_api() {
	curl -sf --unix-socket "$RIG/docker.sock" -X "$1" \
	    ${3:+-H 'Content-Type: application/json' -d "$3"} \
	    "http://localhost$2" -o /dev/null
}

# direct_replace I VARIANT CHANGE: container I replaced by a new one of
# its image, as dockerup's stop-first replacement does it.
direct_replace() {
	local i=$1 nm n env='' from=''
	nm=$(name "$i")
	read -r n _ _ < "$WORK/defs.state"
	[ "$i" = $(((n + 1) / 2)) ] && env=',"Env":["BENCH_CHANGE='$3'"]'
	[ "$2" = chain ] && [ "$i" -gt 1 ] &&
	    from=',"VolumesFrom":["'$(name $((i - 1)))'"]'
	direct_api POST "/containers/$nm/rename?name=$nm-old" &&
	    direct_api POST "/containers/create?name=$nm" \
		'{"Image":"'"$(image "$i")"'","Cmd":'"$CMD$env"',"HostConfig":{"NetworkMode":"none","RestartPolicy":{"Name":"on-failure"}'"$from"'}}' &&
	    direct_api POST "/containers/$nm-old/stop" &&
	    direct_api POST "/containers/$nm/start" &&
	    direct_api DELETE "/containers/$nm-old"
}

direct_pull() {
	local ref
	ref=$(image "$1")
	direct_api POST "/images/create?fromImage=${ref%:1}&tag=1"
}
export -f direct_api direct_replace direct_pull name image
export RIG WORK CMD RIG_REGISTRY

# direct_update N VARIANT CHANGE: the direct tool's update.
direct_update() {
	local i
	seq 1 "$1" | xargs -P "$PULL_PARALLEL" -I{} bash -c 'direct_pull {}' ||
	    return 1
	if [ "$2" = chain ]; then
		for ((i = 1; i <= $1; i++)); do
			direct_replace "$i" "$2" "$3" || return 1
		done
	else
		seq 1 "$1" | xargs -P "$REPLACE_PARALLEL" -I{} \
		    bash -c 'direct_replace {} "$0" "$1"' "$2" "$3"
	fi
}

# tool_cmd TOOL SCENARIO N VARIANT CHANGE: what is timed.
tool_cmd() {
	local tool=$1 sc=$2 n=$3 variant=$4 change=$5 i mid=$((($3 + 1) / 2))
	case $tool/$sc in
	dockerup/cold | dockerup/noop | dockerup/changed)
		run_dockerup --no-pull ;;
	dockerup/noop-pull | dockerup/update)
		run_dockerup ;;
	compose/cold | compose/noop | compose/changed)
		run_compose up -d ;;
	compose/noop-pull | compose/update)
		run_compose pull -q && run_compose up -d ;;
	floor/cold)
		for ((i = 1; i <= n; i++)); do
			floor_run "$i" "$variant" "$change" || return 1
		done ;;
	floor/noop)
		dk ps -a > /dev/null ;;
	floor/noop-pull)
		dk ps -a > /dev/null
		for ((i = 1; i <= n; i++)); do
			dk pull -q "$(image "$i")" > /dev/null || return 1
		done ;;
	floor/changed)
		dk rm -f "$(name "$mid")" > /dev/null &&
		    floor_run "$mid" "$variant" "$change" ;;
	floor/update)
		for ((i = 1; i <= n; i++)); do
			dk pull -q "$(image "$i")" > /dev/null || return 1
		done
		for ((i = 1; i <= n; i++)); do
			dk rm -f "$(name "$i")" > /dev/null &&
			    floor_run "$i" "$variant" "$change" || return 1
		done ;;
	direct/update)
		direct_update "$n" "$variant" "$change" ;;
	*) die "tool_cmd: $tool/$sc" ;;
	esac
}

RAW=$WORK/raw.tsv
printf 'variant\tn\ttool\tscenario\trun\tms\tapi\tstatus\trss_parent\trss_fetcher\trss_engine\tcpu_ms\n' > "$RAW"

# The machine's busy CPU time (every process: user, nice, system, irq,
# softirq, steal), in clock ticks.  Over a timed command it is what the
# engine (dockerd, containerd, the shims, runc), the rig's registry and
# the tool did for it: the work that keeps the cores busy.
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# measure TOOL SCENARIO N VARIANT RUN CHANGE: one timed command, one row.
measure() {
	local tool=$1 sc=$2 n=$3 variant=$4 run=$5 change=$6 off t0 t1 c0 c1 rc=0
	local rss='-	-	-' log=$WORK/last.log
	off=$(log_size)
	c0=$(cpu_ticks)
	t0=$(now_ms)
	tool_cmd "$tool" "$sc" "$n" "$variant" "$change" > "$log" 2>&1 || rc=$?
	t1=$(now_ms)
	c1=$(cpu_ticks)
	if [ "$tool" = dockerup ]; then
		rss=$(sed -n 's/.*peak RSS: parent \([0-9.]*\) MiB, fetcher \([0-9.]*\) MiB, engine \([0-9.]*\) MiB.*/\1\t\2\t\3/p' "$log" | tail -n 1)
		[ -n "$rss" ] || rss='-	-	-'
	fi
	if [ "$rc" -ne 0 ]; then
		msg "$tool $sc N=$n $variant run $run: exit status $rc; its output:"
		tail -n 15 "$log" >&2
		cp "$log" "$WORK/failed-$tool-$sc-$n-$variant-$run.log"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$n" \
	    "$tool" "$sc" "$run" "$((t1 - t0))" "$(api_since "$off")" "$rc" \
	    "$rss" "$(((c1 - c0) * 1000 / HZ))" >> "$RAW"
	printf '  %-8s %-9s %6d ms %5s API requests%s\n' "$tool" "$sc" \
	    "$((t1 - t0))" "$(api_since "$off")" \
	    "$([ "$rc" -ne 0 ] && echo " (FAILED: $rc)")" >&2
}

remove_all() {
	local ids
	ids=$(dk ps -aq)
	[ -z "$ids" ] && return 0
	# shellcheck disable=SC2086
	dk rm -f $ids > /dev/null 2>&1 || true
	ids=$(dk ps -aq)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || dk rm -f $ids > /dev/null
}

# One tool's whole sequence of scenarios, from no containers.
tool_round() {
	local tool=$1 n=$2 variant=$3 run=$4
	remove_all
	write_defs "$n" "$variant" "r$run"
	if [ "$tool" = direct ]; then
		# Only its update is measured; dockerup sets up (untimed).
		write_defs "$n" "$variant" "r$run-changed"
		run_dockerup --no-pull > "$WORK/last.log" 2>&1 ||
		    die "direct: setting up with dockerup failed"
		VERSION=$((VERSION + 1))
		push_images "$n"
		measure "$tool" update "$n" "$variant" "$run" "r$run-changed"
		remove_all
		return
	fi
	measure "$tool" cold "$n" "$variant" "$run" "r$run"
	measure "$tool" noop "$n" "$variant" "$run" "r$run"
	measure "$tool" noop-pull "$n" "$variant" "$run" "r$run"
	write_defs "$n" "$variant" "r$run-changed"
	measure "$tool" changed "$n" "$variant" "$run" "r$run-changed"
	VERSION=$((VERSION + 1))
	push_images "$n"
	measure "$tool" update "$n" "$variant" "$run" "r$run-changed"
	remove_all
}

set -- $TOOLS
NTOOLS=$#
T0=$(date +%s)
for variant in $VARIANTS; do
	for n in $N_LIST; do
		# Whatever a failed round left: the engine holds what the
		# registry has, so that no-op runs find nothing to pull.
		pull_images "$n"
		for ((run = 1; run <= RUNS; run++)); do
			set -- $TOOLS
			for ((k = 0; k < NTOOLS; k++)); do
				# rotate: run r starts with tool (r-1) mod count
				idx=$(((run - 1 + k) % NTOOLS + 1))
				tool=${!idx}
				msg "$variant N=$n run $run/$RUNS: $tool"
				tool_round "$tool" "$n" "$variant" "$run"
			done
		done
	done
done
msg "measured in $(($(date +%s) - T0)) s"

# --- validation cost, a machine-independent check of linearity -----------------

VALBENCH=${VALBENCH:-$SRC/build/bench/valbench}
case $VALBENCH in /*) ;; *) VALBENCH=$SRC/$VALBENCH ;; esac
if [ -x "$VALBENCH" ]; then
	"$VALBENCH" > "$WORK/valbench.txt" || true
fi

# --- the memory floor of libcurl, machine-specific but not load-specific ---------

RSSFLOOR=${RSSFLOOR:-$SRC/build/bench/rssfloor}
case $RSSFLOOR in /*) ;; *) RSSFLOOR=$SRC/$RSSFLOOR ;; esac
if [ -x "$RSSFLOOR" ]; then
	"$RSSFLOOR" > "$WORK/rssfloor.txt" || true
fi

# --- report -----------------------------------------------------------------------

{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host=$(uname -srm)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) cores)"
	echo "mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "docker=$(dk version -f '{{.Server.Version}} (API {{.Server.APIVersion}})')"
	echo "compose=$("$COMPOSE" version --short 2>/dev/null || echo '?')"
	echo "dockerup=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')"
	echo "runs=$RUNS"
	echo "ncpu=$(nproc)"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$WORK/machine.txt"
cp "$RAW" "$OUT/latest.tsv"
python3 "$SRC/bench/report.py" --raw "$RAW" --machine "$WORK/machine.txt" \
    --valbench "$WORK/valbench.txt" --rssfloor "$WORK/rssfloor.txt" \
    --md "$OUT/latest.md" \
    --plot "$WORK/plot"
(cd "$WORK/plot" && gnuplot plot.gp) && cp "$WORK/plot/latest.png" "$OUT/latest.png" ||
    msg "gnuplot failed; no plot"
msg "wrote $OUT/latest.md, $OUT/latest.png, $OUT/latest.tsv"
