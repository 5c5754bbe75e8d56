/*
 * Last good contents of each source, in memory and on disk.  A file is
 * a small JSON envelope written by us:
 *   {"dockerupLastGood": 1, "source": NAME, "form": "file"|"user-data",
 *    "since": UNIXTIME, "document": TEXT, "profiles": {PATH: TEXT}}
 * Nothing in it is trusted when read back: the document goes through the
 * same parser and validation as a fresh one.
 */
#include "lastgood.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bounds.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "validate.h"

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

void
lastgood_filename(const char *name, char out[64])
{
	unsigned char md[SHA256_LEN];
	size_t o;

	sha256(name, strlen(name), md);
	o = (size_t)snprintf(out, 64, "lg-");
	for (unsigned int i = 0; i < 20; i++)
		o += (size_t)snprintf(out + o, 64 - o, "%02x", md[i]);
	snprintf(out + o, 64 - o, ".json");
}

void
lastgood_init(struct lastgood_set *set, const char *dir)
{
	memset(set, 0, sizeof(*set));
	set->dirfd = -1;
	if (dir == NULL)
		return;
	set->dir = xstrdup(dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		log_warn("%s: last good copies unavailable", dir);
	set->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (set->dirfd == -1)
		log_warn("%s: last good copies unavailable", dir);
}

static void
entry_free(struct lastgood *lg)
{
	free(lg->name);
	if (lg->text != NULL)
		explicit_bzero(lg->text, lg->len);
	free(lg->text);
	kvlist_free(&lg->profiles);
	memset(lg, 0, sizeof(*lg));
}

void
lastgood_free(struct lastgood_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		entry_free(&set->v[i]);
	free(set->v);
	free(set->dir);
	if (set->dirfd != -1)
		close(set->dirfd);
	memset(set, 0, sizeof(*set));
	set->dirfd = -1;
}

const struct lastgood *
lastgood_find(const struct lastgood_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

static struct lastgood *
entry_add(struct lastgood_set *set, const char *name)
{
	struct lastgood *nv = realloc(set->v, (set->n + 1) * sizeof(*nv));

	if (nv == NULL)
		fatal("%s", __func__);
	set->v = nv;
	memset(&nv[set->n], 0, sizeof(*nv));
	nv[set->n].name = xstrdup(name);
	return &nv[set->n++];
}

static void
entry_set(struct lastgood *lg, enum doc_form form, const char *text, size_t len,
    const struct kvlist *profiles, int64_t since)
{
	if (lg->text != NULL)
		explicit_bzero(lg->text, lg->len);
	free(lg->text);
	kvlist_free(&lg->profiles);
	if ((lg->text = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(lg->text, text, len);
	lg->text[len] = '\0';
	lg->len = len;
	lg->form = form;
	lg->since = since;
	for (size_t i = 0; profiles != NULL && i < profiles->n; i++)
		if (kvlist_push(&lg->profiles, profiles->v[i].key,
			profiles->v[i].value) == -1)
			fatal("%s", __func__);
	kvlist_sort(&lg->profiles);
}

static int
same_profiles(const struct kvlist *a, const struct kvlist *b)
{
	if ((a ? a->n : 0) != (b ? b->n : 0))
		return 0;
	for (size_t i = 0; a != NULL && i < a->n; i++) {
		const struct kv *o = kvlist_find(b, a->v[i].key);
		if (o == NULL || strcmp(o->value, a->v[i].value) != 0)
			return 0;
	}
	return 1;
}

static char *
envelope(const struct lastgood *lg)
{
	cJSON *o = cJSON_CreateObject(), *p;
	char *s;

	if (o == NULL)
		fatalx("%s: out of memory", __func__);
	cJSON_AddNumberToObject(o, "dockerupLastGood", 1);
	cJSON_AddStringToObject(o, "source", lg->name);
	cJSON_AddStringToObject(
	    o, "form", lg->form == DOC_USERDATA ? "user-data" : "file");
	cJSON_AddNumberToObject(o, "since", (double)lg->since);
	cJSON_AddStringToObject(o, "document", lg->text);
	p = cJSON_AddObjectToObject(o, "profiles");
	for (size_t i = 0; p != NULL && i < lg->profiles.n; i++)
		cJSON_AddStringToObject(
		    p, lg->profiles.v[i].key, lg->profiles.v[i].value);
	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("%s: out of memory", __func__);
	cJSON_Delete(o);
	return s;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* temp file + fsync + rename + fsync of the directory. */
static void
write_file(const struct lastgood_set *set, const struct lastgood *lg)
{
	static unsigned int seq;
	char fname[64], tmp[64];
	char *data = envelope(lg);
	size_t len = strlen(data);
	int fd;

	lastgood_filename(lg->name, fname);
	snprintf(tmp, sizeof(tmp), ".tmp-%ld-%u", (long)getpid(), seq++);
	if (len > LASTGOOD_MAX_FILE) {
		log_warnx("%s: last good copy of %s would be %zu bytes; not "
			  "kept on disk",
		    set->dir, lg->name, len);
		goto out;
	}
	fd = openat(set->dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_warn("%s: cannot keep the last good copy of %s", set->dir,
		    lg->name);
		goto out;
	}
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		log_warn("%s/%s: cannot write the last good copy of %s",
		    set->dir, tmp, lg->name);
		close(fd);
		unlinkat(set->dirfd, tmp, 0);
		goto out;
	}
	close(fd);
	if (renameat(set->dirfd, tmp, set->dirfd, fname) == -1) {
		log_warn("%s: cannot rename %s to %s", set->dir, tmp, fname);
		unlinkat(set->dirfd, tmp, 0);
		goto out;
	}
	(void)fsync(set->dirfd);
out:
	explicit_bzero(data, len);
	cJSON_free(data);
}

static void
remove_file(const struct lastgood_set *set, const char *name)
{
	char fname[64];

	if (set->dirfd == -1)
		return;
	lastgood_filename(name, fname);
	if (unlinkat(set->dirfd, fname, 0) == -1 && errno != ENOENT)
		log_warn("cannot remove %s/%s", set->dir, fname);
}

const struct lastgood *
lastgood_store(struct lastgood_set *set, const char *name, enum doc_form form,
    const char *text, size_t len, const struct kvlist *profiles)
{
	struct lastgood *lg = (struct lastgood *)lastgood_find(set, name);

	if (lg != NULL && lg->form == form && lg->len == len &&
	    memcmp(lg->text, text, len) == 0 &&
	    same_profiles(&lg->profiles, profiles))
		return lg; /* unchanged: no write */
	if (lg == NULL)
		lg = entry_add(set, name);
	entry_set(lg, form, text, len, profiles, (int64_t)time(NULL));
	if (set->dirfd != -1)
		write_file(set, lg);
	return lg;
}

void
lastgood_forget(struct lastgood_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].name, name) != 0)
			continue;
		entry_free(&set->v[i]);
		memmove(&set->v[i], &set->v[i + 1],
		    (set->n - i - 1) * sizeof(*set->v));
		set->n--;
		break;
	}
	remove_file(set, name);
}

