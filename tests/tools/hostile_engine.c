/*
 * Plays a hostile fetcher against a real engine process: starts
 * "dockerup -R engine" on a socketpair pair, hands it valid settings as
 * the parent would, then sends one malformed message on the fetcher
 * socket.  Passes (exit 0) when the engine drops the connection, asks the
 * parent to restart the fetcher (IMSG_RESTART_PEER), and is still alive
 * and accepting a new fetcher socket afterwards.
 *
 * usage: hostile_engine DOCKERUP REMOTE CASE [IMAGE]
 * CASE: truncated | oversized | wrongtype | badtag | invalid | early-end
 *       | fd | gap
 *
 * The trust policy's cases send a whole state; the engine runs once (not a
 * server: it needs no IMSG_GO), so that it would act on a state it
 * accepted at once.  IMAGE is a local image (no pull):
 *   policy-privileged  a user-data definition "hostile-priv", privileged
 *   policy-nosource    the same without any source: remote too
 *   policy-fakelocal   the same from an absolute path outside the confdir
 *                      (a fetcher claiming a local file it cannot have read)
 *   policy-reach       a local "hostile-app" and a user-data definition
 *                      that signals it (KILL)
 *   local-privileged   the same privileged definition from a confdir
 *                      file: accepted and applied (exit 0 after the
 *                      engine's RUN_DONE), which proves the cases above
 *                      would have had their effect
 *   empty-state        a complete state without any definition: applied
 *                      (exit 0 after RUN_DONE); the mass-removal brake
 *                      must keep the host's containers
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "defn.h"
#include "imsg.h"
#include "proc.h"
#include "settings.h"
#include "wire.h"

static pid_t engine_pid;
/* The engine's cache directory (status.json), removed on any exit. */
static char cache[] = "/tmp/hostile_engine.XXXXXX";
static int cache_made;

static void
remove_cache(void)
{
	char cmd[64];

	if (!cache_made)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	if (system(cmd) != 0)
		fprintf(stderr, "hostile_engine: removing %s failed\n", cache);
}

static void
die(const char *what)
{
	fprintf(stderr, "hostile_engine: %s\n", what);
	if (engine_pid > 0) {
		kill(engine_pid, SIGKILL);
		waitpid(engine_pid, NULL, 0);
	}
	remove_cache();
	exit(1);
}

/* The next message from the engine that is not its READY. */
static int
next_message(struct imsgbuf *ib, struct imsg *m, int timeout_ms)
{
	int r;

	while ((r = imsg_wait(ib, m, timeout_ms)) == 1 &&
	    m->hdr.type == IMSG_READY)
		;
	return r;
}

static pid_t
start_engine(const char *bin, int parent_end, int fetcher_end)
{
	char ppid[24];
	pid_t pid;

	/* We play the parent: the engine checks that it is ours. */
	snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
	if ((pid = fork()) != 0)
		return pid;
	dup2(parent_end, PARENT_FD);
	dup2(fetcher_end, PEER_FD);
	execl(bin, bin, "-R", "engine", PROC_PARENT_ARG, ppid, (char *)NULL);
	_exit(127);
}

static void
send_raw(int fd, uint32_t type, uint32_t len, uint32_t seq, const void *data,
    size_t dlen)
{
	struct imsg_hdr h = { type, len, PROC_FETCHER, seq };

	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    (dlen && write(fd, data, dlen) != (ssize_t)dlen))
		die("write");
}

/* One definition of image from source (NULL: none) into b. */
static void
encode_defn(struct buf *b, const char *name, const char *image,
    const char *source, int privileged, const char *signal_target)
{
	struct defn d;

	defn_init(&d);
	d.name = strdup(name);
	d.image = strdup(image);
	d.privileged = privileged;
	d.source = source ? strdup(source) : NULL;
	if (signal_target != NULL)
		kvlist_push(&d.signals, signal_target, "KILL");
	buf_reset(b);
	if (wire_encode_defn(&d, 1, b) == -1)
		die("wire_encode_defn");
	defn_free(&d);
}

