/*
 * The parent: starts as root, takes the single-instance lock, starts the
 * fetcher and the engine, then only supervises them: reaps, restarts with
 * backoff, forwards SIGHUP, serves file reads for the fetcher, and on
 * SIGTERM/SIGINT lets the engine finish the call in flight before exiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errlist.h"
#include "imsg.h"
#include "log.h"
#include "notify.h"
#include "parent.h"
#include "proc.h"
#include "sandbox.h"
#include "settings_parse.h"
#include "watch.h"
#include "wire.h"

#define SHUTDOWN_GRACE_S 90 /* the engine finishes its Docker call */

enum { C_FETCHER, C_ENGINE, C_COUNT };

static volatile sig_atomic_t got_chld, got_hup, got_term;

static struct settings settings;
static struct child children[C_COUNT];
static int stashed_peer[C_COUNT] = { -1, -1 };
static char self_path[PATH_MAX];
static int shutting_down;
static time_t shutdown_deadline;
static int exit_code;

/*
 * The run lock.  A server that finds it taken stands by: it starts its
 * children, which report ready (the self-upgrade's handover), and takes
 * the lock when the other instance releases it or dies.  The engine runs
 * nothing before IMSG_GO.
 */
#define STANDBY_LOCK_POLL_MS 200
static int lock_fd = -1;
static int have_lock, lock_released, engine_ready;
static int standby_ready; /* our engine reached the API with a state */

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD:
		got_chld = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	default:
		got_term = 1;
		break;
	}
}

static void
setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigemptyset(&block);
	int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	/* Signals are taken only inside ppoll(), never mid-step. */
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGCHLD);
	sigdelset(waitmask, SIGHUP);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

/* The cache: root's own; the fetcher's account owns nothing in it. */
static void
prepare_cache(const struct settings *s)
{
	char dir[PATH_MAX];

	if (mkdir(s->cache, 0755) == -1 && errno != EEXIST)
		fatal("cache directory %s", s->cache);
	snprintf(dir, sizeof(dir), "%s/handover", s->cache);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("handover directory %s", dir);
	parent_lastgood_open(s->cache, s->confdir);
	parent_lastgood_etcd(s);
}

/*
 * The fetcher's account must exist: a missing one is a configuration
 * error, never a silent fall-back to a shared account such as nobody.
 */
static int
check_fetcher_user(const struct settings *s)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(s->user)) != NULL)
		return 0;
	if (errno != 0 && errno != ENOENT && errno != ESRCH)
		log_warn("looking up the fetcher's user \"%s\"", s->user);
	else
		log_warnx("user \"%s\" (setting user, --user) does not "
			  "exist; expected the fetcher's own unprivileged "
			  "account: create it (useradd --system "
			  "--no-create-home --shell /usr/sbin/nologin %s, as "
			  "make install does) or name another one",
		    s->user, s->user);
	return -1;
}

static const char *
signal_reason(int sig)
{
	switch (sig) {
	case SIGSYS:
		return ": seccomp violation (security event)";
	case SIGKILL:
		return ": killed";
	case SIGSEGV:
	case SIGBUS:
	case SIGABRT:
	case SIGILL:
	case SIGFPE:
		return ": crashed";
	}
	return "";
}

static void
log_child_death(const struct child *c, int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (shutting_down && sig == SIGTERM)
			log_debug("%s stopped", c->role);
		else if (sig == SIGSYS)
			log_warnx("SECURITY: %s killed by signal %d (SIGSYS)%s",
			    c->role, sig, signal_reason(sig));
		else
			log_warnx("%s killed by signal %d (SIG%s)%s", c->role,
			    sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			    signal_reason(sig));
	} else if (WIFEXITED(status) && !shutting_down)
		log_warnx(
		    "%s exited with status %d", c->role, WEXITSTATUS(status));
}

