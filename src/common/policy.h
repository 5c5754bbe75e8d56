#ifndef DOCKERUP_POLICY_H
#define DOCKERUP_POLICY_H

/*
 * The trust policy: what a definition may ask for, by the trust class of
 * its source.  Root-owned local files (the confdir) may ask for anything;
 * every other source (EC2 user-data today, any source added later, and a
 * definition whose source is missing) is remote and limited by the
 * settings' struct trust_policy.  The fetcher applies it to report and
 * drop what breaks it; the engine applies it again to everything it
 * receives, so a compromised fetcher cannot bypass it.  The class comes
 * from the process that read a source: everything the fetcher's
 * user-data loader sends is labelled user-data by the fetcher
 * (src/fetcher/udproc.c), whatever it claims.
 */
#include <stddef.h>

#include "defn.h"
#include "errlist.h"
#include "fields.h"
#include "settings.h"

enum source_trust {
	TRUST_REMOTE = 0, /* the default: anything not known to be local */
	TRUST_LOCAL,      /* a root-owned file: an absolute path */
};

/*
 * The class of a source by its name: a *.json file directly in confdir,
 * named as the fetcher names it, is local; "user-data", any other name
 * (another absolute path too) and NULL are remote.  With confdir NULL
 * (the fetcher, naming its own sources while it parses them) any absolute
 * path is local.
 */
enum source_trust source_trust(const char *source, const char *confdir);

/*
 * Checks one definition against the policy of its source's class (local
 * definitions pass): every rule in the .remote column of the field table
 * (fields.h).  Problems go to errs under d->source and prefix
 * (e.g. "containers[2]"), each naming the settings key that would allow
 * it.  Returns the number of problems.
 */
size_t policy_check_defn(const struct settings *s, const struct defn *d,
    const char *prefix, struct errlist *errs);

/*
 * Checks that remote definition i of st reaches (every name of another
 * container the field table's .refs column gives: network container:,
 * volumes from, links, signal) only containers of its own source.  A
 * reference to an undeclared name is not a policy matter.  Returns the
 * number of problems.
 */
size_t policy_check_reach(const struct settings *s,
    const struct desired_state *st, size_t i, const char *prefix,
    struct errlist *errs);

/*
 * A securityOpt seccomp= value a definition of this source may name (what
 * follows "seccomp="): a remote source never names a profile by path, so
 * that nothing is read for it.  Returns 1 when allowed.
 */
int policy_seccomp_ref_allowed(const char *source, const char *value);

/*
 * Whether policy_check_defn() can apply rule p to field f (its kind fits
 * the rule); a rule that does not fit refuses every remote definition.
 */
int policy_rule_applies(
    const struct field_desc *f, const struct field_policy *p);

/* Host paths no remote definition may bind, whatever the allowlist. */
int policy_host_path_forbidden(const struct settings *s, const char *path);

#endif
