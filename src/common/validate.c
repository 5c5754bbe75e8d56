/*
 * The rules of a canonical definition and of a whole desired state.  The
 * fetcher runs them after normalizing JSON; the engine runs them again on
 * everything it decodes.  They look only at struct defn, never at JSON.
 */
#include "validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "bounds.h"
#include "fields.h"
#include "profile.h"
#include "buf.h"
#include "log.h"
#include "xalloc.h"

/* Linux capabilities, without the CAP_ prefix. */
static const char *const capabilities[] = {
	"AUDIT_CONTROL",
	"AUDIT_READ",
	"AUDIT_WRITE",
	"BLOCK_SUSPEND",
	"BPF",
	"CHECKPOINT_RESTORE",
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"IPC_LOCK",
	"IPC_OWNER",
	"KILL",
	"LEASE",
	"LINUX_IMMUTABLE",
	"MAC_ADMIN",
	"MAC_OVERRIDE",
	"MKNOD",
	"NET_ADMIN",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_RAW",
	"PERFMON",
	"SETFCAP",
	"SETGID",
	"SETPCAP",
	"SETUID",
	"SYSLOG",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_CHROOT",
	"SYS_MODULE",
	"SYS_NICE",
	"SYS_PACCT",
	"SYS_PTRACE",
	"SYS_RAWIO",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"WAKE_ALARM",
};

/* Signal names, without the SIG prefix. */
static const char *const signals[] = {
	"ABRT",
	"ALRM",
	"BUS",
	"CHLD",
	"CONT",
	"FPE",
	"HUP",
	"ILL",
	"INT",
	"IO",
	"IOT",
	"KILL",
	"PIPE",
	"POLL",
	"PROF",
	"PWR",
	"QUIT",
	"SEGV",
	"STKFLT",
	"STOP",
	"SYS",
	"TERM",
	"TRAP",
	"TSTP",
	"TTIN",
	"TTOU",
	"URG",
	"USR1",
	"USR2",
	"VTALRM",
	"WINCH",
	"XCPU",
	"XFSZ",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], s) == 0)
			return 1;
	return 0;
}

