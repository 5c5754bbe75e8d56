/*
 * The health gate of replacements and their rollback (gate.h).
 */
#include "gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act.h"
#include "bounds.h"
#include "claim.h"
#include "ctrops.h"
#include "failed.h"
#include "fields.h"
#include "log.h"
#include "run.h"
#include "rollout.h"
#include "runlog.h"
#include "status.h"
#include "validate.h"
#include "xalloc.h"

static struct gate *
gate_new(struct run *r, struct item *it, size_t old, const char *nid,
    const char *want, int old_running)
{
	struct gate_set *gs = &r->gates;
	struct gate *g;

	gs->v = xreallocarray(gs->v, gs->n + 1, sizeof(*gs->v));
	g = &gs->v[gs->n++];
	memset(g, 0, sizeof(*g));
	g->it = it;
	g->old = old;
	snprintf(g->nid, sizeof(g->nid), "%s", nid);
	snprintf(g->want, sizeof(g->want), "%s", want);
	if (r->rep->cur_item > 0)
		snprintf(g->image, sizeof(g->image), "%s",
		    r->rep->items[r->rep->cur_item - 1].image_id);
	g->old_running = old_running;
	g->report_item = r->rep->cur_item;
	g->started = mono_now();
	return g;
}

void
gate_add(struct run *r, struct item *it, size_t old, const char *nid,
    const char *want, int old_running)
{
	gate_new(r, it, old, nid, want, old_running);
	log_info("update of %s: new container %.12s started; it must run %lld "
		 "s (and be healthy within %lld s if it has a health check) "
		 "before %s is removed",
	    it->ident, nid, (long long)it->d->update_monitor,
	    (long long)it->d->update_deadline, ctr_label(&r->ctrs.v[old]));
}

void
gate_resume(struct run *r, struct item *it, size_t old, const char *nid,
    const char *want, int old_running, double up)
{
	struct gate *g = gate_new(r, it, old, nid, want, old_running);

	g->started -= up > 0 ? up : 0;
	log_info("update of %s: its gate goes on from an earlier run: the new "
		 "container %.12s has run %.1f s of the %lld s it must (and "
		 "must be healthy within %lld s if it has a health check); "
		 "the old container %s is kept until then",
	    it->ident, nid, up > 0 ? up : 0, (long long)it->d->update_monitor,
	    (long long)it->d->update_deadline, ctr_label(&r->ctrs.v[old]));
}

int
gate_keeps(const struct run *r, const struct ctr *c)
{
	for (size_t i = 0; i < r->gates.n; i++)
		if (&r->ctrs.v[r->gates.v[i].old] == c)
			return 1;
	return 0;
}

