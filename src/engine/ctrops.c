#include "ctrops.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "log.h"
#include "observe.h"
#include "xalloc.h"

/* The result of an answer of status st (-1: none, err says why). */
static int
op_result(long st, long ok1, long ok2, const char *method, const char *path,
    char *err, size_t errlen)
{
	if (st == -1)
		return OP_LOST;
	if (st == DOCKER_SKIPPED)
		return OP_FAILED; /* err says which request failed */
	if (st == ok1 || st == ok2)
		return OP_OK;
	if (st < 400)
		snprintf(err, errlen, "unexpected HTTP %ld from %s %s", st,
		    method, path);
	return OP_FAILED;
}

/* One call; ok1 and ok2 are statuses that count as success. */
static int
op_call(struct docker *dk, struct docker_req *rq, struct docker_resp *resp,
    long ok1, long ok2, char *err, size_t errlen)
{
	return op_result(docker_request(dk, rq, resp, err, errlen), ok1, ok2,
	    rq->method, rq->path, err, errlen);
}

static void op_req_fmt(struct op_req *o, const char *method, long ok1, long ok2,
    long timeout, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
op_req_fmt(struct op_req *o, const char *method, long ok1, long ok2,
    long timeout, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(o, 0, sizeof(*o));
	va_start(ap, fmt);
	n = vasprintf(&o->path, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("%s", __func__);
	o->method = method;
	o->ok1 = ok1;
	o->ok2 = ok2;
	o->timeout_s = timeout;
	o->rc = OP_FAILED;
}

void
op_req_free(struct op_req *o)
{
	free(o->path);
	o->path = NULL;
}

void
op_req_create(struct op_req *o, const char *name, const char *body)
{
	op_req_fmt(o, "POST", 201, 201, 0, "/containers/create%s%s",
	    name ? "?name=" : "", name ? name : "");
	o->body = body;
	o->create = 1;
}

void
op_req_start(struct op_req *o, const char *id)
{
	/* 304: already running. */
	op_req_fmt(o, "POST", 204, 304, 0, "/containers/%s/start", id);
}

/* POST /containers/{id}/VERB (stop, restart) with the stop timeout. */
static void
op_req_halt(struct op_req *o, const char *verb, const char *id,
    int64_t stop_timeout_s, long ok2)
{
	if (stop_timeout_s == STOP_OWN_TIMEOUT) {
		op_req_fmt(o, "POST", 204, ok2,
		    DOCKER_TIMEOUT_S + MAX_STOP_TIMEOUT_S, "/containers/%s/%s",
		    id, verb);
		return;
	}
	if (stop_timeout_s < 0 || stop_timeout_s > MAX_STOP_TIMEOUT_S) {
		memset(o, 0, sizeof(*o));
		o->rc = OP_FAILED;
		snprintf(o->err, sizeof(o->err),
		    "%s %.12s: a stop timeout of %lld s; expected 0 to %d",
		    verb, id, (long long)stop_timeout_s, MAX_STOP_TIMEOUT_S);
		return;
	}
	op_req_fmt(o, "POST", 204, ok2, DOCKER_TIMEOUT_S + (long)stop_timeout_s,
	    "/containers/%s/%s?t=%lld", id, verb, (long long)stop_timeout_s);
}

void
op_req_stop(struct op_req *o, const char *id, int64_t stop_timeout_s)
{
	/* 304: already stopped. */
	op_req_halt(o, "stop", id, stop_timeout_s, 304);
}

void
op_req_remove(struct op_req *o, const char *id)
{
	/* Volumes are kept: an anonymous volume may hold the only data. */
	op_req_fmt(o, "DELETE", 204, 404, 0, "/containers/%s", id);
	o->removal = 1;
}

void
op_req_rename(struct op_req *o, const char *id, const char *name)
{
	op_req_fmt(
	    o, "POST", 204, 204, 0, "/containers/%s/rename?name=%s", id, name);
}

/* HTTP 409 "removal ... is already in progress": it goes anyway. */
static int
removal_in_progress(int rc, const char *err)
{
	return rc == OP_FAILED && strstr(err, "is already in progress") &&
	    strstr(err, "HTTP 409");
}

/* The Id in a create's answer. */
static int
op_create_id(struct op_req *o, const struct docker_resp *resp)
{
	cJSON *j =
	    cJSON_ParseWithLength((const char *)resp->body.p, resp->body.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Id");
	int rc = OP_OK;

	if (!cJSON_IsString(v) || !docker_id_valid(v->valuestring)) {
		snprintf(o->err, sizeof(o->err),
		    "POST %s: no container Id in the answer (expected 64 "
		    "lowercase hex digits)",
		    o->path);
		rc = OP_FAILED;
	} else
		memcpy(o->id, v->valuestring, 65);
	cJSON_Delete(j);
	return rc;
}

void
ops_send(struct docker *dk, struct op_req *v, size_t n, size_t max)
{
	struct docker_call *calls = xcalloc(n, sizeof(*calls));
	size_t *which = xcalloc(n, sizeof(*which)), m = 0;
	size_t *call_of = xcalloc(n, sizeof(*call_of)); /* 1 + index; 0: none */

	for (size_t i = 0; i < n; i++) {
		size_t a = v[i].after;
		if (v[i].path == NULL)
			continue;
		calls[m].rq.method = v[i].method;
		calls[m].rq.path = v[i].path;
		calls[m].rq.body = v[i].body;
		calls[m].rq.timeout_s = v[i].timeout_s;
		/* After a request that is not sent: at once. */
		if (a != 0 && a <= i)
			calls[m].after = call_of[a - 1];
		docker_resp_init(&calls[m].resp);
		which[m++] = i;
		call_of[i] = m;
	}
	docker_request_many(dk, calls, m, max);
	for (size_t k = 0; k < m; k++) {
		struct op_req *o = &v[which[k]];
		struct docker_call *c = &calls[k];
		snprintf(o->err, sizeof(o->err), "%s", c->err);
		o->rc = op_result(c->status, o->ok1, o->ok2, o->method, o->path,
		    o->err, sizeof(o->err));
		if (o->rc == OP_OK && o->create)
			o->rc = op_create_id(o, &c->resp);
		if (o->removal && removal_in_progress(o->rc, o->err))
			o->rc = OP_OK;
		docker_resp_free(&c->resp);
	}
	free(calls);
	free(which);
	free(call_of);
}

/* Sends o alone, as op_call() would, and frees it. */
static int
op_send1(struct docker *dk, struct op_req *o, char *err, size_t errlen)
{
	ops_send(dk, o, 1, 1);
	if (o->rc != OP_OK)
		snprintf(err, errlen, "%s", o->err);
	op_req_free(o);
	return o->rc;
}

int
op_create(struct docker *dk, const char *name, const char *body, char id[65],
    char *err, size_t errlen)
{
	struct op_req o;

	op_req_create(&o, name, body);
	if (op_send1(dk, &o, err, errlen) == OP_OK)
		memcpy(id, o.id, 65);
	return o.rc;
}

int
op_start(struct docker *dk, const char *id, char *err, size_t errlen)
{
	struct op_req o;

	op_req_start(&o, id);
	return op_send1(dk, &o, err, errlen);
}

int
op_stop(struct docker *dk, const char *id, int64_t stop_timeout_s, char *err,
    size_t errlen)
{
	struct op_req o;

	op_req_stop(&o, id, stop_timeout_s);
	return op_send1(dk, &o, err, errlen);
}

int
op_restart(struct docker *dk, const char *id, int64_t stop_timeout_s, char *err,
    size_t errlen)
{
	struct op_req o;

	op_req_halt(&o, "restart", id, stop_timeout_s, 204);
	return op_send1(dk, &o, err, errlen);
}

int
op_remove(struct docker *dk, const char *id, char *err, size_t errlen)
{
	struct op_req o;

	op_req_remove(&o, id);
	return op_send1(dk, &o, err, errlen);
}

int
op_rename(struct docker *dk, const char *id, const char *name, char *err,
    size_t errlen)
{
	struct op_req o;

	op_req_rename(&o, id, name);
	return op_send1(dk, &o, err, errlen);
}

int
op_kill(struct docker *dk, const char *id, const char *signal, char *err,
    size_t errlen)
{
	struct op_req o;

	op_req_fmt(&o, "POST", 204, 204, 0, "/containers/%s/kill?signal=%s", id,
	    signal);
	return op_send1(dk, &o, err, errlen);
}

int
inspect_ports(const cJSON *j, char **out)
{
	const cJSON *pb = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "HostConfig"), "PortBindings");
	const cJSON *port, *b, *hp;
	const char *slash;
	struct buf s;

	if (!cJSON_IsObject(pb))
		pb = NULL; /* {"80/tcp": [{"HostPort": "8080"}]} or nothing */
	buf_init(&s, MAX_DOCKER_RESPONSE);
	if (buf_append_str(&s, " ") == -1)
		goto fail;
	cJSON_ArrayForEach(port, pb)
	{
		slash = strchr(port->string, '/');
		cJSON_ArrayForEach(b, port)
		{
			hp = cJSON_GetObjectItemCaseSensitive(b, "HostPort");
			if (!cJSON_IsString(hp) || hp->valuestring[0] == '\0')
				continue;
			if (buf_printf(&s, "%s%s ", hp->valuestring,
				slash ? slash : "/tcp") == -1)
				goto fail;
		}
	}
	*out = xstrdup(buf_cstr(&s));
	buf_free(&s);
	return 0;
fail:
	buf_free(&s);
	return -1;
}

/*
 * GET /KIND/NAME/json (kind: "containers" or "images"), parsed; *out is the
 * caller's to delete.
 */
static int
op_get_json(struct docker *dk, const char *kind, const char *name, cJSON **out,
    char *err, size_t errlen)
{
	struct docker_req rq = { .method = "GET" };
	struct docker_resp resp;
	char *path = NULL;
	int rc;

	*out = NULL;
	xasprintf(&path, "/%s/%s/json", kind, name);
	rq.path = path;
	docker_resp_init(&resp);
	rc = op_call(dk, &rq, &resp, 200, 200, err, errlen);
	if (rc == OP_OK &&
	    (*out = cJSON_ParseWithLength(
		 (const char *)resp.body.p, resp.body.len)) == NULL) {
		snprintf(err, errlen, "GET %s: unreadable answer", path);
		rc = OP_FAILED;
	}
	docker_resp_free(&resp);
	free(path);
	return rc;
}

/* GET /containers/ID/json, parsed; *out is the caller's to delete. */
static int
op_inspect(
    struct docker *dk, const char *id, cJSON **out, char *err, size_t errlen)
{
	return op_get_json(dk, "containers", id, out, err, errlen);
}

int
op_host_ports(
    struct docker *dk, const char *id, char **out, char *err, size_t errlen)
{
	cJSON *j;
	int rc = op_inspect(dk, id, &j, err, errlen);

	if (rc == OP_OK && inspect_ports(j, out) == -1) {
		snprintf(err, errlen,
		    "GET /containers/%.12s/json: unreadable "
		    "answer",
		    id);
		rc = OP_FAILED;
	}
	cJSON_Delete(j);
	return rc;
}

/* State.Health.Status; an object without a known status is starting. */
static enum ctr_health
inspect_health(const cJSON *h)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "Status");

	if (!cJSON_IsObject(h))
		return HEALTH_NONE;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "healthy") == 0)
		return HEALTH_HEALTHY;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "unhealthy") == 0)
		return HEALTH_UNHEALTHY;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "none") == 0)
		return HEALTH_NONE;
	return HEALTH_STARTING;
}