static struct child *
child_by_pid(pid_t pid)
{
	for (int i = 0; i < C_COUNT; i++)
		if (children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void
close_child_socket(struct child *c)
{
	if (c->ib.fd != -1) {
		close(c->ib.fd);
		imsg_clear(&c->ib);
		c->ib.fd = -1;
	}
}

static void finish_run(int code);

/* Schedules a restart with backoff; gives up on a crash loop. */
static void
schedule_restart(struct child *c)
{
	time_t now = time(NULL);
	size_t kept = 0;

	for (size_t i = 0; i < c->ncrashes; i++)
		if (now - c->crashes[i] < CRASH_LOOP_WINDOW_S)
			c->crashes[kept++] = c->crashes[i];
	c->ncrashes = kept;
	if (c->ncrashes + 1 >= CRASH_LOOP_RESTARTS) {
		log_warnx("%s died %d times within %d s: giving up so that the "
			  "service manager's restart policy takes over",
		    c->role, CRASH_LOOP_RESTARTS, CRASH_LOOP_WINDOW_S);
		finish_run(1);
		return;
	}
	c->crashes[c->ncrashes++] = now;
	c->restart_at = now + c->backoff_s;
	log_info("restarting %s in %d s", c->role, c->backoff_s);
	c->backoff_s *= 2;
	if (c->backoff_s > RESTART_BACKOFF_MAX_S)
		c->backoff_s = RESTART_BACKOFF_MAX_S;
}

/* Peak resident set of each child (KiB), the max over its restarts. */
static long child_peak_kib[C_COUNT];

static void
log_peak_rss(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		ru.ru_maxrss = 0;
	log_debug("peak RSS: parent %.1f MiB, fetcher %.1f MiB, engine %.1f "
		  "MiB",
	    ru.ru_maxrss / 1024.0, child_peak_kib[C_FETCHER] / 1024.0,
	    child_peak_kib[C_ENGINE] / 1024.0);
}

static void
reap_children(void)
{
	struct rusage ru;
	int status;
	pid_t pid;

	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		struct child *c = child_by_pid(pid);
		if (c == NULL)
			continue;
		if (ru.ru_maxrss > child_peak_kib[c - children])
			child_peak_kib[c - children] = ru.ru_maxrss;
		log_child_death(c, status);
		c->pid = 0;
		close_child_socket(c);
		if (!shutting_down)
			schedule_restart(c);
	}
}

static void
send_settings(struct child *c)
{
	struct buf b;

	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_settings(&settings, &b) == -1)
		fatalx("encoding settings");
	if (imsg_compose(&c->ib, IMSG_SETTINGS, b.p, b.len) == -1)
		log_warn("sending settings to %s", c->role);
	buf_free(&b);
}

/*
 * Starts child i.  Its socket to the other child is either one stashed
 * when the other started alone, or a fresh pair whose other end goes to
 * the running sibling in an IMSG_PEER_FD (or is stashed for it).
 */
static void
start_child(int i)
{
	struct child *c = &children[i], *other = &children[!i];
	int pp[2], peer = stashed_peer[i];

	c->restart_at = 0;
	if (i == C_ENGINE)
		engine_ready = 0;
	if (peer == -1) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
		    -1)
			fatal("socketpair");
		peer = sp[0];
		if (other->pid != 0 && other->ib.fd != -1) {
			if (imsg_compose_fd(
				&other->ib, IMSG_PEER_FD, NULL, 0, sp[1]) == -1)
				log_warn(
				    "passing a new socket to %s", other->role);
			close(sp[1]);
		} else {
			if (stashed_peer[!i] != -1)
				close(stashed_peer[!i]);
			stashed_peer[!i] = sp[1];
		}
	}
	stashed_peer[i] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp) == -1)
		fatal("socketpair");
	/* The engine shares the lock's open file: see LOCK_FD in proc.h. */
	c->pid = parent_spawn(self_path, c->role, pp[1], peer,
	    i == C_ENGINE ? lock_fd : -1, settings.verbose);
	close(pp[1]);
	close(peer);
	if (c->pid == -1) {
		c->pid = 0;
		close(pp[0]);
		schedule_restart(c);
		return;
	}
	imsg_init(&c->ib, pp[0], PROC_PARENT);
	/* Supervision never waits for a child to read (imsg.h). */
	imsg_queue_writes(&c->ib);
	c->started = time(NULL);
	send_settings(c);
	log_debug("started %s, pid %d", c->role, (int)c->pid);
}

