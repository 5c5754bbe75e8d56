#!/usr/bin/env bats
# Installing and running under a service manager (issue #7): the tree
# `make install` builds, the man pages and --help against the code (lists
# taken from the sources and the binary, never written out here), the
# systemd unit, and the sd_notify messages a service manager receives.

load helpers

SRC=$DOCKERUP_SRC

setup() {
	setup_confdir
	LOG=$BATS_TEST_TMPDIR/dockerup.log
	NOTIFY_LOG=$BATS_TEST_TMPDIR/notify.log
	LISTENER_PID=
	umask 022
}

teardown() {
	stop_dockerup || true
	if [ -n "${TEST_ACCOUNT:-}" ] && id -u "$TEST_ACCOUNT" > /dev/null 2>&1; then
		userdel "$TEST_ACCOUNT"
	fi
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	cleanup_containers
}

# --- make install ----------------------------------------------------------

# do_install DEST [VAR=VALUE...]: make install into DEST with the binary
# under test as it is (-o: never rebuilt here).
do_install() {
	local dest=$1
	shift
	[ -x "$SRC/dockerup" ] || fail "$SRC/dockerup is not built"
	run make -s -C "$SRC" -o dockerup install DESTDIR="$dest" "$@"
	[ "$status" -eq 0 ] || { echo "$output"; fail "make install failed"; }
}

# tree DIR: "TYPE MODE PATH" of everything under DIR, sorted by path.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %p\n' | sort -k3)
}

@test "make install: every file with its mode, paths substituted" {
	local d=$BATS_TEST_TMPDIR/root
	do_install "$d" PREFIX=/usr
	diff -u - <(tree "$d") <<-'EOF'
	d 755 ./etc
	d 755 ./etc/dockerup
	d 755 ./etc/dockerup/containers.d
	f 644 ./etc/dockerup/dockerup.conf
	d 755 ./usr
	d 755 ./usr/lib
	d 755 ./usr/lib/systemd
	d 755 ./usr/lib/systemd/system
	f 644 ./usr/lib/systemd/system/dockerup.service
	d 755 ./usr/sbin
	f 755 ./usr/sbin/dockerup
	d 755 ./usr/share
	d 755 ./usr/share/man
	d 755 ./usr/share/man/man5
	f 644 ./usr/share/man/man5/dockerup.conf.5
	d 755 ./usr/share/man/man8
	f 644 ./usr/share/man/man8/dockerup.8
	EOF
	if [ "$(id -u)" -eq 0 ]; then
		[ -z "$(find "$d" ! -user root -o ! -group root)" ] ||
		    fail "files not owned by root: $(find "$d" ! -user root)"
	fi
	cmp "$SRC/dockerup" "$d/usr/sbin/dockerup"
	cmp "$SRC/man/dockerup.8" "$d/usr/share/man/man8/dockerup.8"
	cmp "$SRC/man/dockerup.conf.5" "$d/usr/share/man/man5/dockerup.conf.5"
	"$d/usr/sbin/dockerup" --version | grep -q '^dockerup '
	local unit=$d/usr/lib/systemd/system/dockerup.service
	grep -qx 'ExecStart=/usr/sbin/dockerup --server --config /etc/dockerup/dockerup.conf' "$unit"
	grep -qx 'Type=notify' "$unit"
	grep -qx 'NotifyAccess=main' "$unit"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
	grep -q '^WatchdogSec=' "$unit"
	grep -qx 'confdir=/etc/dockerup/containers.d' "$d/etc/dockerup/dockerup.conf"
	! grep -n '@[A-Z]*@' "$unit" "$d/etc/dockerup/dockerup.conf" || false
}

@test "make install: with DESTDIR it only names the fetcher's account to create" {
	do_install "$BATS_TEST_TMPDIR/root" PREFIX=/usr FETCH_USER=dockerup-fetch-t$$
	[[ "$output" == *"DESTDIR set: create the account dockerup-fetch-t$$ on the target (dist/fetch-user.sh dockerup-fetch-t$$)"* ]]
	run id -u "dockerup-fetch-t$$"
	[ "$status" -ne 0 ]                     # not created
	# The default is the binary's default user.
	grep -q "^#define DEFAULT_USER *\"$(sed -n 's/^FETCH_USER ?= //p' "$SRC/dist/dist.mk")\"" \
	    "$SRC/src/common/settings.h"
}

