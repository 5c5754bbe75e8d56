#ifndef DOCKERUP_XALLOC_H
#define DOCKERUP_XALLOC_H

/*
 * Allocation that cannot fail, as OpenBSD's daemons do it: when memory is
 * exhausted the process ends with fatal(), and the parent starts a child
 * again (a child's inputs are bounded, so exhaustion is the host's, not
 * an input's).  Limits on what an input may make us allocate are in
 * bounds.h and checked before allocating, never left to malloc failing.
 */
#include <stddef.h>

void *xmalloc(size_t size);
/* n may be 0: a valid pointer all the same. */
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf() that cannot fail; returns the length. */
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
