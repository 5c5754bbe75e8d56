/*
 * Concurrent creation of new containers (see batch.h): the same requests
 * ctrops.c's op_create() and op_start() send, through
 * docker_request_many().
 */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "ctrops.h"
#include "log.h"
#include "xalloc.h"

struct launch *
launch_add(struct launch_set *ls, char *name, char *body)
{
	struct launch *l;

	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		ls->v = xreallocarray(ls->v, cap, sizeof(*ls->v));
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

/* The creates (start 0) or the starts of those created, together. */
static void
launch_phase(struct docker *dk, struct launch_set *ls, int start)
{
	struct op_req *o = xcalloc(ls->n, sizeof(*o));

	for (size_t i = 0; i < ls->n; i++) {
		if (!start)
			op_req_create(&o[i], ls->v[i].name, ls->v[i].body);
		else if (ls->v[i].rc_create == OP_OK)
			op_req_start(&o[i], ls->v[i].id);
	}
	ops_send(dk, o, ls->n, LAUNCH_PARALLEL);
	for (size_t i = 0; i < ls->n; i++) {
		struct launch *l = &ls->v[i];
		if (o[i].path == NULL)
			continue;
		if (o[i].rc != OP_OK)
			snprintf(l->err, sizeof(l->err), "%s", o[i].err);
		if (!start && (l->rc_create = o[i].rc) == OP_OK)
			memcpy(l->id, o[i].id, sizeof(l->id));
		if (start)
			l->rc_start = o[i].rc;
		op_req_free(&o[i]);
	}
	free(o);
}

void
launch_run(struct docker *dk, struct launch_set *ls)
{
	if (ls->n == 0)
		return;
	log_debug("launching %zu new containers, %d at a time", ls->n,
	    LAUNCH_PARALLEL);
	launch_phase(dk, ls, 0);
	launch_phase(dk, ls, 1);
}