#define LOCAL_FILE "/etc/dockerup/containers.d/hostile.json"

/* A whole state of one or two definitions, as an honest fetcher sends. */
static void
send_policy_case(struct imsgbuf *fib, const char *which, const char *image)
{
	struct wire_state_begin begin = { WIRE_VERSION, 1, 0, 1, 0 };
	struct wire_state_end end = { 1 };
	struct buf b;

	buf_init(&b, IMSG_MAX_DATA);
	if (strcmp(which, "empty-state") == 0) {
		begin.ndefs = end.ndefs = 0;
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
	} else if (strcmp(which, "policy-reach") == 0) {
		begin.ndefs = end.ndefs = 2;
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
		encode_defn(&b, "hostile-app", image, LOCAL_FILE, 0, NULL);
		imsg_compose(fib, IMSG_DEFN, b.p, b.len);
		encode_defn(
		    &b, "hostile-sig", image, "user-data", 0, "hostile-app");
		imsg_compose(fib, IMSG_DEFN, b.p, b.len);
	} else {
		const char *src = NULL;
		if (strcmp(which, "policy-privileged") == 0)
			src = "user-data";
		else if (strcmp(which, "policy-fakelocal") == 0)
			src = "/tmp/hostile.json";
		else if (strcmp(which, "local-privileged") == 0)
			src = LOCAL_FILE;
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
		encode_defn(&b, "hostile-priv", image, src, 1, NULL);
		imsg_compose(fib, IMSG_DEFN, b.p, b.len);
	}
	imsg_compose(fib, IMSG_STATE_END, &end, sizeof(end));
	buf_free(&b);
}

static int
policy_case(const char *which)
{
	return strcmp(which, "policy-privileged") == 0 ||
	    strcmp(which, "policy-nosource") == 0 ||
	    strcmp(which, "policy-fakelocal") == 0 ||
	    strcmp(which, "policy-reach") == 0 ||
	    strcmp(which, "local-privileged") == 0 ||
	    strcmp(which, "empty-state") == 0;
}

static void
send_hostile(struct imsgbuf *fib, int fd, const char *which)
{
	struct wire_state_begin begin = { WIRE_VERSION, 1, 0, 1, 0 };
	struct buf b;
	struct defn d;

	buf_init(&b, IMSG_MAX_DATA);
	if (strcmp(which, "truncated") == 0) {
		/* A header promising more than ever comes, then EOF. */
		send_raw(fd, IMSG_STATE_BEGIN, sizeof(struct imsg_hdr) + 100, 0,
		    "x", 1);
		shutdown(fd, SHUT_WR);
	} else if (strcmp(which, "oversized") == 0) {
		send_raw(fd, IMSG_DEFN, IMSG_MAX_SIZE + 1, 0, NULL, 0);
	} else if (strcmp(which, "wrongtype") == 0) {
		imsg_compose(fib, IMSG_READ_CONFDIR, NULL, 0);
	} else if (strcmp(which, "gap") == 0) {
		send_raw(fd, IMSG_STATE_BEGIN,
		    sizeof(struct imsg_hdr) + sizeof(begin), 5, &begin,
		    sizeof(begin));
	} else if (strcmp(which, "badtag") == 0) {
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
		buf_put_u16(&b, 77);
		buf_put_u32(&b, 0);
		imsg_compose(fib, IMSG_DEFN, b.p, b.len);
	} else if (strcmp(which, "invalid") == 0) {
		/* Well-formed, but the definition breaks the rules. */
		defn_init(&d);
		d.name = strdup("bad name!");
		d.image = strdup("busybox:latest");
		wire_encode_defn(&d, 1, &b);
		defn_free(&d);
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
		imsg_compose(fib, IMSG_DEFN, b.p, b.len);
	} else if (strcmp(which, "early-end") == 0) {
		struct wire_state_end end = { 1 };
		imsg_compose(fib, IMSG_STATE_BEGIN, &begin, sizeof(begin));
		imsg_compose(fib, IMSG_STATE_END, &end, sizeof(end));
	} else if (strcmp(which, "fd") == 0) {
		imsg_compose_fd(
		    fib, IMSG_STATE_BEGIN, &begin, sizeof(begin), STDIN_FILENO);
	} else
		die("unknown case");
	buf_free(&b);
}

