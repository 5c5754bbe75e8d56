/*
 * Telling the service manager how we are: the sd_notify datagram protocol
 * (READY=1, STATUS=, WATCHDOG=1, STOPPING=1), by hand.  The socket is
 * opened before the parent's seccomp filter; each message is one sendto
 * on it, which policy/parent.list allows.  A manager that is gone or
 * slow never blocks the parent: sends do not wait, and a failure is
 * logged once until a send works again.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "clock.h"
#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static int notify_failing; /* the last send failed; logged */
static int sent_ready, sent_stopping;
static int64_t watchdog_us;  /* kick interval; 0: no watchdog */
static int64_t next_kick_us; /* CLOCK_MONOTONIC */

static int64_t
now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "/path" or "@abstract" into notify_addr; -1 when neither. */
static int
notify_address(const char *name)
{
	size_t len = strlen(name);

	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len >= sizeof(notify_addr.sun_path))
		return -1;
	memcpy(notify_addr.sun_path, name, len);
	/* An abstract name starts with a NUL and has no terminator. */
	if (name[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (name[0] == '/'));
	return 0;
}

/* A whole decimal number without sign or junk; -1 otherwise. */
static int64_t
parse_number(const char *s)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return -1;
	return (int64_t)v;
}

/* WATCHDOG_USEC, when WATCHDOG_PID is unset or names us. */
static void
watchdog_init(const char *usec, const char *pid)
{
	int64_t us, p;

	if (usec == NULL)
		return;
	if (pid != NULL &&
	    ((p = parse_number(pid)) == -1 || p != (int64_t)getpid())) {
		log_debug("WATCHDOG_PID=%.20s is not our pid %ld: no watchdog",
		    pid, (long)getpid());
		return;
	}
	if ((us = parse_number(usec)) <= 0) {
		log_warnx("environment: WATCHDOG_USEC=\"%.20s\" is not valid; "
			  "expected microseconds above 0; no watchdog",
		    usec);
		return;
	}
	watchdog_us = us / 2 > 0 ? us / 2 : 1;
	next_kick_us = now_us();
	log_debug(
	    "watchdog: WATCHDOG=1 every %" PRId64 " ms", watchdog_us / 1000);
}

void
notify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	watchdog_init(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
	if (sock != NULL && sock[0] != '\0') {
		if (notify_address(sock) == -1)
			log_warnx(
			    "environment: NOTIFY_SOCKET=\"%.100s\" is not "
			    "valid; expected /PATH or @ABSTRACT_NAME shorter "
			    "than %zu bytes; not notifying",
			    sock, sizeof(notify_addr.sun_path));
		else if ((notify_fd = socket(AF_UNIX,
			      SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) ==
		    -1)
			log_warn("NOTIFY_SOCKET %s: socket", sock);
		else
			log_debug("notifying the service manager on %s", sock);
	}
	if (notify_fd == -1)
		watchdog_us = 0;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int
notify_enabled(void)
{
	return notify_fd != -1;
}

static void
notify_send(const char *msg, size_t len)
{
	if (notify_fd == -1)
		return;
	if (sendto(notify_fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT,
		(struct sockaddr *)&notify_addr,
		notify_addrlen) == (ssize_t)len) {
		if (notify_failing)
			log_info("service manager notifications work again");
		notify_failing = 0;
		return;
	}
	if (!notify_failing)
		log_warn("notifying the service manager (NOTIFY_SOCKET)");
	notify_failing = 1;
}

/* One message of one or more KEY=VALUE lines. */
static void notify_sendf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
notify_sendf(const char *fmt, ...)
{
	char msg[NOTIFY_MAX_MSG];
	va_list ap;
	int n;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	notify_send(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

void
notify_ready(void)
{
	if (sent_ready)
		return;
	sent_ready = 1;
	notify_sendf("READY=1");
}

void
notify_status(const char *fmt, ...)
{
	char text[NOTIFY_MAX_MSG - sizeof("STATUS=")];
	va_list ap;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* STATUS is one line. */
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	notify_sendf("STATUS=%s", text);
}

void
notify_stopping(void)
{
	if (sent_stopping)
		return;
	sent_stopping = 1;
	notify_sendf("STOPPING=1\nSTATUS=stopping: the engine finishes the "
		     "call in flight");
}

void
notify_run_done(int exit_code)
{
	char when[32];
	time_t t = time(NULL);

	if (notify_fd == -1)
		return;
	if (utc_text(t, when, sizeof(when)) == -1)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	if (exit_code == 0)
		notify_status("last run ok at %s", when);
	else
		notify_status(
		    "last run failed (exit %d) at %s", exit_code, when);
	notify_ready();
}

void
notify_watchdog(void)
{
	int64_t now;

	if (watchdog_us == 0 || (now = now_us()) < next_kick_us)
		return;
	notify_sendf("WATCHDOG=1");
	next_kick_us = now + watchdog_us;
}

int
notify_watchdog_timeout(int ms)
{
	int64_t left;

	if (watchdog_us == 0)
		return ms;
	left = (next_kick_us - now_us() + 999) / 1000;
	if (left < 0)
		left = 0;
	if (left > INT_MAX)
		left = INT_MAX;
	if (ms < 0 || left < ms)
		return (int)left;
	return ms;
}
