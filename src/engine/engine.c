/*
 * The engine process: the only one that talks to the Docker endpoint.  It
 * trusts nothing the fetcher sends: every message is size-checked before
 * anything is allocated, every definition is decoded by the bounded wire
 * decoder and validated again with the same rules the fetcher used, and a
 * bad message ends the connection (the parent restarts the fetcher).  It
 * keeps the last desired state it accepted.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errlist.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "reconcile.h"
#include "sandbox.h"
#include "settings.h"
#include "validate.h"
#include "wire.h"


volatile sig_atomic_t engine_stop_requested;

static struct imsgbuf parent_ib, fetcher_ib;
static struct settings settings;
static struct docker *docker;

/* The state being received, and the one last accepted. */
static struct desired_state incoming, current;
static struct wire_state_begin begin;
static int receiving;

static void
on_term(int sig)
{
	engine_stop_requested = 1;
}

static void
drop_fetcher(const char *why)
{
	log_warnx("dropping the fetcher's connection: %s", why);
	if (fetcher_ib.fd != -1) {
		close(fetcher_ib.fd);
		imsg_clear(&fetcher_ib);
		fetcher_ib.fd = -1;
	}
	desired_state_free(&incoming);
	receiving = 0;
	imsg_compose(&parent_ib, IMSG_RESTART_PEER, NULL, 0);
}

static int
combine_status(int fetch_status, int run_status)
{
	if (fetch_status == 2)
		return 2;
	return fetch_status > run_status ? fetch_status : run_status;
}

static void
apply_current(void)
{
	struct run_report rep;
	struct wire_run_done rd;

	memset(&rep, 0, sizeof(rep));
	engine_reconcile(docker, &settings, &current, &rep);
	rd.exit_code = combine_status((int)begin.fetch_status, rep.exit_code);
	if (imsg_compose(&parent_ib, IMSG_RUN_DONE, &rd, sizeof(rd)) == -1)
		log_warn("reporting the run to the parent");
}

static int
on_state_begin(const struct imsg *m)
{
	memcpy(&begin, m->data, sizeof(begin));
	if (begin.version != WIRE_VERSION)
		return -1;
	if (begin.ndefs > MAX_DEFINITIONS ||
	    begin.nsources > MAX_CONFDIR_FILES + 1 || begin.complete > 1 ||
	    begin.fetch_status > 2)
		return -1;
	desired_state_free(&incoming);
	incoming.complete = (int)begin.complete;
	receiving = 1;
	return 0;
}

static int
on_source(const struct imsg *m)
{
	struct source_status s, *nv;
	char err[256];

	if (!receiving || incoming.nsources >= begin.nsources)
		return -1;
	if (wire_decode_source(m->data, m->len, &s, err, sizeof(err)) == -1) {
		log_warnx("source: %s", err);
		return -1;
	}
	nv = realloc(incoming.sources, (incoming.nsources + 1) * sizeof(*nv));
	if (nv == NULL)
		fatal("%s", __func__);
	incoming.sources = nv;
	nv[incoming.nsources++] = s;
	return 0;
}

