#ifndef DOCKERUP_RECONCILE_H
#define DOCKERUP_RECONCILE_H

/*
 * One reconcile run: make the host's containers match a desired state
 * through the Docker Engine API.
 */
#include <signal.h>

#include "bounds.h"
#include "defn.h"
#include "settings.h"

/* One plan line of a run: "VERB NAME [DETAIL] (REASON)" (status.h). */
struct run_action {
	char *action; /* create, replace, restart, start, rename,
	                        remove, pull, signal, prune */
	char *name;   /* definition, container or image; "" none */
	char *detail; /* "to NAME" of a rename, a signal; "" none */
	char *reason; /* "" none */
	char *line;   /* the text line, as a dry run prints it */
};

/* What one definition's part of a run came to. */
struct run_item {
	char *ident;  /* defn_identity() */
	char *name;   /* container name, or NULL when unnamed */
	char *action; /* the verb of its plan line, "unchanged" or
	                        "none" (failed before deciding) */
	char *reason; /* NULL none */
	char *error;  /* the first failure, NULL none */
	char container_id[65];
	char image_id[80]; /* "sha256:..." */
	int was_running;   /* its container ran when observed */
};

/* The first registry that failed a run, for the server's back-off. */
struct registry_fault {
	int failed;       /* a pull or a registry check failed */
	int rate_limited; /* ...and the registry said 429 */
	char registry[RUN_RESULT_WHERE_MAX]; /* its host[:port] */
};

struct run_report {
	int exit_code; /* 0 all good, 1 something failed */
	unsigned created, replaced, started, removed, unchanged, failed;
	unsigned api_calls;      /* Docker API requests made by this run */
	unsigned self_rollbacks; /* self-upgrades rolled back (0 or 1) */
	unsigned braked;         /* removals the mass-removal brake held back */
	struct registry_fault registry;
	/* Owned; run_report_free() frees them. */
	struct run_action *actions;
	size_t nactions;
	struct run_item *items;
	size_t nitems;
	size_t cur_item; /* 1 + index being reconciled, 0 none */
	char *error;     /* a failure outside any definition, or NULL */
};

void run_report_free(struct run_report *rep);

struct docker; /* a connection to the Docker endpoint (docker.h) */

/*
 * The brake's rule (decide.c): removing going of the running containers
 * in a run's care at once is held back (more than half, and at least
 * MASS_REMOVAL_MIN).
 */
int mass_removal_held(unsigned going, unsigned running);

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
