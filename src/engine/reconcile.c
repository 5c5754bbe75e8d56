/*
 * One reconcile run (issue #4, "One run"): observe the host with a fixed
 * number of calls (survey.c), tell which containers belong to which
 * definition (claim.c), then walk the definitions in dependency order,
 * deciding (decide.c) and carrying out (act.c) what each one needs, then
 * remove what no definition declares and prune dangling images
 * (orphans.c), and last upgrade dockerup's own container (selfup.c).
 * This file holds the run in that order (its plan lines: runlog.c).
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "claim.h"
#include "docker.h"
#include "gate.h"
#include "log.h"
#include "orphans.h"
#include "run.h"
#include "runlog.h"
#include "selfup.h"
#include "status.h"
#include "survey.h"
#include "xalloc.h"

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].ident);
		free(r->items[i].cand);
		mounts_free(&r->items[i].new_mounts);
	}
	free(r->items);
	free(r->by_ident);
	launch_free(&r->launches);
	free(r->replaces.v);
	gate_set_free(&r->gates);
	free(r->port_busy);
	ctr_list_free(&r->ctrs);
	img_list_free(&r->imgs);
	image_cache_free(&r->images);
}

static void
run_summary(struct run *r, double t0)
{
	struct run_report *p = r->rep;

	if (r->dry)
		log_info("dry run: %u to create, %u to replace, %u to start, "
			 "%u to remove, %u unchanged; nothing was changed",
		    p->created, p->replaced, p->started, p->removed,
		    p->unchanged);
	else
		log_info("%u created, %u replaced, %u started, %u removed, "
			 "%u unchanged, %u failed in %.1fs",
		    p->created, p->replaced, p->started, p->removed,
		    p->unchanged, p->failed, mono_now() - t0);
}

static void
run_init(struct run *r, struct docker *dk, const struct settings *s,
    const struct desired_state *st, struct run_report *rep)
{
	memset(r, 0, sizeof(*r));
	r->dk = dk;
	r->s = s;
	r->st = st;
	r->rep = rep;
	r->dry = s->mode == MODE_DRY_RUN;
	r->self_id = selfid_resolve(s->self_id);
	log_debug("%s%.12s",
	    r->self_id ? "own container "
		       : "not in a "
			 "container",
	    r->self_id ? r->self_id : "");
	r->ienv.dk = dk;
	r->ienv.imgs = &r->imgs;
	r->ienv.auth = docker_regauth(dk);
	r->ienv.dry = r->dry;
	r->ienv.plan = run_plan_cb;
	r->ienv.plan_arg = r;
}

/*
 * The registry checks and pulls of every definition's image but our own
 * (which waits for the self-upgrade at the end), made concurrently ahead
 * of the definitions, which then find their images ready.
 */
static void
run_prefetch_images(struct run *r)
{
	const char **refs = xcalloc(r->nitems, sizeof(*refs));
	int *checks = xcalloc(r->nitems, sizeof(*checks));
	size_t n = 0;

	for (size_t i = 0; i < r->nitems; i++) {
		const struct item *it = &r->items[i];
		if (it == r->self_item)
			continue;
		refs[n] = it->d->image;
		checks[n++] = r->s->pull && it->d->update_pull;
	}
	image_prefetch(&r->ienv, &r->images, refs, checks, n, r->stop);
	if (r->ienv.lost)
		r->lost = 1;
	free(refs);
	free(checks);
}

/*
 * The image of it's container when it was there before the run (held
 * back, unchanged, or left as it is because its image could not be
 * resolved), else NULL: a new one runs the resolved image.
 */
static const char *
item_ctr_image(const struct run *r, const struct item *it)
{
	for (size_t i = 0; it->cur_id[0] != '\0' && i < r->ctrs.n; i++)
		if (strcmp(r->ctrs.v[i].id, it->cur_id) == 0)
			return r->ctrs.v[i].image_id;
	return it->cur_id[0] == '\0' && it->ncand > 0
	    ? r->ctrs.v[it->cand[0]].image_id
	    : NULL;
}

static int
stop_now(struct run *r, const char *where)
{
	if (r->lost) {
		run_fail(r,
		    "the Docker engine at %s stopped answering; the run "
		    "ends here (the next run picks up from what is on the "
		    "host)",
		    docker_remote(r->dk));
		return 1;
	}
	if (*r->stop) {
		log_info("stop requested: the run ends %s", where);
		return 1;
	}
	return 0;
}

int
engine_reconcile(struct docker *dk, const struct settings *s,
    const struct desired_state *st, int removals_confirmed,
    const volatile sig_atomic_t *stop, struct run_report *rep)
{
	struct run r;
	double t0 = mono_now();
	unsigned calls0 = docker_calls(dk);
	char err[1024];
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	run_init(&r, dk, s, st, rep);
	r.removals_confirmed = removals_confirmed;
	r.stop = stop;
	if (run_observe(&r, err, sizeof(err)) == -1) {
		log_warnx("%s; nothing was changed", err);
		report_run_error(rep, err);
		rep->exit_code = 1;
		rc = -1;
		goto done;
	}
	run_load_auth(&r);
	run_index_items(&r);
	run_claim(&r);
	r.self_item = run_find_self(&r);
	run_prefetch_images(&r);
	for (size_t i = 0; i < r.nitems; i++) {
		if (item_waits(&r, &r.items[i]))
			flush_queued(&r);
		/* A dependent waits for its dependency's gate to settle. */
		if (gate_waits(&r, &r.items[i]))
			gate_run(&r);
		if (stop_now(&r, "before its next definition"))
			goto summary;
		if (&r.items[i] == r.self_item)
			continue;
		report_item_begin(rep, r.items[i].ident, r.items[i].d->name);
		reconcile_item(&r, &r.items[i]);
		report_item_runs(rep, item_ctr_image(&r, &r.items[i]));
		report_item_end(rep, r.items[i].cur_id);
	}
	flush_queued(&r);
	gate_run(&r);
	if (stop_now(&r, "before removing undeclared containers"))
		goto summary;
	remove_orphans(&r);
	if (stop_now(&r, "before pruning images"))
		goto summary;
	prune_images(&r);
	if (r.self_item != NULL &&
	    !stop_now(&r,
		"before dockerup's own "
		"container"))
		self_reconcile(&r, r.self_item);
	if (r.ienv.check_failed)
		rep->exit_code = 1;
summary:
	flush_queued(&r);
	gate_run(&r);
	if (r.lost)
		rc = -1;
	run_summary(&r, t0);
	self_leave(&r);
done:
	rep->api_calls = docker_calls(dk) - calls0;
	rep->registry = r.ienv.fault;
	run_free(&r);
	return rc;
}
