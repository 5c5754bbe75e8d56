#!/bin/sh
#
# gen-policy.sh: turns the syscall allowlists in policy/*.list into
#
#   header  the C tables src/common/sandbox.c loads with libseccomp
#           (build/gen/seccomp_tables.h), with the optional names that
#           sanitizer builds add to every filter, and
#   json    the Docker seccomp profile for dockerup's own container
#           (policy/container-seccomp.json, committed).
#
# usage: gen-policy.sh header PARENT.list FETCHER.list ENGINE.list [SANITIZER.list]
#        gen-policy.sh json RUNTIME.list PARENT.list FETCHER.list ENGINE.list
#
# POSIX sh and awk only: nothing but a shell and awk is needed to build.
# The list format is described in policy/README.md.  Every mistake in a
# list is reported as FILE:LINE: what is wrong, and fails the build.

set -eu

usage() {
	echo "usage: gen-policy.sh header PARENT FETCHER ENGINE [SANITIZER]" >&2
	echo "       gen-policy.sh json RUNTIME PARENT FETCHER ENGINE" >&2
	exit 2
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
header) [ $# -eq 3 ] || [ $# -eq 4 ] || usage ;;
json) [ $# -eq 4 ] || usage ;;
*) usage ;;
esac
for f in "$@"; do
	if [ ! -r "$f" ]; then
		echo "gen-policy.sh: $f: cannot read the list" >&2
		exit 1
	fi
done

LC_ALL=C
export LC_ALL

# shellcheck disable=SC2016 # awk program, not shell expansions
prog='
function fail(where, msg) {
	print where ": " msg | "cat 1>&2"
	nerr++
}

