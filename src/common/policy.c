/*
 * The trust policy of remote sources (see policy.h).  Which field has
 * which rule, and the settings key that would allow what a rule refuses,
 * is the .remote column of the field table (fields.c); here is what each
 * kind of rule checks and says.  Reach follows the table's .refs column.
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "fields.h"
#include "log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Host paths that reach the Docker or containerd socket or their data:
 * binding one of them, a directory above one, or anything below one gives
 * a container the host.  /proc is here because /proc/1/root is the host's
 * root directory.
 */
static const char *const forbidden_paths[] = {
	"/proc",
	"/run/containerd",
	"/run/docker",
	"/run/docker.sock",
	"/var/lib/containerd",
	"/var/lib/docker",
	"/var/run/containerd",
	"/var/run/docker",
	"/var/run/docker.sock",
};

/* Socket names never bound, in whatever directory. */
static const char *const forbidden_names[] = {
	"containerd.sock",
	"docker.sock",
};

enum source_trust
source_trust(const char *source, const char *confdir)
{
	size_t n, len;
	const char *name;

	if (source == NULL || source[0] != '/')
		return TRUST_REMOTE;
	if (confdir == NULL)
		return TRUST_LOCAL;
	/* As the fetcher names a file: confdir "/" NAME (one '/' only). */
	n = strlen(confdir);
	if (n == 0 || strncmp(source, confdir, n) != 0)
		return TRUST_REMOTE;
	if (confdir[n - 1] == '/')
		name = source + n;
	else if (source[n] == '/')
		name = source + n + 1;
	else
		return TRUST_REMOTE;
	len = strlen(name);
	if (len <= 5 || name[0] == '.' || strchr(name, '/') != NULL ||
	    strcmp(name + len - 5, ".json") != 0)
		return TRUST_REMOTE;
	return TRUST_LOCAL;
}

static const char *
source_name(const struct defn *d)
{
	return d->source != NULL ? d->source : "a source of unknown origin";
}

/* item is one of the comma-separated list's items (exact match). */
static int
list_has(const char *list, const char *item, int nocase)
{
	size_t n = strlen(item);

	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len == n &&
		    (nocase ? strncasecmp(p, item, n) == 0
			    : strncmp(p, item, n) == 0))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* path with repeated and trailing slashes dropped, into out. */
static void
path_clean(const char *path, char *out, size_t outlen)
{
	size_t j = 0;

	for (size_t i = 0; path[i] != '\0' && j + 1 < outlen; i++) {
		if (path[i] == '/' && j > 0 && out[j - 1] == '/')
			continue;
		out[j++] = path[i];
	}
	while (j > 1 && out[j - 1] == '/')
		j--;
	out[j] = '\0';
}

