/*
 * Reading definition files and seccomp profiles directly, with the
 * caller's own rights (tests, fuzzing, --check as an ordinary user).
 * The privilege-separated fetcher gets the same listing from the parent.
 */
#include "fetch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "profile.h"
#include "xalloc.h"

void
confdir_listing_free(struct confdir_listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->files[i].path);
		free(l->files[i].data);
	}
	free(l->files);
	l->files = NULL;
	l->n = 0;
	l->err = 0;
}

/* A name we read: *.json, not hidden (editors' and tools' leftovers). */
static int
wanted_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Reads a regular file into out (bounded by out->max); -1 with errno. */
static int
read_regular(int dirfd, const char *name, struct buf *out, int *not_regular)
{
	struct stat st;
	int fd, saved;

	*not_regular = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*not_regular = 1;
		errno = EINVAL;
		goto fail;
	}
	if (buf_read_fd(out, fd) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the *.json entries; -1 with errno. */
static int
list_names(DIR *d, char ***names, size_t *n)
{
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		if (*n >= MAX_CONFDIR_FILES) {
			errno = E2BIG;
			break;
		}
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[*n] = xstrdup(de->d_name);
		(*n)++;
	}
	*names = v;
	if (errno != 0)
		return -1;
	qsort(v, *n, sizeof(*v), name_cmp);
	return 0;
}

static int
direct_read_confdir(void *ctx, const char *confdir, struct confdir_listing *out)
{
	char **names = NULL;
	size_t n = 0;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if ((d = opendir(confdir)) == NULL) {
		out->err = errno;
		return -1;
	}
	if (list_names(d, &names, &n) == -1)
		out->err = errno;
	if (out->err == 0)
		out->files = xcalloc(n + 1, sizeof(*out->files));
	for (size_t i = 0; i < n; i++) {
		struct buf b;
		int not_regular;
		if (out->err != 0) {
			free(names[i]);
			continue;
		}
		buf_init(&b, MAX_DOCUMENT_SIZE);
		int rc = read_regular(dirfd(d), names[i], &b, &not_regular);
		int err = rc == -1 ? errno : 0;
		if (rc == -1 && not_regular) {
			buf_free(&b); /* a directory, FIFO...: ignored */
			free(names[i]);
			continue;
		}
		struct confdir_file *f = &out->files[out->n++];
		xasprintf(&f->path, "%s%s%s", confdir,
		    confdir[strlen(confdir) - 1] == '/' ? "" : "/", names[i]);
		free(names[i]);
		if ((f->err = err) != 0) {
			buf_free(&b);
			continue;
		}
		f->data = b.p ? b.p : (unsigned char *)xstrdup("");
		f->len = b.len;
	}
	free(names);
	closedir(d);
	return out->err ? -1 : 0;
}

/* ctx: the seccomp_dir, or NULL for the default. */
static int
direct_read_file(void *ctx, const char *ref, struct buf *out)
{
	return profile_read(ctx ? ctx : DEFAULT_SECCOMP_DIR, ref, out);
}

const struct file_ops direct_file_ops = {
	.read_confdir = direct_read_confdir,
	.read_file = direct_read_file,
	.ctx = NULL,
};
