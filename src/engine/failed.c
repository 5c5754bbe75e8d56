/*
 * The store of rolled-back updates (failed.h): <cache>/failed.json,
 * parsed and checked like any input when read back, written atomically.
 */
#include "failed.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "log.h"
#include "observe.h"
#include "status.h"
#include "xalloc.h"

#define MAX_FAILED_IDENT (MAX_IMAGE_LEN + 16) /* "image:" and a repository */

void
failed_store_free(struct failed_store *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].ident);
		free(fs->v[i].why);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

static char *
dup_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

static const char *
entry_str(const cJSON *o, const char *key, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) > max)
		return NULL;
	return v->valuestring;
}

static int
entry_num(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) ||
	    !(v->valuedouble >= 0 && v->valuedouble <= (double)DOCKER_NUM_MAX))
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* One entry, checked field by field; -1 with err naming the field. */
static int
parse_entry(
    const cJSON *o, size_t i, struct failed_entry *e, char *err, size_t errlen)
{
	const char *id = entry_str(o, "id", MAX_FAILED_IDENT);
	const char *hash = entry_str(o, "hash", 64);
	const char *image = entry_str(o, "image", 79);
	const char *why = entry_str(o, "why", MAX_FAILED_WHY);
	int64_t t, n;
	const char *bad = NULL;

	if (!cJSON_IsObject(o))
		bad = "(not an object)";
	else if (id == NULL || id[0] == '\0')
		bad = "id";
	else if (hash == NULL || (hash[0] != '\0' && !docker_id_valid(hash)))
		bad = "hash";
	else if (image == NULL ||
	    (image[0] != '\0' && !docker_image_id_valid(image)))
		bad = "image";
	else if (why == NULL)
		bad = "why";
	else if (entry_num(o, "time", &t) == -1)
		bad = "time";
	else if (entry_num(o, "rollbacks", &n) == -1)
		bad = "rollbacks";
	if (bad != NULL) {
		snprintf(err, errlen,
		    "definitions[%zu].%s: out of form (expected id, a hash of "
		    "64 hex digits or \"\", an image ID, why, time and "
		    "rollbacks)",
		    i, bad);
		return -1;
	}
	e->ident = dup_cut(id, MAX_FAILED_IDENT);
	e->why = dup_cut(why, MAX_FAILED_WHY);
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	snprintf(e->image, sizeof(e->image), "%s", image);
	e->time = t;
	e->rollbacks = (uint64_t)n;
	return 0;
}

int
failed_parse(const char *data, size_t len, struct failed_store *fs, char *err,
    size_t errlen)
{
	cJSON *doc = cJSON_ParseWithLength(data, len);
	const cJSON *defs =
	    cJSON_GetObjectItemCaseSensitive(doc, "definitions");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
	const cJSON *o;
	size_t i = 0, n;

	memset(fs, 0, sizeof(*fs));
	if (!cJSON_IsObject(doc) || !cJSON_IsNumber(ver) ||
	    ver->valuedouble != FAILED_VERSION || !cJSON_IsArray(defs)) {
		snprintf(err, errlen,
		    "not a JSON object with version %d and a definitions "
		    "array",
		    FAILED_VERSION);
		cJSON_Delete(doc);
		return -1;
	}
	if ((n = (size_t)cJSON_GetArraySize(defs)) > MAX_FAILED_ENTRIES) {
		snprintf(err, errlen, "%zu definitions; expected at most %d", n,
		    MAX_FAILED_ENTRIES);
		cJSON_Delete(doc);
		return -1;
	}
	if (n > 0)
		fs->v = xcalloc(n, sizeof(*fs->v));
	cJSON_ArrayForEach(o, defs)
	{
		if (parse_entry(o, i, &fs->v[i], err, errlen) == -1 ||
		    failed_find(fs, fs->v[i].ident) != NULL) {
			if (fs->v[i].ident != NULL)
				snprintf(err, errlen,
				    "definitions[%zu]: %s appears twice", i,
				    fs->v[i].ident);
			fs->n = i + (fs->v[i].ident != NULL);
			failed_store_free(fs);
			cJSON_Delete(doc);
			return -1;
		}
		fs->n = ++i;
	}
	cJSON_Delete(doc);
	return 0;
}

char *
failed_format(const struct failed_store *fs)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *o;
	char *text;

	if (doc == NULL || arr == NULL ||
	    !cJSON_AddNumberToObject(doc, "version", FAILED_VERSION) ||
	    !cJSON_AddItemToObject(doc, "definitions", arr))
		fatal("%s", __func__);
	for (size_t i = 0; i < fs->n; i++) {
		const struct failed_entry *e = &fs->v[i];
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "id", e->ident) ||
		    !cJSON_AddStringToObject(o, "hash", e->hash) ||
		    !cJSON_AddStringToObject(o, "image", e->image) ||
		    !cJSON_AddNumberToObject(o, "time", (double)e->time) ||
		    !cJSON_AddStringToObject(o, "why", e->why) ||
		    !cJSON_AddNumberToObject(
			o, "rollbacks", (double)e->rollbacks))
			fatal("%s", __func__);
	}
	if ((text = cJSON_Print(doc)) == NULL)
		fatal("%s", __func__);
	cJSON_Delete(doc);
	return text;
}

struct failed_entry *
failed_find(const struct failed_store *fs, const char *ident)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].ident != NULL &&
		    strcmp(fs->v[i].ident, ident) == 0)
			return &fs->v[i];
	return NULL;
}

