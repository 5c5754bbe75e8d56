/*
 * After the definitions: removing the containers no definition declares
 * (as decide_orphans() says, the mass-removal brake included) and
 * pruning dangling images.
 */
#include "orphans.h"

#include <stdio.h>
#include <stdlib.h>

#include "act.h"
#include "bounds.h"
#include "ctrops.h"
#include "log.h"
#include "runlog.h"
#include "xalloc.h"

/* Says why the brake holds; the run then ends with status 1. */
static void
brake_report(struct run *r, const struct orphan_plan *op)
{
	r->rep->braked = op->going;
	r->rep->exit_code = 1;
	log_warnx("refusing to remove %u of %u running containers at once "
		  "(mass-removal brake); they are removed when the same "
		  "desired state is read again at least one interval "
		  "later (server mode), or by a run with --confirm-removals",
	    op->going, op->running);
}

void
remove_orphans(struct run *r)
{
	struct orphan_plan op;
	struct drop *drops;
	struct ctr *c;

	decide_orphans(&r->ctrs, r->self_id, r->s->orphans, r->st->complete,
	    r->removals_confirmed, &op);
	if (op.incomplete) {
		log_warnx(
		    "no container is removed as undeclared in this run: "
		    "a source is invalid or unreachable and nothing good is "
		    "known of it");
		return;
	}
	if (op.braked) {
		brake_report(r, &op);
		orphan_plan_free(&op);
		return;
	}
	drops = xcalloc(op.nremove, sizeof(*drops));
	for (size_t i = 0; i < op.nremove; i++) {
		c = &r->ctrs.v[op.remove[i]];
		run_plan(r, "remove %s (not declared)", ctr_label(c));
		if (r->dry)
			r->rep->removed++;
		/*
		 * One dockerup made stops with the StopTimeout it gave it
		 * (a stopTimeout, at most MAX_STOP_TIMEOUT_S); another one
		 * (orphans=all) with Docker's default, whatever it says.
		 */
		drops[i].c = c;
		drops[i].stop_s =
		    c->managed ? STOP_OWN_TIMEOUT : DOCKER_STOP_TIMEOUT_S;
	}
	if (!r->dry && op.nremove > 0)
		drop_many(r, drops, op.nremove);
	for (size_t i = 0; i < op.nremove && !r->dry; i++) {
		/* Once the engine stopped answering, the run says so. */
		if (drops[i].rc == -1 && !r->lost)
			run_fail(r, "remove %s: %s", ctr_label(drops[i].c),
			    drops[i].err);
		else if (drops[i].rc == 0)
			r->rep->removed++;
	}
	free(drops);
	orphan_plan_free(&op);
}

static unsigned
count_dangling(const struct run *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->imgs.n; i++)
		n += img_dangling(&r->imgs.v[i]);
	return n;
}

/* Dangling images: those seen now, and those this run's changes left. */
void
prune_images(struct run *r)
{
	unsigned dangling = count_dangling(r), deleted;
	unsigned long long bytes;
	char err[1024];

	if (!r->st->complete ||
	    (dangling == 0 && !r->ienv.pulled && r->rep->replaced == 0 &&
		r->rep->removed == 0))
		return;
	if (r->dry) {
		if (dangling > 0)
			run_plan(r, "prune %u dangling image%s", dangling,
			    dangling == 1 ? "" : "s");
		return;
	}
	if (run_op(r,
		op_prune_images(r->dk, &deleted, &bytes, err, sizeof(err))) !=
	    OP_OK) {
		log_warnx("prune dangling images: %s", err);
		r->rep->exit_code = 1;
		return;
	}
	if (deleted > 0)
		log_info("pruned %u dangling image%s (%llu bytes)", deleted,
		    deleted == 1 ? "" : "s", bytes);
}
