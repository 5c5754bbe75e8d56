/*
 * Mapping of every definition field to the Docker create body (see the
 * table in issue #4): Config for what the process sees, HostConfig for
 * what the host grants it.
 */
#include "spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fields.h"
#include "wire.h"
#include "xalloc.h"

/* SHA-256 of a definition hash followed by the image ID. */
static void
spec_hash_of(const char dh[65], const char *image_id, char out[65])
{
	size_t n = 64 + strlen(image_id);
	char *cat = xmalloc(n + 1);

	memcpy(cat, dh, 64);
	memcpy(cat + 64, image_id, n - 64 + 1);
	sha256_hex(cat, n, out);
	free(cat);
}

int
spec_hash(const struct defn *d, const char *image_id, char out[65])
{
	char dh[65];

	if (defn_hash(d, dh) == -1)
		return -1;
	spec_hash_of(dh, image_id, out);
	return 0;
}

int
spec_wants(
    const struct defn *d, const char *image_id, char want[65], char want_v1[65])
{
	char dh[65], v1[65];

	if (defn_hash(d, dh) == -1 || defn_hash_v1(d, v1) == -1)
		return -1;
	spec_hash_of(dh, image_id, want);
	want_v1[0] = '\0';
	if (strcmp(dh, v1) != 0)
		spec_hash_of(v1, image_id, want_v1);
	return 0;
}

int
spec_hash_matches(const char *label, const char *want, const char *want_v1)
{
	if (label == NULL || want == NULL)
		return 0;
	return strcmp(label, want) == 0 ||
	    (want_v1 != NULL && want_v1[0] != '\0' &&
		strcmp(label, want_v1) == 0);
}

static int
add_strlist(cJSON *o, const char *key, const struct strlist *l)
{
	cJSON *a = cJSON_AddArrayToObject(o, key), *s;

	if (a == NULL)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		if ((s = cJSON_CreateString(l->v[i])) == NULL)
			return -1;
		cJSON_AddItemToArray(a, s);
	}
	return 0;
}

static int
add_nonempty_strlist(cJSON *o, const char *key, const struct strlist *l)
{
	return l->n == 0 ? 0 : add_strlist(o, key, l);
}

