/*
 * The user-data loader: the one process that handles what the network
 * sends.  The fetcher forks it after dropping privileges and before
 * either installs its filter; the loader alone loads libcurl, talks to
 * the metadata service, and parses and validates user-data.  It answers
 * the fetcher with encoded definitions (wire.c), which the fetcher
 * decodes as strictly as the engine decodes the fetcher and labels
 * user-data itself.  So a parser bug that hands user-data's author this
 * process gains a process that can only ever speak for user-data: the
 * trust policy of remote sources applies to all it sends, in the fetcher
 * and again in the engine; it cannot read the confdir, reach the parent
 * or the engine, or claim to be a local file.  The fetcher, which speaks
 * for the confdir, has no network at all.
 *
 * Fetcher -> loader: IMSG_UD_RESTORE (a last good copy of user-data, at
 * start), IMSG_UD_LOAD.  Loader -> fetcher, for each load:
 * IMSG_READ_PROFILE (answered with IMSG_FILE / IMSG_FILE_ERR, a profile
 * by name only), IMSG_LASTGOOD_PUT / _DEL (passed on to the parent when
 * they concern user-data), then IMSG_UD_SOURCE, IMSG_UD_DEFN...,
 * IMSG_UD_ERR..., IMSG_UD_END.
 */
#include "udproc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounds.h"
#include "etcd.h"
#include "fetch.h"
#include "imsg.h"
#include "lastgood.h"
#include "log.h"
#include "policy.h"
#include "proc.h"
#include "rolling.h"
#include "sandbox.h"
#include "wire.h"
#include "xalloc.h"

_Static_assert(UD_LOADER_WAIT_MS > 2 * IMDS_RETRIES *
	    (IMDS_TIMEOUT_MS + (IMDS_BACKOFF_MS << IMDS_RETRIES)),
    "the fetcher waits longer than a whole user-data fetch may take");

/* ---- the loader ---- */

static struct imsgbuf up_ib; /* the loader's channel to the fetcher */

static void
up_send(uint32_t type, const void *p, size_t len)
{
	if (imsg_compose(&up_ib, type, p, len) == -1)
		fatal("user-data loader: sending %s", imsg_type_name(type));
}

static void
up_put(void *ctx, const unsigned char *p, size_t len)
{
	(void)ctx;
	up_send(IMSG_LASTGOOD_PUT, p, len);
}

static void
up_del(void *ctx, const char *name)
{
	(void)ctx;
	up_send(IMSG_LASTGOOD_DEL, name, strlen(name));
}

static const struct lastgood_sink up_sink = {
	.put = up_put,
	.del = up_del,
	.ctx = NULL,
};

/* A profile by name, read by the parent through the fetcher. */
static int
up_read_file(void *ctx, const char *ref, struct buf *out)
{
	struct wire_file wf;
	struct imsg m;
	int r;

	(void)ctx;
	up_send(IMSG_READ_PROFILE, ref, strlen(ref));
	r = imsg_wait(&up_ib, &m, UD_LOADER_WAIT_MS);
	if (r == 0)
		_exit(0); /* the fetcher is gone */
	if (r == -1 ||
	    (m.hdr.type != IMSG_FILE && m.hdr.type != IMSG_FILE_ERR) ||
	    wire_decode_file(m.data, m.len, &wf) == -1)
		fatalx("user-data loader: no profile %s from the fetcher", ref);
	if (m.hdr.type == IMSG_FILE_ERR) {
		errno = wf.err ? wf.err : EIO;
		return -1;
	}
	return wf.len > 0 ? buf_append(out, wf.data, wf.len) : 0;
}

static const struct file_ops up_ops = {
	.read_file = up_read_file,
};

#ifdef DOCKERUP_TEST_HOOKS
/*
 * Test-only: with DOCKERUP_TEST_UD_IMPERSONATE=PATH the loader plays a
 * compromised one: it labels every user-data (or etcd) definition as
 * coming from the confdir file PATH and makes it privileged.  The fetcher
 * and the engine must still treat them as user-data; the fetcher takes a
 * loader that names another source than etcd's for compromised.
 */
