#!/bin/sh
# Lays out the root filesystem of dockerup's container image:
#
#   image/rootfs.sh DEST BINARY PROFILE
#   image/rootfs.sh --libs BINARY     only list the libraries it would copy
#
# DEST (created; must not exist) receives BINARY as /usr/sbin/dockerup, the
# shared libraries it loads (as ldd resolves them here, symlinks followed,
# at the paths the dynamic loader searches), libcurl and the libraries it
# needs (the fetcher and the engine load it at run time: curlso.h), the CA
# bundle for TLS
# endpoints and registries, a minimal /etc/passwd and /etc/group (root, and
# dockerup-fetch, uid and gid 60600, for the fetcher: a number no account
# allocator hands out, see README.md), and PROFILE
# (policy/container-seccomp.json) as /etc/dockerup/seccomp/dockerup.json in
# the default seccomp_dir, which the definition in examples/self/ names
# (seccomp=dockerup).  It then runs the binary in DEST with chroot to
# prove that nothing is missing.
#
# Both the Dockerfile (in its build stage) and image/image-local.sh use this
# script, so that the two images hold the same files.
set -eu

die() { echo "rootfs.sh: $*" >&2; exit 1; }

# src/common/curlso.h's CURLSO_SONAME: loaded with dlopen(), so ldd of the
# binary does not name it.
CURLSO=libcurl.so.4

# The paths of what FILE needs: "libc.so.6 => /lib/.../libc.so.6 (0x...)"
# and the loader "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
needed() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
	    $1 ~ /^\// { print $1 }'
}

# Every library BINARY loads: its own, then libcurl's, once each.
list_libs() {
	curl_path=$(ldconfig -p | awk -v n="$CURLSO" '$1 == n { print $NF; exit }')
	[ -n "$curl_path" ] ||
	    die "$CURLSO: not found by ldconfig; expected libcurl4 installed"
	{ needed "$1"; echo "$curl_path"; needed "$curl_path"; } | awk '!seen[$0]++'
}

if [ "${1:-}" = --libs ]; then
	[ $# -eq 2 ] || die "usage: rootfs.sh --libs BINARY"
	list_libs "$2"
	exit 0
fi

[ $# -eq 3 ] || die "usage: rootfs.sh DEST BINARY PROFILE"
dest=$1 bin=$2 profile=$3
CA=/etc/ssl/certs/ca-certificates.crt

[ ! -e "$dest" ] || die "$dest: exists; expected a new directory"
[ -f "$bin" ] && [ -x "$bin" ] || die "$bin: not an executable file"
[ -f "$profile" ] || die "$profile: no such file; expected the seccomp profile"
[ -f "$CA" ] || die "$CA: no such file; expected the CA bundle (ca-certificates)"

# Absolute paths: what follows runs in DEST.
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bin=$(abs "$bin")
profile=$(abs "$profile")
mkdir -p "$dest"
cd "$dest"
mkdir -p usr/sbin etc/dockerup/seccomp etc/dockerup/containers.d \
    etc/ssl/certs var/cache/dockerup var/run root proc sys dev tmp
chmod 1777 tmp
chmod 0700 root

cp "$bin" usr/sbin/dockerup
chmod 0755 usr/sbin/dockerup
cp "$profile" etc/dockerup/seccomp/dockerup.json
cp "$CA" etc/ssl/certs/ca-certificates.crt
chmod 0644 etc/dockerup/seccomp/dockerup.json \
    etc/ssl/certs/ca-certificates.crt

libs=$(list_libs "$bin")
[ -n "$(needed "$bin")" ] ||
    die "$bin: ldd lists no shared library; expected a dynamic binary"
for lib in $libs; do
	mkdir -p "./${lib%/*}"
	cp -L "$lib" "./$lib"
	chmod 0644 "./$lib"
done
# The loader runs as a program: keep it executable.
for lib in $libs; do
	case "$lib" in */ld-linux*) chmod 0755 "./$lib" ;; esac
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
dockerup-fetch:x:60600:60600:dockerup fetcher:/nonexistent:/usr/sbin/nologin
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
dockerup-fetch:x:60600:
GROUP
cat > etc/nsswitch.conf <<'NSS'
passwd: files
group: files
hosts: files dns
NSS
chmod 0644 etc/passwd etc/group etc/nsswitch.conf

# Every library found, nothing else needed to start; libcurl's resolve too.
chroot . /usr/sbin/dockerup --version > /dev/null ||
    die "the binary does not start in $dest (a library missing?)"
loader=$(needed "$bin" | grep '/ld-linux' | head -n 1)
curl=$(list_libs "$bin" | grep "/$CURLSO\$")
out=$(chroot . "$loader" --list "$curl") ||
    die "$CURLSO does not load in $dest: $out"
case $out in
*"not found"*) die "$CURLSO needs a library missing in $dest: $out" ;;
esac
