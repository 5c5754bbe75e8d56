/*
 * The fetcher process: unprivileged from its first step on.  It loads the
 * sources (files read for it by the parent, user-data over HTTP), turns
 * them into a sanitized desired state and sends that to the engine: at
 * start, every interval in server mode, on SIGHUP (IMSG_RELOAD) and
 * whenever it gets a new socket to a restarted engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "imsg.h"
#include "lastgood.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "schedule.h"
#include "udproc.h"
#include "settings.h"
#include "wire.h"
#include "xalloc.h"

static struct imsgbuf parent_ib, engine_ib;
static struct settings settings;
static int reload_pending;
static struct schedule sched; /* server mode: when the next run starts */
static long long next_load_ms;
static int run_in_flight;    /* a state was sent, its result is due */
static struct udproc loader; /* user-data and etcd are loaded there */

static void
set_engine_socket(int fd)
{
	if (engine_ib.fd != -1) {
		close(engine_ib.fd);
		imsg_clear(&engine_ib);
	}
	imsg_init(&engine_ib, fd, PROC_FETCHER);
	/* A new engine knows nothing: send it the whole state again; the
	 * rolling slots the old one held go. */
	reload_pending = 1;
	if (loader.pid > 0 && settings_etcd_on(&settings))
		udproc_pass(&loader, IMSG_SLOT_RESET, NULL, 0);
}

static int
on_reload(void *ctx, struct imsg *m)
{
	reload_pending = 1;
	return 0;
}

static int
on_peer_fd(void *ctx, struct imsg *m)
{
	set_engine_socket(m->fd);
	m->fd = -1; /* the engine's channel owns it now */
	return 0;
}

/* Messages the parent may send at any time, between its replies. */
static const struct imsg_rule parent_async_rules[] = {
	{ IMSG_RELOAD, IMSG_FROM(PROC_PARENT), 0, 0, on_reload },
	{ IMSG_PEER_FD, IMSG_FROM(PROC_PARENT), 0, 1, on_peer_fd },
};

/*
 * Handles m if it is one of the asynchronous messages: 1 when handled,
 * 0 when it is not one of them (the caller's business), fatal otherwise.
 */
static int
handle_parent_async(struct imsg *m)
{
	const size_t n =
	    sizeof(parent_async_rules) / sizeof(parent_async_rules[0]);
	char why[128];

	if (imsg_rule_for(parent_async_rules, n, m->hdr.type) == NULL) {
		if (m->fd != -1)
			fatalx("unexpected descriptor with %s",
			    imsg_type_name(m->hdr.type));
		return 0;
	}
	if (imsg_dispatch(parent_async_rules, n, m, NULL, why, sizeof(why)) ==
	    -1)
		fatalx("from the parent: %s", why);
	return 1;
}

/* Waits for one of the reply types, handling asynchronous messages. */
static int
wait_parent_reply(struct imsg *m)
{
	for (;;) {
		int r = imsg_wait(&parent_ib, m, PARENT_FILE_WAIT_MS);
		if (r == 0)
			fatalx("parent went away");
		if (r == -1)
			fatal("reading from the parent");
		if (!handle_parent_async(m))
			return 0;
	}
}

static int
parent_read_confdir(void *ctx, const char *confdir, struct confdir_listing *out)
{
	struct imsg m;

	memset(out, 0, sizeof(*out));
	if (imsg_compose(&parent_ib, IMSG_READ_CONFDIR, NULL, 0) == -1)
		fatal("asking the parent for %s", confdir);
	for (;;) {
		wait_parent_reply(&m);
		if (m.hdr.type == IMSG_DIR_END) {
			uint32_t e;
			if (m.len != sizeof(e))
				fatalx("DIR_END of %zu bytes", m.len);
			memcpy(&e, m.data, sizeof(e));
			out->err = (int)e;
			return 0;
		}
		struct wire_file wf;
		if ((m.hdr.type != IMSG_FILE && m.hdr.type != IMSG_FILE_ERR) ||
		    wire_decode_file(m.data, m.len, &wf) == -1 ||
		    memchr(wf.name, '/', wf.namelen) ||
		    memchr(wf.name, '\0', wf.namelen) ||
		    out->n >= MAX_CONFDIR_FILES)
			fatalx("unexpected %s while reading confdir",
			    imsg_type_name(m.hdr.type));
		out->files =
		    xreallocarray(out->files, out->n + 1, sizeof(*out->files));
		struct confdir_file *f = &out->files[out->n++];
		memset(f, 0, sizeof(*f));
		xasprintf(
		    &f->path, "%s/%.*s", confdir, (int)wf.namelen, wf.name);
		f->err =
		    m.hdr.type == IMSG_FILE_ERR ? (wf.err ? wf.err : EIO) : 0;
		if (f->err == 0) {
			f->data = xmalloc(wf.len);
			memcpy(f->data, wf.data, wf.len);
			f->len = wf.len;
		}
	}
}