int
main(int argc, char *argv[])
{
	int ps[2], fs[2], fs2[2];
	struct imsgbuf pib, fib;
	struct settings s;
	struct buf b;
	struct imsg m;

	int whole_state = argc == 5 && policy_case(argv[3]);

	if (argc != 4 && !whole_state)
		die("usage: hostile_engine DOCKERUP REMOTE CASE [IMAGE]");
	if (mkdtemp(cache) == NULL)
		die("mkdtemp");
	cache_made = 1;
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ps) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fs) == -1)
		die("socketpair");
	pid_t pid = engine_pid = start_engine(argv[1], ps[1], fs[1]);
	close(ps[1]);
	close(fs[1]);
	imsg_init(&pib, ps[0], PROC_PARENT);
	imsg_init(&fib, fs[0], PROC_FETCHER);
	settings_init(&s);
	free(s.remote);
	s.remote = strdup(argv[2]);
	free(s.cache);
	s.cache = strdup(cache);
	s.seccomp = SECCOMP_ON;
	s.pull = 0;
	buf_init(&b, IMSG_MAX_DATA);
	wire_encode_settings(&s, &b);
	imsg_compose(&pib, IMSG_SETTINGS, b.p, b.len);
	buf_free(&b);

	if (whole_state)
		send_policy_case(&fib, argv[3], argv[4]);
	else
		send_hostile(&fib, fs[0], argv[3]);
	if (strcmp(argv[3], "local-privileged") == 0 ||
	    strcmp(argv[3], "empty-state") == 0) {
		/* Accepted: the engine applies it and reports the run. */
		if (next_message(&pib, &m, 60000) != 1 ||
		    m.hdr.type != IMSG_RUN_DONE)
			die("the engine did not apply the state");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		remove_cache();
		settings_free(&s);
		imsg_clear(&pib);
		imsg_clear(&fib);
		printf("engine applied the %s state\n", argv[3]);
		return 0;
	}
	if (strcmp(argv[3], "truncated") == 0) {
		/* A fetcher that dies mid-message is restarted by the parent
		 * anyway: the engine just discards the partial state and must
		 * neither act on it nor ask for a restart. */
		if (next_message(&pib, &m, 1500) != -1 || errno != ETIMEDOUT)
			die("engine reacted to a truncated message");
	} else {
		/* The engine must ask for a fetcher restart... */
		if (next_message(&pib, &m, 10000) != 1)
			die("no message from the engine");
		if (m.hdr.type != IMSG_RESTART_PEER)
			die("engine sent something other than RESTART_PEER");
		/* ...have closed the connection... */
		char c;
		if (read(fs[0], &c, 1) != 0)
			die("engine kept the hostile connection open");
	}
	/* ...and still be alive, taking a new fetcher socket. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fs2) == -1)
		die("socketpair");
	if (imsg_compose_fd(&pib, IMSG_PEER_FD, NULL, 0, fs2[1]) == -1)
		die("passing a new socket");
	close(fs2[1]);
	usleep(200000);
	int status;
	if (waitpid(pid, &status, WNOHANG) != 0)
		die("engine died");
	kill(pid, SIGTERM);
	close(fs2[0]);
	waitpid(pid, &status, 0);
	settings_free(&s);
	imsg_clear(&pib);
	imsg_clear(&fib);
	remove_cache();
	printf("engine dropped the %s message and survived\n", argv[3]);
	return 0;
}