static void
finish_run(int code)
{
	if (shutting_down)
		return;
	exit_code = code;
	shutting_down = 1;
	notify_stopping();
	shutdown_deadline = time(NULL) + SHUTDOWN_GRACE_S;
	for (int i = 0; i < C_COUNT; i++)
		if (children[i].pid != 0)
			kill(children[i].pid, SIGTERM);
}

static void
send_go(void)
{
	struct child *e = &children[C_ENGINE];

	if (have_lock && engine_ready && e->ib.fd != -1 &&
	    imsg_compose(&e->ib, IMSG_GO, NULL, 0) == -1)
		log_warn("telling the engine to go");
}

/*
 * A server that found the lock taken, or a handover going on, stands by:
 * it takes the lock only once its engine reached the Docker API with a
 * valid desired state, and as soon as the other instance lets go, so that
 * a new instance that cannot work never displaces one that can.
 */
static void
try_lock(void)
{
	static int said_busy;

	/* An instance that cannot work yet never takes over. */
	if (have_lock || lock_released || lock_fd == -1 || !standby_ready)
		return;
	switch (parent_lock_try(lock_fd)) {
	case 1:
		have_lock = 1;
		if (said_busy)
			log_info("took the run lock");
		else
			log_debug("took the run lock");
		send_go();
		break;
	case 0:
		if (!said_busy++)
			log_info("another dockerup holds the run lock in %s: "
				 "standing by until it hands over or exits",
			    settings.cache);
		break;
	case -1:
		finish_run(1);
		break;
	}
}

static void
self_ack(struct child *c, int32_t result)
{
	if (imsg_compose(&c->ib, IMSG_SELF_ACK, &result, sizeof(result)) == -1)
		log_warn("answering the engine");
}

/* The engine handed over to a new instance: let go of the lock. */
static int32_t
release_lock(void)
{
	if (!have_lock)
		return -1;
	/* Our engine shares the open file: closing ours is not enough. */
	if (flock(lock_fd, LOCK_UN) == -1) {
		log_warn("releasing the run lock");
		return -1;
	}
	close(lock_fd);
	lock_fd = -1;
	have_lock = 0;
	lock_released = 1;
	log_info("released the run lock to the new instance");
	return 0;
}

static int
on_read_confdir(void *ctx, struct imsg *m)
{
	struct child *c = ctx;

	parent_send_confdir(&c->ib, settings.confdir);
	return 0;
}

static int
on_read_profile(void *ctx, struct imsg *m)
{
	struct child *c = ctx;

	parent_send_profile(&c->ib, settings.seccomp_dir, m->data, m->len);
	return 0;
}

static int
on_lastgood_put(void *ctx, struct imsg *m)
{
	return parent_lastgood_put(m->data, m->len);
}

static int
on_lastgood_del(void *ctx, struct imsg *m)
{
	return parent_lastgood_del(m->data, m->len);
}

static int
on_read_lastgood(void *ctx, struct imsg *m)
{
	struct child *c = ctx;

	parent_lastgood_send(&c->ib);
	return 0;
}

static int
on_run_done(void *ctx, struct imsg *m)
{
	struct child *c = ctx;
	struct wire_run_done rd;

	memcpy(&rd, m->data, sizeof(rd));
	if (rd.exit_code < 0 || rd.exit_code > 2) {
		log_warnx("%s reported exit code %d", c->role, rd.exit_code);
		return -1;
	}
	/* One run or a check ends when its result is in. */
	notify_run_done(rd.exit_code);
	int done = (settings.mode == MODE_CHECK)
	    ? c->proc == PROC_FETCHER
	    : ((settings.mode != MODE_SERVER || lock_released) &&
		  c->proc == PROC_ENGINE);
	if (done)
		finish_run(rd.exit_code);
	return 0;
}

