#ifndef DOCKERUP_BATCH_H
#define DOCKERUP_BATCH_H

/*
 * New containers created and started concurrently: reconcile collects the
 * creations whose dependencies are already satisfied, then flushes them
 * here.  All creates are sent (at most LAUNCH_PARALLEL at a time) and
 * answered before the starts of those created are sent, the same way.
 */
#include <stddef.h>

#include "bounds.h"
#include "docker.h"

struct launch {
	char *name;         /* container name; NULL: unnamed */
	char *body;         /* the create body (JSON) */
	void *arg;          /* the caller's (its item) */
	size_t report_item; /* the caller's report index */
	int rc_create;      /* OP_OK, OP_FAILED or OP_LOST */
	int rc_start;       /* the same; OP_FAILED when not created */
	char id[65];        /* once created */
	char err[1024];     /* why the create or the start failed */
};

struct launch_set {
	struct launch *v;
	size_t n;
	size_t cap;
};

/*
 * Replacements, likewise (act.c's flush_replaces()): reconcile queues
 * those whose dependencies are settled, then each phase -- the renames of
 * the old containers out of the way, the creates, the stops of the old
 * ones (stop-first), the starts -- goes out for all of them together, at
 * most REPLACE_PARALLEL at a time.
 */
struct item;
struct ctr;
struct replace {
	struct item *it;
	struct ctr *k;                   /* the old container */
	char want[65];                   /* the hash the new one carries */
	char oldname[MAX_NAME_LEN + 64]; /* k's while replaced; "" none */
	char nid[65];                    /* the new container, once made */
	size_t report_item;              /* the caller's report index */
	int eager;   /* the old one runs until the new one's gate */
	int stopped; /* the old one was stopped to be renamed */
	int was_running;
	int settled;  /* failed (reported), or made in place */
	int in_place; /* made in place: no swap, no gate */
};

struct replace_set {
	struct replace *v;
	size_t n;
};

/*
 * Adds a launch; takes name (may be NULL) and body, both allocated.
 * Returns the entry.
 */
struct launch *launch_add(struct launch_set *ls, char *name, char *body);
/* Creates, then starts, every container of ls; sets each entry's result. */
void launch_run(struct docker *dk, struct launch_set *ls);
/* Forgets the entries (frees their names and bodies); keeps the array. */
void launch_clear(struct launch_set *ls);
void launch_free(struct launch_set *ls);

#endif
