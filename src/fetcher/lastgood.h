#ifndef DOCKERUP_LASTGOOD_H
#define DOCKERUP_LASTGOOD_H

/*
 * The last good contents of each source: the document text that last
 * validated (and the seccomp profiles it named), kept in memory and handed
 * to a sink that keeps them across restarts.  In dockerup the sink is the
 * parent, which stores them where only root can read or write
 * (src/parent/lastgood.c), never in a place the fetcher's account owns.
 * Whatever comes back is decoded and validated again in full.
 */
#include <stddef.h>
#include <stdint.h>

#include "defn.h"
#include "defs.h"
#include "errlist.h"
#include "wire.h"

/*
 * Each source's copy is a struct wire_lastgood, in memory as on the wire:
 * its form is that of the wire (a user-data document, a file or an etcd
 * key), from which the parser's enum doc_form follows.
 */

/* Where copies go to survive a restart (struct wire_lastgood encoding). */
struct lastgood_sink {
	void (*put)(void *ctx, const unsigned char *p, size_t len);
	void (*del)(void *ctx, const char *name);
	void *ctx;
};

struct lastgood_set {
	const struct lastgood_sink *sink; /* NULL: memory only */
	struct wire_lastgood *v;
	size_t n;
};

void lastgood_init(struct lastgood_set *set, const struct lastgood_sink *sink);
void lastgood_free(struct lastgood_set *set);
/*
 * One copy the sink kept: decoded, then parsed and validated again like
 * a fresh document.  0 when kept; -1 with *why set when refused.
 */
int lastgood_restore(struct lastgood_set *set, const unsigned char *p,
    size_t len, const char **why);
const struct wire_lastgood *lastgood_find(
    const struct lastgood_set *set, const char *name);
/* Records contents that just validated; hands them to the sink on a
 * change. */
const struct wire_lastgood *lastgood_store(struct lastgood_set *set,
    const char *name, enum doc_form form, const char *text, size_t len,
    const struct kvlist *profiles);
void lastgood_forget(struct lastgood_set *set, const char *name);
/* Parses and validates the contents again; returns the problems. */
size_t lastgood_replay(const struct wire_lastgood *lg, struct defs_result *out,
    struct errlist *errs);
/* How many definitions the contents declare (0 when they do not
 * validate). */
size_t lastgood_count(const struct wire_lastgood *lg);

#endif