@test "make install without DESTDIR creates the fetcher's system account once; uninstall keeps it" {
	[ "$(id -u)" -eq 0 ] || fail "this test creates an account: run it as root"
	local d=$BATS_TEST_TMPDIR/root
	TEST_ACCOUNT=dockerup-fetch-t$$
	run id -u "$TEST_ACCOUNT"
	[ "$status" -ne 0 ] || fail "$TEST_ACCOUNT exists already"
	local vars=(PREFIX="$d/usr" SYSCONFDIR="$d/etc" SYSTEMDUNITDIR="$d/units"
	    FETCH_USER="$TEST_ACCOUNT")
	run make -s -C "$SRC" -o dockerup install "${vars[@]}"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"created the system account $TEST_ACCOUNT"* ]]
	# A system account with its own group, no shell, no home.
	IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$TEST_ACCOUNT")
	[ "$uid" -lt 1000 ] && [ "$uid" -ne 0 ]
	[ "$(getent group "$gid" | cut -d: -f1)" = "$TEST_ACCOUNT" ]
	[ "$shell" = /usr/sbin/nologin ]
	[ ! -e "$home" ]
	# Once: a second install leaves it as it is.
	run make -s -C "$SRC" -o dockerup install "${vars[@]}"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" != *"created the system account"* ]]
	[ "$(id -u "$TEST_ACCOUNT")" = "$uid" ]
	run make -s -C "$SRC" uninstall "${vars[@]}"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"kept the account $TEST_ACCOUNT"* ]]
	[ "$(id -u "$TEST_ACCOUNT")" = "$uid" ]
}

@test "make install: SBINDIR, SYSCONFDIR, MANDIR and SYSTEMDUNITDIR are honoured" {
	local d=$BATS_TEST_TMPDIR/root
	do_install "$d" PREFIX=/opt/du SBINDIR=/opt/du/bin SYSCONFDIR=/opt/du/etc \
	    MANDIR=/opt/du/man SYSTEMDUNITDIR=/opt/du/units
	diff -u - <(cd "$d" && find . -type f | sort) <<-'EOF'
	./opt/du/bin/dockerup
	./opt/du/etc/dockerup/dockerup.conf
	./opt/du/man/man5/dockerup.conf.5
	./opt/du/man/man8/dockerup.8
	./opt/du/units/dockerup.service
	EOF
	[ -d "$d/opt/du/etc/dockerup/containers.d" ]
	grep -qx 'ExecStart=/opt/du/bin/dockerup --server --config /opt/du/etc/dockerup/dockerup.conf' \
	    "$d/opt/du/units/dockerup.service"
	grep -qx 'confdir=/opt/du/etc/dockerup/containers.d' \
	    "$d/opt/du/etc/dockerup/dockerup.conf"
}

@test "make install: a second install keeps the settings file; uninstall keeps it too" {
	local d=$BATS_TEST_TMPDIR/root conf
	do_install "$d" PREFIX=/usr
	conf=$d/etc/dockerup/dockerup.conf
	printf 'interval=5\n' > "$conf"
	chmod 0600 "$conf"
	do_install "$d" PREFIX=/usr
	[[ "$output" == *"keeping $d/etc/dockerup/dockerup.conf"* ]] || fail "$output"
	[ "$(cat "$conf")" = interval=5 ]
	[ "$(stat -c %a "$conf")" = 600 ]
	run make -s -C "$SRC" uninstall DESTDIR="$d" PREFIX=/usr
	[ "$status" -eq 0 ] || fail "$output"
	diff -u - <(cd "$d" && find . -type f | sort) <<-'EOF'
	./etc/dockerup/dockerup.conf
	EOF
}

