#ifndef DOCKERUP_CLOCK_H
#define DOCKERUP_CLOCK_H

/*
 * The two clocks every process reads: the monotonic one for waits and
 * durations, and wall time as the text status files, logs and etcd
 * records show it.
 */
#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock. */
double mono_now(void);
/* Milliseconds on the monotonic clock. */
long long mono_ms(void);
/*
 * t (unix seconds) in RFC 3339 UTC, "2026-12-02T23:13:06Z"; -1 with out
 * empty when t cannot be shown (the caller says what instead).
 */
int utc_text(int64_t t, char *out, size_t outlen);
/* Above this (year 33658), a time read from elsewhere is not a time. */
#define UTC_TEXT_MAX_T 1e12

#endif