size_t
lastgood_replay(
    const struct lastgood *lg, struct defs_result *out, struct errlist *errs)
{
	defs_result_init(out);
	for (size_t i = 0; i < lg->profiles.n; i++)
		if (kvlist_push(&out->profiles, lg->profiles.v[i].key,
			lg->profiles.v[i].value) == -1)
			fatal("%s", __func__);
	/* No file access: profiles come from the copy, or fail. */
	return defs_parse(
	    lg->name, lg->text, lg->len, lg->form, NULL, out, errs);
}

static int
read_small(int dirfd, const char *name, struct buf *b)
{
	unsigned char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd =
	    openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)n) == -1)
			goto out;
	rc = n == 0 ? 0 : -1;
out:
	close(fd);
	return rc;
}

static const char *
str_item(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Decodes and checks one envelope; NULL with why set when refused. */
static int
parse_envelope(const char *fname, const char *data, size_t len,
    struct lastgood *lg, const char **why)
{
	const cJSON *p, *since;
	const char *src, *form, *doc;
	char expect[64];
	cJSON *o;
	int rc = -1;

	*why = "not a last good copy";
	if (memchr(data, '\0', len) != NULL || !valid_utf8(data, len) ||
	    !valid_json_nesting(data, len, 2) ||
	    (o = cJSON_ParseWithLength(data, len)) == NULL)
		return -1;
	src = str_item(o, "source");
	form = str_item(o, "form");
	doc = str_item(o, "document");
	since = cJSON_GetObjectItemCaseSensitive(o, "since");
	p = cJSON_GetObjectItemCaseSensitive(o, "profiles");
	if (src == NULL || form == NULL || doc == NULL ||
	    !cJSON_IsNumber(since) || !cJSON_IsObject(p))
		goto out;
	lastgood_filename(src, expect);
	if (strcmp(expect, fname) != 0) {
		*why = "its name does not match its source";
		goto out;
	}
	lg->name = xstrdup(src);
	lg->form = strcmp(form, "user-data") == 0 ? DOC_USERDATA : DOC_FILE;
	lg->text = xstrdup(doc);
	lg->len = strlen(doc);
	lg->since = (int64_t)since->valuedouble;
	for (const cJSON *it = p->child; it != NULL; it = it->next) {
		if (!cJSON_IsString(it)) {
			*why = "a profile is not a string";
			goto out;
		}
		if (kvlist_push(&lg->profiles, it->string, it->valuestring) ==
		    -1)
			fatal("%s", __func__);
	}
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* Reads, checks and re-validates one file; 0 when kept. */
static int
load_one(struct lastgood_set *set, int dfd, const char *fname, const char **why)
{
	struct lastgood lg;
	struct defs_result r;
	struct errlist errs;
	struct buf b;
	size_t problems;

	memset(&lg, 0, sizeof(lg));
	buf_init(&b, LASTGOOD_MAX_FILE);
	*why = "cannot be read, or is too large";
	if (read_small(dfd, fname, &b) == -1 ||
	    parse_envelope(fname, b.p ? (char *)b.p : "", b.len, &lg, why) ==
		-1) {
		buf_free(&b);
		entry_free(&lg);
		return -1;
	}
	buf_free(&b);
	errlist_init(&errs);
	problems = lastgood_replay(&lg, &r, &errs);
	defs_result_free(&r);
	errlist_free(&errs);
	if (problems > 0 || lastgood_find(set, lg.name) != NULL) {
		*why = "its contents do not validate";
		entry_free(&lg);
		return -1;
	}
	struct lastgood *e = entry_add(set, lg.name);
	free(e->name);
	*e = lg;
	return 0;
}

void
lastgood_load_disk(struct lastgood_set *set)
{
	struct dirent *de;
	const char *why;
	DIR *d;

	int fd;

	if (set->loaded || set->dirfd == -1)
		return;
	set->loaded = 1;
	if ((fd = dup(set->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("%s: last good copies unavailable", set->dir);
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (strncmp(de->d_name, "lg-", 3) != 0)
			continue;
		if (load_one(set, dirfd(d), de->d_name, &why) == 0)
			continue;
		log_warnx("%s/%s: last good copy removed: %s", set->dir,
		    de->d_name, why);
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}
