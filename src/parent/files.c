/*
 * Reading files for the fetcher.  Definition files, the settings file and
 * seccomp profiles may be readable by root only (env blocks hold secrets),
 * while the fetcher holds no privilege: as in OpenBSD's daemons, the
 * parent reads the bytes and the unprivileged side parses them.  The
 * parent serves only what the operator configured: the *.json files
 * directly in its own confdir (never a path the fetcher chose), and for
 * seccomp profiles, regular files of bounded size inside seccomp_dir,
 * reached without following a link (profile.c), whose content starts as
 * a JSON object, so that a compromised fetcher cannot use the parent to
 * read arbitrary secrets such as keys or /etc/shadow, nor learn whether
 * they exist.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bounds.h"
#include "digest.h"
#include "log.h"
#include "parent.h"
#include "profile.h"
#include "wire.h"
#include "xalloc.h"

static void
send_file(struct imsgbuf *ib, const char *name, int err,
    const unsigned char *data, size_t len)
{
	struct wire_file f = { err, name, strlen(name), data, len };
	struct buf b;

	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_file(&f, &b) == -1) {
		buf_reset(&b);
		f.err = E2BIG;
		f.len = 0;
		if (wire_encode_file(&f, &b) == -1)
			log_warnx("%s: name of %s too long", __func__, name);
	}
	if (imsg_compose(ib, f.err ? IMSG_FILE_ERR : IMSG_FILE, b.p, b.len) ==
	    -1)
		log_warn("%s: sending %s", __func__, name);
	buf_free(&b);
}

/* Reads a regular file of at most max bytes; -1 with errno. */
static int
read_regular(int dirfd, const char *name, size_t max, struct buf *out)
{
	struct stat st;
	int fd;

	/* Symlinks are followed: the operator owns confdir. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	buf_init(out, max);
	int rc = buf_read_fd(out, fd), saved = errno;
	close(fd);
	if (rc == -1) {
		buf_free(out);
		errno = saved;
		return -1;
	}
	return 0;
}

/* The names the confdir listing serves (src/parent/watch.c: the same). */
int
is_definition_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/*
 * What the last listing served of each file: a last good copy of a
 * confdir file that the fetcher hands back must be those very bytes
 * (src/parent/lastgood.c), so that a compromised fetcher cannot make root
 * keep, and replay after its restart, a confdir definition it forged.
 */
struct served {
	char *name;
	unsigned char md[SHA256_LEN];
};
static struct served served[MAX_CONFDIR_FILES];
static size_t nserved;

static void
served_clear(void)
{
	for (size_t i = 0; i < nserved; i++)
		free(served[i].name);
	nserved = 0;
}

static void
served_add(char *name, const struct buf *b)
{
	if (nserved == MAX_CONFDIR_FILES) {
		free(name);
		return;
	}
	served[nserved].name = name;
	sha256(b->p, b->len, served[nserved++].md);
}

int
parent_served_file(const char *name, const void *p, size_t len)
{
	unsigned char md[SHA256_LEN];

	sha256(p, len, md);
	for (size_t i = 0; i < nserved; i++)
		if (strcmp(served[i].name, name) == 0)
			return memcmp(served[i].md, md, SHA256_LEN) == 0;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
parent_send_confdir(struct imsgbuf *ib, const char *confdir)
{
	char *names[MAX_CONFDIR_FILES];
	size_t n = 0;
	uint32_t dir_err = 0;
	struct dirent *de;
	DIR *dir;

	served_clear();
	if ((dir = opendir(confdir)) == NULL) {
		dir_err = (uint32_t)errno;
		goto end;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!is_definition_name(de->d_name))
			continue;
		if (n == MAX_CONFDIR_FILES) {
			dir_err = E2BIG;
			break;
		}
		names[n] = xstrdup(de->d_name);
		n++;
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct buf b;
		if (read_regular(dirfd(dir), names[i], MAX_DOCUMENT_SIZE, &b) ==
		    -1) {
			/* A directory or fifo named *.json is not a definition. */
			if (errno != EISDIR && errno != EINVAL)
				send_file(ib, names[i], errno, NULL, 0);
		} else {
			send_file(ib, names[i], 0, b.p, b.len);
			served_add(names[i], &b);
			names[i] = NULL;
			buf_free(&b);
		}
		free(names[i]);
	}
	closedir(dir);
end:
	if (imsg_compose(ib, IMSG_DIR_END, &dir_err, sizeof(dir_err)) == -1)
		log_warn("%s", __func__);
}

static int
looks_like_json_object(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = b->p[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		return c == '{';
	}
	return 0;
}

void
parent_send_profile(struct imsgbuf *ib, const char *seccomp_dir,
    const unsigned char *data, size_t len)
{
	char ref[MAX_PATH_LEN + 1];
	struct buf b;

	if (len == 0 || len > MAX_PATH_LEN || memchr(data, '\0', len)) {
		log_warnx("fetcher asked for a profile with a malformed name");
		send_file(ib, "", EINVAL, NULL, 0);
		return;
	}
	memcpy(ref, data, len);
	ref[len] = '\0';
	/* Nothing outside seccomp_dir is opened, or even looked at. */
	buf_init(&b, MAX_SECCOMP_PROFILE_SIZE);
	if (profile_read(seccomp_dir, ref, &b) == -1) {
		int err = errno;
		buf_free(&b);
		send_file(ib, ref, err, NULL, 0);
		return;
	}
	if (!looks_like_json_object(&b)) {
		log_warnx(
		    "refused to pass %s to the fetcher: not a JSON object",
		    ref);
		send_file(ib, ref, EINVAL, NULL, 0);
	} else
		send_file(ib, ref, 0, b.p, b.len);
	buf_free(&b);
}
