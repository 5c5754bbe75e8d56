/*
 * Deciding (decide.h): what a run does with each definition and with the
 * containers no definition declares.  Pure: no Docker call, no log line;
 * act.c, orphans.c and selfup.c carry the decisions out.
 */
#include "decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "log.h"
#include "spec.h"
#include "validate.h"

static int
cand_score(const struct defn *d, const struct ctr *c, const char *want)
{
	int score = 0;

	if (want && c->label_hash && strcmp(c->label_hash, want) == 0)
		score += 4;
	if (ctr_running(c))
		score += 2;
	if (d->name == NULL || strcmp(c->name, d->name) == 0)
		score += 1;
	return score;
}

size_t
decide_keeper(const struct ctr_list *ctrs, const size_t *cand, size_t ncand,
    const struct defn *d, const char *want)
{
	const struct ctr *best = NULL, *c;
	size_t bi = DECIDE_NO_KEEPER;
	int bs = -1, s;

	for (size_t i = 0; i < ncand; i++) {
		c = &ctrs->v[cand[i]];
		if (c->removed)
			continue;
		s = cand_score(d, c, want);
		if (s > bs || (s == bs && c->created > best->created)) {
			best = c;
			bi = cand[i];
			bs = s;
		}
	}
	return bi;
}

/*
 * Whether k shares the network of a container that is no longer the one
 * its definition runs now (replaced in a run that was interrupted before
 * k was recreated): the list's HostConfig.NetworkMode says so for free.
 */
static const char *
stale_network(const struct decide_in *in)
{
	const char *net = in->d->network;
	struct decide_peer dep;

	if (net == NULL || strncmp(net, "container:", 10) != 0 ||
	    in->k->network_mode == NULL ||
	    in->peer(in->peer_arg, net + 10, &dep) == -1 ||
	    dep.cur_id[0] == '\0')
		return NULL;
	if (strncmp(in->k->network_mode, "container:", 10) == 0 &&
	    strcmp(in->k->network_mode + 10, dep.cur_id) == 0)
		return NULL;
	return net + 10;
}

/* The first dependency whose container was created or replaced. */
static const char *
recreated_dep(const struct decide_in *in)
{
	const char *deps[MAX_LIST_ITEMS + MAX_VOLUMES + 1];
	size_t n =
	    defn_dependencies(in->d, deps, sizeof(deps) / sizeof(deps[0]));
	struct decide_peer dep;

	for (size_t i = 0; i < n; i++)
		if (in->peer(in->peer_arg, deps[i], &dep) == 0 && dep.recreated)
			return deps[i];
	return stale_network(in);
}

void
decide_changed(const struct defn *d, const struct ctr *k,
    const struct image_state *img, char *why, size_t whylen)
{
	char *now, fields[256];

	if (k->label_hash == NULL)
		snprintf(why, whylen, "not created by dockerup");
	else if (img->id == NULL)
		snprintf(why, whylen, "image %s not present locally", img->ref);
	else if (img->outdated)
		snprintf(why, whylen, "image %s updated %.19s.. -> %.19s..",
		    img->ref, k->image_id, img->remote_digest);
	else if (strcmp(k->image_id, img->id) != 0)
		snprintf(why, whylen, "image %s updated %.19s.. -> %.19s..",
		    img->ref, k->image_id, img->id);
	else {
		if ((now = spec_field_hashes(d)) == NULL)
			fatal("%s", __func__);
		spec_fields_changed(
		    k->label_fields, now, fields, sizeof(fields));
		free(now);
		snprintf(why, whylen, "definition changed%s%s",
		    fields[0] ? ": " : "", fields);
	}
}

int
decide_finished_job(const struct defn *d, const struct ctr *k)
{
	return d->restart == RESTART_NEVER && strcmp(k->state, "exited") == 0;
}

static enum act
decide_act(const struct decide_in *in, char *why, size_t whylen)
{
	const struct ctr *k = in->k;
	const char *dep;

	if (k == NULL) {
		snprintf(why, whylen, "new definition");
		return ACT_CREATE;
	}
	if (in->want == NULL || k->label_hash == NULL ||
	    strcmp(k->label_hash, in->want) != 0) {
		decide_changed(in->d, k, in->img, why, whylen);
		return ACT_REPLACE;
	}
	if ((dep = recreated_dep(in)) != NULL) {
		snprintf(why, whylen, "depends on %s", dep);
		return ACT_REPLACE;
	}
	if (strcmp(k->state, "dead") == 0) {
		snprintf(why, whylen, "dead");
		return ACT_REPLACE;
	}
	if (in->d->name && strcmp(k->name, in->d->name) != 0) {
		snprintf(why, whylen, "recovering an interrupted replace");
		return ACT_RENAME;
	}
	if (!ctr_running(k)) {
		if (decide_finished_job(in->d, k))
			return ACT_FINISHED;
		snprintf(why, whylen, "not running");
		return ACT_START;
	}
	return ACT_NONE;
}

