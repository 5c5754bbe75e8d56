/*
 * Seccomp profiles named by definitions: where they may come from
 * (profile_read) and what they must say (profile_check).  See profile.h.
 */
#include "profile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "suggest.h"
#include "textcheck.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
profile_name_valid(const char *ref)
{
	size_t n = strlen(ref);

	if (n == 0 || n > MAX_NAME_LEN || ref[0] == '.')
		return 0;
	return strspn(ref,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-") == n;
}

/* The part of ref below dir ("a/b.json"), or NULL when not inside it. */
static const char *
below(const char *dir, const char *ref)
{
	size_t n = strlen(dir);
	const char *rest;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!valid_abs_path(ref) || strncmp(ref, dir, n) != 0)
		return NULL;
	rest = ref + n;
	if (n > 1 && rest[0] != '/')
		return NULL; /* "/etc/dockerup/seccomp-other/x.json" */
	while (rest[0] == '/')
		rest++;
	return rest[0] != '\0' ? rest : NULL;
}

/* Root's, or ours (tests), and writable by its owner alone. */
static int
trusted(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Opens the directory rel (relative to fd, no link followed); closes fd. */
static int
open_below(int fd, char *rel, const char **last)
{
	char *p = rel, *slash;
	int depth = 0, next, saved;

	while ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		if (p[0] == '\0') {
			p = slash + 1;
			continue;
		}
		if (strcmp(p, ".") == 0 || ++depth > MAX_SECCOMP_DIR_DEPTH) {
			errno = EXDEV;
			goto fail;
		}
		next = openat(
		    fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1) {
			struct stat st;
			/* With O_DIRECTORY, a link is "not a directory". */
			if (errno == ENOTDIR &&
			    fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				errno = ELOOP;
			goto fail;
		}
		close(fd);
		fd = next;
		if (trusted(fd) == -1)
			goto fail;
		p = slash + 1;
	}
	if (p[0] == '\0' || strcmp(p, ".") == 0) {
		errno = EXDEV;
		goto fail;
	}
	*last = p;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
profile_read(const char *dir, const char *ref, struct buf *out)
{
	char rel[MAX_PATH_LEN + 8];
	const char *r, *last;
	struct stat st;
	int dfd, fd = -1, saved, rc = -1;

	if (profile_name_valid(ref))
		snprintf(rel, sizeof(rel), "%s.json", ref);
	else if ((r = below(dir, ref)) != NULL && strlen(r) < sizeof(rel))
		snprintf(rel, sizeof(rel), "%s", r);
	else {
		errno = EXDEV;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (trusted(dfd) == -1) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	if ((dfd = open_below(dfd, rel, &last)) == -1)
		return -1;
	fd = openat(dfd, last,
	    O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (trusted(fd) == -1)
		goto out;
	if (st.st_size > MAX_SECCOMP_PROFILE_SIZE) {
		errno = EFBIG;
		goto out;
	}
	rc = buf_read_fd(out, fd);
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	close(dfd);
	errno = saved;
	return rc;
}

void
profile_read_error(int err, char *out, size_t outlen)
{
	switch (err) {
	case EXDEV:
		snprintf(out, outlen,
		    "is not a profile name or a path inside seccomp_dir; "
		    "expected seccomp=NAME (NAME.json in seccomp_dir, NAME "
		    "of letters, digits, '.', '_', '-'), "
		    "seccomp=/PATH inside seccomp_dir or seccomp=unconfined");
		break;
	case ELOOP:
		snprintf(out, outlen,
		    "is a symbolic link or passes through one; expected a "
		    "regular file in seccomp_dir (links are not followed)");
		break;
	case EINVAL:
		snprintf(out, outlen,
		    "is not a regular file; expected a regular file of JSON");
		break;
	case EPERM:
		snprintf(out, outlen,
		    "is writable by another account than its owner, or owned "
		    "by neither root nor dockerup; expected a directory and "
		    "files only root can write");
		break;
	case EFBIG:
	case E2BIG:
		snprintf(out, outlen,
		    "is larger than %d bytes; expected a smaller profile",
		    MAX_SECCOMP_PROFILE_SIZE);
		break;
	default:
		snprintf(out, outlen,
		    "cannot be read: %s; expected a readable JSON file",
		    strerror(err));
		break;
	}
}

/* ---- the content ---- */

static const char *const actions[] = {
	"SCMP_ACT_KILL",
	"SCMP_ACT_KILL_PROCESS",
	"SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_TRAP",
	"SCMP_ACT_ERRNO",
	"SCMP_ACT_TRACE",
	"SCMP_ACT_ALLOW",
	"SCMP_ACT_LOG",
};

static const char *const ops[] = {
	"SCMP_CMP_NE",
	"SCMP_CMP_LT",
	"SCMP_CMP_LE",
	"SCMP_CMP_EQ",
	"SCMP_CMP_GE",
	"SCMP_CMP_GT",
	"SCMP_CMP_MASKED_EQ",
};

/* Docker's format (moby/profiles seccomp.Seccomp and runtime-spec). */
static const char *const top_keys[] = {
	"defaultAction",
	"defaultErrnoRet",
	"architectures",
	"archMap",
	"syscalls",
	"flags",
	"listenerPath",
	"listenerMetadata",
};
static const char *const rule_keys[] = {
	"names",
	"name",
	"action",
	"errnoRet",
	"args",
	"comment",
	"includes",
	"excludes",
};
static const char *const arg_keys[] = { "index", "value", "valueTwo", "op" };
static const char *const filter_keys[] = { "caps", "arches", "minKernel" };
static const char *const archmap_keys[] = { "architecture",
	"subArchitectures" };

struct pcheck {
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct pcheck *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct pcheck *c, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->failed++)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s%s%s", field, field[0] ? ": " : "", msg);
	return -1;
}

static int
in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/* A key safe to show: printable ASCII, cut short. */
static void
shown(const char *s, char *out, size_t outlen)
{
	size_t k = 0;

	for (; s[k] != '\0' && k + 1 < outlen && k < 40; k++)
		out[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
	out[k] = '\0';
}

static int
keys(struct pcheck *c, const cJSON *o, const char *field,
    const char *const *known, size_t n)
{
	const cJSON *it;
	char key[48], f[384];

	if (!cJSON_IsObject(o))
		return fail(c, field, "is not an object; expected an object");
	cJSON_ArrayForEach(it, o)
	{
		const char *best = NULL;
		size_t bestd = 4;
		if (in_list(it->string, known, n))
			continue;
		for (size_t i = 0; i < n; i++) {
			size_t d = edit_distance(it->string, known[i]);
			if (d < bestd)
				bestd = d, best = known[i];
		}
		shown(it->string, key, sizeof(key));
		snprintf(
		    f, sizeof(f), "%s%s%s", field, field[0] ? "." : "", key);
		if (best != NULL)
			return fail(c, f,
			    "unknown key; did you mean %s? (Docker's seccomp "
			    "profile format)",
			    best);
		return fail(c, f,
		    "unknown key; expected a key of Docker's seccomp profile "
		    "format");
	}
	return 0;
}

/* The member key of o; sub becomes its field path, field.key. */
static const cJSON *
member(const cJSON *o, const char *key, const char *field, char *sub,
    size_t sublen)
{
	snprintf(sub, sublen, "%s.%s", field, key);
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A valid action (see action()) that neither allows nor only logs. */
static int
restrictive(const cJSON *a)
{
	return strcmp(a->valuestring, "SCMP_ACT_ALLOW") != 0 &&
	    strcmp(a->valuestring, "SCMP_ACT_LOG") != 0;
}

static int
action(struct pcheck *c, const cJSON *a, const char *field)
{
	char v[48];

	if (!cJSON_IsString(a))
		return fail(c, field,
		    "is missing or not a string; expected a seccomp action "
		    "such as SCMP_ACT_ERRNO");
	if (in_list(a->valuestring, actions, NELEM(actions)))
		return 0;
	shown(a->valuestring, v, sizeof(v));
	return fail(c, field,
	    "\"%s\" is not a seccomp action; expected one of SCMP_ACT_KILL, "
	    "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, "
	    "SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG",
	    v);
}

static int
whole(struct pcheck *c, const cJSON *n, const char *field, double max)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > max ||
	    floor(n->valuedouble) != n->valuedouble)
		return fail(c, field,
		    "is not a whole number from 0 to %.0f; expected one", max);
	return 0;
}

/* An array of strings that each satisfy ok() (or any, with NULL). */
static int
strings(struct pcheck *c, const cJSON *a, const char *field, size_t max,
    int (*ok)(const char *), const char *what)
{
	const cJSON *it;
	char f[384];
	size_t i = 0;

	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) > max)
		return fail(
		    c, field, "is not an array of at most %zu %s", max, what);
	cJSON_ArrayForEach(it, a)
	{
		snprintf(f, sizeof(f), "%s[%zu]", field, i++);
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
		    strlen(it->valuestring) > 64 ||
		    (ok != NULL && !ok(it->valuestring)))
			return fail(c, f, "is not valid; expected %s", what);
	}
	return 0;
}

