#ifndef DOCKERUP_DEFS_H
#define DOCKERUP_DEFS_H

/*
 * Container definitions from JSON: one document (a definition file or the
 * user-data body) into canonical struct defn, with every problem reported
 * by where, field path and what was expected.
 */
#include <stddef.h>
#include <stdint.h>

#include "defn.h"
#include "errlist.h"
#include "fetch.h"

enum doc_form {
	DOC_FILE = 1, /* one definition, or {"containers": [...]} */
	DOC_USERDATA, /* {"containers": [...]} only */
};

struct defs_result {
	struct defn *defs;
	char **prefix; /* field path prefix of each: "" or
	                        "containers[3]" */
	size_t n;
	struct kvlist profiles; /* seccomp profiles read: path -> bytes */
	/*
	 * The trust policy's refusals met while parsing (a seccomp profile
	 * by path from a remote source, never read): refused[i] marks
	 * defs[i], refusals says why.  The document stays valid; the
	 * caller drops those definitions.
	 */
	unsigned char *refused;
	struct errlist refusals;
};

void defs_result_init(struct defs_result *r);
void defs_result_free(struct defs_result *r);

/*
 * Parses and validates one document.  Returns the number of problems; on
 * any problem out holds no definition (a source is valid only as a whole),
 * and the trust policy's refusals are among errs.
 * Seccomp profiles named by securityOpt are read through ops.
 */
size_t defs_parse(const char *where, const char *text, size_t len,
    enum doc_form form, const struct file_ops *ops, struct defs_result *out,
    struct errlist *errs);

/*
 * Splits a command string into words as a POSIX shell would (quotes and
 * backslashes), without any expansion.  Returns 0, or -1 with *err set.
 */
int shell_split(const char *s, struct strlist *out, const char **err);

/* "2048m", "1g", "512" (bytes): 0, or -1 when invalid or too large. */
int parse_memory(const char *s, int64_t *out);

/* Levenshtein distance, case-insensitive; large for long strings. */

#endif
