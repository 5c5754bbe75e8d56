/*
 * Loading the desired state: every source (each confdir file, EC2
 * user-data) is parsed and validated on its own; a source that fails
 * falls back to its last good contents; the sources are merged, checked
 * as a whole and put in dependency order.  A run never claims to know
 * the whole state when it does not (the complete flag), so that nothing
 * is stopped for want of a definition.
 */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "curlso.h"

#include "bounds.h"
#include "defs.h"
#include "depgraph.h"
#include "digest.h"
#include "etcd.h"
#include "fields.h"
#include "lastgood.h"
#include "log.h"
#include "profile.h"
#include "policy.h"
#include "userdata.h"
#include "validate.h"
#include "wire.h"
#include "xalloc.h"

#define USERDATA_SOURCE WIRE_USERDATA_SOURCE
#define EMPTY_USERDATA  "{\"containers\": []}"

struct fetch_state {
	struct lastgood_set lastgood;
	struct imds_session imds;
	unsigned char
	    notjson_md[SHA256_LEN]; /* the non-JSON body last reported */
	int notjson_reported;
	int confdir_missing_reported;
	/* What the last etcd listing looked like, for the watch. */
	unsigned char etcd_md[SHA256_LEN];
	int etcd_seen; /* 0: nothing yet, 1: etcd_md, 2: unreachable */
};

/* One load in progress. */
struct run {
	struct fetch_state *fs;
	struct desired_state *out;
	struct errlist *errs;
	char **prefix;        /* field path prefix of each out->defs[i] */
	size_t *srcidx;       /* out->sources index of each out->defs[i] */
	int invalid;          /* some source is invalid: exit 2 */
	int unreachable;      /* some source is unreachable: exit 1 */
	int allow_permissive; /* settings.seccomp_allow_permissive */
};

int
fetch_preinit(char *err, size_t errlen)
{
	return curlso_load(err, errlen);
}

struct fetch_state *
fetch_state_new(const struct lastgood_sink *sink)
{
	struct fetch_state *fs = xcalloc(1, sizeof(*fs));

	lastgood_init(&fs->lastgood, sink);
	return fs;
}

int
fetch_state_restore(struct fetch_state *fs, const unsigned char *p, size_t len,
    const char **why)
{
	return lastgood_restore(&fs->lastgood, p, len, why);
}

void
fetch_state_free(struct fetch_state *fs)
{
	if (fs == NULL)
		return;
	lastgood_free(&fs->lastgood);
	imds_session_clear(&fs->imds);
	free(fs);
}

static struct source_status *
add_source(struct run *r, const char *name)
{
	struct desired_state *o = r->out;
	struct source_status *nv;

	nv = xreallocarray(o->sources, o->nsources + 1, sizeof(*nv));
	o->sources = nv;
	memset(&nv[o->nsources], 0, sizeof(*nv));
	nv[o->nsources].name = xstrdup(name);
	nv[o->nsources].health = SOURCE_OK;
	return &nv[o->nsources++];
}

/* The first problem of a source, for its status line. */
static void
set_error(struct source_status *st, const struct errlist *e, size_t from)
{
	char line[1200], *s;

	if (st->error != NULL || e->n <= from)
		return;
	cfgerr_format(&e->v[from], line, sizeof(line));
	if (e->n - from > 1)
		xasprintf(
		    &s, "%s (and %zu more problems)", line, e->n - from - 1);
	else
		s = xstrdup(line);
	st->error = s;
}

/*
 * A profile that allows every call is refused unless a setting says
 * otherwise (the engine checks it again).  The number of problems.
 */
static size_t
refuse_permissive(const struct run *r, const char *where,
    const struct defs_result *res, struct errlist *errs)
{
	char msg[600], field[128];
	size_t n = 0;

	for (size_t i = 0; i < res->n; i++) {
		const char *p = res->defs[i].seccomp;
		if (p == NULL || strcmp(p, "unconfined") == 0 ||
		    profile_check(p, r->allow_permissive, msg, sizeof(msg)) ==
			0)
			continue;
		snprintf(field, sizeof(field), "%s%ssecurityOpt",
		    res->prefix[i], res->prefix[i][0] ? "." : "");
		errlist_add(errs, where, field, "seccomp profile %s", msg);
		n++;
	}
	return n;
}

/*
 * Definitions the trust policy refused while parsing (they are not
 * added): reported, their source at fault, and the state incomplete, so
 * that their containers are not removed as orphans.
 */
