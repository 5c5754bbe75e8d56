#ifndef DOCKERUP_TEXTCHECK_H
#define DOCKERUP_TEXTCHECK_H

/*
 * Predicates on text, each true when valid.  They depend on nothing but
 * bounds.h, so that both the definition rules (validate.c) and the
 * seccomp profile checks (profile.c), which call each other's callers,
 * can use them without depending on each other.
 */
#include <stddef.h>

/* UTF-8 without NUL, overlong forms or surrogates. */
int valid_utf8(const char *s, size_t len);
/* Absolute, at most MAX_PATH_LEN, UTF-8, no control character, no "..". */
int valid_abs_path(const char *s);
/* JSON text (strings skipped) nests arrays/objects at most max deep. */
int valid_json_nesting(const char *s, size_t len, int max);

#endif
