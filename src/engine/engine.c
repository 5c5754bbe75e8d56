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
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "errlist.h"
#include "image.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "ctrops.h"
#include "docker.h"
#include "observe.h"
#include "parentchan.h"
#include "policy.h"
#include "reconcile.h"
#include "runresult.h"
#include "failed.h"
#include "sandbox.h"
#include "selfup.h"
#include "profile.h"
#include "settings.h"
#include "rollout.h"
#include "slot.h"
#include "status.h"
#include "validate.h"
#include "wire.h"
#include "xalloc.h"

static volatile sig_atomic_t engine_stop_requested;

static struct imsgbuf *parent_ib, fetcher_ib;
static struct settings settings;
static struct docker *docker;

/* The state being received, and the one last accepted. */
static struct desired_state incoming, current;
static struct wire_state_begin begin;
static int receiving;
static int have_state;

/*
 * Runs wait for the parent's IMSG_GO (it holds the run lock).  Until
 * then a server stands by: once it reaches the Docker API and accepts a
 * valid desired state it reports ready, so that the instance it replaces
 * can hand over (selfup.h).
 */
static int go;
static int standby_done;

#define STANDBY_RETRY_MS 1000

static void
on_term(int sig)
{
	engine_stop_requested = 1;
}

/* Closes the fetcher's channel and forgets what came through it. */
static void
forget_fetcher(void)
{
	if (fetcher_ib.fd != -1) {
		close(fetcher_ib.fd);
		imsg_clear(&fetcher_ib);
		fetcher_ib.fd = -1;
	}
	desired_state_free(&incoming);
	receiving = 0;
	slot_forget();
}

static void
drop_fetcher(const char *why)
{
	log_warnx("dropping the fetcher's connection: %s", why);
	forget_fetcher();
	imsg_compose(parent_ib, IMSG_RESTART_PEER, NULL, 0);
}

static int
combine_status(int fetch_status, int run_status)
{
	if (fetch_status == 2)
		return 2;
	return fetch_status > run_status ? fetch_status : run_status;
}

/*
 * The mass-removal brake's memory: the desired state last read and when
 * it was first read.  In memory only: after a restart the state must be
 * read twice again, which can only delay a removal.
 */
static unsigned char brake_md[SHA256_LEN];
static double brake_since; /* monotonic seconds */
static int brake_known;
static int confirm_pending = -1; /* --confirm-removals, first run only */

/* A fingerprint of a whole desired state: definitions, sources, flag. */
static void
state_digest(const struct desired_state *st, unsigned char md[SHA256_LEN])
{
	struct buf b;
	char h[65];

	buf_init(
	    &b, (size_t)MAX_DEFINITIONS * (sizeof(h) + MAX_PATH_LEN + 2) + 16);
	buf_put_u32(&b, (uint32_t)st->complete);
	for (size_t i = 0; i < st->ndefs; i++) {
		if (defn_hash_v1(&st->defs[i], h) == -1 ||
		    buf_append(&b, h, sizeof(h)) == -1 ||
		    buf_append_str(&b,
			st->defs[i].source ? st->defs[i].source : "") == -1 ||
		    buf_put_u8(&b, 0) == -1)
			fatalx("%s: state too large", __func__);
	}
	sha256(b.p, b.len, md);
	buf_free(&b);
}

/* A state was read: a new one starts the brake's clock. */
static void
brake_note_read(const struct desired_state *st)
{
	unsigned char md[SHA256_LEN];

	state_digest(st, md);
	if (brake_known && memcmp(md, brake_md, sizeof(md)) == 0)
		return;
	memcpy(brake_md, md, sizeof(md));
	brake_since = mono_now();
	brake_known = 1;
}

/*
 * Removals beyond the brake are confirmed by --confirm-removals (for the
 * first run), or in server mode by the same state read again at least
 * one interval after it was first read.
 */
static int
removals_confirmed(void)
{
	if (confirm_pending == -1)
		confirm_pending = settings.confirm_removals;
	if (confirm_pending) {
		confirm_pending = 0;
		return 1;
	}
	return settings.mode == MODE_SERVER && brake_known &&
	    mono_now() - brake_since >= settings.interval;
}