static int
on_ready(void *ctx, struct imsg *m)
{
	struct child *c = ctx;

	/* It came up: a later death is not a failure to start, so the
	 * next restart is quick; the crash-loop count still bounds it. */
	log_debug("%s ready", c->role);
	c->backoff_s = RESTART_BACKOFF_MIN_S;
	if (c->proc == PROC_ENGINE) {
		engine_ready = 1;
		send_go();
	}
	return 0;
}

static int
on_standby_ready(void *ctx, struct imsg *m)
{
	struct wire_self_id id;

	memcpy(&id, m->data, sizeof(id));
	if (have_lock || lock_released)
		return 0;
	standby_ready = 1;
	if (id.id[0] != '\0' && parent_self_ready(settings.cache, &id) == 0)
		log_info("ready to take over; waiting for the run lock");
	try_lock();
	return 0;
}

static int
on_self_write(void *ctx, struct imsg *m)
{
	struct wire_self_write w;

	memcpy(&w, m->data, sizeof(w));
	self_ack(ctx, parent_self_write(settings.cache, &w));
	return 0;
}

static int
on_self_release(void *ctx, struct imsg *m)
{
	self_ack(ctx, release_lock());
	return 0;
}

static int
on_restart_peer(void *ctx, struct imsg *m)
{
	if (children[C_FETCHER].pid != 0) {
		log_warnx("engine dropped the fetcher for a bad message; "
			  "restarting the fetcher");
		kill(children[C_FETCHER].pid, SIGKILL);
	}
	return 0;
}

#define FROM_F IMSG_FROM(PROC_FETCHER)
#define FROM_E IMSG_FROM(PROC_ENGINE)

/* What each child may send the parent, each on its own channel. */
static const struct imsg_rule fetcher_rules[] = {
	{ IMSG_READ_CONFDIR, FROM_F, 0, 0, on_read_confdir },
	{ IMSG_READ_PROFILE, FROM_F, IMSG_SIZE_ANY, 0, on_read_profile },
	{ IMSG_RUN_DONE, FROM_F, sizeof(struct wire_run_done), 0, on_run_done },
	{ IMSG_READY, FROM_F, 0, 0, on_ready },
	{ IMSG_LASTGOOD_PUT, FROM_F, IMSG_SIZE_ANY, 0, on_lastgood_put },
	{ IMSG_LASTGOOD_DEL, FROM_F, IMSG_SIZE_ANY, 0, on_lastgood_del },
	{ IMSG_READ_LASTGOOD, FROM_F, 0, 0, on_read_lastgood },
};

static const struct imsg_rule engine_rules[] = {
	{ IMSG_RUN_DONE, FROM_E, sizeof(struct wire_run_done), 0, on_run_done },
	{ IMSG_READY, FROM_E, 0, 0, on_ready },
	{ IMSG_RESTART_PEER, FROM_E, 0, 0, on_restart_peer },
	{ IMSG_STANDBY_READY, FROM_E, sizeof(struct wire_self_id), 0,
	    on_standby_ready },
	{ IMSG_SELF_WRITE, FROM_E, sizeof(struct wire_self_write), 0,
	    on_self_write },
	{ IMSG_SELF_RELEASE, FROM_E, 0, 0, on_self_release },
};

static int
handle_message(struct child *c, struct imsg *m)
{
	char why[160];
	int rc;

	if (c->proc == PROC_FETCHER)
		rc = imsg_dispatch(fetcher_rules,
		    sizeof(fetcher_rules) / sizeof(fetcher_rules[0]), m, c, why,
		    sizeof(why));
	else
		rc = imsg_dispatch(engine_rules,
		    sizeof(engine_rules) / sizeof(engine_rules[0]), m, c, why,
		    sizeof(why));
	if (rc == -1)
		log_warnx("%s from %s", why, c->role);
	return rc;
}

