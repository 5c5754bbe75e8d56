#ifndef DOCKERUP_WATCH_H
#define DOCKERUP_WATCH_H

/*
 * Server mode: the parent watches the confdir with inotify and asks the
 * fetcher for a reload once a burst of changes to definition files has
 * settled (WATCH_QUIET_MS of quiet, at most WATCH_MAX_DELAY_MS after the
 * first change).  The confdir may be missing, removed, renamed or
 * replaced: its parent directory is watched for its name coming back.
 */
#include <poll.h>

/* Starts watching confdir; without inotify, changes wait for the interval. */
void watch_start(const char *confdir);
/* Fills pfd with the watch's descriptor (-1: none) for ppoll(). */
void watch_pollfd(struct pollfd *pfd);
/* ms until the watch needs attention, or ms itself when that is sooner
 * (-1: no timeout). */
int watch_timeout_ms(int ms);
/* After ppoll(): reads pending events; 1 when a reload is due now. */
int watch_handle(const struct pollfd *pfd);

#endif
