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

/*
 * Problems of one definition: under where, with every field prefixed by
 * prefix ("containers[2]", or "" for none); count says how many.
 */
struct errctx {
	const char *where;
	const char *prefix;
	struct errlist *errs;
	size_t count;
};

void errctx_add(struct errctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "where: field: msg" (or "where: msg"), into buf; returns buf. */
const char *cfgerr_format(const struct cfgerr *c, char *buf, size_t len);

#endif
