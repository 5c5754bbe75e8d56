/* The single-instance lock in the cache directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define LOCK_NAME "dockerup.lock"
#define LOCK_POLL_US 200000

/*
 * Takes the lock, waiting up to wait_s seconds (a replacement dockerup
 * waits here for the old one during a self-upgrade).  Returns the fd that
 * holds the lock for the life of the process, or -1.
 */
int
parent_lock(const char *cache, int wait_s)
{
	char path[4096];
	time_t deadline = time(NULL) + wait_s;
	int fd, logged = 0;

	snprintf(path, sizeof(path), "%s/%s", cache, LOCK_NAME);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_warn("lock file %s", path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_warn("lock %s", path);
			close(fd);
			return -1;
		}
		if (time(NULL) >= deadline) {
			log_warnx("another dockerup holds %s; gave up after %d s",
			    path, wait_s);
			close(fd);
			return -1;
		}
		if (!logged++)
			log_info("waiting up to %d s for another dockerup to "
			    "release %s", wait_s, path);
		usleep(LOCK_POLL_US);
	}
	return fd;
}
