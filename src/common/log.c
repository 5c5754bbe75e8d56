#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"

#define SYSLOG_PATH            "/dev/log"
#define SYSLOG_FACILITY_DAEMON (3 << 3)

static const char *log_procname = "dockerup";
static int log_verbosity;
static int log_json;
static int log_syslog_fd = -1;

/* The last warning or error, and how often it came again unlogged. */
static struct {
	char msg[LOG_MSG_MAX];
	enum log_level lvl;
	unsigned repeats;
	time_t logged; /* CLOCK_MONOTONIC seconds of its last line */
	int valid;
	int atexit_set;
} last;

void
log_init(const char *procname, int verbose)
{
	log_procname = procname;
	log_verbosity = verbose;
	if (!last.atexit_set) {
		last.atexit_set = 1;
		atexit(log_flush);
	}
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

static int
syslog_severity(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERROR:
		return 3;
	case LOG_LVL_WARN:
		return 4;
	case LOG_LVL_INFO:
		return 6;
	case LOG_LVL_DEBUG:
		return 7;
	}
	return 6;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * The escape of the character at p (n bytes long once decoded) into tmp,
 * or NULL when it is written as it is.  Text: \n \r \t, other C0
 * controls and DEL as \xNN, C1 controls (U+0080-U+009F) as \uNNNN,
 * invalid UTF-8 bytes as \xNN.  JSON: quotes and backslashes too, every
 * control as \uNNNN (\n \t short), invalid UTF-8 as \ufffd.
 */
static const char *
escape_char(
    const unsigned char *p, enum log_escape_mode mode, char *tmp, size_t *n)
{
	int json = mode == LOG_ESC_JSON;

	*n = 1;
	if (json && (*p == '"' || *p == '\\')) {
		snprintf(tmp, 8, "\\%c", *p);
		return tmp;
	}
	if (*p == '\n')
		return "\\n";
	if (*p == '\t')
		return "\\t";
	if (*p == '\r' && !json)
		return "\\r";
	if (*p < 0x20 || *p == 0x7f) {
		snprintf(tmp, 8, json ? "\\u%04x" : "\\x%02x", *p);
		return tmp;
	}
	if (*p < 0x80)
		return NULL;
	if ((*n = utf8_len(p)) == 0) {
		*n = 1;
		if (json)
			return "\\ufffd";
		snprintf(tmp, 8, "\\x%02x", *p);
		return tmp;
	}
	if (p[0] == 0xc2 && p[1] < 0xa0) { /* C1: U+0080-U+009F */
		snprintf(tmp, 8, "\\u%04x", p[1]);
		return tmp;
	}
	return NULL;
}

size_t
log_escape(const char *s, enum log_escape_mode mode, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p != '\0') {
		char tmp[8];
		size_t n, alen;
		const char *add = escape_char(p, mode, tmp, &n);

		alen = add ? strlen(add) : n;
		if (o + alen + 1 > outlen)
			break;
		memcpy(out + o, add ? add : (const char *)p, alen);
		o += alen;
		p += n;
	}
	out[o] = '\0';
	return (size_t)((const char *)p - s);
}

size_t
log_json_escape(const char *s, char *out, size_t outlen)
{
	log_escape(s, LOG_ESC_JSON, out, outlen);
	return strlen(out);
}

