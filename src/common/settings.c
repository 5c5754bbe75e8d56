/*
 * The table of settings (see settings.h): one row per setting.  What the
 * children need of it is here (defaults, free, the wire's accessors); the
 * parent's parser, which reads the rest, is src/parent/settings_parse.c.
 */
#include "settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "log.h"
#include "xalloc.h"

/* A number's default as text, for --help. */
#define TEXT_(n) #n
#define TEXT(n)  TEXT_(n)

/* The member's offset, when it is a char * (a string setting)... */
#define STR_OFF(m)                                                             \
	(offsetof(struct settings, m) +                                        \
	    0 *                                                                \
		sizeof(char[_Generic(                                          \
		    ((struct settings *)0)->m, char * : 1, default             \
		    : -1)]))
/* ...or when it is int-sized: an int, or an enum sent as one. */
#define INT_OFF(m)                                                             \
	(offsetof(struct settings, m) +                                        \
	    0 *                                                                \
		sizeof(char[sizeof(((struct settings *)0)->m) == sizeof(int)   \
			? 1                                                    \
			: -1]))
#define SROW(k, o, kd, m, tag, ...)                                            \
	{                                                                      \
		.key = k, .opt = o, .kind = kd, .off = STR_OFF(m),             \
		.wire = tag, __VA_ARGS__                                       \
	}
#define IROW(k, o, kd, m, slot, ...)                                           \
	{                                                                      \
		.key = k, .opt = o, .kind = kd, .off = INT_OFF(m),             \
		.wire = slot, __VA_ARGS__                                      \
	}

static const char *const orphan_names[] = { "all", "managed", NULL };
static const char *const seccomp_names[] = { "on", "trap", "off", NULL };
static const char *const text_json[] = { "text", "json", NULL };

/*
 * In the order of --help.  .wire: a string's tag (never
 * SETTINGS_TAG_INTS), an integer's slot in the ints field; a new setting
 * takes the next free one.
 */
