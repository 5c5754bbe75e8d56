#ifndef DOCKERUP_VALIDATE_H
#define DOCKERUP_VALIDATE_H

/*
 * The rules a canonical definition must meet.  The fetcher applies them
 * after normalizing JSON, the engine again to everything it decodes from
 * the fetcher: same code, same verdict.
 */
#include <stddef.h>

#include "defn.h"
/* defn_dependencies(), for the engine's reconcile.c */
#include "depgraph.h"
#include "errlist.h"
/* valid_utf8(), valid_abs_path(), valid_json_nesting() */
#include "textcheck.h"

/* Field-level predicates, each true when valid. */
int valid_container_name(const char *s);
int valid_image_ref(const char *s);
int valid_env_key(const char *s);
int valid_capability(const char *s); /* "NET_ADMIN", "CAP_NET_ADMIN", ALL */
int valid_signal_name(const char *s);
int valid_label_key(const char *s); /* and not under "dockerup." */

/*
 * Checks one canonical definition; adds every problem to errs under the
 * given where/prefix (e.g. "user-data", "containers[2]").  Returns the
 * number of problems found.
 */
size_t defn_validate(const struct defn *d, const char *where,
    const char *prefix, struct errlist *errs);

/*
 * Checks the whole state: unique identities, every reference (links,
 * volumes from, network container:NAME, signal targets) names a declared
 * container, no dependency cycle (named in full).  On success reorders
 * s->defs into dependency order (dependencies first; ties by identity) and
 * returns 0.
 */
size_t state_validate_and_order(struct desired_state *s, struct errlist *errs);

#endif
