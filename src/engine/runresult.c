/*
 * The result of a run as the fetcher's back-off needs it: whether the
 * Docker engine or a registry failed, and which.  Other failures (a
 * container that does not start, an invalid definition) do not slow the
 * schedule down: the next interval tries again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "runresult.h"
#include "wire.h"

void
run_result_send(struct imsgbuf *fetcher, const struct run_report *rep, int rc,
    int exit_code, const char *remote)
{
	struct wire_run_result rr;

	if (fetcher->fd == -1)
		return;
	memset(&rr, 0, sizeof(rr));
	rr.exit_code = exit_code;
	if (rc == -1) {
		rr.cause = RUN_CAUSE_ENGINE;
		snprintf(rr.where, sizeof(rr.where), "%s", remote);
	} else if (rep->registry.failed) {
		rr.cause = rep->registry.rate_limited ? RUN_CAUSE_RATE_LIMITED
						      : RUN_CAUSE_REGISTRY;
		snprintf(
		    rr.where, sizeof(rr.where), "%s", rep->registry.registry);
	} else
		rr.cause = exit_code != 0 ? RUN_CAUSE_OTHER : RUN_CAUSE_NONE;
	/* A fetcher that went away is restarted and loads at once. */
	if (imsg_compose(fetcher, IMSG_RUN_RESULT, &rr, sizeof(rr)) == -1)
		log_debug(
		    "reporting the run to the fetcher: %s", strerror(errno));
}
