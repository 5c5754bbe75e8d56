/*
 * The last good contents of the fetcher's sources, kept by root.  The
 * fetcher's account must own nothing in the cache: a copy it could plant
 * would be replayed when a source next fails and its containers created
 * by root, and the copies hold secrets (env values of root-only
 * definitions and of user-data).  So the fetcher hands each copy to the
 * parent (IMSG_LASTGOOD_PUT), which writes it as one file in
 * <cache>/lastgood, a directory owned by root with mode 0700 (files 0600,
 * written atomically), and sends them back at each fetcher start, where
 * they are decoded and validated again like any input.  The parent checks
 * the encoding (src/common/wire.c) and that the source is one it knows
 * (user-data, or a *.json file directly in its own confdir, whose copy
 * must hold the bytes the parent last read from it), and names each file
 * after a hash of the source, so no path comes from the fetcher.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "parent.h"
#include "settings.h"
#include "wire.h"

#define LASTGOOD_DIR     "lastgood"
#define OLD_FETCHER_DIR  "fetcher" /* before 0.2: owned by the fetcher */
#define LASTGOOD_PREFIX  "lg-"
#define LASTGOOD_TMP     ".tmp-"
#define LASTGOOD_NAMELEN (sizeof(LASTGOOD_PREFIX) - 1 + 2 * SHA256_LEN + 1)

static int lg_dirfd = -1; /* -1: copies are neither kept nor read */
static char lg_path[MAX_PATH_LEN + 32];
static char lg_confdir[MAX_PATH_LEN + 1];
static char *lg_etcd_dir; /* the settings' etcd directory, or NULL */

/* "lg-" and the SHA-256 of the source's name. */
static void
file_name(const char *source, char out[LASTGOOD_NAMELEN])
{
	char hex[2 * SHA256_LEN + 1];

	sha256_hex(source, strlen(source), hex);
	snprintf(out, LASTGOOD_NAMELEN, LASTGOOD_PREFIX "%s", hex);
}

/*
 * The directory of an earlier version, which the fetcher's account owned:
 * never read, removed once (its entries unlinked unopened).
 */
static void
remove_old_dir(int cachefd, const char *cache)
{
	struct dirent *de;
	DIR *d;
	int fd, failed = 0;

	fd = openat(cachefd, OLD_FETCHER_DIR,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return;
	/* A symlink or a file in its place: removed, not followed. */
	if (fd == -1 && (errno == ENOTDIR || errno == ELOOP) &&
	    unlinkat(cachefd, OLD_FETCHER_DIR, 0) == 0) {
		log_info("%s/%s removed unread: not a directory", cache,
		    OLD_FETCHER_DIR);
		return;
	}
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("%s/%s: the last good directory of an earlier "
			 "version is not used any more, but cannot be "
			 "removed; remove it by hand",
		    cache, OLD_FETCHER_DIR);
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == -1)
			failed = 1;
	closedir(d);
	if (failed || unlinkat(cachefd, OLD_FETCHER_DIR, AT_REMOVEDIR) == -1)
		log_warnx("%s/%s: the last good directory of an earlier "
			  "version is not used any more, but cannot be "
			  "removed; remove it by hand",
		    cache, OLD_FETCHER_DIR);
	else
		log_info("%s/%s removed unread: the fetcher's account could "
			 "write it; last good copies are kept by root in "
			 "%s/%s",
		    cache, OLD_FETCHER_DIR, cache, LASTGOOD_DIR);
}

void
parent_lastgood_etcd(const struct settings *s)
{
	free(lg_etcd_dir);
	lg_etcd_dir = settings_etcd_on(s) ? settings_etcd_dir(s) : NULL;
}

