/*
 * Which containers belong to which definition (issue #4, "One run").
 * Decided by the labels dockerup puts on every container it creates
 * (spec.h), so the outcome does not depend on any cache and survives
 * restarts, manual changes and a dockerup killed at any point:
 *  - every container labelled with a definition's identity, or holding
 *    its name, is a candidate of that definition;
 *  - the best candidate is kept (decide_keeper()) and every other one is
 *    removed as a duplicate;
 *  - a kept container carrying an old name (renamed out of the way by an
 *    interrupted replace) gets its name back.
 */
#include "claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static int
keyidx_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct keyidx *)a)->key, ((const struct keyidx *)b)->key);
}

struct item *
item_by_ident(struct run *r, const char *ident)
{
	struct keyidx k = { .key = ident }, *hit;

	if (r->nitems == 0)
		return NULL;
	hit = bsearch(&k, r->by_ident, r->nitems, sizeof(k), keyidx_cmp);
	return hit ? &r->items[hit->idx] : NULL;
}
void
item_add_cand(struct item *it, size_t ci)
{
	it->cand = xreallocarray(it->cand, it->ncand + 1, sizeof(*it->cand));
	it->cand[it->ncand++] = ci;
}

void
run_index_items(struct run *r)
{
	r->nitems = r->st->ndefs;
	if (r->nitems == 0)
		return;
	r->items = xcalloc(r->nitems, sizeof(*r->items));
	r->by_ident = xcalloc(r->nitems, sizeof(*r->by_ident));
	for (size_t i = 0; i < r->nitems; i++) {
		r->items[i].d = &r->st->defs[i];
		r->items[i].ident = defn_identity(&r->st->defs[i]);
		r->by_ident[i].key = r->items[i].ident;
		r->by_ident[i].idx = i;
	}
	qsort(r->by_ident, r->nitems, sizeof(*r->by_ident), keyidx_cmp);
}

/*
 * Labels first (they survive renames), then names: a container holding a
 * declared name that no label claims is that definition's too, so that a
 * container made by hand or by the original tool is taken over.
 */
void
run_claim(struct run *r)
{
	struct keyidx *names;
	struct item *it;
	size_t nn = 0;

	for (size_t c = 0; c < r->ctrs.n; c++) {
		struct ctr *k = &r->ctrs.v[c];
		if (k->label_id && (it = item_by_ident(r, k->label_id))) {
			item_add_cand(it, c);
			k->claimed = 1;
		}
	}
	if (r->ctrs.n == 0)
		return;
	names = xcalloc(r->ctrs.n, sizeof(*names));
	for (size_t c = 0; c < r->ctrs.n; c++)
		if (!r->ctrs.v[c].claimed && r->ctrs.v[c].name[0]) {
			names[nn].key = r->ctrs.v[c].name;
			names[nn++].idx = c;
		}
	qsort(names, nn, sizeof(*names), keyidx_cmp);
	for (size_t i = 0; i < r->nitems && nn > 0; i++) {
		struct keyidx k = { .key = r->items[i].d->name }, *hit;
		if (k.key == NULL ||
		    (hit = bsearch(&k, names, nn, sizeof(k), keyidx_cmp)) ==
			NULL)
			continue;
		item_add_cand(&r->items[i], hit->idx);
		r->ctrs.v[hit->idx].claimed = 1;
	}
	free(names);
}

struct ctr *
item_keeper(struct run *r, const struct item *it, const char *want)
{
	size_t ci = decide_keeper(&r->ctrs, it->cand, it->ncand, it->d, want,
	    want != NULL ? it->want_v1 : NULL);

	return ci == DECIDE_NO_KEEPER ? NULL : &r->ctrs.v[ci];
}

int
run_peer(void *arg, const char *ident, struct decide_peer *out)
{
	const struct item *it = item_by_ident(arg, ident);

	if (it == NULL)
		return -1;
	out->recreated = it->recreated;
	out->cur_id = it->cur_id;
	out->mounts = it->mounts;
	return 0;
}