int
valid_container_name(const char *s)
{
	size_t n = strlen(s);

	/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, so at least two. */
	if (n < 2 || n > MAX_NAME_LEN || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

/* A link alias is a host name inside the container: one character will do. */
static int
valid_link_alias(const char *s)
{
	return valid_container_name(s) ||
	    (strlen(s) == 1 && isalnum((unsigned char)s[0]));
}

static int
is_lalnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* alpha-numeric (separator alpha-numeric)*, separator: . _ __ -+ */
static int
valid_path_component(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lalnum(p[0]) || !is_lalnum(p[n - 1]))
		return 0;
	while (i < n) {
		if (is_lalnum(p[i])) {
			i++;
			continue;
		}
		size_t sep = i;
		while (i < n && !is_lalnum(p[i]))
			i++;
		size_t slen = i - sep;
		if (p[sep] == '.' && slen == 1)
			continue;
		if (p[sep] == '_' && slen <= 2 && p[i - 1] == '_')
			continue;
		for (size_t k = sep; k < i; k++)
			if (p[k] != '-')
				return 0;
	}
	return 1;
}

static int
valid_domain(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t hn = colon ? (size_t)(colon - p) : n;

	if (colon != NULL) {
		size_t pn = n - hn - 1;
		unsigned long port = 0;
		if (pn == 0 || pn > 5)
			return 0;
		for (size_t i = 0; i < pn; i++) {
			if (!isdigit((unsigned char)colon[1 + i]))
				return 0;
			port = port * 10 + (unsigned long)(colon[1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return 0;
	}
	if (hn == 0)
		return 0;
	for (size_t i = 0, start = 0; i <= hn; i++) {
		if (i < hn && p[i] != '.') {
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return 0;
			continue;
		}
		if (i == start || p[start] == '-' || p[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static int
valid_tag(const char *p, size_t n)
{
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (isalnum(c) || c == '_')
			continue;
		if (i > 0 && (c == '.' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

static int
valid_digest(const char *p)
{
	size_t hexlen;

	if (strncmp(p, "sha256:", 7) == 0)
		hexlen = 64, p += 7;
	else if (strncmp(p, "sha512:", 7) == 0)
		hexlen = 128, p += 7;
	else
		return 0;
	if (strlen(p) != hexlen)
		return 0;
	for (size_t i = 0; i < hexlen; i++)
		if (strchr("0123456789abcdef", p[i]) == NULL)
			return 0;
	return 1;
}

/* Docker's reference grammar: [domain/]path[:tag][@digest]. */
int
valid_image_ref(const char *s)
{
	size_t len = strlen(s), name_end;
	const char *at, *slash = NULL, *colon = NULL;

	if (len == 0 || len > MAX_IMAGE_LEN)
		return 0;
	at = strchr(s, '@');
	if (at != NULL && !valid_digest(at + 1))
		return 0;
	name_end = at ? (size_t)(at - s) : len;
	for (size_t i = 0; i < name_end; i++)
		if (s[i] == '/')
			slash = s + i;
	colon = memchr(slash ? slash : s, ':',
	    name_end - (size_t)((slash ? slash : s) - s));
	if (colon != NULL) {
		if (!valid_tag(colon + 1, name_end - (size_t)(colon - s) - 1))
			return 0;
		name_end = (size_t)(colon - s);
	}
	if (name_end == 0 || name_end > 255)
		return 0;
	size_t start = 0;
	const char *first_slash = memchr(s, '/', name_end);
	if (first_slash != NULL) {
		size_t fl = (size_t)(first_slash - s);
		if (memchr(s, '.', fl) || memchr(s, ':', fl) ||
		    (fl == 9 && strncmp(s, "localhost", 9) == 0)) {
			if (!valid_domain(s, fl))
				return 0;
			start = fl + 1;
		}
	}
	for (size_t i = start; i <= name_end; i++) {
		if (i < name_end && s[i] != '/')
			continue;
		if (!valid_path_component(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* Printable ASCII except '=' and space; what a shell or Docker accepts. */
int
valid_env_key(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '=')
			return 0;
	return 1;
}

int
valid_capability(const char *s)
{
	if (strcasecmp(s, "ALL") == 0)
		return 1;
	if (strncasecmp(s, "CAP_", 4) == 0)
		s += 4;
	return in_list(capabilities, NELEM(capabilities), s);
}

int
valid_signal_name(const char *s)
{
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	return in_list(signals, NELEM(signals), s);
}

int
valid_label_key(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != '/')
			return 0;
	}
	return strncasecmp(s, "dockerup.", 9) != 0;
}

/* The account a container runs as: NAME, UID, NAME:GROUP or UID:GID. */
static int
valid_user(const char *s)
{
	size_t n = strlen(s);
	int colons = 0;

	if (n == 0 || n > defn_fields[T_USER].max_len || s[0] == ':' ||
	    s[n - 1] == ':')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':' && ++colons > 1)
			return 0;
		if (c != ':' && !isalnum(c) && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

static int
valid_tmpfs_options(const char *s)
{
	if (strlen(s) > 256)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("=,._-", *s) == NULL)
			return 0;
	return 1;
}

/* A key safe to show in a field path: printable ASCII, truncated. */
static void
safe_key(const char *k, char *out, size_t outlen)
{
	size_t j = 0;

	for (size_t i = 0; k[i] != '\0' && j + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)k[i];
		out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
		if (i == 63) {
			out[j++] = '.';
			out[j++] = '.';
			out[j++] = '.';
			break;
		}
	}
	out[j] = '\0';
}

/* A row's limits (fields.h): the decoder reads the same. */
static size_t
lim_len(enum defn_tag t)
{
	return defn_fields[t].max_len;
}

static size_t
lim_items(enum defn_tag t)
{
	return defn_fields[t].max_items;
}

static int
check_string(struct errctx *c, const char *field, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		errctx_add(c, field, "is %zu bytes long; expected at most %zu",
		    n, max);
		return 0;
	}
	if (!valid_utf8(s, n)) {
		errctx_add(c, field, "is not valid UTF-8; expected UTF-8 text");
		return 0;
	}
	return 1;
}

static void
check_name_ref(struct errctx *c, const char *field, const char *name)
{
	if (!valid_container_name(name))
		errctx_add(c, field,
		    "\"%.64s\" is not a valid container name; "
		    "expected [a-zA-Z0-9][a-zA-Z0-9_.-]+, 2 to %d "
		    "characters",
		    name, MAX_NAME_LEN);
}

static int
sorted_unique(const struct kvlist *l)
{
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1].key, l->v[i].key) >= 0)
			return 0;
	return 1;
}

static void
check_image(struct errctx *c, const char *image)
{
	const char *slash, *at;

	if (image == NULL) {
		errctx_add(c, "image",
		    "is missing; expected an image reference "
		    "such as \"registry:2\" or \"example/app:1.0\"");
		return;
	}
	if (!check_string(c, "image", image, lim_len(T_IMAGE)))
		return;
	if (!valid_image_ref(image)) {
		errctx_add(c, "image",
		    "\"%.80s\" is not a valid image reference; "
		    "expected [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST] with a "
		    "lowercase NAME",
		    image);
		return;
	}
	slash = strrchr(image, '/');
	at = strchr(image, '@');
	if (at == NULL && strchr(slash ? slash : image, ':') == NULL)
		errctx_add(c, "image",
		    "has no tag; expected a tag or digest "
		    "(\":latest\" is added when the tag is missing)");
}

static void
check_args(struct errctx *c, enum defn_tag t, const struct strlist *l)
{
	const char *field = defn_fields[t].key;
	char f[64];

	if (l->n > lim_items(t)) {
		errctx_add(c, field, "has %zu words; expected at most %zu",
		    l->n, lim_items(t));
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		check_string(c, f, l->v[i], lim_len(t));
	}
}

static void
check_network(struct errctx *c, const char *net)
{
	if (net == NULL || strcmp(net, "bridge") == 0 ||
	    strcmp(net, "none") == 0 || strcmp(net, "host") == 0)
		return;
	if (strncmp(net, "container:", 10) == 0) {
		check_name_ref(c, "network", net + 10);
		return;
	}
	errctx_add(c, "network",
	    "\"%.64s\" is not a network mode; expected "
	    "bridge, none, host or container:NAME",
	    net);
}

static void
check_volume(struct errctx *c, size_t i, const struct volume *v)
{
	char f[64];

	if (v->from != NULL) {
		snprintf(f, sizeof(f), "volumes[%zu].from", i);
		check_name_ref(c, f, v->from);
		if (v->container_path != NULL || v->host_path != NULL)
			errctx_add(c, f,
			    "cannot be combined with containerPath or "
			    "hostPath; expected either from or paths");
		return;
	}
	snprintf(f, sizeof(f), "volumes[%zu].containerPath", i);
	if (v->container_path == NULL)
		errctx_add(c, f,
		    "is missing; expected an absolute path inside the "
		    "container (or \"from\": NAME)");
	else if (!valid_abs_path(v->container_path) ||
	    strchr(v->container_path, ':') != NULL)
		errctx_add(c, f,
		    "is not a valid path; expected an absolute path "
		    "without \"..\" components or ':', at most %d bytes",
		    MAX_PATH_LEN);
	snprintf(f, sizeof(f), "volumes[%zu].hostPath", i);
	if (v->host_path != NULL &&
	    (!valid_abs_path(v->host_path) ||
		strchr(v->host_path, ':') != NULL))
		errctx_add(c, f,
		    "is not a valid path; expected an absolute path "
		    "without \"..\" components or ':', at most %d bytes",
		    MAX_PATH_LEN);
	if (v->read_only != 0 && v->read_only != 1)
		errctx_add(c, f, "has a bad mode; expected ro or rw");
}

static void
check_ports(struct errctx *c, const struct defn *d)
{
	char f[64];

	if (d->nports > lim_items(T_PORT)) {
		errctx_add(c, "portMappings",
		    "has %zu entries; expected at most %zu", d->nports,
		    lim_items(T_PORT));
		return;
	}
	for (size_t i = 0; i < d->nports; i++) {
		const struct port *p = &d->ports[i];
		snprintf(f, sizeof(f), "portMappings[%zu].containerPort", i);
		if (p->container_port == 0)
			errctx_add(
			    c, f, "is 0; expected a port from 1 to 65535");
		if (p->udp != 0 && p->udp != 1)
			errctx_add(
			    c, f, "has a bad protocol; expected tcp or udp");
		for (size_t k = 0; k < i && p->host_port != 0; k++) {
			if (d->ports[k].host_port != p->host_port ||
			    d->ports[k].udp != p->udp)
				continue;
			snprintf(f, sizeof(f), "portMappings[%zu].hostPort", i);
			errctx_add(c, f,
			    "%u/%s is already mapped by "
			    "portMappings[%zu]; expected each host port once",
			    p->host_port, p->udp ? "udp" : "tcp", k);
			break;
		}
	}
}

static void
check_kv_strings(struct errctx *c, enum defn_tag t, const struct kvlist *l)
{
	const char *field = defn_fields[t].key;
	size_t max = lim_items(t);
	char f[128], k[80];

	if (l->n > max) {
		errctx_add(c, field, "has %zu entries; expected at most %zu",
		    l->n, max);
		return;
	}
	if (!sorted_unique(l))
		errctx_add(c, field,
		    "is not sorted by key or has a duplicate key; "
		    "expected unique keys in canonical order");
	for (size_t i = 0; i < l->n; i++) {
		safe_key(l->v[i].key, k, sizeof(k));
		snprintf(f, sizeof(f), "%s.%s", field, k);
		check_string(c, f, l->v[i].key, lim_len(t));
		check_string(c, f, l->v[i].value, lim_len(t));
	}
}

static void
check_env(struct errctx *c, const struct kvlist *env)
{
	char f[128], k[80];

	check_kv_strings(c, T_ENV, env);
	for (size_t i = 0; i < env->n && i < lim_items(T_ENV); i++) {
		if (valid_env_key(env->v[i].key))
			continue;
		safe_key(env->v[i].key, k, sizeof(k));
		snprintf(f, sizeof(f), "env.%s", k);
		errctx_add(c, f,
		    "is not a valid variable name; expected printable "
		    "ASCII without spaces or '='");
	}
}

static void
check_links(struct errctx *c, const struct kvlist *links)
{
	char f[128], k[80];

	check_kv_strings(c, T_LINK, links);
	for (size_t i = 0; i < links->n && i < lim_items(T_LINK); i++) {
		safe_key(links->v[i].key, k, sizeof(k));
		snprintf(f, sizeof(f), "links.%s", k);
		check_name_ref(c, f, links->v[i].key);
		if (!valid_link_alias(links->v[i].value))
			errctx_add(c, f,
			    "alias \"%.64s\" is not valid; expected "
			    "[a-zA-Z0-9][a-zA-Z0-9_.-]*",
			    links->v[i].value);
	}
}

static void
check_signals(struct errctx *c, const struct kvlist *sig)
{
	char f[128], k[80];

	check_kv_strings(c, T_SIGNAL, sig);
	for (size_t i = 0; i < sig->n && i < lim_items(T_SIGNAL); i++) {
		const char *v = sig->v[i].value;
		safe_key(sig->v[i].key, k, sizeof(k));
		snprintf(f, sizeof(f), "signal.%s", k);
		check_name_ref(c, f, sig->v[i].key);
		if (!valid_signal_name(v) || strncmp(v, "SIG", 3) == 0 ||
		    !in_list(signals, NELEM(signals), v) ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
			strlen(v))
			errctx_add(c, f,
			    "\"%.32s\" is not a signal name; expected "
			    "a name such as HUP, USR1 or TERM",
			    v);
	}
}

static void
check_caps(struct errctx *c, enum defn_tag t, const struct strlist *l)
{
	const char *field = defn_fields[t].key;
	char f[64];

	if (l->n > lim_items(t)) {
		errctx_add(c, field, "has %zu entries; expected at most %zu",
		    l->n, lim_items(t));
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (!valid_capability(s) || strncmp(s, "CAP_", 4) == 0 ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen(s))
			errctx_add(c, f,
			    "\"%.40s\" is not a capability; expected a "
			    "name such as NET_ADMIN or ALL",
			    s);
		for (size_t k = 0; k < i; k++)
			if (strcmp(l->v[k], s) == 0) {
				errctx_add(c, f,
				    "repeats %s; expected each "
				    "capability once",
				    s);
				break;
			}
	}
}

static void
check_security_opt(struct errctx *c, const struct defn *d)
{
	char f[64];
	int apparmor = 0;

	if (d->security_opt.n > lim_items(T_SECURITY_OPT)) {
		errctx_add(c, "securityOpt",
		    "has %zu entries; expected at most %zu", d->security_opt.n,
		    lim_items(T_SECURITY_OPT));
		return;
	}
	for (size_t i = 0; i < d->security_opt.n; i++) {
		const char *s = d->security_opt.v[i];
		snprintf(f, sizeof(f), "securityOpt[%zu]", i);
		if (strcmp(s, "no-new-privileges") == 0)
			continue;
		if (strncmp(s, "apparmor=", 9) == 0 && s[9] != '\0' &&
		    strlen(s) < 256 && apparmor++ == 0 &&
		    strspn(s + 9,
			"abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") ==
			strlen(s + 9))
			continue;
		errctx_add(c, f,
		    "\"%.64s\" is not allowed; expected "
		    "no-new-privileges, apparmor=PROFILE (once) or "
		    "seccomp=NAME",
		    s);
	}
	if (d->seccomp == NULL || strcmp(d->seccomp, "unconfined") == 0)
		return;
	size_t n = strlen(d->seccomp);
	if (n > lim_len(T_SECCOMP)) {
		errctx_add(c, "securityOpt",
		    "seccomp profile is %zu bytes; expected "
		    "at most %zu",
		    n, lim_len(T_SECCOMP));
		return;
	}
	/* The format here; whether it may allow everything is a setting,
	 * checked by profile_check() where the settings are known. */
	char msg[600];
	if (profile_check(d->seccomp, 1, msg, sizeof(msg)) == -1)
		errctx_add(c, "securityOpt",
		    "seccomp profile is not a Docker seccomp profile: %s", msg);
}

static void
check_tmpfs(struct errctx *c, const struct kvlist *t)
{
	char f[128], k[80];

	check_kv_strings(c, T_TMPFS, t);
	for (size_t i = 0; i < t->n && i < lim_items(T_TMPFS); i++) {
		safe_key(t->v[i].key, k, sizeof(k));
		snprintf(f, sizeof(f), "tmpfs.%s", k);
		if (!valid_abs_path(t->v[i].key) || strchr(t->v[i].key, ':'))
			errctx_add(c, f,
			    "is not a valid path; expected an absolute "
			    "path without \"..\" components or ':'");
		if (!valid_tmpfs_options(t->v[i].value))
			errctx_add(c, f,
			    "has bad mount options; expected a comma "
			    "separated list such as \"size=64m,mode=1777\"");
	}
}

static void
check_labels(struct errctx *c, const struct kvlist *l)
{
	char f[128], k[80];

	check_kv_strings(c, T_LABEL, l);
	for (size_t i = 0; i < l->n && i < lim_items(T_LABEL); i++) {
		const char *key = l->v[i].key;
		if (valid_label_key(key))
			continue;
		safe_key(key, k, sizeof(k));
		snprintf(f, sizeof(f), "labels.%s", k);
		if (strncasecmp(key, "dockerup.", 9) == 0)
			errctx_add(c, f,
			    "is reserved; keys under \"dockerup.\" "
			    "belong to dockerup itself");
		else
			errctx_add(c, f,
			    "is not a valid label key; expected "
			    "letters, digits, '.', '-', '_' or '/', starting "
			    "and ending with a letter or digit");
	}
}

static void
check_flags(struct errctx *c, const struct defn *d)
{
	if (d->privileged != 0 && d->privileged != 1)
		errctx_add(c, "privileged", "expected true or false");
	if (d->read_only != 0 && d->read_only != 1)
		errctx_add(c, "readOnly", "expected true or false");
	if ((d->update_pull != 0 && d->update_pull != 1) ||
	    (d->update_eager != 0 && d->update_eager != 1) ||
	    (d->update_rollback != 0 && d->update_rollback != 1))
		errctx_add(c, "update", "expected true or false flags");
	if (d->update_rolling < 0 || d->update_rolling > MAX_ROLLING_PARALLEL)
		errctx_add(c, "update.rolling.maxParallel",
		    "%d is out of range; expected a whole number from 1 to %d",
		    d->update_rolling, MAX_ROLLING_PARALLEL);
	if (d->restart != RESTART_ON_FAILURE && d->restart != RESTART_ALWAYS &&
	    d->restart != RESTART_NEVER)
		errctx_add(
		    c, "restart", "expected always, on-failure or never");
	if (d->has_entrypoint != 0 && d->has_entrypoint != 1)
		errctx_add(c, "entrypoint", "bad presence flag");
	if (d->has_command != 0 && d->has_command != 1)
		errctx_add(c, "command", "bad presence flag");
	if ((!d->has_entrypoint && d->entrypoint.n > 0) ||
	    (!d->has_command && d->command.n > 0))
		errctx_add(c, "command", "has words but is not set");
}

static void
check_resources(struct errctx *c, const struct defn *d)
{
	const struct field_desc *cpu = &defn_fields[T_CPU],
				*mem = &defn_fields[T_MEMORY];

	if (d->cpu_shares != 0 &&
	    (d->cpu_shares < cpu->min || d->cpu_shares > cpu->max))
		errctx_add(c, "cpu",
		    "%lld is out of range; expected CPU shares from "
		    "%lld to %lld",
		    (long long)d->cpu_shares, (long long)cpu->min,
		    (long long)cpu->max);
	if (d->memory != 0 && (d->memory < mem->min || d->memory > mem->max))
		errctx_add(c, "memory",
		    "%lld bytes is out of range; expected at "
		    "least 6m (%lld bytes) and at most 1024t",
		    (long long)d->memory, (long long)mem->min);
}

/* The integer rows added with healthcheck: their default, or in range. */
static void
check_timings(struct errctx *c, const struct defn *d)
{
	char f[64];

	for (unsigned int t = T_HEALTH_TEST; t < T_DEFN_MAX; t++) {
		const struct field_desc *r = &defn_fields[t];
		int64_t v =
		    *(const int64_t *)(const void *)((const char *)d + r->off);
		int64_t lo = r->def < r->min ? r->def : r->min;

		if (!field_is_int(r) || v == r->def ||
		    (v >= r->min && v <= r->max))
			continue;
		snprintf(f, sizeof(f), "%s%s%s", r->key, r->member ? "." : "",
		    r->member ? r->member : "");
		errctx_add(c, f,
		    "%lld is out of range; expected %s from %lld "
		    "to %lld",
		    (long long)v,
		    r->kind == FK_SECONDS ? "whole seconds" : "a whole number",
		    (long long)lo, (long long)r->max);
	}
}

static int
health_options_set(const struct defn *d)
{
	return d->health_interval || d->health_timeout || d->health_retries ||
	    d->health_start_period;
}

/* Docker's Test: ["CMD", arg...], ["CMD-SHELL", command] or ["NONE"]. */
static void
check_health_test(struct errctx *c, const struct defn *d)
{
	const struct strlist *l = &d->health_test;
	char f[64];

	if (l->n > lim_items(T_HEALTH_TEST)) {
		errctx_add(c, "healthcheck.test",
		    "has %zu items; expected at most %zu", l->n,
		    lim_items(T_HEALTH_TEST));
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		snprintf(f, sizeof(f), "healthcheck.test[%zu]", i);
		if (!check_string(c, f, l->v[i], lim_len(T_HEALTH_TEST)))
			return;
	}
	if (l->n == 0)
		return;
	if (strcmp(l->v[0], "NONE") == 0) {
		if (l->n != 1)
			errctx_add(c, "healthcheck.test",
			    "has %zu items after \"NONE\"; expected "
			    "[\"NONE\"] alone",
			    l->n - 1);
		else if (health_options_set(d))
			errctx_add(c, "healthcheck",
			    "sets interval, timeout, retries or startPeriod "
			    "with test [\"NONE\"]; expected no options when "
			    "the health check is off");
	} else if (strcmp(l->v[0], "CMD") == 0) {
		if (l->n < 2)
			errctx_add(c, "healthcheck.test",
			    "is [\"CMD\"] alone; expected the program to run "
			    "after \"CMD\"");
	} else if (strcmp(l->v[0], "CMD-SHELL") == 0) {
		if (l->n != 2)
			errctx_add(c, "healthcheck.test",
			    "has %zu items after \"CMD-SHELL\"; expected one "
			    "command string",
			    l->n - 1);
		else if (l->v[1][0] == '\0')
			errctx_add(c, "healthcheck.test[1]",
			    "is empty; expected a command for the shell");
	} else
		errctx_add(c, "healthcheck.test[0]",
		    "\"%.32s\" is not a test form; expected \"CMD\", "
		    "\"CMD-SHELL\" or \"NONE\" (or a command string)",
		    l->v[0]);
}

size_t
defn_validate(const struct defn *d, const char *where, const char *prefix,
    struct errlist *errs)
{
	struct errctx c = { where, prefix, errs, 0 };

	if (d->name != NULL &&
	    (!check_string(&c, "name", d->name, lim_len(T_NAME)) ||
		!valid_container_name(d->name)))
		errctx_add(&c, "name",
		    "\"%.64s\" is not a valid container name; "
		    "expected [a-zA-Z0-9][a-zA-Z0-9_.-]+, 2 to %d "
		    "characters",
		    d->name, MAX_NAME_LEN);
	check_image(&c, d->image);
	check_resources(&c, d);
	check_flags(&c, d);
	check_args(&c, T_ENTRYPOINT, &d->entrypoint);
	check_args(&c, T_COMMAND, &d->command);
	check_network(&c, d->network);
	if (d->nvolumes > lim_items(T_VOLUME))
		errctx_add(&c, "volumes",
		    "has %zu entries; expected at most %zu", d->nvolumes,
		    lim_items(T_VOLUME));
	else
		for (size_t i = 0; i < d->nvolumes; i++)
			check_volume(&c, i, &d->volumes[i]);
	check_ports(&c, d);
	check_env(&c, &d->env);
	check_links(&c, &d->links);
	check_signals(&c, &d->signals);
	if (d->user != NULL && !valid_user(d->user))
		errctx_add(&c, "user",
		    "\"%.64s\" is not a valid user; expected "
		    "NAME, UID, NAME:GROUP or UID:GID",
		    d->user);
	check_caps(&c, T_CAP_ADD, &d->cap_add);
	check_caps(&c, T_CAP_DROP, &d->cap_drop);
	check_security_opt(&c, d);
	check_tmpfs(&c, &d->tmpfs);
	check_labels(&c, &d->labels);
	check_health_test(&c, d);
	check_timings(&c, d);
	if (d->source != NULL)
		check_string(&c, "source", d->source, lim_len(T_SOURCE));
	return c.count;
}

/* A whole state being checked. */
struct state_check {
	struct desired_state *s;
	struct errlist *errs;
	size_t problems;
	const struct depgraph *g;
	const struct defn *d; /* whose references are being walked */
};

static void
duplicate(size_t later, size_t first, const char *id, void *arg)
{
	struct state_check *c = arg;
	const struct defn *a = &c->s->defs[first], *b = &c->s->defs[later];

	errlist_add(c->errs, b->source ? b->source : "", "name",
	    "\"%.64s\" is declared twice (also in %s); expected each "
	    "container once",
	    id, a->source ? a->source : "the same source");
	c->problems++;
}

static int
undeclared(const struct defn_ref *r, void *arg)
{
	struct state_check *c = arg;
	char f[128];

	if (depgraph_find(c->g, r->name) >= 0)
		return 0;
	defn_ref_path(r, f, sizeof(f));
	errlist_add(c->errs, c->d->source ? c->d->source : "", f,
	    "\"%.64s\" is not a declared container; expected the name of a "
	    "container defined in some source",
	    r->name);
	c->problems++;
	return 0;
}

#define MAX_CYCLES_REPORTED 10

/* A cycle, named in full from the definition where it closes. */
static void
cycle(const size_t *path, size_t len, void *arg)
{
	struct state_check *c = arg;
	const struct defn *d = &c->s->defs[c->g->def[path[0]]];
	struct buf b;

	buf_init(&b, 900);
	for (size_t i = 0; i < len; i++)
		(void)buf_printf(&b, "%s -> ", c->g->id[path[i]]);
	if (buf_append_str(&b, c->g->id[path[0]]) == -1)
		(void)buf_append_str(&b, "...");
	errlist_add(c->errs, d->source ? d->source : "", "dependencies",
	    "dependency cycle %s (through links, volumes from or network "
	    "container:); expected dependencies without a cycle",
	    b.len ? buf_cstr(&b) : "?");
	buf_free(&b);
}

/* s->defs in the graph's dependency order. */
static void
reorder(struct desired_state *s, const struct depgraph *g)
{
	size_t *order = xcalloc(g->n + 1, sizeof(*order));
	struct defn *nd = xcalloc(g->n + 1, sizeof(*nd));

	if (depgraph_order(g, order) == -1)
		fatalx("%s: cycle after check", __func__);
	for (size_t i = 0; i < g->n; i++)
		nd[i] = s->defs[g->def[order[i]]];
	free(s->defs);
	s->defs = nd;
	free(order);
}

size_t
state_validate_and_order(struct desired_state *s, struct errlist *errs)
{
	struct state_check c = { s, errs, 0, NULL, NULL };
	struct depgraph g;

	if (s->ndefs > MAX_DEFINITIONS) {
		errlist_add(errs, "desired state", "",
		    "%zu definitions; "
		    "expected at most %d",
		    s->ndefs, MAX_DEFINITIONS);
		return 1;
	}
	depgraph_build(&g, s->defs, s->ndefs, duplicate, &c);
	c.g = &g;
	for (size_t i = 0; i < g.n; i++) {
		c.d = &s->defs[g.def[i]];
		(void)defn_each_ref(c.d, undeclared, &c);
	}
	if (c.problems == 0)
		c.problems +=
		    depgraph_cycles(&g, MAX_CYCLES_REPORTED, cycle, &c);
	if (c.problems == 0)
		reorder(s, &g);
	depgraph_free(&g);
	return c.problems;
}
