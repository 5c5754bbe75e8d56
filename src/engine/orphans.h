#ifndef DOCKERUP_ORPHANS_H
#define DOCKERUP_ORPHANS_H

/*
 * After the definitions: undeclared containers, dangling images.
 */
#include "run.h"

/* Removes what decide_orphans() says (or says why the brake holds). */
void remove_orphans(struct run *r);
/* Prunes dangling images when some are, or this run may have left some. */
void prune_images(struct run *r);

#endif
