#ifndef DOCKERUP_SANDBOX_H
#define DOCKERUP_SANDBOX_H

/*
 * Restricting a process: identity, capabilities, no_new_privs and the
 * seccomp filter generated from policy/<process>.list.  Every function
 * either succeeds and has verified its effect, or does not return.
 *
 * Order in each process (see policy/README.md):
 *   parent:  sandbox_caps_keep(parent caps), sandbox_no_new_privs(),
 *            sandbox_seccomp(SANDBOX_PARENT, mode), then fork children.
 *   fetcher: sandbox_drop_to_ids() or sandbox_drop_to_user(),
 *            sandbox_caps_clear_all(), sandbox_no_new_privs(),
 *            sandbox_seccomp(SANDBOX_FETCHER, mode), then read input.
 *   engine:  sandbox_caps_clear_all(), sandbox_no_new_privs(),
 *            sandbox_seccomp(SANDBOX_ENGINE, mode).
 * The parent's filter is inherited by the children and stacks with
 * theirs: a child can do only what both filters allow.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "settings.h"

enum sandbox_proc {
	SANDBOX_PARENT = 1,
	SANDBOX_FETCHER,
	SANDBOX_ENGINE,
};

/* "parent", "fetcher" or "engine". */
const char *sandbox_proc_name(enum sandbox_proc p);

/*
 * Features a rule of a policy list may depend on ("when=inet"): such a
 * rule is in the filter only when the caller passes its bit.
 */
#define SANDBOX_WHEN_INET 0x1u /* IP sockets: user-data, tcp:// endpoints */

/* The features each process needs with these settings. */
unsigned int sandbox_features(enum sandbox_proc p, const struct settings *s);

/*
 * Loads p's filter, with the rules of the features given (SANDBOX_WHEN_*).
 * SECCOMP_ON kills the process on a call the policy
 * does not allow; SECCOMP_TRAP writes "PROC: seccomp: forbidden syscall NAME
 * (NR)" to stderr first, then dies of SIGSYS the same way; SECCOMP_OFF
 * loads nothing and says so loudly.  Sets no_new_privs and RLIMIT_CORE 0
 * (a killed process leaves no core file holding secrets).  Call it while
 * the process has a single thread.
 */
void sandbox_seccomp(
    enum sandbox_proc p, enum seccomp_mode mode, unsigned int features);

/*
 * Looks up user (before any chroot, and before a filter is loaded: NSS
 * modules make calls no policy lists).  Refuses unknown users and uid 0.
 */
void sandbox_lookup_user(const char *user, uid_t *uid, gid_t *gid);

/*
 * Becomes uid/gid for good: clears the capability bounding set while
 * CAP_SETPCAP is still there, then setgroups, setresgid, setresuid; then
 * checks that uid and gid are what they should be and that neither
 * setuid(0) nor setresuid(-1, 0, -1) works.
 */
void sandbox_drop_to_ids(uid_t uid, gid_t gid);
void sandbox_drop_to_user(const char *user);

/*
 * Clears every capability set (effective, permitted, inheritable,
 * ambient) and the bounding set, then checks /proc/self/status.  After
 * sandbox_drop_to_*() only the first sets are left to clear.
 */
void sandbox_caps_clear_all(void);

/*
 * Keeps exactly caps[0..n-1] (CAP_* numbers) in the effective, permitted
 * and bounding sets and nothing else; the caller says why for each one.
 * Dies naming what is missing when the process does not have them.
 */
void sandbox_caps_keep(const int *caps, size_t n);

/* PR_SET_NO_NEW_PRIVS, verified. */
void sandbox_no_new_privs(void);

/* What /proc/PID/status says about a process's restrictions. */
struct sandbox_status {
	long uid[4]; /* real, effective, saved, filesystem */
	long gid[4];
	uint64_t cap_inh;
	uint64_t cap_prm;
	uint64_t cap_eff;
	uint64_t cap_bnd;
	uint64_t cap_amb;
	int no_new_privs;
	int seccomp; /* 0 none, 1 strict, 2 filter */
};

/* pid 0 reads /proc/self.  Returns 0, or -1 with errno set. */
int sandbox_read_status(pid_t pid, struct sandbox_status *st);

/*
 * Test-only hook (built with TEST_HOOKS=1, -DDOCKERUP_TEST_HOOKS): when
 * the environment variable DOCKERUP_TEST_SECCOMP_VIOLATION names p's
 * process, makes a call p's policy forbids (ptrace with harmless
 * arguments), so that a test can watch the filter kill it; when
 * DOCKERUP_TEST_INET_SOCKET names it, opens an AF_INET socket (killed
 * unless the process has SANDBOX_WHEN_INET) and logs what happened.  Call
 * it right after sandbox_seccomp().  In normal builds it does nothing.
 */
#define SANDBOX_TEST_ENV      "DOCKERUP_TEST_SECCOMP_VIOLATION"
#define SANDBOX_TEST_INET_ENV "DOCKERUP_TEST_INET_SOCKET"
#ifdef DOCKERUP_TEST_HOOKS
void sandbox_test_violation(enum sandbox_proc p);
/* The AF_INET part alone, for a process by name ("udloader"). */
void sandbox_test_inet(const char *name);
#else
static inline void
sandbox_test_violation(enum sandbox_proc p)
{
	(void)p;
}
static inline void
sandbox_test_inet(const char *name)
{
	(void)name;
}
#endif

#endif
