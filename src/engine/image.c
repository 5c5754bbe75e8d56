#include "image.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "bounds.h"
#include "clock.h"
#include "log.h"
#include "observe.h"
#include "xalloc.h"

static void
image_state_free(struct image_state *s)
{
	free(s->ref);
	imageref_free(&s->r);
	free(s->id);
	free(s->old_id);
	free(s->remote_digest);
}

void
image_cache_free(struct image_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		image_state_free(&c->v[i]);
	free(c->v);
	free(c->order);
	memset(c, 0, sizeof(*c));
}

/*
 * Where ref is, or would go, in c->order: a binary search, so that a run
 * costs O(log D) comparisons per definition for D distinct images.
 */
static size_t
image_cache_slot(const struct image_cache *c, const char *ref, int *found)
{
	size_t lo = 0, hi = c->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->v[c->order[mid]].ref, ref);
		if (r == 0) {
			*found = 1;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more entry; capacity doubles. */
static void
image_cache_grow(struct image_cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 16;

	if (c->n < c->cap)
		return;
	c->v = xreallocarray(c->v, cap, sizeof(*c->v));
	c->order = xreallocarray(c->order, cap, sizeof(*c->order));
	c->cap = cap;
}

static struct image_state *
image_cache_get(struct image_env *env, struct image_cache *c, const char *ref)
{
	struct image_state *s;
	const struct img *local;
	size_t at;
	int found;

	at = image_cache_slot(c, ref, &found);
	if (found)
		return &c->v[c->order[at]];
	image_cache_grow(c);
	s = &c->v[c->n];
	memset(s, 0, sizeof(*s));
	s->ref = xstrdup(ref);
	if (imageref_parse(ref, &s->r) == -1) {
		free(s->ref);
		return NULL;
	}
	memmove(
	    &c->order[at + 1], &c->order[at], (c->n - at) * sizeof(*c->order));
	c->order[at] = c->n++;
	if ((local = img_find(env->imgs, &s->r)) != NULL)
		s->id = xstrdup(local->id);
	return s;
}

static void image_plan(struct image_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
image_plan(struct image_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline_send(env->plan, env->plan_arg, fmt, ap);
	va_end(ap);
}

/* X-Registry-Auth for the image's registry, or NULL for none. */
static char *
image_auth(struct image_env *env, const struct image_state *s)
{
	int fail;
	char *h = regauth_header(env->auth, s->r.registry, &fail);

	if (fail)
		fatal("%s: X-Registry-Auth for %s", __func__, s->r.registry);
	return h;
}

/* A registry check's request: GET /distribution/{ref}/json. */
struct check_req {
	struct docker_req rq;
	char *path;
	char *auth;
};

static void
check_req_init(
    struct image_env *env, struct image_state *s, struct check_req *q)
{
	memset(q, 0, sizeof(*q));
	q->rq.method = "GET";
	q->auth = image_auth(env, s);
	xasprintf(&q->path, "/distribution/%s/json", s->ref);
	q->rq.path = q->path;
	q->rq.registry_auth = q->auth;
}

static void
check_req_free(struct check_req *q)
{
	free(q->path);
	regauth_header_free(q->auth);
	memset(q, 0, sizeof(*q));
}

/* Its answer: the manifest digest the tag points to, or -1 and s->err. */
static int
check_answer(struct image_env *env, struct image_state *s,
    const struct check_req *q, long st, const struct docker_resp *resp)
{
	cJSON *j, *d;
	int rc = -1;

	if (st == -1)
		env->lost = 1;
	if (st != 200)
		return -1;
	j = cJSON_ParseWithLength((const char *)resp->body.p, resp->body.len);
	d = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "Descriptor"), "digest");
	if (!cJSON_IsString(d) || !docker_image_id_valid(d->valuestring))
		snprintf(s->err, sizeof(s->err),
		    "GET %s: no Descriptor.digest in the answer (expected "
		    "sha256: and 64 lowercase hex digits)",
		    q->path);
	else {
		s->remote_digest = xstrdup(d->valuestring);
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

static int
image_remote_digest(struct image_env *env, struct image_state *s)
{
	struct check_req q;
	struct docker_resp resp;
	long st;
	int rc;

	check_req_init(env, s, &q);
	docker_resp_init(&resp);
	st = docker_request(env->dk, &q.rq, &resp, s->err, sizeof(s->err));
	rc = check_answer(env, s, &q, st, &resp);
	docker_resp_free(&resp);
	check_req_free(&q);
	return rc;
}

/* One layer of a pull, as its progress messages describe it. */
struct pull_layer {
	char id[72];
	double current, total;
	int done;
};

/* What a pull's progress stream says. */
struct pull_progress {
	char error[512];
	char status[256];
	unsigned layers; /* pulled ("Pull complete") */
	const char *ref;
	struct pull_layer v[MAX_PULL_LAYERS];
	size_t n;
	double shown;   /* when the line was last drawn */
	double started; /* when its first line came; 0: none */
	int live;       /* draws a live line (progress_tty, and
	                                the only pull in flight) */
};

/* Set before the sandbox: a live progress line only on a terminal. */
static int progress_tty;

void
image_progress_init(int enabled)
{
	progress_tty = enabled && isatty(STDERR_FILENO);
}

static struct pull_layer *
pull_layer(struct pull_progress *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return &p->v[i];
	if (p->n == MAX_PULL_LAYERS)
		return NULL;
	snprintf(p->v[p->n].id, sizeof(p->v[0].id), "%s", id);
	return &p->v[p->n++];
}

/* "REF: 2/5 layers, 12.3/40.1 MB" over the previous line, at most 10/s. */
static void
pull_draw(struct pull_progress *p, int last)
{
	double cur = 0, total = 0, t = mono_now();
	unsigned done = 0;

	if (!p->live || (!last && t - p->shown < PULL_PROGRESS_PERIOD_S))
		return;
	p->shown = t;
	for (size_t i = 0; i < p->n; i++) {
		done += p->v[i].done;
		cur += p->v[i].done ? p->v[i].total : p->v[i].current;
		total += p->v[i].total;
	}
	fprintf(stderr, "\r\033[Kpulling %s: %u/%zu layers, %.1f/%.1f MB%s",
	    p->ref, done, p->n, cur / 1e6, total / 1e6, last ? "\n" : "");
	fflush(stderr);
}

static void
pull_layer_line(struct pull_progress *p, const cJSON *j, const char *status)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "progressDetail");
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(d, "current");
	const cJSON *tot = cJSON_GetObjectItemCaseSensitive(d, "total");
	struct pull_layer *l;

	static const char *const layer_status[] = { "Pulling fs layer",
		"Waiting", "Downloading", "Verifying Checksum",
		"Download complete", "Extracting", "Pull complete",
		"Already exists" };
	size_t i;

	for (i = 0; i < sizeof(layer_status) / sizeof(*layer_status); i++)
		if (strcmp(status, layer_status[i]) == 0)
			break;
	if (i == sizeof(layer_status) / sizeof(*layer_status) ||
	    !cJSON_IsString(id) || (l = pull_layer(p, id->valuestring)) == NULL)
		return;
	if (strcmp(status, "Downloading") == 0 && cJSON_IsNumber(cur) &&
	    cJSON_IsNumber(tot)) {
		l->current = (double)docker_num_in(
		    cur->valuedouble, 0, DOCKER_NUM_MAX, 0);
		l->total = (double)docker_num_in(
		    tot->valuedouble, 0, DOCKER_NUM_MAX, 0);
	} else if (strcmp(status, "Pull complete") == 0 ||
	    strcmp(status, "Already exists") == 0)
		l->done = 1;
	pull_draw(p, 0);
}