@test "the example settings file is valid, with every default uncommented too" {
	local d=$BATS_TEST_TMPDIR/root conf=$BATS_TEST_TMPDIR/all.conf keys
	do_install "$d" PREFIX=/usr
	run "$DOCKERUP" --config "$d/etc/dockerup/dockerup.conf" --check \
	    --remote "$DOCKER_HOST" --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE"
	[ "$status" -eq 0 ] || fail "$output"
	# Every ";key=value" line uncommented: still valid.
	sed 's/^;\([a-z0-9_]*=\)/\1/' "$d/etc/dockerup/dockerup.conf" > "$conf"
	run "$DOCKERUP" --config "$conf" --check --remote "$DOCKER_HOST" \
	    --confdir "$TEST_CONFDIR" --cache "$TEST_CACHE" --seccomp on
	[ "$status" -eq 0 ] || fail "$output"
	# ...and it names every key settings.c accepts.
	keys=$(settings_keys)
	for k in $keys; do
		grep -q "^$k=" "$conf" || fail "example settings file lacks $k="
	done
}

@test "the systemd unit passes systemd-analyze verify" {
	command -v systemd-analyze > /dev/null ||
	    skip "systemd-analyze is not installed"
	local d=$BATS_TEST_TMPDIR/root v=$BATS_TEST_TMPDIR/verify
	do_install "$d" PREFIX=/usr
	mkdir -p "$v"
	# The binary is under DESTDIR, not in /usr/sbin.
	sed "s|^ExecStart=/usr/sbin/dockerup|ExecStart=$d/usr/sbin/dockerup|" \
	    "$d/usr/lib/systemd/system/dockerup.service" > "$v/dockerup.service"
	run systemd-analyze verify --man=no "$v/dockerup.service"
	[ "$status" -eq 0 ] || fail "$output"
	[ -z "$output" ] || fail "systemd-analyze verify: $output"
}

# --- documentation against the code ------------------------------------------

# The long options: the settings table's (settings.c: a row's option and
# its negation) and the other options of settings_parse.c.
long_options() {
	{
		grep -oE '[SI]ROW\((NULL|"[a-z0-9_]+"), "[a-z0-9-]+"' \
		    "$SRC/src/common/settings.c" | sed 's/.*, "\(.*\)"$/\1/'
		grep -oE '\.nopt = "[a-z0-9-]+"' "$SRC/src/common/settings.c" |
		    sed 's/.*"\(.*\)"$/\1/'
		awk '/command_opts\[\] = \{/,/^};/' \
		    "$SRC/src/parent/settings_parse.c" |
		    sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",.*/\1/p'
	} | sort -u
}

# The settings file keys of the settings table (settings.c).
settings_keys() {
	grep -oE '[SI]ROW\("[a-z0-9_]+"' "$SRC/src/common/settings.c" |
	    sed 's/.*"\(.*\)"$/\1/'
}

# Every key of every fixed-schema object: the definition's fields and the
# update object's members (the field table, fields.c), and the keys of
# volumes, portMappings and the user-data wrapper (defs.c).
definition_fields() {
	{
		awk '/^static const char \*const [a-z_]*_keys\[\] = {/,/};/' \
		    "$SRC/src/fetcher/defs.c" | grep -o '"[A-Za-z]*"'
		grep -oE '(ROW\(T_[A-Z_]+, "[A-Za-z]+"|\.(key|member) = "[A-Za-z]+")' \
		    "$SRC/src/common/fields.c" | grep -o '"[A-Za-z]*"'
	} | tr -d '"' | sort -u
}

# A man page as plain text.
man_text() {
	mandoc -T ascii "$SRC/man/$1" | sed 's/.\x08//g'
}

@test "the man pages are clean under mandoc -T lint" {
	command -v mandoc > /dev/null || fail "mandoc is missing (tests/rig/deps.sh installs it)"
	run mandoc -T lint -W warning "$SRC/man/dockerup.8" "$SRC/man/dockerup.conf.5"
	[ "$status" -eq 0 ] || fail "$output"
	[ -z "$output" ] || fail "$output"
}