static int
is_syscall_name(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static int
is_upper_word(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(s);
}

static int
is_arch(const char *s)
{
	return strncmp(s, "SCMP_ARCH_", 10) == 0 && is_upper_word(s);
}

static int
is_flag(const char *s)
{
	return strncmp(s, "SECCOMP_FILTER_FLAG_", 20) == 0 && is_upper_word(s);
}

static int
filter(struct pcheck *c, const cJSON *f, const char *field)
{
	const cJSON *it;
	char sub[320];
	unsigned a, b;
	char end;

	if (keys(c, f, field, filter_keys, NELEM(filter_keys)) == -1)
		return -1;
	if ((it = member(f, "caps", field, sub, sizeof(sub))) != NULL &&
	    strings(c, it, sub, MAX_LIST_ITEMS, is_upper_word,
		"capability names such as CAP_SYS_ADMIN") == -1)
		return -1;
	if ((it = member(f, "arches", field, sub, sizeof(sub))) != NULL &&
	    strings(c, it, sub, MAX_LIST_ITEMS, NULL,
		"architecture names such as amd64") == -1)
		return -1;
	if ((it = member(f, "minKernel", field, sub, sizeof(sub))) != NULL &&
	    (!cJSON_IsString(it) ||
		sscanf(it->valuestring, "%3u.%3u%c", &a, &b, &end) != 2))
		return fail(c, sub,
		    "is not a kernel version; expected \"MAJOR.MINOR\" such "
		    "as \"4.8\"");
	return 0;
}

typedef int (*element_fn)(
    struct pcheck *c, const cJSON *e, const char *field, void *arg);

/*
 * Checks each element of the array a (its type and length checked by the
 * caller) with fn, naming it PATH[i]; -1 at the first that fails.
 */
static int
each_element(struct pcheck *c, const cJSON *a, const char *path, element_fn fn,
    void *arg)
{
	char sub[192];
	const cJSON *e;
	size_t i = 0;

	cJSON_ArrayForEach(e, a)
	{
		/* Paths are short (syscalls[i].args[j]); never cut one. */
		if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i++) >=
		    (int)sizeof(sub))
			return fail(c, path, "is nested too deep to name");
		if (fn(c, e, sub, arg) == -1)
			return -1;
	}
	return 0;
}