static int
parent_read_file(void *ctx, const char *path, struct buf *out)
{
	struct imsg m;
	struct wire_file wf;

	if (imsg_compose(&parent_ib, IMSG_READ_PROFILE, path, strlen(path)) ==
	    -1)
		fatal("asking the parent for %s", path);
	wait_parent_reply(&m);
	if ((m.hdr.type != IMSG_FILE && m.hdr.type != IMSG_FILE_ERR) ||
	    wire_decode_file(m.data, m.len, &wf) == -1)
		fatalx("unexpected %s while reading %s",
		    imsg_type_name(m.hdr.type), path);
	if (m.hdr.type == IMSG_FILE_ERR) {
		errno = wf.err ? wf.err : EIO;
		return -1;
	}
	return wf.len > 0 ? buf_append(out, wf.data, wf.len) : 0;
}

static const struct file_ops parent_file_ops = {
	.read_confdir = parent_read_confdir,
	.read_file = parent_read_file,
	.ctx = NULL,
};

/* With user-data or etcd on, they come from the loader process (udproc.c). */
static const struct file_ops loader_file_ops = {
	.read_confdir = parent_read_confdir,
	.read_file = parent_read_file,
	.load_userdata = udproc_load,
	.load_etcd = udproc_load_etcd,
	.ctx = &loader,
};

/* Whether the loader process runs: a source on the network is on. */
static int
loader_on(void)
{
	return settings.aws || settings_etcd_on(&settings);
}

static void
send_state(const struct desired_state *st, int fetch_status)
{
	struct wire_state_begin begin = {
		.version = WIRE_VERSION,
		.ndefs = (uint32_t)st->ndefs,
		.nsources = (uint32_t)st->nsources,
		.complete = (uint32_t)st->complete,
		.fetch_status = (uint32_t)fetch_status,
	};
	struct wire_state_end end = { .ndefs = (uint32_t)st->ndefs };
	struct buf b;

	if (engine_ib.fd == -1)
		return;
	buf_init(&b, IMSG_MAX_DATA);
	if (imsg_compose(&engine_ib, IMSG_STATE_BEGIN, &begin, sizeof(begin)) ==
	    -1)
		goto lost;
	for (size_t i = 0; i < st->nsources; i++) {
		buf_reset(&b);
		if (wire_encode_source(&st->sources[i], &b) == -1)
			fatalx("source %s does not fit in a message",
			    st->sources[i].name);
		if (imsg_compose(&engine_ib, IMSG_SOURCE, b.p, b.len) == -1)
			goto lost;
	}
	for (size_t i = 0; i < st->ndefs; i++) {
		buf_reset(&b);
		if (wire_encode_defn(&st->defs[i], 1, &b) == -1)
			fatalx("definition from %s does not fit in a message",
			    st->defs[i].source);
		if (imsg_compose(&engine_ib, IMSG_DEFN, b.p, b.len) == -1)
			goto lost;
	}
	if (imsg_compose(&engine_ib, IMSG_STATE_END, &end, sizeof(end)) == -1)
		goto lost;
	buf_free(&b);
	return;
lost:
	/* The parent restarts the engine and hands us a new socket. */
	log_warn("sending the desired state to the engine");
	buf_free(&b);
}

static void
report_errors(const struct errlist *errs, int to_stderr)
{
	char line[2048], esc[4 * sizeof(line)];

	for (size_t i = 0; i < errs->n; i++) {
		cfgerr_format(&errs->v[i], line, sizeof(line));
		/* It quotes file names and user-data: escaped as logs are. */
		log_escape(line, LOG_ESC_TEXT, esc, sizeof(esc));
		if (to_stderr)
			fprintf(stderr, "%s\n", esc);
		else
			log_warnx("%s", line);
	}
}

