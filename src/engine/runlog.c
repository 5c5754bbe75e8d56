/*
 * A run's plan lines and failures (runlog.h): each line of the plan is
 * printed by a dry run and logged by a run, and kept in the report.
 */
#include "runlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "bounds.h"
#include "ctrops.h"
#include "log.h"
#include "status.h"

void
run_plan_cb(void *arg, const char *line)
{
	struct run *r = arg;

	report_plan(r->rep, line);
	if (r->dry && r->s->format == OUTPUT_JSON)
		return; /* the engine prints the JSON plan at the end */
	if (r->dry) {
		char esc[4 * LOG_MSG_MAX];
		log_escape(line, LOG_ESC_TEXT, esc, sizeof(esc));
		printf("%s\n", esc);
		fflush(stdout);
	} else
		log_info("%s", line);
}

void
run_plan(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline_send(run_plan_cb, r, fmt, ap);
	va_end(ap);
}

static void
fail_line(void *arg, const char *msg)
{
	struct run *r = arg;

	log_warnx("%s", msg);
	report_fail(r->rep, msg);
	r->rep->failed++;
	r->rep->exit_code = 1;
}

void
run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline_send(fail_line, r, fmt, ap);
	va_end(ap);
}

int
run_op(struct run *r, int rc)
{
	if (rc == OP_LOST)
		r->lost = 1;
	return rc;
}

void
run_ops(struct run *r, struct op_req *v, size_t n, size_t max)
{
	int lost = r->lost;

	if (!lost)
		ops_send(r->dk, v, n, max);
	for (size_t i = 0; i < n; i++) {
		if (v[i].path == NULL)
			continue;
		if (lost) {
			v[i].rc = OP_LOST;
			snprintf(v[i].err, sizeof(v[i].err),
			    "%s %s: not sent: the Docker engine stopped "
			    "answering",
			    v[i].method, v[i].path);
		}
		run_op(r, v[i].rc);
	}
}