static int
pull_line(const char *line, size_t len, void *arg)
{
	struct pull_progress *p = arg;
	cJSON *j = cJSON_ParseWithLength(line, len), *e, *st;

	if (p->started == 0)
		p->started = mono_now();
	if (j == NULL)
		return 0;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	st = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (cJSON_IsString(e))
		snprintf(p->error, sizeof(p->error), "%s", e->valuestring);
	if (cJSON_IsString(st)) {
		if (strcmp(st->valuestring, "Pull complete") == 0)
			p->layers++;
		else if (strncmp(st->valuestring, "Status:", 7) == 0 ||
		    strncmp(st->valuestring, "Digest:", 7) == 0)
			snprintf(p->status, sizeof(p->status), "%s",
			    st->valuestring);
		pull_layer_line(p, j, st->valuestring);
	}
	cJSON_Delete(j);
	return 0;
}

unsigned
image_pull_stream_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct pull_progress *p = xcalloc(1, sizeof(*p));
	const char *nl;
	unsigned layers;

	p->ref = "fuzz";
	while (len > 0) {
		size_t n =
		    (nl = memchr(text, '\n', len)) ? (size_t)(nl - text) : len;
		pull_line(text, n, p);
		text += n + (nl != NULL);
		len -= n + (nl != NULL);
	}
	snprintf(err, errlen, "%s", p->error);
	layers = p->layers;
	free(p);
	return layers;
}