static void
refuse_defs(struct run *r, const struct defs_result *res, size_t src)
{
	struct source_status *st = &r->out->sources[src];
	size_t before = r->errs->n;

	if (res->refusals.n == 0)
		return;
	for (size_t i = 0; i < res->refusals.n; i++)
		errlist_add(r->errs, res->refusals.v[i].where,
		    res->refusals.v[i].field, "%s", res->refusals.v[i].msg);
	set_error(st, r->errs, before);
	if (st->health == SOURCE_OK)
		st->health = SOURCE_FAILED;
	r->invalid = 1;
	r->out->complete = 0;
}

static void
add_defs(struct run *r, struct defs_result *res, size_t src)
{
	size_t n = r->out->ndefs + res->n + 1;

	r->prefix = xreallocarray(r->prefix, n, sizeof(*r->prefix));
	r->srcidx = xreallocarray(r->srcidx, n, sizeof(*r->srcidx));
	refuse_defs(r, res, src);
	for (size_t i = 0; i < res->n; i++) {
		if (res->refused != NULL && res->refused[i])
			continue; /* defs_result_free() frees it */
		r->prefix[r->out->ndefs] = res->prefix[i];
		r->srcidx[r->out->ndefs] = src;
		res->prefix[i] = NULL;
		desired_state_add(r->out, &res->defs[i]);
	}
}

/*
 * A source failed now: its last good contents stand in when there are
 * any; otherwise the state is incomplete.
 */
static void
fall_back(struct run *r, size_t src, int unreachable)
{
	struct source_status *st = &r->out->sources[src];
	const struct wire_lastgood *lg =
	    lastgood_find(&r->fs->lastgood, st->name);
	struct defs_result res;
	struct errlist e;

	defs_result_init(&res);
	if (unreachable)
		r->unreachable = 1;
	else
		r->invalid = 1;
	errlist_init(&e);
	if (lg != NULL && lastgood_replay(lg, &res, &e) == 0 &&
	    refuse_permissive(r, st->name, &res, &e) == 0) {
		st->health = SOURCE_STALE;
		st->good_since = lg->since;
		add_defs(r, &res, src);
		log_debug("%s: using the last good contents from %lld",
		    st->name, (long long)lg->since);
	} else {
		st->health = unreachable ? SOURCE_UNREACHABLE : SOURCE_FAILED;
		r->out->complete = 0;
	}
	defs_result_free(&res);
	errlist_free(&e);
}

/* Parses one document of a source; records it or falls back. */
static void
load_document(struct run *r, const char *name, enum doc_form form,
    const char *text, size_t len, const struct file_ops *ops)
{
	struct source_status *st = add_source(r, name);
	size_t src = r->out->nsources - 1, before = r->errs->n;
	struct defs_result res;
	const struct wire_lastgood *lg;

	defs_result_init(&res);
	if (defs_parse(name, text, len, form, ops, &res, r->errs) > 0 ||
	    refuse_permissive(r, name, &res, r->errs) > 0) {
		set_error(st, r->errs, before);
		defs_result_free(&res);
		fall_back(r, src, 0);
		return;
	}
	lg = lastgood_store(
	    &r->fs->lastgood, name, form, text, len, &res.profiles);
	st->good_since = lg->since;
	add_defs(r, &res, src);
	defs_result_free(&res);
}

static void
source_failed(struct run *r, const char *name, int unreachable, const char *msg)
{
	struct source_status *st = add_source(r, name);
	size_t before = r->errs->n;

	errlist_add(r->errs, name, "", "%s", msg);
	set_error(st, r->errs, before);
	fall_back(r, r->out->nsources - 1, unreachable);
}

static int
under_dir(const char *name, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(name, dir, n) == 0 && name[n] == '/' &&
	    strchr(name + n + 1, '/') == NULL;
}

static int
knows_files_under(const struct lastgood_set *set, const char *dir)
{
	for (size_t i = 0; i < set->n; i++)
		if (under_dir(set->v[i].name, dir))
			return 1;
	return 0;
}