/*
 * An RFC 3339 time in UTC as Docker writes it ("2026-01-02T03:04:05.
 * 123456789Z") as unix seconds; 0 when it is not one.
 */
double
docker_time(const char *s)
{
	struct tm tm;
	int n = 0;
	double frac = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
		&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19 || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12)
		return 0;
	s += n;
	if (*s == '.') {
		double scale = 0.1;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += (*s - '0') * scale;
	}
	if (strcmp(s, "Z") != 0)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	return (double)t + frac;
}

int
inspect_state(const cJSON *j, struct ctr_state *st)
{
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "State"), *v;

	memset(st, 0, sizeof(*st));
	if (!cJSON_IsObject(state))
		return -1;
	st->running =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"));
	st->restarting =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Restarting"));
	v = cJSON_GetObjectItemCaseSensitive(state, "ExitCode");
	if (cJSON_IsNumber(v))
		st->exit_code =
		    (int)docker_num_in(v->valuedouble, INT_MIN, INT_MAX, -1);
	v = cJSON_GetObjectItemCaseSensitive(j, "RestartCount");
	if (cJSON_IsNumber(v))
		st->restart_count =
		    docker_num_in(v->valuedouble, 0, DOCKER_NUM_MAX, 0);
	st->health =
	    inspect_health(cJSON_GetObjectItemCaseSensitive(state, "Health"));
	/* "0001-01-01T00:00:00Z": Go's zero time, a container never run. */
	v = cJSON_GetObjectItemCaseSensitive(state, "StartedAt");
	st->never_started = cJSON_IsString(v) &&
	    strncmp(v->valuestring, DOCKER_ZERO_TIME,
		strlen(DOCKER_ZERO_TIME)) == 0;
	if (cJSON_IsString(v) && !st->never_started)
		st->started_at = docker_time(v->valuestring);
	return 0;
}

