#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every unit
# test, starts one test rig, runs every tests/integration/*.bats against the
# real dockerup binary, stops the rig, and ends with the line
#   N passed, N failed[, N skipped]
# exiting non-zero when anything failed.
#
#   tests/run.sh [--asan]      --asan: the ASan+UBSan build (build-asan/)
#   tests/run.sh --unit        the unit tests alone (make check): no package
#                              installation, no engine, no root needed
#
# Environment: DOCKERUP (the binary under test; default ./dockerup or
# build-asan/dockerup), SUITE_TIMEOUT (seconds per integration suite,
# default 1200), BATS_TEST_TIMEOUT (seconds per integration test, default
# 300), UNIT_TIMEOUT (seconds per unit test binary, default 300),
# BATS_FILTER (a regex passed to bats --filter), SUITES (integration files
# to run instead of all of them, space-separated).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
MAKE=${MAKE:-make}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-1200}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
# bats fails a single test that runs longer ("# timeout after Ns").
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
ASAN=0 UNIT_ONLY=0
case "${1:-}" in
--asan) ASAN=1 ;;
--unit) UNIT_ONLY=1 ;;
"") ;;
*) echo "usage: tests/run.sh [--asan | --unit]" >&2; exit 2 ;;
esac

PASSED=0 FAILED=0 SKIPPED=0
TIMINGS=()
FAILURES=()
RIG=
WORK=$(mktemp -d /tmp/dockerup-run.XXXXXX)
CHILD=

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '\n=== %s\n' "$*"; }

# NAME P F S SECONDS: adds a suite's counts to the totals.
record() {
	PASSED=$((PASSED + $2)) FAILED=$((FAILED + $3)) SKIPPED=$((SKIPPED + $4))
	TIMINGS+=("$(printf '%-34s %4d ok %4d failed %4d skipped %7ss' \
	    "$1" "$2" "$3" "$4" "$5")")
}

# Ends every process of session SID (a run_child and all it started,
# whatever process groups they made, as timeout(1) does): TERM, then KILL.
end_session() {
	local sid=$1 i
	pkill -TERM -s "$sid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		[ -n "$(session_pids "$sid")" ] || return 0
		sleep 0.1
	done
	pkill -KILL -s "$sid" 2>/dev/null
	return 0
}