/* The directory could not be listed: every known file stands in. */
static void
confdir_failed(struct run *r, const char *confdir, int err)
{
	struct lastgood_set *set = &r->fs->lastgood;

	char msg[512];

	if (err == E2BIG)
		snprintf(msg, sizeof(msg),
		    "has more than %d *.json files; "
		    "expected at most %d",
		    MAX_CONFDIR_FILES, MAX_CONFDIR_FILES);
	else if (err == ENOENT)
		snprintf(msg, sizeof(msg),
		    "is gone, but it held definitions "
		    "before; expected it back (create it empty to remove its "
		    "containers)");
	else
		snprintf(msg, sizeof(msg),
		    "cannot list the directory: %s; "
		    "expected a readable directory of *.json definitions",
		    strerror(err));
	source_failed(r, confdir, 0, msg);
	r->out->complete = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (!under_dir(set->v[i].name, confdir))
			continue;
		struct source_status *st = add_source(r, set->v[i].name);
		xasprintf(&st->error,
		    "%s: cannot be read (the directory cannot be listed)",
		    st->name);
		fall_back(r, r->out->nsources - 1, 0);
	}
}

static void
load_confdir(
    struct run *r, const struct settings *s, const struct file_ops *ops)
{
	struct confdir_listing l;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = ops->read_confdir(ops->ctx, s->confdir, &l);
	if (rc == -1 || l.err != 0) {
		int err = l.err ? l.err : EIO;
		if (err == ENOENT &&
		    knows_files_under(&r->fs->lastgood, s->confdir)) {
			/* Gone, not emptied (an unmounted volume?). */
			confdir_failed(r, s->confdir, err);
		} else if (err == ENOENT) {
			/* Nothing declared here: like an empty directory. */
			if (!r->fs->confdir_missing_reported)
				log_info("%s: no such directory; no local "
					 "definitions",
				    s->confdir);
			r->fs->confdir_missing_reported = 1;
		} else
			confdir_failed(r, s->confdir, err);
		confdir_listing_free(&l);
		return;
	}
	r->fs->confdir_missing_reported = 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct confdir_file *f = &l.files[i];
		char msg[512];
		if (f->err == EFBIG || f->err == E2BIG) {
			snprintf(msg, sizeof(msg),
			    "is larger than %d bytes; "
			    "expected a smaller definition file",
			    MAX_DOCUMENT_SIZE);
			source_failed(r, f->path, 0, msg);
		} else if (f->err != 0) {
			snprintf(msg, sizeof(msg),
			    "cannot be read: %s; "
			    "expected a readable file",
			    strerror(f->err));
			source_failed(r, f->path, 0, msg);
		} else
			load_document(r, f->path, DOC_FILE,
			    (const char *)f->data, f->len, ops);
	}
	confdir_listing_free(&l);
}

/* Whether the body differs from the non-JSON one last reported. */
static int
notjson_is_new(struct fetch_state *fs, const struct buf *text)
{
	unsigned char md[SHA256_LEN];
	int is_new;

	sha256(text->p, text->len, md);
	is_new = !fs->notjson_reported ||
	    memcmp(md, fs->notjson_md, SHA256_LEN) != 0;
	memcpy(fs->notjson_md, md, SHA256_LEN);
	fs->notjson_reported = 1;
	return is_new;
}

/*
 * A broken answer is not an empty answer: once user-data declared
 * containers, a body that is not a definition document (an HTML error
 * page served with 200, garbage) is an invalid source whose last good
 * contents stand in.  Logged once per distinct body; the status shows it.
 */
static void
userdata_broken(struct run *r, const struct buf *text, size_t had)
{
	struct source_status *st = add_source(r, USERDATA_SOURCE);

	xasprintf(&st->error,
	    "%s: the answer is %s (%zu bytes), not a definition "
	    "document, while the last good user-data declares %zu "
	    "container%s; expected JSON ({\"containers\": [...]}); "
	    "only a 404 or a document without containers removes them",
	    USERDATA_SOURCE, userdata_describe(text->p, text->len), text->len,
	    had, had == 1 ? "" : "s");
	if (notjson_is_new(r->fs, text))
		log_warnx("%s; keeping the last good contents", st->error);
	fall_back(r, r->out->nsources - 1, 0);
}

/*
 * A non-JSON body (a cloud-init script...) declares no container for
 * dockerup; logged once per change.
 */
static void
userdata_not_json(struct run *r, const struct buf *text)
{
	const struct wire_lastgood *lg =
	    lastgood_find(&r->fs->lastgood, USERDATA_SOURCE);
	size_t had = lg != NULL ? lastgood_count(lg) : 0;

	if (had > 0) {
		userdata_broken(r, text, had);
		return;
	}
	if (notjson_is_new(r->fs, text))
		log_warnx("user-data is %s (%zu bytes), not JSON: it declares "
			  "no container",
		    userdata_describe(text->p, text->len), text->len);
	load_document(r, USERDATA_SOURCE, DOC_USERDATA, EMPTY_USERDATA,
	    strlen(EMPTY_USERDATA), NULL);
}

