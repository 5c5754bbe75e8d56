#ifndef DOCKERUP_NOTIFY_H
#define DOCKERUP_NOTIFY_H

/*
 * The service manager's notification protocol (systemd's sd_notify),
 * written out here rather than linked from libsystemd: "KEY=VALUE" lines
 * in one datagram to the unix socket NOTIFY_SOCKET names (a path, or an
 * abstract name after '@').  Without NOTIFY_SOCKET every call is a no-op.
 *
 * notify_init() runs once in the parent before its seccomp filter and
 * before any child starts: it opens the socket (sending afterwards needs
 * only sendto), reads WATCHDOG_USEC and WATCHDOG_PID, and removes the
 * three variables from the environment so that no child inherits them.
 */

void notify_init(void);
int notify_enabled(void);

/* READY=1, once: the first run has finished. */
void notify_ready(void);
/* STATUS=..., one line of text for systemctl status. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* STOPPING=1, once. */
void notify_stopping(void);

/*
 * A run ended with exit_code (0, 1 or 2): STATUS= saying so with the
 * time, and READY=1 after the first one.
 */
void notify_run_done(int exit_code);

/*
 * The watchdog.  notify_watchdog() sends WATCHDOG=1 when a kick is due
 * (every half of WATCHDOG_USEC); call it from the main loop.
 * notify_watchdog_timeout(ms) returns ms (-1: none) shortened so that a
 * poll with it wakes up in time for the next kick.
 */
void notify_watchdog(void);
int notify_watchdog_timeout(int ms);

#endif