/* One argument condition of a rule. */
static int
arg(struct pcheck *c, const cJSON *a, const char *field, void *unused)
{
	char sub[320], v[48];
	const cJSON *it;

	(void)unused;
	if (keys(c, a, field, arg_keys, NELEM(arg_keys)) == -1)
		return -1;
	if (whole(c, member(a, "index", field, sub, sizeof(sub)), sub, 5) == -1)
		return -1;
	if (whole(c, member(a, "value", field, sub, sizeof(sub)), sub,
		18446744073709551615.0) == -1)
		return -1;
	if ((it = member(a, "valueTwo", field, sub, sizeof(sub))) != NULL &&
	    whole(c, it, sub, 18446744073709551615.0) == -1)
		return -1;
	it = member(a, "op", field, sub, sizeof(sub));
	if (cJSON_IsString(it) && in_list(it->valuestring, ops, NELEM(ops)))
		return 0;
	shown(cJSON_IsString(it) ? it->valuestring : "", v, sizeof(v));
	return fail(c, sub,
	    "\"%s\" is not a comparison; expected SCMP_CMP_NE, SCMP_CMP_LT, "
	    "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or "
	    "SCMP_CMP_MASKED_EQ",
	    v);
}

/* One rule; *restricts (an int) is set when its action is not allow or
   log. */
