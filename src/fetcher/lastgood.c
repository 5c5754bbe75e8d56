/*
 * Last good contents of each source, in memory; a sink keeps them across
 * restarts.  They cross to the sink and back in the wire encoding
 * (struct wire_lastgood), and nothing that comes back is trusted: the
 * document goes through the same parser and validation as a fresh one.
 */
#include "lastgood.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "buf.h"
#include "imsg.h"
#include "log.h"
#include "settings.h"
#include "wire.h"
#include "xalloc.h"

void
lastgood_init(struct lastgood_set *set, const struct lastgood_sink *sink)
{
	memset(set, 0, sizeof(*set));
	set->sink = sink;
}

void
lastgood_free(struct lastgood_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		wire_lastgood_free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

const struct wire_lastgood *
lastgood_find(const struct lastgood_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

static struct wire_lastgood *
entry_add(struct lastgood_set *set, const char *name)
{
	struct wire_lastgood *nv =
	    xreallocarray(set->v, set->n + 1, sizeof(*nv));

	set->v = nv;
	memset(&nv[set->n], 0, sizeof(*nv));
	nv[set->n].name = xstrdup(name);
	return &nv[set->n++];
}

static void
entry_set(struct wire_lastgood *lg, uint32_t form, const char *text, size_t len,
    const struct kvlist *profiles, int64_t since)
{
	if (lg->text != NULL)
		explicit_bzero(lg->text, lg->len);
	free(lg->text);
	kvlist_free(&lg->profiles);
	lg->text = xmalloc(len + 1);
	memcpy(lg->text, text, len);
	lg->text[len] = '\0';
	lg->len = len;
	lg->form = form;
	lg->since = since;
	for (size_t i = 0; profiles != NULL && i < profiles->n; i++)
		kvlist_push(
		    &lg->profiles, profiles->v[i].key, profiles->v[i].value);
	kvlist_sort(&lg->profiles);
}

static int
same_profiles(const struct kvlist *a, const struct kvlist *b)
{
	if ((a ? a->n : 0) != (b ? b->n : 0))
		return 0;
	for (size_t i = 0; a != NULL && i < a->n; i++) {
		const struct kv *o = kvlist_find(b, a->v[i].key);
		if (o == NULL || strcmp(o->value, a->v[i].value) != 0)
			return 0;
	}
	return 1;
}

/* A key of etcd is a document of the file form, kept apart. */
static uint32_t
wire_form(enum doc_form form, const char *name)
{
	if (form == DOC_USERDATA)
		return WIRE_LG_USERDATA;
	if (strncmp(name, ETCD_SOURCE_PREFIX, strlen(ETCD_SOURCE_PREFIX)) == 0)
		return WIRE_LG_ETCD;
	return WIRE_LG_FILE;
}

/* How the parser reads a copy of that wire form. */
static enum doc_form
parse_form(const struct wire_lastgood *lg)
{
	return lg->form == WIRE_LG_USERDATA ? DOC_USERDATA : DOC_FILE;
}

/* The copy in the wire encoding, to the sink; too large: memory only. */
static void
sink_put(const struct lastgood_set *set, const struct wire_lastgood *lg)
{
	struct buf b;

	buf_init(&b, IMSG_MAX_DATA);
	if (wire_encode_lastgood(lg, &b) == -1)
		log_warnx("%s: its last good contents are larger than %zu "
			  "bytes; expected less: kept in memory only, not "
			  "across a restart",
		    lg->name, (size_t)IMSG_MAX_DATA);
	else
		set->sink->put(set->sink->ctx, b.p, b.len);
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	buf_free(&b);
}

const struct wire_lastgood *
lastgood_store(struct lastgood_set *set, const char *name, enum doc_form form,
    const char *text, size_t len, const struct kvlist *profiles)
{
	struct wire_lastgood *lg =
	    (struct wire_lastgood *)lastgood_find(set, name);
	uint32_t wform = wire_form(form, name);

	if (lg != NULL && lg->form == wform && lg->len == len &&
	    memcmp(lg->text, text, len) == 0 &&
	    same_profiles(&lg->profiles, profiles))
		return lg; /* unchanged: nothing to keep again */
	if (lg == NULL)
		lg = entry_add(set, name);
	entry_set(lg, wform, text, len, profiles, (int64_t)time(NULL));
	if (set->sink != NULL)
		sink_put(set, lg);
	return lg;
}

void
lastgood_forget(struct lastgood_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].name, name) != 0)
			continue;
		if (set->sink != NULL)
			set->sink->del(set->sink->ctx, name);
		wire_lastgood_free(&set->v[i]);
		memmove(&set->v[i], &set->v[i + 1],
		    (set->n - i - 1) * sizeof(*set->v));
		set->n--;
		break;
	}
}

size_t
lastgood_replay(const struct wire_lastgood *lg, struct defs_result *out,
    struct errlist *errs)
{
	defs_result_init(out);
	for (size_t i = 0; i < lg->profiles.n; i++)
		kvlist_push(&out->profiles, lg->profiles.v[i].key,
		    lg->profiles.v[i].value);
	/* No file access: profiles come from the copy, or fail. */
	return defs_parse(
	    lg->name, lg->text, lg->len, parse_form(lg), NULL, out, errs);
}

size_t
lastgood_count(const struct wire_lastgood *lg)
{
	struct defs_result r;
	struct errlist errs;
	size_t n;

	errlist_init(&errs);
	n = lastgood_replay(lg, &r, &errs) == 0 ? r.n : 0;
	defs_result_free(&r);
	errlist_free(&errs);
	return n;
}

int
lastgood_restore(struct lastgood_set *set, const unsigned char *p, size_t len,
    const char **why)
{
	static char err[256];
	struct wire_lastgood lg;
	struct defs_result r;
	struct errlist errs;
	size_t problems;

	if (wire_decode_lastgood(p, len, &lg, err, sizeof(err)) == -1) {
		*why = err;
		return -1;
	}
	errlist_init(&errs);
	problems = lastgood_replay(&lg, &r, &errs);
	defs_result_free(&r);
	errlist_free(&errs);
	if (problems > 0 || lastgood_find(set, lg.name) != NULL) {
		*why = problems > 0 ? "its contents do not validate"
				    : "a second copy of the same source";
		if (problems > 0 && set->sink != NULL)
			set->sink->del(set->sink->ctx, lg.name);
		wire_lastgood_free(&lg);
		return -1;
	}
	struct wire_lastgood *e = entry_add(set, lg.name);
	free(e->name);
	*e = lg;
	return 0;
}
