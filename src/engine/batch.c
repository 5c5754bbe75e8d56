/*
 * Concurrent creation of new containers (see batch.h): the same requests
 * ctrops.c's op_create() and op_start() send, through
 * docker_request_many().
 */
#include "batch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "observe.h"
#include "ctrops.h"
#include "log.h"

struct launch *
launch_add(struct launch_set *ls, char *name, char *body)
{
	struct launch *nv, *l;

	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		if ((nv = reallocarray(ls->v, cap, sizeof(*nv))) == NULL)
			return NULL;
		ls->v = nv;
		ls->cap = cap;
	}
	l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->body = body;
	l->rc_create = l->rc_start = OP_FAILED;
	return l;
}

void
launch_clear(struct launch_set *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].name);
		free(ls->v[i].body);
	}
	ls->n = 0;
}

void
launch_free(struct launch_set *ls)
{
	launch_clear(ls);
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

/* As op_call(): the operation's result from the answer's status. */
static int
launch_result(
    const struct docker_call *c, long ok1, long ok2, char *err, size_t errlen)
{
	if (c->status == -1) {
		snprintf(err, errlen, "%s", c->err);
		return OP_LOST;
	}
	if (c->status == ok1 || c->status == ok2)
		return OP_OK;
	if (c->status < 400)
		snprintf(err, errlen, "unexpected HTTP %ld from %s %s",
		    c->status, c->rq.method, c->rq.path);
	else
		snprintf(err, errlen, "%s", c->err);
	return OP_FAILED;
}

/* The Id of a create's answer, as op_create() reads it. */
static int
launch_id(struct launch *l, const struct docker_call *c)
{
	cJSON *j = cJSON_ParseWithLength(
	    (const char *)c->resp.body.p, c->resp.body.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Id");
	int rc = 0;

	if (!cJSON_IsString(v) || !docker_id_valid(v->valuestring)) {
		snprintf(l->err, sizeof(l->err),
		    "POST %s: no container Id in the answer (expected 64 "
		    "lowercase hex digits)",
		    c->rq.path);
		rc = -1;
	} else
		memcpy(l->id, v->valuestring, 65);
	cJSON_Delete(j);
	return rc;
}

static void
calls_free(struct docker_call *calls, char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		docker_resp_free(&calls[i].resp);
		free(paths[i]);
	}
	free(calls);
	free(paths);
}

static void
launch_creates(struct docker *dk, struct launch_set *ls)
{
	struct docker_call *calls = calloc(ls->n, sizeof(*calls));
	char **paths = calloc(ls->n, sizeof(*paths));

	if (calls == NULL || paths == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; i < ls->n; i++) {
		const char *name = ls->v[i].name;
		if (asprintf(&paths[i], "/containers/create%s%s",
			name ? "?name=" : "", name ? name : "") == -1)
			fatal("%s", __func__);
		calls[i].rq.method = "POST";
		calls[i].rq.path = paths[i];
		calls[i].rq.body = ls->v[i].body;
		docker_resp_init(&calls[i].resp);
	}
	docker_request_many(dk, calls, ls->n, LAUNCH_PARALLEL);
	for (size_t i = 0; i < ls->n; i++) {
		struct launch *l = &ls->v[i];
		l->rc_create =
		    launch_result(&calls[i], 201, 201, l->err, sizeof(l->err));
		if (l->rc_create == OP_OK && launch_id(l, &calls[i]) == -1)
			l->rc_create = OP_FAILED;
	}
	calls_free(calls, paths, ls->n);
}

static void
launch_starts(struct docker *dk, struct launch_set *ls)
{
	struct docker_call *calls = calloc(ls->n, sizeof(*calls));
	char **paths = calloc(ls->n, sizeof(*paths));
	size_t *which = calloc(ls->n, sizeof(*which)), n = 0;

	if (calls == NULL || paths == NULL || which == NULL)
		fatal("%s", __func__);
	for (size_t i = 0; i < ls->n; i++) {
		if (ls->v[i].rc_create != OP_OK)
			continue;
		if (asprintf(&paths[n], "/containers/%s/start", ls->v[i].id) ==
		    -1)
			fatal("%s", __func__);
		calls[n].rq.method = "POST";
		calls[n].rq.path = paths[n];
		docker_resp_init(&calls[n].resp);
		which[n++] = i;
	}
	docker_request_many(dk, calls, n, LAUNCH_PARALLEL);
	for (size_t k = 0; k < n; k++) {
		struct launch *l = &ls->v[which[k]];
		/* 304: already running, as op_start() takes it. */
		l->rc_start =
		    launch_result(&calls[k], 204, 304, l->err, sizeof(l->err));
	}
	calls_free(calls, paths, n);
	free(which);
}

void
launch_run(struct docker *dk, struct launch_set *ls)
{
	if (ls->n == 0)
		return;
	log_debug("launching %zu new containers, %d at a time", ls->n,
	    LAUNCH_PARALLEL);
	launch_creates(dk, ls);
	launch_starts(dk, ls);
}