static void
test_hook_impersonate(struct ud_part *p)
{
	const char *path = getenv("DOCKERUP_TEST_UD_IMPERSONATE");

	if (path == NULL)
		return;
	log_warnx("test hook: user-data claims to come from %s", path);
	for (size_t i = 0; i < p->st.ndefs; i++) {
		free(p->st.defs[i].source);
		p->st.defs[i].source = xstrdup(path);
		p->st.defs[i].privileged = 1;
	}
	for (size_t i = 0; i < p->st.nsources; i++) {
		free(p->st.sources[i].name);
		p->st.sources[i].name = xstrdup(path);
	}
}
#else
static void
test_hook_impersonate(struct ud_part *p)
{
	(void)p;
}
#endif

static void
up_answer(struct ud_part *p)
{
	struct wire_ud_end end = {
		.invalid = p->invalid != 0,
		.unreachable = p->unreachable != 0,
		.complete = p->st.complete != 0,
	};
	struct buf b;

	test_hook_impersonate(p);
	buf_init(&b, IMSG_MAX_DATA);
	for (size_t i = 0; i < p->st.nsources; i++) {
		buf_reset(&b);
		if (wire_encode_source(&p->st.sources[i], &b) == -1)
			fatalx("user-data loader: source does not fit");
		up_send(IMSG_UD_SOURCE, b.p, b.len);
	}
	for (size_t i = 0; i < p->st.ndefs; i++) {
		buf_reset(&b);
		if (wire_encode_ud_defn(p->prefix[i], &p->st.defs[i], &b) == -1)
			fatalx("user-data loader: definition does not fit");
		up_send(IMSG_UD_DEFN, b.p, b.len);
	}
	for (size_t i = 0; i < p->errs.n && i < MAX_UD_ERRORS; i++) {
		buf_reset(&b);
		if (wire_encode_cfgerr(&p->errs.v[i], &b) == -1)
			fatalx("user-data loader: problem does not fit");
		up_send(IMSG_UD_ERR, b.p, b.len);
	}
	buf_free(&b);
	up_send(IMSG_UD_END, &end, sizeof(end));
}

/* etcd's answer: each source, then its definitions and problems. */
static void
up_answer_etcd(struct ud_part *p)
{
	struct wire_ud_end end = {
		.invalid = p->invalid != 0,
		.unreachable = p->unreachable != 0,
		.complete = p->st.complete != 0,
	};
	size_t nerr = 0;
	struct buf b;

	test_hook_impersonate(p);
	buf_init(&b, IMSG_MAX_DATA);
	for (size_t k = 0; k < p->st.nsources; k++) {
		const char *name = p->st.sources[k].name;
		buf_reset(&b);
		if (wire_encode_source(&p->st.sources[k], &b) == -1)
			fatalx("user-data loader: source does not fit");
		up_send(IMSG_UD_SOURCE, b.p, b.len);
		for (size_t i = 0; i < p->st.ndefs; i++) {
			if (strcmp(p->st.defs[i].source, name) != 0)
				continue;
			buf_reset(&b);
			if (wire_encode_ud_defn(
				p->prefix[i], &p->st.defs[i], &b) == -1)
				fatalx("user-data loader: definition does not "
				       "fit");
			up_send(IMSG_UD_DEFN, b.p, b.len);
		}
		/* Problems of no source of ours go with the first one. */
		for (size_t i = 0; i < p->errs.n && nerr < MAX_UD_ERRORS; i++) {
			int mine = strcmp(p->errs.v[i].where, name) == 0;
			int orphan = k == 0;
			for (size_t j = 0; j < p->st.nsources && orphan; j++)
				orphan = strcmp(p->errs.v[i].where,
					     p->st.sources[j].name) != 0;
			if (!mine && !orphan)
				continue;
			buf_reset(&b);
			if (wire_encode_cfgerr(&p->errs.v[i], &b) == -1)
				fatalx(
				    "user-data loader: problem does not fit");
			up_send(IMSG_UD_ERR, b.p, b.len);
			nerr++;
		}
	}
	buf_free(&b);
	up_send(IMSG_UD_END, &end, sizeof(end));
}