const struct setting_desc settings_table[] = {
	SROW(NULL, "config", SET_ANY_PATH, config, 1, .short_opt = 'c',
	    .flags = SF_EXPLICIT, .def = DEFAULT_CONFIG, .arg = "FILE",
	    .doc = "settings file (default " DEFAULT_CONFIG ")"),
	SROW("cache", "cache", SET_PATH, cache, 2, .def = DEFAULT_CACHE,
	    .arg = "DIR", .doc = "state directory (default " DEFAULT_CACHE ")"),
	SROW("confdir", "confdir", SET_PATH, confdir, 3, .def = DEFAULT_CONFDIR,
	    .arg = "DIR",
	    .doc = "container definitions (default " DEFAULT_CONFDIR ")"),
	SROW("remote", "remote", SET_REMOTE, remote, 4, .def = DEFAULT_REMOTE,
	    .arg = "URL",
	    .doc = "Docker endpoint: unix:///PATH or tcp://HOST:PORT\n"
		   "(default DOCKER_HOST, else " DEFAULT_REMOTE ");\n"
		   "tcp:// needs TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)"),
	IROW("allow_insecure_tcp", "allow-insecure-tcp", SET_BOOL,
	    allow_insecure_tcp, 19,
	    .doc = "allow tcp:// without TLS (registry\n"
		   "credentials are still never sent over it)"),
	IROW("aws", "aws", SET_BOOL, aws, 1, .nopt = "no-aws",
	    .doc = "also read EC2 user-data (default off)"),
	SROW("imds", "imds", SET_URL, imds, 5, .def = DEFAULT_IMDS,
	    .arg = "URL",
	    .doc = "instance metadata endpoint (default " DEFAULT_IMDS ")"),
	IROW("imds_v1", "imds-v1", SET_BOOL, imds_v1, 20,
	    .doc = "allow IMDSv1 (no session token) when the\n"
		   "metadata service refuses tokens (default off)"),
	SROW("etcd", "etcd", SET_URLS, etcd, 16, .arg = "URLS",
	    .doc = "also read fleet definitions from etcd: endpoints\n"
		   "http(s)://HOST[:PORT], comma-separated (default off)"),
	SROW("etcd_prefix", "etcd-prefix", SET_PATH, etcd_prefix, 17,
	    .def = DEFAULT_ETCD_PREFIX, .arg = "KEY",
	    .doc = "etcd key prefix (default " DEFAULT_ETCD_PREFIX ")"),
	SROW("fleet_group", "fleet-group", SET_NAME, fleet_group, 18,
	    .def = DEFAULT_FLEET_GROUP, .arg = "NAME",
	    .doc =
		"this host's group: definitions are read from\n"
		"PREFIX/GROUP/containers/ (default " DEFAULT_FLEET_GROUP ")"),
	SROW("host_id", "host-id", SET_NAME, host_id, 19, .arg = "ID",
	    .doc = "this host in the fleet (default /etc/machine-id,\n"
		   "else the hostname)"),
	SROW("etcd_cacert", "etcd-cacert", SET_PATH, etcd_cacert, 20,
	    .arg = "FILE",
	    .doc = "CA certificates for https:// etcd endpoints"),
	SROW("etcd_cert", "etcd-cert", SET_PATH, etcd_cert, 21, .arg = "FILE",
	    .doc = "client certificate for etcd"),
	SROW("etcd_key", "etcd-key", SET_PATH, etcd_key, 22, .arg = "FILE",
	    .doc = "client certificate's key for etcd"),
	SROW("etcd_user", "etcd-user", SET_NAME, etcd_user, 23, .arg = "NAME",
	    .doc = "etcd user (authentication)"),
	SROW("etcd_password_file", "etcd-password-file", SET_PATH,
	    etcd_password_file, 24, .arg = "FILE",
	    .doc = "etcd user's password: the file's first line"),
	IROW("pull", "pull", SET_BOOL, pull, 2, .nopt = "no-pull", .idef = 1,
	    .doc = "pull images to look for updates\n(default on)"),
	IROW("server", "server", SET_MODE, mode, 3, .idef = MODE_RUN,
	    .doc = "keep running: reconcile every --interval,\n"
		   "within 1 s of a change in --confdir and on\n"
		   "SIGHUP (default: one run, then exit)"),
	IROW("interval", "interval", SET_INT, interval, 4, .min = 1,
	    .max = INTERVAL_MAX_S, .idef = DEFAULT_INTERVAL, .arg = "SECS",
	    .doc = "seconds between runs with --server "
		   "(default " TEXT(
		       DEFAULT_INTERVAL) "),\n"
					 "plus 0-10% jitter (at most 30 s); "
					 "doubled\n"
					 "after each failed run while the "
					 "Docker engine\n"
					 "or a registry fails (up to 1 h; 120 "
					 "s at\n"
					 "least after a registry's 429)"),
	SROW("user", "user", SET_NAME, user, 6, .def = DEFAULT_USER,
	    .arg = "NAME",
	    .doc = "account of the unprivileged fetcher "
		   "(default " DEFAULT_USER ")"),
	SROW("registry_auth", "registry-auth", SET_PATH, registry_auth, 7,
	    .arg = "FILE",
	    .doc = "registry credentials: config.json or .dockercfg\n"
		   "(default DOCKER_CONFIG or ~/.docker/config.json)"),
	IROW("orphans", "orphans", SET_ENUM, orphans, 6, .names = orphan_names,
	    .idef = ORPHANS_ALL,
	    .doc = "remove every undeclared container, or only\n"
		   "those dockerup created (default all)"),
	IROW("ready_timeout", "ready-timeout", SET_INT, ready_timeout, 7,
	    .min = 1, .max = READY_TIMEOUT_MAX_S, .idef = DEFAULT_READY_TIMEOUT,
	    .arg = "SECS",
	    .doc = "readiness wait of a self-upgrade "
		   "(default " TEXT(DEFAULT_READY_TIMEOUT) ")"),
	IROW("lock_wait", "lock-wait", SET_INT, lock_wait, 9, .min = 0,
	    .max = LOCK_WAIT_MAX_S, .idef = LOCK_WAIT_DEFAULT_S, .arg = "SECS",
	    .doc = "wait for the single-instance lock "
		   "(default " TEXT(LOCK_WAIT_DEFAULT_S) ")"),
	IROW("seccomp", "seccomp", SET_ENUM, seccomp, 8, .names = seccomp_names,
	    .idef = SECCOMP_ON, .doc = "system call filters (default on)"),
	SROW("seccomp_dir", "seccomp-dir", SET_PATH, seccomp_dir, 10,
	    .def = DEFAULT_SECCOMP_DIR, .arg = "DIR",
	    .doc = "containers' seccomp profiles: seccomp=NAME reads\n"
		   "DIR/NAME.json (default " DEFAULT_SECCOMP_DIR ")"),
	IROW("seccomp_allow_permissive", "seccomp-allow-permissive", SET_BOOL,
	    seccomp_allow_permissive, 13,
	    .doc = "accept a profile that allows\n"
		   "every call (default off)"),
	SROW("self_id", "self-id", SET_NAME, self_id, 8, .arg = "ID",
	    .doc = "our own container ID or name (default: found\n"
		   "from /proc/self)"),
	IROW("log_format", "log-format", SET_ENUM, log_format, 10,
	    .names = text_json, .idef = LOGFMT_TEXT,
	    .doc = "log lines for people, or JSON for shippers"),
	IROW("syslog", "syslog", SET_BOOL, syslog, 11,
	    .doc = "log to syslog (/dev/log) instead of stderr"),
	SROW("metrics_file", "metrics-file", SET_PATH, metrics_file, 9,
	    .arg = "FILE",
	    .doc = "Prometheus textfile written after every run"),
	SROW("status_group", "status-group", SET_NAME, status_group, 11,
	    .arg = "NAME",
	    .doc = "group that may read status.json and the metrics\n"
		   "file (default none: 0640 root:root)"),
	/* Of the command line only. */
	IROW(NULL, "format", SET_ENUM, format, 12, .names = text_json,
	    .idef = OUTPUT_TEXT,
	    .doc = "the plan of --dry-run as lines or as JSON"),
	IROW(NULL, "confirm-removals", SET_BOOL, confirm_removals, 18,
	    .flags = SF_NO_ARG,
	    .doc = "let the first run remove more than half of the\n"
		   "running containers (the mass-removal brake)"),
	IROW("verbose", "verbose", SET_COUNT, verbose, 5, .short_opt = 'v',
	    .doc = "more logging (repeat for debug)"),
	/* Of neither: -c named the settings file, so it must exist. */
	IROW(NULL, NULL, SET_BOOL, config_explicit, 0,
	    .doc = "the settings file was named with -c"),
	/* The trust policy of remote sources: of the settings file only. */
	IROW("userdata_allow_privileged", NULL, SET_BOOL,
	    policy.allow_privileged, 14,
	    .doc = "remote definitions may be privileged"),
	IROW("userdata_allow_host_network", NULL, SET_BOOL,
	    policy.allow_host_network, 15,
	    .doc = "remote definitions may use the host's network"),
	IROW("userdata_allow_unconfined", NULL, SET_BOOL,
	    policy.allow_unconfined, 16,
	    .doc = "remote definitions may use seccomp=unconfined and "
		   "apparmor=unconfined"),
	IROW("userdata_require_digest", NULL, SET_BOOL, policy.require_digest,
	    17, .doc = "remote images must be pinned by digest"),
	SROW("userdata_cap_add", NULL, SET_CAPS, policy.cap_add, 12,
	    .doc = "the capabilities remote definitions may add"),
	SROW("userdata_host_paths", NULL, SET_PATHS, policy.host_paths, 13,
	    .doc = "host path prefixes a remote hostPath may lie under"),
	SROW("userdata_registries", NULL, SET_HOSTS, policy.registries, 14,
	    .doc = "the registries remote images may come from"),
};

