#ifndef DOCKERUP_PROFILE_H
#define DOCKERUP_PROFILE_H

/*
 * Seccomp profiles named by definitions (securityOpt "seccomp=REF"):
 * where they may come from and what they must say.
 *
 * A reference is a bare name ("strict": seccomp_dir/strict.json) or an
 * absolute path inside seccomp_dir.  The root parent reads them for the
 * fetcher; the fetcher (and tests) through the same profile_read(), so
 * the rules for a path are written once.  The content is checked against
 * Docker's profile format by profile_check(), in the fetcher and again in
 * the engine on what it receives.
 */
#include <stddef.h>

#include "buf.h"

/* "strict": letters, digits, '.', '_', '-'; not starting with '.'. */
int profile_name_valid(const char *ref);

/*
 * Reads the profile ref names inside dir into out (bounded by
 * MAX_SECCOMP_PROFILE_SIZE).  Every component below dir is opened with
 * O_NOFOLLOW, the file with O_NOCTTY|O_NONBLOCK and fstat()ed before a
 * byte is read.  -1 with errno:
 *   EXDEV  ref is neither a name nor an absolute path inside dir (decided
 *          from the text alone: nothing outside dir is ever looked at)
 *   ELOOP  a symbolic link inside dir
 *   EINVAL not a regular file (FIFO, device, directory...)
 *   EPERM  dir or the file is writable by another account than its
 *          owner, or owned by neither root nor us
 *   EFBIG  larger than MAX_SECCOMP_PROFILE_SIZE
 *   or the errno of the failed open or read (ENOENT, EACCES...).
 */
int profile_read(const char *dir, const char *ref, struct buf *out);

/* What a user sees for one of profile_read()'s errors, after the name. */
void profile_read_error(int err, char *out, size_t outlen);

/*
 * Checks NUL-terminated JSON as a Docker seccomp profile: the keys of
 * Docker's format only, a known defaultAction, syscalls an array of rules
 * with names and a known action.  A profile that restricts nothing
 * (default SCMP_ACT_ALLOW or SCMP_ACT_LOG, every rule too) is refused
 * unless allow_permissive.  0, or -1 with "field: what is wrong; what
 * was expected" in err.
 */
int profile_check(
    const char *json, int allow_permissive, char *err, size_t errlen);

#endif
