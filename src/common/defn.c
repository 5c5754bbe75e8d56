#include "defn.h"
#include "fields.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
defn_init(struct defn *d)
{
	memset(d, 0, sizeof(*d));
	d->restart = RESTART_ON_FAILURE;
	/* Every default the field table states (fields.c). */
	for (unsigned int t = T_NONE + 1; t < T_DEFN_MAX; t++) {
		const struct field_desc *f = &defn_fields[t];
		void *m = (char *)d + f->off;

		if (f->kind == FK_NOT_FLAG)
			*(int *)m = 1;
		else if (field_is_int(f))
			*(int64_t *)m = f->def;
	}
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
strlist_push(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

void
kvlist_free_wiped(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		explicit_bzero(l->v[i].value, strlen(l->v[i].value));
	kvlist_free(l);
}

void
kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
kvlist_push(struct kvlist *l, const char *key, const char *value)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].key = xstrdup(key);
	l->v[l->n].value = xstrdup(value);
	l->n++;
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

void
kvlist_sort(struct kvlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), kv_cmp);
}

const struct kv *
kvlist_find(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

void
defn_free(struct defn *d)
{
	/* Every member the field table describes (fields.h). */
	for (unsigned int t = T_NONE + 1; t < T_DEFN_MAX; t++) {
		const struct field_desc *f = &defn_fields[t];
		void *m = (char *)d + f->off;

		switch (f->kind) {
		case FK_STRING:
			free(*(char **)m);
			break;
		case FK_LIST:
			strlist_free(m);
			break;
		case FK_MAP:
			kvlist_free(m);
			break;
		case FK_VOLUMES:
			for (size_t i = 0; i < d->nvolumes; i++) {
				free(d->volumes[i].container_path);
				free(d->volumes[i].host_path);
				free(d->volumes[i].from);
			}
			free(d->volumes);
			break;
		case FK_PORTS:
			free(d->ports);
			break;
		case FK_INT:
		case FK_SECONDS:
		case FK_FLAG:
		case FK_NOT_FLAG:
		case FK_RESTART:
		case FK_ROLLING:
			break;
		}
	}
	defn_init(d);
}

/* The repository part of an image reference: no tag, no digest. */
static size_t
image_repo_len(const char *image)
{
	const char *at = strchr(image, '@');
	size_t end = at ? (size_t)(at - image) : strlen(image);
	const char *slash = NULL;

	for (size_t i = 0; i < end; i++)
		if (image[i] == '/')
			slash = image + i;
	/* A ':' after the last '/' starts the tag (before it: a port). */
	const char *from = slash ? slash : image;
	const char *colon = memchr(from, ':', end - (size_t)(from - image));
	if (colon != NULL)
		end = (size_t)(colon - image);
	return end;
}

char *
defn_identity(const struct defn *d)
{
	if (d->name != NULL)
		return xstrdup(d->name);
	size_t n = image_repo_len(d->image);
	char *id = xmalloc(n + sizeof("image:"));

	memcpy(id, "image:", 6);
	memcpy(id + 6, d->image, n);
	id[6 + n] = '\0';
	return id;
}

void
desired_state_init(struct desired_state *s)
{
	memset(s, 0, sizeof(*s));
	s->complete = 1;
}

void
desired_state_free(struct desired_state *s)
{
	for (size_t i = 0; i < s->ndefs; i++)
		defn_free(&s->defs[i]);
	free(s->defs);
	for (size_t i = 0; i < s->nsources; i++) {
		free(s->sources[i].name);
		free(s->sources[i].error);
	}
	free(s->sources);
	desired_state_init(s);
}

void
desired_state_add(struct desired_state *s, struct defn *d)
{
	s->defs = xreallocarray(s->defs, s->ndefs + 1, sizeof(*s->defs));
	s->defs[s->ndefs++] = *d;
	defn_init(d);
}