/* The entry of ident, made (in place of the oldest when full). */
static struct failed_entry *
failed_slot(struct failed_store *fs, const char *ident)
{
	struct failed_entry *e = failed_find(fs, ident);
	size_t old = 0;

	if (e != NULL)
		return e;
	if (fs->n >= MAX_FAILED_ENTRIES) {
		for (size_t i = 1; i < fs->n; i++)
			if (fs->v[i].time < fs->v[old].time)
				old = i;
		free(fs->v[old].ident);
		free(fs->v[old].why);
		e = &fs->v[old];
	} else {
		fs->v = xreallocarray(fs->v, fs->n + 1, sizeof(*fs->v));
		e = &fs->v[fs->n++];
	}
	memset(e, 0, sizeof(*e));
	e->ident = dup_cut(ident, MAX_FAILED_IDENT);
	return e;
}

void
failed_note(struct failed_store *fs, const char *ident, const char *hash,
    const char *image, const char *why, int64_t when)
{
	struct failed_entry *e = failed_slot(fs, ident);

	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	snprintf(e->image, sizeof(e->image), "%s", image);
	free(e->why);
	e->why = dup_cut(why, MAX_FAILED_WHY);
	e->time = when;
	e->rollbacks++;
}

int
failed_load(int dirfd, struct failed_store *fs, char *err, size_t errlen)
{
	struct buf b;
	int fd, rc;

	memset(fs, 0, sizeof(*fs));
	fd = openat(dirfd, FAILED_FILE,
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", FAILED_FILE, strerror(errno));
		return -1;
	}
	buf_init(&b, MAX_FAILED_FILE + 1);
	rc = buf_read_fd(&b, fd);
	close(fd);
	if (rc == -1 || b.len > MAX_FAILED_FILE) {
		snprintf(err, errlen, "%s: unreadable or larger than %d bytes",
		    FAILED_FILE, MAX_FAILED_FILE);
		buf_free(&b);
		return -1;
	}
	rc = failed_parse((const char *)b.p, b.len, fs, err, errlen);
	buf_free(&b);
	return rc;
}

int
failed_save(int dirfd, const struct failed_store *fs)
{
	char *text = failed_format(fs);
	int rc =
	    status_write_file(dirfd, FAILED_FILE, text, strlen(text), 0600);
	int saved = errno;

	free(text);
	errno = saved;
	return rc;
}

int
failed_lock_open(int dirfd)
{
	return openat(dirfd, FAILED_LOCK,
	    O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
}

int
failed_update(int dirfd, int lockfd, int repair,
    int (*edit)(struct failed_store *fs, void *arg), void *arg, char *err,
    size_t errlen)
{
	struct failed_store fs;
	int rc = 0;

	while (flock(lockfd, LOCK_EX) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "lock %s: %s", FAILED_LOCK,
			    strerror(errno));
			return -1;
		}
	if (failed_load(dirfd, &fs, err, errlen) == -1) {
		if (!repair)
			rc = -1;
		else
			log_warnx("%s; it is written anew", err);
	}
	if (rc == 0 && edit(&fs, arg) == 1 && failed_save(dirfd, &fs) == -1) {
		snprintf(err, errlen, "writing %s: %s", FAILED_FILE,
		    strerror(errno));
		rc = -1;
	}
	failed_store_free(&fs);
	(void)flock(lockfd, LOCK_UN);
	return rc;
}

/* ---- the engine's side ---- */

static int failed_dirfd = -1, failed_lockfd = -1;

void
failed_init(const char *cache, int quiet)
{
	if (failed_dirfd != -1)
		close(failed_dirfd);
	if (failed_lockfd != -1)
		close(failed_lockfd);
	failed_lockfd = -1;
	failed_dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (failed_dirfd == -1 && !quiet)
		log_warn("cache directory %s: rolled-back updates are not "
			 "remembered",
		    cache);
	/* A dry run writes nothing (and may not be root). */
	if (failed_dirfd != -1 && !quiet &&
	    (failed_lockfd = failed_lock_open(failed_dirfd)) == -1)
		log_warn("%s/%s: rolled-back updates are not remembered", cache,
		    FAILED_LOCK);
}

/* The store as on disk; a broken file is said once and counts as empty. */
void
failed_current(struct failed_store *fs)
{
	static int said;
	char err[512];

	memset(fs, 0, sizeof(*fs));
	if (failed_dirfd == -1)
		return;
	if (failed_load(failed_dirfd, fs, err, sizeof(err)) == -1) {
		if (!said)
			log_warnx("%s; no rolled-back update is held back "
				  "until it is rewritten",
			    err);
		said = 1;
		return;
	}
	said = 0;
}

int
failed_held(const char *ident, const char *hash, struct failed_entry *out)
{
	static struct failed_store fs;
	const struct failed_entry *e;

	failed_store_free(&fs);
	failed_current(&fs);
	e = failed_find(&fs, ident);
	if (e == NULL || e->hash[0] == '\0' || strcmp(e->hash, hash) != 0)
		return 0;
	*out = *e;
	return 1;
}

struct failed_add_arg {
	const char *ident, *hash, *image, *why;
};

static int
failed_add_edit(struct failed_store *fs, void *arg)
{
	const struct failed_add_arg *a = arg;

	failed_note(
	    fs, a->ident, a->hash, a->image, a->why, (int64_t)time(NULL));
	return 1;
}

void
failed_add(
    const char *ident, const char *hash, const char *image, const char *why)
{
	struct failed_add_arg a = { ident, hash, image, why };
	char err[512];

	if (failed_dirfd == -1 || failed_lockfd == -1)
		return;
	if (failed_update(failed_dirfd, failed_lockfd, 1, failed_add_edit, &a,
		err, sizeof(err)) == -1)
		log_warnx("%s; the rollback of %s is not recorded: it will be "
			  "tried again",
		    err, ident);
}
