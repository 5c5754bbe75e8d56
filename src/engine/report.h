#ifndef DOCKERUP_REPORT_H
#define DOCKERUP_REPORT_H

/*
 * What a run did: its plan lines, one record per definition, counters
 * and the first registry fault.  The run fills it (status.h's report_*
 * hooks); status.c writes it out and run_report_free() frees it.
 */
#include <stddef.h>

#include "bounds.h"

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
	char image_id[80];      /* "sha256:...": resolved from its reference */
	char running_image[80]; /* its container's, when not image_id */
	int was_running;        /* its container ran when observed */
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
	unsigned rollbacks;      /* updates the health gate rolled back */
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

#endif