static void
load_userdata_here(
    struct run *r, const struct settings *s, const struct file_ops *ops)
{
	char err[1024];
	struct buf body, text;

	buf_init(&body, MAX_DOCUMENT_SIZE);
	buf_init(&text, MAX_DOCUMENT_SIZE);
	switch (userdata_fetch(
	    &r->fs->imds, s->imds, s->imds_v1, &body, err, sizeof(err))) {
	case UD_FETCH_OK:
		break;
	case UD_FETCH_NONE:
		load_document(r, USERDATA_SOURCE, DOC_USERDATA, EMPTY_USERDATA,
		    strlen(EMPTY_USERDATA), NULL);
		goto out;
	case UD_FETCH_UNREACHABLE:
		source_failed(r, USERDATA_SOURCE, 1, err);
		goto out;
	case UD_FETCH_INVALID:
		source_failed(r, USERDATA_SOURCE, 0, err);
		goto out;
	}
	switch (userdata_decode(body.p, body.len, &text, err, sizeof(err))) {
	case UD_JSON:
		load_document(r, USERDATA_SOURCE, DOC_USERDATA,
		    (const char *)text.p, text.len, ops);
		break;
	case UD_EMPTY:
		load_document(r, USERDATA_SOURCE, DOC_USERDATA, EMPTY_USERDATA,
		    strlen(EMPTY_USERDATA), NULL);
		break;
	case UD_NOT_JSON:
		userdata_not_json(r, &text);
		break;
	case UD_BAD:
		source_failed(r, USERDATA_SOURCE, 0, err);
		break;
	}
out:
	if (body.p != NULL)
		explicit_bzero(body.p, body.len);
	if (text.p != NULL)
		explicit_bzero(text.p, text.len);
	buf_free(&body);
	buf_free(&text);
}

/* ---- fleet definitions from etcd (in the loader process) ---- */

static int
is_etcd_name(const char *name, const char *dirsrc)
{
	size_t n = strlen(dirsrc);

	return strncmp(name, dirsrc, n) == 0 && name[n] != '\0';
}

/*
 * etcd could not be listed: each key known from before stands in with its
 * last good contents, and the state is incomplete.
 */
static void
etcd_failed(struct run *r, const char *dirsrc, int unreachable, const char *msg)
{
	struct lastgood_set *set = &r->fs->lastgood;

	source_failed(r, dirsrc, unreachable, msg);
	r->out->complete = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (!is_etcd_name(set->v[i].name, dirsrc))
			continue;
		struct source_status *st = add_source(r, set->v[i].name);
		xasprintf(&st->error, "%s: cannot be read (%s)", st->name,
		    unreachable ? "etcd cannot be reached"
				: "etcd's answer is refused");
		fall_back(r, r->out->nsources - 1, unreachable);
	}
}

/* Copies of keys (of any directory) that the listing no longer has. */
static void
etcd_forget_gone(struct run *r, const struct etcd_kvs *kvs)
{
	struct lastgood_set *set = &r->fs->lastgood;
	size_t n = strlen(ETCD_SOURCE_PREFIX);

	for (size_t i = set->n; i-- > 0;) {
		const char *name = set->v[i].name;
		int keep = 0;
		if (strncmp(name, ETCD_SOURCE_PREFIX, n) != 0)
			continue;
		for (size_t k = 0; k < kvs->n && !keep; k++)
			keep = strcmp(kvs->v[k].key, name + n) == 0;
		if (!keep) {
			char *copy = xstrdup(name);
			lastgood_forget(set, copy);
			free(copy);
		}
	}
}

static void
load_etcd_here(
    struct run *r, const struct settings *s, const struct file_ops *ops)
{
	char err[1024], *dir = settings_etcd_dir(s), *dirsrc, *name;
	struct etcd_kvs kvs;
	enum etcd_result rc;

