#ifndef DOCKERUP_RECONCILE_H
#define DOCKERUP_RECONCILE_H

/*
 * One reconcile run: make the host's containers match a desired state
 * through the Docker Engine API.
 */
#include <signal.h>

#include "defn.h"
#include "report.h"
#include "settings.h"

struct docker; /* a connection to the Docker endpoint (docker.h) */

/*
 * Applies st.  In MODE_DRY_RUN prints the plan to stdout and changes
 * nothing.  When st->complete is 0, no container is removed as an orphan.
 * A run that would remove more than half of the running containers in
 * its care (at least MASS_REMOVAL_MIN) removes none of them unless
 * removals_confirmed; rep->braked then counts them.  *stop is set from
 * the engine's signal handling (SIGTERM via the parent): the run
 * finishes the Docker call in flight and the step it belongs to, so that
 * no container is left half replaced, then returns.
 */
int engine_reconcile(struct docker *dk, const struct settings *s,
    const struct desired_state *st, int removals_confirmed,
    const volatile sig_atomic_t *stop, struct run_report *rep);

#endif