/* What the loader works with, for its handlers. */
struct loader_ctx {
	struct fetch_state *fs;
	const struct settings *s;
};

static int
on_restore(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;
	const char *why;

	if (fetch_state_restore(lc->fs, m->data, m->len, &why) == -1)
		log_warnx(
		    "a last good copy kept by the parent is not used: %s", why);
	return 0;
}

static int
on_ud_load(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;
	struct ud_part p;

	if (!lc->s->aws)
		return -1; /* user-data is off */
	ud_part_init(&p);
	fetch_load_userdata(lc->fs, lc->s, &up_ops, &p);
	up_answer(&p);
	ud_part_free(&p);
	return 0;
}

static int
on_etcd_load(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;
	struct ud_part p;

	if (!settings_etcd_on(lc->s))
		return -1; /* etcd is off */
	ud_part_init(&p);
	fetch_load_etcd(lc->fs, lc->s, &up_ops, &p);
	up_answer_etcd(&p);
	ud_part_free(&p);
	return 0;
}

static int
on_slot_ask(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;
	struct wire_slot_answer ans;
	struct wire_slot_ask a;
	char err[128];

	memcpy(&a, m->data, sizeof(a));
	if (!settings_etcd_on(lc->s) ||
	    wire_check_slot_ask(&a, err, sizeof(err)) == -1)
		return -1;
	memset(&ans, 0, sizeof(ans));
	rolling_ask(lc->s, &a, &ans);
	up_send(IMSG_SLOT_ANSWER, &ans, sizeof(ans));
	return 0;
}

static int
on_slot_done(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;
	struct wire_slot_answer ans;
	struct wire_slot_done d;
	char err[128];

	memcpy(&d, m->data, sizeof(d));
	if (!settings_etcd_on(lc->s) ||
	    wire_check_slot_done(&d, err, sizeof(err)) == -1)
		return -1;
	rolling_done(lc->s, &d);
	memset(&ans, 0, sizeof(ans));
	ans.seq = d.seq;
	ans.result = SLOT_RELEASED;
	up_send(IMSG_SLOT_ANSWER, &ans, sizeof(ans));
	return 0;
}

static int
on_slot_reset(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;

	rolling_reset(lc->s);
	return 0;
}

static int
on_fleet_host(void *ctx, struct imsg *m)
{
	struct loader_ctx *lc = ctx;

	struct wire_slot_answer ans;

	if (!settings_etcd_on(lc->s) || !wire_check_fleet_host(m->data, m->len))
		return -1;
	rolling_publish_host(
	    lc->s, m->data + WIRE_FLEET_HOST_SEQ, m->len - WIRE_FLEET_HOST_SEQ);
	memset(&ans, 0, sizeof(ans));
	memcpy(&ans.seq, m->data, sizeof(ans.seq));
	ans.result = SLOT_RELEASED;
	up_send(IMSG_SLOT_ANSWER, &ans, sizeof(ans));
	return 0;
}

/* What the fetcher may ask of its loader. */
static const struct imsg_rule loader_rules[] = {
	{ IMSG_UD_RESTORE, IMSG_FROM(PROC_FETCHER), IMSG_SIZE_ANY, 0,
	    on_restore },
	{ IMSG_UD_LOAD, IMSG_FROM(PROC_FETCHER), 0, 0, on_ud_load },
	{ IMSG_ETCD_LOAD, IMSG_FROM(PROC_FETCHER), 0, 0, on_etcd_load },
	{ IMSG_SLOT_ASK, IMSG_FROM(PROC_FETCHER), sizeof(struct wire_slot_ask),
	    0, on_slot_ask },
	{ IMSG_SLOT_DONE, IMSG_FROM(PROC_FETCHER),
	    sizeof(struct wire_slot_done), 0, on_slot_done },
	{ IMSG_SLOT_RESET, IMSG_FROM(PROC_FETCHER), 0, 0, on_slot_reset },
	{ IMSG_FLEET_HOST, IMSG_FROM(PROC_FETCHER), IMSG_SIZE_ANY, 0,
	    on_fleet_host },
};