	xasprintf(&dirsrc, ETCD_SOURCE_PREFIX "%s", dir);
	rc = etcd_range(s, dir, 0, &kvs, err, sizeof(err));
	if (rc != ETCD_OK) {
		etcd_failed(r, dirsrc, rc == ETCD_UNREACHABLE, err);
		r->fs->etcd_seen = 2;
		goto out;
	}
	etcd_fingerprint(&kvs, r->fs->etcd_md);
	r->fs->etcd_seen = 1;
	(void)add_source(r, dirsrc);
	if (kvs.ignored > 0)
		log_warnx("%s: %zu key%s ignored: not a name of 1 to %d "
			  "printable characters",
		    dirsrc, kvs.ignored, kvs.ignored == 1 ? "" : "s",
		    MAX_ETCD_KEY_LEN);
	for (size_t i = 0; i < kvs.n; i++) {
		xasprintf(&name, ETCD_SOURCE_PREFIX "%s", kvs.v[i].key);
		if (kvs.v[i].too_large) {
			snprintf(err, sizeof(err),
			    "the value is larger than %d bytes; expected a "
			    "smaller definition document",
			    MAX_DOCUMENT_SIZE);
			source_failed(r, name, 0, err);
		} else
			load_document(r, name, DOC_FILE,
			    (const char *)kvs.v[i].value, kvs.v[i].len, ops);
		free(name);
	}
	etcd_forget_gone(r, &kvs);
out:
	etcd_kvs_free(&kvs);
	free(dirsrc);
	free(dir);
}

void
fetch_load_etcd(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct ud_part *out)
{
	struct run r = { fs, &out->st, &out->errs, NULL, NULL, 0, 0,
		s->seccomp_allow_permissive };

	load_etcd_here(&r, s, ops);
	out->prefix = r.prefix;
	free(r.srcidx);
	out->invalid = r.invalid;
	out->unreachable = r.unreachable;
}

int
fetch_etcd_changed(struct fetch_state *fs, const struct settings *s)
{
	unsigned char md[SHA256_LEN];
	char err[1024], *dir;
	struct etcd_kvs kvs;
	int seen, changed;

	dir = settings_etcd_dir(s);
	if (etcd_range(s, dir, 1, &kvs, err, sizeof(err)) == ETCD_OK) {
		etcd_fingerprint(&kvs, md);
		seen = 1;
	} else {
		memset(md, 0, sizeof(md));
		seen = 2;
	}
	etcd_kvs_free(&kvs);
	free(dir);
	changed = seen != fs->etcd_seen ||
	    (seen == 1 && memcmp(md, fs->etcd_md, SHA256_LEN) != 0);
	fs->etcd_seen = seen;
	memcpy(fs->etcd_md, md, SHA256_LEN);
	return changed;
}

void
ud_part_init(struct ud_part *p)
{
	memset(p, 0, sizeof(*p));
	desired_state_init(&p->st);
	p->st.complete = 1;
	errlist_init(&p->errs);
}

void
ud_part_free(struct ud_part *p)
{
	for (size_t i = 0; p->prefix != NULL && i < p->st.ndefs; i++)
		free(p->prefix[i]);
	free(p->prefix);
	desired_state_free(&p->st);
	errlist_free(&p->errs);
	memset(p, 0, sizeof(*p));
}

void
fetch_load_userdata(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct ud_part *out)
{
	struct run r = { fs, &out->st, &out->errs, NULL, NULL, 0, 0,
		s->seccomp_allow_permissive };

	load_userdata_here(&r, s, ops);
	out->prefix = r.prefix;
	free(r.srcidx);
	out->invalid = r.invalid;
	out->unreachable = r.unreachable;
}

/*
 * What the loader process sent, named by the fetcher: udproc.c named
 * every etcd source, definition and problem after the key it checked to
 * be ours.  User-data's are named here again (only): whatever the loader
 * says, its source is user-data, so that the trust policy of remote
 * sources applies to all of it (the loader parses what the network
 * sends, and may be compromised).
 */
static void
add_part(struct run *r, struct ud_part *p, const char *only)
{
	size_t base = r->out->nsources, n = r->out->ndefs + p->st.ndefs + 1;

	for (size_t i = 0; i < p->st.nsources && (!only || i < 1); i++) {
		struct source_status *st =
		    add_source(r, only ? only : p->st.sources[i].name);
		st->health = p->st.sources[i].health;
		st->good_since = p->st.sources[i].good_since;
		st->error = p->st.sources[i].error;
		p->st.sources[i].error = NULL;
	}
	if (only != NULL && p->st.nsources == 0)
		add_source(r, only); /* not expected: udproc.c requires one */
	for (size_t i = 0; i < p->errs.n; i++)
		errlist_add(r->errs, only ? only : p->errs.v[i].where,
		    p->errs.v[i].field, "%s", p->errs.v[i].msg);
	r->prefix = xreallocarray(r->prefix, n, sizeof(*r->prefix));
	r->srcidx = xreallocarray(r->srcidx, n, sizeof(*r->srcidx));
	for (size_t i = 0; i < p->st.ndefs; i++) {
		struct defn *d = &p->st.defs[i];
		size_t src = base;
		if (only != NULL) {
			free(d->source);
			d->source = xstrdup(only);
		}
		for (size_t k = 0; only == NULL && k < p->st.nsources; k++)
			if (strcmp(p->st.sources[k].name, d->source) == 0)
				src = base + k;
		r->prefix[r->out->ndefs] = p->prefix[i];
		r->srcidx[r->out->ndefs] = src;
		p->prefix[i] = NULL;
		desired_state_add(r->out, d);
	}
	r->invalid |= p->invalid;
	r->unreachable |= p->unreachable;
	if (!p->st.complete)
		r->out->complete = 0;
}