/* GET /images/{ref}/json: the ID the reference names now. */
static int
image_inspect_id(struct image_env *env, struct image_state *s)
{
	struct docker_req rq = { .method = "GET" };
	struct docker_resp resp;
	char *path = NULL;
	cJSON *j = NULL, *id, *size;
	int rc = -1;
	long st;

	docker_resp_init(&resp);
	xasprintf(&path, "/images/%s/json", s->ref);
	rq.path = path;
	st = docker_request(env->dk, &rq, &resp, s->err, sizeof(s->err));
	if (st == -1)
		env->lost = 1;
	if (st != 200)
		goto done;
	j = cJSON_ParseWithLength((const char *)resp.body.p, resp.body.len);
	id = cJSON_GetObjectItemCaseSensitive(j, "Id");
	if (!cJSON_IsString(id) || !docker_image_id_valid(id->valuestring)) {
		snprintf(s->err, sizeof(s->err),
		    "GET %s: no image Id in the answer (expected sha256: and "
		    "64 lowercase hex digits)",
		    path);
		goto done;
	}
	size = cJSON_GetObjectItemCaseSensitive(j, "Size");
	s->size = cJSON_IsNumber(size)
	    ? (unsigned long long)docker_num_in(
		  size->valuedouble, 0, DOCKER_NUM_MAX, 0)
	    : 0;
	free(s->old_id);
	s->old_id = s->id;
	s->id = xstrdup(id->valuestring);
	rc = 0;
done:
	cJSON_Delete(j);
	docker_resp_free(&resp);
	free(path);
	return rc;
}

/*
 * Remembers the first registry that failed this run for the server's
 * back-off: a failed pull, or a check it refused with 429 (a check that
 * fails otherwise leaves the local image in use and the run going).
 * dockerd 20.10 does not pass a registry's 429 on as such: it answers
 * /distribution with 429 and /images/create with 500, both with the
 * message "toomanyrequests: <the registry's message>", and drops the
 * Retry-After header.
 */
static void
note_registry_fault(
    struct image_env *env, const struct image_state *s, int check)
{
	struct registry_fault *f = &env->fault;
	int limited = strstr(s->err, "toomanyrequests") != NULL ||
	    strstr(s->err, "429 Too Many Requests") != NULL;

	if (env->lost || f->failed || (check && !limited))
		return;
	f->failed = 1;
	f->rate_limited = limited;
	snprintf(f->registry, sizeof(f->registry), "%s", s->r.registry);
}

/* A pull's request: POST /images/create, its progress stream read line
 * by line into prog. */
struct pull_req {
	struct docker_req rq;
	struct pull_progress prog;
	char *path;
	char *auth;
};

static void
pull_req_init(struct image_env *env, struct image_state *s, struct pull_req *q)
{
	char *from, *tag;

	memset(q, 0, sizeof(*q));
	q->prog.ref = s->ref;
	q->prog.live = progress_tty;
	from = docker_escape(s->r.familiar);
	tag = docker_escape(s->r.digest ? s->r.digest : s->r.tag);
	q->auth = image_auth(env, s);
	xasprintf(&q->path, "/images/create?fromImage=%s&tag=%s", from, tag);
	free(from);
	free(tag);
	q->rq.method = "POST";
	q->rq.path = q->path;
	q->rq.registry_auth = q->auth;
	q->rq.timeout_s = DOCKER_PULL_TIMEOUT_S;
	q->rq.on_line = pull_line;
	q->rq.arg = &q->prog;
}

