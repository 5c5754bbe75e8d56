/*
 * `dockerup retry NAME`: lets the next run try again an update of NAME
 * that the health gate rolled back (issue #16).  It clears the held
 * combination in <cache>/failed.json (root's, mode 0600), keeping the
 * record of the rollback itself (when, why, how many) for status and
 * metrics.  No child, no lock; root only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "failed.h"
#include "status.h"

#define RETRY_MAX_ARGS 16

/* failed_update()'s edit: clears name's held combination. */
static int
clear_edit(struct failed_store *fs, void *arg)
{
	struct failed_entry *e = failed_find(fs, *(const char **)arg);

	if (e == NULL || e->hash[0] == '\0') {
		*(const char **)arg = NULL;
		return 0;
	}
	e->hash[0] = '\0';
	return 1;
}

static int
clear_held(const char *cache, const char *name)
{
	const char *held = name;
	char err[512];
	int dirfd, lockfd = -1, rc = 1;

	if ((dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (lockfd = failed_lock_open(dirfd)) == -1) {
		fprintf(stderr,
		    "dockerup retry: cache directory %s: %s; expected the "
		    "directory of the runs (--cache), writable by root\n",
		    cache, strerror(errno));
		if (dirfd != -1)
			close(dirfd);
		return 1;
	}
	if (failed_update(
		dirfd, lockfd, 0, clear_edit, &held, err, sizeof(err)) == -1)
		fprintf(stderr,
		    "dockerup retry: %s/%s; remove %s by hand to retry every "
		    "rolled-back update\n",
		    cache, err, FAILED_FILE);
	else if (held == NULL) {
		printf("dockerup retry: no rolled-back update of %s is held "
		       "back; nothing to do\n",
		    name);
		rc = 0;
	} else {
		printf("dockerup retry: the next run tries the update of %s "
		       "again\n",
		    name);
		rc = 0;
	}
	close(lockfd);
	close(dirfd);
	return rc;
}

/* After the settings: arg is NAME, or NULL when none was given. */
static int
retry(const struct settings *s, void *arg)
{
	const char *name = arg;

	if (name == NULL) {
		fprintf(stderr,
		    "usage: dockerup retry NAME [--cache DIR] "
		    "[--config FILE]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr,
		    "dockerup retry: needs root (%s/%s is root's, "
		    "mode 0600)\n",
		    s->cache, FAILED_FILE);
		return 2;
	}
	return clear_held(s->cache, name);
}

int
retry_command(int argc, char *argv[])
{
	char *args[RETRY_MAX_ARGS + 1];
	const char *name;
	int n;

	if (cli_split_name(argc, argv, args, RETRY_MAX_ARGS, &n, &name) == -1) {
		fprintf(stderr, "dockerup retry: too many arguments\n");
		return 2;
	}
	return cli_run("retry", n, args, retry, (void *)name);
}
