/*
 * The server's schedule: jitter and back-off (schedule.h).
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "schedule.h"

void
schedule_init(struct schedule *s, int interval_s)
{
	memset(s, 0, sizeof(*s));
	s->interval_s = interval_s;
}

/* A uniform 0..bound ms; none when the kernel has no randomness for us. */
static long long
jitter_ms(int interval_s)
{
	long long bound = interval_s * (long long)SERVER_JITTER_PERMILLE;
	uint32_t r;

	if (bound > SERVER_JITTER_MAX_MS)
		bound = SERVER_JITTER_MAX_MS;
	if (bound == 0 ||
	    getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		return 0;
	return (long long)(r % (uint32_t)(bound + 1));
}

static int
is_backoff_cause(uint32_t cause)
{
	return cause == RUN_CAUSE_ENGINE || cause == RUN_CAUSE_REGISTRY ||
	    cause == RUN_CAUSE_RATE_LIMITED;
}

static long long
backoff_ms(const struct schedule *s)
{
	long long wait = s->interval_s * 1000LL;
	long long cap = SERVER_BACKOFF_MAX_S * 1000LL;

	if (!is_backoff_cause(s->cause))
		return wait;
	if (cap < wait)
		cap = wait;
	for (unsigned i = 1; i < s->failures && wait < cap; i++)
		wait *= 2;
	if (wait > cap)
		wait = cap;
	if (s->cause == RUN_CAUSE_RATE_LIMITED &&
	    wait < SERVER_RATE_LIMIT_WAIT_S * 1000LL)
		wait = SERVER_RATE_LIMIT_WAIT_S * 1000LL;
	return wait;
}

long long
schedule_wait_ms(const struct schedule *s)
{
	return backoff_ms(s) + jitter_ms(s->interval_s);
}

static void
log_failing(const struct schedule *s, double secs)
{
	switch (s->cause) {
	case RUN_CAUSE_ENGINE:
		log_warnx("the Docker engine at %s does not answer; next try "
			  "in %.0f s",
		    s->where, secs);
		break;
	case RUN_CAUSE_REGISTRY:
		log_warnx(
		    "registry %s failed; next try in %.0f s", s->where, secs);
		break;
	case RUN_CAUSE_RATE_LIMITED:
		log_warnx("registry %s rate-limited us; next try in %.0f s",
		    s->where, secs);
		break;
	}
}

static void
log_recovered(uint32_t cause, const char *where, unsigned failures)
{
	if (cause == RUN_CAUSE_ENGINE)
		log_info("the Docker engine at %s answers again after %u "
			 "failed run%s",
		    where, failures, failures == 1 ? "" : "s");
	else
		log_info("registry %s works again after %u failed run%s", where,
		    failures, failures == 1 ? "" : "s");
}

long long
schedule_after_run(struct schedule *s, const struct wire_run_result *rr)
{
	int changed = rr->cause != s->cause || strcmp(rr->where, s->where) != 0;
	long long wait;

	if (changed && is_backoff_cause(s->cause) &&
	    !is_backoff_cause(rr->cause))
		log_recovered(s->cause, s->where, s->failures);
	s->failures = is_backoff_cause(rr->cause) ? s->failures + 1 : 0;
	s->cause = rr->cause;
	memcpy(s->where, rr->where, sizeof(s->where));
	wait = schedule_wait_ms(s);
	if (changed)
		log_failing(s, wait / 1000.0);
	if (s->failures > 0)
		log_debug("next run in %.1f s (back-off: %u failed run%s in a "
			  "row)",
		    wait / 1000.0, s->failures, s->failures == 1 ? "" : "s");
	else
		log_debug("next run in %.1f s", wait / 1000.0);
	return wait;
}
