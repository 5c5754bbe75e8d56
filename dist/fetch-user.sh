#!/bin/sh
# fetch-user.sh [NAME]: creates dockerup's fetcher account (default
# dockerup-fetch, DEFAULT_USER in src/common/settings.h) when it is
# missing: a system account with its own group, no login shell and no
# home, shared with nothing else.  Used by make install, the test rig and
# make demo; does nothing when the account exists.  dockerup's image has it
# with a fixed uid instead (image/rootfs.sh).
set -eu
NAME=${1:-dockerup-fetch}

if id -u "$NAME" > /dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "fetch-user.sh: the account $NAME is missing; run as root to" \
	    "create it" >&2
	exit 1
fi
if command -v useradd > /dev/null 2>&1; then
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --comment "dockerup fetcher" "$NAME"
elif command -v adduser > /dev/null 2>&1; then
	adduser --system --group --no-create-home --home /nonexistent \
	    --shell /usr/sbin/nologin --gecos "dockerup fetcher" "$NAME"
else
	echo "fetch-user.sh: neither useradd nor adduser; create the system" \
	    "account $NAME (no shell, no home) by hand" >&2
	exit 1
fi
echo "created the system account $NAME for dockerup's fetcher"