static int array_push_fmt(cJSON *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
array_push_fmt(cJSON *a, const char *fmt, ...)
{
	char *s;
	cJSON *item;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		return -1;
	item = cJSON_CreateString(s);
	free(s);
	if (item == NULL)
		return -1;
	cJSON_AddItemToArray(a, item);
	return 0;
}

/* Env: the definition's, then DOCKER_IMAGE as the original set it. */
static int
spec_env(cJSON *cfg, const struct defn *d)
{
	cJSON *a = cJSON_AddArrayToObject(cfg, "Env");

	if (a == NULL)
		return -1;
	for (size_t i = 0; i < d->env.n; i++)
		if (array_push_fmt(
			a, "%s=%s", d->env.v[i].key, d->env.v[i].value) == -1)
			return -1;
	if (kvlist_find(&d->env, "DOCKER_IMAGE") == NULL &&
	    array_push_fmt(a, "%s=%s", "DOCKER_IMAGE", d->image) == -1)
		return -1;
	return 0;
}

static int
spec_labels(cJSON *cfg, const struct defn *d, const struct spec_ctx *c)
{
	cJSON *o = cJSON_AddObjectToObject(cfg, "Labels");

	if (o == NULL)
		return -1;
	for (size_t i = 0; i < d->labels.n; i++)
		if (!cJSON_AddStringToObject(
			o, d->labels.v[i].key, d->labels.v[i].value))
			return -1;
	if (c->fields && !cJSON_AddStringToObject(o, LABEL_FIELDS, c->fields))
		return -1;
	if (c->links && !cJSON_AddStringToObject(o, LABEL_LINKS, c->links))
		return -1;
	if (c->replaces &&
	    !cJSON_AddStringToObject(o, LABEL_REPLACES, c->replaces))
		return -1;
	if (!cJSON_AddStringToObject(o, LABEL_ID, c->identity) ||
	    !cJSON_AddStringToObject(o, LABEL_HASH, c->hash) ||
	    !cJSON_AddStringToObject(o, LABEL_MANAGED, "1") ||
	    !cJSON_AddStringToObject(
		o, LABEL_SOURCE, d->source ? d->source : ""))
		return -1;
	return 0;
}

/* ExposedPorts in Config, PortBindings in HostConfig. */
static int
spec_ports(cJSON *cfg, cJSON *hc, const struct defn *d)
{
	cJSON *exp, *bind, *list, *b;
	char key[16], hp[8];

	if (d->nports == 0)
		return 0;
	if ((exp = cJSON_AddObjectToObject(cfg, "ExposedPorts")) == NULL ||
	    (bind = cJSON_AddObjectToObject(hc, "PortBindings")) == NULL)
		return -1;
	for (size_t i = 0; i < d->nports; i++) {
		const struct port *p = &d->ports[i];

		snprintf(key, sizeof(key), "%u/%s", p->container_port,
		    p->udp ? "udp" : "tcp");
		hp[0] = '\0';
		if (p->host_port != 0)
			snprintf(hp, sizeof(hp), "%u", p->host_port);
		if (!cJSON_HasObjectItem(exp, key) &&
		    !cJSON_AddObjectToObject(exp, key))
			return -1;
		list = cJSON_GetObjectItemCaseSensitive(bind, key);
		if (list == NULL &&
		    (list = cJSON_AddArrayToObject(bind, key)) == NULL)
			return -1;
		if ((b = cJSON_CreateObject()) == NULL)
			return -1;
		cJSON_AddItemToArray(list, b);
		if (!cJSON_AddStringToObject(b, "HostIp", "") ||
		    !cJSON_AddStringToObject(b, "HostPort", hp))
			return -1;
	}
	return 0;
}

/* Binds, anonymous Volumes and VolumesFrom; then the carried-over ones. */
static int
spec_volumes(
    cJSON *cfg, cJSON *hc, const struct defn *d, const struct strlist *carried)
{
	cJSON *binds = NULL, *anon = NULL, *from = NULL, *s;

	for (size_t i = 0; i < d->nvolumes; i++) {
		const struct volume *v = &d->volumes[i];

		if (v->from != NULL) {
			if (from == NULL &&
			    (from = cJSON_AddArrayToObject(
				 hc, "VolumesFrom")) == NULL)
				return -1;
			if ((s = cJSON_CreateString(v->from)) == NULL)
				return -1;
			cJSON_AddItemToArray(from, s);
		} else if (v->host_path != NULL) {
			if (binds == NULL &&
			    (binds = cJSON_AddArrayToObject(hc, "Binds")) ==
				NULL)
				return -1;
			if (array_push_fmt(binds,
				v->read_only ? "%s:%s:ro" : "%s:%s",
				v->host_path, v->container_path) == -1)
				return -1;
		} else {
			if (anon == NULL &&
			    (anon = cJSON_AddObjectToObject(cfg, "Volumes")) ==
				NULL)
				return -1;
			if (!cJSON_AddObjectToObject(anon, v->container_path))
				return -1;
		}
	}
	for (size_t i = 0; carried && i < carried->n; i++) {
		if (binds == NULL &&
		    (binds = cJSON_AddArrayToObject(hc, "Binds")) == NULL)
			return -1;
		if (array_push_fmt(binds, "%s", carried->v[i]) == -1)
			return -1;
	}
	return 0;
}

static const char *
restart_name(enum restart_policy r)
{
	switch (r) {
	case RESTART_ALWAYS:
		return "always";
	case RESTART_NEVER:
		return "no";
	case RESTART_ON_FAILURE:
		break;
	}
	return "on-failure";
}

/* SecurityOpt, with a seccomp profile passed by content as the CLI does. */
static int
spec_security(cJSON *hc, const struct defn *d)
{
	cJSON *a;
	char *profile;
	int rc;

	if (d->security_opt.n == 0 && d->seccomp == NULL)
		return 0;
	if ((a = cJSON_AddArrayToObject(hc, "SecurityOpt")) == NULL)
		return -1;
	for (size_t i = 0; i < d->security_opt.n; i++)
		if (array_push_fmt(a, "%s", d->security_opt.v[i]) == -1)
			return -1;
	if (d->seccomp == NULL)
		return 0;
	profile = xstrdup(d->seccomp);
	cJSON_Minify(profile);
	rc = array_push_fmt(a, "seccomp=%s", profile);
	free(profile);
	return rc;
}

static int
spec_links_tmpfs(cJSON *hc, const struct defn *d)
{
	cJSON *a, *o;

	if (d->links.n > 0) {
		if ((a = cJSON_AddArrayToObject(hc, "Links")) == NULL)
			return -1;
		for (size_t i = 0; i < d->links.n; i++)
			if (array_push_fmt(a, "%s:%s", d->links.v[i].key,
				d->links.v[i].value) == -1)
				return -1;
	}
	if (d->tmpfs.n > 0) {
		if ((o = cJSON_AddObjectToObject(hc, "Tmpfs")) == NULL)
			return -1;
		for (size_t i = 0; i < d->tmpfs.n; i++)
			if (!cJSON_AddStringToObject(
				o, d->tmpfs.v[i].key, d->tmpfs.v[i].value))
				return -1;
	}
	return 0;
}

#define NS_PER_S 1000000000LL

/*
 * Healthcheck, only when the definition has one: then the image's own
 * HEALTHCHECK gives what the definition leaves at 0 (Docker's rule).
 */
static int
spec_healthcheck(cJSON *cfg, const struct defn *d)
{
	const struct {
		const char *key;
		int64_t v, scale;
	} num[] = {
		{ "Interval", d->health_interval, NS_PER_S },
		{ "Timeout", d->health_timeout, NS_PER_S },
		{ "Retries", d->health_retries, 1 },
		{ "StartPeriod", d->health_start_period, NS_PER_S },
	};
	cJSON *h;
	int any = d->health_test.n > 0;

	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		any |= num[i].v != 0;
	if (!any)
		return 0;
	if ((h = cJSON_AddObjectToObject(cfg, "Healthcheck")) == NULL ||
	    add_nonempty_strlist(h, "Test", &d->health_test) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (num[i].v != 0 &&
		    !cJSON_AddNumberToObject(
			h, num[i].key, (double)(num[i].v * num[i].scale)))
			return -1;
	return 0;
}

/* StopTimeout, when not Docker's default (which it is when absent). */
static int
spec_stop_timeout(cJSON *cfg, const struct defn *d)
{
	if (d->stop_timeout == defn_fields[T_STOP_TIMEOUT].def)
		return 0;
	return cJSON_AddNumberToObject(
		   cfg, "StopTimeout", (double)d->stop_timeout)
	    ? 0
	    : -1;
}

static int
spec_config(cJSON *cfg, const struct defn *d, const struct spec_ctx *c)
{
	if (!cJSON_AddStringToObject(cfg, "Image", d->image))
		return -1;
	if (d->has_entrypoint &&
	    add_strlist(cfg, "Entrypoint", &d->entrypoint) == -1)
		return -1;
	if (d->has_command && add_strlist(cfg, "Cmd", &d->command) == -1)
		return -1;
	if (d->user && !cJSON_AddStringToObject(cfg, "User", d->user))
		return -1;
	if (spec_env(cfg, d) == -1 || spec_labels(cfg, d, c) == -1)
		return -1;
	if (spec_healthcheck(cfg, d) == -1 || spec_stop_timeout(cfg, d) == -1)
		return -1;
	return 0;
}

static int
spec_host_config(cJSON *hc, const struct defn *d, const struct spec_ctx *c)
{
	cJSON *rp;

	if (d->cpu_shares &&
	    !cJSON_AddNumberToObject(hc, "CpuShares", (double)d->cpu_shares))
		return -1;
	if (d->memory &&
	    !cJSON_AddNumberToObject(hc, "Memory", (double)d->memory))
		return -1;
	if (d->privileged && !cJSON_AddTrueToObject(hc, "Privileged"))
		return -1;
	if (d->read_only && !cJSON_AddTrueToObject(hc, "ReadonlyRootfs"))
		return -1;
	if (c->network_mode &&
	    !cJSON_AddStringToObject(hc, "NetworkMode", c->network_mode))
		return -1;
	if ((rp = cJSON_AddObjectToObject(hc, "RestartPolicy")) == NULL ||
	    !cJSON_AddStringToObject(rp, "Name", restart_name(d->restart)))
		return -1;
	if (add_nonempty_strlist(hc, "CapAdd", &d->cap_add) == -1 ||
	    add_nonempty_strlist(hc, "CapDrop", &d->cap_drop) == -1)
		return -1;
	if (spec_security(hc, d) == -1 || spec_links_tmpfs(hc, d) == -1)
		return -1;
	return 0;
}

cJSON *
spec_create_body(const struct defn *d, const struct spec_ctx *c)
{
	cJSON *body = cJSON_CreateObject(), *hc;

	if (body == NULL)
		return NULL;
	if (spec_config(body, d, c) == -1 ||
	    (hc = cJSON_AddObjectToObject(body, "HostConfig")) == NULL ||
	    spec_host_config(hc, d, c) == -1 || spec_ports(body, hc, d) == -1 ||
	    spec_volumes(body, hc, d, c->carried) == -1) {
		cJSON_Delete(body);
		return NULL;
	}
	return body;
}

/* Each field of the original format, and where the create body has it. */
struct field_paths {
	const char *field;
	const char *paths[3]; /* "Config" item, or "HostConfig/Item" */
};

static const struct field_paths field_map[] = {
	{ "image", { "Image" } },
	{ "cpu", { "HostConfig/CpuShares" } },
	{ "memory", { "HostConfig/Memory" } },
	{ "entrypoint", { "Entrypoint" } },
	{ "command", { "Cmd" } },
	{ "privileged", { "HostConfig/Privileged" } },
	{ "network", { "HostConfig/NetworkMode" } },
	{ "volumes",
	    { "HostConfig/Binds", "Volumes", "HostConfig/VolumesFrom" } },
	{ "portMappings", { "ExposedPorts", "HostConfig/PortBindings" } },
	{ "env", { "Env" } },
	{ "restart", { "HostConfig/RestartPolicy" } },
	{ "links", { "HostConfig/Links" } },
	{ "user", { "User" } },
	{ "readOnly", { "HostConfig/ReadonlyRootfs" } },
	{ "capAdd", { "HostConfig/CapAdd" } },
	{ "capDrop", { "HostConfig/CapDrop" } },
	{ "securityOpt", { "HostConfig/SecurityOpt" } },
	{ "tmpfs", { "HostConfig/Tmpfs" } },
	{ "labels", { "Labels" } },
};

/*
 * Fields added after 0.1.0: named only when in the body, so that the
 * label of a container created before names the same fields.
 */
static const struct field_paths field_map_added[] = {
	{ "healthcheck", { "Healthcheck" } },
	{ "stopTimeout", { "StopTimeout" } },
};

static const cJSON *
body_item(const cJSON *body, const char *path)
{
	if (strncmp(path, "HostConfig/", 11) == 0)
		return cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(body, "HostConfig"),
		    path + 11);
	return cJSON_GetObjectItemCaseSensitive(body, path);
}

static int
field_hash(struct buf *out, const char *field, const struct buf *in)
{
	char h[65];

	sha256_hex(in->p ? (const char *)in->p : "", in->len, h);
	return buf_printf(out, "%s%s=%.8s", out->len ? " " : "", field, h);
}

/* update and signal are not in the body: their own short forms. */
static int
fields_not_in_body(const struct defn *d, struct buf *out, struct buf *tmp)
{
	buf_reset(tmp);
	if (buf_printf(tmp, "%d%d%d", d->update_pull, d->update_eager,
		d->update_rolling) == -1)
		return -1;
	/* The members added after 0.1.0, only when not at their defaults. */
	for (unsigned int t = T_UPDATE_MONITOR; t <= T_UPDATE_ROLLBACK; t++) {
		const struct field_desc *f = &defn_fields[t];
		const void *m = (const char *)d + f->off;
		int64_t v =
		    field_is_int(f) ? *(const int64_t *)m : *(const int *)m;
		int64_t def = field_is_int(f) ? f->def : 1;

		if (v != def &&
		    buf_printf(tmp, ";%s=%lld", f->member, (long long)v) == -1)
			return -1;
	}
	if (field_hash(out, "update", tmp) == -1)
		return -1;
	buf_reset(tmp);
	for (size_t i = 0; i < d->signals.n; i++)
		if (buf_printf(tmp, "%s=%s;", d->signals.v[i].key,
			d->signals.v[i].value) == -1)
			return -1;
	return field_hash(out, "signal", tmp);
}

/* Each field's hash of its items in the body; optional: absent, unnamed. */
static int
hash_body_fields(const cJSON *body, const struct field_paths *map, size_t n,
    int optional, struct buf *out, struct buf *tmp)
{
	char *p;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_reset(tmp);
		if (optional && body_item(body, map[i].paths[0]) == NULL)
			continue;
		for (size_t k = 0; k < 3 && map[i].paths[k]; k++) {
			const cJSON *it = body_item(body, map[i].paths[k]);

			if (it == NULL)
				p = NULL;
			else if ((p = cJSON_PrintUnformatted(it)) == NULL)
				rc = -1;
			if (buf_printf(tmp, "%s;", p ? p : "-") == -1)
				rc = -1;
			free(p);
		}
		if (rc == 0)
			rc = field_hash(out, map[i].field, tmp);
	}
	return rc;
}

