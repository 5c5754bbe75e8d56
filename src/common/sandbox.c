/*
 * The sandbox mechanism: identity, capabilities, no_new_privs and the
 * seccomp filter.  The policy itself, which calls each process may make,
 * is not here: it is policy/<process>.list, turned into the tables of
 * seccomp_tables.h by policy/gen-policy.sh.
 */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef DOCKERUP_TEST_HOOKS
#include <sys/ptrace.h>
#endif

#include "log.h"
#include "sandbox.h"

/* Every namespace flag clone() takes; no policy allows one. */
#define CLONE_NAMESPACES                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |         \
	    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

#define SANDBOX_MAX_COND 4

#define CAP_BIT(cap) (UINT64_C(1) << (cap))

/* One argument comparison: (arg & mask) == value, or arg == value. */
struct sandbox_cond {
	unsigned int arg; /* 0..5 */
	uint64_t mask;    /* 0: the whole argument */
	uint64_t value;
	int self; /* value is this process's pid at load time */
};

/* Allowed when every condition holds; or, with err, refused with err. */
struct sandbox_argrule {
	const char *name;
	const char *where; /* "policy/engine.list:20" */
	int err;
	unsigned int ncond;
	unsigned int when; /* SANDBOX_WHEN_* this rule needs, or 0 */
	struct sandbox_cond cond[SANDBOX_MAX_COND];
};

#include "seccomp_tables.h"

/*
 * ASan and UBSan make calls of their own: sanitizer builds (tests, fuzzing)
 * add policy/sanitizer.list to every filter; release builds never do.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifdef SANDBOX_SANITIZER
static const int sanitizer_build = 1;

/*
 * Registered after LeakSanitizer's own exit handler, so it runs first and
 * ends the process before that check (stdio flushed as exit() would).
 */
static void
sanitizer_exit_now(int status, void *arg)
{
	(void)arg;
	fflush(NULL);
	_exit(status);
}
#else
static const int sanitizer_build = 0;
#endif

/*
 * LeakSanitizer's check at exit stops the world with clone and ptrace,
 * which no filter allows, so a filtered process would die of SIGSYS in
 * exit().  Sanitizer builds skip that check in filtered processes; the
 * unit tests, which run unfiltered, still check for leaks.
 */
static void
sanitizer_skip_exit_leak_check(const char *procname)
{
#ifdef SANDBOX_SANITIZER
	if (on_exit(sanitizer_exit_now, NULL) != 0)
		fatalx("%s: on_exit failed", procname);
#else
	(void)procname;
#endif
}

struct policy {
	const char *name;
	const char *const *syscalls;
	const struct sandbox_argrule *argrules;
};

static const struct policy policies[] = {
	[SANDBOX_PARENT] = { "parent", parent_syscalls, parent_argrules },
	[SANDBOX_FETCHER] = { "fetcher", fetcher_syscalls, fetcher_argrules },
	[SANDBOX_ENGINE] = { "engine", engine_syscalls, engine_argrules },
};

/*
 * For --seccomp=trap: syscall names by number, filled before the filter
 * is loaded so that the SIGSYS handler only reads memory.  512 is above
 * the highest syscall number of x86_64 and aarch64.
 */
#define TRAP_NAMES_MAX 512
#define TRAP_NAME_LEN  32
static char trap_names[TRAP_NAMES_MAX][TRAP_NAME_LEN];
static const char *trap_proc = "dockerup";
static uint32_t trap_arch;

static const struct policy *
policy_of(enum sandbox_proc p)
{
	if (p < SANDBOX_PARENT || p > SANDBOX_ENGINE)
		fatalx("sandbox: no seccomp policy for process %d", (int)p);
	return &policies[p];
}

const char *
sandbox_proc_name(enum sandbox_proc p)
{
	return policy_of(p)->name;
}

/*
 * A name libseccomp does not know at all is a mistake in the policy and
 * fatal.  A name it knows that this architecture lacks (open, poll on
 * aarch64) resolves to a negative pseudo number and is skipped.
 */
static int
syscall_number(const char *name, const char *where)
{
	const struct scmp_version *v;
	int nr;

	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		v = seccomp_version();
		fatalx("%s: unknown system call \"%s\" (libseccomp %u.%u.%u): "
		       "expected a name from the kernel's syscall table",
		    where, name, v->major, v->minor, v->micro);
	}
	return nr;
}