int
op_state(struct docker *dk, const char *id, struct ctr_state *st, char *err,
    size_t errlen)
{
	cJSON *j;
	int rc = op_inspect(dk, id, &j, err, errlen);

	memset(st, 0, sizeof(*st));
	if (rc != OP_OK)
		return rc;
	if (inspect_state(j, st) == -1) {
		snprintf(
		    err, errlen, "GET /containers/%.12s/json: no State", id);
		rc = OP_FAILED;
	}
	cJSON_Delete(j);
	return rc;
}

/*
 * Demultiplexes a logs stream (8-byte frame headers: stream, 0, 0, 0,
 * big-endian length) into printable text; a TTY's raw stream is copied.
 */
void
logs_text(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0, i = 0;

	while (i < n && o + 1 < outlen) {
		size_t len = n - i;
		if (n - i >= 8 && p[i] <= 2 && p[i + 1] == 0 && p[i + 2] == 0 &&
		    p[i + 3] == 0) {
			len = (size_t)p[i + 4] << 24 | (size_t)p[i + 5] << 16 |
			    (size_t)p[i + 6] << 8 | p[i + 7];
			i += 8;
			if (len > n - i)
				len = n - i;
		}
		for (size_t k = 0; k < len && o + 1 < outlen; k++) {
			unsigned char ch = p[i + k];
			out[o++] = ch == '\n' || (ch >= 0x20 && ch < 0x7f)
			    ? (char)ch
			    : '?';
		}
		i += len;
	}
	out[o] = '\0';
}