/* How long the loader may wait for the fetcher: the watch's period, the
 * next keepalive of a rolling slot, or for ever. */
static int
loader_wait_ms(int watch)
{
	int k = rolling_next_ms();

	if (!watch)
		return k;
	return k != -1 && k < ETCD_WATCH_MS ? k : ETCD_WATCH_MS;
}

static void __attribute__((noreturn))
loader_main(int fd, pid_t fetcher, const struct settings *s)
{
	struct loader_ctx lc = { NULL, s };
	struct fetch_state *fs;
	char err[1024], why[160];
	struct imsg m;
	int r, watch = settings_etcd_on(s) && s->mode == MODE_SERVER;

	/* Nothing of the fetcher's: not its parent's, not the engine's. */
	close(PARENT_FD);
	close(PEER_FD);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("prctl PR_SET_PDEATHSIG");
	if (getppid() != fetcher)
		_exit(0); /* the fetcher died before we could watch it */
	log_init("udloader", s->verbose);
	imsg_init(&up_ib, fd, PROC_UDLOADER);
	if (fetch_preinit(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (settings_etcd_on(s) && etcd_preinit(s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	fs = lc.fs = fetch_state_new(s->mode == MODE_CHECK ? NULL : &up_sink);
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	sandbox_seccomp(
	    SANDBOX_FETCHER, s->seccomp, sandbox_features(SANDBOX_FETCHER, s));
	sandbox_test_inet("udloader");
	for (;;) {
		if ((r = imsg_wait(&up_ib, &m, loader_wait_ms(watch))) == 0)
			_exit(0); /* the fetcher is gone: so are we */
		if (r == -1 && errno == ETIMEDOUT) {
			rolling_tick(s);
			if (watch &&
			    (fetch_etcd_changed(fs, s) |
				rolling_watch_changed(s)))
				up_send(IMSG_ETCD_CHANGED, NULL, 0);
			continue;
		}
		if (r == -1)
			fatal("user-data loader: reading from the fetcher");
		if (imsg_dispatch(loader_rules,
			sizeof(loader_rules) / sizeof(loader_rules[0]), &m, &lc,
			why, sizeof(why)) == -1)
			fatalx("user-data loader: %s", why);
	}
}

/* ---- the fetcher's side ---- */

void
udproc_start(struct udproc *u, const struct settings *s,
    const struct file_ops *parent_ops, const struct lastgood_sink *sink)
{
	int sv[2];
	pid_t me = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair for the user-data loader");
	/* Reaped by the kernel: its death shows as EOF on the channel. */
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((pid = fork()) == -1)
		fatal("fork of the user-data loader");
	if (pid == 0) {
		close(sv[0]);
		loader_main(sv[1], me, s);
	}
	close(sv[1]);
	imsg_init(&u->ib, sv[0], PROC_FETCHER);
	u->pid = pid;
	u->settings = s;
	u->parent_ops = parent_ops;
	u->sink = sink;
}

void
udproc_restore(struct udproc *u, const unsigned char *p, size_t len)
{
	if (imsg_compose(&u->ib, IMSG_UD_RESTORE, p, len) == -1)
		fatal("handing a last good copy to the user-data loader");
}

/* The loader asked for a seccomp profile: by name only, never by path. */
static void
serve_profile(struct udproc *u, const struct imsg *m)
{
	struct wire_file wf = { 0 };
	char ref[MAX_PATH_LEN + 1];
	struct buf b, content;

	if (m->len == 0 || m->len > MAX_PATH_LEN ||
	    memchr(m->data, '\0', m->len) != NULL)
		fatalx("user-data loader: malformed READ_PROFILE");
	memcpy(ref, m->data, m->len);
	ref[m->len] = '\0';
	buf_init(&content, MAX_SECCOMP_PROFILE_SIZE);
	if (!policy_seccomp_ref_allowed(WIRE_USERDATA_SOURCE, ref))
		wf.err = EPERM;
	else if (u->parent_ops->read_file(u->parent_ops->ctx, ref, &content) ==
	    -1)
		wf.err = errno ? errno : EIO;
	wf.name = ref;
	wf.namelen = m->len;
	if (wf.err == 0) {
		wf.data = content.p;
		wf.len = content.len;
	}
	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_file(&wf, &b) == -1 ||
	    imsg_compose(
		&u->ib, wf.err ? IMSG_FILE_ERR : IMSG_FILE, b.p, b.len) == -1)
		fatal("answering the user-data loader");
	buf_free(&b);
	buf_free(&content);
}

/* "etcd:" and a key of ours (not the directory itself). */
static int
etcd_key_source(const struct udproc *u, const char *name)
{
	char *dir = settings_etcd_dir(u->settings);
	size_t n = strlen(ETCD_SOURCE_PREFIX);
	int ok = strncmp(name, ETCD_SOURCE_PREFIX, n) == 0 &&
	    settings_etcd_key_ok(dir, name + n, strlen(name + n));

	free(dir);
	return ok && settings_etcd_on(u->settings);
}

/* A last good copy the loader hands on: of user-data, of a key of ours in
 * etcd, or nothing. */
static void
pass_lastgood(struct udproc *u, const struct imsg *m)
{
	char err[256], name[MAX_PATH_LEN + 1];
	struct wire_lastgood lg;
	int ok;

	if (m->hdr.type == IMSG_LASTGOOD_DEL) {
		if (m->len == 0 || m->len > MAX_PATH_LEN ||
		    memchr(m->data, '\0', m->len) != NULL)
			fatalx("user-data loader: malformed LASTGOOD_DEL");
		memcpy(name, m->data, m->len);
		name[m->len] = '\0';
		/* A copy of a key of an earlier directory may go too. */
		if (strcmp(name, WIRE_USERDATA_SOURCE) != 0 &&
		    strncmp(name, ETCD_SOURCE_PREFIX,
			strlen(ETCD_SOURCE_PREFIX)) != 0)
			fatalx("user-data loader: forgetting another source");
		if (u->sink != NULL)
			u->sink->del(u->sink->ctx, name);
		return;
	}
	if (wire_decode_lastgood(m->data, m->len, &lg, err, sizeof(err)) == -1)
		fatalx("user-data loader: last good copy: %s", err);
	if (lg.form == WIRE_LG_ETCD)
		ok = etcd_key_source(u, lg.name);
	else
		ok = strcmp(lg.name, WIRE_USERDATA_SOURCE) == 0 &&
		    lg.form == WIRE_LG_USERDATA;
	if (!ok)
		fatalx("user-data loader: a last good copy of another source");
	wire_lastgood_free(&lg);
	if (u->sink != NULL)
		u->sink->put(u->sink->ctx, m->data, m->len);
}

/* One answer of the loader being read: user-data's, or etcd's. */
struct answer {
	struct udproc *u;
	struct ud_part *out;
	int etcd;        /* etcd's answer: sources are keys of ours */
	const char *cur; /* etcd: the source that follows, checked */
	int done;        /* UD_END was read */
};

static const char *
loader_name(const struct answer *a)
{
	return a->etcd ? "etcd loader" : "user-data loader";
}

/* Fatal for the caller: the loader broke the protocol. */
static int
refuse(const struct answer *a, const char *what)
{
	log_warnx("%s: %s", loader_name(a), what);
	return -1;
}

static int
on_changed(void *ctx, struct imsg *m)
{
	return 0; /* sent before this load, which sees it */
}

/* A slot's answer, for the engine: in form, whatever else comes. */
static int
pass_answer(struct udproc *u, struct imsg *m)
{
	struct wire_slot_answer a;
	char err[128];

	memcpy(&a, m->data, sizeof(a));
	if (wire_check_slot_answer(&a, err, sizeof(err)) == -1) {
		log_warnx("etcd loader: %s", err);
		return -1;
	}
	if (u->to_engine != NULL)
		u->to_engine(IMSG_SLOT_ANSWER, &a, sizeof(a));
	return 0;
}

static int
on_answer_slot(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;

	return pass_answer(a->u, m);
}

static int
on_profile(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;

	serve_profile(a->u, m);
	return 0;
}

static int
on_lastgood(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;

	pass_lastgood(a->u, m);
	return 0;
}

/* The name of what follows: the fetcher's, whatever the loader says. */
static const char *
current_name(const struct answer *a)
{
	return a->etcd ? a->cur : WIRE_USERDATA_SOURCE;
}

static int
on_source(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;
	struct ud_part *p = a->out;
	struct source_status s;
	char err[256];

	if (p->st.nsources > (a->etcd ? MAX_ETCD_KEYS : 0))
		return refuse(a, "too many sources");
	if (wire_decode_source(m->data, m->len, &s, err, sizeof(err)) == -1)
		return refuse(a, err);
	if (a->etcd && !settings_etcd_source_ok(a->u->settings, s.name)) {
		free(s.name);
		free(s.error);
		return refuse(a, "a source that is not ours");
	}
	for (size_t i = 0; a->etcd && i < p->st.nsources; i++)
		if (strcmp(p->st.sources[i].name, s.name) == 0) {
			free(s.name);
			free(s.error);
			return refuse(a, "the same source twice");
		}
	p->st.sources = xreallocarray(
	    p->st.sources, p->st.nsources + 1, sizeof(*p->st.sources));
	p->st.sources[p->st.nsources++] = s;
	a->cur = s.name;
	return 0;
}

static int
on_defn(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;
	struct ud_part *p = a->out;
	struct defn d;
	char err[256], *prefix;

	if (a->etcd && a->cur == NULL)
		return refuse(a, "a definition before its source");
	if (p->st.ndefs >= MAX_DEFINITIONS)
		return refuse(a, "too many definitions");
	if (wire_decode_ud_defn(
		m->data, m->len, &prefix, &d, err, sizeof(err)) == -1)
		return refuse(a, err);
	p->prefix = xreallocarray(p->prefix, p->st.ndefs + 1, sizeof(char *));
	p->prefix[p->st.ndefs] = prefix;
	free(d.source);
	d.source = xstrdup(current_name(a));
	desired_state_add(&p->st, &d);
	return 0;
}

static int
on_err(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;
	char err[256], *field, *msg;

	if (a->etcd && a->cur == NULL)
		return refuse(a, "a problem before its source");
	if (a->out->errs.n >= MAX_UD_ERRORS)
		return refuse(a, "too many problems");
	if (wire_decode_cfgerr(
		m->data, m->len, &field, &msg, err, sizeof(err)) == -1)
		return refuse(a, err);
	errlist_add(
	    &a->out->errs, current_name(a), field ? field : "", "%s", msg);
	free(field);
	free(msg);
	return 0;
}

static int
on_end(void *ctx, struct imsg *m)
{
	struct answer *a = ctx;
	struct ud_part *p = a->out;
	struct wire_ud_end end;

	memcpy(&end, m->data, sizeof(end));
	if (end.invalid > 1 || end.unreachable > 1 || end.complete > 1 ||
	    (a->etcd ? p->st.nsources < 1 : p->st.nsources != 1))
		return refuse(a, "malformed UD_END");
	p->invalid = (int)end.invalid;
	p->unreachable = (int)end.unreachable;
	p->st.complete = (int)end.complete;
	a->done = 1;
	return 0;
}

#define FROM_L IMSG_FROM(PROC_UDLOADER)

/* What the loader may send while it answers a load. */
static const struct imsg_rule answer_rules[] = {
	{ IMSG_ETCD_CHANGED, FROM_L, 0, 0, on_changed },
	{ IMSG_SLOT_ANSWER, FROM_L, sizeof(struct wire_slot_answer), 0,
	    on_answer_slot },
	{ IMSG_READ_PROFILE, FROM_L, IMSG_SIZE_ANY, 0, on_profile },
	{ IMSG_LASTGOOD_PUT, FROM_L, IMSG_SIZE_ANY, 0, on_lastgood },
	{ IMSG_LASTGOOD_DEL, FROM_L, IMSG_SIZE_ANY, 0, on_lastgood },
	{ IMSG_UD_SOURCE, FROM_L, IMSG_SIZE_ANY, 0, on_source },
	{ IMSG_UD_DEFN, FROM_L, IMSG_SIZE_ANY, 0, on_defn },
	{ IMSG_UD_ERR, FROM_L, IMSG_SIZE_ANY, 0, on_err },
	{ IMSG_UD_END, FROM_L, sizeof(struct wire_ud_end), 0, on_end },
};

/*
 * The loader is the fetcher's own process: one that breaks the protocol
 * or takes longer than any answer can is taken for compromised or stuck,
 * and the fetcher ends (the parent starts both again).
 */
static void
load_answer(struct udproc *u, uint32_t ask, int etcd, struct ud_part *out)
{
	struct answer a = { u, out, etcd, NULL, 0 };
	char why[160];
	struct imsg m;
	int r;

	if (imsg_compose(&u->ib, ask, NULL, 0) == -1)
		fatal("asking the %s", loader_name(&a));
	while (!a.done) {
		r = imsg_wait(&u->ib, &m, UD_LOADER_WAIT_MS);
		if (r == 0)
			fatalx("the user-data loader is gone");
		if (r == -1)
			fatal("waiting for the user-data loader");
		if (imsg_dispatch(answer_rules,
			sizeof(answer_rules) / sizeof(answer_rules[0]), &m, &a,
			why, sizeof(why)) == -1)
			fatalx("%s: %s", loader_name(&a), why);
	}
}

void
udproc_load(void *ctx, const struct settings *s, struct ud_part *out)
{
	load_answer(ctx, IMSG_UD_LOAD, 0, out);
}

/*
 * What the loader sends for etcd.  The name of each definition and
 * problem is the fetcher's: that of the source it follows, which was
 * checked to be one of ours, whatever the loader put in it.
 */
void
udproc_load_etcd(void *ctx, const struct settings *s, struct ud_part *out)
{
	load_answer(ctx, IMSG_ETCD_LOAD, 1, out);
}

int
udproc_fd(const struct udproc *u)
{
	return u->ib.fd;
}

void
udproc_pass(struct udproc *u, uint32_t type, const void *p, size_t len)
{
	if (imsg_compose(&u->ib, type, p, len) == -1)
		fatal("passing %s to the etcd loader", imsg_type_name(type));
}

/* Between loads: what changed, and the udproc. */
struct watch_ctx {
	struct udproc *u;
	int changed;
};

static int
on_watch_changed(void *ctx, struct imsg *m)
{
	((struct watch_ctx *)ctx)->changed = 1;
	return 0;
}

static int
on_watch_slot(void *ctx, struct imsg *m)
{
	return pass_answer(((struct watch_ctx *)ctx)->u, m);
}

/* The loader's own messages between loads: ETCD_CHANGED, slots' answers. */
static const struct imsg_rule watch_rules[] = {
	{ IMSG_ETCD_CHANGED, FROM_L, 0, 0, on_watch_changed },
	{ IMSG_SLOT_ANSWER, FROM_L, sizeof(struct wire_slot_answer), 0,
	    on_watch_slot },
};

int
udproc_read_watch(struct udproc *u)
{
	char why[160];
	struct imsg m;
	ssize_t n = imsg_read(&u->ib);
	struct watch_ctx w = { u, 0 };
	int r;

	if (n == 0)
		fatalx("the user-data loader is gone");
	if (n < 0 && errno != EAGAIN)
		fatal("reading from the user-data loader");
	while ((r = imsg_get(&u->ib, &m)) == 1)
		if (imsg_dispatch(watch_rules,
			sizeof(watch_rules) / sizeof(watch_rules[0]), &m, &w,
			why, sizeof(why)) == -1)
			fatalx("user-data loader: %s", why);
	if (r == -1)
		fatalx("malformed message stream from the user-data loader");
	return w.changed;
}
