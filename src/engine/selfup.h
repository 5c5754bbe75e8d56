#ifndef DOCKERUP_SELFUP_H
#define DOCKERUP_SELFUP_H

/*
 * The self-upgrade handover files, in <cache>/handover/ (shared by both
 * instances through the cache directory):
 *   ready   the container ID of a new instance that is ready to take over:
 *           it reached the Docker API and accepted a valid desired state;
 *   old     the ID of the instance handing over, written before the new
 *           container exists, so that whoever holds the lock next removes
 *           it even when it carries none of dockerup's labels;
 *   failed  "<hash> <image ID> <time>": the last self-upgrade that was
 *           rolled back; it is not tried again while the hash is the same.
 * The engine opens the directory before its sandbox and only reads; the
 * parent writes every file (atomically) on the engine's request.
 */
#include <stddef.h>

#include "wire.h"

/* Opens <cache>/handover for reading; -1 disables self-upgrades. */
int selfup_init(const char *cache);
int selfup_available(void);
/* The file's first line (at most outlen - 1 bytes); -1 when absent. */
int selfup_read(enum wire_self_file f, char *out, size_t outlen);
/* Asks the parent to write (or, with "", remove) a file; 0 when done. */
int selfup_write(enum wire_self_file f, const char *text);
/* Asks the parent to release the run lock; 0 when released. */
int selfup_release_lock(void);

/* Whether s is a full container ID (64 lowercase hex digits). */
int selfup_is_id(const char *s);
/* Whether the rolled-back record names hash; its image ID into image. */
int selfup_failed_has(const char *hash, char *image, size_t imagelen);
void selfup_failed_add(const char *hash, const char *image);

/* ---- the self-upgrade of dockerup's own container (a run's step) ---- */

struct run;
struct item;

/* The definition of dockerup's own container; claims it; NULL none. */
struct item *run_find_self(struct run *r);
/* Our own definition, handled after everything else in the run. */
void self_reconcile(struct run *r, struct item *it);
/* Handed over: our own container goes, and with it this process. */
void self_leave(struct run *r);

#endif