int
op_logs_tail(struct docker *dk, const char *id, unsigned lines, char *out,
    size_t outlen, char *err, size_t errlen)
{
	struct docker_resp resp;
	char *path;
	int rc;

	out[0] = '\0';
	xasprintf(
	    &path, "/containers/%s/logs?stdout=1&stderr=1&tail=%u", id, lines);
	struct docker_req rq = { .method = "GET", .path = path };
	docker_resp_init(&resp);
	if ((rc = op_call(dk, &rq, &resp, 200, 200, err, errlen)) == OP_OK)
		logs_text(resp.body.p, resp.body.len, out, outlen);
	docker_resp_free(&resp);
	free(path);
	return rc;
}

int
op_remove_force(struct docker *dk, const char *id, char *err, size_t errlen)
{
	struct op_req o;

	op_req_fmt(&o, "DELETE", 204, 404, 0, "/containers/%s?force=1", id);
	o.removal = 1;
	return op_send1(dk, &o, err, errlen);
}

int
op_prune_images(struct docker *dk, unsigned *deleted,
    unsigned long long *reclaimed, char *err, size_t errlen)
{
	/* filters={"dangling":["true"]} */
	struct docker_req rq = { .method = "POST",
		.path = "/images/prune"
			"?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D" };
	struct docker_resp resp;
	cJSON *j = NULL, *del, *sp;
	int rc;

	*deleted = 0;
	*reclaimed = 0;
	docker_resp_init(&resp);
	rc = op_call(dk, &rq, &resp, 200, 200, err, errlen);
	if (rc == OP_OK) {
		j = cJSON_ParseWithLength(
		    (const char *)resp.body.p, resp.body.len);
		del = cJSON_GetObjectItemCaseSensitive(j, "ImagesDeleted");
		sp = cJSON_GetObjectItemCaseSensitive(j, "SpaceReclaimed");
		if (cJSON_IsArray(del)) {
			const cJSON *e;
			cJSON_ArrayForEach(e, del) if (cJSON_HasObjectItem(
							   e, "Deleted"))(
			    *deleted)++;
		}
		if (cJSON_IsNumber(sp))
			*reclaimed = (unsigned long long)docker_num_in(
			    sp->valuedouble, 0, DOCKER_NUM_MAX, 0);
	}
	cJSON_Delete(j);
	docker_resp_free(&resp);
	return rc;
}

int
op_mounts(struct docker *dk, const char *id, struct mounts *out, char *err,
    size_t errlen)
{
	const char *why;
	cJSON *j;
	int rc = op_inspect(dk, id, &j, err, errlen);

	memset(out, 0, sizeof(*out));
	if (rc == OP_OK &&
	    observe_parse_mounts(cJSON_GetObjectItemCaseSensitive(j, "Mounts"),
		out, &why) == -1) {
		snprintf(err, errlen,
		    "GET /containers/%.12s/json: Mounts: expected %s", id, why);
		rc = OP_FAILED;
	}
	cJSON_Delete(j);
	return rc;
}

/* Config.Volumes' keys, the paths an image declares with VOLUME. */
void
inspect_image_volumes(const cJSON *j, struct strlist *out)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "Config");
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(cfg, "Volumes");
	const cJSON *v;

	if (!cJSON_IsObject(vols))
		return;
	cJSON_ArrayForEach(v, vols)
	{
		if (v->string != NULL && v->string[0] == '/' &&
		    strlen(v->string) <= MAX_PATH_LEN)
			strlist_push(out, v->string);
	}
}

int
op_image_volumes(struct docker *dk, const char *ref, struct strlist *out,
    char *err, size_t errlen)
{
	cJSON *j;
	int rc = op_get_json(dk, "images", ref, &j, err, errlen);

	if (rc == OP_OK)
		inspect_image_volumes(j, out);
	cJSON_Delete(j);
	return rc;
}