static int
rule(struct pcheck *c, const cJSON *r, const char *field, void *restricts)
{
	const cJSON *names, *name, *it;
	char sub[256];

	if (keys(c, r, field, rule_keys, NELEM(rule_keys)) == -1)
		return -1;
	name = cJSON_GetObjectItemCaseSensitive(r, "name");
	names = member(r, "names", field, sub, sizeof(sub));
	if (names != NULL &&
	    strings(c, names, sub, MAX_SECCOMP_RULE_NAMES, is_syscall_name,
		"system call names such as \"read\"") == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s.name", field);
	if (name != NULL &&
	    (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
		!is_syscall_name(name->valuestring)))
		return fail(c, sub,
		    "is not a system call name; expected one such as "
		    "\"read\"");
	if ((names == NULL || cJSON_GetArraySize(names) == 0) && name == NULL)
		return fail(c, field,
		    "names no system call; expected \"names\": [\"...\"] "
		    "or \"name\"");
	it = member(r, "action", field, sub, sizeof(sub));
	if (action(c, it, sub) == -1)
		return -1;
	if (restrictive(it))
		*(int *)restricts = 1;
	if ((it = member(r, "errnoRet", field, sub, sizeof(sub))) != NULL &&
	    whole(c, it, sub, 4095) == -1)
		return -1;
	if ((it = member(r, "comment", field, sub, sizeof(sub))) != NULL &&
	    !cJSON_IsString(it))
		return fail(c, sub, "is not a string; expected a comment");
	it = cJSON_GetObjectItemCaseSensitive(r, "args");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) > 6)
			return fail(c, field,
			    "args is not an array of at most 6 "
			    "argument conditions");
		snprintf(sub, sizeof(sub), "%s.args", field);
		if (each_element(c, it, sub, arg, NULL) == -1)
			return -1;
	}
	if ((it = member(r, "includes", field, sub, sizeof(sub))) != NULL &&
	    filter(c, it, sub) == -1)
		return -1;
	if ((it = member(r, "excludes", field, sub, sizeof(sub))) != NULL &&
	    filter(c, it, sub) == -1)
		return -1;
	return 0;
}

/* One {architecture, subArchitectures} entry of archMap. */
static int
archmap_entry(struct pcheck *c, const cJSON *e, const char *field, void *unused)
{
	const cJSON *a;
	char sub[360];

	(void)unused;
	if (keys(c, e, field, archmap_keys, NELEM(archmap_keys)) == -1)
		return -1;
	a = cJSON_GetObjectItemCaseSensitive(e, "architecture");
	if (!cJSON_IsString(a) || !is_arch(a->valuestring))
		return fail(c, field,
		    "architecture is missing or not valid; "
		    "expected a name such as SCMP_ARCH_X86_64");
	a = cJSON_GetObjectItemCaseSensitive(e, "subArchitectures");
	snprintf(sub, sizeof(sub), "%s.subArchitectures", field);
	if (a != NULL && !cJSON_IsNull(a) &&
	    strings(c, a, sub, MAX_LIST_ITEMS, is_arch,
		"architecture names such as SCMP_ARCH_X86") == -1)
		return -1;
	return 0;
}

