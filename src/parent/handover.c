/*
 * The parent's side of the self-upgrade (src/engine/selfup.h): it writes
 * the handover files the engine asks for, after checking what they say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "wire.h"

/* Container IDs, image IDs, hashes and a time: nothing else. */
static int
text_ok(enum wire_self_file f, const char *t)
{
	size_t n = strlen(t);

	if (n == 0)
		return 1;
	if (f == SELF_FILE_FAILED)
		return strspn(t, "0123456789abcdef:sha ") == n;
	return n == 64 && strspn(t, "0123456789abcdef") == 64;
}

int
parent_self_write(const char *cache, const struct wire_self_write *w)
{
	char dir[4096], path[4200], tmp[4200];
	enum wire_self_file f = (enum wire_self_file)w->file;
	const char *name = wire_self_file_name(f);
	int fd, ok;

	if (name == NULL || memchr(w->text, '\0', sizeof(w->text)) == NULL ||
	    !text_ok(f, w->text)) {
		log_warnx("engine asked to write an unexpected handover file");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/handover", cache);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (w->text[0] == '\0') {
		if (unlink(path) == -1 && errno != ENOENT) {
			log_warn("remove %s", path);
			return -1;
		}
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		log_warn("%s", tmp);
		return -1;
	}
	ok = dprintf(fd, "%s\n", w->text) > 0 && fsync(fd) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		log_warn("writing %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A new instance standing by: its container ID in the ready file. */
int
parent_self_ready(const char *cache, const struct wire_self_id *id)
{
	struct wire_self_write w;

	memset(&w, 0, sizeof(w));
	if (memchr(id->id, '\0', sizeof(id->id)) == NULL ||
	    strlen(id->id) != 64)
		return -1;
	w.file = SELF_FILE_READY;
	memcpy(w.text, id->id, 64);
	return parent_self_write(cache, &w);
}

/* Whether an instance recorded that it is handing over (handover/old). */
int
parent_handover_pending(const char *cache)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/handover/%s", cache,
	    wire_self_file_name(SELF_FILE_OLD));
	return stat(path, &st) == 0 && st.st_size > 0;
}
