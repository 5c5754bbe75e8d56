#ifndef DOCKERUP_RUN_H
#define DOCKERUP_RUN_H

/*
 * One reconcile run's state, shared by the files that hold its steps:
 * survey.c (observe the host), claim.c (which container is whose),
 * decide.c (what to do, pure), act.c (doing it), selfup.c (our own
 * container), orphans.c (undeclared containers, images), reconcile.c
 * (the run in order, its report).  Internal to those files.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "decide.h"
#include "image.h"
#include "observe.h"
#include "reconcile.h"

struct item {
	const struct defn *d;
	char *ident;  /* defn_identity(d) */
	size_t *cand; /* candidate containers, indices into ctrs */
	size_t ncand;
	char cur_id[65]; /* the container serving it now; "" none */
	int recreated;   /* created or replaced in this run */
	int deferred;    /* its creation waits in run.launches */
};

struct keyidx {
	const char *key;
	size_t idx;
};

struct run {
	struct docker *dk;
	const struct settings *s;
	const struct desired_state *st;
	struct run_report *rep;
	const volatile sig_atomic_t *stop; /* the engine was asked to stop */
	int dry;
	int lost; /* the engine stopped answering */
	const char *self_id;
	struct ctr_list ctrs;
	struct img_list imgs;
	struct image_cache images;
	struct image_env ienv;
	struct item *items;
	size_t nitems;
	struct keyidx *by_ident; /* items sorted by identity */
	struct item *self_item;  /* the definition of our own container */
	char leave_id[65];       /* handed over: remove this container last */
	int removals_confirmed;  /* the mass-removal brake is released */
	struct launch_set launches; /* new containers created together */
	unsigned char *port_busy;   /* host ports the queued ones bind */
};

static inline const char *
ctr_label(const struct ctr *c)
{
	return c->name[0] ? c->name : c->id;
}

static inline int
is_self(const struct run *r, const struct ctr *c)
{
	return decide_is_self(r->self_id, c);
}

/* reconcile.c: the run's clock, plan lines, failures. */
double mono_now(void);
/* One action with its reason: printed by a dry run, logged by a run. */
void run_plan(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void run_plan_cb(void *arg, const char *line);
void run_fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Folds an operation's result into the run; returns it. */
int run_op(struct run *r, int rc);

/* survey.c: /_ping, one container list, one image list; credentials. */
int run_observe(struct run *r, char *err, size_t errlen);
void run_load_auth(struct run *r);

/* claim.c */
struct item *item_by_ident(struct run *r, const char *ident);
void item_add_cand(struct item *it, size_t ci);
void run_index_items(struct run *r);
void run_claim(struct run *r);
struct ctr *item_keeper(struct run *r, const struct item *it, const char *want);
/* decide_peer_fn over the run's items (arg: the run). */
int run_peer(void *arg, const char *ident, struct decide_peer *out);
struct ctr *run_self_ctr(struct run *r);
struct item *run_find_self(struct run *r);

/* act.c */
void reconcile_item(struct run *r, struct item *it);
int item_waits(struct run *r, const struct item *it);
void flush_launches(struct run *r);
struct image_state *item_image(struct run *r, struct item *it);
int drop_container(
    struct run *r, struct ctr *c, int64_t stop_s, char *err, size_t errlen);
int create_container(struct run *r, const struct item *it, const char *want,
    char id[65], char *err, size_t errlen);
void restore_old(struct run *r, struct item *it, struct ctr *k, int restart);
int rename_out_of_way(struct run *r, const struct item *it, struct ctr *k);

/* selfup.c: dockerup's own container, after everything else. */
void self_reconcile(struct run *r, struct item *it);
void self_leave(struct run *r);

/* orphans.c */
void remove_orphans(struct run *r);
void prune_images(struct run *r);

#endif
