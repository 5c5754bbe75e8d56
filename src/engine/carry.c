/*
 * Volumes carried over (carry.h).  Removing a container never removes
 * its volumes (no v=1), so the old volumes are still there to carry even
 * when the old container had to be removed before the new one was made.
 */
#include "carry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "claim.h"
#include "ctrops.h"
#include "log.h"
#include "runlog.h"

static int
declared_anonymous(const struct defn *d, const char *dest)
{
	for (size_t i = 0; i < d->nvolumes; i++)
		if (d->volumes[i].container_path &&
		    d->volumes[i].host_path == NULL &&
		    strcmp(d->volumes[i].container_path, dest) == 0)
			return 1;
	return 0;
}

static int
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Whether m is, or stands where, a mount point of the containers the
 * definition takes volumes from: Docker gives those precedence over the
 * definition's own anonymous volumes, and a bind would pin them.
 */
static int
shared_volume(
    const struct mount *m, const struct mounts *const *shared, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; shared[i] && k < shared[i]->n; k++)
			if ((shared[i]->v[k].name &&
				strcmp(shared[i]->v[k].name, m->name) == 0) ||
			    strcmp(shared[i]->v[k].dest, m->dest) == 0)
				return 1;
	return 0;
}

void
carry_binds(const struct defn *d, const struct mounts *old,
    const struct strlist *image_vols, const struct mounts *const *shared,
    size_t nshared, struct strlist *out)
{
	char bind[DOCKER_ID_LEN + MAX_PATH_LEN + 2];

	for (size_t i = 0; i < old->n; i++) {
		const struct mount *m = &old->v[i];
		if (m->name == NULL || !volume_anonymous(m->name) ||
		    shared_volume(m, shared, nshared))
			continue;
		if (!declared_anonymous(d, m->dest) &&
		    !strlist_contains(image_vols, m->dest))
			continue;
		snprintf(bind, sizeof(bind), "%s:%s", m->name, m->dest);
		strlist_push(out, bind);
	}
}

/* Whether old has an anonymous volume at a path d does not declare. */
static int
needs_image_volumes(const struct defn *d, const struct mounts *old)
{
	for (size_t i = 0; i < old->n; i++)
		if (old->v[i].name && volume_anonymous(old->v[i].name) &&
		    !declared_anonymous(d, old->v[i].dest))
			return 1;
	return 0;
}

/*
 * The mount points of the containers it takes volumes from, into out;
 * -1 when one of them is not known (made in this run, not inspected).
 */
static long
shared_mounts(
    struct run *r, const struct item *it, const struct mounts **out, size_t max)
{
	size_t n = 0;
	struct item *dep;

	for (size_t i = 0; i < it->d->nvolumes; i++) {
		if (it->d->volumes[i].from == NULL ||
		    (dep = item_by_ident(r, it->d->volumes[i].from)) == NULL)
			continue;
		if (dep->mounts == NULL || n == max)
			return -1;
		out[n++] = dep->mounts;
	}
	return (long)n;
}

void
carry_volumes(struct run *r, const struct item *it, const struct ctr *old,
    struct strlist *out)
{
	const struct mounts *shared[MAX_VOLUMES];
	struct strlist ivols = { 0 };
	const struct strlist *iv = NULL;
	char err[1024];
	long ns;

	if (old == NULL || old->mounts.n == 0)
		return;
	ns = shared_mounts(r, it, shared, sizeof(shared) / sizeof(shared[0]));
	if (ns == -1) {
		log_info("replace %s: the volumes of a container it takes "
			 "volumes from are not known; none is carried over",
		    it->ident);
		return;
	}
	if (needs_image_volumes(it->d, &old->mounts)) {
		if (run_op(r,
			op_image_volumes(r->dk, it->d->image, &ivols, err,
			    sizeof(err))) == OP_OK)
			iv = &ivols;
		else
			log_warnx("replace %s: the VOLUME paths of its image "
				  "are not known (%s); only the volumes its "
				  "definition declares are carried over",
			    it->ident, err);
	}
	carry_binds(it->d, &old->mounts, iv, shared, (size_t)ns, out);
	strlist_free(&ivols);
}
