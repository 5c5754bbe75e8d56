#ifndef DOCKERUP_UNSTARTED_H
#define DOCKERUP_UNSTARTED_H

/*
 * A container that never ran and cannot be started, created again.
 */
#include <stddef.h>

#include "run.h"

/*
 * After a start of k (the container of it) failed with err: when k never
 * ran (State.StartedAt is Docker's zero time) and want (the hash it
 * should carry) is known, removes k, creates the container of it again
 * under the same name and starts it.  OP_OK: it runs, it->cur_id is the
 * new container and it->recreated is set; otherwise OP_FAILED or OP_LOST
 * with err saying what was tried (unchanged when k has run before).
 */
int start_unstarted_again(struct run *r, struct item *it, struct ctr *k,
    const char *want, char *err, size_t errlen);

#endif