static void
read_child(struct child *c)
{
	struct imsg m;
	ssize_t n = imsg_read(&c->ib);
	int r;

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close_child_socket(c);
		return;
	}
	while ((r = imsg_get(&c->ib, &m)) == 1) {
		if (handle_message(c, &m) == -1) {
			kill(c->pid, SIGKILL);
			close_child_socket(c);
			return;
		}
	}
	if (r == -1) {
		log_warnx("malformed message stream from %s", c->role);
		kill(c->pid, SIGKILL);
		close_child_socket(c);
	}
}

/* SIGHUP, or a change in confdir: the fetcher loads and sends at once. */
static void
reload_fetcher(const char *why)
{
	struct child *f = &children[C_FETCHER];

	if (f->pid != 0 && f->ib.fd != -1) {
		log_info("%s: reloading", why);
		imsg_compose(&f->ib, IMSG_RELOAD, NULL, 0);
	}
}

static void
handle_signals(void)
{
	if (got_chld) {
		got_chld = 0;
		reap_children();
	}
	if (got_hup) {
		got_hup = 0;
		reload_fetcher("SIGHUP");
	}
	if (got_term) {
		got_term = 0;
		if (!shutting_down)
			log_info("shutting down; the engine finishes the call "
				 "in flight");
		finish_run(settings.mode == MODE_SERVER ? 0 : 1);
	}
}

static int
next_timeout_ms(void)
{
	time_t now = time(NULL), next = 0;

	if (shutting_down)
		next = shutdown_deadline;
	else
		for (int i = 0; i < C_COUNT; i++)
			if (children[i].restart_at != 0 &&
			    (next == 0 || children[i].restart_at < next))
				next = children[i].restart_at;
	if (next == 0)
		return notify_watchdog_timeout(-1);
	return notify_watchdog_timeout(
	    next <= now ? 0 : (int)(next - now) * 1000);
}

static int
any_child_running(void)
{
	return children[C_FETCHER].pid != 0 || children[C_ENGINE].pid != 0;
}

