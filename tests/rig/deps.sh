#!/bin/sh
# Installs, with apt-get, the Debian packages dockerup's build, tests and
# demo need, and only those that are missing.  Quick when nothing is.
# Arguments name more packages to install the same way (make bench:
# docker-compose gnuplot-nox).
#
# Package services (dockerd, docker-registry) are not started by the
# install: the rig runs private instances, never the host's.
set -eu

PKGS="build-essential pkg-config make clang libclang-rt-14-dev
libcurl4-openssl-dev libcjson-dev libseccomp-dev libcap-ng-dev libcmocka-dev
nettle-dev openssl zlib1g-dev clang-format docker.io docker-registry busybox-static bats jq
python3 apache2-utils curl iproute2 procps mandoc etcd-server $*"

# One dpkg-query for all: prints the installed ones.
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PKGS \
    2>/dev/null | awk '$1 == "ii" { sub(/:.*/, "", $2); printf "%s ", $2 }')"
missing=
for p in $PKGS; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# needrestart (when present) must not restart host services behind our back.
export NEEDRESTART_SUSPEND=1

# Keep maintainer scripts from starting the packages' own daemons (the
# host's dockerd on /var/run/docker.sock, a registry on port 5000), as
# Debian's policy-rc.d mechanism allows.  Only a file we created is removed.
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 0755 "$policy"
	ours=1
fi
cleanup() { [ -n "$ours" ] && rm -f "$policy"; return 0; }
trap cleanup EXIT
trap 'exit 130' INT TERM

apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
