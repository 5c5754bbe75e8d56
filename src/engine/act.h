#ifndef DOCKERUP_ACT_H
#define DOCKERUP_ACT_H

/*
 * Carrying out what decide.c decides, one definition at a time.
 */
#include <stdint.h>

#include "run.h"

/* Decides and carries out what the definition of it needs. */
void reconcile_item(struct run *r, struct item *it);
/*
 * Whether a dependency of it, or a container it signals, waits in the
 * queue of new containers or of replacements.
 */
int item_waits(struct run *r, const struct item *it);
/* Creates and starts the queued new containers. */
void flush_launches(struct run *r);
/* Makes the queued replacements (batch.h). */
void flush_replaces(struct run *r);
/* Both. */
void flush_queued(struct run *r);
/* The image, made local when it can be; NULL when the item must wait. */
struct image_state *item_image(struct run *r, struct item *it);
/*
 * Stops (when running) and removes a container we decided to drop;
 * stop_s is its definition's stopTimeout (STOP_OWN_TIMEOUT for a
 * container no definition declares: the one it was created with).
 */
int drop_container(
    struct run *r, struct ctr *c, int64_t stop_s, char *err, size_t errlen);
/* One container of drop_many(). */
struct drop {
	struct ctr *c;
	int64_t stop_s; /* as drop_container()'s; STOP_OWN_TIMEOUT: its own */
	void *arg;      /* the caller's */
	int rc;         /* 0 stopped and removed; -1 not, err says why */
	char err[1024];
};
/* The same for the n containers of v, all together (at most
   REPLACE_PARALLEL requests at a time), each removal sent as soon as its
   own stop has succeeded. */
void drop_many(struct run *r, struct drop *v, size_t n);
/* Creates (does not start) the container of it; an OP_* result. */
int create_container(struct run *r, const struct item *it, const char *want,
    char id[65], char *err, size_t errlen);
/* The same, for the replacement of old: its volumes carried over. */
int create_replacement(struct run *r, const struct item *it,
    const struct ctr *old, const char *want, char id[65], char *err,
    size_t errlen);
/*
 * Starts k, the container of it.  A container started in another one's
 * network namespace (network container:NAME) stays in the namespace it
 * joined, which a stop of that one tore down; so when k is stopped, the
 * running containers of it's network dependents are restarted after it
 * (same containers, same IDs).  A run killed in between leaves them
 * running in the old namespace; every run restarts such a container
 * (net_rejoin()), whoever started k again.  k's OP_* result, err set.
 */
int start_shared(
    struct run *r, struct item *it, struct ctr *k, char *err, size_t errlen);
/* Puts the old container back under its name after a failed replace;
   with restart, starts it (start_shared()). */
void restore_old(struct run *r, struct item *it, struct ctr *k, int restart);
/* Renames k out of the way: 0 done, 1 refused, -1 no answer. */
int rename_out_of_way(struct run *r, const struct item *it, struct ctr *k);

#endif