void
gate_set_free(struct gate_set *g)
{
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

int
gate_pending(struct run *r, const struct item *it)
{
	for (size_t i = 0; i < r->gates.n; i++)
		if (r->gates.v[i].it == it)
			return 1;
	return 0;
}

/* defn_each_ref()'s callback: the named container has a gate pending. */
static int
ref_gated(const struct defn_ref *ref, void *r)
{
	const struct item *dep = item_by_ident(r, ref->name);

	return dep != NULL && gate_pending(r, dep);
}

int
gate_waits(struct run *r, const struct item *it)
{
	if (r->gates.n == 0)
		return 0;
	return defn_each_ref(it->d, ref_gated, r) != 0;
}

void
gate_log_tail(struct run *r, const char *id, char *out, size_t outlen)
{
	char text[GATE_LOG_LINES * 256], err[512], *line, *save = NULL;
	size_t o = 0;

	out[0] = '\0';
	if (r->lost ||
	    run_op(r,
		op_logs_tail(r->dk, id, GATE_LOG_LINES, text, sizeof(text), err,
		    sizeof(err))) != OP_OK)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL && o < outlen;
	     line = strtok_r(NULL, "\n", &save)) {
		int n = snprintf(
		    out + o, outlen - o, "%s%s", o > 0 ? " | " : "", line);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

enum verdict { GATE_WAIT, GATE_PASS, GATE_FAIL };

/* What the new container's state says of its gate; why when it failed. */
static enum verdict
gate_judge(const struct gate *g, const struct ctr_state *st, double now,
    char *why, size_t whylen)
{
	const struct defn *d = g->it->d;
	double up = now - g->started;

	if (st->restarting) {
		snprintf(why, whylen,
		    "exited with status %d after %.1f s (its restart policy "
		    "restarts it)",
		    st->exit_code, up);
		return GATE_FAIL;
	}
	if (st->restart_count > 0) {
		snprintf(why, whylen,
		    "exited and was restarted by its restart policy (%lld "
		    "restarts) after %.1f s",
		    (long long)st->restart_count, up);
		return GATE_FAIL;
	}
	if (!st->running && st->exit_code == 0 && d->restart != RESTART_ALWAYS)
		return GATE_PASS; /* a job that finished well */
	if (!st->running) {
		snprintf(why, whylen, "exited with status %d after %.1f s",
		    st->exit_code, up);
		return GATE_FAIL;
	}
	if (st->health == HEALTH_UNHEALTHY) {
		snprintf(why, whylen, "turned unhealthy after %.1f s", up);
		return GATE_FAIL;
	}
	if (st->health == HEALTH_STARTING && up >= (double)d->update_deadline) {
		snprintf(why, whylen,
		    "was not healthy within %lld s (update.deadline)",
		    (long long)d->update_deadline);
		return GATE_FAIL;
	}
	if (up >= (double)d->update_monitor &&
	    (st->health == HEALTH_NONE || st->health == HEALTH_HEALTHY))
		return GATE_PASS;
	return GATE_WAIT;
}

/*
 * Passed (or kept without rollback): the old container goes, with those
 * of the other gates that pass in the same look (gate_drop()).
 */
static void
gate_pass(
    struct run *r, struct gate *g, const struct ctr_state *st, struct drop *d)
{
	struct ctr *k = &r->ctrs.v[g->old];

	log_info("update of %s passed its gate: %.12s ran %.1f s%s; removing "
		 "the old container %s",
	    g->it->ident, g->nid, mono_now() - g->started,
	    st->health == HEALTH_HEALTHY ? " and is healthy" : "",
	    ctr_label(k));
	rollout_settled(g->it, SLOT_PASSED, "");
	d->c = k;
	d->stop_s = g->it->d->stop_timeout;
	d->arg = g->it;
}

/* The old containers of the gates that passed, stopped together. */
static void
gate_drop(struct run *r, struct drop *v, size_t n)
{
	if (n == 0)
		return;
	drop_many(r, v, n);
	for (size_t i = 0; i < n; i++)
		if (v[i].rc == -1)
			log_warnx("update of %s: remove the old container %s: "
				  "%s (the next run removes it)",
			    ((const struct item *)v[i].arg)->ident,
			    ctr_label(v[i].c), v[i].err);
}

/* Failed: the new container goes, the old one is put back. */
static void
gate_rollback(struct run *r, struct gate *g, const char *why)
{
	struct ctr *k = &r->ctrs.v[g->old];
	struct item *it = g->it;
	char tail[GATE_LOG_LINES * 160], err[1024], msg[2048];
	size_t saved = r->rep->cur_item;

	gate_log_tail(r, g->nid, tail, sizeof(tail));
	/* Recorded first: a run killed from here on finds it held, and
	   finishes the rollback (resume.h). */
	failed_add(it->ident, g->want, g->image, why);
	if (!r->lost &&
	    run_op(r, op_remove_force(r->dk, g->nid, err, sizeof(err))) !=
		OP_OK)
		log_warnx("could not remove the failed new container %.12s: "
			  "%s",
		    g->nid, err);
	restore_old(r, it, k, g->old_running);
	it->recreated = 0;
	rollout_rolled_back(r, it, g->want, why);
	r->rep->rollbacks++;
	if (r->rep->replaced > 0)
		r->rep->replaced--;
	r->rep->cur_item = g->report_item;
	snprintf(msg, sizeof(msg),
	    "update of %s to image %.19s.. ROLLED BACK: the new container "
	    "%.12s %s; the old container %.12s %s; not tried again until the "
	    "image or the definition changes (dockerup retry %s); its last "
	    "output: %s",
	    it->ident, g->image, g->nid, why, k->id,
	    g->old_running ? "runs again" : "is back (stopped, as it was)",
	    it->ident, tail[0] ? tail : "(none)");
	log_warnx("%s", msg);
	/* The definition runs its old container: not failed, rolled back. */
	report_rolled_back(r->rep, msg, g->old_running, k->image_id);
	r->rep->exit_code = 1;
	if (g->report_item > 0) {
		report_item_runs(r->rep, k->image_id);
		report_item_end(r->rep, k->id);
	}
	r->rep->cur_item = saved;
}

/*
 * One look at a gate: 1 when it is settled.  With cut (a stop was asked
 * for), a gate still waiting is left as it is, both containers kept, for
 * the next run to go on with (resume.h); one that failed is still rolled
 * back and one that passed still passes.
 */
static int
gate_check(struct run *r, struct gate *g, double now, int cut,
    struct drop *drops, size_t *ndrops)
{
	struct ctr_state st;
	char err[400], why[MAX_FAILED_WHY];
	enum verdict v;

	switch (run_op(r, op_state(r->dk, g->nid, &st, err, sizeof(err)))) {
	case OP_LOST:
		return 0;
	case OP_FAILED:
		snprintf(why, sizeof(why), "could not be inspected: %s", err);
		v = GATE_FAIL;
		break;
	default:
		v = gate_judge(g, &st, now, why, sizeof(why));
	}
	if (v == GATE_WAIT && !cut)
		return 0;
	if (v == GATE_WAIT) {
		log_info("update of %s: a stop was asked for after %.1f s of "
			 "its gate; the new container %.12s and the old one %s "
			 "are left as they are, and the next run finishes the "
			 "gate",
		    g->it->ident, now - g->started, g->nid,
		    ctr_label(&r->ctrs.v[g->old]));
		return 1;
	}
	if (v == GATE_FAIL && !g->it->d->update_rollback) {
		log_warnx("update of %s: the new container %.12s %s; "
			  "update.rollback is false, so it is kept",
		    g->it->ident, g->nid, why);
		v = GATE_PASS;
	}
	if (v == GATE_PASS)
		gate_pass(r, g, &st, &drops[(*ndrops)++]);
	else
		gate_rollback(r, g, why);
	return 1;
}

static void
gate_sleep(void)
{
	struct timespec ts = { 0, GATE_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

void
gate_run(struct run *r)
{
	struct gate_set *gs = &r->gates;
	struct drop *drops = xcalloc(gs->n, sizeof(*drops));
	size_t n, ndrops;

	while (gs->n > 0) {
		int cut = *r->stop != 0;
		if (r->lost) {
			log_warnx("%zu update%s not settled: the Docker engine "
				  "stopped answering; the next run finishes "
				  "%s gate%s",
			    gs->n, gs->n == 1 ? "" : "s",
			    gs->n == 1 ? "its" : "their",
			    gs->n == 1 ? "" : "s");
			for (size_t i = 0; i < gs->n; i++)
				rollout_settled(
				    gs->v[i].it, SLOT_NOT_REPLACED, "");
			gs->n = 0;
			break;
		}
		n = ndrops = 0;
		for (size_t i = 0; i < gs->n; i++)
			if (!gate_check(
				r, &gs->v[i], mono_now(), cut, drops, &ndrops))
				gs->v[n++] = gs->v[i];
		gs->n = n;
		gate_drop(r, drops, ndrops);
		if (n > 0)
			gate_sleep();
	}
	free(drops);
}

int
gate_held(struct run *r, struct item *it, const char *want)
{
	struct failed_entry e;
	char when[40];

	/* A rollback recorded before 2026-12-03 holds the older label. */
	if (want == NULL ||
	    (!failed_held(it->ident, want, &e) &&
		(it->want_v1[0] == '\0' ||
		    !failed_held(it->ident, it->want_v1, &e))))
		return 0;
	utc_text(e.time, when, sizeof(when));
	run_plan(r,
	    "hold %s (the update to image %.19s.. was rolled back at %s: %s; "
	    "not tried again until the image or the definition changes, or "
	    "dockerup retry %s)",
	    it->ident, e.image, when, e.why, it->ident);
	/* Not failed: it keeps its container (status shows last_rollback). */
	r->rep->exit_code = 1;
	return 1;
}
