#ifndef DOCKERUP_CARRY_H
#define DOCKERUP_CARRY_H

/*
 * Volumes carried over (issue #16): the replacement of a container mounts
 * the anonymous volumes of the old one at the same paths, as docker
 * compose does, where the new definition or its image still declares a
 * volume; the data in them outlives image updates and definition changes.
 * A carried volume is no part of the definition, so of no hash.
 */
#include "defn.h"
#include "observe.h"
#include "run.h"

/*
 * Pure: the binds ("NAME:/path") for the anonymous volumes in old at
 * paths d declares as anonymous volumes or that image_vols lists (NULL:
 * not known, none), leaving out a volume that shared (the mount points
 * of the containers d takes volumes from) holds: that one d gets from
 * them.
 */
void carry_binds(const struct defn *d, const struct mounts *old,
    const struct strlist *image_vols, const struct mounts *const *shared,
    size_t nshared, struct strlist *out);

/*
 * The binds that carry the volumes of old (the container it replaces,
 * NULL none) over to it's new container, into out.  Asks the engine for
 * the image's VOLUME paths only when old has an anonymous volume the
 * definition does not declare.
 */
void carry_volumes(struct run *r, const struct item *it, const struct ctr *old,
    struct strlist *out);

#endif
