#!/bin/bash
# The test rig: a private Docker engine, two private registries, an EC2
# metadata emulator and an etcd, all on this machine and all inside one
# directory.
#
#   rig.sh start DIR [--engine-only]   start everything (or only the engine)
#   rig.sh stop DIR                    stop it all, unmount, remove DIR
#   rig.sh env DIR                     print `export` lines for the tests
#   rig.sh status DIR                  exit 0 when the engine answers
#   rig.sh image DIR REF [VERSION]     import a busybox image as REF whose
#                                      /etc/dockerup-test-version is VERSION
#   rig.sh engine-restart DIR          start the engine again after a kill -9
#                                      of dockerd (containerd kept its tasks)
#   rig.sh host-start DIR N            start host engine N (1 to MAX_HOSTS)
#                                      in DIR/hN (socket DIR/hN/docker.sock),
#                                      holding the test image
#   rig.sh host-stop DIR N             stop host engine N, remove DIR/hN
#
# Host engines are further private engines, one per "host" of a fleet test
# (several dockerup servers on one machine); started like the rig's own,
# and stopped with it.  Their sockets are longer by 3 bytes than the rig's
# own (DIR is at most 60 bytes, see cmd_start).
#
# Nothing leaves DIR but the engine's cgroups and containerd's shim sockets
# (both named after IDs unique to this rig, and removed by stop even when
# the engine was killed); dockerd 20.10 also reads (the first one on a
# machine creates) its trust key /etc/docker/key.json, which no flag moves.
# Nothing is found by name:
# processes are those whose command line names DIR, plus their descendants.
# Ports are picked free at start (the emulator's by the kernel); two rigs in
# two DIRs run side by side.  A process of a rig is whatever names DIR/ on
# its command line: a `tail -f DIR/dockerd.log` ends with the rig too.
# Only 127.0.0.1 and unix sockets are used.
set -euo pipefail

RIG_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=/usr/bin/docker          # the docker.io client, never another one
PYTHON=/usr/bin/python3         # Debian's, as deps.sh installs it
[ -x "$PYTHON" ] || PYTHON=python3
MARKER=rig.created              # only a DIR holding it is ever removed
TEST_IMAGE=dockerup-test/busy:1
MAX_HOSTS=3                     # host engines a rig may start (host-start)
APPLETS="sh ash sleep cat echo ls true false kill env printf test [ mkdir rm
touch wc grep sed head tail id hostname ps date pwd uname mount"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

