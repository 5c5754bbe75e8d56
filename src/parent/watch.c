/*
 * Watching the confdir for changes (server mode only).  The parent does
 * it because the confdir may be readable by root only.
 *
 * Two watches share one inotify descriptor: one on the confdir for its
 * definition files (names as parent_send_confdir() serves them, so that
 * vim's 4913 probe, swap files, backups "foo.json~" and emacs' "#foo.json#"
 * or ".#foo.json" never cause a reload), and one on the directory above it
 * for the confdir's own name, so that a confdir that is missing at start,
 * removed, renamed away or replaced (a directory or a symlink swapped in
 * by rename) is watched again as soon as it is back.  A burst of events,
 * such as an editor's save sequence, gives one reload.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "clock.h"
#include "log.h"
#include "parent.h"
#include "watch.h"

#define DIR_EVENTS                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |            \
	    IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |            \
	    IN_ONLYDIR)
#define UP_EVENTS                                                              \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)

static struct {
	int fd;     /* inotify; -1 when not watching */
	int dir_wd; /* the confdir; -1 when not watched */
	int up_wd;  /* the directory above it; -1 likewise */
	char dir[PATH_MAX];
	char up[PATH_MAX];
	char base[NAME_MAX + 1];
	long long first_ms; /* first change not reloaded yet; 0 none */
	long long last_ms;  /* latest such change */
	long long retry_ms; /* when to set a failed watch again; 0 no */
	int rewatch;        /* a watch is gone: set it again */
	int warned;         /* a failure to watch was logged */
} w = { .fd = -1, .dir_wd = -1, .up_wd = -1 };

/* Splits confdir into the directory above it and its own name. */
static int
split_path(const char *confdir)
{
	size_t n = strlen(confdir);
	const char *slash, *base;

	if (n == 0 || n >= sizeof(w.dir))
		return -1;
	memcpy(w.dir, confdir, n + 1);
	while (n > 1 && w.dir[n - 1] == '/')
		w.dir[--n] = '\0';
	slash = strrchr(w.dir, '/');
	base = slash ? slash + 1 : w.dir;
	if (strlen(base) >= sizeof(w.base))
		return -1;
	memcpy(w.base, base, strlen(base) + 1);
	if (slash == NULL)
		memcpy(w.up, ".", 2);
	else if (slash == w.dir)
		memcpy(w.up, "/", 2);
	else {
		memcpy(w.up, w.dir, (size_t)(slash - w.dir));
		w.up[slash - w.dir] = '\0';
	}
	return 0;
}

static void
note_change(void)
{
	long long now = mono_ms();

	if (w.first_ms == 0)
		w.first_ms = now;
	w.last_ms = now;
}

static void
watch_failed(const char *path)
{
	if (!w.warned)
		log_warn("watching %s for changes (trying again every %d s; "
			 "until then changes are seen at the next interval)",
		    path, WATCH_RETRY_S);
	w.warned = 1;
	w.retry_ms = mono_ms() + WATCH_RETRY_S * 1000LL;
}

static void
unwatch_dir(void)
{
	if (w.dir_wd != -1)
		inotify_rm_watch(w.fd, w.dir_wd);
	w.dir_wd = -1;
}

/* Sets whichever watch is missing; the confdir's absence is no error as
 * long as the directory above it is watched for its return. */
static void
add_watches(void)
{
	w.retry_ms = 0;
	if (w.up_wd == -1 && w.base[0] != '\0' &&
	    (w.up_wd = inotify_add_watch(w.fd, w.up, UP_EVENTS)) == -1)
		watch_failed(w.up);
	if (w.dir_wd == -1) {
		if ((w.dir_wd = inotify_add_watch(w.fd, w.dir, DIR_EVENTS)) !=
		    -1)
			log_debug("watching %s for changes", w.dir);
		else if ((errno == ENOENT || errno == ENOTDIR) && w.up_wd != -1)
			log_debug("%s does not exist; waiting for it to appear",
			    w.dir);
		else
			watch_failed(w.dir);
	}
	if (w.warned && w.retry_ms == 0) {
		/* What changed while it was not watched is read now. */
		log_info("watching %s for changes again", w.dir);
		w.warned = 0;
		note_change();
	}
}

static void
on_dir_event(const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		w.dir_wd = -1; /* removed, or unmounted */
		w.rewatch = 1;
		note_change();
	} else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		unwatch_dir(); /* a moved directory is no longer ours */
		w.rewatch = 1;
		note_change();
	} else if (ev->len == 0 || is_definition_name(ev->name))
		note_change(); /* a definition, or the confdir's own mode */
}

static void
on_up_event(const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		w.up_wd = -1;
		w.rewatch = 1;
		return;
	}
	if (ev->len == 0 || strcmp(ev->name, w.base) != 0)
		return;
	/* The name now leads elsewhere, or nowhere: watch what it names. */
	unwatch_dir();
	w.rewatch = 1;
	note_change();
}

static void
read_events(void)
{
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w.fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				note_change();
			else if (ev->wd == w.dir_wd)
				on_dir_event(ev);
			else if (ev->wd == w.up_wd)
				on_up_event(ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("reading inotify events for %s", w.dir);
	if (w.rewatch) {
		w.rewatch = 0;
		add_watches();
	}
}

void
watch_start(const char *confdir)
{
	if (split_path(confdir) == -1) {
		log_warnx("confdir \"%s\": cannot watch a path of this length",
		    confdir);
		return;
	}
	if ((w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify: changes to %s are seen at the next interval "
			 "only",
		    confdir);
		return;
	}
	add_watches();
}

void
watch_pollfd(struct pollfd *pfd)
{
	pfd->fd = w.fd;
	pfd->events = POLLIN;
	pfd->revents = 0;
}

static long long
due_ms(void)
{
	long long quiet = w.last_ms + WATCH_QUIET_MS;
	long long latest = w.first_ms + WATCH_MAX_DELAY_MS;

	return quiet < latest ? quiet : latest;
}

int
watch_timeout_ms(int ms)
{
	long long now = mono_ms(), at = 0, left;

	if (w.first_ms != 0)
		at = due_ms();
	if (w.retry_ms != 0 && (at == 0 || w.retry_ms < at))
		at = w.retry_ms;
	if (at == 0)
		return ms;
	left = at <= now ? 0 : at - now;
	return ms >= 0 && ms < left ? ms : (int)left;
}

int
watch_handle(const struct pollfd *pfd)
{
	long long now;

	if (w.fd == -1)
		return 0;
	if (pfd->revents & POLLIN)
		read_events();
	now = mono_ms();
	if (w.retry_ms != 0 && now >= w.retry_ms)
		add_watches();
	if (w.first_ms == 0 || now < due_ms())
		return 0;
	w.first_ms = w.last_ms = 0;
	return 1;
}