static int
add_names(scmp_filter_ctx ctx, const char *list, const char *const *names)
{
	char where[64];
	int i, nr, rc, n = 0;

	snprintf(where, sizeof(where), "policy/%s.list", list);
	for (i = 0; names[i] != NULL; i++) {
		if ((nr = syscall_number(names[i], where)) < 0) {
			log_debug("%s: %s does not exist here, skipped", where,
			    names[i]);
			continue;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			fatalx("%s: seccomp rule for %s: %s", where, names[i],
			    strerror(-rc));
		n++;
	}
	return n;
}

static void
add_argrule(scmp_filter_ctx ctx, const struct sandbox_argrule *r, pid_t self)
{
	struct scmp_arg_cmp cmp[SANDBOX_MAX_COND];
	const struct sandbox_cond *c;
	unsigned int i;
	int nr, rc;

	if ((nr = syscall_number(r->name, r->where)) < 0)
		return;
	if (r->err != 0) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->err), nr, 0);
		if (rc < 0)
			fatalx("%s: seccomp rule for %s: %s", r->where, r->name,
			    strerror(-rc));
		return;
	}
	for (i = 0; i < r->ncond; i++) {
		c = &r->cond[i];
		memset(&cmp[i], 0, sizeof(cmp[i]));
		cmp[i].arg = c->arg;
		if (c->self) {
			cmp[i].op = SCMP_CMP_EQ;
			cmp[i].datum_a = (scmp_datum_t)self;
		} else if (c->mask != 0) {
			cmp[i].op = SCMP_CMP_MASKED_EQ;
			cmp[i].datum_a = c->mask;
			cmp[i].datum_b = c->value;
		} else {
			cmp[i].op = SCMP_CMP_EQ;
			cmp[i].datum_a = c->value;
		}
	}
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->ncond, cmp);
	if (rc < 0)
		fatalx("%s: seccomp rule for %s: %s", r->where, r->name,
		    strerror(-rc));
}

static int
add_argrules(
    scmp_filter_ctx ctx, const struct policy *pol, unsigned int features)
{
	pid_t self = getpid();
	int i, n = 0;

	for (i = 0; pol->argrules[i].name != NULL; i++) {
		unsigned int when = pol->argrules[i].when;
		if ((when & features) != when)
			continue;
		add_argrule(ctx, &pol->argrules[i], self);
		n++;
	}
	return n;
}

unsigned int
sandbox_features(enum sandbox_proc p, const struct settings *s)
{
	int tcp = strncmp(s->remote, "tcp://", 6) == 0;

	switch (p) {
	case SANDBOX_PARENT: /* inherited by both children */
		return s->aws || settings_etcd_on(s) || tcp ? SANDBOX_WHEN_INET
							    : 0;
	case SANDBOX_FETCHER:
		return s->aws || settings_etcd_on(s) ? SANDBOX_WHEN_INET : 0;
	case SANDBOX_ENGINE:
		return tcp ? SANDBOX_WHEN_INET : 0;
	}
	return 0;
}

static void
trap_names_build(void)
{
	char *name;
	int nr;

	trap_arch = seccomp_arch_native();
	for (nr = 0; nr < TRAP_NAMES_MAX; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name == NULL)
			continue;
		snprintf(trap_names[nr], sizeof(trap_names[nr]), "%s", name);
		free(name);
	}
}

/* Async-signal-safe string building for the SIGSYS handler. */
static void
trap_append(char *buf, size_t *len, size_t cap, const char *s)
{
	while (*s != '\0' && *len + 1 < cap)
		buf[(*len)++] = *s++;
}

static void
trap_append_num(char *buf, size_t *len, size_t cap, unsigned int v)
{
	char digits[12];
	size_t n = sizeof(digits) - 1;

	digits[n] = '\0';
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n > 0);
	trap_append(buf, len, cap, digits + n);
}

/*
 * SIGSYS from a SECCOMP_RET_TRAP: name the call, then die of SIGSYS as
 * the kill action would (SA_RESETHAND has restored the default action;
 * the signal is pending until it is unblocked).
 */