static int
load_and_send(struct fetch_state *fs)
{
	struct desired_state st;
	struct errlist errs;
	int status;

	desired_state_init(&st);
	errlist_init(&errs);
	status = fetch_load(fs, &settings,
	    loader_on() ? &loader_file_ops : &parent_file_ops, &st, &errs);
	report_errors(&errs, settings.mode == MODE_CHECK);
	if (settings.mode == MODE_CHECK) {
		struct wire_run_done rd = { .exit_code = status };
		if (status == 0)
			printf("configuration OK: %zu definitions from %zu "
			       "sources\n",
			    st.ndefs, st.nsources);
		fflush(stdout);
		imsg_compose(&parent_ib, IMSG_RUN_DONE, &rd, sizeof(rd));
	} else
		send_state(&st, status);
	errlist_free(&errs);
	desired_state_free(&st);
	return status;
}

/* A run ended: in server mode, the next one is scheduled from now. */
static int
on_run_result(void *ctx, struct imsg *m)
{
	struct wire_run_result rr;

	memcpy(&rr, m->data, sizeof(rr));
	if (rr.cause >= RUN_CAUSE_MAX ||
	    memchr(rr.where, '\0', sizeof(rr.where)) == NULL)
		fatalx("malformed RUN_RESULT from the engine");
	for (const char *p = rr.where; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fatalx("RUN_RESULT from the engine: control character "
			       "in its endpoint or registry");
	run_in_flight = 0;
	if (settings.mode == MODE_SERVER)
		next_load_ms = mono_ms() + schedule_after_run(&sched, &rr);
	return 0;
}

static int
on_state_ack(void *ctx, struct imsg *m)
{
	struct wire_ack ack;

	memcpy(&ack, m->data, sizeof(ack));
	log_debug("engine %s the desired state (%u definitions)",
	    ack.accepted ? "accepted" : "rejected", ack.ndefs);
	return 0;
}

/* The loader's answer about a slot, for the engine. */
static void
to_engine(uint32_t type, const void *p, size_t len)
{
	if (engine_ib.fd != -1 && imsg_compose(&engine_ib, type, p, len) == -1)
		log_warn("passing %s to the engine", imsg_type_name(type));
}

/* Rolling updates: the engine's messages for the etcd loader, checked. */
static int
on_slot_msg(void *ctx, struct imsg *m)
{
	char err[128];
	int ok;

	if (!settings_etcd_on(&settings) || loader.pid <= 0)
		return -1;
	if (m->hdr.type == IMSG_SLOT_ASK) {
		struct wire_slot_ask a;
		memcpy(&a, m->data, sizeof(a));
		ok = wire_check_slot_ask(&a, err, sizeof(err)) == 0;
	} else if (m->hdr.type == IMSG_SLOT_DONE) {
		struct wire_slot_done d;
		memcpy(&d, m->data, sizeof(d));
		ok = wire_check_slot_done(&d, err, sizeof(err)) == 0;
	} else
		ok = wire_check_fleet_host(m->data, m->len);
	if (!ok)
		return -1;
	udproc_pass(&loader, m->hdr.type, m->data, m->len);
	return 0;
}

/* What the engine may send. */
static const struct imsg_rule engine_rules[] = {
	{ IMSG_RUN_RESULT, IMSG_FROM(PROC_ENGINE),
	    sizeof(struct wire_run_result), 0, on_run_result },
	{ IMSG_STATE_ACK, IMSG_FROM(PROC_ENGINE), sizeof(struct wire_ack), 0,
	    on_state_ack },
	{ IMSG_SLOT_ASK, IMSG_FROM(PROC_ENGINE), sizeof(struct wire_slot_ask),
	    0, on_slot_msg },
	{ IMSG_SLOT_DONE, IMSG_FROM(PROC_ENGINE), sizeof(struct wire_slot_done),
	    0, on_slot_msg },
	{ IMSG_FLEET_HOST, IMSG_FROM(PROC_ENGINE), IMSG_SIZE_ANY, 0,
	    on_slot_msg },
};

static void
read_engine(void)
{
	char why[128];
	struct imsg m;
	ssize_t n = imsg_read(&engine_ib);
	int r;

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close(engine_ib.fd);
		imsg_clear(&engine_ib);
		engine_ib.fd = -1;
		run_in_flight = 0;
		return;
	}
	while ((r = imsg_get(&engine_ib, &m)) == 1)
		if (imsg_dispatch(engine_rules,
			sizeof(engine_rules) / sizeof(engine_rules[0]), &m,
			NULL, why, sizeof(why)) == -1)
			fatalx("from the engine: %s", why);
	if (r == -1)
		fatalx("malformed message stream from the engine");
}