static int
archmap(struct pcheck *c, const cJSON *m)
{
	if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) > MAX_LIST_ITEMS)
		return fail(c, "archMap",
		    "is not an array of at most %d "
		    "{architecture, subArchitectures} objects",
		    MAX_LIST_ITEMS);
	return each_element(c, m, "archMap", archmap_entry, NULL);
}

static int
optional_string(struct pcheck *c, const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (it != NULL && !cJSON_IsString(it))
		return fail(c, key, "is not a string; expected a string");
	return 0;
}

static int
check_root(struct pcheck *c, const cJSON *root, int allow_permissive)
{
	const cJSON *it;
	int restricts = 0;

	if (!cJSON_IsObject(root))
		return fail(c, "",
		    "is not a JSON object; expected a Docker "
		    "seccomp profile");
	it = cJSON_GetObjectItemCaseSensitive(root, "defaultAction");
	if (keys(c, root, "", top_keys, NELEM(top_keys)) == -1 ||
	    action(c, it, "defaultAction") == -1)
		return -1;
	if (restrictive(it))
		restricts = 1;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet")) !=
		NULL &&
	    whole(c, it, "defaultErrnoRet", 4095) == -1)
		return -1;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "architectures")) !=
		NULL &&
	    !cJSON_IsNull(it) &&
	    strings(c, it, "architectures", MAX_LIST_ITEMS, is_arch,
		"architecture names such as SCMP_ARCH_X86_64") == -1)
		return -1;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "archMap")) != NULL &&
	    !cJSON_IsNull(it) && archmap(c, it) == -1)
		return -1;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "flags")) != NULL &&
	    !cJSON_IsNull(it) &&
	    strings(c, it, "flags", MAX_LIST_ITEMS, is_flag,
		"flags such as SECCOMP_FILTER_FLAG_LOG") == -1)
		return -1;
	if (optional_string(c, root, "listenerPath") == -1 ||
	    optional_string(c, root, "listenerMetadata") == -1)
		return -1;
	it = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsArray(it) ||
		    cJSON_GetArraySize(it) > MAX_SECCOMP_RULES)
			return fail(c, "syscalls",
			    "is not an array of at most %d rules; expected "
			    "[{\"names\": [...], \"action\": ...}, ...]",
			    MAX_SECCOMP_RULES);
		if (each_element(c, it, "syscalls", rule, &restricts) == -1)
			return -1;
	}
	if (!restricts && !allow_permissive)
		return fail(c, "",
		    "allows every system call (its default action and every "
		    "rule allow or log); expected a profile that restricts "
		    "something, or seccomp_allow_permissive=true, or "
		    "seccomp=unconfined to say so");
	return 0;
}

int
profile_check(const char *json, int allow_permissive, char *err, size_t errlen)
{
	struct pcheck c = { err, errlen, 0 };
	size_t n = strlen(json);
	cJSON *root;
	int rc;

	err[0] = '\0';
	if (n > MAX_SECCOMP_PROFILE_SIZE)
		return fail(&c, "", "is %zu bytes; expected at most %d", n,
		    MAX_SECCOMP_PROFILE_SIZE);
	if (!valid_utf8(json, n) ||
	    !valid_json_nesting(json, n, MAX_JSON_DEPTH) ||
	    (root = cJSON_ParseWithLength(json, n)) == NULL)
		return fail(&c, "",
		    "is not JSON (UTF-8, nested at most %d deep); expected "
		    "a Docker seccomp profile",
		    MAX_JSON_DEPTH);
	rc = check_root(&c, root, allow_permissive);
	cJSON_Delete(root);
	return rc;
}
