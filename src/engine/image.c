#include "image.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "log.h"

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
	c->v = NULL;
	c->n = 0;
}

static struct image_state *
image_cache_get(struct image_env *env, struct image_cache *c, const char *ref)
{
	struct image_state *nv, *s;
	const struct img *local;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].ref, ref) == 0)
			return &c->v[i];
	if ((nv = realloc(c->v, (c->n + 1) * sizeof(*nv))) == NULL)
		return NULL;
	c->v = nv;
	s = &c->v[c->n];
	memset(s, 0, sizeof(*s));
	if ((s->ref = strdup(ref)) == NULL)
		return NULL;
	if (imageref_parse(ref, &s->r) == -1) {
		free(s->ref);
		return NULL;
	}
	c->n++;
	if ((local = img_find(env->imgs, &s->r)) != NULL &&
	    (s->id = strdup(local->id)) == NULL)
		return NULL;
	return s;
}

static void
image_plan(struct image_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
image_plan(struct image_env *env, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	env->plan(env->plan_arg, line);
}

/* X-Registry-Auth for the image's registry; *fail set when out of memory. */
static char *
image_auth(struct image_env *env, const struct image_state *s, int *fail)
{
	return regauth_header(env->auth, s->r.registry, fail);
}

/* GET /distribution/{ref}/json: the manifest digest the tag points to. */
static int
image_remote_digest(struct image_env *env, struct image_state *s)
{
	struct docker_req rq = { .method = "GET" };
	struct docker_resp resp;
	char *path = NULL, *auth;
	cJSON *j = NULL, *d;
	int fail, rc = -1;
	long st;

	if ((auth = image_auth(env, s, &fail)) == NULL && fail)
		return -1;
	docker_resp_init(&resp);
	if (asprintf(&path, "/distribution/%s/json", s->ref) == -1)
		goto done;
	rq.path = path;
	rq.registry_auth = auth;
	st = docker_request(env->dk, &rq, &resp, s->err, sizeof(s->err));
	if (st == -1)
		env->lost = 1;
	if (st != 200)
		goto done;
	j = cJSON_ParseWithLength((const char *)resp.body.p, resp.body.len);
	d = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "Descriptor"), "digest");
	if (!cJSON_IsString(d) || strncmp(d->valuestring, "sha256:", 7) != 0) {
		snprintf(s->err, sizeof(s->err), "GET %s: no Descriptor.digest "
		    "in the answer", path);
		goto done;
	}
	if ((s->remote_digest = strdup(d->valuestring)) != NULL)
		rc = 0;
done:
	cJSON_Delete(j);
	docker_resp_free(&resp);
	free(path);
	regauth_header_free(auth);
	return rc;
}

/* What a pull's progress stream says. */
struct pull_progress {
	char error[512];
	char status[256];
	unsigned layers;
};

static int
pull_line(const char *line, size_t len, void *arg)
{
	struct pull_progress *p = arg;
	cJSON *j = cJSON_ParseWithLength(line, len), *e, *st;

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
	}
	cJSON_Delete(j);
	return 0;
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
	if (asprintf(&path, "/images/%s/json", s->ref) == -1)
		goto done;
	rq.path = path;
	st = docker_request(env->dk, &rq, &resp, s->err, sizeof(s->err));
	if (st == -1)
		env->lost = 1;
	if (st != 200)
		goto done;
	j = cJSON_ParseWithLength((const char *)resp.body.p, resp.body.len);
	id = cJSON_GetObjectItemCaseSensitive(j, "Id");
	if (!cJSON_IsString(id)) {
		snprintf(s->err, sizeof(s->err), "GET %s: no Id", path);
		goto done;
	}
	size = cJSON_GetObjectItemCaseSensitive(j, "Size");
	s->size = cJSON_IsNumber(size) ? (unsigned long long)size->valuedouble :
	    0;
	free(s->old_id);
	s->old_id = s->id;
	if ((s->id = strdup(id->valuestring)) != NULL)
		rc = 0;
done:
	cJSON_Delete(j);
	docker_resp_free(&resp);
	free(path);
	return rc;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* POST /images/create, its progress stream read line by line. */
static int
image_pull(struct image_env *env, struct image_state *s)
{
	struct docker_req rq = { .method = "POST",
	    .timeout_s = DOCKER_PULL_TIMEOUT_S, .on_line = pull_line };
	struct docker_resp resp;
	struct pull_progress prog;
	char *path = NULL, *from = NULL, *tag = NULL, *auth;
	int fail, rc = -1;
	double t0 = now_s();
	long st;

	memset(&prog, 0, sizeof(prog));
	if ((auth = image_auth(env, s, &fail)) == NULL && fail)
		return -1;
	docker_resp_init(&resp);
	from = docker_escape(s->r.familiar);
	tag = docker_escape(s->r.digest ? s->r.digest : s->r.tag);
	if (from == NULL || tag == NULL || asprintf(&path,
	    "/images/create?fromImage=%s&tag=%s", from, tag) == -1)
		goto done;
	rq.path = path;
	rq.registry_auth = auth;
	rq.arg = &prog;
	st = docker_request(env->dk, &rq, &resp, s->err, sizeof(s->err));
	if (st == -1)
		env->lost = 1;
	if (st != 200)
		goto done;
	if (prog.error[0] != '\0') {
		snprintf(s->err, sizeof(s->err), "%s", prog.error);
		goto done;
	}
	if (image_inspect_id(env, s) == -1)
		goto done;
	env->pulled = 1;
	log_info("pulled %s in %.1fs: %.19s, %.1f MB, %u new layer%s", s->ref,
	    now_s() - t0, s->id, s->size / 1e6, prog.layers,
	    prog.layers == 1 ? "" : "s");
	rc = 0;
done:
	if (rc == -1 && s->err[0] == '\0')
		snprintf(s->err, sizeof(s->err), "out of memory");
	docker_resp_free(&resp);
	free(path);
	free(from);
	free(tag);
	regauth_header_free(auth);
	return rc;
}

static void
image_fail(struct image_state *s, const char *what)
{
	char why[sizeof(s->err)];

	memcpy(why, s->err, sizeof(why));
	snprintf(s->err, sizeof(s->err), "%s %.200s: %.700s", what, s->ref,
	    why);
	s->failed = 1;
}

/* Asks the registry once; sets s->outdated when the tag moved. */
static void
image_check(struct image_env *env, struct image_state *s)
{
	const struct img *local;

	s->checked = 1;
	if (s->r.digest != NULL)
		return; /* a digest names one image forever */
	if (image_remote_digest(env, s) == -1) {
		log_warnx("cannot check the registry for a newer %s: %s; "
		    "using the local image", s->ref, s->err);
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

struct image_state *
image_resolve(struct image_env *env, struct image_cache *c, const char *ref,
    int check)
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
	image_plan(env, "pull %s (the registry has %.19s)", ref,
	    s->remote_digest);
	if (env->dry)
		return s;
	s->outdated = 0;
	if (image_pull(env, s) == -1)
		image_fail(s, "pull");
	return s;
}
