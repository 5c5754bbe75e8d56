/* The single-instance lock in the cache directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define LOCK_NAME    "dockerup.lock"
#define LOCK_POLL_US 200000

int
parent_lock_open(const char *cache)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cache, LOCK_NAME);
	/*
	 * Read-only: flock() needs no more, and the engine shares this open
	 * file (it holds the lock with us), also when it runs as the
	 * fetcher's account for a tcp:// endpoint.
	 */
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		log_warn("lock file %s", path);
	return fd;
}

int
parent_lock_try(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	log_warn("lock %s", LOCK_NAME);
	return -1;
}

/*
 * Takes the lock, waiting up to wait_s seconds.  Returns the fd that holds
 * the lock, or -1.  (A server that finds the lock taken stands by instead:
 * see parent.c.)
 */
int
parent_lock(const char *cache, int wait_s)
{
	time_t deadline = time(NULL) + wait_s;
	int fd, rc, logged = 0;

	if ((fd = parent_lock_open(cache)) == -1)
		return -1;
	while ((rc = parent_lock_try(fd)) == 0) {
		if (time(NULL) >= deadline) {
			log_warnx("another dockerup holds %s/%s; gave up after "
				  "%d s",
			    cache, LOCK_NAME, wait_s);
			close(fd);
			return -1;
		}
		if (!logged++)
			log_info("waiting up to %d s for another dockerup to "
				 "release %s/%s",
			    wait_s, cache, LOCK_NAME);
		usleep(LOCK_POLL_US);
	}
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
