#ifndef DOCKERUP_LASTGOOD_H
#define DOCKERUP_LASTGOOD_H

/*
 * The last good contents of each source: the document text that last
 * validated (and the seccomp profiles it named), kept in memory and as one
 * file per source in a directory, so that a restart while a source is
 * broken or unreachable still has them.  Files are written atomically and
 * re-validated in full when read back; a bad one is removed.
 */
#include <stddef.h>
#include <stdint.h>

#include "defn.h"
#include "defs.h"
#include "errlist.h"

struct lastgood {
	char *name; /* source: file path or "user-data" */
	enum doc_form form;
	char *text; /* the document as it validated */
	size_t len;
	struct kvlist profiles; /* seccomp profile path -> contents */
	int64_t since;          /* unix time these contents were first good */
};

struct lastgood_set {
	char *dir; /* NULL: memory only; for messages */
	int dirfd; /* opened at init, before privileges go: every
	                         later access is relative to it, so the path
	                         above need not be reachable by --user */
	struct lastgood *v;
	size_t n;
	int loaded; /* the directory has been read */
};

#define LASTGOOD_MAX_FILE (8 * MAX_DOCUMENT_SIZE)

void lastgood_init(struct lastgood_set *set, const char *dir);
void lastgood_free(struct lastgood_set *set);
/* Reads the directory once per process; bad files are removed. */
void lastgood_load_disk(struct lastgood_set *set);
const struct lastgood *lastgood_find(
    const struct lastgood_set *set, const char *name);
/* Records contents that just validated; rewrites the file on a change. */
const struct lastgood *lastgood_store(struct lastgood_set *set,
    const char *name, enum doc_form form, const char *text, size_t len,
    const struct kvlist *profiles);
void lastgood_forget(struct lastgood_set *set, const char *name);
/* Parses and validates the contents again; returns the problems. */
size_t lastgood_replay(
    const struct lastgood *lg, struct defs_result *out, struct errlist *errs);
/* The file name for a source: "lg-" and a hash of the name. */
void lastgood_filename(const char *name, char out[64]);

#endif
