#ifndef DOCKERUP_SCHEDULE_H
#define DOCKERUP_SCHEDULE_H

/*
 * When the server's next run starts.  Each wait is the interval plus a
 * random jitter of 0..SERVER_JITTER_PERMILLE/1000 of it (at most
 * SERVER_JITTER_MAX_MS), so that a fleet started together does not ask a
 * registry at the same second.  While the Docker engine or a registry
 * keeps failing, consecutive failed runs double the wait up to
 * SERVER_BACKOFF_MAX_S (never below the interval), and a registry that
 * rate-limited us is left alone SERVER_RATE_LIMIT_WAIT_S at least.  A
 * change of that state is logged once; a reload (SIGHUP, confdir) still
 * runs at once.
 */
#include <stdint.h>

#include "bounds.h"
#include "clock.h" /* mono_ms(), the clock of every time here */
#include "wire.h"

struct schedule {
	int interval_s;
	unsigned failures; /* failed runs in a row with a back-off cause */
	uint32_t cause;    /* enum run_cause of the last run */
	char where[RUN_RESULT_WHERE_MAX];
};

void schedule_init(struct schedule *s, int interval_s);
/* The wait before the next run, jitter included. */
long long schedule_wait_ms(const struct schedule *s);
/*
 * Takes a run's result (checked by the caller) and returns the wait
 * before the next run; logs the back-off state when it changes and the
 * wait at -v.
 */
long long schedule_after_run(
    struct schedule *s, const struct wire_run_result *rr);

#endif