static void
apply_current(void)
{
	struct run_report rep;
	struct wire_run_done rd;

	memset(&rep, 0, sizeof(rep));
	struct run_timing rt = { .start = time(NULL) };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = engine_reconcile(docker, &settings, &current,
	    removals_confirmed(), &engine_stop_requested, &rep);
	rd.exit_code = combine_status((int)begin.fetch_status, rep.exit_code);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rt.duration =
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (settings.mode == MODE_RUN || settings.mode == MODE_SERVER)
		rollout_publish(&settings, &rep, rd.exit_code);
	if (settings.mode != MODE_SERVER)
		slot_flush(); /* the processes end with the run */
	if (settings.mode == MODE_DRY_RUN && settings.format == OUTPUT_JSON)
		status_print_plan(&rep, rd.exit_code, stdout);
	else if (settings.mode == MODE_RUN || settings.mode == MODE_SERVER)
		status_write(&settings, &current, &rep, &rt, rd.exit_code);
	if (imsg_compose(parent_ib, IMSG_RUN_DONE, &rd, sizeof(rd)) == -1)
		log_warn("reporting the run to the parent");
	run_result_send(&fetcher_ib, &rep, rc, rd.exit_code, settings.remote);
	run_report_free(&rep);
}

static int
on_state_begin(void *ctx, struct imsg *m)
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
on_source(void *ctx, struct imsg *m)
{
	struct source_status s, *nv;
	char err[256];

	if (!receiving || incoming.nsources >= begin.nsources)
		return -1;
	if (wire_decode_source(m->data, m->len, &s, err, sizeof(err)) == -1) {
		log_warnx("source: %s", err);
		return -1;
	}
	nv =
	    xreallocarray(incoming.sources, incoming.nsources + 1, sizeof(*nv));
	incoming.sources = nv;
	nv[incoming.nsources++] = s;
	return 0;
}

static int
on_defn(void *ctx, struct imsg *m)
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
	/*
	 * The trust policy again: an honest fetcher never sends what breaks
	 * it, so the whole state is refused and the last one kept.
	 */
	if (policy_check_defn(&settings, &d, "", &errs) > 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("refused by the trust policy: %s",
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		errlist_free(&errs);
		defn_free(&d);
		return -1;
	}
	errlist_free(&errs);
	if (d.seccomp != NULL && strcmp(d.seccomp, "unconfined") != 0 &&
	    profile_check(d.seccomp, settings.seccomp_allow_permissive, line,
		sizeof(line)) == -1) {
		log_warnx("invalid definition: %s: securityOpt: seccomp "
			  "profile %s",
		    d.source ? d.source : "fetcher", line);
		defn_free(&d);
		return -1;
	}
	desired_state_add(&incoming, &d);
	return 0;
}

static int
on_state_end(void *ctx, struct imsg *m)
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
	for (size_t i = 0; i < incoming.ndefs; i++)
		(void)policy_check_reach(&settings, &incoming, i, "", &errs);
	if (errs.n > 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("refused by the trust policy: %s",
			    cfgerr_format(&errs.v[i], line, sizeof(line)));
		errlist_free(&errs);
		return -1;
	}
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
	have_state = 1;
	brake_note_read(&current);
	struct wire_ack ack = { .accepted = 1,
		.ndefs = (uint32_t)current.ndefs };
	imsg_compose(&fetcher_ib, IMSG_STATE_ACK, &ack, sizeof(ack));
	if (go)
		apply_current();
	return 0;
}

static int
on_late_answer(void *ctx, struct imsg *m)
{
	return slot_late_answer(m);
}

/* What the fetcher may send. */
static const struct imsg_rule fetcher_rules[] = {
	{ IMSG_STATE_BEGIN, IMSG_FROM(PROC_FETCHER),
	    sizeof(struct wire_state_begin), 0, on_state_begin },
	{ IMSG_SOURCE, IMSG_FROM(PROC_FETCHER), IMSG_SIZE_ANY, 0, on_source },
	{ IMSG_DEFN, IMSG_FROM(PROC_FETCHER), IMSG_SIZE_ANY, 0, on_defn },
	{ IMSG_STATE_END, IMSG_FROM(PROC_FETCHER),
	    sizeof(struct wire_state_end), 0, on_state_end },
	{ IMSG_SLOT_ANSWER, IMSG_FROM(PROC_FETCHER),
	    sizeof(struct wire_slot_answer), 0, on_late_answer },
};

