#ifndef DOCKERUP_RUNLOG_H
#define DOCKERUP_RUNLOG_H

#include "clock.h" /* mono_now(), for the run's files */

/*
 * A run's plan lines and failures, kept in its report (report.h).
 */
#include "run.h"

/* The monotonic clock, in seconds. */
/* One action with its reason: printed by a dry run, logged by a run. */
void run_plan(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One line of the plan as it is: image.h's plan callback (arg: the run). */
void run_plan_cb(void *arg, const char *line);
/* A failure: logged, kept, and the run's status is 1. */
void run_fail(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Folds an operation's result (ctrops.h) into the run; returns it. */
int run_op(struct run *r, int rc);
/*
 * Sends the operations of v together (ops_send(), at most max at a time)
 * and folds each result into the run; once the engine stopped answering,
 * none is sent and each is OP_LOST.
 */
struct op_req;
void run_ops(struct run *r, struct op_req *v, size_t n, size_t max);

#endif