/* The time as RFC 3339 UTC with milliseconds. */
static void
timestamp(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(
	    out + n, outlen - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

/* One line, newline included, in the configured format. */
static int
format_line(enum log_level lvl, const char *msg, char *line, size_t len)
{
	char stamp[40];
	int n;

	timestamp(stamp, sizeof(stamp));
	if (log_json) {
		/* Room for the other fields: a JSON line is never cut. */
		char esc[LOG_LINE_MAX - 256], proc[64];
		log_json_escape(msg, esc, sizeof(esc));
		log_json_escape(log_procname, proc, sizeof(proc));
		n = snprintf(line, len,
		    "{\"time\":\"%s\",\"level\":\"%s\","
		    "\"proc\":\"%s\",\"pid\":%ld,\"msg\":\"%s\"}\n",
		    stamp, level_name(lvl), proc, (long)getpid(), esc);
	} else {
		char esc[LOG_LINE_MAX - 128];
		log_escape(msg, LOG_ESC_TEXT, esc, sizeof(esc));
		n = snprintf(line, len, "%s %s %s: %s\n", stamp,
		    level_name(lvl), log_procname, esc);
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= len) {
		/* Cut: a JSON line would be invalid, so close it again. */
		n = (int)len - 1;
		if (log_json && len > 4)
			memcpy(line + len - 4, "\"}\n", 3);
		else
			line[n - 1] = '\n';
	}
	return n;
}

static void
write_stderr(const char *line, size_t n)
{
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

size_t
log_syslog_line(enum log_level lvl, const char *msg, char *line, size_t len)
{
	char body[LOG_LINE_MAX];
	int n, m;

	if (log_json) {
		m = format_line(lvl, msg, body, sizeof(body));
		if (m > 0 && body[m - 1] == '\n')
			body[m - 1] = '\0';
		n = snprintf(line, len, "<%d>dockerup[%ld]: %s",
		    SYSLOG_FACILITY_DAEMON | syslog_severity(lvl),
		    (long)getpid(), body);
	} else {
		log_escape(msg, LOG_ESC_TEXT, body, sizeof(body));
		n = snprintf(line, len, "<%d>dockerup[%ld]: %s: %s",
		    SYSLOG_FACILITY_DAEMON | syslog_severity(lvl),
		    (long)getpid(), log_procname, body);
	}
	if (n < 0)
		return 0;
	return (size_t)n >= len ? len - 1 : (size_t)n;
}

static int
write_syslog(enum log_level lvl, const char *msg)
{
	char line[LOG_LINE_MAX + 128];
	size_t n = log_syslog_line(lvl, msg, line, sizeof(line));

	/* Non-blocking: a stuck syslog daemon must not stop the engine. */
	return n > 0 && write(log_syslog_fd, line, n) == (ssize_t)n ? 0 : -1;
}

static void
emit(enum log_level lvl, const char *msg)
{
	char line[LOG_LINE_MAX];
	int n;

	if (log_syslog_fd != -1 && write_syslog(lvl, msg) == 0)
		return;
	/* One write per line so that lines of the three processes never mix. */
	if ((n = format_line(lvl, msg, line, sizeof(line))) > 0)
		write_stderr(line, (size_t)n);
}

static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
emit_repeats(void)
{
	char msg[64];

	if (last.repeats == 0)
		return;
	snprintf(msg, sizeof(msg), "last message repeated %u time%s",
	    last.repeats, last.repeats == 1 ? "" : "s");
	last.repeats = 0;
	last.logged = mono_s();
	emit(last.lvl, msg);
}

void
log_flush(void)
{
	int saved_errno = errno;

	emit_repeats();
	errno = saved_errno;
}

/* Whether msg repeats the last warning within the interval: not logged. */
static int
suppressed(enum log_level lvl, const char *msg)
{
	time_t now = mono_s();
	int same = last.valid && last.lvl == lvl && strcmp(last.msg, msg) == 0;

	/* Info and debug lines do not interrupt a run of repeats. */
	if (last.repeats > 0 &&
	    ((lvl <= LOG_LVL_WARN && !same) ||
		now - last.logged >= LOG_REPEAT_INTERVAL_S))
		emit_repeats();
	if (lvl > LOG_LVL_WARN)
		return 0;
	if (same && now - last.logged < LOG_REPEAT_INTERVAL_S) {
		last.repeats++;
		return 1;
	}
	snprintf(last.msg, sizeof(last.msg), "%s", msg);
	last.lvl = lvl;
	last.valid = 1;
	last.logged = now;
	return 0;
}

void
vline_send(void (*send)(void *arg, const char *line), void *arg,
    const char *fmt, va_list ap)
{
	char line[LOG_MSG_MAX];

	vsnprintf(line, sizeof(line), fmt, ap);
	send(arg, line);
}

void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int saved_errno = errno;
	size_t n;

	if (lvl == LOG_LVL_DEBUG && log_verbosity < 1)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (with_errno && n + 2 < sizeof(msg))
		snprintf(
		    msg + n, sizeof(msg) - n, ": %s", strerror(saved_errno));
	if (!suppressed(lvl, msg))
		emit(lvl, msg);
	errno = saved_errno;
}

void
log_configure(int json, int use_syslog, int announce)
{
	struct sockaddr_un sun;
	int fd, err;

	log_json = json;
	if (log_syslog_fd != -1) {
		close(log_syslog_fd);
		log_syslog_fd = -1;
	}
	if (!use_syslog)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SYSLOG_PATH);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd != -1 &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_syslog_fd = fd;
		return;
	}
	err = errno;
	if (fd != -1)
		close(fd);
	if (announce)
		log_warnx("syslog: cannot connect to %s: %s; logging to stderr "
			  "instead",
		    SYSLOG_PATH, strerror(err));
	else
		log_debug("syslog: cannot connect to %s: %s; logging to stderr "
			  "instead",
		    SYSLOG_PATH, strerror(err));
}

#define LOG_FN(fn, lvl, witherr)                                               \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(lvl, witherr, fmt, ap);                                   \
		va_end(ap);                                                    \
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
	log_flush();
	last.valid = 0; /* the last words are never swallowed */
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_flush();
	last.valid = 0;
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