static void
read_parent(void)
{
	struct imsg m;
	ssize_t n = imsg_read(&parent_ib);
	int r;

	if (n == 0)
		exit(0); /* the parent is gone: so are we */
	if (n < 0 && errno != EAGAIN)
		fatal("reading from the parent");
	while ((r = imsg_get(&parent_ib, &m)) == 1)
		if (!handle_parent_async(&m))
			fatalx("unpermitted message %s from the parent",
			    imsg_type_name(m.hdr.type));
	if (r == -1)
		fatalx("malformed message stream from the parent");
}

#ifdef DOCKERUP_TEST_HOOKS
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Test-only: with DOCKERUP_TEST_CONNECT=PATH the sandboxed fetcher tries
 * to connect to the unix socket PATH (the Docker socket, in the tests) and
 * logs the outcome, which must be a refusal.
 */
static void
test_hook_connect(void)
{
	const char *path = getenv("DOCKERUP_TEST_CONNECT");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL || strlen(path) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("test hook: socket for %s", path);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		log_warn("test hook: connect %s refused", path);
	else
		log_warnx("test hook: connect %s SUCCEEDED", path);
	close(fd);
}
#else
static void
test_hook_connect(void)
{
}
#endif

/* Privileges went first (fetcher_main); this restricts what is left. */
static void
fetcher_sandbox(void)
{
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	proc_die_with_parent(); /* the drop to --user cleared it */
	/* No network: user-data's loader alone has it (udproc.c). */
	sandbox_seccomp(SANDBOX_FETCHER, settings.seccomp, 0);
	sandbox_test_violation(SANDBOX_FETCHER);
	test_hook_connect();
}

/*
 * Last good copies go to the parent, which keeps them where only root can
 * read or write (src/parent/lastgood.c): this process's account owns
 * nothing in the cache.
 */
static void
sink_put(void *ctx, const unsigned char *p, size_t len)
{
	if (imsg_compose(&parent_ib, IMSG_LASTGOOD_PUT, p, len) == -1)
		log_warn("handing a last good copy to the parent");
}

static void
sink_del(void *ctx, const char *name)
{
	if (imsg_compose(&parent_ib, IMSG_LASTGOOD_DEL, name, strlen(name)) ==
	    -1)
		log_warn("asking the parent to forget the copy of %s", name);
}

static const struct lastgood_sink parent_sink = {
	.put = sink_put,
	.del = sink_del,
	.ctx = NULL,
};

#ifdef DOCKERUP_TEST_HOOKS
/*
 * Test-only: with DOCKERUP_TEST_FORGE_LASTGOOD=PATH the fetcher plays a
 * compromised one after each load: it hands the parent a last good copy
 * of the confdir file PATH declaring a privileged container of image
 * DOCKERUP_TEST_FORGE_IMAGE, which the parent must refuse.
 */
static void
test_hook_forge(void)
{
	const char *path = getenv("DOCKERUP_TEST_FORGE_LASTGOOD");
	const char *image = getenv("DOCKERUP_TEST_FORGE_IMAGE");
	struct wire_lastgood w = { .form = WIRE_LG_FILE, .since = 1 };
	char doc[1024];
	struct buf b;

	if (path == NULL || image == NULL)
		return;
	snprintf(doc, sizeof(doc),
	    "{\"name\": \"forged\", \"image\": \"%s\", "
	    "\"privileged\": true}",
	    image);
	w.name = (char *)path;
	w.text = doc;
	w.len = strlen(doc);
	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_lastgood(&w, &b) == 0) {
		log_warnx("test hook: a forged last good copy of %s", path);
		sink_put(NULL, b.p, b.len);
	}
	buf_free(&b);
}
#else
static void
test_hook_forge(void)
{
}
#endif

/* Whether a copy the parent kept is user-data's or etcd's: the loader's
 * to parse. */
