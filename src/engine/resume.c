/*
 * Finishing an update an earlier run left unfinished (resume.h).
 */
#include "resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act.h"
#include "ctrops.h"
#include "failed.h"
#include "gate.h"
#include "log.h"
#include "runlog.h"
#include "spec.h"
#include "xalloc.h"

/* The live candidate of it with id, other than c; NULL none. */
static struct ctr *
cand_with_id(
    struct run *r, const struct item *it, const struct ctr *c, const char *id)
{
	for (size_t i = 0; i < it->ncand; i++) {
		struct ctr *o = &r->ctrs.v[it->cand[i]];
		if (o != c && !o->removed && strcmp(o->id, id) == 0)
			return o;
	}
	return NULL;
}

/*
 * The newest candidate *np that replaces another candidate *op, both
 * still there: an unfinished update.  0 when there is none.
 */
static int
find_pair(
    struct run *r, const struct item *it, struct ctr **np, struct ctr **op)
{
	struct ctr *o;

	*np = *op = NULL;
	for (size_t i = 0; i < it->ncand; i++) {
		struct ctr *c = &r->ctrs.v[it->cand[i]];
		if (c->removed || c->replaces[0] == '\0' || is_self(r, c) ||
		    (*np != NULL && c->created <= (*np)->created))
			continue;
		if ((o = cand_with_id(r, it, c, c->replaces)) != NULL &&
		    !is_self(r, o)) {
			*np = c;
			*op = o;
		}
	}
	return *np != NULL;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Back to before the update: n goes, o gets its name back and runs again
 * if it ran.  -1 when n could not be removed (both are left).
 */
static int
undo(struct run *r, struct item *it, struct ctr *n, struct ctr *o,
    const char *why)
{
	char err[1024];

	run_plan(r,
	    "undo %s (an update left unfinished: %s; its new container %.12s "
	    "is removed and the old one %s put back)",
	    it->ident, why, n->id, ctr_label(o));
	if (run_op(r, op_remove_force(r->dk, n->id, err, sizeof(err))) !=
	    OP_OK) {
		if (!r->lost)
			run_fail(r,
			    "undo the unfinished update of %s: remove its new "
			    "container %.12s: %s",
			    it->ident, n->id, err);
		return -1;
	}
	n->removed = 1;
	restore_old(r, it, o, n->replaces_ran && !ctr_running(o));
	return 0;
}

/* Whether d binds a fixed host port (old and new cannot both run). */
static int
binds_host_port(const struct defn *d)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].host_port != 0)
			return 1;
	return 0;
}

/*
 * The new container n was made and never started: the update goes on
 * from there, as the run that made it would have: the old one o stops
 * first (unless update.eager and no fixed host port), then n starts.
 * 0 started; -1 with err set.
 */
static int
start_new(struct run *r, const struct item *it, const struct ctr *n,
    struct ctr *o, char *err, size_t errlen)
{
	if (ctr_running(o) &&
	    (!it->d->update_eager || binds_host_port(it->d))) {
		if (run_op(r,
			op_stop(r->dk, o->id, it->d->stop_timeout, err,
			    errlen)) != OP_OK)
			return -1;
		ctr_set_state(o, "exited");
	}
	return run_op(r, op_start(r->dk, n->id, err, errlen)) == OP_OK ? 0 : -1;
}

enum resume
resume_update(struct run *r, struct item *it, struct ctr **kp, const char *want)
{
	struct ctr *n, *o;
	struct ctr_state st;
	struct failed_entry fe;
	char err[1024], why[1200];
	double up;
	int rc;

	if (!find_pair(r, it, &n, &o))
		return RESUME_NONE;
	*kp = n;
	if (r->dry) {
		run_plan(r,
		    "finish %s (an update left unfinished: its new container "
		    "%.12s is judged by its health gate; the old one is %s)",
		    it->ident, n->id, ctr_label(o));
		r->rep->unchanged++;
		return RESUME_GATED;
	}
	flush_launches(r);
	rc = run_op(r, op_state(r->dk, n->id, &st, err, sizeof(err)));
	if (rc == OP_LOST)
		return RESUME_LEFT;
	why[0] = '\0';
	if (rc != OP_OK)
		snprintf(why, sizeof(why),
		    "its new container could not be inspected: %s", err);
	else if (!spec_hash_matches(n->label_hash, want, it->want_v1))
		snprintf(
		    why, sizeof(why), "its definition or image changed since");
	else if (failed_held(it->ident, n->label_hash, &fe))
		snprintf(why, sizeof(why), "it was rolled back");
	else if (st.never_started) {
		run_plan(r,
		    "replace %s (finishing an update an earlier run left "
		    "before its new container started)",
		    it->ident);
		if (start_new(r, it, n, o, err, sizeof(err)) == -1) {
			if (r->lost)
				return RESUME_LEFT;
			snprintf(why, sizeof(why),
			    "its new container could not be started: %s", err);
		}
	}
	if (why[0] != '\0') {
		if (undo(r, it, n, o, why) == -1)
			return RESUME_LEFT;
		*kp = o;
		return RESUME_UNDONE;
	}
	snprintf(it->cur_id, sizeof(it->cur_id), "%s", n->id);
	it->mounts = &n->mounts;
	r->rep->replaced++;
	if (st.never_started) {
		gate_add(r, it, (size_t)(o - r->ctrs.v), n->id, n->label_hash,
		    n->replaces_ran);
		return RESUME_GATED;
	}
	up = st.started_at > 0 ? wall_now() - st.started_at : 0;
	run_plan(r,
	    "replace %s (finishing an update an earlier run left in its "
	    "health gate)",
	    it->ident);
	gate_resume(r, it, (size_t)(o - r->ctrs.v), n->id, n->label_hash,
	    n->replaces_ran, up);
	return RESUME_GATED;
}
