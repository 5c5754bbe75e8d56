/*
 * The engine's side of the self-upgrade handover files (selfup.h): reads
 * through a directory opened before the sandbox, writes through the
 * parent.
 */
#include "selfup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "observe.h"

static int handover_fd = -1;

int
selfup_init(const char *cache)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/handover", cache);
	if (handover_fd != -1)
		close(handover_fd);
	handover_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (handover_fd == -1)
		log_warn("%s: self-upgrades are disabled", path);
	return handover_fd == -1 ? -1 : 0;
}

int
selfup_available(void)
{
	return handover_fd != -1;
}

int
selfup_read(enum wire_self_file f, char *out, size_t outlen)
{
	ssize_t n;
	int fd;

	const char *name = wire_self_file_name(f);

	if (handover_fd == -1 || name == NULL || outlen == 0)
		return -1;
	fd = openat(handover_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int
selfup_write(enum wire_self_file f, const char *text)
{
	struct wire_self_write w;

	memset(&w, 0, sizeof(w));
	w.file = (uint32_t)f;
	if (strlen(text) >= sizeof(w.text))
		return -1;
	memcpy(w.text, text, strlen(text));
	return engine_parent_request(IMSG_SELF_WRITE, &w, sizeof(w));
}

int
selfup_release_lock(void)
{
	return engine_parent_request(IMSG_SELF_RELEASE, NULL, 0);
}

int
selfup_is_id(const char *s)
{
	return docker_id_valid(s);
}

int
selfup_failed_has(const char *hash, char *image, size_t imagelen)
{
	char line[WIRE_SELF_TEXT_MAX], h[65], img[80];

	if (selfup_read(SELF_FILE_FAILED, line, sizeof(line)) == -1 ||
	    sscanf(line, "%64s %79s", h, img) != 2 || strcmp(h, hash) != 0)
		return 0;
	snprintf(image, imagelen, "%s", img);
	return 1;
}

void
selfup_failed_add(const char *hash, const char *image)
{
	char line[WIRE_SELF_TEXT_MAX];

	snprintf(line, sizeof(line), "%s %s %lld", hash, image,
	    (long long)time(NULL));
	if (selfup_write(SELF_FILE_FAILED, line) == -1)
		log_warnx("could not record the failed self-upgrade to %s; "
			  "it will be tried again",
		    image);
}