void
parent_lastgood_open(const char *cache, const char *confdir)
{
	struct stat st;
	int cachefd;

	if (lg_dirfd != -1)
		close(lg_dirfd);
	lg_dirfd = -1;
	snprintf(lg_path, sizeof(lg_path), "%s/%s", cache, LASTGOOD_DIR);
	snprintf(lg_confdir, sizeof(lg_confdir), "%s", confdir);
	if ((cachefd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("cache directory %s", cache);
	remove_old_dir(cachefd, cache);
	if (mkdirat(cachefd, LASTGOOD_DIR, 0700) == -1 && errno != EEXIST)
		log_warn(
		    "%s: last good copies are kept in memory only", lg_path);
	lg_dirfd = openat(cachefd, LASTGOOD_DIR,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(cachefd);
	if (lg_dirfd == -1) {
		log_warn(
		    "%s: last good copies are kept in memory only", lg_path);
		return;
	}
	if (fstat(lg_dirfd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		log_warnx("%s: owned by uid %lu with mode %04o; expected a "
			  "directory of uid %lu with mode 0700: not used, last "
			  "good copies are kept in memory only (remove it, and "
			  "dockerup makes it again)",
		    lg_path, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 07777), (unsigned long)geteuid());
		close(lg_dirfd);
		lg_dirfd = -1;
	}
}

static int
write_all(int fd, const unsigned char *p, size_t len)
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

static size_t
count_copies(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	if ((fd = dup(lg_dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return MAX_LASTGOOD_COPIES;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, LASTGOOD_PREFIX,
			 sizeof(LASTGOOD_PREFIX) - 1) == 0;
	closedir(d);
	return n;
}

/* temp file + fsync + rename + fsync of the directory. */
static void
write_copy(const char *fname, const unsigned char *p, size_t len)
{
	static unsigned seq;
	char tmp[64];
	int fd;

	snprintf(
	    tmp, sizeof(tmp), LASTGOOD_TMP "%ld-%u", (long)getpid(), seq++);
	fd = openat(lg_dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_warn("%s/%s: cannot keep a last good copy", lg_path, tmp);
		return;
	}
	if (write_all(fd, p, len) == -1 || fsync(fd) == -1) {
		log_warn("%s/%s: cannot write a last good copy", lg_path, tmp);
		close(fd);
		unlinkat(lg_dirfd, tmp, 0);
		return;
	}
	close(fd);
	if (renameat(lg_dirfd, tmp, lg_dirfd, fname) == -1) {
		log_warn("%s: cannot rename %s to %s", lg_path, tmp, fname);
		unlinkat(lg_dirfd, tmp, 0);
		return;
	}
	(void)fsync(lg_dirfd);
}

/* user-data, a key of ours in etcd, or a definition file directly in our
 * confdir as we last served it: nothing else is a source. */
static int
known_source(const struct wire_lastgood *lg)
{
	size_t n = strlen(lg_confdir), e = strlen(ETCD_SOURCE_PREFIX);
	const char *file = lg->name + n + 1;

	if (strcmp(lg->name, WIRE_USERDATA_SOURCE) == 0)
		return lg->form == WIRE_LG_USERDATA;
	if (lg->form == WIRE_LG_ETCD)
		return lg_etcd_dir != NULL &&
		    strncmp(lg->name, ETCD_SOURCE_PREFIX, e) == 0 &&
		    settings_etcd_key_ok(
			lg_etcd_dir, lg->name + e, strlen(lg->name + e));
	return lg->form == WIRE_LG_FILE && n > 0 &&
	    strncmp(lg->name, lg_confdir, n) == 0 && lg->name[n] == '/' &&
	    strchr(file, '/') == NULL && is_definition_name(file) &&
	    parent_served_file(file, lg->text, lg->len);
}

int
parent_lastgood_put(const unsigned char *p, size_t len)
{
	char err[256], fname[LASTGOOD_NAMELEN];
	struct wire_lastgood lg;
	struct stat st;

	if (wire_decode_lastgood(p, len, &lg, err, sizeof(err)) == -1) {
		log_warnx("LASTGOOD_PUT from the fetcher: %s", err);
		return -1;
	}
	if (!known_source(&lg)) {
		log_warnx("LASTGOOD_PUT from the fetcher: %s is not a source, "
			  "or not as the parent read it",
		    lg.name);
		wire_lastgood_free(&lg);
		return -1;
	}
	file_name(lg.name, fname);
	if (lg_dirfd == -1)
		goto out;
	/* A new source beyond the bound: refused, the fetcher keeps it in
	 * memory (a compromised one cannot fill the disk). */
	if (fstatat(lg_dirfd, fname, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
	    count_copies() >= MAX_LASTGOOD_COPIES) {
		log_warnx("%s: already %d last good copies; %s not kept on "
			  "disk",
		    lg_path, MAX_LASTGOOD_COPIES, lg.name);
		goto out;
	}
	write_copy(fname, p, len);
out:
	wire_lastgood_free(&lg);
	return 0;
}

int
parent_lastgood_del(const unsigned char *p, size_t len)
{
	char name[MAX_PATH_LEN + 1], fname[LASTGOOD_NAMELEN];

	if (len == 0 || len > MAX_PATH_LEN || memchr(p, '\0', len) != NULL) {
		log_warnx("LASTGOOD_DEL from the fetcher: a malformed name");
		return -1;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	file_name(name, fname);
	if (lg_dirfd != -1 && unlinkat(lg_dirfd, fname, 0) == -1 &&
	    errno != ENOENT)
		log_warn("%s/%s: cannot remove the last good copy of %s",
		    lg_path, fname, name);
	return 0;
}

/* One file: regular, bounded, a valid encoding named after its source. */
static int
read_copy(int dfd, const char *fname, struct buf *b, const char **why)
{
	char err[256], expect[LASTGOOD_NAMELEN];
	struct wire_lastgood lg;
	struct stat st;
	ssize_t n;
	int fd;

	*why = "cannot be read, is not a regular file or is too large";
	fd = openat(dfd, fname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	n = buf_read_fd(b, fd);
	close(fd);
	if (n != 0)
		return -1;
	*why = "not a last good copy";
	if (wire_decode_lastgood(b->p, b->len, &lg, err, sizeof(err)) == -1)
		return -1;
	file_name(lg.name, expect);
	wire_lastgood_free(&lg);
	*why = "its name does not match its source";
	return strcmp(expect, fname) == 0 ? 0 : -1;
}

void
parent_lastgood_send(struct imsgbuf *ib)
{
	struct dirent *de;
	const char *why;
	size_t sent = 0;
	DIR *d = NULL;
	int fd = -1;

	if (lg_dirfd != -1 &&
	    ((fd = dup(lg_dirfd)) == -1 || (d = fdopendir(fd)) == NULL)) {
		log_warn("%s: last good copies unavailable", lg_path);
		if (fd != -1)
			close(fd);
	}
	if (d != NULL)
		rewinddir(d);
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct buf b;
		if (strncmp(de->d_name, LASTGOOD_TMP,
			sizeof(LASTGOOD_TMP) - 1) == 0) {
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (strncmp(de->d_name, LASTGOOD_PREFIX,
			sizeof(LASTGOOD_PREFIX) - 1) != 0 ||
		    sent == MAX_LASTGOOD_COPIES)
			continue;
		buf_init(&b, IMSG_MAX_DATA);
		if (read_copy(dirfd(d), de->d_name, &b, &why) == 0) {
			if (imsg_compose(ib, IMSG_LASTGOOD, b.p, b.len) == -1)
				log_warn("sending a last good copy");
			sent++;
		} else {
			log_warnx("%s/%s: last good copy removed: %s", lg_path,
			    de->d_name, why);
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		if (b.p != NULL)
			explicit_bzero(b.p, b.len);
		buf_free(&b);
	}
	if (d != NULL)
		closedir(d);
	if (imsg_compose(ib, IMSG_LASTGOOD_END, NULL, 0) == -1)
		log_warn("%s", __func__);
}