msg() { echo "rig: $*" >&2; }
die() { echo "rig: $*" >&2; exit 1; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# dk_at E ARGS...: the docker client on the engine in directory E (DIR,
# the rig's own, or DIR/hN, a host engine's); dk: on the rig's own.
dk_at() {
	local e=$1
	shift
	DOCKER_CONFIG="$DIR/docker-config" "$DOCKER" -H "unix://$e/docker.sock" "$@"
}
dk() { dk_at "$DIR" "$@"; }

# engine_ping E: exit 0 when the engine in directory E answers /_ping.
engine_ping() {
	curl -sf --max-time 2 --unix-socket "$1/docker.sock" \
	    http://localhost/_ping > /dev/null 2>&1
}

# --- processes -----------------------------------------------------------

# A pid from FILE, if that process is alive and its command line names DIR
# (a recycled pid is never killed).
pid_of() {
	local f=$1 pid
	[ -s "$f" ] || return 1
	pid=$(tr -dc 0-9 < "$f")
	[ -n "$pid" ] || return 1
	grep -qaF "$DIR/" "/proc/$pid/cmdline" 2>/dev/null || return 1
	echo "$pid"
}

# A zombie counts as gone: our daemons are reparented to init, which may be
# slow to reap them.
alive() {
	local st
	st=$(ps -o stat= -p "$1") || return 1
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# Every process whose command line names ROOT/ (default DIR/), and all
# their descendants, except this script and its ancestors.
rig_pids() {
	local root=${1:-$DIR} self=$$ skip p
	skip=" "
	p=$self
	while [ -n "$p" ] && [ "$p" != 0 ]; do
		skip="$skip$p "
		p=$(ps -o ppid= -p "$p" | tr -d ' ' || true)
	done
	local roots='' f
	for f in $(grep -laF "$root/" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		case "$skip" in *" $p "*) continue ;; esac
		roots="$roots $p"
	done
	[ -n "$roots" ] || return 0
	ps -e -o pid=,ppid=,stat= | awk -v roots="$roots" -v skip="$skip" '
	    $3 !~ /^Z/ { parent[$1] = $2; pids[++n] = $1 }
	    END {
		split(roots, r, " ")
		for (i in r) mine[r[i]] = 1
		do {
			grew = 0
			for (i = 1; i <= n; i++) {
				p = pids[i]
				if (!(p in mine) && (parent[p] in mine) &&
				    index(skip, " " p " ") == 0) {
					mine[p] = 1; grew = 1
				}
			}
		} while (grew)
		for (p in mine) if (p in parent) print p
	    }'
}

# Sends TERM to the process in pid FILE and waits up to SECS for it to go.
stop_pidfile() {
	local f=$1 secs=$2 pid i
	pid=$(pid_of "$f") || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 20; i++)); do
		alive "$pid" || return 0
		sleep 0.05
	done
	msg "pid $pid ($f) did not stop in ${secs}s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

# Starts a daemon in its own session (a Ctrl-C at the terminal reaches the
# runner's trap, not the daemon) and records its pid.
spawn() {
	local name=$1; shift
	setsid "$@" > "$DIR/$name.log" 2>&1 < /dev/null &
	echo $! > "$DIR/$name.pid"
}

# --- engine --------------------------------------------------------------

# start_engine [E]: a dockerd whose socket, data, state, pid file and log
# are all in directory E: DIR (the default) or a host engine's DIR/hN.
start_engine() {
	local e=${1:-$DIR} rel
	rel=${e#"$DIR"}
	rel=${rel#/}${rel:+/}
	echo '{}' > "$e/daemon.json"  # the host's /etc/docker is not read
	mkdir -p "$DIR/docker-config"
	# Nothing may leave this machine: a pull or registry check of an image
	# that is not on 127.0.0.1 goes to a proxy that is not there (port 9
	# is closed), so it fails at once instead of looking up Docker Hub.
	# Go never proxies loopback addresses, so the rig's registries work.
	HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
	    NO_PROXY=127.0.0.0/8,localhost \
	    spawn "${rel}dockerd" dockerd --config-file "$e/daemon.json" \
	    --host "unix://$e/docker.sock" \
	    --data-root "$e/data" --exec-root "$e/exec" \
	    --pidfile "$e/docker.pid" \
	    --bridge=none --iptables=false --ip-masq=false \
	    --userland-proxy=false --shutdown-timeout 5 --debug
}

# wait_engine [E]: until the engine in directory E (default DIR) answers.
wait_engine() {
	local e=${1:-$DIR} i pid
	pid=$(cat "$e/dockerd.pid")
	for ((i = 0; i < 600; i++)); do
		engine_ping "$e" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$e/dockerd.log" >&2 || true
	die "dockerd did not answer /_ping on $e/docker.sock (log: $e/dockerd.log)"
}

# --- registries ------------------------------------------------------------

# A TCP port nobody listens on, below the ephemeral range so that no
# outgoing connection holds it.  wait_registry copes with losing a race.
free_port() {
	local port
	while :; do
		port=$((10000 + RANDOM % 22000))
		[ -z "$(ss -Hltn "sport = :$port")" ] && break
	done
	echo "$port"
}

# NAME AUTH(0|1): writes a config on a free port and starts docker-registry.
spawn_registry() {
	local name=$1 auth=$2 port
	mkdir -p "$DIR/$name"
	port=$(free_port)
	write_registry_config "$name" "$port" "$auth"
	echo "$port" > "$DIR/$name.port.try"
	spawn "$name" docker-registry serve "$DIR/$name.yml"
}

# NAME AUTH(0|1): waits until the listener on the registry's port is ours
# and /v2/ answers (401 with auth).  A port taken by someone else between
# the pick and the bind makes the registry exit: it is started again on
# another port.
wait_registry() {
	local name=$1 auth=$2 try port pid i code want=200
	[ "$auth" = 1 ] && want=401
	for ((try = 0; try < 5; try++)); do
		port=$(cat "$DIR/$name.port.try")
		pid=$(cat "$DIR/$name.pid")
		for ((i = 0; i < 200; i++)); do
			alive "$pid" || break
			if ss -Hltnp "sport = :$port" | grep -q "pid=$pid,"; then
				code=$(curl -s -o /dev/null -w '%{http_code}' \
				    --max-time 2 "http://127.0.0.1:$port/v2/" || true)
				if [ "$code" = "$want" ]; then
					mv "$DIR/$name.port.try" "$DIR/$name.port"
					return 0
				fi
			fi
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
		msg "$name: not answering on port $port; trying another port"
		spawn_registry "$name" "$auth"
	done
	tail -n 20 "$DIR/$name.log" >&2 || true
	die "$name: docker-registry did not start (log: $DIR/$name.log)"
}

write_registry_config() {
	local name=$1 port=$2 auth=$3
	cat > "$DIR/$name.yml" <<-EOF
	version: 0.1
	log:
	  level: info
	storage:
	  filesystem:
	    rootdirectory: $DIR/$name
	  delete:
	    enabled: true
	  maintenance:
	    uploadpurging:
	      enabled: false
	http:
	  addr: 127.0.0.1:$port
	  secret: $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	EOF
	if [ "$auth" = 1 ]; then
		cat >> "$DIR/$name.yml" <<-EOF
		auth:
		  htpasswd:
		    realm: dockerup-rig
		    path: $DIR/auth.htpasswd
		EOF
	fi
}

make_credentials() {
	head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$DIR/auth.pass"
	echo dockerup > "$DIR/auth.user"
	htpasswd -Bbn dockerup "$(cat "$DIR/auth.pass")" |
	    sed '/^$/d' > "$DIR/auth.htpasswd"
}

# --- metadata emulator -------------------------------------------------------

start_imds() {
	spawn imds "$PYTHON" "$RIG_SRC/imds.py" --state-dir "$DIR/"
}

wait_imds() {
	local i pid
	pid=$(cat "$DIR/imds.pid")
	for ((i = 0; i < 100; i++)); do
		[ -s "$DIR/imds.port" ] && [ -s "$DIR/imds.control-port" ] &&
		    return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$DIR/imds.log" >&2 2>/dev/null || true
	die "imds.py did not start (log: $DIR/imds.log)"
}

# --- etcd --------------------------------------------------------------------

# Debian's etcd on two free ports of 127.0.0.1 (clients, peers), its data in
# DIR/etcd.  ETCD_* of the environment are not read (flags only).
start_etcd() {
	local cport pport
	cport=$(free_port)
	pport=$(free_port)
	[ "$pport" != "$cport" ] || pport=$((cport + 1))
	mkdir -p "$DIR/etcd"
	echo "$cport" > "$DIR/etcd.port"
	spawn etcd env -u ETCD_DATA_DIR /usr/bin/etcd --name rig \
	    --data-dir "$DIR/etcd" \
	    --listen-client-urls "http://127.0.0.1:$cport" \
	    --advertise-client-urls "http://127.0.0.1:$cport" \
	    --listen-peer-urls "http://127.0.0.1:$pport" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
	    --initial-cluster "rig=http://127.0.0.1:$pport" \
	    --enable-pprof=false
}

wait_etcd() {
	local i pid
	pid=$(cat "$DIR/etcd.pid")
	for ((i = 0; i < 100; i++)); do
		curl -sf --max-time 1 -X POST -d '{}' \
		    "http://127.0.0.1:$(cat "$DIR/etcd.port")/v3/maintenance/status" \
		    > /dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$DIR/etcd.log" >&2 2>/dev/null || true
	die "etcd did not start (log: $DIR/etcd.log)"
}

# --- images ------------------------------------------------------------------

# A busybox-static root filesystem with the applets the tests use.
make_rootfs() {
	local r=$DIR/rootfs a
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/data" \
	    "$r/tmp"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in $APPLETS; do
		ln -s busybox "$r/bin/$a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' > "$r/etc/passwd"
	echo 'root:x:0:' > "$r/etc/group"
}

# REF VERSION: imports the rootfs, with VERSION in /etc/dockerup-test-version.
import_image() {
	local ref=$1 version=$2 tmp
	[ -d "$DIR/rootfs" ] || make_rootfs
	tmp=$(mktemp -d "$DIR/image.XXXXXX")
	cp -a "$DIR/rootfs/." "$tmp/"
	echo "$version" > "$tmp/etc/dockerup-test-version"
	tar -C "$tmp" --numeric-owner --owner=0 --group=0 -cf - . |
	    dk import -c 'CMD ["/bin/sleep","100000"]' - "$ref" > /dev/null
	rm -rf "$tmp"
}

# The test image, in the engine and in both registries.  Pushing to the
# authenticated one needs a login, kept in a throw-away client config so
# that the tests' client starts logged out.
seed_images() {
	local reg auth setup
	reg=127.0.0.1:$(cat "$DIR/registry.port")
	auth=127.0.0.1:$(cat "$DIR/registry-auth.port")
	import_image "$TEST_IMAGE" 1
	dk tag "$TEST_IMAGE" "$reg/busy:1"
	dk push -q "$reg/busy:1" > /dev/null
	setup=$(mktemp -d "$DIR/setup-config.XXXXXX")
	DOCKER_CONFIG=$setup "$DOCKER" -H "unix://$DIR/docker.sock" login \
	    -u dockerup --password-stdin "$auth" < "$DIR/auth.pass" \
	    > "$DIR/login.log" 2>&1 || { cat "$DIR/login.log" >&2; return 1; }
	dk tag "$TEST_IMAGE" "$auth/busy:1"
	DOCKER_CONFIG=$setup "$DOCKER" -H "unix://$DIR/docker.sock" push -q \
	    "$auth/busy:1" > /dev/null
	rm -rf "$setup"
	dk rmi "$reg/busy:1" "$auth/busy:1" > /dev/null
}

# --- commands ----------------------------------------------------------------

write_env() {
	local engine_only=$1
	{
		printf 'export RIG_DIR=%q\n' "$DIR"
		printf 'export DOCKER_HOST=%q\n' "unix://$DIR/docker.sock"
		printf 'export DOCKER_CONFIG=%q\n' "$DIR/docker-config"
		printf 'export RIG_DOCKER=%q\n' "$DOCKER"
		[ "$engine_only" = 1 ] && return 0
		printf 'export RIG_REGISTRY=127.0.0.1:%s\n' \
		    "$(cat "$DIR/registry.port")"
		printf 'export RIG_AUTH_REGISTRY=127.0.0.1:%s\n' \
		    "$(cat "$DIR/registry-auth.port")"
		printf 'export RIG_AUTH_USER=%q\n' "$(cat "$DIR/auth.user")"
		printf 'export RIG_AUTH_PASS=%q\n' "$(cat "$DIR/auth.pass")"
		printf 'export RIG_IMDS=http://127.0.0.1:%s\n' \
		    "$(cat "$DIR/imds.port")"
		printf 'export RIG_IMDS_CONTROL=http://127.0.0.1:%s\n' \
		    "$(cat "$DIR/imds.control-port")"
		printf 'export RIG_ETCD=http://127.0.0.1:%s\n' \
		    "$(cat "$DIR/etcd.port")"
		printf 'export RIG_IMAGE=%q\n' "$TEST_IMAGE"
	} > "$DIR/rig.env.tmp"
}

cmd_start() {
	local engine_only=0 t0
	[ "${1:-}" = --engine-only ] && engine_only=1
	[ "$(id -u)" = 0 ] || die "start: must run as root (dockerd needs it)"
	t0=$(now)
	if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
		[ -e "$DIR/$MARKER" ] ||
		    die "start: $DIR is not empty and is not a rig directory"
		cmd_status 2>/dev/null &&
		    die "start: a rig is already running in $DIR"
		die "start: $DIR holds a stopped rig; run 'rig.sh stop $DIR' first"
	fi
	mkdir -p "$DIR"
	date > "$DIR/$MARKER"
	# A start that fails or is interrupted leaves nothing running.
	trap 'start_failed start cmd_stop' EXIT
	trap 'exit 130' INT TERM
	# containerd's sockets live in DIR/exec/containerd: keep below the
	# 108-byte limit of a unix socket path.
	[ ${#DIR} -le 60 ] ||
	    die "start: $DIR is ${#DIR} bytes; at most 60 expected (socket paths)"

	# dockerup's fetcher runs as its own account (src/common/settings.h).
	sh "$RIG_SRC/../../dist/fetch-user.sh" >&2
	start_engine
	if [ "$engine_only" = 0 ]; then
		make_credentials
		start_imds
		start_etcd
		spawn_registry registry 0
		spawn_registry registry-auth 1
		make_rootfs
		wait_imds
		wait_etcd
		wait_registry registry 0
		wait_registry registry-auth 1
	fi
	wait_engine
	[ "$engine_only" = 0 ] && seed_images
	write_env "$engine_only"
	mv "$DIR/rig.env.tmp" "$DIR/rig.env"
	trap - EXIT INT TERM
	msg "started in $DIR in $(since "$t0")s"
}

# start_failed WHAT CMD...: the EXIT trap of a start; when it failed, CMD
# stops what it started.
start_failed() {
	local rc=$?
	trap - EXIT INT TERM
	[ "$rc" -ne 0 ] || return 0
	msg "$1 failed; stopping what it started in $DIR"
	shift
	("$@") || true
	exit "$rc"
}

cmd_status() {
	[ -d "$DIR" ] && engine_ping "$DIR"
}

cmd_env() {
	[ -s "$DIR/rig.env" ] || die "env: no rig started in $DIR"
	cat "$DIR/rig.env"
}

cmd_image() {
	[ $# -ge 1 ] || die "image: expected REF [VERSION]"
	cmd_status || die "image: no engine answers in $DIR"
	import_image "$1" "${2:-1}"
}

# stop_containers [E]: stops the containers of the engine in E (default
# DIR) first: docker stop marks them stopped on purpose, so that no restart
# policy brings them back while the engine goes down.
stop_containers() {
	local e=${1:-$DIR} ids
	[ -d "$e" ] && engine_ping "$e" || return 0
	ids=$(timeout 20 "$DOCKER" -H "unix://$e/docker.sock" ps -q 2>/dev/null) ||
	    return 0
	[ -n "$ids" ] || return 0
	# shellcheck disable=SC2086
	timeout 30 "$DOCKER" -H "unix://$e/docker.sock" stop -t 0 $ids \
	    > /dev/null 2>&1 || true
}

# kill_leftovers [ROOT]: every process of ROOT (default DIR), see rig_pids.
kill_leftovers() {
	local root=${1:-$DIR} pids i
	pids=$(rig_pids "$root")
	[ -n "$pids" ] || return 0
	msg "killing leftover processes: $(echo $pids)"
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pids=$(rig_pids "$root")
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	die "stop: processes of $root survived SIGKILL: $(echo $pids)"
}

# Mount points under ROOT (default DIR), deepest first.
rig_mounts() {
	awk -v d="${1:-$DIR}/" 'index($5, d) == 1 { print length($5), $5 }' \
	    /proc/self/mountinfo | sort -rn | cut -d' ' -f2-
}

# unmount_all [ROOT]: everything mounted under ROOT (default DIR).
unmount_all() {
	local root=${1:-$DIR} m left
	while read -r m; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done <<< "$(rig_mounts "$root")"
	left=$(rig_mounts "$root")
	[ -z "$left" ] || die "stop: still mounted under $root: $left"
}

# remove_outside_leftovers [E]: what a killed runtime of the engine in E
# (default DIR) leaves outside it, named after its container IDs: empty
# cgroup directories, and containerd's shim sockets, which are
# /run/containerd/s/sha256(containerd address/namespace/id).
remove_outside_leftovers() {
	local e=${1:-$DIR} c id sum
	for c in "$e"/data/containers/*; do
		[ -d "$c" ] || continue
		id=${c##*/}
		rmdir /sys/fs/cgroup/*/docker/"$id" 2>/dev/null || true
		rmdir /sys/fs/cgroup/docker/"$id" 2>/dev/null || true
		sum=$(printf '%s' "$e/exec/containerd/containerd.sock/moby/$id" |
		    sha256sum | cut -d' ' -f1)
		rm -f "/run/containerd/s/$sum"
	done
}

cmd_stop() {
	[ -d "$DIR" ] || return 0
	[ -e "$DIR/$MARKER" ] ||
	    die "stop: $DIR is not a rig directory (no $MARKER); not touching it"
	local n
	for ((n = 1; n <= MAX_HOSTS; n++)); do
		(cmd_host_stop "$n") || msg "stop: host $n did not stop cleanly"
	done
	stop_containers
	stop_pidfile "$DIR/imds.pid" 5
	stop_pidfile "$DIR/etcd.pid" 10
	stop_pidfile "$DIR/registry.pid" 5
	stop_pidfile "$DIR/registry-auth.pid" 5
	stop_pidfile "$DIR/dockerd.pid" 20
	stop_pidfile "$DIR/exec/containerd/containerd.pid" 5
	kill_leftovers
	unmount_all
	remove_outside_leftovers
	rm -rf --one-file-system "$DIR"
}

# A dockerd killed with -9 leaves its pid file, which a new one refuses;
# its containerd still runs and the new dockerd connects to it.
cmd_engine_restart() {
	[ -e "$DIR/$MARKER" ] || die "engine-restart: $DIR is not a rig directory"
	! cmd_status 2>/dev/null || die "engine-restart: the engine still answers"
	local i pid
	for ((i = 0; i < 100; i++)); do
		pid=$(pgrep -f "^dockerd --config-file $DIR/daemon.json " || true)
		[ -z "$pid" ] && break
		sleep 0.05
	done
	[ -z "$pid" ] || die "engine-restart: dockerd $pid is still running"
	# Its containerd follows it (SIGKILL at its parent's death) but may
	# stay a zombie a while, which a new dockerd takes for a containerd
	# still running and waits for in vain: once it is dead, its pid file
	# goes, and the new dockerd starts another one (which finds the
	# shims, and the tasks, of the old one).
	local f=$DIR/exec/containerd/containerd.pid
	pid=$(tr -dc 0-9 < "$f" 2>/dev/null || true)
	for ((i = 0; i < 100 && ${#pid} > 0; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	[ -n "$pid" ] && alive "$pid" || rm -f "$f"
	rm -f "$DIR/docker.pid"
	mv "$DIR/dockerd.log" "$DIR/dockerd.log.$(date +%s.%N)"
	start_engine
	wait_engine
}

# --- host engines --------------------------------------------------------------

# host_dir N: DIR/hN, for N of 1 to MAX_HOSTS.
host_dir() {
	case $1 in
	[1-9] | [1-9][0-9]) [ "$1" -le "$MAX_HOSTS" ] && { echo "$DIR/h$1"; return 0; } ;;
	esac
	die "host: \"$1\"; expected a host number of 1 to $MAX_HOSTS"
}

# A host engine: started like the rig's own, in DIR/hN, with the test image
# loaded from the rig's engine (docker save | docker load: no registry, no
# network).  A host engine that answers already is left as it is.
cmd_host_start() {
	[ $# -eq 1 ] || die "host-start: expected N (1 to $MAX_HOSTS)"
	local e t0
	e=$(host_dir "$1")
	t0=$(now)
	[ -e "$DIR/$MARKER" ] || die "host-start: $DIR is not a rig directory"
	cmd_status || die "host-start: the rig's engine does not answer in $DIR"
	if engine_ping "$e"; then
		msg "host $1 is running already ($e)"
		return 0
	fi
	[ ! -e "$e" ] ||
	    die "host-start: $e holds a stopped host engine; run 'rig.sh host-stop $DIR $1' first"
	mkdir "$e"
	trap "start_failed 'host-start $1' cmd_host_stop $1" EXIT
	trap 'exit 130' INT TERM
	start_engine "$e"
	wait_engine "$e"
	dk save "$TEST_IMAGE" | dk_at "$e" load -q > /dev/null
	trap - EXIT INT TERM
	msg "host $1 started in $e in $(since "$t0")s"
}

# Stops host engine N (its containers, dockerd, containerd, whatever names
# DIR/hN) and removes DIR/hN.  Nothing to stop is no error.
cmd_host_stop() {
	[ $# -eq 1 ] || die "host-stop: expected N (1 to $MAX_HOSTS)"
	local e
	e=$(host_dir "$1")
	[ -d "$e" ] || return 0
	[ -e "$DIR/$MARKER" ] || die "host-stop: $DIR is not a rig directory"
	stop_containers "$e"
	stop_pidfile "$e/dockerd.pid" 20
	stop_pidfile "$e/exec/containerd/containerd.pid" 5
	kill_leftovers "$e"
	unmount_all "$e"
	remove_outside_leftovers "$e"
	rm -rf --one-file-system "$e"
}

usage() {
	sed -n '2,21s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
case "$2" in
/*) DIR=$2 ;;
*) DIR=$PWD/$2 ;;
esac
DIR=$(realpath -m "$DIR")
[ "$DIR" != / ] || die "DIR must not be /"
shift 2
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
image) cmd_image "$@" ;;
engine-restart) cmd_engine_restart ;;
host-start) cmd_host_start "$@" ;;
host-stop) cmd_host_stop "$@" ;;
*) usage ;;
esac
