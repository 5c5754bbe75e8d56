#include "errlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

void
errlist_init(struct errlist *e)
{
	e->v = NULL;
	e->n = 0;
}

void
errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].where);
		free(e->v[i].field);
		free(e->v[i].msg);
	}
	free(e->v);
	errlist_init(e);
}

void
errlist_add(struct errlist *e, const char *where, const char *field,
    const char *fmt, ...)
{
	char msg[1024];
	struct cfgerr *nv;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nv = xreallocarray(e->v, e->n + 1, sizeof(*nv));
	e->v = nv;
	nv[e->n].where = xstrdup(where ? where : "");
	nv[e->n].field = xstrdup(field ? field : "");
	nv[e->n].msg = xstrdup(msg);
	e->n++;
}

const char *
cfgerr_format(const struct cfgerr *c, char *buf, size_t len)
{
	if (c->field[0] != '\0')
		snprintf(buf, len, "%s: %s: %s", c->where, c->field, c->msg);
	else
		snprintf(buf, len, "%s: %s", c->where, c->msg);
	return buf;
}

void
errctx_add(struct errctx *c, const char *field, const char *fmt, ...)
{
	char path[512], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->prefix != NULL && c->prefix[0] != '\0')
		snprintf(path, sizeof(path), "%s.%s", c->prefix, field);
	else
		snprintf(path, sizeof(path), "%s", field);
	errlist_add(c->errs, c->where, path, "%s", msg);
	c->count++;
}
