#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_procname = "dockerup";
static int log_verbosity;

void
log_init(const char *procname, int verbose)
{
	log_procname = procname;
	log_verbosity = verbose;
}

void
log_setproc(const char *procname)
{
	log_procname = procname;
}

int
log_verbose(void)
{
	return log_verbosity;
}

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERROR:
		return "error";
	case LOG_LVL_WARN:
		return "warn";
	case LOG_LVL_INFO:
		return "info";
	case LOG_LVL_DEBUG:
		return "debug";
	}
	return "?";
}

void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	char msg[2048], stamp[32];
	int saved_errno = errno;
	struct timespec ts;
	struct tm tm;

	if (lvl == LOG_LVL_DEBUG && log_verbosity < 1)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line so that lines of the three processes never mix. */
	char line[2300];
	int n;
	if (with_errno)
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: %s: %s\n",
		    stamp, ts.tv_nsec / 1000000, level_name(lvl), log_procname,
		    msg, strerror(saved_errno));
	else
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, level_name(lvl), log_procname, msg);
	if (n > (int)sizeof(line) - 1) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}

#define LOG_FN(fn, lvl, witherr)            \
	void fn(const char *fmt, ...)       \
	{                                   \
		va_list ap;                 \
		va_start(ap, fmt);          \
		vlog(lvl, witherr, fmt, ap); \
		va_end(ap);                 \
	}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