@test "--help and dockerup(8) document every option of the getopt table" {
	local opts help man o n=0
	opts=$(long_options)
	[ "$(echo "$opts" | wc -l)" -ge 20 ] || fail "read only: $opts"
	help=$("$DOCKERUP" --help)
	man=$(man_text dockerup.8)
	for o in $opts; do
		n=$((n + 1))
		grep -qe "--$o\b" <<< "$help" || fail "--help lacks --$o"
		grep -qe "--$o\b" <<< "$man" || fail "dockerup(8) lacks --$o"
	done
	# And every option --help names is in the man page (status included).
	for o in $(grep -o -- '--[a-z][a-z0-9-]*' <<< "$help" | sort -u); do
		grep -qe "$o\b" <<< "$man" || fail "dockerup(8) lacks $o (from --help)"
	done
	for o in -c -v -h; do
		grep -qe "$o\b" <<< "$help" || fail "--help lacks $o"
		grep -qe "$o\b" <<< "$man" || fail "dockerup(8) lacks $o"
	done
	grep -q 'dockerup(8)' <<< "$help" || fail "--help does not point to dockerup(8)"
	grep -q 'dockerup.conf(5)' <<< "$help" || fail "--help does not point to dockerup.conf(5)"
	echo "$n options checked"
}

@test "dockerup.conf(5) documents every settings key, and only keys the binary accepts" {
	local keys k doc
	keys=$(settings_keys)
	[ "$(echo "$keys" | wc -l)" -ge 16 ] || fail "read only: $keys"
	for k in $keys; do
		grep -q "^\.It Cm $k Ns =" "$SRC/man/dockerup.conf.5" ||
		    fail "dockerup.conf(5) lacks $k="
	done
	doc=$(sed -n 's/^\.It Cm \([a-z0-9_]*\) Ns =.*/\1/p' "$SRC/man/dockerup.conf.5")
	[ "$(echo "$doc" | wc -l)" -eq "$(echo "$keys" | wc -l)" ] ||
	    fail "documented: $doc; accepted: $keys"
	# The binary agrees: a documented key with a bad value is a bad
	# value, not an unknown key.
	for k in $doc; do
		printf '%s=\001bad\n' "$k" > "$TEST_CONFIG"
		run_dockerup --check
		[ "$status" -eq 2 ] || fail "$k: exit $status: $output"
		[[ "$output" != *"unknown key"* ]] || fail "$k: $output"
	done
}

@test "dockerup.conf(5) documents every definition field of defs.c" {
	local fields f
	fields=$(definition_fields)
	[ "$(echo "$fields" | wc -l)" -ge 28 ] || fail "read only: $fields"
	for f in $fields; do
		grep -Eq "(^|[ .])Cm $f( |$)" "$SRC/man/dockerup.conf.5" ||
		    fail "dockerup.conf(5) lacks the field $f"
	done
}

@test "dockerup(8) documents exit statuses, signals, environment and cache files" {
	local man vars v
	man=$(man_text dockerup.8)
	for s in "EXIT STATUS" SIGNALS ENVIRONMENT FILES "SERVICE MANAGER"; do
		grep -qx "$s" <<< "$man" || fail "no section $s"
	done
	sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<< "$man" > "$BATS_TEST_TMPDIR/exit"
	for code in 0 1 2; do
		grep -Eq "^ +$code( |$)" "$BATS_TEST_TMPDIR/exit" || fail "exit status $code"
	done
	for s in SIGHUP SIGTERM SIGINT; do
		grep -q "$s" <<< "$man" || fail "signal $s"
	done
	# Every variable the code reads (test hooks aside), and sd_notify's.
	vars=$(grep -rhoE 'getenv\("[A-Z_]+"\)' "$SRC/src" |
	    sed 's/getenv("\(.*\)")/\1/' | grep -v '^DOCKERUP_TEST' | sort -u)
	[ "$(echo "$vars" | wc -l)" -ge 8 ] || fail "read only: $vars"
	for v in $vars; do
		grep -q "^\.It .*Ev $v\b" "$SRC/man/dockerup.8" || fail "environment: $v"
	done
	# The cache files the code names.
	for v in "$(sed -n 's/^#define LOCK_NAME[[:space:]]*"\(.*\)"/\1/p' "$SRC/src/parent/lock.c")" \
	    "$(sed -n 's/^#define STATUS_FILE[[:space:]]*"\(.*\)"/\1/p' "$SRC/src/engine/status.h")" \
	    "$(sed -n 's/^#define LASTGOOD_DIR[[:space:]]*"\(.*\)"/\1\//p' "$SRC/src/parent/lastgood.c")" \
	    handover/ready handover/old; do
		[ -n "$v" ] || fail "a cache file name could not be read from the code"
		grep -q "^\.It Pa $v\$" "$SRC/man/dockerup.8" || fail "files: $v"
	done
}