char *
spec_field_hashes(const struct defn *d)
{
	struct spec_ctx c = {
		.identity = "", .hash = "", .network_mode = d->network
	};
	struct buf out, tmp;
	cJSON *body, *labels;
	char *s = NULL;
	int rc = 0;

	if ((body = spec_create_body(d, &c)) == NULL)
		return NULL;
	/* The labels field is the operator's labels only. */
	labels = cJSON_GetObjectItemCaseSensitive(body, "Labels");
	cJSON_DeleteItemFromObjectCaseSensitive(labels, LABEL_ID);
	cJSON_DeleteItemFromObjectCaseSensitive(labels, LABEL_HASH);
	cJSON_DeleteItemFromObjectCaseSensitive(labels, LABEL_MANAGED);
	cJSON_DeleteItemFromObjectCaseSensitive(labels, LABEL_SOURCE);
	buf_init(&out, 4096);
	buf_init(&tmp, 1 << 20);
	rc = hash_body_fields(body, field_map,
	    sizeof(field_map) / sizeof(field_map[0]), 0, &out, &tmp);
	if (rc == 0)
		rc = fields_not_in_body(d, &out, &tmp);
	if (rc == 0)
		rc = hash_body_fields(body, field_map_added,
		    sizeof(field_map_added) / sizeof(field_map_added[0]), 1,
		    &out, &tmp);
	if (rc == 0)
		s = xstrdup(buf_cstr(&out));
	buf_free(&out);
	buf_free(&tmp);
	cJSON_Delete(body);
	return s;
}