static void
trap_handler(int sig, siginfo_t *si, void *uctx)
{
	char line[160];
	const char *name = "unknown";
	size_t len = 0;
	sigset_t set;
	int nr = si->si_syscall;

	(void)uctx;
	if (si->si_arch == trap_arch && nr >= 0 && nr < TRAP_NAMES_MAX &&
	    trap_names[nr][0] != '\0')
		name = trap_names[nr];
	trap_append(line, &len, sizeof(line), trap_proc);
	trap_append(line, &len, sizeof(line), ": seccomp: forbidden syscall ");
	trap_append(line, &len, sizeof(line), name);
	trap_append(line, &len, sizeof(line), " (");
	trap_append_num(line, &len, sizeof(line), (unsigned int)nr);
	trap_append(line, &len, sizeof(line), ")\n");
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to say it */
	}
	raise(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	_exit(128 + SIGSYS);
}

static void
trap_install(const char *procname)
{
	struct sigaction sa;
	sigset_t set;

	trap_proc = procname;
	trap_names_build();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("%s: sigaction(SIGSYS)", procname);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		fatal("%s: sigprocmask(SIGSYS)", procname);
}

static void
no_core_files(const char *procname)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("%s: setrlimit(RLIMIT_CORE)", procname);
}

static void
filter_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t v,
    const char *procname)
{
	int rc;

	if ((rc = seccomp_attr_set(ctx, attr, v)) < 0)
		fatalx("%s: seccomp attribute %d: %s", procname, (int)attr,
		    strerror(-rc));
}

void
sandbox_seccomp(
    enum sandbox_proc p, enum seccomp_mode mode, unsigned int features)
{
	const struct policy *pol = policy_of(p);
	scmp_filter_ctx ctx;
	uint32_t action;
	int n, rc;

	if (mode == SECCOMP_OFF) {
		log_warnx("SECURITY WARNING: the %s runs WITHOUT its seccomp "
			  "filter (--seccomp=off): it may make any system call",
		    pol->name);
		return;
	}
	if (mode != SECCOMP_ON && mode != SECCOMP_TRAP)
		fatalx("%s: seccomp mode %d: expected on, trap or off",
		    pol->name, (int)mode);
	no_core_files(pol->name);
	sandbox_no_new_privs();
	action = mode == SECCOMP_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	if ((ctx = seccomp_init(action)) == NULL)
		fatalx("%s: seccomp_init failed: the kernel needs seccomp "
		       "filters and SECCOMP_RET_KILL_PROCESS (Linux 4.14)",
		    pol->name);
	filter_attr(ctx, SCMP_FLTATR_ACT_BADARCH, action, pol->name);
	filter_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, pol->name);
	n = add_names(ctx, pol->name, pol->syscalls);
	n += add_argrules(ctx, pol, features);
	if (sanitizer_build) {
		n += add_names(ctx, "sanitizer", sanitizer_syscalls);
		sanitizer_skip_exit_leak_check(pol->name);
	}
	if (mode == SECCOMP_TRAP)
		trap_install(pol->name);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("%s: loading the seccomp filter: %s", pol->name,
		    strerror(-rc));
	seccomp_release(ctx);
	log_debug("%s: seccomp filter loaded (%d rules from policy/%s.list, "
		  "IP sockets %s), %s on any other call",
	    pol->name, n, pol->name,
	    features & SANDBOX_WHEN_INET ? "allowed" : "refused",
	    mode == SECCOMP_TRAP ? "trap" : "kill");
}

void
sandbox_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("no_new_privs is still off after PR_SET_NO_NEW_PRIVS");
}

static int
status_line(const char *line, struct sandbox_status *st)
{
	if (sscanf(line, "Uid: %ld %ld %ld %ld", &st->uid[0], &st->uid[1],
		&st->uid[2], &st->uid[3]) == 4)
		return 1;
	if (sscanf(line, "Gid: %ld %ld %ld %ld", &st->gid[0], &st->gid[1],
		&st->gid[2], &st->gid[3]) == 4)
		return 1;
	if (sscanf(line, "CapInh: %" SCNx64, &st->cap_inh) == 1 ||
	    sscanf(line, "CapPrm: %" SCNx64, &st->cap_prm) == 1 ||
	    sscanf(line, "CapEff: %" SCNx64, &st->cap_eff) == 1 ||
	    sscanf(line, "CapBnd: %" SCNx64, &st->cap_bnd) == 1 ||
	    sscanf(line, "CapAmb: %" SCNx64, &st->cap_amb) == 1)
		return 1;
	if (sscanf(line, "NoNewPrivs: %d", &st->no_new_privs) == 1 ||
	    sscanf(line, "Seccomp: %d", &st->seccomp) == 1)
		return 1;
	return 0;
}