# --- sd_notify -----------------------------------------------------------------

# start_listener ADDRESS: the stand-in service manager, logging to NOTIFY_LOG.
start_listener() {
	python3 "$BATS_TEST_DIRNAME/notify_listener.py" "$1" "$NOTIFY_LOG" \
	    > "$BATS_TEST_TMPDIR/listener.out" 2>&1 3>&- < /dev/null &
	LISTENER_PID=$!
	wait_until 10 grep -q listening "$BATS_TEST_TMPDIR/listener.out"
}

# Every line received, in order.
notify_lines() {
	[ -s "$NOTIFY_LOG" ] || return 0
	jq -r '.lines[]' "$NOTIFY_LOG"
}

# has_msg LINE: LINE was received.
has_msg() {
	notify_lines | grep -qxF -- "$1"
}

# count_msg REGEX: how many lines received match REGEX.
count_msg() {
	notify_lines | grep -cE -- "$1" || true
}

# first_index REGEX: the line number of the first line matching REGEX.
first_index() {
	notify_lines | grep -nE -- "$1" | head -1 | cut -d: -f1
}

# start_notified ADDRESS [WATCHDOG_USEC [WATCHDOG_PID]] ARGS...: a server
# with NOTIFY_SOCKET=ADDRESS (and the watchdog variables when not "").
start_notified() {
	local addr=$1 usec=$2 wpid=$3
	shift 3
	export NOTIFY_SOCKET=$addr
	[ -z "$usec" ] || export WATCHDOG_USEC=$usec
	[ -z "$wpid" ] || export WATCHDOG_PID=$wpid
	start_dockerup "$LOG" --server --interval 3600 --no-pull -v "$@"
	unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
}

