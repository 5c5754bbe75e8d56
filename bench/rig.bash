# The private rig a benchmark runs on; sourced by bench/bench.sh and
# bench/fleet.sh, which set SRC, DOCKERUP, RIG (the rig's directory), WORK
# (a scratch directory) and msg first.
#
#   bench_rig_start     stops it all at exit (and on INT, TERM), makes WORK,
#                       copies DOCKERUP there (one binary for the whole run,
#                       whatever is rebuilt meanwhile) and points DOCKERUP
#                       at the copy, starts the rig in RIG and exports its
#                       variables (tests/rig/rig.sh env)
#   bench_before_stop   the script's own function, if it has one: run at
#                       exit, before the rig stops

bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$(type -t bench_before_stop)" = function ]; then
		bench_before_stop || true
	fi
	if [ -e "$RIG/rig.created" ]; then
		msg "stopping the rig in $RIG"
		"$SRC/tests/rig/rig.sh" stop "$RIG" || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}

bench_rig_start() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$WORK"
	cp "$DOCKERUP" "$WORK/dockerup"
	DOCKERUP=$WORK/dockerup
	"$SRC/tests/rig/rig.sh" start "$RIG"
	eval "$("$SRC/tests/rig/rig.sh" env "$RIG")"
}