static void
pull_req_free(struct pull_req *q)
{
	free(q->path);
	regauth_header_free(q->auth);
	q->path = q->auth = NULL;
}

/* Its outcome: 0 with the new image ID in s, or -1 with s->err. */
static int
pull_answer(
    struct image_env *env, struct image_state *s, struct pull_req *q, long st)
{
	struct pull_progress *p = &q->prog;

	if (p->n > 0)
		pull_draw(p, 1);
	if (st == -1) {
		/* The run ends; say why (no answer, or one refused). */
		env->lost = 1;
		log_warnx("pull %s: %s", s->ref, s->err);
	}
	if (st == 200 && p->error[0] != '\0')
		snprintf(s->err, sizeof(s->err), "%s", p->error);
	else if (st == 200 && image_inspect_id(env, s) == 0) {
		env->pulled = 1;
		log_info("pulled %s in %.1fs: %.19s, %.1f MB, %u new layer%s",
		    s->ref, p->started ? mono_now() - p->started : 0.0, s->id,
		    s->size / 1e6, p->layers, p->layers == 1 ? "" : "s");
		return 0;
	}
	if (s->err[0] == '\0')
		snprintf(s->err, sizeof(s->err),
		    "the engine said the pull was done, but not which image it "
		    "made");
	note_registry_fault(env, s, 0);
	return -1;
}

static int
image_pull(struct image_env *env, struct image_state *s)
{
	struct pull_req *q = xmalloc(sizeof(*q));
	struct docker_resp resp;
	long st;
	int rc;

	pull_req_init(env, s, q);
	docker_resp_init(&resp);
	st = docker_request(env->dk, &q->rq, &resp, s->err, sizeof(s->err));
	rc = pull_answer(env, s, q, st);
	docker_resp_free(&resp);
	pull_req_free(q);
	free(q);
	return rc;
}

static void
image_fail(struct image_state *s, const char *what)
{
	char why[sizeof(s->err)];

	memcpy(why, s->err, sizeof(why));
	snprintf(
	    s->err, sizeof(s->err), "%s %.200s: %.700s", what, s->ref, why);
	s->failed = 1;
}

/* A check's outcome (rc from check_answer()): s->outdated set when the
 * tag moved; a failed check leaves the local image in use. */
static void
check_done(struct image_env *env, struct image_state *s, int rc)
{
	const struct img *local;

	if (rc == -1) {
		log_warnx("cannot check the registry for a newer %s: %s; "
			  "using the local image",
		    s->ref, s->err);
		note_registry_fault(env, s, 1);
		s->err[0] = '\0';
		env->check_failed = 1;
		return;
	}
	local = img_find(env->imgs, &s->r);
	if (local != NULL && strcmp(local->id, s->id) == 0 &&
	    img_has_digest(local, &s->r, s->remote_digest))
		return;
	s->outdated = 1;
}

/* Asks the registry once; sets s->outdated when the tag moved. */
static void
image_check(struct image_env *env, struct image_state *s)
{
	s->checked = 1;
	if (s->r.digest != NULL)
		return; /* a digest names one image forever */
	check_done(env, s, image_remote_digest(env, s));
}

/* ---- the same, for many images at once ---- */

/* The registry checks of the states v[idx[0..n)], all in one go. */
static void
prefetch_checks(
    struct image_env *env, struct image_cache *c, const size_t *idx, size_t n)
{
	struct docker_call *calls = xcalloc(n, sizeof(*calls));
	struct check_req *reqs = xcalloc(n, sizeof(*reqs));

	for (size_t k = 0; k < n; k++) {
		check_req_init(env, &c->v[idx[k]], &reqs[k]);
		calls[k].rq = reqs[k].rq;
		docker_resp_init(&calls[k].resp);
	}
	docker_request_many(env->dk, calls, n, REGISTRY_CHECK_PARALLEL);
	for (size_t k = 0; k < n; k++) {
		struct image_state *s = &c->v[idx[k]];
		snprintf(s->err, sizeof(s->err), "%s", calls[k].err);
		check_done(env, s,
		    check_answer(
			env, s, &reqs[k], calls[k].status, &calls[k].resp));
		docker_resp_free(&calls[k].resp);
		check_req_free(&reqs[k]);
	}
	free(calls);
	free(reqs);
}

