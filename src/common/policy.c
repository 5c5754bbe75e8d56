/*
 * The trust policy of remote sources (see policy.h).  Each rule names the
 * settings key that would allow what it refuses, or says that nothing
 * does.
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
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

static void
check_image(struct errctx *c, const struct settings *s, const struct defn *d)
{
	char reg[300];

	if (d->image == NULL)
		return;
	if (s->policy.registries != NULL && s->policy.registries[0] != '\0') {
		image_registry(d->image, reg, sizeof(reg));
		if (!list_has(s->policy.registries, reg, 1))
			errctx_add(c, "image",
			    "registry %.200s is not allowed for %s (trust "
			    "policy: userdata_registries)",
			    reg, source_name(d));
	}
	if (s->policy.require_digest && strstr(d->image, "@sha256:") == NULL)
		errctx_add(c, "image",
		    "\"%.200s\" is not pinned by digest (IMAGE@sha256:...); "
		    "required for %s (trust policy: userdata_require_digest)",
		    d->image, source_name(d));
}

static void
check_caps(struct errctx *c, const struct settings *s, const struct defn *d)
{
	char f[64];

	for (size_t i = 0; i < d->cap_add.n; i++) {
		if (list_has(s->policy.cap_add, d->cap_add.v[i], 0))
			continue;
		snprintf(f, sizeof(f), "capAdd[%zu]", i);
		errctx_add(c, f,
		    "%.40s is not allowed for %s (trust policy: "
		    "userdata_cap_add)",
		    d->cap_add.v[i], source_name(d));
	}
}

static void
check_volumes(struct errctx *c, const struct settings *s, const struct defn *d)
{
	char f[64];

	for (size_t i = 0; i < d->nvolumes; i++) {
		const char *hp = d->volumes[i].host_path;
		if (hp == NULL)
			continue;
		snprintf(f, sizeof(f), "volumes[%zu].hostPath", i);
		if (policy_host_path_forbidden(s, hp))
			errctx_add(c, f,
			    "%.200s reaches the Docker or containerd socket or "
			    "data (or /proc); never allowed for %s, whatever "
			    "the trust policy's userdata_host_paths lists",
			    hp, source_name(d));
		else if (!host_path_listed(s->policy.host_paths, hp))
			errctx_add(c, f,
			    "%.200s is not allowed for %s (trust policy: "
			    "userdata_host_paths)",
			    hp, source_name(d));
	}
}

static void
check_security(struct errctx *c, const struct settings *s, const struct defn *d)
{
	char f[64];

	if (s->policy.allow_unconfined)
		return;
	if (d->seccomp != NULL && strcmp(d->seccomp, "unconfined") == 0)
		errctx_add(c, "securityOpt",
		    "seccomp=unconfined is not allowed for %s (trust policy: "
		    "userdata_allow_unconfined)",
		    source_name(d));
	for (size_t i = 0; i < d->security_opt.n; i++) {
		const char *o = d->security_opt.v[i];
		if (strcmp(o, "apparmor=unconfined") != 0 &&
		    strcmp(o, "label=disable") != 0 &&
		    strcmp(o, "label:disable") != 0 &&
		    strcmp(o, "systempaths=unconfined") != 0)
			continue;
		snprintf(f, sizeof(f), "securityOpt[%zu]", i);
		errctx_add(c, f,
		    "%.64s is not allowed for %s (trust policy: "
		    "userdata_allow_unconfined)",
		    o, source_name(d));
	}
}

size_t
policy_check_defn(const struct settings *s, const struct defn *d,
    const char *prefix, struct errlist *errs)
{
	struct errctx c = { source_name(d), prefix, errs, 0 };

	if (source_trust(d->source, s->confdir) == TRUST_LOCAL)
		return 0;
	if (d->privileged && !s->policy.allow_privileged)
		errctx_add(&c, "privileged",
		    "not allowed for %s (trust policy: "
		    "userdata_allow_privileged)",
		    source_name(d));
	if (d->network != NULL && strcmp(d->network, "host") == 0 &&
	    !s->policy.allow_host_network)
		errctx_add(&c, "network",
		    "host is not allowed for %s (trust policy: "
		    "userdata_allow_host_network)",
		    source_name(d));
	check_caps(&c, s, d);
	check_volumes(&c, s, d);
	check_security(&c, s, d);
	check_image(&c, s, d);
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

static void
reach(struct errctx *c, const struct desired_state *st, const struct defn *d,
    const char *field, const char *name)
{
	const struct defn *t = named(st, name);

	if (t == NULL || same_source(d, t))
		return;
	errctx_add(c, field,
	    "\"%.64s\" is a container of another source (%.200s); not "
	    "allowed for %s (trust policy: a remote source reaches only its "
	    "own containers)",
	    name, source_name(t), source_name(d));
}

size_t
policy_check_reach(const struct settings *s, const struct desired_state *st,
    size_t i, const char *prefix, struct errlist *errs)
{
	const struct defn *d = &st->defs[i];
	struct errctx c = { source_name(d), prefix, errs, 0 };
	char f[128];

	if (source_trust(d->source, s->confdir) == TRUST_LOCAL)
		return 0;
	if (d->network != NULL && strncmp(d->network, "container:", 10) == 0)
		reach(&c, st, d, "network", d->network + 10);
	for (size_t k = 0; k < d->nvolumes; k++)
		if (d->volumes[k].from != NULL) {
			snprintf(f, sizeof(f), "volumes[%zu].from", k);
			reach(&c, st, d, f, d->volumes[k].from);
		}
	for (size_t k = 0; k < d->links.n; k++) {
		snprintf(f, sizeof(f), "links.%.64s", d->links.v[k].key);
		reach(&c, st, d, f, d->links.v[k].key);
	}
	for (size_t k = 0; k < d->signals.n; k++) {
		snprintf(f, sizeof(f), "signal.%.64s", d->signals.v[k].key);
		reach(&c, st, d, f, d->signals.v[k].key);
	}
	return c.count;
}

int
policy_seccomp_ref_allowed(const char *source, const char *value)
{
	return source_trust(source, NULL) == TRUST_LOCAL ||
	    strchr(value, '/') == NULL;
}
