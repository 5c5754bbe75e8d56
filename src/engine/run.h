#ifndef DOCKERUP_RUN_H
#define DOCKERUP_RUN_H

/*
 * One reconcile run's state, shared by the files that hold its steps:
 * survey.c (observe the host), claim.c (which container is whose),
 * act.c (doing what decide.c decides, which never sees this state),
 * selfup.c (our own container), orphans.c (undeclared containers,
 * images), runlog.c (its plan lines and failures) and reconcile.c (the
 * run, step by step).  Internal to those files; each declares its own
 * functions in its own header.
 */
#include <signal.h>
#include <stddef.h>

#include "batch.h"
#include "decide.h"
#include "gate.h"
#include "image.h"
#include "observe.h"
#include "report.h"
#include "settings.h"

struct item {
	const struct defn *d;
	char *ident;  /* defn_identity(d) */
	size_t *cand; /* candidate containers, indices into ctrs */
	size_t ncand;
	char cur_id[65]; /* the container serving it now; "" none */
	/* Set with the hash it should carry: the label dockerup up to
	   2026-12-02 gave such a container, "" when the same (spec.h). */
	char want_v1[65];
	int recreated; /* created or replaced in this run */
	int deferred;  /* waits in run.launches or run.replaces */
	/* cur_id's mount points (volumes from follows them); NULL when not
	   known: into ctrs, or new_mounts for one replaced in this run. */
	const struct mounts *mounts;
	struct mounts new_mounts;
	int slot;           /* holds a rolling slot (rollout.h) */
	char slot_hash[65]; /* ...for the update to this hash */
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
	struct launch_set launches;  /* new containers created together */
	struct replace_set replaces; /* replacements made together */
	unsigned char *port_busy;    /* host ports the queued ones bind */
	struct gate_set gates;       /* replacements on probation (gate.h) */
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

#endif