static int
is_loader_copy(const struct imsg *m)
{
	struct wire_lastgood lg;
	char err[256];
	int is;

	if (wire_decode_lastgood(m->data, m->len, &lg, err, sizeof(err)) == -1)
		return 0; /* refused below, with the reason */
	is = (lg.form == WIRE_LG_USERDATA && settings.aws) ||
	    (lg.form == WIRE_LG_ETCD && settings_etcd_on(&settings));
	wire_lastgood_free(&lg);
	return is;
}

/*
 * At start: the copies the parent kept, each validated again (user-data's
 * by the loader).
 */
static void
restore_lastgood(struct fetch_state *fs)
{
	const char *why;
	struct imsg m;
	size_t n = 0, refused = 0;

	if (imsg_compose(&parent_ib, IMSG_READ_LASTGOOD, NULL, 0) == -1)
		fatal("asking the parent for the last good copies");
	for (;;) {
		wait_parent_reply(&m);
		if (m.hdr.type == IMSG_LASTGOOD_END && m.len == 0)
			break;
		if (m.hdr.type != IMSG_LASTGOOD || n >= MAX_LASTGOOD_COPIES)
			fatalx("unexpected %s while reading last good copies",
			    imsg_type_name(m.hdr.type));
		n++;
		if (is_loader_copy(&m)) {
			udproc_restore(&loader, m.data, m.len);
			continue;
		}
		if (fetch_state_restore(fs, m.data, m.len, &why) == -1) {
			log_warnx("a last good copy kept by the parent is "
				  "not used: %s",
			    why);
			refused++;
		}
	}
	log_debug("last good copies: %zu restored, %zu refused", n - refused,
	    refused);
}

int
fetcher_main(void)
{
	const struct lastgood_sink *sink;
	struct fetch_state *fs;

	log_init("fetcher", 0);
	imsg_init(&parent_ib, PARENT_FD, PROC_FETCHER);
	imsg_accept_fds(&parent_ib);
	engine_ib.fd = -1;
	set_engine_socket(PEER_FD);
	/* The settings come from the parent's socket: the one thing read
	 * as root, since they name the account. */
	proc_receive_settings(&parent_ib, &settings);
	log_init("fetcher", settings.verbose);
	/* Privilege drop first, as ntpd: nothing is loaded or read as root. */
	if (geteuid() == 0 || getuid() == 0)
		sandbox_drop_to_user(settings.user);
	/* --check changes nothing, last good copies included. */
	sink = settings.mode == MODE_CHECK ? NULL : &parent_sink;
	/* What the network sends is handled in a process of its own. */
	if (loader_on()) {
		udproc_start(&loader, &settings, &parent_file_ops, sink);
		loader.to_engine = to_engine;
	}
	fs = fetch_state_new(sink);
	fetcher_sandbox();
	if (settings.mode != MODE_CHECK)
		restore_lastgood(fs);
	if (imsg_compose(&parent_ib, IMSG_READY, NULL, 0) == -1)
		fatal("telling the parent");
	schedule_init(&sched, settings.interval);
	for (;;) {
		/* The interval counts from the end of the last run. */
		if (reload_pending ||
		    (settings.mode == MODE_SERVER && !run_in_flight &&
			mono_ms() >= next_load_ms)) {
			reload_pending = 0;
			load_and_send(fs);
			test_hook_forge();
			run_in_flight = engine_ib.fd != -1;
			next_load_ms = mono_ms() + schedule_wait_ms(&sched);
		}
		/* The etcd watch: the loader says when etcd changed. */
		struct pollfd pfd[3] = {
			{ .fd = parent_ib.fd, .events = POLLIN },
			{ .fd = engine_ib.fd, .events = POLLIN },
			{ .fd = loader_on() ? udproc_fd(&loader) : -1,
			    .events = POLLIN },
		};
		int ms = -1;
		long long left = next_load_ms - mono_ms();
		if (settings.mode == MODE_SERVER && !run_in_flight)
			ms = left > 0 ? (int)left : 0;
		if (poll(pfd, 3, ms) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_parent();
		if (engine_ib.fd != -1 &&
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_engine();
		if (pfd[2].fd != -1 &&
		    (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    udproc_read_watch(&loader)) {
			log_info("etcd changed: loading the definitions again");
			reload_pending = 1;
		}
	}
	fetch_state_free(fs);
	return 0;
}