/* The hash of field in a "f=h f=h" string, or NULL. */
static const char *
field_lookup(const char *s, const char *field, size_t *len)
{
	size_t fl = strlen(field);

	for (const char *p = s; p && *p;
	     p = strchr(p, ' '), p = p ? p + 1 : NULL) {
		if (strncmp(p, field, fl) == 0 && p[fl] == '=') {
			*len = strcspn(p + fl + 1, " ");
			return p + fl + 1;
		}
	}
	return NULL;
}

/* Copies the field name at p (up to '=') into field; -1 if too long. */
static int
field_name_at(const char *p, char field[64])
{
	size_t fl = strcspn(p, "=");

	if (fl >= 64)
		return -1;
	memcpy(field, p, fl);
	field[fl] = '\0';
	return 0;
}

static void
name_changed(char *out, size_t outlen, size_t *n, const char *field)
{
	if (*n < outlen)
		*n += (size_t)snprintf(
		    out + *n, outlen - *n, "%s%s", *n ? ", " : "", field);
}

void
spec_fields_changed(const char *old, const char *now, char *out, size_t outlen)
{
	const char *a, *b, *p;
	size_t al = 0, bl = 0, n = 0;
	char field[64];

	out[0] = '\0';
	if (old == NULL || now == NULL)
		return;
	for (p = now; *p; p += strcspn(p, " "), p += *p == ' ') {
		if (field_name_at(p, field) == -1)
			break;
		a = field_lookup(old, field, &al);
		b = field_lookup(now, field, &bl);
		if (b && (a == NULL || al != bl || memcmp(a, b, al) != 0))
			name_changed(out, outlen, &n, field);
	}
	/* A field named only when set (healthcheck...) that was unset. */
	for (p = old; *p; p += strcspn(p, " "), p += *p == ' ') {
		if (field_name_at(p, field) == -1)
			break;
		if (field_lookup(now, field, &bl) == NULL)
			name_changed(out, outlen, &n, field);
	}
}