static void
load_userdata(
    struct run *r, const struct settings *s, const struct file_ops *ops)
{
	struct ud_part p;

	if (ops->load_userdata == NULL) {
		load_userdata_here(r, s, ops);
		return;
	}
	ud_part_init(&p);
	ops->load_userdata(ops->ctx, s, &p);
	add_part(r, &p, USERDATA_SOURCE);
	ud_part_free(&p);
}

static void
load_etcd(struct run *r, const struct settings *s, const struct file_ops *ops)
{
	struct ud_part p;

	if (ops->load_etcd == NULL) {
		load_etcd_here(r, s, ops);
		return;
	}
	ud_part_init(&p);
	ops->load_etcd(ops->ctx, s, &p);
	add_part(r, &p, NULL);
	ud_part_free(&p);
}

static void
drop_def(struct run *r, size_t i)
{
	struct desired_state *o = r->out;

	defn_free(&o->defs[i]);
	free(r->prefix[i]);
	memmove(&o->defs[i], &o->defs[i + 1],
	    (o->ndefs - i - 1) * sizeof(*o->defs));
	memmove(&r->prefix[i], &r->prefix[i + 1],
	    (o->ndefs - i - 1) * sizeof(*r->prefix));
	memmove(&r->srcidx[i], &r->srcidx[i + 1],
	    (o->ndefs - i - 1) * sizeof(*r->srcidx));
	o->ndefs--;
}

/* A definition dropped by a whole-state check: its source is at fault. */
static void
blame(struct run *r, size_t i, size_t before)
{
	struct source_status *st = &r->out->sources[r->srcidx[i]];

	set_error(st, r->errs, before);
	if (st->health == SOURCE_OK)
		st->health = SOURCE_FAILED;
	r->invalid = 1;
	r->out->complete = 0;
	drop_def(r, i);
}

static void
field(char *out, size_t len, const char *prefix, const char *f)
{
	snprintf(out, len, "%s%s%s", prefix, prefix[0] ? "." : "", f);
}

/* The same identity from two places: the first one stays. */
static void
merge_duplicates(struct run *r)
{
	struct desired_state *o = r->out;
	char path[300];

	for (size_t i = 1; i < o->ndefs; i++) {
		char *id = defn_identity(&o->defs[i]);
		for (size_t k = 0; k < i; k++) {
			char *other = defn_identity(&o->defs[k]);
			int same = strcmp(other, id) == 0;
			free(other);
			if (!same)
				continue;
			size_t before = r->errs->n;
			field(path, sizeof(path), r->prefix[i],
			    o->defs[i].name ? "name" : "image");
			errlist_add(r->errs, o->defs[i].source, path,
			    "\"%.64s\" is also declared in %s%s%s; expected "
			    "each container in one place",
			    id, o->defs[k].source,
			    r->prefix[k][0] ? " at " : "", r->prefix[k]);
			blame(r, i--, before);
			break;
		}
		free(id);
	}
}

/* One published host port of one definition, for prune_port_conflicts(). */
struct host_port {
	uint32_t key; /* port << 1 | udp */
	size_t def, port;
};

static int
host_port_cmp(const void *a, const void *b)
{
	const struct host_port *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->def != y->def)
		return x->def < y->def ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

/*
 * Two definitions that publish the same host port and protocol: dockerd
 * would refuse to start the second on every run, so it is refused here,
 * naming both.  The first one (in source order) stays.  A host-network
 * container publishes nothing.  O(P log P) over every published port.
 */