static int
dispatch_fetcher(struct imsg *m)
{
	char why[128];

	if (imsg_dispatch(fetcher_rules,
		sizeof(fetcher_rules) / sizeof(fetcher_rules[0]), m, NULL, why,
		sizeof(why)) == 0)
		return 0;
	drop_fetcher(why);
	return -1;
}

/*
 * The fetcher's messages in the order it sent them: those kept while a
 * run waited for a rolling slot (slot.h), then those read since.
 */
static void
dispatch_pending(void)
{
	struct imsg m;
	int r;

	while (fetcher_ib.fd != -1 && !engine_stop_requested) {
		if ((r = slot_deferred_next(&m)) == 0 &&
		    (r = imsg_get(&fetcher_ib, &m)) == 0)
			return;
		if (r == -1) {
			drop_fetcher("malformed message stream");
			return;
		}
		if (dispatch_fetcher(&m) == -1)
			return;
		if (slot_channel_broken()) {
			drop_fetcher("broken while a run waited for a rolling "
				     "slot");
			return;
		}
	}
}

static void
read_fetcher(void)
{
	ssize_t n = imsg_read(&fetcher_ib);

	if (n < 0 && errno == EBADMSG) {
		drop_fetcher("descriptor or control data not asked for");
		return;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		/* The fetcher died; the parent hands us a new socket. */
		forget_fetcher();
		return;
	}
	dispatch_pending();
}

static void
set_fetcher_socket(int fd)
{
	forget_fetcher();
	imsg_init(&fetcher_ib, fd, PROC_ENGINE);
}

/* Standing by: ready once the API answers and a state was accepted. */
static void
standby_check(void)
{
	struct wire_self_id me;
	struct ctr_state st;
	const char *id;
	char err[512], old[WIRE_SELF_TEXT_MAX];

	if (go || standby_done || !have_state)
		return;
	if (docker_ping(docker, err, sizeof(err)) == -1) {
		log_debug("standing by: %s", err);
		return;
	}
	standby_done = 1;
	memset(&me, 0, sizeof(me));
	id = selfid_resolve(settings.self_id);
	if (id == NULL || !selfup_is_id(id) ||
	    op_state(docker, id, &st, err, sizeof(err)) != OP_OK)
		log_info("standing by: ready; waiting for another dockerup to "
			 "release the run lock");
	else if (selfup_read(SELF_FILE_OLD, old, sizeof(old)) == 0 &&
	    strcmp(old, id) == 0)
		/* The instance an unfinished self-upgrade replaces, started
		 * again: the new one's ready record must stay. */
		log_info("standing by: this container (%.12s) is the one a "
			 "self-upgrade replaces; waiting for the run lock",
		    id);
	else {
		memcpy(me.id, id, 64);
		log_info("standing by: ready to take over as container %.12s; "
			 "waiting for the run lock",
		    id);
	}
	if (imsg_compose(parent_ib, IMSG_STANDBY_READY, &me, sizeof(me)) == -1)
		log_warn("telling the parent");
}

/*
 * We hold the lock now.  The instance that handed over (or crashed while
 * handing over) is removed first: it may carry none of our labels.
 */
static void
go_cleanup(void)
{
	const char *self = selfid_resolve(settings.self_id);
	char old[WIRE_SELF_TEXT_MAX], err[512];

	if (selfup_read(SELF_FILE_OLD, old, sizeof(old)) == -1 ||
	    !selfup_is_id(old) || (self != NULL && strcmp(old, self) == 0))
		return;
	log_info("removing the previous dockerup instance %.12s", old);
	if (op_remove_force(docker, old, err, sizeof(err)) != OP_OK) {
		log_warnx("could not remove the previous dockerup instance "
			  "%.12s: %s",
		    old, err);
		return;
	}
	if (selfup_write(SELF_FILE_OLD, "") == -1 ||
	    selfup_write(SELF_FILE_READY, "") == -1)
		log_warnx("could not clear the handover records");
}