static int
on_defn(const struct imsg *m)
{
	struct defn d;
	struct errlist errs;
	char err[256], line[2048];

	if (!receiving || incoming.ndefs >= begin.ndefs)
		return -1;
	if (wire_decode_defn(m->data, m->len, &d, err, sizeof(err)) == -1) {
		log_warnx("definition: %s", err);
		return -1;
	}
	errlist_init(&errs);
	if (defn_validate(&d, d.source ? d.source : "fetcher", "", &errs) > 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("invalid definition: %s",
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		errlist_free(&errs);
		defn_free(&d);
		return -1;
	}
	errlist_free(&errs);
	if (desired_state_add(&incoming, &d) == -1)
		fatal("%s", __func__);
	return 0;
}

static int
on_state_end(const struct imsg *m)
{
	struct wire_state_end end;
	struct errlist errs;
	char line[2048];

	memcpy(&end, m->data, sizeof(end));
	if (!receiving || end.ndefs != begin.ndefs ||
	    incoming.ndefs != begin.ndefs ||
	    incoming.nsources != begin.nsources)
		return -1;
	errlist_init(&errs);
	if (state_validate_and_order(&incoming, &errs) > 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("invalid desired state: %s",
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		errlist_free(&errs);
		return -1;
	}
	errlist_free(&errs);
	receiving = 0;
	desired_state_free(&current);
	current = incoming;
	desired_state_init(&incoming);
	struct wire_ack ack = { .accepted = 1, .ndefs = (uint32_t)current.ndefs };
	imsg_compose(&fetcher_ib, IMSG_STATE_ACK, &ack, sizeof(ack));
	apply_current();
	return 0;
}

/* What the fetcher may send, with exact sizes where fixed. */
static const struct {
	uint32_t type;
	long size;              /* -1: variable, bounded by IMSG_MAX_SIZE */
	int (*handler)(const struct imsg *);
} fetcher_dispatch[] = {
	{ IMSG_STATE_BEGIN, sizeof(struct wire_state_begin), on_state_begin },
	{ IMSG_SOURCE, -1, on_source },
	{ IMSG_DEFN, -1, on_defn },
	{ IMSG_STATE_END, sizeof(struct wire_state_end), on_state_end },
};

static int
dispatch_fetcher(const struct imsg *m)
{
	char why[128];

	if (m->fd != -1 || m->hdr.sender != PROC_FETCHER) {
		drop_fetcher("descriptor or wrong sender");
		return -1;
	}
	for (size_t i = 0; i < sizeof(fetcher_dispatch) /
	     sizeof(fetcher_dispatch[0]); i++) {
		if (fetcher_dispatch[i].type != m->hdr.type)
			continue;
		if (fetcher_dispatch[i].size >= 0 &&
		    m->len != (size_t)fetcher_dispatch[i].size) {
			snprintf(why, sizeof(why), "%s of %zu bytes",
			    imsg_type_name(m->hdr.type), m->len);
			drop_fetcher(why);
			return -1;
		}
		if (fetcher_dispatch[i].handler(m) == -1) {
			snprintf(why, sizeof(why), "bad %s",
			    imsg_type_name(m->hdr.type));
			drop_fetcher(why);
			return -1;
		}
		return 0;
	}
	snprintf(why, sizeof(why), "unpermitted message %s",
	    imsg_type_name(m->hdr.type));
	drop_fetcher(why);
	return -1;
}

static void
read_fetcher(void)
{
	struct imsg m;
	ssize_t n = imsg_read(&fetcher_ib);
	int r;

	if (n < 0 && errno == EBADMSG) {
		drop_fetcher("descriptor or control data not asked for");
		return;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		/* The fetcher died; the parent hands us a new socket. */
		close(fetcher_ib.fd);
		imsg_clear(&fetcher_ib);
		fetcher_ib.fd = -1;
		desired_state_free(&incoming);
		receiving = 0;
		return;
	}
	while (fetcher_ib.fd != -1 && (r = imsg_get(&fetcher_ib, &m)) != 0) {
		if (r == -1) {
			drop_fetcher("malformed message stream");
			return;
		}
		if (dispatch_fetcher(&m) == -1)
			return;
		if (engine_stop_requested)
			return;
	}
}

static void
set_fetcher_socket(int fd)
{
	if (fetcher_ib.fd != -1) {
		close(fetcher_ib.fd);
		imsg_clear(&fetcher_ib);
	}
	desired_state_free(&incoming);
	receiving = 0;
	if (imsg_init(&fetcher_ib, fd, PROC_ENGINE) == -1)
		fatal("imsg_init");
}

static void
read_parent(void)
{
	struct imsg m;
	ssize_t n = imsg_read(&parent_ib);
	int r;

	if (n == 0)
		exit(0);
	if (n < 0 && errno != EAGAIN)
		fatal("reading from the parent");
	while ((r = imsg_get(&parent_ib, &m)) == 1) {
		if (m.hdr.type != IMSG_PEER_FD || m.len != 0 || m.fd == -1)
			fatalx("unpermitted message %s from the parent",
			    imsg_type_name(m.hdr.type));
		set_fetcher_socket(m.fd);
	}
	if (r == -1)
		fatalx("malformed message stream from the parent");
}

/*
 * With a unix socket the engine stays uid 0 (the socket is root's) but
 * holds no capability at all; with a tcp endpoint it needs nothing of
 * root and runs as the unprivileged user.
 */
static void
engine_sandbox(void)
{
	if (strncmp(settings.remote, "tcp://", 6) == 0 && geteuid() == 0)
		sandbox_drop_to_user(settings.user);
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	sandbox_seccomp(SANDBOX_ENGINE, settings.seccomp);
	sandbox_test_violation(SANDBOX_ENGINE);
}

/*
 * The endpoint's configuration cannot work (missing TLS files, say).  A
 * server dies and is restarted with backoff; a single run, a dry run or a
 * check reports failure at once rather than after a crash loop.
 */
static void
endpoint_unusable(const char *err)
{
	struct wire_run_done rd = { .exit_code = 1 };

	if (settings.mode == MODE_SERVER)
		fatalx("Docker endpoint %s: %s", settings.remote, err);
	log_warnx("Docker endpoint %s: %s", settings.remote, err);
	if (imsg_compose(&parent_ib, IMSG_RUN_DONE, &rd, sizeof(rd)) == -1)
		fatal("reporting to the parent");
	/* The parent ends the run; wait for its SIGTERM or its EOF. */
	while (!engine_stop_requested) {
		struct pollfd pfd = { .fd = parent_ib.fd, .events = POLLIN };
		if (poll(&pfd, 1, -1) == -1)
			continue;
		if (imsg_read(&parent_ib) <= 0)
			break;
	}
	exit(1);
}

int
engine_main(void)
{
	struct sigaction sa;
	char err[512];

	log_init("engine", 0);
	if (imsg_init(&parent_ib, PARENT_FD, PROC_ENGINE) == -1)
		fatal("imsg_init");
	imsg_accept_fds(&parent_ib);
	fetcher_ib.fd = -1;
	set_fetcher_socket(PEER_FD);
	desired_state_init(&current);
	desired_state_init(&incoming);
	proc_receive_settings(&parent_ib, &settings);
	log_init("engine", settings.verbose);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((docker = docker_open(&settings, err, sizeof(err))) == NULL)
		endpoint_unusable(err);
	engine_sandbox();
	if (imsg_compose(&parent_ib, IMSG_READY, NULL, 0) == -1)
		fatal("telling the parent");
	while (!engine_stop_requested) {
		struct pollfd pfd[2] = {
			{ .fd = parent_ib.fd, .events = POLLIN },
			{ .fd = fetcher_ib.fd, .events = POLLIN },
		};
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_parent();
		if (fetcher_ib.fd != -1 &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_fetcher();
	}
	docker_close(docker);
	desired_state_free(&current);
	desired_state_free(&incoming);
	settings_free(&settings);
	return 0;
}