static void
prune_port_conflicts(struct run *r)
{
	struct desired_state *o = r->out;
	struct host_port *v = NULL;
	size_t n = 0, cap = 0, *err_at; /* per definition: its error + 1 */
	char path[300];

	err_at = xcalloc(o->ndefs + 1, sizeof(*err_at));
	for (size_t i = 0; i < o->ndefs; i++) {
		const struct defn *d = &o->defs[i];
		if (d->network != NULL && strcmp(d->network, "host") == 0)
			continue;
		for (size_t k = 0; k < d->nports; k++) {
			if (d->ports[k].host_port == 0)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] =
			    (struct host_port){ (uint32_t)d->ports[k].host_port
					    << 1 |
					(d->ports[k].udp ? 1u : 0u),
				    i, k };
		}
	}
	if (n > 1) /* qsort() takes no NULL, even with nothing to sort */
		qsort(v, n, sizeof(*v), host_port_cmp);
	/* run: where the entries with v[j]'s key start (sorted by key). */
	for (size_t j = 1, run = 0; j < n; j++) {
		if (v[j].key != v[run].key)
			run = j;
		const struct host_port *first = &v[run], *p = &v[j];
		if (first->def == p->def || err_at[p->def] != 0)
			continue;
		const struct defn *d = &o->defs[p->def],
				  *other = &o->defs[first->def];
		char *id = defn_identity(other);
		snprintf(path, sizeof(path), "%s%sportMappings[%zu].hostPort",
		    r->prefix[p->def], r->prefix[p->def][0] ? "." : "",
		    p->port);
		errlist_add(r->errs, d->source, path,
		    "%u/%s is also published by %.64s (%s%s%s); expected each "
		    "host port in one definition",
		    p->key >> 1, p->key & 1 ? "udp" : "tcp", id, other->source,
		    r->prefix[first->def][0] ? " at " : "",
		    r->prefix[first->def]);
		free(id);
		err_at[p->def] = r->errs->n;
	}
	free(v);
	for (size_t i = o->ndefs; i-- > 0;)
		if (err_at[i] != 0)
			blame(r, i, err_at[i] - 1);
	free(err_at);
}

/* The first reference of a definition that names no declared container. */
struct first_undeclared {
	const struct depgraph *g;
	char *path; /* its field path */
	size_t len;
	const char *name;
};

static int
first_undeclared(const struct defn_ref *ref, void *arg)
{
	struct first_undeclared *w = arg;

	if (depgraph_find(w->g, ref->name) >= 0)
		return 0;
	defn_ref_path(ref, w->path, w->len);
	w->name = ref->name;
	return 1;
}

/*
 * Drops definitions that name undeclared containers, pass after pass
 * (dropping one can leave another's reference dangling).
 */
static void
prune_undeclared(struct run *r)
{
	char f[128], path[400];
	struct depgraph g;
	size_t *err_at, dropped;

	do {
		dropped = 0;
		depgraph_build(&g, r->out->defs, r->out->ndefs, NULL, NULL);
		/* The graph points into defs: report first, drop after. */
		err_at = xcalloc(r->out->ndefs + 1, sizeof(size_t));
		for (size_t i = 0; i < r->out->ndefs; i++) {
			struct first_undeclared w = { &g, f, sizeof(f), NULL };
			if (defn_each_ref(
				&r->out->defs[i], first_undeclared, &w) == 0)
				continue;
			field(path, sizeof(path), r->prefix[i], f);
			err_at[i] = r->errs->n + 1;
			errlist_add(r->errs, r->out->defs[i].source, path,
			    "\"%.64s\" is not a declared container; expected "
			    "the name of a container defined in some source%s",
			    w.name,
			    r->out->complete ? ""
					     : " (or a source "
					       "failed to load)");
			dropped++;
		}
		depgraph_free(&g);
		for (size_t i = r->out->ndefs; i-- > 0;)
			if (err_at[i] != 0)
				blame(r, i, err_at[i] - 1);
		free(err_at);
	} while (dropped > 0);
}

