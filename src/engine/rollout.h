#ifndef DOCKERUP_ROLLOUT_H
#define DOCKERUP_ROLLOUT_H

/*
 * Rolling updates in a run (issue #17): before the container of a
 * definition with update.rolling is replaced, the run takes one of its
 * K slots in the fleet group (slot.h); the slot is given back when the
 * replacement's health gate settles (gate.c), with a rollback recorded
 * for the whole group first.
 */
#include "run.h"
#include "wire.h"

/*
 * Whether it's replacement waits: 1 when its slot is busy, its update
 * failed in the group, or etcd does not answer (the plan or the log says
 * so, once per rollout), 0 when it goes on (with a slot when rolling).
 * image_id: the image the update goes to.
 */
int rollout_hold(
    struct run *r, struct item *it, const char *image_id, const char *want);
/*
 * This host's entry under the group's hosts/ (issue #17): the run's time,
 * exit status and each definition's image, container and state, at most
 * MAX_FLEET_HOST_VALUE bytes (the definitions that do not fit are left
 * out and "truncated" says so).  With etcd off, nothing.
 */
void rollout_publish(
    const struct settings *s, const struct run_report *rep, int exit_code);
/*
 * it's update to want was rolled back: the group learns it (failed/, so
 * that no host starts that update again), then its slot goes back.  Also
 * when no slot is held: a gate an earlier run left (resume.h) was taken
 * with a slot that run held.
 */
void rollout_rolled_back(
    struct run *r, struct item *it, const char *want, const char *why);
/* it's update settled: its slot (if it holds one) goes back. */
void rollout_settled(struct item *it, enum slot_outcome o, const char *why);

#endif
