#ifndef DOCKERUP_FAILED_H
#define DOCKERUP_FAILED_H

/*
 * Updates the health gate rolled back (issue #16), kept by root in
 * <cache>/failed.json (mode 0600, replaced atomically): per definition
 * its last rollback (when, why, to which image) and how many there were,
 * and while it holds, the combination that failed -- the hash the new
 * container carried, over the definition and the image ID.  A run does
 * not try that hash again; `dockerup retry NAME` lets it.  The file is
 * bounded (MAX_FAILED_ENTRIES, MAX_FAILED_FILE) and validated when read
 * back like any input: an entry out of form makes the whole file unused.
 */
#include <stddef.h>
#include <stdint.h>

#define FAILED_FILE    "failed.json"
#define FAILED_VERSION 1

struct failed_entry {
	char *ident;        /* defn_identity() */
	char hash[65];      /* the failed combination; "" none held */
	char image[80];     /* the image ID it was rolled back from */
	int64_t time;       /* unix time of the last rollback */
	char *why;          /* what failed, at most MAX_FAILED_WHY bytes */
	uint64_t rollbacks; /* how many so far */
};

struct failed_store {
	struct failed_entry *v;
	size_t n;
};

void failed_store_free(struct failed_store *fs);
/* Parses the file's bytes (any bytes); -1 with err when out of form. */
int failed_parse(const char *data, size_t len, struct failed_store *fs,
    char *err, size_t errlen);
/* The file's text; the caller frees it. */
char *failed_format(const struct failed_store *fs);
/* The entry of ident, or NULL. */
struct failed_entry *failed_find(
    const struct failed_store *fs, const char *ident);
/* Records a rollback: the oldest entry goes when the store is full. */
void failed_note(struct failed_store *fs, const char *ident, const char *hash,
    const char *image, const char *why, int64_t when);

/* Reads dirfd/failed.json: a missing file is empty; -1 with err. */
int failed_load(int dirfd, struct failed_store *fs, char *err, size_t errlen);
/* Replaces dirfd/failed.json (0600); -1 with errno set. */
int failed_save(int dirfd, const struct failed_store *fs);

/*
 * Writers take turns: the engine (a rollback) and `dockerup retry` (as
 * root, at any time) both read, change and replace the file, so each
 * holds an exclusive flock(2) on FAILED_LOCK from its read to its rename,
 * and no change is lost to a concurrent one.
 */
#define FAILED_LOCK "failed.lock"
/* Opens dirfd/failed.lock (made 0600 when missing); -1 with errno set. */
int failed_lock_open(int dirfd);
/*
 * Under the lock (lockfd, from failed_lock_open()): loads the store,
 * calls edit on it, and saves it when edit returns 1.  With repair, a
 * file out of form counts as empty (and is replaced); without, it is an
 * error.  0 done (saved or not), -1 with err set (nothing was saved).
 */
int failed_update(int dirfd, int lockfd, int repair,
    int (*edit)(struct failed_store *fs, void *arg), void *arg, char *err,
    size_t errlen);

/* ---- the engine's side: the cache directory opened before its sandbox */

/* quiet: a dry run, which may not be root, says nothing. */
void failed_init(const char *cache, int quiet);
/*
 * Whether hash is held for ident (rolled back before); its entry's image,
 * time and why into out (strings owned by a static copy until the next
 * call).
 */
int failed_held(const char *ident, const char *hash, struct failed_entry *out);
/* Records a rollback of ident in the file; logs when it cannot. */
void failed_add(
    const char *ident, const char *hash, const char *image, const char *why);
/* The store as it is on disk now (empty when unreadable). */
void failed_current(struct failed_store *fs);

#endif