# The live processes of session SID (zombies waiting for init are gone).
session_pids() {
	ps -o pid=,stat= -s "$1" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$CHILD" ] && end_session "$CHILD"
	if [ -n "$RIG" ]; then
		tests/rig/rig.sh stop "$RIG" || echo "run.sh: rig stop failed for $RIG" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
on_signal() {
	echo "run.sh: interrupted" >&2
	exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

# Runs a command in its own session, in the background, so that a signal
# to this script reaches the trap at once and the trap can end everything
# the command started.
# Whatever the command left running (a test's forgotten daemon, say) is
# ended too, and named.
run_child() {
	local rc left
	setsid "$@" &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	left=$(session_pids "$CHILD")
	if [ -n "$left" ]; then
		echo "run.sh: ending processes left behind:"
		ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | sed 's/^/    /'
		end_session "$CHILD"
	fi
	CHILD=
	return $rc
}

# --- build -------------------------------------------------------------------

step() {
	local name=$1 t0 rc
	shift
	say "$name"
	t0=$(now)
	run_child "$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		record "$name" 0 1 0 "$(since "$t0")"
		FAILURES+=("$name (exit status $rc)")
	else
		TIMINGS+=("$(printf '%-34s %30s %7ss' "$name" "done" "$(since "$t0")")")
	fi
	return $rc
}

if [ "$UNIT_ONLY" = 1 ]; then
	BUILD_DIR=build
	step build-unit-tests "$MAKE" -k -j"$(nproc)" unit-tests || true
	SUITES=none
elif [ "$ASAN" = 1 ]; then
	step deps tests/rig/deps.sh || true
	BUILD_DIR=build-asan
	step build "$MAKE" -j"$(nproc)" asan || true
	step build-unit-tests "$MAKE" -k -j"$(nproc)" unit-tests-asan || true
	step build-test-tools "$MAKE" -j"$(nproc)" test-tools-asan || true
	DOCKERUP=${DOCKERUP:-$ROOT/build-asan/dockerup}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
else
	step deps tests/rig/deps.sh || true
	BUILD_DIR=build
	step build "$MAKE" -j"$(nproc)" || true
	step build-unit-tests "$MAKE" -k -j"$(nproc)" unit-tests || true
	step build-test-tools "$MAKE" -j"$(nproc)" test-tools || true
	DOCKERUP=${DOCKERUP:-$ROOT/dockerup}
fi
[ "$UNIT_ONLY" = 1 ] || step build-test-hooks "$MAKE" -j"$(nproc)" test-hooks || true
DOCKERUP_TOOLS=$ROOT/$BUILD_DIR/tests/tools
DOCKERUP_HOOKS=$ROOT/build-hooks/dockerup
export DOCKERUP DOCKERUP_SRC=$ROOT DOCKERUP_TOOLS DOCKERUP_HOOKS

# --- unit tests ----------------------------------------------------------------

# Counts one cmocka binary's results from its summary; a binary that died
# before its summary has every test it did not finish counted as failed.
count_cmocka() {
	local log=$1 rc=$2 total p f s
	total=$(sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\./\1/p' "$log" | head -1)
	if grep -q '^\[==========\] [0-9]* test(s) run\.' "$log"; then
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | head -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | head -1)
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | head -1)
		p=${p:-0} f=${f:-0} s=${s:-0}
		# Tests all passed but the binary failed (a leak report at exit,
		# say): one more failure.
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	else
		p=$(grep -c '^\[       OK \]' "$log")
		s=$(grep -c '^\[  SKIPPED \] [^0-9]' "$log")
		f=$(( ${total:-0} - p - s ))
		[ "$f" -lt 1 ] && f=1
	fi
	echo "$p $f $s"
}

# PATTERN SED LOG: names the failed tests under their suite's failure line.
failed_names() {
	local t
	while IFS= read -r t; do
		FAILURES+=("    $t")
	done < <(grep -E "$1" "$3" | sed "$2")
}

for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	bin=$BUILD_DIR/tests/$name
	say "unit/$name"
	t0=$(now)
	if [ ! -x "$bin" ] || [ "$bin" -ot "$src" ]; then
		echo "$bin: not built (see the build-unit-tests step above)"
		record "unit/$name" 0 1 0 0
		FAILURES+=("unit/$name: did not build")
		continue
	fi
	log=$WORK/$name.log
	# To a file, not a pipe: a forked child that keeps the output open
	# must not keep the runner waiting.
	run_child timeout -k 5 "$UNIT_TIMEOUT" "$bin" > "$log" 2>&1
	rc=$?
	cat "$log"
	[ $rc -eq 124 ] && echo "$bin: timed out after ${UNIT_TIMEOUT}s"
	read -r p f s <<< "$(count_cmocka "$log" "$rc")"
	record "unit/$name" "$p" "$f" "$s" "$(since "$t0")"
	if [ "$f" -gt 0 ]; then
		FAILURES+=("unit/$name: $f failed (exit status $rc)")
		failed_names '^\[  FAILED  \] [^0-9]' 's/^\[  FAILED  \] //' "$log"
	fi
done

# --- rig and integration tests ---------------------------------------------------

# Counts one bats --tap run: ok, not ok, "# skip"; tests the plan promised
# but that never reported (a crash, a timeout) count as failed.
count_tap() {
	local log=$1 rc=$2
	awk -v rc="$rc" '
	    /^1\.\.[0-9]+/ { split($0, a, "\\."); plan = a[3] + 0 }
	    /^not ok / { f++; next }
	    /^ok / { if ($0 ~ /# [sS][kK][iI][pP]/) s++; else p++ }
	    END {
		missing = plan - (p + f + s)
		if (missing > 0) f += missing
		if (rc != 0 && f == 0) f = 1
		printf "%d %d %d\n", p, f, s
	    }' "$log"
}

SUITES=${SUITES:-$(ls tests/integration/*.bats 2>/dev/null)}
if [ "$SUITES" != none ] && [ -n "$SUITES" ]; then
	say "rig start"
	t0=$(now)
	RIG=$(mktemp -d /tmp/dockerup-rig.XXXXXX)
	if run_child tests/rig/rig.sh start "$RIG"; then
		TIMINGS+=("$(printf '%-34s %30s %7ss' "rig start" "done" "$(since "$t0")")")
		eval "$(tests/rig/rig.sh env "$RIG")"
	else
		record "rig start" 0 1 0 "$(since "$t0")"
		FAILURES+=("rig start")
	fi
	filter=()
	[ -n "${BATS_FILTER:-}" ] && filter=(--filter "$BATS_FILTER")
	for suite in $SUITES; do
		name=integration/$(basename "$suite" .bats)
		say "$name"
		t0=$(now)
		log=$WORK/$(basename "$suite").tap
		# Output goes to a file that tail follows until bats ends, so
		# that a daemon a test left behind cannot hold the runner.
		run_child bash -c 'timeout -k 10 "$1" bats --tap "${@:4}" "$2" \
		    > "$3" 2>&1 & b=$!
		    tail -s 0.2 -n +1 -f --pid=$b "$3"; wait $b' _ \
		    "$SUITE_TIMEOUT" "$suite" "$log" "${filter[@]}"
		rc=$?
		[ $rc -eq 124 ] && echo "$suite: timed out after ${SUITE_TIMEOUT}s"
		read -r p f s <<< "$(count_tap "$log" "$rc")"
		record "$name" "$p" "$f" "$s" "$(since "$t0")"
		if [ "$f" -gt 0 ]; then
			FAILURES+=("$name: $f failed")
			failed_names '^not ok ' 's/^not ok //' "$log"
		fi
	done
	say "rig stop"
	t0=$(now)
	if tests/rig/rig.sh stop "$RIG"; then
		TIMINGS+=("$(printf '%-34s %30s %7ss' "rig stop" "done" "$(since "$t0")")")
	else
		record "rig stop" 0 1 0 "$(since "$t0")"
		FAILURES+=("rig stop")
	fi
	RIG=
fi

# --- summary ---------------------------------------------------------------------

say "summary$([ "$ASAN" = 1 ] && echo " (ASan+UBSan build)")$([ "$UNIT_ONLY" = 1 ] && echo " (unit tests only)")"
printf '%s\n' "${TIMINGS[@]}"
if [ ${#FAILURES[@]} -gt 0 ]; then
	echo
	echo "failures:"
	printf '  %s\n' "${FAILURES[@]}"
fi
echo
line="$PASSED passed, $FAILED failed"
[ "$SKIPPED" -gt 0 ] && line="$line, $SKIPPED skipped"
echo "$line"
[ "$FAILED" -eq 0 ]