running() {
	[ "$(dk inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

# The checks shared by the path and the abstract socket.
check_notify_lifecycle() {
	local t_ready
	wait_until 60 has_msg READY=1 || { cat "$LOG"; return 1; }
	# READY=1 comes after the first run: the container is up already,
	# and the run's STATUS= came first.
	running du-notify || fail "READY=1 before the container runs"
	[ "$(first_index '^STATUS=last run ok at ')" -lt "$(first_index '^READY=1$')" ] ||
	    fail "STATUS before READY expected: $(notify_lines)"
	notify_lines | grep -Eq '^STATUS=last run ok at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' ||
	    fail "STATUS format: $(notify_lines)"
	# WATCHDOG_USEC=2 s: a kick every second from the parent's loop.
	t_ready=$(jq -r 'select(.lines | index("READY=1")) | .t' "$NOTIFY_LOG")
	sleep 3.2
	local kicks
	kicks=$(jq -r --argjson t0 "$t_ready" \
	    'select(.lines | index("WATCHDOG=1")) | select(.t >= $t0 and .t <= $t0 + 3.2) | .t' \
	    "$NOTIFY_LOG" | wc -l)
	[ "$kicks" -ge 2 ] || fail "$kicks WATCHDOG=1 within 3.2 s of READY: $(cat "$NOTIFY_LOG")"
	# ...and not in a tight loop: kicks at least 0.5 s apart.
	jq -s '[.[] | select(.lines | index("WATCHDOG=1")) | .t] |
	    [range(1; length) as $i | .[$i] - .[$i - 1]] | all(. >= 0.5)' \
	    "$NOTIFY_LOG" | grep -qx true || fail "kicks too close: $(cat "$NOTIFY_LOG")"
	# SIGHUP: another run, another STATUS; still one READY.
	kill -HUP "$DOCKERUP_PID"
	wait_until 20 test "$(count_msg '^STATUS=last run ok at ')" -ge 2
	! has_msg STOPPING=1 || false
	stop_dockerup
	[ "$DOCKERUP_STATUS" -eq 0 ]
	wait_until 5 has_msg STOPPING=1
	[ "$(count_msg '^READY=1$')" -eq 1 ]
	[ "$(first_index '^STOPPING=1$')" -gt "$(first_index '^READY=1$')" ]
	no_sanitizer_report "$(cat "$LOG")"
}

@test "sd_notify on a socket path: READY after the first run, STATUS, WATCHDOG, STOPPING" {
	local sock=$BATS_TEST_TMPDIR/notify.sock
	[ "${#sock}" -lt 100 ] || sock=$(mktemp -u /tmp/du-notify.XXXXXX)
	write_def app '{"type": "docker", "name": "du-notify", "image": "'"$RIG_IMAGE"'"}'
	start_listener "$sock"
	start_notified "$sock" 2000000 ""
	check_notify_lifecycle
	rm -f "$sock"
}

@test "sd_notify on an abstract socket (@name)" {
	write_def app '{"type": "docker", "name": "du-notify", "image": "'"$RIG_IMAGE"'"}'
	local addr="@dockerup-test-notify-$$-$BATS_TEST_NUMBER"
	start_listener "$addr"
	start_notified "$addr" 2000000 ""
	check_notify_lifecycle
}

@test "sd_notify: a failed run says so in STATUS, and READY=1 still comes" {
	write_def app '{"type": "docker", "name": "du-notify-bad", "image": "'"$RIG_REGISTRY"'/dockerup-test/absent:1"}'
	start_listener "$BATS_TEST_TMPDIR/n.sock"
	start_notified "$BATS_TEST_TMPDIR/n.sock" "" ""
	wait_until 60 has_msg READY=1 || { cat "$LOG"; return 1; }
	notify_lines | grep -Eq '^STATUS=last run failed \(exit 1\) at [0-9T:-]+Z$' ||
	    fail "$(notify_lines)"
	# No WATCHDOG_USEC: no kicks.
	[ "$(count_msg '^WATCHDOG=1$')" -eq 0 ]
	stop_dockerup
	has_msg STOPPING=1
}

@test "sd_notify: WATCHDOG_PID of another process means no kicks; children never see NOTIFY_SOCKET" {
	write_def app '{"type": "docker", "name": "du-notify", "image": "'"$RIG_IMAGE"'"}'
	start_listener "$BATS_TEST_TMPDIR/n.sock"
	start_notified "$BATS_TEST_TMPDIR/n.sock" 2000000 1
	wait_until 60 has_msg READY=1 || { cat "$LOG"; return 1; }
	sleep 2.5
	[ "$(count_msg '^WATCHDOG=1$')" -eq 0 ] || fail "$(notify_lines)"
	local pid n=0
	for pid in $(pgrep -P "$DOCKERUP_PID"); do
		n=$((n + 1))
		! tr '\0' '\n' < "/proc/$pid/environ" |
		    grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' ||
		    false
	done
	[ "$n" -eq 2 ] || fail "expected 2 children, found $n"
	stop_dockerup
}

@test "sd_notify: a NOTIFY_SOCKET that is neither a path nor @name is refused with a warning" {
	write_def app '{"type": "docker", "name": "du-notify", "image": "'"$RIG_IMAGE"'"}'
	NOTIFY_SOCKET=relative/notify.sock run_dockerup --no-pull
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *'NOTIFY_SOCKET="relative/notify.sock" is not valid; expected /PATH or @ABSTRACT_NAME'* ]] ||
	    fail "$output"
}