function procname(path,    p) {
	p = path
	sub(/.*\//, "", p)
	sub(/\.list$/, "", p)
	return p
}

function addname(p, name, where) {
	if (!((p, name) in seen)) {
		seen[p, name] = where
		nall[p]++
		all[p, nall[p]] = name
	}
	if (!(name in uname)) {
		uname[name] = 1
		nu++
		unames[nu] = name
	}
}

# One condition "aN==VALUE" or "aN&MASK==VALUE" into a C initializer.
function cond_c(c, where,    arg, rest, mask, value, eq) {
	if (c !~ /^a[0-5](&[^=]+)?==[^=]+$/) {
		fail(where, "bad condition \"" c "\": expected aN==VALUE or aN&MASK==VALUE with N in 0..5")
		return ""
	}
	arg = substr(c, 2, 1)
	rest = substr(c, 3)
	eq = index(rest, "==")
	mask = "0"
	if (substr(rest, 1, 1) == "&")
		mask = "(" substr(rest, 2, eq - 2) ")"
	value = substr(rest, eq + 2)
	if (value == "self") {
		if (mask != "0")
			fail(where, "\"self\" cannot be masked")
		return "{ .arg = " arg ", .mask = 0, .value = 0, .self = 1 }"
	}
	return "{ .arg = " arg ", .mask = " mask ", .value = (" value "), .self = 0 }"
}

# "when=FEATURE" ends an argument rule that holds only while the process
# has that feature on (sandbox.h: SANDBOX_WHEN_*); "" without one.
function rule_when(where, n, f,    w) {
	if (n < 2 || f[n] !~ /^when=/)
		return ""
	w = substr(f[n], 6)
	if (w != "inet") {
		fail(where, "unknown feature \"" f[n] "\": expected when=inet")
		return "?"
	}
	return "SANDBOX_WHEN_" toupper(w)
}

function parse_rule(p, where, n, f,    name, i, conds, c, when) {
	name = f[1]
	when = rule_when(where, n, f)
	if (when == "?")
		return
	if (when != "") {
		n--
		if (n == 1 || f[2] ~ /^errno=/) {
			fail(where, "when= needs an argument rule: \"NAME aN==VALUE when=FEATURE\"")
			return
		}
		if (namesonly) {
			fail(where, "the " p " list holds names only")
			return
		}
	}
	if (name !~ /^[a-z_][a-z0-9_]*$/) {
		fail(where, "\"" name "\" is not a system call name")
		return
	}
	if (n == 1) {
		if ((p, name) in plain)
			fail(where, name " is already listed at " plain[p, name])
		else if ((p, name) in hasarg || (p, name) in errrule)
			fail(where, name " has argument or errno rules at " seen[p, name] ": an unconditional line would void them")
		plain[p, name] = where
		np[p]++
		pnames[p, np[p]] = name
		addname(p, name, where)
		return
	}
	if (namesonly) {
		fail(where, "the " p " list holds names only")
		return
	}
	if (f[2] ~ /^errno=/) {
		if (n != 2 || f[2] !~ /^errno=E[A-Z0-9]+$/) {
			fail(where, "bad errno rule: expected \"NAME errno=ECONSTANT\" alone")
			return
		}
		if ((p, name) in seen) {
			fail(where, name " already has a rule at " seen[p, name])
			return
		}
		errrule[p, name] = substr(f[2], 7)
		addname(p, name, where)
		na[p]++
		arules[p, na[p]] = "{ .name = \"" name "\", .where = \"" where "\", .err = " substr(f[2], 7) ", .ncond = 0 },"
		return
	}
	if ((p, name) in plain || (p, name) in errrule) {
		fail(where, name " already has a rule at " seen[p, name] " that would void this one")
		return
	}
	if (n - 1 > 4) {
		fail(where, "at most 4 conditions in one rule")
		return
	}
	conds = ""
	for (i = 2; i <= n; i++) {
		c = cond_c(f[i], where)
		conds = conds (i > 2 ? ",\n\t\t    " : "") c
	}
	hasarg[p, name] = 1
	addname(p, name, where)
	na[p]++
	arules[p, na[p]] = "{ .name = \"" name "\", .where = \"" where "\", .err = 0, .ncond = " (n - 1) (when != "" ? ", .when = " when : "") ",\n\t\t  .cond = { " conds " } },"
}

FNR == 1 {
	p = procname(FILENAME)
	# The runtime list (json) and the sanitizer list (header) are not a
	# process: names only, and nothing inherits them.
	namesonly = (mode == "json" && nfile == 0) || (mode == "header" && nfile == 3)
	if (namesonly)
		extra[p] = 1
	if (p !~ /^[a-z][a-z0-9_]*$/ && !(mode == "json" && namesonly))
		fail(FILENAME, "a process list is named like a C identifier, as parent.list")
	nfile++
	procs[nfile] = p
	listfile[p] = FILENAME
}

{
	line = $0
	sub(/#.*/, "", line)
	gsub(/^[ \t]+|[ \t]+$/, "", line)
	if (line == "")
		next
	n = split(line, f, /[ \t]+/)
	parse_rule(p, FILENAME ":" FNR, n, f)
}

# The parent filter is inherited by every child (seccomp filters survive
# fork and execve, and stack): whatever a child may call, the parent list
# must allow too, or the child dies under its parent filter.
function check_inherited(    i, j, child, name) {
	if (!("parent" in isproc))
		return
	for (i = 1; i <= nfile; i++) {
		child = procs[i]
		if (child == "parent" || child in extra)
			continue
		for (j = 1; j <= nall[child]; j++) {
			name = all[child, j]
			if (!(("parent", name) in seen))
				fail(seen[child, name], name " is not in parent.list: the parent filter, inherited by every child, would kill the " child)
			else if (("parent", name) in errrule && !((child, name) in errrule))
				fail(seen[child, name], name " is refused with an errno in parent.list: the parent filter, inherited by every child, would refuse it")
		}
	}
}

function sort_names(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = arr[i]
		for (j = i - 1; j >= 1 && arr[j] > t; j--)
			arr[j + 1] = arr[j]
		arr[j + 1] = t
	}
}

function errno_number(e) {
	# Same numbers on every architecture of the archMap (asm-generic).
	if (e == "EPERM") return 1
	if (e == "EACCES") return 13
	if (e == "ENOSYS") return 38
	fail("gen-policy.sh", "no number known for " e " in the container profile")
	return 0
}

function emit_header(    i, j, p) {
	print "/*"
	print " * Generated by policy/gen-policy.sh from the lists in policy/: do not edit."
	print " * Included by src/common/sandbox.c only, which defines struct"
	print " * sandbox_argrule and every constant the argument rules name."
	print " */"
	print "#ifndef DOCKERUP_SECCOMP_TABLES_H"
	print "#define DOCKERUP_SECCOMP_TABLES_H"
	for (i = 1; i <= nfile; i++) {
		p = procs[i]
		print ""
		print "/* " listfile[p] ": allowed with any arguments. */"
		print "static const char *const " p "_syscalls[] = {"
		for (j = 1; j <= np[p]; j++)
			print "\t\"" pnames[p, j] "\","
		print "\tNULL"
		print "};"
		if (p in extra)
			continue
		print ""
		print "/* " listfile[p] ": allowed with these arguments only, or refused with an errno. */"
		print "static const struct sandbox_argrule " p "_argrules[] = {"
		for (j = 1; j <= na[p]; j++)
			print "\t" arules[p, j]
		print "\t{ .name = NULL }"
		print "};"
	}
	print ""
	print "#endif"
}

function emit_json(    i, n, names, name, allowed, errname, k, nerrs, errs) {
	n = 0
	nerrs = 0
	for (i = 1; i <= nu; i++) {
		name = unames[i]
		if (name == "clone")
			continue
		allowed = 0
		errname = ""
		for (k = 1; k <= nfile; k++) {
			if ((procs[k], name) in errrule)
				errname = errrule[procs[k], name]
			else if ((procs[k], name) in seen)
				allowed = 1
		}
		if (allowed)
			names[++n] = name
		else {
			errs[++nerrs] = name
			errof[name] = errname
		}
	}
	sort_names(names, n)
	sort_names(errs, nerrs)
	print "{"
	print "\t\"defaultAction\": \"SCMP_ACT_ERRNO\","
	print "\t\"defaultErrnoRet\": 1,"
	print "\t\"archMap\": ["
	print "\t\t{"
	print "\t\t\t\"architecture\": \"SCMP_ARCH_X86_64\","
	print "\t\t\t\"subArchitectures\": ["
	print "\t\t\t\t\"SCMP_ARCH_X86\","
	print "\t\t\t\t\"SCMP_ARCH_X32\""
	print "\t\t\t]"
	print "\t\t},"
	print "\t\t{"
	print "\t\t\t\"architecture\": \"SCMP_ARCH_AARCH64\","
	print "\t\t\t\"subArchitectures\": ["
	print "\t\t\t\t\"SCMP_ARCH_ARM\""
	print "\t\t\t]"
	print "\t\t}"
	print "\t],"
	print "\t\"syscalls\": ["
	print "\t\t{"
	print "\t\t\t\"names\": ["
	for (i = 1; i <= n; i++)
		print "\t\t\t\t\"" names[i] "\"" (i < n ? "," : "")
	print "\t\t\t],"
	print "\t\t\t\"action\": \"SCMP_ACT_ALLOW\","
	print "\t\t\t\"comment\": \"generated by policy/gen-policy.sh from policy/*.list: do not edit\""
	printf "\t\t}"
	if (("clone" in uname)) {
		print ","
		print "\t\t{"
		print "\t\t\t\"names\": ["
		print "\t\t\t\t\"clone\""
		print "\t\t\t],"
		print "\t\t\t\"action\": \"SCMP_ACT_ALLOW\","
		print "\t\t\t\"args\": ["
		print "\t\t\t\t{"
		print "\t\t\t\t\t\"index\": 0,"
		print "\t\t\t\t\t\"value\": 2114060288,"
		print "\t\t\t\t\t\"valueTwo\": 0,"
		print "\t\t\t\t\t\"op\": \"SCMP_CMP_MASKED_EQ\""
		print "\t\t\t\t}"
		print "\t\t\t],"
		print "\t\t\t\"comment\": \"threads and fork only: no CLONE_NEW* namespace flag (0x7e020000)\""
		printf "\t\t}"
	}
	for (i = 1; i <= nerrs; i++) {
		print ","
		print "\t\t{"
		print "\t\t\t\"names\": ["
		print "\t\t\t\t\"" errs[i] "\""
		print "\t\t\t],"
		print "\t\t\t\"action\": \"SCMP_ACT_ERRNO\","
		print "\t\t\t\"errnoRet\": " errno_number(errof[errs[i]]) ","
		print "\t\t\t\"comment\": \"refused with " errof[errs[i]] " so that the caller falls back, as in policy/*.list\""
		printf "\t\t}"
	}
	print ""
	print "\t]"
	print "}"
}

END {
	for (i = 1; i <= nfile; i++) {
		isproc[procs[i]] = 1
		if (procs[i] in dupproc)
			fail(procs[i], "two lists for the same process")
		dupproc[procs[i]] = 1
	}
	check_inherited()
	if (nerr > 0) {
		print "gen-policy.sh: " nerr " error(s) in the policy lists" | "cat 1>&2"
		exit 1
	}
	if (mode == "header")
		emit_header()
	else
		emit_json()
	if (nerr > 0)
		exit 1
}
'

exec awk -v mode="$mode" "$prog" "$@"