void
decide_item(const struct decide_in *in, struct decision *out)
{
	out->why[0] = '\0';
	out->act = decide_act(in, out->why, sizeof(out->why));
	/* A running dockerup does not replace, stop or rename itself. */
	out->self_held = in->k != NULL && in->k_is_self &&
	    out->act != ACT_NONE && out->act != ACT_FINISHED;
}

const char *
decide_verb(enum act a, const char *why)
{
	switch (a) {
	case ACT_CREATE:
		return "create";
	case ACT_REPLACE:
		return strncmp(why, "depends on ", 11) == 0 ? "restart"
							    : "replace";
	case ACT_START:
		return "start";
	case ACT_RENAME:
		return "rename";
	default:
		return "keep";
	}
}

int
decide_is_self(const char *self_id, const struct ctr *c)
{
	size_t n;

	if (self_id == NULL)
		return 0;
	n = strlen(self_id);
	return n >= 12 ? strncmp(c->id, self_id, n) == 0
		       : strcmp(c->id, self_id) == 0;
}

enum self_act
decide_self(const struct defn *d, const char *ident, const struct ctr *me,
    const struct image_state *img, const char *want, char *why, size_t whylen)
{
	if (want == NULL) {
		/* Only a dry run gets here: it does not pull. */
		decide_changed(d, me, img, why, whylen);
		return SELF_REPLACE_UNPULLED;
	}
	if (me->label_hash != NULL && strcmp(me->label_hash, want) == 0 &&
	    me->label_id != NULL && strcmp(me->label_id, ident) == 0)
		return SELF_UNCHANGED;
	decide_changed(d, me, img, why, whylen);
	return SELF_UPGRADE;
}

int
mass_removal_held(unsigned going, unsigned running)
{
	return going >= MASS_REMOVAL_MIN &&
	    2 * (unsigned long)going > (unsigned long)running;
}

int
decide_is_orphan(
    const struct ctr *c, const char *self_id, enum orphan_policy orphans)
{
	if (c->claimed || c->removed || decide_is_self(self_id, c) ||
	    strcmp(c->state, "removing") == 0)
		return 0;
	return orphans == ORPHANS_ALL || c->managed;
}

/*
 * The mass-removal brake: a run that would remove more than half of the
 * running containers in its care (those dockerup created, or every one
 * with orphans=all), and at least MASS_REMOVAL_MIN, removes none, unless
 * the engine says the removal is confirmed (the same desired state seen
 * twice an interval apart, or --confirm-removals).
 */
static void
decide_brake(const struct ctr_list *ctrs, const char *self_id,
    enum orphan_policy orphans, int confirmed, struct orphan_plan *out)
{
	for (size_t i = 0; i < ctrs->n; i++) {
		const struct ctr *c = &ctrs->v[i];
		if (!ctr_running(c) || decide_is_self(self_id, c) ||
		    c->removed || (orphans == ORPHANS_MANAGED && !c->managed))
			continue;
		out->running++;
		out->going += decide_is_orphan(c, self_id, orphans);
	}
	out->braked = mass_removal_held(out->going, out->running) && !confirmed;
}

void
decide_orphans(const struct ctr_list *ctrs, const char *self_id,
    enum orphan_policy orphans, int complete, int confirmed,
    struct orphan_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (!complete) {
		out->incomplete = 1;
		return;
	}
	decide_brake(ctrs, self_id, orphans, confirmed, out);
	if (out->braked || ctrs->n == 0)
		return;
	if ((out->remove = calloc(ctrs->n, sizeof(*out->remove))) == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; i < ctrs->n; i++)
		if (decide_is_orphan(&ctrs->v[i], self_id, orphans))
			out->remove[out->nremove++] = i;
}

void
orphan_plan_free(struct orphan_plan *p)
{
	free(p->remove);
	memset(p, 0, sizeof(*p));
}