/* Reports cycles with their whole path, then drops their members. */
static size_t
prune_cycles(struct run *r)
{
	struct desired_state *o = r->out;
	struct depgraph g;
	size_t nbad, before = r->errs->n;
	char *on_cycle, *bad;

	depgraph_build(&g, o->defs, o->ndefs, NULL, NULL);
	on_cycle = xcalloc(g.n + 1, 1);
	bad = xcalloc(o->ndefs + 1, 1);
	nbad = depgraph_mark_cycles(&g, on_cycle);
	for (size_t i = 0; i < g.n; i++)
		bad[g.def[i]] = on_cycle[i];
	depgraph_free(&g);
	free(on_cycle);
	if (nbad > 0) {
		/* The shared check names each cycle in full. */
		struct desired_state copy = *o;
		struct errlist e;
		errlist_init(&e);
		(void)state_validate_and_order(&copy, &e);
		for (size_t i = 0; i < e.n; i++)
			errlist_add(r->errs, e.v[i].where, e.v[i].field, "%s",
			    e.v[i].msg);
		errlist_free(&e);
		for (size_t i = o->ndefs; i-- > 0;)
			if (bad[i])
				blame(r, i, before);
	}
	free(bad);
	return nbad;
}

/*
 * The trust policy: a remote definition that asks for more than its
 * source may is dropped, with its source named at fault; the state is then
 * incomplete, so that its container (if any) is not removed as an orphan.
 */
static void
check_policy(struct run *r, const struct settings *s)
{
	for (size_t i = r->out->ndefs; i-- > 0;) {
		size_t before = r->errs->n;
		if (policy_check_defn(
			s, &r->out->defs[i], r->prefix[i], r->errs) > 0)
			blame(r, i, before);
	}
}

/* ...and reaches only containers of its own source. */
static void
check_reach(struct run *r, const struct settings *s)
{
	for (size_t i = r->out->ndefs; i-- > 0;) {
		size_t before = r->errs->n;
		if (policy_check_reach(s, r->out, i, r->prefix[i], r->errs) > 0)
			blame(r, i, before);
	}
}

/* The whole state: unique, every reference declared, no cycle, ordered. */
static void
check_whole(struct run *r, const struct settings *s)
{
	struct errlist e;

	check_policy(r, s);
	merge_duplicates(r);
	prune_port_conflicts(r);
	check_reach(r, s);
	do
		prune_undeclared(r); /* again after cycles are gone */
	while (prune_cycles(r) > 0);
	if (r->out->ndefs > MAX_DEFINITIONS) {
		errlist_add(r->errs, "desired state", "",
		    "%zu definitions in "
		    "all sources; expected at most %d",
		    r->out->ndefs, MAX_DEFINITIONS);
		r->invalid = 1;
		r->out->complete = 0;
		while (r->out->ndefs > 0)
			drop_def(r, r->out->ndefs - 1);
	}
	errlist_init(&e);
	if (state_validate_and_order(r->out, &e) > 0) {
		/* Not expected after the pruning above; apply nothing. */
		for (size_t i = 0; i < e.n; i++)
			errlist_add(r->errs, e.v[i].where, e.v[i].field, "%s",
			    e.v[i].msg);
		r->invalid = 1;
		r->out->complete = 0;
		while (r->out->ndefs > 0)
			drop_def(r, r->out->ndefs - 1);
	}
	errlist_free(&e);
}

/* Last good copies of sources that no longer exist are dropped. */
static void
forget_gone(struct run *r, const struct settings *s, int listed)
{
	struct lastgood_set *set = &r->fs->lastgood;

	for (size_t i = set->n; i-- > 0;) {
		const char *name = set->v[i].name;
		int keep = 0;
		if (strcmp(name, USERDATA_SOURCE) == 0)
			keep = s->aws;
		else if (!listed)
			keep = 1;
		else
			for (size_t k = 0; k < r->out->nsources && !keep; k++)
				keep = !strcmp(r->out->sources[k].name, name);
		if (!keep) {
			char *n = xstrdup(name);
			lastgood_forget(set, n);
			free(n);
		}
	}
}

int
fetch_load(struct fetch_state *fs, const struct settings *s,
    const struct file_ops *ops, struct desired_state *out, struct errlist *errs)
{
	struct run r = { fs, out, errs, NULL, NULL, 0, 0,
		s->seccomp_allow_permissive };
	int listed;

	out->complete = 1;
	load_confdir(&r, s, ops);
	listed = 1;
	for (size_t i = 0; i < out->nsources; i++)
		if (strcmp(out->sources[i].name, s->confdir) == 0)
			listed = 0;
	if (s->aws)
		load_userdata(&r, s, ops);
	if (settings_etcd_on(s))
		load_etcd(&r, s, ops);
	check_whole(&r, s);
	forget_gone(&r, s, listed);
	for (size_t i = 0; i < out->ndefs; i++)
		free(r.prefix[i]);
	free(r.prefix);
	free(r.srcidx);
	if (r.invalid)
		return 2;
	return r.unreachable ? 1 : 0;
}
