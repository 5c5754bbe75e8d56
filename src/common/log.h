#ifndef DOCKERUP_LOG_H
#define DOCKERUP_LOG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * One logging and error API for every process.  Lines go to stderr as
 * "TIME LEVEL PROCESS: message", or as one JSON object per line
 * ({"time", "level", "proc", "pid", "msg"}), or to syslog.  Either way
 * the message is escaped (log_escape()): one event is one line.  fatal()
 * appends strerror(errno) and fatalx() does not; neither returns.
 *
 * A warning or error identical to the previous one of the same process is
 * not repeated: it is counted, and "last message repeated N times" is
 * logged when a different warning comes, when LOG_REPEAT_INTERVAL_S has
 * passed, or at exit.
 */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *procname, int verbose);
void log_setproc(const char *procname);
int log_verbose(void);
/*
 * Chooses the line format and the destination.  With use_syslog, connects
 * to /dev/log now: call it before the process's seccomp filter, which
 * allows no reconnect.  When /dev/log cannot be used, lines go to stderr;
 * that is said once as a warning when announce is set, else in debug.
 */
void log_configure(int json, int use_syslog, int announce);
/* Logs a pending "last message repeated N times" now. */
void log_flush(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/*
 * Formats one message (cut at LOG_MSG_MAX bytes) and hands it to
 * send(arg, line): the body of every printf-like reporter that is not a
 * log call (a run's plan and failures, the image updater's plan).
 */
void vline_send(void (*send)(void *arg, const char *line), void *arg,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
void vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * One escaping primitive for every line a person or a parser reads, so
 * that text from another trust domain (a Docker endpoint's error, a
 * container's name or output, user-data) can never make a second line or
 * reach a terminal as a control sequence.
 *   LOG_ESC_TEXT: \n \r \t as such, other C0 controls and DEL as \xNN
 *     (ESC is \x1b), C1 controls (U+0080-U+009F) as \uNNNN (CSI is
 *     \u009b), a byte that is not valid UTF-8 as \xNN.  A backslash is
 *     kept as it is: the text stays readable, and one event stays one line.
 *   LOG_ESC_JSON: the inside of a JSON string: quotes and backslashes
 *     escaped, \n \t, other controls (C0, DEL, C1) as \uNNNN, invalid
 *     UTF-8 as \ufffd.
 * Writes into out (size outlen, >= 1), cut at a character boundary when
 * out is too small; returns how many bytes of s were consumed.
 */
enum log_escape_mode { LOG_ESC_TEXT, LOG_ESC_JSON };
size_t log_escape(
    const char *s, enum log_escape_mode mode, char *out, size_t outlen);
/*
 * The datagram --syslog sends for one message, escaped as stderr lines
 * are: "<PRI>dockerup[PID]: PROCESS: message", or the JSON line after
 * "<PRI>dockerup[PID]: ".  No newline; returns its length (cut to len-1).
 */
size_t log_syslog_line(
    enum log_level lvl, const char *msg, char *line, size_t len);
/* log_escape(LOG_ESC_JSON); returns the length written. */
size_t log_json_escape(const char *s, char *out, size_t outlen);

#endif
