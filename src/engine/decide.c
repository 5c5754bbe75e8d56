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
#include "xalloc.h"

static int
cand_score(const struct defn *d, const struct ctr *c, const char *want,
    const char *want_v1)
{
	int score = 0;

	if (spec_hash_matches(c->label_hash, want, want_v1))
		score += 4;
	if (ctr_running(c))
		score += 2;
	if (d->name == NULL || strcmp(c->name, d->name) == 0)
		score += 1;
	return score;
}

size_t
decide_keeper(const struct ctr_list *ctrs, const size_t *cand, size_t ncand,
    const struct defn *d, const char *want, const char *want_v1)
{
	const struct ctr *best = NULL, *c;
	size_t bi = DECIDE_NO_KEEPER;
	int bs = -1, s;

	for (size_t i = 0; i < ncand; i++) {
		c = &ctrs->v[cand[i]];
		if (c->removed)
			continue;
		s = cand_score(d, c, want, want_v1);
		if (s > bs || (s == bs && c->created > best->created)) {
			best = c;
			bi = cand[i];
			bs = s;
		}
	}
	return bi;
}

/*
 * A dependent must be made again when it holds on to a container its
 * dependency no longer runs (docker resolves each of these when it
 * creates a container): the namespace of network container:NAME, or a
 * link, as soon as that container was replaced; for volumes from, only
 * when its mount points are not those of the dependency's container now
 * (a replacement that carried the volumes over has the same).  Each check
 * reads only what the list of containers already says (HostConfig.
 * NetworkMode, Mounts, the LABEL_LINKS label), so whatever interrupted an
 * earlier run, this one finds a dependent left behind.
 */

/* Whether k shares the network of a container other than cur_id. */
static int
stale_network(const struct ctr *k, const char *cur_id)
{
	return k->network_mode != NULL &&
	    (strncmp(k->network_mode, "container:", 10) != 0 ||
		strcmp(k->network_mode + 10, cur_id) != 0);
}

/* Whether k's link to name was made to a container other than cur_id. */
static int
stale_link(const struct ctr *k, const char *name, const char *cur_id)
{
	size_t nl = strlen(name);

	/* Made before the label existed: nothing to tell. */
	for (const char *p = k->label_links; p && *p;
	     p += strcspn(p, " "), p += *p == ' ')
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = strcspn(p + nl + 1, " ");
			return vl != strlen(cur_id) ||
			    strncmp(p + nl + 1, cur_id, vl) != 0;
		}
	return 0;
}

/* A bind of d's own at dest takes precedence over volumes from. */
static int
defn_binds_at(const struct defn *d, const char *dest)
{
	for (size_t i = 0; i < d->nvolumes; i++)
		if (d->volumes[i].host_path &&
		    strcmp(d->volumes[i].container_path, dest) == 0)
			return 1;
	return 0;
}

/* The first mount point of from that k does not share, or NULL. */
static const char *
stale_volumes(
    const struct defn *d, const struct ctr *k, const struct mounts *from)
{
	const struct mount *m, *km;

	for (size_t i = 0; i < from->n; i++) {
		m = &from->v[i];
		if (defn_binds_at(d, m->dest))
			continue;
		km = mounts_at(&k->mounts, m->dest);
		if (km == NULL ||
		    (m->name ? km->name == NULL || strcmp(km->name, m->name)
			     : km->source == NULL ||
				strcmp(km->source, m->source)))
			return m->dest;
	}
	return NULL;
}

/* The peer of a dependency that has a container, or NULL. */
static const struct decide_peer *
dep_peer(const struct decide_in *in, const char *name, struct decide_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (in->peer(in->peer_arg, name, p) == -1 || p->cur_id == NULL ||
	    p->cur_id[0] == '\0')
		return NULL;
	return p;
}

/* The dependency k must follow, why set; NULL when there is none. */
static const char *
dependency_moved(const struct decide_in *in, char *why, size_t whylen)
{
	const struct defn *d = in->d;
	const char *dest;
	struct decide_peer p;

	if (d->network && strncmp(d->network, "container:", 10) == 0 &&
	    dep_peer(in, d->network + 10, &p) &&
	    (p.recreated || stale_network(in->k, p.cur_id))) {
		snprintf(why, whylen, "depends on %s", d->network + 10);
		return d->network + 10;
	}
	for (size_t i = 0; i < d->links.n; i++) {
		const char *name = d->links.v[i].key;
		if (!dep_peer(in, name, &p))
			continue;
		if (p.recreated || stale_link(in->k, name, p.cur_id)) {
			snprintf(why, whylen, "depends on %s%s", name,
			    p.recreated ? "" : ": linked to an old container");
			return name;
		}
	}
	for (size_t i = 0; i < d->nvolumes; i++) {
		const char *name = d->volumes[i].from;
		if (name == NULL || !dep_peer(in, name, &p))
			continue;
		if (p.mounts == NULL && p.recreated) {
			snprintf(why, whylen, "depends on %s", name);
			return name;
		}
		if (p.mounts && (dest = stale_volumes(d, in->k, p.mounts))) {
			snprintf(why, whylen,
			    "depends on %s: its volume at %s is not %s's "
			    "now",
			    name, dest, name);
			return name;
		}
	}
	return NULL;
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

	if (k == NULL) {
		snprintf(why, whylen, "new definition");
		return ACT_CREATE;
	}
	if (!spec_hash_matches(k->label_hash, in->want, in->want_v1)) {
		decide_changed(in->d, k, in->img, why, whylen);
		return ACT_REPLACE;
	}
	if (dependency_moved(in, why, whylen) != NULL)
		return ACT_REPLACE;
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
    const struct image_state *img, const char *want, const char *want_v1,
    char *why, size_t whylen)
{
	if (want == NULL) {
		/* Only a dry run gets here: it does not pull. */
		decide_changed(d, me, img, why, whylen);
		return SELF_REPLACE_UNPULLED;
	}
	if (spec_hash_matches(me->label_hash, want, want_v1) &&
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
	out->remove = xcalloc(ctrs->n, sizeof(*out->remove));
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
