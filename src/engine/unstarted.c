/*
 * Nothing stuck after an engine crash (issue #16).  When dockerd dies
 * during POST /containers/ID/start and comes back, containerd may still
 * hold a task for the container, and every later start of it fails with
 * HTTP 500 "task ID: already exists": retrying never helps, and its
 * dependents fail with it.  A container that never ran holds nothing of
 * its own (no process ever wrote to it), so it is removed and created
 * again, from the same definition under the same name, and started, once
 * per run.  Its dependents then follow it as after any recreation; when
 * the new one cannot be started either, the run says why and the next run
 * tries again.
 */
#include "unstarted.h"

#include <stdio.h>
#include <string.h>

#include "act.h"
#include "ctrops.h"
#include "log.h"
#include "runlog.h"

/* Whether k never ran: 1 yes, 0 no or unknown, OP_LOST no answer. */
static int
never_ran(struct run *r, const struct ctr *k)
{
	struct ctr_state st;
	char err[1024];
	int rc = run_op(r, op_state(r->dk, k->id, &st, err, sizeof(err)));

	if (rc == OP_LOST)
		return OP_LOST;
	if (rc != OP_OK) {
		log_debug("inspect %s: %s", ctr_label(k), err);
		return 0;
	}
	return st.never_started && !st.running;
}

int
start_unstarted_again(struct run *r, struct item *it, struct ctr *k,
    const char *want, char *err, size_t errlen)
{
	char why[1024], e[1024], id[65];
	/* What failed, for err: "why; PRE ID POST: e". */
	const char *pre = "container ", *idp = k->id, *post;
	int rc;

	if (want == NULL || r->lost)
		return OP_FAILED;
	if ((rc = never_ran(r, k)) != 1)
		return rc == OP_LOST ? OP_LOST : OP_FAILED;
	snprintf(why, sizeof(why), "%s", err);
	log_warnx("start %s: container %.12s never ran and cannot be started: "
		  "%s; it is removed and created again",
	    it->ident, k->id, why);
	if ((rc = run_op(r, op_remove_force(r->dk, k->id, e, sizeof(e)))) !=
	    OP_OK) {
		post = " never ran, and removing it to create it again failed";
		goto fail;
	}
	k->removed = 1;
	it->cur_id[0] = '\0';
	/*
	 * As k's replacement: the volumes k mounts (carried over from the
	 * container k was to replace, say) go on to the new one.
	 */
	if ((rc = create_replacement(r, it, k, want, id, e, sizeof(e))) !=
	    OP_OK) {
		post = " never ran and was removed, and creating it again "
		       "failed";
		goto fail;
	}
	memcpy(it->cur_id, id, sizeof(id));
	it->recreated = 1;
	if ((rc = run_op(r, op_start(r->dk, id, e, sizeof(e)))) != OP_OK) {
		pre = "created again as ";
		idp = id;
		post = ", which cannot be started either";
		goto fail;
	}
	log_info("%s: created again as %.12s, and started", it->ident, id);
	return OP_OK;
fail:
	/* Once k is gone, the next run creates the container. */
	snprintf(err, errlen, "%s; %s%.12s%s: %s%s", why, pre, idp, post, e,
	    k->removed ? " (the next run tries again)" : "");
	return rc;
}
