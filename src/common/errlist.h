#ifndef DOCKERUP_ERRLIST_H
#define DOCKERUP_ERRLIST_H

#include <stddef.h>

/*
 * Problems found in configuration, each saying where (a file path or
 * "user-data"), which field (e.g. "containers[1].portMappings[0].hostPort",
 * empty for the whole document) and what is wrong and expected.
 */
struct cfgerr {
	char *where;
	char *field;
	char *msg;
};

struct errlist {
	struct cfgerr *v;
	size_t n;
};

void errlist_init(struct errlist *e);
void errlist_free(struct errlist *e);
void errlist_add(struct errlist *e, const char *where, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "where: field: msg" (or "where: msg"), into buf; returns buf. */
const char *cfgerr_format(const struct cfgerr *c, char *buf, size_t len);

#endif
