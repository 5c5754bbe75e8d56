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

static int
clear_held(const char *cache, const char *name)
{
	struct failed_store fs;
	struct failed_entry *e;
	char err[512];
	int dirfd, rc = 0;

	if ((dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr,
		    "dockerup retry: cache directory %s: %s; expected the "
		    "directory of the runs (--cache)\n",
		    cache, strerror(errno));
		return 1;
	}
	if (failed_load(dirfd, &fs, err, sizeof(err)) == -1) {
		fprintf(stderr,
		    "dockerup retry: %s/%s; remove it by hand to retry every "
		    "rolled-back update\n",
		    cache, err);
		close(dirfd);
		return 1;
	}
	e = failed_find(&fs, name);
	if (e == NULL || e->hash[0] == '\0')
		printf("dockerup retry: no rolled-back update of %s is held "
		       "back; nothing to do\n",
		    name);
	else {
		e->hash[0] = '\0';
		if (failed_save(dirfd, &fs) == -1) {
			fprintf(stderr, "dockerup retry: writing %s/%s: %s\n",
			    cache, FAILED_FILE, strerror(errno));
			rc = 1;
		} else
			printf("dockerup retry: the next run tries the update "
			       "of %s again\n",
			    name);
	}
	failed_store_free(&fs);
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