int
sandbox_read_status(pid_t pid, struct sandbox_status *st)
{
	char path[64], line[256];
	FILE *f;
	int found = 0;

	memset(st, 0, sizeof(*st));
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/status");
	else
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		found += status_line(line, st);
	fclose(f);
	/* Uid, Gid, five capability sets, NoNewPrivs, Seccomp. */
	if (found != 9) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static void
status_self(struct sandbox_status *st)
{
	if (sandbox_read_status(0, st) == -1)
		fatal("cannot verify the sandbox: /proc/self/status");
}

/* Every capability set holds exactly keep (inheritable, ambient: none). */
static void
caps_verify(uint64_t keep)
{
	struct sandbox_status st;

	status_self(&st);
	if (st.cap_bnd != keep)
		fatalx("capability bounding set is %#" PRIx64
		       ", expected %#" PRIx64,
		    st.cap_bnd, keep);
	if (st.cap_eff != keep || st.cap_prm != keep)
		fatalx("capabilities are effective %#" PRIx64
		       ", permitted %#" PRIx64 ", expected %#" PRIx64,
		    st.cap_eff, st.cap_prm, keep);
	if (st.cap_inh != 0 || st.cap_amb != 0)
		fatalx("capabilities are inheritable %#" PRIx64
		       ", ambient %#" PRIx64 ", expected none",
		    st.cap_inh, st.cap_amb);
}

/*
 * Applies what libcap-ng was told (select) and, when it is not already
 * bnd, the bounding set.  Reducing the bounding set needs CAP_SETPCAP;
 * without it libcap-ng would only try to syslog a warning (with calls no
 * policy allows), so that case is diagnosed here instead.
 */
static void
caps_apply(int select, uint64_t bnd)
{
	struct sandbox_status st;

	status_self(&st);
	if (st.cap_bnd != bnd) {
		if ((st.cap_eff & CAP_BIT(CAP_SETPCAP)) == 0)
			fatalx(
			    "capability bounding set is %#" PRIx64 ", "
			    "expected %#" PRIx64 ": reducing it needs "
			    "CAP_SETPCAP (for a container: --cap-add SETPCAP)",
			    st.cap_bnd, bnd);
		select |= CAPNG_SELECT_BOUNDS;
	}
	if (select != 0 && capng_apply((capng_select_t)select) != 0)
		fatal("capng_apply");
}

void
sandbox_caps_clear_all(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	caps_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT, 0);
	caps_verify(0);
}

static uint64_t
caps_mask(const int *caps, size_t n)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (caps[i] < 0 || caps[i] > 63 || !cap_valid(caps[i]))
			fatalx("capability %d: not a capability this kernel "
			       "knows",
			    caps[i]);
		mask |= CAP_BIT(caps[i]);
	}
	return mask;
}

/* "CHOWN" for CAP_CHOWN, as docker run --cap-add spells it. */
static void
cap_name(int cap, char *out, size_t len)
{
	const char *name = capng_capability_to_name((unsigned int)cap);
	size_t i;

	if (name == NULL) {
		snprintf(out, len, "%d", cap);
		return;
	}
	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)name[i]);
	out[i] = '\0';
}

static void
caps_missing(uint64_t want)
{
	struct sandbox_status st;
	char name[32];
	int cap;

	status_self(&st);
	for (cap = 0; cap < 64; cap++) {
		if ((want & CAP_BIT(cap)) == 0 ||
		    (st.cap_prm & CAP_BIT(cap)) != 0)
			continue;
		cap_name(cap, name, sizeof(name));
		fatalx("capability CAP_%s is missing: dockerup needs it (for "
		       "a container: --cap-add %s)",
		    name, name);
	}
}

void
sandbox_caps_keep(const int *caps, size_t n)
{
	uint64_t want = caps_mask(caps, n);
	size_t i;

	caps_missing(want);
	capng_clear(CAPNG_SELECT_ALL);
	for (i = 0; i < n; i++) {
		if (capng_update(CAPNG_ADD,
			CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			(unsigned int)caps[i]) != 0)
			fatalx(
			    "capng_update: cannot keep capability %d", caps[i]);
	}
	caps_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT, want);
	caps_verify(want);
}

