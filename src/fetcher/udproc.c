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
#include "fetch.h"
#include "imsg.h"
#include "lastgood.h"
#include "log.h"
#include "policy.h"
#include "proc.h"
#include "sandbox.h"
#include "wire.h"

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
 * compromised one: it labels every user-data definition as coming from
 * the confdir file PATH and makes it privileged.  The fetcher and the
 * engine must still treat them as user-data.
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
		if ((p->st.defs[i].source = strdup(path)) == NULL)
			fatal("strdup");
		p->st.defs[i].privileged = 1;
	}
	for (size_t i = 0; i < p->st.nsources; i++) {
		free(p->st.sources[i].name);
		if ((p->st.sources[i].name = strdup(path)) == NULL)
			fatal("strdup");
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

static void __attribute__((noreturn))
loader_main(int fd, pid_t fetcher, const struct settings *s)
{
	struct fetch_state *fs;
	const char *why;
	char err[1024];
	struct imsg m;
	int r;

	/* Nothing of the fetcher's: not its parent's, not the engine's. */
	close(PARENT_FD);
	close(PEER_FD);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("prctl PR_SET_PDEATHSIG");
	if (getppid() != fetcher)
		_exit(0); /* the fetcher died before we could watch it */
	log_init("udloader", s->verbose);
	if (imsg_init(&up_ib, fd, PROC_UDLOADER) == -1)
		fatal("imsg_init");
	if (fetch_preinit(err, sizeof(err)) == -1)
		fatalx("%s", err);
	fs = fetch_state_new(s->mode == MODE_CHECK ? NULL : &up_sink);
	sandbox_caps_clear_all();
	sandbox_no_new_privs();
	sandbox_seccomp(
	    SANDBOX_FETCHER, s->seccomp, sandbox_features(SANDBOX_FETCHER, s));
	sandbox_test_inet("udloader");
	for (;;) {
		if ((r = imsg_wait(&up_ib, &m, -1)) == 0)
			_exit(0); /* the fetcher is gone: so are we */
		if (r == -1)
			fatal("user-data loader: reading from the fetcher");
		if (m.hdr.type == IMSG_UD_RESTORE) {
			if (fetch_state_restore(fs, m.data, m.len, &why) == -1)
				log_warnx("a last good copy kept by the parent "
					  "is not used: %s",
				    why);
		} else if (m.hdr.type == IMSG_UD_LOAD && m.len == 0) {
			struct ud_part p;
			ud_part_init(&p);
			fetch_load_userdata(fs, s, &up_ops, &p);
			up_answer(&p);
			ud_part_free(&p);
		} else
			fatalx("user-data loader: unpermitted %s",
			    imsg_type_name(m.hdr.type));
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
	if (imsg_init(&u->ib, sv[0], PROC_FETCHER) == -1)
		fatal("imsg_init");
	u->pid = pid;
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

/* A last good copy the loader hands on: of user-data, or nothing. */
static void
pass_lastgood(struct udproc *u, const struct imsg *m)
{
	struct wire_lastgood lg;
	char err[256];

	if (m->hdr.type == IMSG_LASTGOOD_DEL) {
		if (m->len != strlen(WIRE_USERDATA_SOURCE) ||
		    memcmp(m->data, WIRE_USERDATA_SOURCE, m->len) != 0)
			fatalx("user-data loader: forgetting another source");
		if (u->sink != NULL)
			u->sink->del(u->sink->ctx, WIRE_USERDATA_SOURCE);
		return;
	}
	if (wire_decode_lastgood(m->data, m->len, &lg, err, sizeof(err)) == -1)
		fatalx("user-data loader: last good copy: %s", err);
	if (strcmp(lg.name, WIRE_USERDATA_SOURCE) != 0 ||
	    lg.form != WIRE_LG_USERDATA)
		fatalx("user-data loader: a last good copy of another source");
	wire_lastgood_free(&lg);
	if (u->sink != NULL)
		u->sink->put(u->sink->ctx, m->data, m->len);
}

static void
take_defn(struct ud_part *p, const struct imsg *m)
{
	struct defn d;
	char err[256], *prefix, **nv;

	if (p->st.ndefs >= MAX_DEFINITIONS)
		fatalx("user-data loader: more than %d definitions",
		    MAX_DEFINITIONS);
	if (wire_decode_ud_defn(
		m->data, m->len, &prefix, &d, err, sizeof(err)) == -1)
		fatalx("user-data loader: definition: %s", err);
	if ((nv = realloc(p->prefix, (p->st.ndefs + 1) * sizeof(*nv))) == NULL)
		fatal("%s", __func__);
	p->prefix = nv;
	nv[p->st.ndefs] = prefix;
	if (desired_state_add(&p->st, &d) == -1)
		fatal("%s", __func__);
}

static void
take_source(struct ud_part *p, const struct imsg *m)
{
	struct source_status s;
	char err[256];

	if (p->st.nsources > 0)
		fatalx("user-data loader: more than one source");
	if (wire_decode_source(m->data, m->len, &s, err, sizeof(err)) == -1)
		fatalx("user-data loader: source: %s", err);
	if ((p->st.sources = malloc(sizeof(s))) == NULL)
		fatal("%s", __func__);
	p->st.sources[p->st.nsources++] = s;
}

static void
take_err(struct ud_part *p, const struct imsg *m)
{
	char err[256], *field, *msg;

	if (p->errs.n >= MAX_UD_ERRORS)
		fatalx(
		    "user-data loader: more than %d problems", MAX_UD_ERRORS);
	if (wire_decode_cfgerr(
		m->data, m->len, &field, &msg, err, sizeof(err)) == -1)
		fatalx("user-data loader: problem: %s", err);
	errlist_add(
	    &p->errs, WIRE_USERDATA_SOURCE, field ? field : "", "%s", msg);
	free(field);
	free(msg);
}

static void
take_end(struct ud_part *p, const struct imsg *m)
{
	struct wire_ud_end end;

	if (m->len != sizeof(end))
		fatalx("user-data loader: UD_END of %zu bytes", m->len);
	memcpy(&end, m->data, sizeof(end));
	if (end.invalid > 1 || end.unreachable > 1 || end.complete > 1 ||
	    p->st.nsources != 1)
		fatalx("user-data loader: malformed UD_END");
	p->invalid = (int)end.invalid;
	p->unreachable = (int)end.unreachable;
	p->st.complete = (int)end.complete;
}

/*
 * The loader is the fetcher's own process: one that breaks the protocol
 * or takes longer than any answer can is taken for compromised or stuck,
 * and the fetcher ends (the parent starts both again).
 */
void
udproc_load(void *ctx, const struct settings *s, struct ud_part *out)
{
	struct udproc *u = ctx;
	struct imsg m;
	int r;

	(void)s;
	if (imsg_compose(&u->ib, IMSG_UD_LOAD, NULL, 0) == -1)
		fatal("asking the user-data loader");
	for (;;) {
		r = imsg_wait(&u->ib, &m, UD_LOADER_WAIT_MS);
		if (r == 0)
			fatalx("the user-data loader is gone");
		if (r == -1)
			fatal("waiting for the user-data loader");
		if (m.fd != -1)
			fatalx("user-data loader: a descriptor");
		switch (m.hdr.type) {
		case IMSG_READ_PROFILE:
			serve_profile(u, &m);
			break;
		case IMSG_LASTGOOD_PUT:
		case IMSG_LASTGOOD_DEL:
			pass_lastgood(u, &m);
			break;
		case IMSG_UD_SOURCE:
			take_source(out, &m);
			break;
		case IMSG_UD_DEFN:
			take_defn(out, &m);
			break;
		case IMSG_UD_ERR:
			take_err(out, &m);
			break;
		case IMSG_UD_END:
			take_end(out, &m);
			return;
		default:
			fatalx("user-data loader: unpermitted %s",
			    imsg_type_name(m.hdr.type));
		}
	}
}
