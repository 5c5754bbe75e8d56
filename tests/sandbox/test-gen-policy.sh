#!/bin/sh
#
# Tests of policy/gen-policy.sh: broken lists fail with FILE:LINE and a
# reason, valid ones give the expected tables and a sorted Docker profile.
# Run from the top of the tree (make policy-check runs it).

set -u

GEN=policy/gen-policy.sh
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
n=0

ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }

# lists NAME CONTENT: writes $T/NAME.list
list() { printf '%s\n' "$2" > "$T/$1.list"; }

# expect_error WHAT PATTERN: the generator fails and says PATTERN
expect_error() {
	if sh $GEN header "$T/parent.list" "$T/fetcher.list" "$T/engine.list" \
	    > "$T/out" 2> "$T/err"; then
		bad "$1: accepted"
	elif grep -q -- "$2" "$T/err"; then
		ok
	else
		bad "$1: no \"$2\" in: $(cat "$T/err")"
	fi
}

valid() {
	list parent 'read
write
clone a0&CLONE_NAMESPACES==0  # fork
clone3 errno=ENOSYS
socket a0==AF_UNIX
socket a0==AF_INET
tgkill a2==SIGABRT'
	list fetcher 'write  # log
read
clone3 errno=ENOSYS
tgkill a0==self
socket a0==AF_INET a1&SOCK_STREAM==SOCK_STREAM'
	list engine 'read'
	list runtime 'execve
chdir'
}

valid
if sh $GEN header "$T/parent.list" "$T/fetcher.list" "$T/engine.list" \
    > "$T/h" 2> "$T/err"; then
	ok
	grep -q 'static const char \*const fetcher_syscalls\[\] = {' "$T/h" &&
	    grep -q '\.value = (AF_INET)' "$T/h" &&
	    grep -q '\.mask = (CLONE_NAMESPACES), \.value = (0)' "$T/h" &&
	    grep -q '\.self = 1' "$T/h" &&
	    grep -q '\.err = ENOSYS' "$T/h" &&
	    grep -q "fetcher.list:5" "$T/h" && ok ||
	    bad "header lacks an expected table entry: $(cat "$T/h")"
else
	bad "valid lists refused: $(cat "$T/err")"
fi

if sh $GEN json "$T/runtime.list" "$T/parent.list" "$T/fetcher.list" \
    "$T/engine.list" > "$T/j" 2> "$T/err"; then
	names=$(jq -r '.syscalls[0].names | join(" ")' "$T/j")
	[ "$names" = "chdir execve read socket tgkill write" ] && ok ||
	    bad "json names: $names"
	[ "$(jq -r '.syscalls[1].names[0] + " " + .syscalls[1].args[0].op' \
	    "$T/j")" = "clone SCMP_CMP_MASKED_EQ" ] && ok || bad "json clone rule"
	[ "$(jq -r '.syscalls[2].names[0] + " " + (.syscalls[2].errnoRet |
	    tostring)' "$T/j")" = "clone3 38" ] && ok || bad "json clone3 rule"
	[ "$(jq -r '.defaultAction + " " + (.defaultErrnoRet | tostring)' \
	    "$T/j")" = "SCMP_ACT_ERRNO 1" ] && ok || bad "json default action"
else
	bad "json of valid lists refused: $(cat "$T/err")"
fi

valid
list engine 'read
ptrace'
expect_error "a child's call missing from the parent" \
    "engine.list:2: ptrace is not in parent.list"

valid
list fetcher 'read
read'
expect_error "duplicate" "fetcher.list:2: read is already listed"

valid
list fetcher 'socket a0==AF_INET
socket'
expect_error "unconditional after conditional" \
    "fetcher.list:2: socket has argument or errno rules"

valid
list fetcher 'read
read a0==1'
expect_error "conditional after unconditional" \
    "fetcher.list:2: read already has a rule"

valid
list fetcher 'clone3 errno=ENOSYS
clone3 a0==1'
expect_error "rule after errno" "fetcher.list:2: clone3 already has a rule"

valid
list fetcher 'read a7==1'
expect_error "bad argument index" "fetcher.list:1: bad condition"

valid
list fetcher 'read a0=1'
expect_error "bad operator" "fetcher.list:1: bad condition"

valid
list fetcher 'Read'
expect_error "not a name" "fetcher.list:1: \"Read\" is not a system call"

valid
list fetcher 'read a0&1==self'
expect_error "masked self" "\"self\" cannot be masked"

valid
list fetcher 'read errno=ENOSYS extra'
expect_error "errno with more" "bad errno rule"

valid
list parent 'read
write
socket
clone3 errno=ENOSYS
tgkill'
list fetcher 'clone3 errno=ENOSYS
read'
list engine 'write
clone3 a0==0'
expect_error "allowed in a child, refused in the parent" \
    "refused with an errno in parent.list"

# when=FEATURE: an argument rule that holds only with that feature.
valid
list fetcher 'socket a0==AF_UNIX
socket a0==AF_INET when=inet  # user-data only'
if sh $GEN header "$T/parent.list" "$T/fetcher.list" "$T/engine.list" \
    > "$T/h" 2> "$T/err" &&
    grep -q '\.ncond = 1, \.when = SANDBOX_WHEN_INET' "$T/h" &&
    [ "$(grep -c 'SANDBOX_WHEN_INET' "$T/h")" -eq 1 ]; then
	ok
else
	bad "when=inet: $(cat "$T/err") $(grep -n socket "$T/h")"
fi

valid
list fetcher 'socket a0==AF_INET when=ipx'
expect_error "unknown feature" "fetcher.list:1: unknown feature \"when=ipx\""

valid
list fetcher 'read when=inet'
expect_error "when on a plain name" "fetcher.list:1: when= needs an argument rule"

valid
list fetcher 'clone3 errno=ENOSYS when=inet'
expect_error "when on an errno rule" "fetcher.list:1: when= needs an argument rule"

valid
list runtime 'chdir a0==1'
if sh $GEN json "$T/runtime.list" "$T/parent.list" "$T/fetcher.list" \
    "$T/engine.list" > /dev/null 2> "$T/err"; then
	bad "runtime list with an argument rule accepted"
elif grep -q "runtime.list:1: the runtime list holds names only" "$T/err"; then
	ok
else
	bad "runtime list error: $(cat "$T/err")"
fi

# The sanitizer list: names only, emitted without argument rules.
valid
list sanitizer 'sigaltstack'
if sh $GEN header "$T/parent.list" "$T/fetcher.list" "$T/engine.list" \
    "$T/sanitizer.list" > "$T/h" 2> "$T/err" &&
    grep -q 'sanitizer_syscalls\[\] = {' "$T/h" &&
    ! grep -q 'sanitizer_argrules' "$T/h"; then
	ok
else
	bad "sanitizer list: $(cat "$T/err")"
fi
list sanitizer 'open a1==0'
if sh $GEN header "$T/parent.list" "$T/fetcher.list" "$T/engine.list" \
    "$T/sanitizer.list" > /dev/null 2> "$T/err"; then
	bad "sanitizer list with an argument rule accepted"
else
	grep -q "sanitizer.list:1: the sanitizer list holds names only" \
	    "$T/err" && ok || bad "sanitizer list error: $(cat "$T/err")"
fi

# The committed profile: valid JSON, names sorted and unique.
J=policy/container-seccomp.json
if jq -e '.syscalls[0].names == (.syscalls[0].names | unique)' "$J" \
    > /dev/null; then
	ok
else
	bad "$J: names not sorted and unique"
fi

echo "test-gen-policy: $((n - fails))/$n passed"
[ "$fails" -eq 0 ]