static void
on_go(void)
{
	if (go)
		return;
	go = 1;
	log_debug("the run lock is ours");
	if (selfup_available())
		go_cleanup();
	if (have_state)
		apply_current();
}

/* A GO that arrives while a request to the parent waits: noted only. */
static void
go_noted(void)
{
	go = 1;
}

static const struct parent_chan_hooks parent_hooks = {
	.peer_fd = set_fetcher_socket,
	.go = go_noted,
};

static void
read_parent(void)
{
	struct imsg m;
	ssize_t n = imsg_read(parent_ib);
	int r, got_go = 0;

	if (n == 0)
		exit(0);
	if (n < 0 && errno != EAGAIN)
		fatal("reading from the parent");
	while ((r = imsg_get(parent_ib, &m)) == 1) {
		switch (parent_chan_check(&m)) {
		case IMSG_GO:
			got_go = 1;
			break;
		case IMSG_SELF_ACK:
			log_warnx("an acknowledgement nobody waits for");
			break;
		}
	}
	if (r == -1)
		fatalx("malformed message stream from the parent");
	if (got_go)
		on_go();
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
	proc_die_with_parent(); /* a uid change cleared it */
	sandbox_seccomp(SANDBOX_ENGINE, settings.seccomp,
	    sandbox_features(SANDBOX_ENGINE, &settings));
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
	if (settings.mode == MODE_DRY_RUN && settings.format == OUTPUT_JSON) {
		struct run_report rep = { 0 };
		report_run_error(&rep, err);
		status_print_plan(&rep, rd.exit_code, stdout);
		run_report_free(&rep);
	}
	if (imsg_compose(parent_ib, IMSG_RUN_DONE, &rd, sizeof(rd)) == -1)
		fatal("reporting to the parent");
	/* The parent ends the run; wait for its SIGTERM or its EOF. */
	while (!engine_stop_requested) {
		struct pollfd pfd = { .fd = parent_ib->fd, .events = POLLIN };
		if (poll(&pfd, 1, -1) == -1)
			continue;
		if (imsg_read(parent_ib) <= 0)
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
	parent_chan_init(&parent_hooks);
	parent_ib = parent_chan();
	fetcher_ib.fd = -1;
	slot_init(&fetcher_ib);
	set_fetcher_socket(PEER_FD);
	desired_state_init(&current);
	desired_state_init(&incoming);
	proc_receive_settings(parent_ib, &settings);
	log_init("engine", settings.verbose);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((docker = docker_open(&settings, err, sizeof(err))) == NULL)
		endpoint_unusable(err);
	if (settings.mode == MODE_RUN || settings.mode == MODE_SERVER)
		selfup_init(settings.cache);
	if (settings.mode != MODE_CHECK)
		failed_init(settings.cache, settings.mode == MODE_DRY_RUN);
	/* Only a server can find the lock taken and stand by: anything else
	 * starts once its parent holds it (the parent's GO is then a no-op). */
	go = settings.mode != MODE_SERVER;
	status_open(&settings); /* its directories, before the sandbox */
	image_progress_init(
	    !settings.syslog && settings.log_format == LOGFMT_TEXT);
	engine_sandbox();
	if (imsg_compose(parent_ib, IMSG_READY, NULL, 0) == -1)
		fatal("telling the parent");
	while (!engine_stop_requested) {
		/* What a run's wait for a rolling slot read and kept. */
		dispatch_pending();
		if (slot_channel_broken())
			drop_fetcher("broken while a run waited for a rolling "
				     "slot");
		struct pollfd pfd[2] = {
			{ .fd = parent_ib->fd, .events = POLLIN },
			{ .fd = fetcher_ib.fd, .events = POLLIN },
		};
		int ms =
		    !go && have_state && !standby_done ? STANDBY_RETRY_MS : -1;
		if (poll(pfd, 2, ms) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_parent();
		if (fetcher_ib.fd != -1 &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_fetcher();
		standby_check();
	}
	docker_close(docker);
	desired_state_free(&current);
	desired_state_free(&incoming);
	settings_free(&settings);
	log_flush(); /* a repeated warning's summary; atexit() is not
	                   enough under ASan */
	return 0;
}
