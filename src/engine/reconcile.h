#ifndef DOCKERUP_RECONCILE_H
#define DOCKERUP_RECONCILE_H

/*
 * One reconcile run: make the host's containers match a desired state
 * through the Docker Engine API.
 */
#include <signal.h>

#include "defn.h"
#include "settings.h"

struct run_report {
	int exit_code;       /* 0 all good, 1 something failed */
	unsigned created, replaced, started, removed, unchanged, failed;
	unsigned api_calls;  /* Docker API requests made by this run */
};

struct docker;           /* a connection to the Docker endpoint */

/* Opens (lazily connects) the endpoint of s->remote; NULL with err set. */
struct docker *docker_open(const struct settings *s, char *err,
    size_t errlen);
void docker_close(struct docker *dk);

/*
 * Set from the engine's signal handling (SIGTERM via the parent): the run
 * finishes the Docker call in flight and the step it belongs to, so that
 * no container is left half replaced, then returns.
 */
extern volatile sig_atomic_t engine_stop_requested;

/*
 * Applies st.  In MODE_DRY_RUN prints the plan to stdout and changes
 * nothing.  When st->complete is 0, no container is removed as an orphan.
 */
int engine_reconcile(struct docker *dk, const struct settings *s,
    const struct desired_state *st, struct run_report *rep);

#endif
