#ifndef DOCKERUP_LOG_H
#define DOCKERUP_LOG_H

#include <stdarg.h>

/*
 * One logging and error API for every process.  Lines go to stderr as
 * "TIME LEVEL PROCESS: message".  fatal() appends strerror(errno) and
 * fatalx() does not; neither returns.
 */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *procname, int verbose);
void log_setproc(const char *procname);
int log_verbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
