#ifndef DOCKERUP_DECIDE_H
#define DOCKERUP_DECIDE_H

/*
 * What a run does, decided from what it observed: pure functions of the
 * definitions, the containers and the images, with no Docker call and no
 * log line.  The run (act.c, orphans.c, selfup.c) carries the decisions
 * out in order, because what one definition needs depends on what was
 * done for those before it (a recreated dependency).
 */
#include <stddef.h>

#include "defn.h"
#include "image.h"
#include "observe.h"
#include "settings.h"

enum act {
	ACT_NONE = 0, /* matches and runs */
	ACT_CREATE,   /* no container */
	ACT_REPLACE,  /* hash differs, or it must follow a dependency */
	ACT_START,    /* declared but not running */
	ACT_RENAME,   /* matches but carries an old name */
	ACT_FINISHED, /* restart never, exited on its own: leave it */
};

#define DECIDE_WHY_MAX 512 /* a decision's reason, with its NUL */

/* What deciding one definition knows of another one, by identity. */
struct decide_peer {
	int recreated;      /* created or replaced in this run */
	const char *cur_id; /* the container serving it now; "" none */
	/* The mount points of that container; NULL when not known (made in
	   this run and not inspected). */
	const struct mounts *mounts;
};

/* Fills *out for the definition ident; 0 found, -1 not a definition. */
typedef int (*decide_peer_fn)(
    void *arg, const char *ident, struct decide_peer *out);

struct decide_in {
	const struct defn *d;
	const struct ctr *k; /* the container kept for it; NULL none */
	const struct image_state *img;
	const char *want;    /* the hash it should carry; NULL: image unknown */
	const char *want_v1; /* ...or this older label of it (spec.h) */
	int k_is_self;       /* k is dockerup's own container */
	decide_peer_fn peer;
	void *peer_arg;
};

struct decision {
	enum act act;
	int self_held; /* k is our own container: act is not carried out */
	char why[DECIDE_WHY_MAX];
};

void decide_item(const struct decide_in *in, struct decision *out);

/* The verb of a decision's plan line ("restart" for a dependency). */
const char *decide_verb(enum act a, const char *why);

/* Why k no longer matches what d wants (replace). */
void decide_changed(const struct defn *d, const struct ctr *k,
    const struct image_state *img, char *why, size_t whylen);

/* A restart:never container that exited on its own: a finished job. */
int decide_finished_job(const struct defn *d, const struct ctr *k);

#define DECIDE_NO_KEEPER ((size_t)-1)

/*
 * The candidate (an index into ctrs, from cand) to keep: right hash
 * (want, or want_v1: spec_hash_matches()), running, right name, newest;
 * DECIDE_NO_KEEPER when all are removed.
 */
size_t decide_keeper(const struct ctr_list *ctrs, const size_t *cand,
    size_t ncand, const struct defn *d, const char *want, const char *want_v1);

/* Whether c is the container self_id (a full ID or a prefix of 12+). */
int decide_is_self(const char *self_id, const struct ctr *c);

enum self_act {
	SELF_UNCHANGED,        /* runs what its definition wants */
	SELF_REPLACE_UNPULLED, /* image not local (a dry run): plan only */
	SELF_UPGRADE,          /* a new instance must take over */
};

/*
 * Our own container me, described by d (identity ident): want is the
 * hash it should carry (or want_v1), NULL when the image is not local or
 * outdated.
 */
enum self_act decide_self(const struct defn *d, const char *ident,
    const struct ctr *me, const struct image_state *img, const char *want,
    const char *want_v1, char *why, size_t whylen);

/* The containers a run removes as undeclared, and the brake. */
struct orphan_plan {
	int incomplete;   /* the state is not complete: none is removed */
	int braked;       /* the brake holds every removal back */
	unsigned going;   /* running orphans in the run's care */
	unsigned running; /* running containers in the run's care */
	size_t *remove;   /* indices into the list, in its order */
	size_t nremove;
};

/*
 * The brake's rule: removing going of the running containers in a run's
 * care at once is held back (more than half, and at least
 * MASS_REMOVAL_MIN).
 */
int mass_removal_held(unsigned going, unsigned running);

/* Whether c is removed as undeclared under the orphans setting. */
int decide_is_orphan(
    const struct ctr *c, const char *self_id, enum orphan_policy orphans);

/*
 * complete: the desired state is complete; confirmed: the engine
 * released the brake.  orphan_plan_free() frees out.
 */
void decide_orphans(const struct ctr_list *ctrs, const char *self_id,
    enum orphan_policy orphans, int complete, int confirmed,
    struct orphan_plan *out);
void orphan_plan_free(struct orphan_plan *p);

#endif
