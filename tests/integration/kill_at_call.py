#!/usr/bin/env python3
"""Kills dockerup, or its engine, when its engine is about to send its Nth
Docker request (tests/integration/crash.bats).

    kill_at_call.py LOG N PID engine|parent|TARGET [SECONDS]

Follows LOG (dockerup's output at -v, where the engine logs each request
as "docker: METHOD PATH" just before sending it) and, at the Nth such
line, sends SIGKILL to PID (the parent), to its child started with
"-R engine", or to the process TARGET (a pid: the rig's dockerd, say).
Exits 0 when it killed, 2 when PID ended first (the run was shorter), 1
after SECONDS (default 30) without either.  In the environment,
KILL_MATCH (a regular expression) counts only the requests it matches,
and KILL_DELAY waits that many seconds after the line before the kill.
"""
import os
import re
import signal
import sys
import time

LOG, N, PID, WHO = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
LIMIT = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def engine_of(ppid):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != ppid:
                    continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"-R" in args and b"engine" in args:
            return int(d)
    return None


MATCH = re.compile(" engine: docker: (?=[A-Z]+ /)" +
                   os.environ.get("KILL_MATCH", ""))


def calls(f, buf):
    buf[0] += f.read()
    return len(MATCH.findall(buf[0]))


deadline = time.monotonic() + LIMIT
while not os.path.exists(LOG):
    time.sleep(0.001)
buf = [""]
with open(LOG, errors="replace") as f:
    while time.monotonic() < deadline:
        if calls(f, buf) >= N:
            time.sleep(float(os.environ.get("KILL_DELAY", "0")))
            if WHO.isdigit():
                target = int(WHO)
            else:
                target = PID if WHO == "parent" else engine_of(PID)
            if target is None:
                sys.exit(2)
            os.kill(target, signal.SIGKILL)
            sys.exit(0)
        if not alive(PID):
            sys.exit(2)
        time.sleep(0.0005)
sys.exit(1)