const size_t settings_count =
    sizeof(settings_table) / sizeof(settings_table[0]);

_Static_assert(
    sizeof(settings_table) / sizeof(settings_table[0]) <= MAX_SETTINGS_ROWS,
    "more settings than bits in a mask");

int
setting_is_string(const struct setting_desc *d)
{
	return d->kind < SET_BOOL;
}

char **
setting_str(struct settings *s, const struct setting_desc *d)
{
	if (!setting_is_string(d))
		fatalx("setting_str: %s is not a string",
		    d->key ? d->key : d->opt);
	return (char **)(void *)((char *)s + d->off);
}

int *
setting_int(struct settings *s, const struct setting_desc *d)
{
	if (setting_is_string(d))
		fatalx("setting_int: %s is a string", d->key ? d->key : d->opt);
	return (int *)(void *)((char *)s + d->off);
}

void
setting_int_range(const struct setting_desc *d, int *min, int *max)
{
	*min = 0;
	*max = 1;
	switch (d->kind) {
	case SET_INT:
		*min = d->min;
		*max = d->max;
		break;
	case SET_ENUM:
		*min = 1;
		for (*max = 0; d->names[*max] != NULL; (*max)++)
			;
		break;
	case SET_COUNT:
		*max = INT_MAX;
		break;
	case SET_MODE:
		*min = MODE_RUN;
		*max = MODE_CHECK;
		break;
	default:
		break;
	}
}