/* The pulls of the states v[idx[0..n)], all in flight together. */
static void
prefetch_pulls(
    struct image_env *env, struct image_cache *c, const size_t *idx, size_t n)
{
	struct docker_call *calls = xcalloc(n, sizeof(*calls));
	struct pull_req *reqs = xcalloc(n, sizeof(*reqs));

	for (size_t k = 0; k < n; k++) {
		pull_req_init(env, &c->v[idx[k]], &reqs[k]);
		/* One live progress line cannot show several pulls. */
		if (n > 1)
			reqs[k].prog.live = 0;
		calls[k].rq = reqs[k].rq;
		docker_resp_init(&calls[k].resp);
	}
	docker_request_many(env->dk, calls, n, n);
	for (size_t k = 0; k < n; k++) {
		struct image_state *s = &c->v[idx[k]];
		snprintf(s->err, sizeof(s->err), "%s", calls[k].err);
		if (pull_answer(env, s, &reqs[k], calls[k].status) == -1)
			image_fail(s, "pull");
		docker_resp_free(&calls[k].resp);
		pull_req_free(&reqs[k]);
	}
	free(calls);
	free(reqs);
}

void
image_prefetch(struct image_env *env, struct image_cache *c,
    const char *const *refs, const int *checks, size_t n,
    const volatile sig_atomic_t *stop)
{
	struct image_state *s;
	size_t *idx, nq = 0;

	if (env->dry || n == 0)
		return;
	/* Every entry first: adding one may move the others. */
	for (size_t i = 0; i < n; i++)
		if (image_cache_get(env, c, refs[i]) == NULL)
			fatal("%s", __func__);
	idx = xcalloc(n, sizeof(*idx));
	for (size_t i = 0; i < n; i++) {
		s = image_cache_get(env, c, refs[i]);
		if (s->failed || s->checked || s->id == NULL || !checks[i])
			continue;
		s->checked = 1;
		if (s->r.digest == NULL) /* a digest names one image forever */
			idx[nq++] = (size_t)(s - c->v);
	}
	prefetch_checks(env, c, idx, nq);
	nq = 0;
	for (size_t i = 0; i < n; i++) {
		s = image_cache_get(env, c, refs[i]);
		if (s->failed)
			continue;
		if (s->id == NULL && !s->checked) {
			s->checked = 1;
			image_plan(
			    env, "pull %s (not present locally)", s->ref);
		} else if (s->outdated) {
			s->outdated = 0;
			image_plan(env, "pull %s (the registry has %.19s)",
			    s->ref, s->remote_digest);
		} else
			continue;
		idx[nq++] = (size_t)(s - c->v);
	}
	/* PULL_PARALLEL at a time, a stop request heard between them; what
	 * was not sent is left for image_resolve() as it was. */
	for (size_t k = 0; k < nq; k += PULL_PARALLEL) {
		size_t m = nq - k < PULL_PARALLEL ? nq - k : PULL_PARALLEL;
		if (*stop || env->lost) {
			for (; k < nq; k++) {
				s = &c->v[idx[k]];
				if (s->id == NULL)
					s->checked = 0;
				else
					s->outdated = 1;
			}
			break;
		}
		prefetch_pulls(env, c, idx + k, m);
	}
	free(idx);
}

struct image_state *
image_resolve(
    struct image_env *env, struct image_cache *c, const char *ref, int check)
{
	struct image_state *s = image_cache_get(env, c, ref);

	if (s == NULL || s->failed)
		return s;
	if (s->id == NULL) {
		if (s->checked)
			return s; /* a dry run's missing image */
		s->checked = 1;
		image_plan(env, "pull %s (not present locally)", ref);
		if (!env->dry && image_pull(env, s) == -1)
			image_fail(s, "pull");
		return s;
	}
	if (!check || s->checked)
		return s;
	image_check(env, s);
	if (!s->outdated)
		return s;
	image_plan(
	    env, "pull %s (the registry has %.19s)", ref, s->remote_digest);
	if (env->dry)
		return s;
	s->outdated = 0;
	if (image_pull(env, s) == -1)
		image_fail(s, "pull");
	return s;
}