static void
supervise(const sigset_t *waitmask)
{
	for (;;) {
		struct pollfd pfd[C_COUNT + 1]; /* the children, the confdir */
		struct timespec ts, *tsp = NULL;

		handle_signals();
		notify_watchdog();
		if (shutting_down && !any_child_running())
			return;
		if (shutting_down && time(NULL) >= shutdown_deadline) {
			log_warnx("children did not stop within %d s; killing",
			    SHUTDOWN_GRACE_S);
			for (int i = 0; i < C_COUNT; i++)
				if (children[i].pid != 0)
					kill(children[i].pid, SIGKILL);
			shutdown_deadline = time(NULL) + 5;
		}
		for (int i = 0; i < C_COUNT && !shutting_down; i++)
			if (children[i].pid == 0 &&
			    children[i].restart_at != 0 &&
			    children[i].restart_at <= time(NULL))
				start_child(i);
		for (int i = 0; i < C_COUNT; i++) {
			pfd[i].fd = children[i].ib.fd;
			pfd[i].events = POLLIN;
			if (children[i].ib.fd != -1 &&
			    imsg_pending(&children[i].ib))
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		watch_pollfd(&pfd[C_COUNT]);
		try_lock();
		int ms = watch_timeout_ms(next_timeout_ms());
		if (!have_lock && !lock_released && !shutting_down &&
		    (ms < 0 || ms > STANDBY_LOCK_POLL_MS))
			ms = STANDBY_LOCK_POLL_MS;
		if (ms >= 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000L;
			tsp = &ts;
		}
		if (ppoll(pfd, C_COUNT + 1, tsp, waitmask) == -1) {
			if (errno == EINTR)
				continue;
			fatal("ppoll");
		}
		for (int i = 0; i < C_COUNT; i++) {
			if ((pfd[i].revents & POLLOUT) &&
			    imsg_flush(&children[i].ib) == -1)
				close_child_socket(&children[i]);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_child(&children[i]);
		}
		if (watch_handle(&pfd[C_COUNT]) && !shutting_down)
			reload_fetcher("confdir changed");
	}
}

static void
init_children(void)
{
	children[C_FETCHER].role = "fetcher";
	children[C_FETCHER].proc = PROC_FETCHER;
	children[C_ENGINE].role = "engine";
	children[C_ENGINE].proc = PROC_ENGINE;
	for (int i = 0; i < C_COUNT; i++) {
		children[i].ib.fd = -1;
		children[i].backoff_s = RESTART_BACKOFF_MIN_S;
	}
}

/*
 * The parent keeps only what supervising needs.  Each capability kept is
 * one the children need at exec (a root exec gets at most these) or the
 * parent itself uses.
 */
static void
parent_sandbox(void)
{
	static const int keep[] = {
		CAP_SETUID,  /* the fetcher drops to --user */
		CAP_SETGID,  /* the fetcher drops its groups */
		CAP_SETPCAP, /* children clear their bounding sets */
		CAP_KILL,    /* signalling the fetcher, which runs as --user */
	};

	if (geteuid() == 0)
		sandbox_caps_keep(keep, sizeof(keep) / sizeof(keep[0]));
	sandbox_seccomp(SANDBOX_PARENT, settings.seccomp,
	    sandbox_features(SANDBOX_PARENT, &settings));
	sandbox_test_violation(SANDBOX_PARENT);
}

/*
 * A check changes nothing: no cache directory, no lock.  A run takes the
 * lock now (waiting up to --lock-wait); a server takes it now when it is
 * free and no handover is going on, else stands by: see try_lock().
 */
static int
open_cache_and_lock(void)
{
	if (settings.mode == MODE_CHECK) {
		have_lock = 1;
		return 0;
	}
	prepare_cache(&settings);
	if (settings.mode != MODE_SERVER) {
		if ((lock_fd = parent_lock(
			 settings.cache, settings.lock_wait)) == -1)
			return -1;
		have_lock = 1;
		return 0;
	}
	if ((lock_fd = parent_lock_open(settings.cache)) == -1)
		return -1;
	/* Free, and no handover going on: ours at once. */
	if (!parent_handover_pending(settings.cache) &&
	    (have_lock = parent_lock_try(lock_fd)) == -1)
		return -1;
	return 0;
}

int
parent_main(int argc, char *argv[])
{
	struct errlist errs;
	sigset_t waitmask;
	char line[2048];
	ssize_t n;

	log_init("parent", 0);
	errlist_init(&errs);
	switch (settings_load(&settings, argc, argv, &errs)) {
	case SETTINGS_OK:
		break;
	case SETTINGS_EXIT_OK:
		return 0;
	case SETTINGS_USAGE:
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "dockerup: %s\n",
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		errlist_free(&errs);
		return 2;
	}
	errlist_free(&errs);
	log_init("parent", settings.verbose);
	log_configure(settings.log_format == LOGFMT_JSON, settings.syslog, 1);
	if ((n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1)) <
	    0)
		fatal("readlink /proc/self/exe");
	self_path[n] = '\0';
	if (geteuid() != 0)
		log_warnx("not started as root: the fetcher cannot drop to "
			  "\"%s\" and runs as uid %d",
		    settings.user, (int)getuid());
	if (check_fetcher_user(&settings) == -1) {
		settings_free(&settings);
		return 2;
	}
	if (open_cache_and_lock() == -1)
		return 1;
	setup_signals(&waitmask);
	init_children();
	notify_init();
	start_child(C_ENGINE);
	start_child(C_FETCHER);
	if (settings.mode == MODE_SERVER)
		watch_start(settings.confdir);
	parent_sandbox();
	supervise(&waitmask);
	log_peak_rss();
	log_debug("exiting with status %d", exit_code);
	settings_free(&settings);
	log_flush(); /* atexit() is not enough under ASan */
	return exit_code;
}