const struct setting_desc *
setting_by_key(const char *key)
{
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].key != NULL &&
		    strcmp(settings_table[i].key, key) == 0)
			return &settings_table[i];
	return NULL;
}

const struct setting_desc *
setting_by_opt(const char *opt)
{
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].opt != NULL &&
		    strcmp(settings_table[i].opt, opt) == 0)
			return &settings_table[i];
	return NULL;
}

uint64_t
setting_bit(const struct setting_desc *d)
{
	return (uint64_t)1 << (d - settings_table);
}

void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting_desc *d = &settings_table[i];
		if (!setting_is_string(d))
			*setting_int(s, d) = d->idef;
		else if (d->def != NULL)
			*setting_str(s, d) = xstrdup(d->def);
	}
}

void
settings_free(struct settings *s)
{
	for (size_t i = 0; i < settings_count; i++)
		if (setting_is_string(&settings_table[i]))
			free(*setting_str(s, &settings_table[i]));
	memset(s, 0, sizeof(*s));
}

int
settings_tls_from_env(void)
{
	const char *v = getenv("DOCKER_TLS_VERIFY");

	return v != NULL && *v != '\0';
}

int
settings_etcd_on(const struct settings *s)
{
	return s->etcd != NULL && s->etcd[0] != '\0';
}

char *
settings_etcd_group_dir(const struct settings *s, const char *what)
{
	const char *p = s->etcd_prefix ? s->etcd_prefix : DEFAULT_ETCD_PREFIX;
	size_t n = strlen(p);
	char *dir;

	while (n > 0 && p[n - 1] == '/')
		n--;
	xasprintf(&dir, "%.*s/%s/%s/", (int)n, p,
	    s->fleet_group ? s->fleet_group : DEFAULT_FLEET_GROUP, what);
	return dir;
}

char *
settings_etcd_dir(const struct settings *s)
{
	return settings_etcd_group_dir(s, "containers");
}

int
settings_etcd_key_ok(const char *dir, const char *key, size_t len)
{
	size_t n = strlen(dir);

	if (len <= n || len - n > MAX_ETCD_KEY_LEN || memcmp(key, dir, n) != 0)
		return 0;
	for (size_t i = n; i < len; i++)
		if (key[i] <= 0x20 || key[i] >= 0x7f)
			return 0;
	return 1;
}

int
settings_etcd_source_ok(const struct settings *s, const char *name)
{
	size_t n = strlen(ETCD_SOURCE_PREFIX);
	char *dir;
	int ok;

	if (!settings_etcd_on(s) || strncmp(name, ETCD_SOURCE_PREFIX, n) != 0)
		return 0;
	dir = settings_etcd_dir(s);
	ok = strcmp(name + n, dir) == 0 ||
	    settings_etcd_key_ok(dir, name + n, strlen(name + n));
	free(dir);
	return ok;
}