/* a is b, or a directory above b ("/" is above everything). */
static int
path_at_or_above(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* Either path contains the other. */
static int
paths_meet(const char *a, const char *b)
{
	return path_at_or_above(a, b) || path_at_or_above(b, a);
}

int
policy_host_path_forbidden(const struct settings *s, const char *path)
{
	char p[MAX_PATH_LEN + 1], sock[MAX_PATH_LEN + 1];
	const char *base;

	path_clean(path, p, sizeof(p));
	for (size_t i = 0; i < NELEM(forbidden_paths); i++)
		if (paths_meet(p, forbidden_paths[i]))
			return 1;
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	for (size_t i = 0; i < NELEM(forbidden_names); i++)
		if (strcmp(base, forbidden_names[i]) == 0)
			return 1;
	/* The endpoint this dockerup itself uses, wherever it is. */
	if (s != NULL && s->remote != NULL &&
	    strncmp(s->remote, "unix://", 7) == 0) {
		path_clean(s->remote + 7, sock, sizeof(sock));
		if (paths_meet(p, sock))
			return 1;
	}
	return 0;
}

/* path is at or below one of the allowlist's prefixes. */
static int
host_path_listed(const char *list, const char *path)
{
	char p[MAX_PATH_LEN + 1], item[MAX_PATH_LEN + 1], pre[MAX_PATH_LEN + 1];

	path_clean(path, p, sizeof(p));
	for (const char *q = list; q != NULL && *q != '\0';) {
		size_t len = strcspn(q, ",");
		snprintf(item, sizeof(item), "%.*s", (int)len, q);
		path_clean(item, pre, sizeof(pre));
		if (pre[0] == '/' && path_at_or_above(pre, p))
			return 1;
		q += len;
		if (*q == ',')
			q++;
	}
	return 0;
}

/*
 * The registry host of a normalized image reference: the first path
 * component when it looks like a host (a '.' or ':', or localhost), else
 * Docker Hub.
 */
static void
image_registry(const char *image, char *out, size_t outlen)
{
	size_t n = strcspn(image, "/");

	if (image[n] == '/' &&
	    (memchr(image, '.', n) != NULL || memchr(image, ':', n) != NULL ||
		(n == 9 && strncmp(image, "localhost", 9) == 0)))
		snprintf(out, outlen, "%.*s", (int)n, image);
	else
		snprintf(out, outlen, "docker.io");
}

/* The value of a rule's setting. */
static int
setting_on(const struct settings *s, const struct field_policy *p)
{
	return *(const int *)((const char *)&s->policy + p->off);
}

static const char *
setting_list(const struct settings *s, const struct field_policy *p)
{
	return *(char *const *)((const char *)&s->policy + p->off);
}

static int
listed(const char *const *values, const char *v)
{
	for (size_t i = 0; values != NULL && values[i] != NULL; i++)
		if (strcmp(values[i], v) == 0)
			return 1;
	return 0;
}

/* "VALUE is not allowed for SOURCE (trust policy: KEY)" at field. */
static void
refuse_value(struct errctx *c, const char *field, const struct defn *d,
    const struct field_policy *p, const char *value)
{
	errctx_add(c, field, "%s%.64s is not allowed for %s (trust policy: %s)",
	    p->shown != NULL ? p->shown : "", value, source_name(d), p->key);
}

/* POL_DENY: a flag that is set, or a value listed, unless opened. */
static void
rule_deny(struct errctx *c, const struct settings *s, const struct defn *d,
    const struct field_desc *f, const struct field_policy *p)
{
	const void *m = (const char *)d + f->off;
	char field[64];

	if (setting_on(s, p))
		return;
	if (f->kind == FK_FLAG && *(const int *)m)
		errctx_add(c, f->key, "not allowed for %s (trust policy: %s)",
		    source_name(d), p->key);
	if (f->kind == FK_STRING && *(char *const *)m != NULL &&
	    listed(p->values, *(char *const *)m))
		refuse_value(c, f->key, d, p, *(char *const *)m);
	if (f->kind != FK_LIST)
		return;
	for (size_t i = 0; i < ((const struct strlist *)m)->n; i++) {
		const char *v = ((const struct strlist *)m)->v[i];
		if (!listed(p->values, v))
			continue;
		snprintf(field, sizeof(field), "%s[%zu]", f->key, i);
		refuse_value(c, field, d, p, v);
	}
}

/* POL_ALLOWLIST: each item listed in the setting. */
static void
rule_allowlist(struct errctx *c, const struct settings *s, const struct defn *d,
    const struct field_desc *f, const struct field_policy *p)
{
	const struct strlist *l =
	    (const struct strlist *)((const char *)d + f->off);
	char field[64];

	for (size_t i = 0; i < l->n; i++) {
		if (list_has(setting_list(s, p), l->v[i], 0))
			continue;
		snprintf(field, sizeof(field), "%s[%zu]", f->key, i);
		refuse_value(c, field, d, p, l->v[i]);
	}
}

/* POL_HOST_PATHS: never the engine's socket or data; else listed. */
static void
rule_host_paths(struct errctx *c, const struct settings *s,
    const struct defn *d, const struct field_desc *f,
    const struct field_policy *p)
{
	char field[64];

	for (size_t i = 0; i < d->nvolumes; i++) {
		const char *hp = d->volumes[i].host_path;
		if (hp == NULL)
			continue;
		snprintf(field, sizeof(field), "%s[%zu].hostPath", f->key, i);
		if (policy_host_path_forbidden(s, hp))
			errctx_add(c, field,
			    "%.200s reaches the Docker or containerd socket or "
			    "data (or /proc); never allowed for %s, whatever "
			    "the trust policy's %s lists",
			    hp, source_name(d), p->key);
		else if (!host_path_listed(setting_list(s, p), hp))
			errctx_add(c, field,
			    "%.200s is not allowed for %s (trust policy: %s)",
			    hp, source_name(d), p->key);
	}
}

/* POL_REGISTRY and POL_DIGEST, of an image reference. */
static void
rule_image(struct errctx *c, const struct settings *s, const struct defn *d,
    const struct field_desc *f, const struct field_policy *p)
{
	const char *image = *(char *const *)((const char *)d + f->off);
	const char *list;
	char reg[300];

	if (image == NULL)
		return;
	if (p->rule == POL_DIGEST) {
		if (setting_on(s, p) && strstr(image, "@sha256:") == NULL)
			errctx_add(c, f->key,
			    "\"%.200s\" is not pinned by digest "
			    "(IMAGE@sha256:...); required for %s (trust "
			    "policy: %s)",
			    image, source_name(d), p->key);
		return;
	}
	list = setting_list(s, p);
	if (list == NULL || list[0] == '\0')
		return;
	image_registry(image, reg, sizeof(reg));
	if (!list_has(list, reg, 1))
		errctx_add(c, f->key,
		    "registry %.200s is not allowed for %s (trust policy: %s)",
		    reg, source_name(d), p->key);
}

int
policy_rule_applies(const struct field_desc *f, const struct field_policy *p)
{
	switch (p->rule) {
	case POL_NONE:
		return 1;
	case POL_DENY:
		return f->kind == FK_FLAG ||
		    ((f->kind == FK_STRING || f->kind == FK_LIST) &&
			p->values != NULL);
	case POL_ALLOWLIST:
		return f->kind == FK_LIST;
	case POL_HOST_PATHS:
		return f->kind == FK_VOLUMES;
	case POL_REGISTRY:
	case POL_DIGEST:
		return f->kind == FK_STRING && f->tag == T_IMAGE;
	}
	return 0;
}

/* One rule of one row (fields.h), which names the setting it checks. */
static void
check_rule(struct errctx *c, const struct settings *s, const struct defn *d,
    const struct field_desc *f, const struct field_policy *p)
{
	if (!policy_rule_applies(f, p)) {
		/* A table error: refused rather than let through. */
		errctx_add(c, f->key,
		    "has a trust policy rule that does not fit its kind; "
		    "not allowed for %s (trust policy: %s)",
		    source_name(d), p->key ? p->key : "?");
		return;
	}
	switch (p->rule) {
	case POL_NONE:
		break;
	case POL_DENY:
		rule_deny(c, s, d, f, p);
		break;
	case POL_ALLOWLIST:
		rule_allowlist(c, s, d, f, p);
		break;
	case POL_HOST_PATHS:
		rule_host_paths(c, s, d, f, p);
		break;
	case POL_REGISTRY:
	case POL_DIGEST:
		rule_image(c, s, d, f, p);
		break;
	}
}

size_t
policy_check_defn(const struct settings *s, const struct defn *d,
    const char *prefix, struct errlist *errs)
{
	struct errctx c = { source_name(d), prefix, errs, 0 };

	if (source_trust(d->source, s->confdir) == TRUST_LOCAL)
		return 0;
	for (size_t t = 0; t < T_DEFN_MAX; t++)
		for (size_t k = 0; k < FIELD_POLICY_RULES; k++)
			check_rule(&c, s, d, &defn_fields[t],
			    &defn_fields[t].remote[k]);
	return c.count;
}

/* The definition of st named name, or NULL. */
static const struct defn *
named(const struct desired_state *st, const char *name)
{
	for (size_t i = 0; i < st->ndefs; i++)
		if (st->defs[i].name != NULL &&
		    strcmp(st->defs[i].name, name) == 0)
			return &st->defs[i];
	return NULL;
}

static int
same_source(const struct defn *a, const struct defn *b)
{
	return a->source != NULL && b->source != NULL &&
	    strcmp(a->source, b->source) == 0;
}

/* A remote definition's walk over the containers it names. */
struct reach_walk {
	struct errctx *c;
	const struct desired_state *st;
	const struct defn *d;
};

static int
reach(const struct defn_ref *r, void *arg)
{
	struct reach_walk *w = arg;
	const struct defn *t = named(w->st, r->name);
	char f[128];

	if (t == NULL || same_source(w->d, t))
		return 0;
	defn_ref_path(r, f, sizeof(f));
	errctx_add(w->c, f,
	    "\"%.64s\" is a container of another source (%.200s); not "
	    "allowed for %s (trust policy: a remote source reaches only its "
	    "own containers)",
	    r->name, source_name(t), source_name(w->d));
	return 0;
}

size_t
policy_check_reach(const struct settings *s, const struct desired_state *st,
    size_t i, const char *prefix, struct errlist *errs)
{
	const struct defn *d = &st->defs[i];
	struct errctx c = { source_name(d), prefix, errs, 0 };
	struct reach_walk w = { &c, st, d };

	if (source_trust(d->source, s->confdir) == TRUST_LOCAL)
		return 0;
	(void)defn_each_ref(d, reach, &w);
	return c.count;
}

int
policy_seccomp_ref_allowed(const char *source, const char *value)
{
	return source_trust(source, NULL) == TRUST_LOCAL ||
	    strchr(value, '/') == NULL;
}