void
sandbox_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			fatal("looking up user \"%s\"", user);
		fatalx("user \"%s\" does not exist: the fetcher needs an "
		       "unprivileged account (--user, default %s)",
		    user, DEFAULT_USER);
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("user \"%s\" has uid %lu, gid %lu: the fetcher needs "
		       "an account that is not root and not in group 0",
		    user, (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* While still root: nothing the process execs may regain a capability. */
static void
bounding_set_clear(void)
{
	struct sandbox_status st;

	capng_clear(CAPNG_SELECT_BOUNDS);
	caps_apply(0, 0);
	status_self(&st);
	if (st.cap_bnd != 0)
		fatalx("capability bounding set is %#" PRIx64 " after clearing "
		       "it, expected none",
		    st.cap_bnd);
}

static void
ids_verify(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];

	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid ||
	    su != uid || getuid() != uid || geteuid() != uid)
		fatalx("uid is not %lu everywhere after setresuid",
		    (unsigned long)uid);
	if (getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid ||
	    sg != gid || getgid() != gid || getegid() != gid)
		fatalx("gid is not %lu everywhere after setresgid",
		    (unsigned long)gid);
	if (getgroups(2, groups) != 1 || groups[0] != gid)
		fatalx("supplementary groups are not just %lu after setgroups",
		    (unsigned long)gid);
	/* As OpenSSH's permanently_set_uid(): getting root back must fail. */
	if (setuid(0) != -1)
		fatalx("setuid(0) succeeded after dropping to uid %lu",
		    (unsigned long)uid);
	if (setresuid((uid_t)-1, 0, (uid_t)-1) != -1)
		fatalx("setresuid(-1, 0, -1) succeeded after dropping to uid "
		       "%lu",
		    (unsigned long)uid);
	if (setresgid((gid_t)-1, 0, (gid_t)-1) != -1)
		fatalx("setresgid(-1, 0, -1) succeeded after dropping to gid "
		       "%lu",
		    (unsigned long)gid);
}

void
sandbox_drop_to_ids(uid_t uid, gid_t gid)
{
	if (uid == 0 || gid == 0)
		fatalx("refusing to drop to uid %lu, gid %lu: not unprivileged",
		    (unsigned long)uid, (unsigned long)gid);
	bounding_set_clear();
	if (setgroups(1, &gid) == -1)
		fatal("setgroups(%lu)", (unsigned long)gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid(%lu)", (unsigned long)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid(%lu)", (unsigned long)uid);
	ids_verify(uid, gid);
}

void
sandbox_drop_to_user(const char *user)
{
	uid_t uid;
	gid_t gid;

	sandbox_lookup_user(user, &uid, &gid);
	sandbox_drop_to_ids(uid, gid);
}

#ifdef DOCKERUP_TEST_HOOKS
/* An IP socket, as a process reaching for the metadata service would. */
void
sandbox_test_inet(const char *name)
{
	const char *want = getenv(SANDBOX_TEST_INET_ENV);
	int fd;

	if (want == NULL || strcmp(want, name) != 0)
		return;
	log_warnx("test hook: the %s opens an AF_INET socket, as %s asks", name,
	    SANDBOX_TEST_INET_ENV);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		log_warn("test hook: the %s's AF_INET socket failed", name);
	else {
		log_warnx("test hook: the %s opened an AF_INET socket", name);
		close(fd);
	}
}

void
sandbox_test_violation(enum sandbox_proc p)
{
	const char *want = getenv(SANDBOX_TEST_ENV);
	const char *name = sandbox_proc_name(p);
	long rc;

	sandbox_test_inet(name);
	if (want == NULL || strcmp(want, name) != 0)
		return;
	log_warnx("test hook: the %s makes a forbidden call (ptrace), as %s "
		  "asks",
	    name, SANDBOX_TEST_ENV);
	/* No process 0 to trace: harmless even with the filter off. */
	rc = syscall(SYS_ptrace, PTRACE_PEEKDATA, 0, NULL, NULL);
	log_warnx("test hook: ptrace returned %ld (%s): the %s's filter did "
		  "not stop it",
	    rc, strerror(errno), name);
}
#endif
